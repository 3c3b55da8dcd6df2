/** The codec parameters stored in a .ddpm header, and their validation (untrusted input). */
import { DdpmError } from '../bitstream/errors.js';
import { tileGrid, MIN_TILE_SIZE, DEFAULT_TILE_SIZE } from './tile-grid.js';
import { descendingTimesteps } from '../model/schedule.js';
import { BitWriter, BitReader } from '../bitstream/bit-packing.js';
import { crc32 } from '../bitstream/crc32.js';

/**
 * Bumped whenever a decoder of this build would compute different numbers from the same file —
 * the stream layout or the network's arithmetic (3: GroupNorm statistics by global pooling and
 * bias-fused convolutions, which changes ε_θ in the last float bits; 4: one range-coded stream per
 * step chunk, no ideal bits in the header; 5: REC steps send e² only and split into balanced chunks,
 * step channels coded as repeats; 6: a tile's first REC step codes e² against a prediction from
 * the step's geometry; 7: REC codes a step's dims in a shuffled order, in chunks of ≈ 16 bits with
 * Walsh-family candidates, see rec-search.ts; 8: GroupNorm (+SiLU) by the project's SIMD kernel,
 * model/wasm/group-norm.as.ts, which changes ε_θ in the last float bits; 9: the context model's
 * scale follows x̂_0's local activity (one more parameter byte) and eight neighbours' errors, and the
 * lossless pass cancels each context's running bias, see causal-context.ts; 10: a tile's coding
 * steps are Rice-coded, see packSteps; the context model adds a ninth feature, a blend of 14
 * sub-predictors weighted by their local errors, and refits its weights toward least absolute error;
 * 11: a coarse x0 pass's context values are its bins' centres (lo + (Q − 1)/2, was lo + Q/2), the
 * blend reuses the median predictor's feature, and the default seed and tile size are recorded as nil;
 * 12: a tile's coding steps may be recorded against the model's coding schedule, see packSteps).
 */
export const CODEC_VERSION = 12;
/** the file seed when the caller gives none (recorded as nil) */
export const DEFAULT_SEED: readonly [number, number] = [0x6464706d, 1];
export const CHUNK_STEPS = 1; // one or more consecutive diffusion steps (see step-group.ts)
export const CHUNK_X0 = 2; // the first pass of the embedded x_0 code (after the diffusion steps)
export const CHUNK_X0_REFINE = 3; // a further x_0 pass (narrower bins; the last one is lossless)
/** channel of one step inside a CHUNK_STEPS chunk */
export const STEP_UQ = 1; // universal quantisation
export const STEP_REC = 3; // reverse channel coding
export const MAX_STEPS = 1000;

/** A step channel's name in reports and file listings. */
export function stepChannelName(channel: number): 'uq' | 'rec' {
  return channel === STEP_REC ? 'rec' : 'uq';
}

/** One tile's stream: its coding timesteps. */
export interface TileParams {
  /** coding timesteps kept, descending; steps[0] = T (x_T comes from the seed, costs nothing) */
  steps: number[];
}

export interface CodecParams {
  version: number;
  /** uq / rec: every step on that channel; auto: per step, whichever is smaller (recorded per step) */
  channel: ChannelChoice;
  seed: [number, number];
  snapBits: number;
  /** the network's downsampling factor: every tile is padded to a multiple of it */
  factor: number;
  /** tiles are at most this many pixels per side (see tile-grid.ts) */
  tileSize: number;
  tiles: TileParams[];
}

export const CHANNELS = ['uq', 'rec', 'auto'] as const;
export type ChannelChoice = (typeof CHANNELS)[number];

const isDefaultSeed = (s: readonly number[]) => s[0] === DEFAULT_SEED[0] && s[1] === DEFAULT_SEED[1];

/**
 * Positional form in the header (compact: a 64x64 image should not pay for key names). The
 * default seed and tile size are nil (1 byte instead of 7 and 3).
 */
