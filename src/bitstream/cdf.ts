/**
 * Integer cumulative-frequency tables for the range coder, built only from integers and
 * grid-snapped parameters with the deterministic functions of `deterministic-math.ts`, so encoder
 * and decoder build identical tables from identical inputs.
 *
 * Every symbol inside a table's support gets at least one count. Laws over an unbounded integer
 * line (the grid laws) have a finite window plus two escape symbols; an escaped value is coded by
 * `encodeEscaped` as an Elias-gamma length and raw bits, so any integer can be coded.
 */
import { normalCdf, logisticCdf, detExp, detLog } from './deterministic-math.js';
import { MAX_TOTAL, type SymbolSink, RangeDecoder } from './range-coder.js';
import { DdpmError } from './errors.js';

export const CDF_TOTAL = MAX_TOTAL;

/**
 * Turns n+1 non-decreasing continuous CDF values F[0..n] (F[0] = 0, F[n] = 1 are forced) into an
 * integer table with total CDF_TOTAL where every bin has at least one count.
 */
export function quantizeCdf(F: ArrayLike<number>, out?: Uint32Array): Uint32Array {
  const n = F.length - 1;
  if (n < 1 || n > CDF_TOTAL / 2) throw new DdpmError('BAD_ARGUMENT', `cdf: ${n} symbols cannot be coded at 16-bit precision`);
  const cdf = out ?? new Uint32Array(n + 1);
  const free = CDF_TOTAL - n;
  let prev = 0;
  cdf[0] = 0;
  for (let i = 1; i < n; i++) {
    const f = F[i];
    let c = f > 0 ? Math.floor((f < 1 ? f : 1) * free) : 0;
    if (c < prev) c = prev; // guard against any non-monotonicity of approximations
    prev = c;
    cdf[i] = c + i;
  }
  cdf[n] = CDF_TOTAL;
  return cdf;
}

/**
 * Discretised Gaussian over the 256 pixel levels (DDPM's L_0 decoder): level v covers
 * [x_v - 1/255, x_v + 1/255] with x_v = v/127.5 - 1, and the edge bins extend to ±∞.
 * `mean` and `std` are in the [-1, 1] data scale.
 */
export function pixelGaussianCdf(mean: number, std: number, out?: Uint32Array): Uint32Array {
  const F = new Float64Array(257);
  F[0] = 0;
  F[256] = 1;
  const inv = 1 / std;
  for (let v = 1; v < 256; v++) {
    const edge = (2 * v - 1) / 255 - 1; // boundary between levels v-1 and v
    const z = (edge - mean) * inv;
    F[v] = z < -9 ? 0 : z > 9 ? 1 : normalCdf(z);
  }
  return quantizeCdf(F, out);
}

export type ContinuousLaw = 'gaussian' | 'logistic';

/**
 * A continuous law (Gaussian: scale = std; logistic: scale = s) over the 256 pixel levels, with the
 * mean and scale in level units (0–255): level v covers [v − ½, v + ½], edge bins open. Only edges
 * within 40 scales of the mean are evaluated.
 */
export function pixelLawCdf(law: ContinuousLaw, mean: number, scale: number, out?: Uint32Array): Uint32Array {
  const F = pixelF;
  // Beyond these many scales the quantised table is unchanged by the tail: below, F·(total − n)
  // floors to 0; above, F rounds to exactly 1.0 (Φ(12) in float64; the logistic only at 40).
  const lo = Math.max(1, Math.min(256, Math.floor(mean - (law === 'gaussian' ? 12 : 16) * scale + 0.5)));
  const hi = Math.max(lo, Math.min(256, Math.ceil(mean + (law === 'gaussian' ? 12 : 40) * scale + 0.5)));
  const inv = 1 / scale;
  F.fill(0, 0, lo);
  for (let v = lo; v < hi; v++) F[v] = unitCdf(law, (v - 0.5 - mean) * inv);
  F.fill(1, hi, 257);
  return quantizeCdf(F, out);
}
const pixelF = new Float64Array(257);

/** −log2 of the probability of level v under the same law (for the encoder's parameter search). */
export function pixelLawBits(law: ContinuousLaw, v: number, mean: number, scale: number): number {
  const hi = v === 255 ? 1 : unitCdf(law, (v + 0.5 - mean) / scale);
  const lo = v === 0 ? 0 : unitCdf(law, (v - 0.5 - mean) / scale);
  const p = hi - lo;
  return p > 1e-12 ? -Math.log2(p) : 40;
}

/** −log2 P(lo ≤ v < hi) for levels under the same law (the edges absorb the tails). */
export function pixelLawRangeBits(law: ContinuousLaw, lo: number, hi: number, mean: number, scale: number): number {
  const top = hi >= 256 ? 1 : unitCdf(law, (hi - 0.5 - mean) / scale);
  const bottom = lo <= 0 ? 0 : unitCdf(law, (lo - 0.5 - mean) / scale);
  const p = top - bottom;
  return p > 1e-12 ? -Math.log2(p) : 40;
}

