/**
 * Reverse channel coding of one diffusion step: sends an exact-in-distribution sample of
 * q(x_s | x_t, x_0) = N(μ_q, σ̃²) for about KL(q ‖ p) bits, with p = N(μ_p, σ_p²) the model's
 * Gaussian (σ_p² = σ̃² + e², e² the error variance of μ_p measured on this image and sent as one byte).
 *
 * The coded dimensions, in an order shuffled per step by the shared seed, are split into balanced
 * chunks, as many as make a chunk carry about k̄ ≈ 16 bits of KL. (The shuffle spreads the step's KL
 * evenly over the chunks; in raster order a chunk over an edge carried several times k̄, more than
 * its K candidates can reach.) For each chunk both sides know K candidates z_j = μ_p + σ_p ξ_j
 * (ξ_j from the shared stream, see rec-search.ts); the encoder picks j* by the Poisson functional
 * representation — j* = argmin_j (log T_j − λ log w_j), T_j arrival times of a private Poisson process,
 * log w_j = log q(z_j) − log p(z_j), λ = REC_TEMPER — and the index is range-coded under a law fitted to the
 * capped search's indices (see indexOctaveWeights) (Li & El Gamal 2018; Theis & Yosri 2022; DiffC,
 * Vonderfecht & Liu 2025).
 * Side information at the head of the step's symbols: e² on a logarithmic grid, coded as the change
 * from the tile's previous REC step (e² drifts slowly along the schedule: ~4 bits instead of 8) or,
 * for the tile's first REC step, from a prediction by the step's geometry (see recSideStart); the
 * step's KL and the chunking (count, k̄, K) follow from it by deterministic arithmetic on both
 * sides (see recPlan). The symbols go to whatever sink the caller gives (the encoder records
 * them, then writes the steps of a chunk into one range-coded stream).
 */
import { type SymbolSink, type RangeDecoder, untilLost } from '../bitstream/range-coder.js';
import { ZipfCoder, gridLawCdf, encodeGrid, decodeGrid } from '../bitstream/cdf.js';
import { DdpmError } from '../bitstream/errors.js';
import { recCandidate, chunkStart, maxChunkDims, REC_STREAM } from './rec-search.js';
import { PhiloxStream } from '../bitstream/philox.js';
import { searchAllChunks } from './rec-parallel.js';
import { type StepGeometry } from './step-math.js';
import { gaussianKl } from '../model/diffusion.js';
import { toIndex, fromIndex, type LogGrid } from './log-scale.js';
import { detExp, detLog } from '../bitstream/deterministic-math.js';

const VAR_GRID: LogGrid = { perOctave: 8, offset: 200 };
/** the step's KL in bits: 2^-4 … 2^27.9 in 1/8-octave steps */
const KL_GRID: LogGrid = { perOctave: 8, offset: 32 };

/**
 * The chunking: chunks of about `chunkBits` bits of KL with K = 2^min(⌈k̄⌉ + margin, maxLog2K)
 * candidates each — unless that would score more than `workPerDim` candidates per coded dim in
 * the step, in which case chunks get one bit less at a time (down to MIN_CHUNK_BITS) until it does:
 * a step carrying many bits per dim (late steps, or a poor model) must not cost exponentially more
 * than the dims it codes. Part of the format (the decoder derives the same plan); the encoder and
 * decoder take other values only in experiments (bench/rec-chain.ts).
 */
export interface RecTuning {
  chunkBits: number;
  margin: number;
  maxLog2K: number;
  workPerDim: number;
}
export const REC_TUNING: RecTuning = { chunkBits: 16, margin: 2, maxLog2K: 20, workPerDim: 4096 };
const MIN_CHUNK_BITS = 6;

/**
 * The encoder's tempering λ of the search (rec-search.ts): the K-capped search cannot reach the
 * samples of q whose log-weight exceeds log K (a chunk's log-weight spreads ±√(2·KL) nats around its
 * KL), so its sample carries only ~0.88 of the mean correction μ_q − μ_p and later steps pay for the
 * rest. Aiming at q^λ p^(1−λ) — the correction stretched by λ — makes the capped search carry more
 * of it. Measured along the shipped path with \`bench/rec-chain.ts --temper\` (estimated whole file,
 * 64x64, model photo-s step 11000): on 8 training photos 12.716 bpp at λ = 1, 12.683 at 1.1,
 * 12.655 at 1.2; on the 8 dev-eval photos 14.087 at 1, 14.076 at 1.05, 14.006 at 1.1. Not part of
 * the format: the decoder rebuilds whichever index it reads.
 */