export function packCodecParams(p: CodecParams, schedule: readonly number[] | null = null): unknown[] {
  return [p.version, CHANNELS.indexOf(p.channel), isDefaultSeed(p.seed) ? null : p.seed, p.snapBits, p.factor, p.tileSize === DEFAULT_TILE_SIZE ? null : p.tileSize, p.tiles.map((t) => packSteps(t.steps, schedule))];
}

/** the largest T a file may name (the model's own T is checked against it when decoding) */
const MAX_T = 100000;
/** Rice parameter for the gap below timestep t: coding schedules step down by about a fifth of t */
const gapParameter = (t: number) => Math.max(0, 28 - Math.clz32(t));

/**
 * A tile's coding timesteps, compactly (a 64x64 file's header is a visible share of its low-rate
 * points), in one of two forms after a flag bit:
 *
 *   1 | check16 | gamma(m) | m − 2 bits
 *                              the steps are among `schedule`, the model's coding candidates,
 *                              starting at candidate 0 and ending at candidate m − 1; the bits say
 *                              which of those between are kept (7 bytes for the shipped schedule's
 *                              31 candidates). check16: the high half of the CRC-32 of the schedule
 *                              — the weights hash does not cover it (`ddpm schedule` re-searches it
 *                              for the same weights), so another schedule is a clear error
 *   0 | explicit               Elias gamma of T and of the count, then each gap t_i − t_{i+1} − 1
 *                              Rice-coded with a parameter that grows with t_i (20 bytes for the
 *                              same 31 timesteps, 46 as msgpack integers)
 *
 * With a schedule the steps fit, the shorter form is written (the explicit one on a tie: it reads
 * without the model); tested.
 */
export function packSteps(steps: readonly number[], schedule: readonly number[] | null = null): Uint8Array {
  if (steps.length < 1 || steps.length > MAX_STEPS || steps[0] > MAX_T || !descendingTimesteps(steps)) throw new DdpmError('BAD_ARGUMENT', 'coding steps must be 1 to 1000 descending positive integers');
  const w = new BitWriter();
  w.bit(0);
  w.gamma(steps[0]);
  w.gamma(steps.length);
  for (let i = 1; i < steps.length; i++) w.rice(steps[i - 1] - steps[i] - 1, gapParameter(steps[i - 1]));
  const explicit = w.finish();
  const m = schedule ? scheduleSpan(steps, schedule) : 0;
  if (!schedule || !m) return explicit;
  const v = new BitWriter();
  v.bit(1);
  v.bits(scheduleCheck(schedule), 16);
  v.gamma(m);
  const kept = new Set(steps);
  for (let i = 1; i < m - 1; i++) v.bit(kept.has(schedule[i]) ? 1 : 0);
  const masked = v.finish();
  return masked.length < explicit.length ? masked : explicit;
}

/** The high half of the CRC-32 of a coding schedule (its timesteps as big-endian u32). */
export function scheduleCheck(schedule: readonly number[]): number {
  const b = new Uint8Array(4 * schedule.length);
  const v = new DataView(b.buffer);
  schedule.forEach((t, i) => v.setUint32(4 * i, t));
  return crc32(b) >>> 16;
}

/** How many of `schedule`'s candidates the steps span (0: they are not a subset starting at its first). */
function scheduleSpan(steps: readonly number[], schedule: readonly number[]): number {
  if (steps[0] !== schedule[0]) return 0;
  let j = 0;
  for (const t of steps) {
    while (j < schedule.length && schedule[j] > t) j++;
    if (j === schedule.length || schedule[j] !== t) return 0;
  }
  return j + 1;
}

/**
 * `packSteps` read back from untrusted bytes: bounded, canonical, descending and positive.
 * `schedule`: the decoding model's coding candidates (null: none at hand — a file in the
 * schedule-relative form then needs one, a clear error).
 */