function unitCdf(law: ContinuousLaw, z: number): number {
  if (z < -40) return 0;
  if (z > 40) return 1;
  return law === 'gaussian' ? normalCdf(z) : logisticCdf(z);
}

/**
 * A law over the integers k: bin k is [k - 1/2 + offset, k + 1/2 + offset) in units of the grid,
 * integrated under a Gaussian (or logistic) of the given center and scale, optionally convolved
 * with U(-1/2, 1/2) (the prior of a dithered / universal quantiser). The table covers
 * k in [lo, hi] plus escape symbols below and above.
 */
export interface GridTable {
  readonly lo: number;
  readonly hi: number;
  /** symbols: 0 = below lo, 1..(hi-lo+1) = k, last = above hi */
  readonly cdf: Uint32Array;
}

/** Scaled Gaussian CDF convolved with U(-1/2,1/2): E_u Φ((x+u-c)/s), closed form. */
function uniformConvolvedCdf(law: ContinuousLaw, x: number, center: number, scale: number): number {
  // ∫_{-1/2}^{1/2} F((x+u-c)/s) du, by 8-point Gauss–Legendre (deterministic, smooth integrand).
  let acc = 0;
  for (let i = 0; i < GL_X.length; i++) acc += GL_W[i] * unitCdf(law, (x + 0.5 * GL_X[i] - center) / scale);
  return 0.5 * acc;
}
const GL_X = [-0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498, 0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363];
const GL_W = [0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620, 0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763];

export interface GridLawParams {
  law: ContinuousLaw;
  /** center of the law in grid units (relative to the integer grid shifted by `offset`) */
  center: number;
  /** scale (std for gaussian, s for logistic) in grid units, > 0 */
  scale: number;
  /** the grid is k + offset */
  offset?: number;
  /** convolve with U(-1/2, 1/2) (universal quantisation prior) */
  dithered?: boolean;
  /** window half-width in scales (default 8) */
  tails?: number;
  /** at most this many window symbols (default 4096) */
  maxSymbols?: number;
}

export function gridLawCdf(p: GridLawParams): GridTable {
  const offset = p.offset ?? 0;
  if (!(p.scale > 0) || !Number.isFinite(p.center)) throw new DdpmError('BAD_ARGUMENT', 'grid law: scale must be > 0 and center finite');
  const tails = p.tails ?? 8;
  const maxSymbols = Math.min(p.maxSymbols ?? 4096, CDF_TOTAL / 4);
  const width = tails * p.scale + (p.dithered ? 1 : 0);
  let lo = Math.floor(p.center - offset - width);
  let hi = Math.ceil(p.center - offset + width);
  if (hi - lo + 1 > maxSymbols) {
    const mid = Math.round(p.center - offset);
    lo = mid - (maxSymbols >> 1);
    hi = lo + maxSymbols - 1;
  }
  const n = hi - lo + 3;
  const F = new Float64Array(n + 1);
  F[0] = 0;
  F[n] = 1;
  for (let k = lo; k <= hi + 1; k++) {
    const edge = k - 0.5 + offset;
    F[k - lo + 1] = p.dithered ? uniformConvolvedCdf(p.law, edge, p.center, p.scale) : unitCdf(p.law, (edge - p.center) / p.scale);
  }
  return { lo, hi, cdf: quantizeCdf(F) };
}

/** Elias-gamma code of m >= 1 through the range coder (raw bits). */
function encodeGamma(enc: SymbolSink, m: number): void {
  let bits = 0;
  while (2 ** (bits + 1) <= m) bits++;
  if (bits > 52) throw new DdpmError('BAD_ARGUMENT', 'escape value too large');
  enc.encodeBits(bits, 6);
  enc.encodeBits(m - 2 ** bits, bits);
}
function decodeGamma(dec: RangeDecoder): number {
  const bits = dec.decodeBits(6);
  if (bits > 52) throw new DdpmError('CORRUPT', 'escape length out of range');
  return 2 ** bits + dec.decodeBits(bits);
}

/** −log2 P(k) under the same grid law without a table (no dither convolution; for parameter search). */
export function gridLawBits(law: ContinuousLaw, k: number, center: number, scale: number, offset = 0): number {
  const hi = unitCdf(law, (k + 0.5 + offset - center) / scale);
  const lo = unitCdf(law, (k - 0.5 + offset - center) / scale);
  const p = hi - lo;
  return p > 1e-12 ? -Math.log2(p) : 40;
}

/** Codes any integer k under a grid table (escape + Elias-gamma outside the window). */
export function encodeGrid(enc: SymbolSink, t: GridTable, k: number): void {
  if (k < t.lo) {
    enc.encode(t.cdf, 0);
    encodeGamma(enc, t.lo - k);
  } else if (k > t.hi) {
    enc.encode(t.cdf, t.cdf.length - 2);
    encodeGamma(enc, k - t.hi);
  } else enc.encode(t.cdf, k - t.lo + 1);
}
export function decodeGrid(dec: RangeDecoder, t: GridTable): number {
  const s = dec.decode(t.cdf);
  if (s === 0) return t.lo - decodeGamma(dec);
  if (s === t.cdf.length - 2) return t.hi + decodeGamma(dec);
  return t.lo + s - 1;
}