export const REC_TEMPER = 1.15;

/** The side information of a REC step: the grid index of e². */
export interface RecSide {
  qv: number;
}
/**
 * E‖x_0 − x̂_0‖²/D at the start of a schedule (x̂_0 predicted from x_T: the clipped prediction of
 * nearly pure noise), fitted to the first steps of the dev-eval photos: with it, the predicted e²
 * index of their first REC step (t = 1000 → 866, 708 or 647, at 64x64 and 256x256) is within
 * ±3 grid units (±0.4 octave) of the measured one for all 10 encodes.
 */
const X0_MSE_AT_START = 1.1;

/**
 * What a tile's first REC step codes its e² against: μ_q − μ_p = cx0 · (x_0 − x̂_0), so
 * e² ≈ cx0² · E‖x_0 − x̂_0‖²/D. (A fixed start index made a short first step — t = 1000 → 866 at
 * 256x256 — pay ~21 bits for its e².) Deterministic on both sides.
 */
export function recSideStart(g: StepGeometry): RecSide {
  return { qv: toIndex(g.cx0 * g.cx0 * X0_MSE_AT_START, VAR_GRID) };
}
/** law of the change from the previous step (grid units; fitted by eye to the dev-eval photos) */
const QV_DELTA = gridLawCdf({ law: 'logistic', center: 0, scale: 3 });

function encodeSide(out: SymbolSink, side: RecSide, prev: RecSide): void {
  encodeGrid(out, QV_DELTA, side.qv - prev.qv);
}

function decodeSide(dec: RangeDecoder, prev: RecSide): RecSide {
  const qv = prev.qv + decodeGrid(dec, QV_DELTA);
  if (!(qv >= 0 && qv <= 255)) throw new DdpmError('CORRUPT', 'rec step: side information out of range');
  return { qv };
}

/** e^-1 · ln(e + 1), the constant of Li & El Gamal's bound on the PFR index length */
const ZIPF_C = detExp(-1) * detLog(Math.E + 1);

/** The exponent of the Zipf law REC indices are coded under inside an octave, for k̄ bits of KL per chunk. */
export function zipfExponent(kbar: number): number {
  return 1 + 1 / (kbar + ZIPF_C);
}

/** the index law's octaves: flat over the top PFR_FLAT + 1 below K, 2^-PFR_SLOPE less per octave further down */
const PFR_FLAT = 5;
const PFR_SLOPE = 0.25;

/**
 * Octave masses of the chosen index's law for K = 2^log2K candidates (octave c = ⌊log2 j⌋, the last
 * one holding j = K alone). The K-capped search picks indices nearly log-uniformly over the few
 * octaves below K and ever more rarely below those (its log2 index sits ≈ 3.9 bits under k̄, spread
 * ±4.4); fitted on 12 training photos at 64x64 (the two-parameter grid's maximum likelihood), this
 * law codes an index in 0.54 bits less than the Zipf law's own octave masses (15.53 vs 16.07 bits
 * per chunk of k̄ ≈ 16; same on the dev-eval photos: 15.55 vs 16.09).
 */
function indexOctaveWeights(log2K: number): Float64Array {
  const w = new Float64Array(log2K + 1);
  for (let c = 0; c < log2K; c++) w[c] = detExp(PFR_SLOPE * Math.LN2 * Math.min(0, c - (log2K - 1 - PFR_FLAT)));
  w[log2K] = w[log2K - 1] / 2 ** (log2K - 1); // one index at the top octave's density
  return w;
}

function indexCoder(kbar16: number, log2K: number): ZipfCoder {
  return new ZipfCoder(zipfExponent(kbar16 / 16), 2 ** log2K, indexOctaveWeights(log2K));
}

