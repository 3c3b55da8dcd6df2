/**
 * The progressive encoder (DDPM Algorithm 3).
 *
 * Both sides start from x_T drawn from the file seed. For each coding step t → s the encoder sends
 * a sample of q(x_s | x_t, x_0) coded against p_θ(x_s | x_t) on the universal-quantisation or the
 * reverse-channel-coding channel; after each step it also prices the lossless ending (every sample
 * under the context-adaptive x0 coder given the current state) and keeps the cheapest switching
 * point: the stream ends with the diffusion steps up to there, then x_0.
 */
import { type Chunk, type ContainerHeader, writeContainer } from '../bitstream/container.js';
import { DdpmError } from '../bitstream/errors.js';
import { gaussianKl } from '../model/diffusion.js';
import { Denoiser, SNAP_BITS } from './denoiser.js';
import { predictX0, stepGeometry, modelMean, ditherIndices, initialState, stateChecksum } from './step-math.js';
import { uqEncode } from './uq-channel.js';
import { x0Encode, x0Plan, type X0Plan } from './x0-coder.js';
import { makeLayout, imageToState, meansForSamples, stateGrid } from './layout.js';
import { logSnrSchedule, DEFAULT_STEPS } from './coding-schedule.js';
import { CODEC_VERSION, CHUNK_STEP, CHUNK_STEP_REC, CHUNK_X0, type CodecParams, type ChannelChoice, packCodecParams } from './codec-params.js';
import { recEncode, recDraws } from './rec-channel.js';
import type { Layout } from './layout.js';
import type { StepGeometry } from './step-math.js';
import type { RawImage } from './image-io.js';

