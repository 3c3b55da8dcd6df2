/** The codec parameters stored in a .ddpm header, and their validation (untrusted input). */
import { DdpmError } from '../bitstream/errors.js';

export const CODEC_VERSION = 2;
export const CHUNK_STEPS = 1; // one or more consecutive diffusion steps (see step-group.ts)
export const CHUNK_X0 = 2; // the final lossless x_0 chunk
/** channel of one step inside a CHUNK_STEPS chunk */
export const STEP_UQ = 1; // universal quantisation
export const STEP_REC = 3; // reverse channel coding
export const MAX_STEPS = 1000;

export interface CodecParams {
  version: number;
  /** coding timesteps, descending; steps[0] = T (x_T comes from the seed, costs nothing) */
  steps: number[];
  /** uq / rec: every step on that channel; auto: per step, whichever is smaller (chunk kinds tell) */
  channel: ChannelChoice;
  seed: [number, number];
  snapBits: number;
  /** padded size the network runs at */
  paddedWidth: number;
  paddedHeight: number;
  /** per coded step: the ideal KL(q‖p) bits, as measured by the encoder */
  idealBits: number[];
}

export const CHANNELS = ['uq', 'rec', 'auto'] as const;
export type ChannelChoice = (typeof CHANNELS)[number];

/** Positional form in the header (compact: a 64x64 image should not pay for key names). */
export function packCodecParams(p: CodecParams): unknown[] {
  return [p.version, p.steps, CHANNELS.indexOf(p.channel), p.seed, p.snapBits, p.paddedWidth, p.paddedHeight, p.idealBits];
}

/**
 * Reads and checks the positional header form (everything that needs no model). Untrusted input:
 * every field is validated before use.
 */
export function readCodecParams(raw: unknown, image: { width: number; height: number }): CodecParams {
  if (!Array.isArray(raw) || raw.length < 8) throw new DdpmError('CORRUPT', 'header: codec parameters malformed');
  if (raw[0] !== CODEC_VERSION) throw new DdpmError('UNSUPPORTED_VERSION', `codec version ${String(raw[0])} is not supported by this build (reads ${CODEC_VERSION})`);
  const p: CodecParams = {
    version: raw[0] as number,
    steps: raw[1] as number[],
    channel: CHANNELS[raw[2] as number],
    seed: raw[3] as [number, number],
    snapBits: raw[4] as number,
    paddedWidth: raw[5] as number,
    paddedHeight: raw[6] as number,
    idealBits: raw[7] as number[],
  };
  const bad = (what: string) => new DdpmError('CORRUPT', `header: ${what}`);
  if (p.channel === undefined) throw bad(`unknown channel ${String(raw[2])}`);
  if (!Array.isArray(p.steps) || p.steps.length < 1 || p.steps.length > MAX_STEPS) throw bad('coding steps missing or too many');
  for (let i = 0; i < p.steps.length; i++) {
    if (!Number.isInteger(p.steps[i]) || p.steps[i] < 1 || (i > 0 && p.steps[i] >= p.steps[i - 1])) throw bad('coding steps must be descending positive integers');
  }
  if (!Array.isArray(p.seed) || p.seed.length !== 2 || !p.seed.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32)) throw bad('seed malformed');
  if (!Number.isInteger(p.paddedWidth) || !Number.isInteger(p.paddedHeight) || p.paddedWidth < image.width || p.paddedHeight < image.height || p.paddedWidth > image.width + 64 || p.paddedHeight > image.height + 64) throw bad('padding malformed');
  if (p.snapBits !== 16) throw bad(`snap grid 2^-${String(p.snapBits)} is not supported`);
  if (!Array.isArray(p.idealBits) || p.idealBits.length > MAX_STEPS || !p.idealBits.every((b) => typeof b === 'number')) throw bad('ideal bits malformed');
  return p;
}

/** `readCodecParams`, plus the checks against the model that will decode the file. */
export function validateCodecParams(raw: unknown, image: { width: number; height: number }, T: number): CodecParams {
  const p = readCodecParams(raw, image);
  if (p.steps[0] !== T) throw new DdpmError('CORRUPT', `header: coding steps must start at the model's T = ${T}`);
  return p;
}