/**
 * The step's coded dims in chunk order: the coded dims shuffled (Fisher–Yates, one Philox block per
 * swap, j = r mod (i+1): exact integer arithmetic on both sides).
 */
export function codedOrder(coded: Uint8Array, seed: readonly [number, number], step: number): Int32Array {
  let n = 0;
  for (let i = 0; i < coded.length; i++) n += coded[i];
  const out = new Int32Array(n);
  for (let i = 0, j = 0; i < coded.length; i++) if (coded[i]) out[j++] = i;
  const stream = new PhiloxStream(seed, [REC_STREAM + 2, step, 0]);
  const r = new Uint32Array(4);
  for (let i = n - 1; i > 0; i--) {
    stream.raw(i, r);
    const j = r[0] % (i + 1);
    const v = out[i];
    out[i] = out[j];
    out[j] = v;
  }
  return out;
}

interface RecPlan {
  /** σ_p² = σ̃² + ê² */
  vp: number;
  nChunks: number;
  /** mean KL per chunk, 1/16 bit */
  kbar16: number;
  log2K: number;
}

/**
 * Everything both sides derive from the sent e² index: σ_p² and the chunking of the step's D coded
 * dims. With σ_p² = σ̃² + e² the step's KL is exactly (D/2)·log2(1 + e²/σ̃²) (e² the mean squared
 * mismatch of the means), so the KL needs no side information of its own; it is evaluated at the
 * quantised ê² with deterministic arithmetic and put on a grid before it sizes the chunks (n chunks
 * of ≈ k̄ = tuning.chunkBits bits, or fewer if the step's work bound says so, sizes differing by
 * at most one dim).
 */
function recPlan(qv: number, vq: number, D: number, tuning: RecTuning): RecPlan {
  const e2 = fromIndex(qv, VAR_GRID);
  const vp = vq + e2;
  const kl = fromIndex(toIndex((D / 2) * (detLog(vp / vq) / Math.LN2), KL_GRID), KL_GRID);
  for (let bits = tuning.chunkBits; ; bits--) {
    const nChunks = Math.max(1, Math.min(D, Math.round(kl / bits)));
    const kbar16 = Math.max(1, Math.min(1023, Math.round((16 * kl) / nChunks)));
    const log2K = Math.max(2, Math.min(tuning.maxLog2K, Math.ceil(kbar16 / 16) + tuning.margin));
    if (bits <= MIN_CHUNK_BITS || nChunks * 2 ** log2K <= tuning.workPerDim * D) return { vp, nChunks, kbar16, log2K };
  }
}

function sideIndex(muP: Float64Array, muQ: Float64Array, coded: Uint8Array): { qv: number; D: number } {
  let e2 = 0;
  let D = 0;
  for (let i = 0; i < coded.length; i++) {
    if (!coded[i]) continue;
    e2 += (muQ[i] - muP[i]) ** 2;
    D++;
  }
  return { qv: toIndex(Math.max(1e-30, e2 / Math.max(1, D)), VAR_GRID), D };
}

/** Candidates the encoder's search scores for this step (chunks × K): the step's compute. */
export function recWork(g: StepGeometry, muP: Float64Array, muQ: Float64Array, coded: Uint8Array, tuning: RecTuning = REC_TUNING): number {
  const { qv, D } = sideIndex(muP, muQ, coded);
  const plan = recPlan(qv, g.variance, D, tuning);
  return plan.nChunks * 2 ** plan.log2K;
}

/**
 * x_s on both sides: μ_p everywhere, and on the coded dims (order `idx`) of chunk c the chosen
 * candidate best[c], μ_p + σ_p ξ (best[c] < 0: the chunk's index is not known, its dims take their
 * value in `fill`, μ_p if none).
 */
function chosenState(muP: Float64Array, idx: Int32Array, sp: number, seed: readonly [number, number], step: number, best: Int32Array, fill: Float64Array | null = null): Float64Array {
  const next = Float64Array.from(fill ?? muP);
  const D = idx.length;
  const z = new Float64Array(maxChunkDims(D, best.length));
  for (let c = 0; c < best.length; c++) {
    if (best[c] < 0) continue; // not known (a cut stream): μ_p
    const lo = chunkStart(D, best.length, c);
    const n = chunkStart(D, best.length, c + 1) - lo;
    recCandidate(seed, step, c, n, best[c], z);
    for (let m = 0; m < n; m++) next[idx[lo + m]] = muP[idx[lo + m]] + sp * z[m];
  }
  return next;
}