export function unpackSteps(bytes: Uint8Array, schedule: readonly number[] | null = null): number[] {
  const r = new BitReader(bytes, 'header: coding steps');
  const bad = (what: string) => new DdpmError('CORRUPT', `header: coding steps ${what}`);
  if (r.bit()) {
    if (!schedule) throw new DdpmError('MODEL_MISMATCH', "header: this file's coding steps are recorded against its model's coding schedule; the model is needed to read them");
    if (r.bits(16) !== scheduleCheck(schedule)) throw new DdpmError('MODEL_MISMATCH', "header: this file's coding steps were recorded against another coding schedule than this model file's (the same weights with a re-searched schedule?)");
    const m = r.gamma();
    if (m > schedule.length) throw new DdpmError('MODEL_MISMATCH', `header: coding steps span ${m} candidates, the model's coding schedule has ${schedule.length}`);
    const steps = [schedule[0]];
    for (let i = 1; i < m - 1; i++) if (r.bit()) steps.push(schedule[i]);
    if (m > 1) steps.push(schedule[m - 1]);
    r.end();
    return steps;
  }
  const T = r.gamma();
  if (T > MAX_T) throw bad(`start at ${T}, above ${MAX_T}`);
  const n = r.gamma();
  if (n > MAX_STEPS || n > T) throw bad(`count ${n} is impossible`);
  const steps = [T];
  for (let i = 1; i < n; i++) {
    const t = steps[i - 1] - 1 - r.rice(gapParameter(steps[i - 1]));
    if (t < 1) throw bad('go below 1');
    steps.push(t);
  }
  r.end();
  return steps;
}

/**
 * Reads and checks the positional header form (everything that needs no model). Untrusted input:
 * every field is validated before use.
 */
export function readCodecParams(raw: unknown, image: { width: number; height: number }, schedule: readonly number[] | null = null): CodecParams {
  if (!Array.isArray(raw) || raw.length < 7) throw new DdpmError('CORRUPT', 'header: codec parameters malformed');
  if (raw[0] !== CODEC_VERSION) throw new DdpmError('UNSUPPORTED_VERSION', `codec version ${String(raw[0])} is not supported by this build (reads ${CODEC_VERSION})`);
  const bad = (what: string) => new DdpmError('CORRUPT', `header: ${what}`);
  const channel = CHANNELS[raw[1] as number];
  if (channel === undefined) throw bad(`unknown channel ${String(raw[1])}`);
  const seed = (raw[2] === null ? [...DEFAULT_SEED] : raw[2]) as [number, number];
  if (!Array.isArray(seed) || (raw[2] !== null && isDefaultSeed(seed)) || seed.length !== 2 || !seed.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32)) throw bad('seed malformed');
  if (raw[3] !== 16) throw bad(`snap grid 2^-${String(raw[3])} is not supported`);
  const factor = raw[4] as number;
  if (!Number.isInteger(factor) || factor < 1 || factor > 64) throw bad('downsampling factor malformed');
  const tileSize = raw[5] === null ? DEFAULT_TILE_SIZE : (raw[5] as number);
  if ((raw[5] !== null && tileSize === DEFAULT_TILE_SIZE) || !Number.isInteger(tileSize) || tileSize < MIN_TILE_SIZE || tileSize > 65536) throw bad('tile size malformed');
  const nTiles = tileGrid(image.width, image.height, tileSize).length;
  const rawTiles = raw[6] as unknown[];
  if (!Array.isArray(rawTiles) || rawTiles.length !== nTiles) throw bad(`expected ${nTiles} tiles`);
  const tiles = rawTiles.map((packed): TileParams => {
    if (!(packed instanceof Uint8Array) || packed.length > 2048) throw bad('coding steps malformed');
    return { steps: unpackSteps(packed, schedule) };
  });
  return { version: raw[0] as number, channel, seed, snapBits: 16, factor, tileSize, tiles };
}

/** `readCodecParams`, plus the checks against the model that will decode the file. */
export function validateCodecParams(raw: unknown, image: { width: number; height: number }, T: number, factor: number, schedule: readonly number[] | null): CodecParams {
  const p = readCodecParams(raw, image, schedule);
  if (p.factor !== factor) throw new DdpmError('MODEL_MISMATCH', `the file was coded for a network with downsampling factor ${p.factor}, the model has ${factor}`);
  for (const t of p.tiles) if (t.steps[0] !== T) throw new DdpmError('CORRUPT', `header: coding steps must start at the model's T = ${T}`);
  return p;
}
