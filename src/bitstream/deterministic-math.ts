/**
 * exp, log and the normal / logistic CDFs built from IEEE-754 +, -, *, / only.
 *
 * `Math.exp`, `Math.log` and friends are not required by the ECMAScript spec to return the same
 * bits on every engine or version. Every number that becomes part of a coding table goes through
 * these functions instead, so an encoder and a decoder on different machines build identical
 * tables. Accuracy is ~1e-15 relative for exp/log and ~1.2e-7 for erfc: far finer than the 2^-16
 * resolution of the tables they feed.
 */

const LN2_HI = 6.93147180369123816490e-1; // upper bits of ln 2 (exact in 32 bits of mantissa)
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.44269504088896338700;

const scratch = new DataView(new ArrayBuffer(8));

/** 2^k for k = −1022 … 1023 at [k + 1022], each built from its bit pattern (exact) */
const POW2 = new Float64Array(2046);
{
  for (let k = -1022; k <= 1023; k++) {
    scratch.setUint32(0, (k + 1023) << 20);
    scratch.setUint32(4, 0);
    POW2[k + 1022] = scratch.getFloat64(0);
  }
}

/** 2^k for integer k (exact; 0 below −1022, ∞ above 1023): a table lookup, ~2x faster exp than a DataView per call. */
export function pow2i(k: number): number {
  if (k > 1023) return Infinity;
  if (k < -1022) return 0;
  return POW2[k + 1022];
}

/** Deterministic e^x. */
export function detExp(x: number): number {
  if (x !== x) return NaN;
  if (x > 709) return Infinity;
  if (x < -745) return 0;
  const k = Math.round(x * INV_LN2);
  const r = (x - k * LN2_HI) - k * LN2_LO; // |r| <= ~0.347
  // Taylor series of e^r to degree 13 (Horner): truncation error < 2e-17 for |r| <= 0.35.
  let p = 1 / 6227020800;
  p = p * r + 1 / 479001600;
  p = p * r + 1 / 39916800;
  p = p * r + 1 / 3628800;
  p = p * r + 1 / 362880;
  p = p * r + 1 / 40320;
  p = p * r + 1 / 5040;
  p = p * r + 1 / 720;
  p = p * r + 1 / 120;
  p = p * r + 1 / 24;
  p = p * r + 1 / 6;
  p = p * r + 0.5;
  p = p * r + 1;
  p = p * r + 1;
  if (k < -1000) return p * pow2i(k + 200) * pow2i(-200);
  return p * pow2i(k);
}

/** Deterministic natural logarithm for x > 0. */
export function detLog(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  if (x === Infinity) return Infinity;
  let e = 0;
  let m = x;
  if (m < 2.2250738585072014e-308) {
    m *= 2 ** 54;
    e -= 54;
  }
  scratch.setFloat64(0, m);
  const hiWord = scratch.getUint32(0);
  e += ((hiWord >>> 20) & 0x7ff) - 1023;
  scratch.setUint32(0, (hiWord & 0x800fffff) | (1023 << 20));
  m = scratch.getFloat64(0); // m in [1, 2)
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  } // m in [0.707, 1.414]
  const s = (m - 1) / (m + 1); // |s| <= 0.1716
  const s2 = s * s;
  // 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), to s^23: error < 1e-18.
  let p = 1 / 23;
  for (let d = 21; d >= 1; d -= 2) p = p * s2 + 1 / d;
  return e * LN2_HI + (e * LN2_LO + 2 * s * p);
}

/** Deterministic complementary error function (Chebyshev fit, fractional error < 1.2e-7). */
export function detErfc(x: number): number {
  const z = x < 0 ? -x : x;
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * detExp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

const INV_SQRT2 = 0.7071067811865476;

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return 0.5 * detErfc(-x * INV_SQRT2);
}

/** Standard logistic CDF 1 / (1 + e^-x). */
export function logisticCdf(x: number): number {
  if (x >= 0) return 1 / (1 + detExp(-x));
  const e = detExp(x);
  return e / (1 + e);
}

const TWO_PI = 6.283185307179586;

/** Deterministic (cos 2πu, sin 2πu) for u in [0, 1), from +,-,*,/ only. */
export function cosSin2Pi(u: number, out: Float64Array): void {
  const q = Math.round(u * 4); // quadrant 0..4
  const t = TWO_PI * (u - q * 0.25); // |t| <= π/4
  const t2 = t * t;
  // Taylor to t^17 / t^18: error < 1e-17 on |t| <= π/4.
  let s = -1 / 355687428096000;
  s = s * t2 + 1 / 1307674368000;
  s = s * t2 - 1 / 6227020800;
  s = s * t2 + 1 / 39916800;
  s = s * t2 - 1 / 362880;
  s = s * t2 + 1 / 5040;
  s = s * t2 - 1 / 120;
  s = s * t2 + 1 / 6;
  s = t - t * t2 * s;
  let c = 1 / 6402373705728000;
  c = c * t2 - 1 / 20922789888000;
  c = c * t2 + 1 / 87178291200;
  c = c * t2 - 1 / 479001600;
  c = c * t2 + 1 / 3628800;
  c = c * t2 - 1 / 40320;
  c = c * t2 + 1 / 720;
  c = c * t2 - 1 / 24;
  c = c * t2 + 0.5;
  c = 1 - t2 * c;
  switch (q & 3) {
    case 0: out[0] = c; out[1] = s; break;
    case 1: out[0] = -s; out[1] = c; break;
    case 2: out[0] = -c; out[1] = -s; break;
    default: out[0] = s; out[1] = -c; break;
  }
}

/** Deterministic (cos x, sin x) for moderate |x| (|x| < 2^20), via x / 2π reduced to [0, 1). */
export function detCosSin(x: number, out: Float64Array): void {
  const u = x / TWO_PI;
  cosSin2Pi(u - Math.floor(u), out);
}

/**
 * Solves A x = b (small, dense) by Gauss–Jordan elimination with partial pivoting; a singular
 * pivot leaves its unknown at 0. Plain float64 arithmetic, used by encoders' least-squares fits.
 */
export function solveLinear(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    if (Math.abs(M[c][c]) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => (Math.abs(row[i]) < 1e-12 ? 0 : row[n] / row[i]));
}