export interface RecEncoded {
  next: Float64Array;
  /** this step's side information (the next REC step's prediction) */
  side: RecSide;
  /** KL(q ‖ p) of the step in bits under the coded p (the channel's ideal) */
  klBits: number;
}

/** `prev`: the tile's previous REC step's side information, null for its first REC step. */
export function recEncode(g: StepGeometry, muP: Float64Array, muQ: Float64Array, coded: Uint8Array, seed: readonly [number, number], step: number, out: SymbolSink, prev: RecSide | null, tuning: RecTuning = REC_TUNING, temper = REC_TEMPER): RecEncoded {
  const idx = codedOrder(coded, seed, step);
  const { qv, D } = sideIndex(muP, muQ, coded);
  const vq = g.variance;
  const { vp, nChunks, kbar16, log2K } = recPlan(qv, vq, D, tuning);
  const sp = Math.sqrt(vp);
  // the step's KL in bits under the coded p (with the unquantised mismatch)
  let klNats = 0;
  for (const i of idx) klNats += gaussianKl(muQ[i], vq, muP[i], vp);
  const K = 2 ** log2K;
  const zipf = indexCoder(kbar16, log2K);
  encodeSide(out, { qv }, prev ?? recSideStart(g));
  // log w(ξ) = log q(μ_p + σ_p ξ) − log p(μ_p + σ_p ξ) = c2 Σ ξ² + Σ b_m ξ_m + const, with
  // c2 = ½ − σ_p²/(2σ_q²) and b_m = σ_p (μ_q − μ_p)_m / σ_q²; the constant does not move the argmin
  const b = Float64Array.from(idx, (i) => (sp * (muQ[i] - muP[i])) / vq);
  const best = searchAllChunks({ seed: [seed[0], seed[1]], step, nChunks, D, K, c2: 0.5 - vp / (2 * vq), b, temper });
  for (let c = 0; c < nChunks; c++) zipf.encode(out, best[c] + 1);
  return { next: chosenState(muP, idx, sp, seed, step, best), klBits: klNats / Math.LN2, side: { qv } };
}

export interface RecDecoded {
  next: Float64Array;
  side: RecSide;
}

/** Reads one step's symbols from a whole stream `dec` (the caller checks the stream's end). */
export function recDecode(g: StepGeometry, muP: Float64Array, coded: Uint8Array, seed: readonly [number, number], step: number, dec: RangeDecoder, prev: RecSide | null, tuning: RecTuning = REC_TUNING): RecDecoded {
  return recDecodeCut(g, muP, coded, seed, step, dec, prev, tuning) as RecDecoded;
}

/**
 * `recDecode` for a stream that may be cut (`dec.lost` may be set): it stops at the first symbol
 * the bytes do not determine — null if that is the side information, else the dims of the chunks
 * not reached (from the first lost index on) take their value in `fill` (default μ_p).
 */
export function recDecodeCut(g: StepGeometry, muP: Float64Array, coded: Uint8Array, seed: readonly [number, number], step: number, dec: RangeDecoder, prev: RecSide | null, tuning: RecTuning = REC_TUNING, fill: Float64Array | null = null): RecDecoded | null {
  const idx = codedOrder(coded, seed, step);
  const sent = untilLost(dec, () => decodeSide(dec, prev ?? recSideStart(g)));
  if (!sent) return null;
  const plan = recPlan(sent.qv, g.variance, idx.length, tuning);
  const zipf = indexCoder(plan.kbar16, plan.log2K);
  const best = new Int32Array(plan.nChunks).fill(-1);
  for (let c = 0; c < plan.nChunks; c++) {
    const j = untilLost(dec, () => zipf.decode(dec));
    if (j === null) break;
    best[c] = j - 1;
  }
  return { next: chosenState(muP, idx, Math.sqrt(plan.vp), seed, step, best, fill), side: sent };
}

