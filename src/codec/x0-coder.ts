/**
 * The lossless end of the stream, as an embedded code: every 8-bit sample is coded given the last
 * diffusion state in passes of decreasing bin width Q = 2^shift (default 4, then 1: `DEFAULT_X0_SHIFTS`). Pass p codes
 * which Q_p-wide bin inside its Q_{p−1}-wide bin from the previous pass each sample lies in; each
 * pass is a truncation point (reconstruction: each sample's expected level in its bin under the
 * decoder's law) and the last one (Q = 1) is lossless.
 *
 * The model gives a mean m (x̂_0 in level units) for every sample. Its errors are spatially
 * correlated and vary in size across the image, so each pass codes under the causal context
 * model of `causal-context.ts` on r = (the sample's value at this pass's precision) − m: the mean
 * becomes m + Σ w f and the scale follows the neighbours' errors and the activity of m around the
 * sample, as lossless image coders do (the lossless pass also cancels each context's running
 * bias). A
 * sample's probability table is the discretised law over the 256 levels, and a pass uses the
 * sub-table of the known parent bin, so the passes' code lengths telescope: with the same law in
 * every pass they would sum to the one-pass length exactly.
 *
 *   pass payload = shift u8 (| 0x80: estimate centred on m) | context parameters | range-coded bins
 *                  | (last pass) CRC-32 of the samples
 */
import { RangeEncoder, RangeDecoder, untilLost } from '../bitstream/range-coder.js';
import { pixelLawCdf, pixelLawRangeBits } from '../bitstream/cdf.js';
import { DdpmError } from '../bitstream/errors.js';
import { crc32 } from '../bitstream/crc32.js';
import { stateChecksum } from './step-math.js';
import { fitContext, scanContext, baseActivity, lawOf, writeContext, readContext, contextBytes, type Grid, type ContextParams, type KnownBase } from './causal-context.js';

const PIXEL_CRC = 4;
/** A law's centre (in levels) as the coder clamps it before building a table. */
export const clampMean = (m: number) => (m < -64 ? -64 : m > 319 ? 319 : m);
/** parameter search prices one sample in `stride` (the prediction itself runs on all) */
const strideFor = (n: number) => (n > 40000 ? 4 : n > 8000 ? 2 : 1);

/**
 * Bin widths 2^shift of the passes; the last must be 0 (lossless). Each coarse pass costs lossless
 * rate (its samples see only their neighbours' bins) and buys a truncation point between the last
 * diffusion step and the lossless end. 2,0 (bins of 4, then exact) is the ladder with the best
 * rate–distortion whose file stays below WebP lossless at 64x64 (8 dev-eval photos, codec version
 * 11, slack 0.02, BD-rate on time-shared curves: 1,0 13.23 bpp / −2.0% vs AVIF; 2,0 13.36 / −9.2%;
 * 2,1,0 13.48 / −9.2%; 3,0 13.45 / −15.0%; 3,1,0 13.62 / −15.1%; docs/research-log.md, "Seventh sweep").
 * Since session 16 the default is one pass: the ladder's coarse pass costs 0.2–0.5 bpp of lossless
 * rate at 256x256, where it kept the file above WebP lossless (2 photos: 10.745 bpp vs 10.404; one
 * pass 10.376), while its truncation point (~47 dB) lies above the baselines' range there; at
 * 64x64 one pass gives 13.001 bpp against 13.397 and BD-rate vs AVIF −8.4% against −27.5% (docs/research-log.md,
 * "The x0 ladder off by default"). `x0Shifts: [2, 0]` (`--x0-passes 2,0`) keeps the ladder.
 */
export const DEFAULT_X0_SHIFTS: readonly number[] = [0];

export interface X0Plan {
  params: ContextParams;
  /** estimated size in bytes of a one-pass lossless code (from the parameter search) */
  estimatedBytes: number;
  /**
   * estimated size in bytes of the ladder's passes (`shifts`) with their framing: each coarse pass
   * fitted as it will be coded, the last one priced as the one-pass code less its last coarse bin
   * under the one-pass law (what the bins told it already). The coarse passes cost far more early
   * in the chain — on the 256x256 astronaut +0.53 bpp at t = 59, +0.22 at t = 4 (docs/research-log.md, "The
   * lossless end at 256x256") — so switching on the one-pass estimate switches too early.
   */
  ladderBytes: number;
}

const levels = (means: Float64Array) => Float64Array.from(means, (x) => (x + 1) * 127.5);

/** Bytes a pass adds besides its range-coded bins: its first byte, the context parameters, the coder's flush, the chunk's frame. */
const passOverheadBytes = (g: Grid) => 1 + contextBytes(g.channels) + 2 + 6;

/**
 * Fits the one-pass context parameters and estimates the lossless size without coding it: one
 * pass (`estimatedBytes`) and the ladder `shifts` (`ladderBytes`).
 */
