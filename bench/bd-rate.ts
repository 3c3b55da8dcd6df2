/**
 * Bjøntegaard delta rate: the average bitrate difference (%) of codec B vs codec A at equal PSNR,
 * from cubic fits of log(rate) against PSNR over the overlapping PSNR range. Negative: B needs
 * fewer bits.
 */
import { solveLinear } from '../src/bitstream/deterministic-math.js';

export interface RdPoint {
  bpp: number;
  psnr: number;
}

function polyfit3(x: number[], y: number[]): number[] {
  // least squares for y = c0 + c1 x + c2 x² + c3 x³ through the normal equations
  const m = 4;
  const A = Array.from({ length: m }, () => new Array(m).fill(0));
  const b = new Array(m).fill(0);
  for (let i = 0; i < x.length; i++) {
    const p = [1, x[i], x[i] ** 2, x[i] ** 3];
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < m; c++) A[r][c] += p[r] * p[c];
      b[r] += p[r] * y[i];
    }
  }
  return solveLinear(A, b);
}

function integral(c: number[], a: number, b: number): number {
  const F = (x: number) => c[0] * x + (c[1] * x * x) / 2 + (c[2] * x ** 3) / 3 + (c[3] * x ** 4) / 4;
  return F(b) - F(a);
}

export function bdRate(a: RdPoint[], b: RdPoint[]): number | null {
  const fa = a.filter((p) => Number.isFinite(p.psnr) && p.bpp > 0);
  const fb = b.filter((p) => Number.isFinite(p.psnr) && p.bpp > 0);
  if (fa.length < 4 || fb.length < 4) return null;
  const lo = Math.max(Math.min(...fa.map((p) => p.psnr)), Math.min(...fb.map((p) => p.psnr)));
  const hi = Math.min(Math.max(...fa.map((p) => p.psnr)), Math.max(...fb.map((p) => p.psnr)));
  if (!(hi > lo)) return null;
  // centre PSNR for conditioning
  const mid = (lo + hi) / 2;
  const ca = polyfit3(fa.map((p) => p.psnr - mid), fa.map((p) => Math.log(p.bpp)));
  const cb = polyfit3(fb.map((p) => p.psnr - mid), fb.map((p) => Math.log(p.bpp)));
  const avg = (integral(cb, lo - mid, hi - mid) - integral(ca, lo - mid, hi - mid)) / (hi - lo);
  return (Math.exp(avg) - 1) * 100;
}

/**
 * A curve as log(rate) over PSNR, for interpolation: sorted by rate, keeping only points that raise
 * the PSNR (a point at a higher rate with no better PSNR is never a codec's operating point).
 */
function logRateOverPsnr(points: RdPoint[]): { x: number[]; y: number[] } {
  const sorted = points.filter((p) => Number.isFinite(p.psnr) && p.bpp > 0).sort((p, q) => p.bpp - q.bpp);
  const x: number[] = [];
  const y: number[] = [];
  for (const p of sorted) {
    if (x.length && p.psnr <= x[x.length - 1]) continue;
    x.push(p.psnr);
    y.push(Math.log(p.bpp));
  }
  return { x, y };
}

/** Fritsch–Carlson slopes of the monotone piecewise-cubic Hermite interpolant through (x, y). */
function pchipSlopes(x: number[], y: number[]): number[] {
  const n = x.length;
  const h = x.slice(1).map((v, i) => v - x[i]);
  const s = h.map((hi, i) => (y[i + 1] - y[i]) / hi);
  if (n === 2) return [s[0], s[0]];
  const d = new Array<number>(n).fill(0);
  for (let i = 1; i < n - 1; i++) {
    if (s[i - 1] * s[i] <= 0) continue;
    const w1 = 2 * h[i] + h[i - 1];
    const w2 = h[i] + 2 * h[i - 1];
    d[i] = (w1 + w2) / (w1 / s[i - 1] + w2 / s[i]);
  }
  // one-sided three-point ends, kept monotone
  const end = (h0: number, h1: number, s0: number, s1: number) => {
    const v = ((2 * h0 + h1) * s0 - h0 * s1) / (h0 + h1);
    if (Math.sign(v) !== Math.sign(s0)) return 0;
    if (Math.sign(s0) !== Math.sign(s1) && Math.abs(v) > 3 * Math.abs(s0)) return 3 * s0;
    return v;
  };
  d[0] = end(h[0], h[1], s[0], s[1]);
  d[n - 1] = end(h[n - 2], h[n - 3], s[n - 2], s[n - 3]);
  return d;
}

