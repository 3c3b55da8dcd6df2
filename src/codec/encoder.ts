/**
 * The progressive encoder (DDPM Algorithm 3).
 *
 * Both sides start from x_T drawn from the file seed. For each coding step t → s the encoder sends
 * a sample of q(x_s | x_t, x_0) coded against p_θ(x_s | x_t) on the universal-quantisation or the
 * reverse-channel-coding channel; after each step it also prices the lossless ending (every sample
 * under the context-adaptive x0 coder given the current state) and keeps the cheapest switching
 * point: the stream ends with the diffusion steps up to there, then x_0.
 */
import { type Chunk, type ContainerHeader, writeContainer, validateGeometry } from '../bitstream/container.js';
import { tileGrid, cropTile, tileSeed, tagTile, DEFAULT_TILE_SIZE, MIN_TILE_SIZE, type TileRect } from './tile-grid.js';
import { DdpmError } from '../bitstream/errors.js';
import { gaussianKl } from '../model/diffusion.js';
import { Denoiser, SNAP_BITS } from './denoiser.js';
import { predictX0, stepGeometry, modelMean, ditherIndices, initialState, stateChecksum } from './step-math.js';
import { uqEncode } from './uq-channel.js';
import { x0Plan, x0Start, x0EncodePass, x0StateCheck, DEFAULT_X0_SHIFTS, type X0Plan } from './x0-coder.js';
import { makeLayout, imageToState, meansForSamples, stateGrid } from './layout.js';
import { logSnrSchedule, DEFAULT_STEPS } from './coding-schedule.js';
import { CODEC_VERSION, DEFAULT_SEED, CHUNK_STEPS, CHUNK_X0, CHUNK_X0_REFINE, STEP_UQ, STEP_REC, type CodecParams, type TileParams, type ChannelChoice, packCodecParams, stepChannelName } from './codec-params.js';
import { packSteps, packX0Payload, type CodedStep } from './step-group.js';
import { SymbolRecorder } from '../bitstream/symbol-recorder.js';
import { descendingTimesteps } from '../model/schedule.js';
import { recEncode, recWork, REC_TUNING, REC_TEMPER, type RecSide } from './rec-channel.js';
import type { Layout } from './layout.js';
import type { StepGeometry } from './step-math.js';
import type { RawImage } from './image-io.js';