export function x0Plan(samples: Uint8Array, means: Float64Array, g: Grid, shifts: readonly number[] = [0]): X0Plan {
  const s = x0Start(means, g);
  const m = s.means;
  const r = Float64Array.from(samples, (v, i) => v - m[i]);
  const coarse = shifts.slice(0, -1);
  const lastQ = coarse.length ? 2 ** coarse[coarse.length - 1] : 1;
  // the last coarse bin of each sample under the one-pass law: the last pass does not pay for it again
  const binBits = (i: number, off: number, scale: number, law: Parameters<typeof pixelLawRangeBits>[0]) => {
    const a = samples[i] - (samples[i] % lastQ);
    return pixelLawRangeBits(law, a, a + lastQ, clampMean(m[i] + off), scale);
  };
  const stride = strideFor(samples.length);
  const { estimatedBits, alsoBits, ...params } = fitContext(g, r, null, m, (i, off, scale, law) => pixelLawRangeBits(law, samples[i], samples[i] + 1, clampMean(m[i] + off), scale), undefined, stride, g.channels, knownBase(s, 0), coarse.length ? binBits : undefined);
  const estimatedBytes = 1 + contextBytes(g.channels) + PIXEL_CRC + estimatedBits / 8;
  let ladderBytes = estimatedBytes - alsoBits / 8;
  for (const shift of coarse) {
    checkShift(shift, s.shift);
    ladderBytes += passOverheadBytes(g) + passFit(samples, s, g, shift).estimatedBits / 8;
    advanceBins(s, samples, shift);
  }
  return { params, estimatedBytes, ladderBytes };
}

/** The context parameters of a pass of bins 2^shift after state `s`, fitted on the samples (encoder side). */
function passFit(samples: Uint8Array, s: X0State, g: Grid, shift: number): ContextParams & { estimatedBits: number } {
  const Q = 2 ** shift;
  const P = 2 ** s.shift;
  const m = s.means;
  const r = Float64Array.from(samples, (v, i) => binCentre((v >> shift) * Q, shift) - m[i]);
  const bits = (i: number, off: number, scale: number, law: Parameters<typeof pixelLawRangeBits>[0]) => {
    const mean = clampMean(m[i] + off);
    const a = (samples[i] >> shift) * Q;
    return pixelLawRangeBits(law, a, a + Q, mean, scale) - pixelLawRangeBits(law, s.lo[i], s.lo[i] + P, mean, scale);
  };
  return fitContext(g, r, null, m, bits, undefined, strideFor(samples.length), g.channels, knownBase(s, shift));
}

/**
 * What the decoder knows between passes: the model means and, per sample, the bin found so far
 * ([lo, lo + 2^shift)).
 */
export interface X0State {
  means: Float64Array;
  lo: Uint8Array;
  shift: number;
  /** decoder side: each sample's expected level given its bin, under the law it was decoded with */
  expected?: Float64Array;
  /** the means' local activity (`baseActivity`), which the context model's scale follows */
  activity: Float64Array;
}

export function x0Start(means: Float64Array, g: Grid): X0State {
  const m = levels(means);
  return { means: m, lo: new Uint8Array(means.length), shift: 8, activity: baseActivity(g, m) };
}

/**
 * The samples as far as known: the conditional mean of each sample's level within its bin under
 * the law the decoder used (bin centres when not known), exact after the last pass.
 */
export function x0Estimate(s: X0State): Uint8Array {
  if (s.expected && s.shift > 0) return Uint8Array.from(s.expected, roundLevel);
  return Uint8Array.from(s.lo, (lo) => roundLevel(binCentre(lo, s.shift)));
}

/** Checksum of the decoder's bins before a refinement pass (16 bits, like the chunk states). */
export function x0StateCheck(s: X0State): number {
  return stateChecksum(s.lo);
}

/**
 * The level a bin [lo, lo + 2^shift) stands for in the context model's residuals: its centre
 * (lo + Q/2 before codec version 11 biased every coarse context value by half a level: the 1,0
 * ladder over one pass cost +0.234 bpp on x̂_0 from t = 5 of 8 dev-eval photos at 64x64, +0.149
 * with the centre; docs/research-log.md, "Seventh sweep").
 */
function binCentre(lo: number, shift: number): number {
  return lo + (2 ** shift - 1) / 2;
}

/**
 * The means' activity always sets part of the scale; the bias correction only runs in the lossless
 * pass: on the coarser passes' bin centres it costs more than it saves (8 dev-eval photos at 64x64,
 * x̂_0 from t = 5, passes 4,2,1,0: with it everywhere 1.226 + 3.035 + 2.591 + 2.862 bpp, only in the
 * last pass 1.162 + 2.985 + 2.574 + 2.862).
 */