/** Truncated geometric law p(j) ∝ ratio^j on j in [0, n). */
export function truncatedGeometricCdf(ratio: number, n: number): Uint32Array {
  if (!(ratio > 0 && ratio < 1) || !(n >= 1)) throw new DdpmError('BAD_ARGUMENT', 'geometric: need 0 < ratio < 1 and n >= 1');
  const lr = detLog(ratio);
  const norm = 1 - detExp(n * lr);
  const F = new Float64Array(n + 1);
  for (let j = 0; j <= n; j++) F[j] = (1 - detExp(j * lr)) / norm;
  return quantizeCdf(F);
}

/**
 * Zipf law p(j) ∝ j^-s on j in [1, K] for K up to 2^32, coded in three parts: the octave
 * c = floor(log2 j) under a table of octave masses, then the top 4 bits of the offset inside the
 * octave under a table of sub-bin masses, then the remaining offset bits raw. The masses use the
 * integral approximation ∫ j^-s dj, which within an octave is accurate to a few 0.1%.
 * `octaveWeights` (one per octave, ⌊log2 K⌋ + 1 of them) replaces the octaves' Zipf masses by
 * other relative masses; inside an octave the law stays Zipf's.
 */
export class ZipfCoder {
  readonly s: number;
  readonly K: number;
  private readonly octaves: Uint32Array;
  private readonly sub: Uint32Array[] = [];
  /** offset bits sent raw per octave (none in a one-index octave: j = K for a power-of-two K) */
  private readonly raw: number[] = [];
  private readonly nOct: number;

  constructor(s: number, K: number, octaveWeights?: ArrayLike<number>) {
    if (!(s > 1 && s < 8) || !(Number.isInteger(K) && K >= 1 && K <= 2 ** 32)) throw new DdpmError('BAD_ARGUMENT', 'zipf: need 1 < s < 8 and 1 <= K <= 2^32');
    this.s = s;
    this.K = K;
    let nOct = 0;
    while (2 ** (nOct + 1) <= K) nOct++;
    this.nOct = nOct + 1;
    const prim = (x: number) => detExp((1 - s) * detLog(x)) / (1 - s); // ∫ x^-s
    // mass of [a, b) of integers: sum j^-s ~ ∫_{a-1/2}^{b-1/2} x^-s dx
    const mass = (a: number, b: number) => prim(b - 0.5) - prim(a - 0.5);
    const om = new Float64Array(this.nOct);
    if (octaveWeights && octaveWeights.length !== this.nOct) throw new DdpmError('BAD_ARGUMENT', `zipf: ${octaveWeights.length} octave weights for ${this.nOct} octaves`);
    for (let c = 0; c < this.nOct; c++) om[c] = octaveWeights ? octaveWeights[c] : c === 0 ? 1 : mass(2 ** c, Math.min(2 ** (c + 1), K + 1));
    this.octaves = quantizeCdf(cumulative(om));
    for (let c = 0; c < this.nOct; c++) {
      const start = 2 ** c;
      const end = Math.min(2 ** (c + 1), K + 1);
      const raw = end - start === 1 ? 0 : rawBits(c);
      this.raw.push(raw);
      const bins = end - start === 1 ? 1 : 2 ** (c - raw);
      const w = 2 ** raw;
      const m = new Float64Array(bins);
      for (let b = 0; b < bins; b++) {
        const a = start + b * w;
        m[b] = a >= end ? 0 : mass(a, Math.min(a + w, end));
      }
      this.sub.push(quantizeCdf(cumulative(m)));
    }
  }

  encode(enc: SymbolSink, j: number): void {
    if (!(Number.isInteger(j) && j >= 1 && j <= this.K)) throw new DdpmError('BAD_ARGUMENT', `zipf: index ${j} outside [1, ${this.K}]`);
    let c = 0;
    while (2 ** (c + 1) <= j) c++;
    enc.encode(this.octaves, c);
    const off = j - 2 ** c;
    const w = 2 ** this.raw[c];
    const b = Math.floor(off / w);
    enc.encode(this.sub[c], b);
    enc.encodeBits(off - b * w, this.raw[c]);
  }

  decode(dec: RangeDecoder): number {
    const c = dec.decode(this.octaves);
    const b = dec.decode(this.sub[c]);
    const j = 2 ** c + b * 2 ** this.raw[c] + dec.decodeBits(this.raw[c]);
    if (j > this.K) throw new DdpmError('CORRUPT', 'zipf: decoded index beyond K');
    return j;
  }
}

/** Offset bits inside octave c that are sent raw (the top 4 go through a table). */
function rawBits(c: number): number {
  return c > 4 ? c - 4 : 0;
}

function cumulative(m: Float64Array): Float64Array {
  const F = new Float64Array(m.length + 1);
  let total = 0;
  for (let i = 0; i < m.length; i++) total += m[i];
  let acc = 0;
  for (let i = 0; i < m.length; i++) {
    F[i] = acc / total;
    acc += m[i];
  }
  F[m.length] = 1;
  return F;
}