export interface EncodeOptions {
  /** explicit descending timesteps starting at T, or a number of log-SNR-spaced steps */
  steps?: number[] | number;
  seed?: [number, number];
  /** channel per step: 'auto' (default) codes each step with whichever of uq / rec is smaller */
  channel?: ChannelChoice;
  /** end the diffusion steps where coding x_0 from there is cheapest (default true) */
  earlyLossless?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface EncodeResult {
  bytes: Uint8Array;
  params: CodecParams;
  /** diffusion steps kept before the lossless chunk */
  stepsKept: number;
  networkEvals: number;
}

export function unetFactor(den: Denoiser): number {
  return 2 ** (den.model.config.unet.mults.length - 1);
}

/** REC costs about its KL plus index-coding slack and side information. */
const REC_SLACK = 1.06;
/** REC draws K·D normals per step; above this many, 'auto' uses UQ (~14 M normals/s per core). */
export const REC_MAX_DRAWS = 2 ** 28;
/**
 * Until tiled coding exists the whole image goes through the network at once; this bounds its
 * activations (and the float64 state arrays) to a few GB.
 */
export const MAX_CODEC_PIXELS = 2048 * 2048;

/**
 * The step's ideal bits: KL(q ‖ p) against the model's Gaussian whose variance is σ̃² plus the
 * measured error variance of its mean (the adaptation a global-variance channel makes).
 */
function stepKlBits(g: StepGeometry, l: Layout, muP: Float64Array, muQ: Float64Array): number {
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

/** Codes one step on the requested channel ('auto': the smaller of the two, REC only if it can win). */
function codeStep(channel: ChannelChoice, g: StepGeometry, l: Layout, muP: Float64Array, muQ: Float64Array, seed: [number, number], k: number, klBits: number): { payload: { kind: number; bytes: Uint8Array }; next: Float64Array } {
  const uq = channel === 'rec' ? null : uqEncode(g, stateGrid(l), muP, muQ, ditherIndices(seed, k, l.n), l.coded);
  if (channel === 'uq' && uq) return { payload: { kind: CHUNK_STEP, bytes: uq.payload }, next: uq.next };
  if (uq && channel === 'auto' && recDraws(l.n) > REC_MAX_DRAWS) return { payload: { kind: CHUNK_STEP, bytes: uq.payload }, next: uq.next };
  if (uq && channel === 'auto' && (klBits / 8) * REC_SLACK + 8 >= uq.payload.length) return { payload: { kind: CHUNK_STEP, bytes: uq.payload }, next: uq.next };
  const rec = recEncode(g, muP, muQ, l.coded, seed, k);
  if (uq && uq.payload.length <= rec.payload.length) return { payload: { kind: CHUNK_STEP, bytes: uq.payload }, next: uq.next };
  return { payload: { kind: CHUNK_STEP_REC, bytes: rec.payload }, next: rec.next };
}

export function encodeImage(img: RawImage, den: Denoiser, o: EncodeOptions = {}): EncodeResult {
  const sch = den.schedule;
  const steps = Array.isArray(o.steps) ? o.steps : logSnrSchedule(sch, o.steps ?? DEFAULT_STEPS);
  if (steps[0] !== sch.T) throw new DdpmError('BAD_ARGUMENT', `coding steps must start at T = ${sch.T}`);
  if (img.width * img.height > MAX_CODEC_PIXELS) {
    throw new DdpmError('LIMIT_EXCEEDED', `image ${img.width}x${img.height} is larger than this version codes in one piece (${MAX_CODEC_PIXELS} pixels; tiled coding is not implemented yet) — downscale or split it`);
  }
  const seed = o.seed ?? [0x6464706d, 1];
  const l = makeLayout(img.width, img.height, img.channels, unetFactor(den));
  const x0 = imageToState(img, l);
  const evals0 = den.evals;
  const samples = img.data;
  let x = initialState(seed, l.n);
  let eps = den.eps(x, l.paddedHeight, l.paddedWidth, steps[0]);
  const stepChunks: Chunk[] = [];
  const ideal: number[] = [];
  const K = steps.length;
  // The stream ends at the cheapest switching point to the lossless chunk: total size = the step
  // chunks before it + the x0 chunk from there. Once the steps alone cost more than the best total
  // found, no later switching point can win, and (with earlyLossless) encoding stops.
  let best = 0;
  let bestCost = Infinity;
  let bestEnding: { k: number; state: number; means: Float64Array; plan: X0Plan } | null = null;
  let acc = 0;
  for (let k = 0; k < K; k++) {
    const t = steps[k];
    const x0hat = predictX0(sch, t, x, eps);
    // price the lossless ending from here (estimated; only the chosen one is coded)
    const means = meansForSamples(x0hat, l);
    const plan = x0Plan(samples, means, img);
    if (acc + plan.estimatedBytes < bestCost || o.earlyLossless === false) {
      bestCost = acc + plan.estimatedBytes;
      best = k;
      bestEnding = { k, state: stateChecksum(x0hat), means, plan };
    }
    if (k === K - 1) break;
    const g = stepGeometry(sch, t, steps[k + 1]);
    const muP = modelMean(g, x, x0hat);
    const muQ = modelMean(g, x, x0);
    const klBits = stepKlBits(g, l, muP, muQ);
    const { payload, next } = codeStep(o.channel ?? 'auto', g, l, muP, muQ, seed, k, klBits);
    stepChunks.push({ kind: payload.kind, index: k, state: stateChecksum(muP), payload: payload.bytes });
    acc += payload.bytes.length;
    ideal.push(klBits);
    o.onProgress?.(k + 1, K);
    if (o.earlyLossless !== false && acc >= bestCost) break;
    x = next;
    eps = den.eps(x, l.paddedHeight, l.paddedWidth, steps[k + 1]);
  }
  const params: CodecParams = {
    version: CODEC_VERSION,
    steps,
    channel: o.channel ?? 'auto',
    seed,
    snapBits: SNAP_BITS,
    paddedWidth: l.paddedWidth,
    paddedHeight: l.paddedHeight,
    idealBits: ideal.slice(0, best).map((b) => Math.round(b)),
  };
  const header: ContainerHeader = {
    model: { id: den.model.id, sha256: den.model.sha256 },
    image: { width: img.width, height: img.height, channels: img.channels },
    codec: packCodecParams(params),
  };
  const e = bestEnding as NonNullable<typeof bestEnding>;
  const ending: Chunk = { kind: CHUNK_X0, index: e.k, state: e.state, payload: x0Encode(samples, e.means, img, e.plan) };
  const bytes = writeContainer(header, [...stepChunks.slice(0, best), ending]);
  o.onProgress?.(K, K);
  return { bytes, params, stepsKept: best, networkEvals: den.evals - evals0 };
}