/** ∫ over [lo, hi] of the PCHIP interpolant through (x, y) (x increasing, [lo, hi] inside its range). */
function pchipIntegral(x: number[], y: number[], lo: number, hi: number): number {
  const d = pchipSlopes(x, y);
  // the Hermite cubic of segment i, integrated over its part of [lo, hi] by Simpson's rule (exact for cubics)
  let total = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = Math.max(lo, x[i]);
    const b = Math.min(hi, x[i + 1]);
    if (!(b > a)) continue;
    const h = x[i + 1] - x[i];
    const f = (t: number) => {
      const u = (t - x[i]) / h;
      const u2 = u * u;
      const u3 = u2 * u;
      return (2 * u3 - 3 * u2 + 1) * y[i] + (u3 - 2 * u2 + u) * h * d[i] + (-2 * u3 + 3 * u2) * y[i + 1] + (u3 - u2) * h * d[i + 1];
    };
    total += ((b - a) / 6) * (f(a) + 4 * f((a + b) / 2) + f(b));
  }
  return total;
}

/**
 * BD-rate with each curve interpolated by a monotone piecewise-cubic Hermite (PCHIP) of log(rate)
 * over PSNR instead of one cubic fit (as the later Bjøntegaard-delta practice does): with few points
 * spread over a wide PSNR range — a progressive JPEG cut at our handful of truncation points — a
 * single cubic can swing far outside the data and one image's BD-rate explode (rocket at 64x64 against the cut, session 13: +6.9e8%, where PCHIP gives −82%).
 * Needs 2 points per curve and overlapping PSNR ranges; else null.
 */
export function bdRatePchip(a: RdPoint[], b: RdPoint[]): number | null {
  const ca = logRateOverPsnr(a);
  const cb = logRateOverPsnr(b);
  if (ca.x.length < 2 || cb.x.length < 2) return null;
  const lo = Math.max(ca.x[0], cb.x[0]);
  const hi = Math.min(ca.x[ca.x.length - 1], cb.x[cb.x.length - 1]);
  if (!(hi > lo)) return null;
  const avg = (pchipIntegral(cb.x, cb.y, lo, hi) - pchipIntegral(ca.x, ca.y, lo, hi)) / (hi - lo);
  return (Math.exp(avg) - 1) * 100;
}

/** PSNR of the time-shared mix spending fraction u at the point of PSNR `b` and 1 − u at `a` (MSE linear in u). */
export function timeSharedPsnr(a: number, b: number, u: number): number {
  return -10 * Math.log10(10 ** (-a / 10) * (1 - u) + 10 ** (-b / 10) * u);
}

/**
 * A curve filled in between neighbouring points by time-sharing: spending a fraction u of the
 * pixels (or of the images) at the higher point and the rest at the lower reaches rate and MSE
 * linear in u — the achievable curve between two operating points, and below the straight line in
 * PSNR. Interpolating log(rate) over PSNR across a wide gap (our last diffusion point at ~2 bpp,
 * the next one a coarse lossless pass at ~10) would credit rates no truncation point offers;
 * filled in this way first, a gap costs what it costs. `parts` − 1 points per gap; a lossless end
 * (PSNR +∞) is shared with too, so the curve reaches up toward it.
 */
export function timeShared(points: RdPoint[], parts = 16): RdPoint[] {
  // a lossless end (PSNR +∞, MSE 0) is a point to share time with, not one of the output's
  const pts = points.filter((p) => !Number.isNaN(p.psnr) && p.psnr > -Infinity && p.bpp > 0).sort((p, q) => p.bpp - q.bpp);
  const out: RdPoint[] = [];
  pts.forEach((p, i) => {
    if (Number.isFinite(p.psnr)) out.push(p);
    const q = pts[i + 1];
    if (!q) return;
    for (let j = 1; j < parts; j++) {
      const u = j / parts;
      out.push({ bpp: p.bpp + u * (q.bpp - p.bpp), psnr: timeSharedPsnr(p.psnr, q.psnr, u) });
    }
  });
  return out;
}