function knownBase(s: X0State, shift: number): KnownBase {
  return { activity: s.activity, biasCancel: shift === 0 };
}

/**
 * Flag in a pass's first byte (beside the shift): the decoder's estimate after the pass centres the
 * law on m instead of m + offset. The offset comes from the neighbours' bins, which are coarse in
 * the first passes; the encoder picks whichever estimate is closer to the samples (8 dev-eval photos
 * at 64x64, x̂_0 from t = 5 at 40.3 dB, bins of 16: 40.9 dB centred on m + offset, 41.7 on m).
 */
const RECON_ON_MEAN = 0x80;

/** The width of the bins a pass payload resolves (1: the lossless pass), for listings; NaN if empty. */
export function x0PassBinWidth(payload: Uint8Array): number {
  return payload.length ? 2 ** (payload[0] & ~RECON_ON_MEAN) : NaN;
}

/** The law's mean level inside the bin [lo, lo + Q) (`table`: the law's cumulative table over the levels). */
function binMean(table: Uint32Array, lo: number, Q: number): number {
  let mass = 0;
  let sum = 0;
  for (let v = lo; v < lo + Q; v++) {
    const f = table[v + 1] - table[v];
    mass += f;
    sum += f * v;
  }
  return mass > 0 ? sum / mass : lo + (Q - 1) / 2;
}

const roundLevel = (e: number) => Math.max(0, Math.min(255, Math.round(e)));

function checkShift(shift: number, prev: number): void {
  if (!(Number.isInteger(shift) && shift >= 0 && shift < prev)) throw new DdpmError('CORRUPT', `x0 pass: bin width 2^${shift} after 2^${prev}`);
}

/** Codes one pass (bins of width 2^shift) of the samples; advances `s` as the decoder will. */
export function x0EncodePass(samples: Uint8Array, s: X0State, g: Grid, shift: number, plan?: X0Plan): Uint8Array {
  checkShift(shift, s.shift);
  const Q = 2 ** shift;
  const P = 2 ** s.shift;
  const m = s.means;
  const r = Float64Array.from(samples, (v, i) => binCentre((v >> shift) * Q, shift) - m[i]);
  const known = knownBase(s, shift);
  const p = shift === 0 && s.shift === 8 && plan ? plan.params : passFit(samples, s, g, shift);
  const { law, k } = lawOf(p);
  const enc = new RangeEncoder();
  const table = new Uint32Array(257);
  const onMean = new Uint32Array(257);
  const sub = new Uint32Array(P / Q + 1);
  // squared error of the decoder's estimate after this pass, centred at m + offset and at m
  const se = [0, 0];
  scanContext(g, p, null, m, (i, off, scale) => {
    subTable(pixelLawCdf(law, clampMean(m[i] + off), scale * k, table), s.lo[i], P, Q, sub);
    enc.encode(sub, (samples[i] - s.lo[i]) >> shift);
    if (shift === 0) return;
    const lo = (samples[i] >> shift) * Q;
    se[0] += (samples[i] - roundLevel(binMean(table, lo, Q))) ** 2;
    se[1] += (samples[i] - roundLevel(binMean(pixelLawCdf(law, clampMean(m[i]), scale * k, onMean), lo, Q))) ** 2;
  }, (i) => r[i], known);
  const body = enc.finish();
  const side = writeContext(p);
  const out = new Uint8Array(1 + side.length + body.length + (shift === 0 ? PIXEL_CRC : 0));
  out[0] = shift | (se[1] < se[0] ? RECON_ON_MEAN : 0);
  out.set(side, 1);
  out.set(body, 1 + side.length);
  if (shift === 0) new DataView(out.buffer).setUint32(1 + side.length + body.length, crc32(samples));
  advanceBins(s, samples, shift);
  return out;
}

/** Encoder side: every sample's bin after a pass of bins 2^shift. */
function advanceBins(s: X0State, samples: Uint8Array, shift: number): void {
  const Q = 2 ** shift;
  for (let i = 0; i < samples.length; i++) s.lo[i] = (samples[i] >> shift) * Q;
  s.shift = shift;
}

/** The cumulative table over the Q-wide sub-bins of [lo, lo + P) (differences of the level table). */
function subTable(table: Uint32Array, lo: number, P: number, Q: number, out: Uint32Array): Uint32Array {
  const base = table[lo];
  for (let j = 0; j <= P / Q; j++) out[j] = table[lo + j * Q] - base;
  return out;
}