export interface EncodeOptions {
  /**
   * Coding candidates: explicit descending timesteps starting at T, or a number of log-SNR-spaced
   * steps. Default: the model's searched schedule (`ddpm schedule`), else 24 log-SNR steps.
   */
  steps?: number[] | number;
  /**
   * Candidate steps whose KL for this image is below this many bits are merged with the following
   * ones (the step t → s jumps to the furthest candidate s whose KL stays below it): a coded step
   * costs ~1.5 bytes of side information and REC slack, more than nearly empty steps carry. The steps
   * actually coded are recorded in the file. Default 128 for log-SNR schedules, 0 (code exactly
   * the given steps) for an explicit list.
   */
  minStepBits?: number;
  /**
   * Consecutive steps share one chunk (one whole-chunk truncation point, one state checkpoint)
   * until together they carry at least this many bits of KL; a chunk costs 5–7 bytes of framing
   * and a range coder's flush. 0: a chunk per step. Default 4096 (512 bytes): since a file cut
   * inside a chunk decodes as far as its bytes go, chunk boundaries no longer set where the curve
   * has points, and larger chunks cost less (8 dev-eval photos at 64x64, first/other chunk bits:
   * 1536/2048 13.406 bpp lossless, BD vs AVIF −21.7%, worst chunk boundary 13.0% over the own-chain
   * KL; 2048/2048 13.406, −21.4%, 10.0%; 3072/3072 13.382, −21.6%, 9.2%; 4096/4096 13.369, −21.7%,
   * 8.9%; docs/research-log.md, "Eighth sweep").
   */
  minChunkBits?: number;
  /** The same threshold for the first chunk only. Default: minChunkBits. */
  firstChunkBits?: number;
  seed?: [number, number];
  /** channel per step: 'auto' (default) codes each step with whichever of uq / rec is smaller */
  channel?: ChannelChoice;
  /**
   * End the diffusion steps early where coding x_0 from there makes the whole file (nearly) the
   * smallest (default true); false: every step, then x_0.
   */
  earlyLossless?: boolean;
  /**
   * How much larger (fraction) the lossless file may be than at its cheapest switching point to
   * keep more diffusion steps, i.e. more and better truncation points: the stream switches at the
   * latest point within this slack. Default 0.025: with one x0 pass (the default since session
   * 16) the 256x256 photos' lossless end stays below WebP lossless (10.376 vs 10.404). Chosen in
   * session 15 with the ladder 2,0 as the largest that kept the 64x64 dev-eval photos'
   * lossless end below WebP lossless (13.434) once the estimate priced the whole x0 ladder (8
   * photos, ladder 2,0, step-17500 model: slack 0.02 13.317 bpp, BD-rate vs AVIF −22.1%; 0.025
   * 13.397, −27.5%; 0.03 13.454, −28.9%; docs/research-log.md, "Pricing the ladder"). Before that, with the
   * one-pass estimate, 0.03 gave 13.345 and −24.0%.
   */
  losslessSlack?: number;
  /**
   * Passes of the embedded lossless code at the end: bin widths 2^shift, strictly decreasing,
   * ending with 0 (lossless). Default DEFAULT_X0_SHIFTS, [0]: one pass, the smallest lossless file
   * (docs/research-log.md, "The x0 ladder off by default"); [2, 0] adds a truncation point at bins of 4 levels
   * (~47 dB) before the exact samples for 0.2–0.5 bpp (docs/research-log.md, "Seventh sweep").
   */
  x0Shifts?: readonly number[];
  /**
   * The REC search's tempering λ (default REC_TEMPER; encoder only, the file does not depend on how
   * the encoder chose its indices): 1 is plain PFR, larger stretches the targeted mean correction.
   */
  recTemper?: number;
  /** images larger than this per side are coded as a grid of independent tiles (default 512) */
  tileSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/** One coded diffusion step, as the encoder measured it (not stored in the file). */
export interface StepReport {
  t: number;
  s: number;
  channel: 'uq' | 'rec';
  /** the step's ideal: KL(q ‖ p) in bits, p with the image's measured error variance */
  idealBits: number;
  /** what its symbols cost in the stream */
  codedBits: number;
}

export interface TileResult {
  /** diffusion steps kept before the lossless chunk */
  stepsKept: number;
  /** the steps kept, in order */
  steps: StepReport[];
  /** every switching point the encoder priced: after k steps (at timestep t), the estimated size of the tile's stream */
  endings: Array<{ k: number; t: number; estimatedBytes: number }>;
}

export interface EncodeResult {
  bytes: Uint8Array;
  params: CodecParams;
  /** per tile (one for images up to the tile size) */
  tiles: TileResult[];
  networkEvals: number;
}

export const DEFAULT_LOSSLESS_SLACK = 0.025;

export function unetFactor(den: Denoiser): number {
  return 2 ** (den.model.config.unet.mults.length - 1);
}

export const DEFAULT_MIN_CHUNK_BITS = 4096;
export const DEFAULT_MIN_STEP_BITS = 128;

/** REC costs about its KL plus index-coding slack and side information. */
const REC_SLACK = 1.06;
/** REC scores chunks × K candidates per step; above this many, 'auto' uses UQ. */
export const REC_MAX_CANDIDATES = 2 ** 32;

/**
 * The step's ideal bits: KL(q ‖ p) against the model's Gaussian whose variance is σ̃² plus the
 * measured error variance of its mean (the adaptation a global-variance channel makes).
 */
export function stepKlBits(g: StepGeometry, l: Layout, muP: Float64Array, muQ: Float64Array): number {
  let e2 = 0;
  let n = 0;
  for (let i = 0; i < l.n; i++) {
    if (!l.coded[i]) continue;
    e2 += (muQ[i] - muP[i]) ** 2;
    n++;
  }
  const vp = g.variance + e2 / Math.max(1, n);
  let kl = 0;
  for (let i = 0; i < l.n; i++) if (l.coded[i]) kl += gaussianKl(muQ[i], g.variance, muP[i], vp);
  return kl / Math.LN2;
}

/**
 * 'auto' prices UQ only for steps carrying at least this many bits of KL per coded dimension (or
 * when REC is out of reach): below it UQ's quantisation overhead (≈ 0.25 bit per dimension at high
 * rate, more below) costs it more than REC (chelsea-64, the steps from t = 25 down to 1, KL at
 * most 0.44 bit/dim: UQ 1.5–4.1x REC's bytes) — while pricing it ran the context model's fit over
 * every dimension at every step (4.7 s of a 16.9 s encode, CPU profile).
 */
const UQ_MIN_BITS_PER_DIM = 1;

/** Codes one step on the requested channel ('auto': the smaller of the two, REC only if it can win). */
function codeStep(channel: ChannelChoice, g: StepGeometry, l: Layout, muP: Float64Array, muQ: Float64Array, seed: [number, number], k: number, klBits: number, recPrev: RecSide | null, temper: number): { coded: CodedStep; next: Float64Array; recSide?: RecSide } {
  let viaUq: { coded: CodedStep; next: Float64Array } | null = null;
  const recTooBig = channel === 'auto' && recWork(g, muP, muQ, l.coded) > REC_MAX_CANDIDATES;
  // the coded dims are the image's samples, three per pixel (the padding is not coded)
  const pricesUq = channel === 'uq' || (channel === 'auto' && (recTooBig || klBits >= UQ_MIN_BITS_PER_DIM * l.width * l.height * 3));
  if (pricesUq) {
    const symbols = new SymbolRecorder();
    const { next } = uqEncode(g, stateGrid(l), muP, muQ, ditherIndices(seed, k, l.n), l.coded, symbols);
    viaUq = { coded: { channel: STEP_UQ, symbols }, next };
  }
  if (viaUq && (channel === 'uq' || recTooBig)) return viaUq;
  if (viaUq && channel === 'auto' && klBits * REC_SLACK + 64 >= viaUq.coded.symbols.bits) return viaUq;
  const symbols = new SymbolRecorder();
  const rec = recEncode(g, muP, muQ, l.coded, seed, k, symbols, recPrev, REC_TUNING, temper);
  if (viaUq && viaUq.coded.symbols.bits <= symbols.bits) return viaUq;
  return { coded: { channel: STEP_REC, symbols }, next: rec.next, recSide: rec.side };
}

type KeptStep = { coded: CodedStep; state: number; klBits: number };

/**
 * Groups the coded steps into chunks: a chunk closes once its steps carry minChunkBits of KL
 * (the first chunk: firstChunkBits). A remainder carrying at least half that is a chunk of its
 * own; a shorter one joins the chunk before it, or, when there is none, the lossless chunk
 * (returned as `tail`).
 */
function groupSteps(steps: readonly KeptStep[], minChunkBits: number, firstChunkBits: number): { chunks: Chunk[]; tail: readonly KeptStep[] } {
  const groups: KeptStep[][] = [];
  let open: KeptStep[] = [];
  let bits = 0;
  const threshold = () => (groups.length ? minChunkBits : firstChunkBits);
  for (const s of steps) {
    open.push(s);
    bits += s.klBits;
    if (bits >= threshold()) {
      groups.push(open);
      open = [];
      bits = 0;
    }
  }
  if (open.length && bits >= threshold() / 2) groups.push(open);
  else if (open.length && groups.length) groups[groups.length - 1].push(...open);
  let first = 0;
  const chunks = groups.map((g, i) => {
    const payload = packSteps(g.map((s) => s.coded), steps.length - first);
    first += g.length;
    return { kind: CHUNK_STEPS, index: i, state: g[0].state, payload };
  });
  return { chunks, tail: groups.length ? [] : open };
}

/** What every tile of an encode shares: the validated options (see `planEncode`). */
export interface EncodePlan {
  steps: number[];
  tileSize: number;
  seed: [number, number];
  minStepBits: number;
  rects: TileRect[];
}

/** One tile's coded stream. */
export interface EncodedTile {
  chunks: Chunk[];
  params: TileParams;
  result: TileResult;
}

/**
 * The lossless ending the encoder switches at: the latest whose estimated file size is within
 * (1 + slack) of the cheapest (`endings` in chain order).
 */
export function pickEnding<E extends { estimatedBytes: number }>(endings: readonly E[], slack: number): E {
  const cheapest = Math.min(...endings.map((e) => e.estimatedBytes));
  let pick = endings[0];
  for (const e of endings) if (e.estimatedBytes <= cheapest * (1 + slack)) pick = e;
  return pick;
}

/** Validates the options against the image and model, and lays out the tiles. */
export function planEncode(img: RawImage, den: Denoiser, o: EncodeOptions = {}): EncodePlan {
  const sch = den.schedule;
  // explicit timesteps; or K log-SNR steps; or the model's searched schedule (ddpm schedule), else 24 log-SNR steps
  const steps = Array.isArray(o.steps) ? o.steps : o.steps === undefined && den.model.codingSchedule ? den.model.codingSchedule : logSnrSchedule(sch, o.steps ?? DEFAULT_STEPS);
  if (steps[0] !== sch.T) throw new DdpmError('BAD_ARGUMENT', `coding steps must start at T = ${sch.T}`);
  if (!descendingTimesteps(steps)) throw new DdpmError('BAD_ARGUMENT', 'coding steps must be descending integers >= 1');
  const tileSize = o.tileSize ?? DEFAULT_TILE_SIZE;
  if (!(Number.isInteger(tileSize) && tileSize >= MIN_TILE_SIZE && tileSize <= 65536)) throw new DdpmError('BAD_ARGUMENT', `tile size must be an integer in [${MIN_TILE_SIZE}, 65536]`);
  validateGeometry(img);
  const shifts = o.x0Shifts ?? DEFAULT_X0_SHIFTS;
  if (!shifts.length || shifts[shifts.length - 1] !== 0 || shifts[0] > 7 || shifts.some((v, i) => !Number.isInteger(v) || (i > 0 && v >= shifts[i - 1]))) throw new DdpmError('BAD_ARGUMENT', 'x0 passes: bin-width shifts must be strictly decreasing integers from at most 7 down to 0');
  if (o.recTemper !== undefined && !(o.recTemper >= 1 && o.recTemper <= 4)) throw new DdpmError('BAD_ARGUMENT', 'recTemper must be a number in [1, 4]');
  const seed: [number, number] = o.seed ? [o.seed[0], o.seed[1]] : [DEFAULT_SEED[0], DEFAULT_SEED[1]];
  const minStepBits = o.minStepBits ?? (Array.isArray(o.steps) ? 0 : DEFAULT_MIN_STEP_BITS);
  if (!(minStepBits >= 0 && minStepBits <= 2 ** 40)) throw new DdpmError('BAD_ARGUMENT', 'minimum step bits must be in [0, 2^40]');
  return { steps, tileSize, seed, minStepBits, rects: tileGrid(img.width, img.height, tileSize) };
}

/** Tile j of a plan, coded on this thread (tiles are independent: any thread may code any tile). */
export function encodePlannedTile(img: RawImage, den: Denoiser, plan: EncodePlan, j: number, o: EncodeOptions, progress: (done: number, total: number) => void): EncodedTile {
  const tile = plan.rects.length === 1 ? img : cropTile(img, plan.rects[j]);
  return encodeTile(tile, den, plan.steps, plan.minStepBits, tileSeed(plan.seed, j), o, progress);
}

/** The file from its coded tiles (in tile order). */
export function assembleEncode(img: RawImage, den: Denoiser, plan: EncodePlan, perTile: EncodedTile[], o: EncodeOptions, networkEvals: number): EncodeResult {
  const params: CodecParams = { version: CODEC_VERSION, channel: o.channel ?? 'auto', seed: plan.seed, snapBits: SNAP_BITS, factor: unetFactor(den), tileSize: plan.tileSize, tiles: perTile.map((t) => t.params) };
  const header: ContainerHeader = {
    model: { id: den.model.id, sha256: den.model.sha256 },
    image: { width: img.width, height: img.height, channels: img.channels },
    codec: packCodecParams(params, den.model.codingSchedule ?? null),
  };
  const bytes = writeContainer(header, interleaveTiles(perTile.map((t) => t.chunks)));
  return { bytes, params, tiles: perTile.map((t) => t.result), networkEvals };
}

export function encodeImage(img: RawImage, den: Denoiser, o: EncodeOptions = {}): EncodeResult {
  const plan = planEncode(img, den, o);
  const evals0 = den.evals;
  const n = plan.rects.length;
  const perTile = plan.rects.map((_, j) => encodePlannedTile(img, den, plan, j, o, (done, total) => o.onProgress?.(j * total + done, n * total)));
  return assembleEncode(img, den, plan, perTile, o, den.evals - evals0);
}

/** One tile's stream (the whole image when it fits in one tile): its chunks and parameters. */
function encodeTile(img: RawImage, den: Denoiser, candidates: number[], minStepBits: number, seed: [number, number], o: EncodeOptions, progress: (done: number, total: number) => void): EncodedTile {
  const sch = den.schedule;
  const l = makeLayout(img.width, img.height, img.channels, unetFactor(den));
  const x0 = imageToState(img, l);
  const samples = img.data;
  let x = initialState(seed, l.n);
  let eps = den.eps(x, l.paddedHeight, l.paddedWidth, candidates[0]);
  const coded: KeptStep[] = [];
  // the last REC step's side information: the next one is coded as a change from it
  let recPrev: RecSide | null = null;
  const K = candidates.length;
  // the timesteps actually visited: candidates, less those merged into a longer step
  const steps = [candidates[0]];
  let c = 0;
  // The stream switches to the lossless chunk at the latest point whose total size (the steps
  // before it + the x0 chunk from there, estimated) is within the slack of the cheapest point.
  // Once the steps alone cost more than that, no later point can qualify and encoding stops.
  const slack = o.earlyLossless === false ? Infinity : (o.losslessSlack ?? DEFAULT_LOSSLESS_SLACK);
  const endings: Array<{ k: number; t: number; estimatedBytes: number; state: number; means: Float64Array; plan: X0Plan }> = [];
  const shifts = o.x0Shifts ?? DEFAULT_X0_SHIFTS;
  let cheapest = Infinity;
  let acc = 0;
  for (let k = 0; ; k++) {
    const t = steps[k];
    const x0hat = predictX0(sch, t, x, eps);
    // price the lossless ending from here (estimated; only the chosen one is coded)
    const means = meansForSamples(x0hat, l);
    const plan = x0Plan(samples, means, img, shifts);
    endings.push({ k, t, estimatedBytes: acc + plan.ladderBytes, state: stateChecksum(x0hat), means, plan });
    cheapest = Math.min(cheapest, acc + plan.ladderBytes);
    if (c === K - 1) break;
    // the step's target: the next candidate, or the furthest one whose KL stays below minStepBits
    const target = (j: number) => {
      const g = stepGeometry(sch, t, candidates[j]);
      const muP = modelMean(g, x, x0hat);
      const muQ = modelMean(g, x, x0);
      return { j, g, muP, muQ, klBits: stepKlBits(g, l, muP, muQ) };
    };
    let next = target(c + 1);
    while (next.klBits < minStepBits && next.j + 1 < K) {
      const further = target(next.j + 1);
      if (further.klBits > minStepBits) break;
      next = further;
    }
    const step = codeStep(o.channel ?? 'auto', next.g, l, next.muP, next.muQ, seed, k, next.klBits, recPrev, o.recTemper ?? REC_TEMPER);
    recPrev = step.recSide ?? recPrev;
    coded.push({ coded: step.coded, state: stateChecksum(next.muP), klBits: next.klBits });
    acc += step.coded.symbols.bits / 8 + 0.5;
    c = next.j;
    steps.push(candidates[c]);
    progress(c, K);
    if (acc > cheapest * (1 + slack)) break;
    x = step.next;
    eps = den.eps(x, l.paddedHeight, l.paddedWidth, candidates[c]);
  }
  const e = pickEnding(endings, slack);
  const best = e.k;
  const minChunkBits = o.minChunkBits ?? DEFAULT_MIN_CHUNK_BITS;
  const { chunks, tail } = groupSteps(coded.slice(0, best), minChunkBits, o.firstChunkBits ?? minChunkBits);
  const x0s = x0Start(e.means, img);
  shifts.forEach((shift, p) => {
    if (p === 0) {
      const first = x0EncodePass(samples, x0s, img, shift, e.plan);
      chunks.push({ kind: CHUNK_X0, index: chunks.length, state: tail.length ? tail[0].state : e.state, payload: packX0Payload(tail.map((s) => s.coded), tail.length, first) });
    } else {
      const state = x0StateCheck(x0s);
      chunks.push({ kind: CHUNK_X0_REFINE, index: chunks.length, state, payload: x0EncodePass(samples, x0s, img, shift) });
    }
  });
  progress(K, K);
  return {
    chunks,
    params: { steps: steps.slice(0, best + 1) },
    result: {
      stepsKept: best,
      steps: coded.slice(0, best).map((c, i) => ({ t: steps[i], s: steps[i + 1], channel: stepChannelName(c.coded.channel), idealBits: c.klBits, codedBits: c.coded.symbols.bits })),
      endings: endings.map(({ k, t, estimatedBytes }) => ({ k, t, estimatedBytes })),
    },
  };
}

/**
 * The chunks of all tiles in one stream, round-robin by chunk number so that every prefix
 * improves the whole image evenly. With more than one tile each payload starts with its tile's
 * number (varint).
 */
export function interleaveTiles(tiles: Chunk[][]): Chunk[] {
  if (tiles.length === 1) return tiles[0];
  const out: Chunk[] = [];
  const rounds = Math.max(...tiles.map((t) => t.length));
  for (let r = 0; r < rounds; r++) {
    tiles.forEach((t, j) => {
      if (r < t.length) out.push({ ...t[r], index: out.length, payload: tagTile(t[r].payload, j) });
    });
  }
  return out;
}
