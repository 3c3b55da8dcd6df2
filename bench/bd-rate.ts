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