/** Decodes one pass into `s`; returns the samples once the last pass is in (checked), else null. */
export function x0DecodePass(payload: Uint8Array, s: X0State, g: Grid): Uint8Array | null {
  const sideBytes = contextBytes(g.channels);
  if (payload.length < 1 + sideBytes) throw new DdpmError('CORRUPT', 'x0 pass too short');
  const shift = payload[0] & ~RECON_ON_MEAN;
  const reconOnMean = (payload[0] & RECON_ON_MEAN) !== 0;
  checkShift(shift, s.shift);
  if (reconOnMean && shift === 0) throw new DdpmError('CORRUPT', 'x0 pass: reconstruction flag on the lossless pass');
  const tail = shift === 0 ? PIXEL_CRC : 0;
  if (payload.length < 1 + sideBytes + tail) throw new DdpmError('CORRUPT', 'x0 pass too short');
  const p = readContext(payload.subarray(1), g.channels);
  const { law, k } = lawOf(p);
  const Q = 2 ** shift;
  const P = 2 ** s.shift;
  const m = s.means;
  const end = payload.length - tail;
  const dec = new RangeDecoder(payload.subarray(1 + sideBytes, end));
  const lo = new Uint8Array(s.lo.length);
  const expected = shift === 0 ? undefined : new Float64Array(s.lo.length);
  const table = new Uint32Array(257);
  const onMean = new Uint32Array(257);
  const sub = new Uint32Array(P / Q + 1);
  scanContext(g, p, null, m, (i, off, scale) => {
    lo[i] = s.lo[i] + dec.decode(subTable(pixelLawCdf(law, clampMean(m[i] + off), scale * k, table), s.lo[i], P, Q, sub)) * Q;
    if (expected) expected[i] = binMean(reconOnMean ? pixelLawCdf(law, clampMean(m[i]), scale * k, onMean) : table, lo[i], Q);
  }, (i) => binCentre(lo[i], shift) - m[i], knownBase(s, shift));
  if (dec.overrun > 8) throw new DdpmError('CORRUPT', 'x0 pass ended early (corrupt or desynchronised)');
  s.lo = lo;
  s.shift = shift;
  s.expected = expected;
  if (shift !== 0) return null;
  if (crc32(lo) !== new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(end)) {
    throw new DdpmError('DESYNC', 'the decoded pixels fail the lossless check: the decoder state differs from the encoder\'s (different model weights, TensorFlow.js backend or build) or the file is corrupt');
  }
  return lo;
}

/**
 * The samples after the start of a pass cut short (`payload`: the first bytes of a `length`-byte
 * pass), leaving `s` as it was: the samples the bytes determine (in scan order) at the pass's
 * precision, the rest at `before` (the estimate before the pass). A lossless pass cut inside its
 * CRC is whole but unchecked.
 */
export function x0DecodeCut(payload: Uint8Array, length: number, s: X0State, g: Grid, before: Uint8Array): Uint8Array {
  const out = Uint8Array.from(before);
  const sideBytes = contextBytes(g.channels);
  if (payload.length < 1 + sideBytes) return out;
  const shift = payload[0] & ~RECON_ON_MEAN;
  const reconOnMean = (payload[0] & RECON_ON_MEAN) !== 0;
  checkShift(shift, s.shift);
  const p = readContext(payload.subarray(1), g.channels);
  const { law, k } = lawOf(p);
  const Q = 2 ** shift;
  const P = 2 ** s.shift;
  const m = s.means;
  const bodyEnd = length - (shift === 0 ? PIXEL_CRC : 0);
  const dec = new RangeDecoder(payload.subarray(1 + sideBytes, Math.min(payload.length, bodyEnd)), payload.length < bodyEnd);
  const lo = new Uint8Array(s.lo.length);
  const table = new Uint32Array(257);
  const onMean = new Uint32Array(257);
  const sub = new Uint32Array(P / Q + 1);
  scanContext(g, p, null, m, (i, off, scale) => {
    const bin = untilLost(dec, () => dec.decode(subTable(pixelLawCdf(law, clampMean(m[i] + off), scale * k, table), s.lo[i], P, Q, sub)));
    if (bin === null) return false;
    lo[i] = s.lo[i] + bin * Q;
    out[i] = shift === 0 ? lo[i] : roundLevel(binMean(reconOnMean ? pixelLawCdf(law, clampMean(m[i]), scale * k, onMean) : table, lo[i], Q));
    return true;
  }, (i) => binCentre(lo[i], shift) - m[i], knownBase(s, shift));
  return out;
}

/** All passes at once (the one-call form used by tests and simple callers). */
export function x0Encode(samples: Uint8Array, means: Float64Array, g: Grid, plan?: X0Plan, shifts: readonly number[] = [0]): Uint8Array[] {
  const s = x0Start(means, g);
  return shifts.map((sh) => x0EncodePass(samples, s, g, sh, plan));
}

export function x0Decode(passes: readonly Uint8Array[], means: Float64Array, g: Grid): Uint8Array {
  const s = x0Start(means, g);
  let out: Uint8Array | null = null;
  for (const p of passes) out = x0DecodePass(p, s, g);
  if (!out) throw new DdpmError('TRUNCATED', 'x0: the lossless pass is missing');
  return out;
}
