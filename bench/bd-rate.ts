/**
 * Bjøntegaard delta rate: the average bitrate difference (%) of codec B vs codec A at equal PSNR,
 * from cubic fits of log(rate) against PSNR over the overlapping PSNR range. Negative: B needs
 * fewer bits.
 */
export interface RdPoint {
  bpp: number;
  psnr: number;
}

function polyfit3(x: number[], y: number[]): number[] {
  // least squares for y = c0 + c1 x + c2 x² + c3 x³ (normal equations, Gaussian elimination)
  const m = 4;
  const A = Array.from({ length: m }, () => new Array(m + 1).fill(0));
  for (let i = 0; i < x.length; i++) {
    const p = [1, x[i], x[i] ** 2, x[i] ** 3];
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < m; c++) A[r][c] += p[r] * p[c];
      A[r][m] += p[r] * y[i];
    }
  }
  for (let c = 0; c < m; c++) {
    let piv = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    [A[c], A[piv]] = [A[piv], A[c]];
    for (let r = 0; r < m; r++) {
      if (r === c || A[c][c] === 0) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= m; k++) A[r][k] -= f * A[c][k];
    }
  }
  return A.map((row, i) => row[m] / row[i]);
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
