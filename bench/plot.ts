/** A plain SVG line chart of rate–distortion curves (PSNR vs bits per pixel), rasterised by sharp. */
import sharp from 'sharp';

export interface Series {
  name: string;
  points: Array<{ x: number; y: number }>;
  dashed?: boolean;
}

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf', '#bcbd22'];

/** `yTick`: the y axis spans the data in steps of yTick (default: PSNR-like, 5 dB steps covering 20–40). */
export function rdSvg(title: string, series: Series[], xLabel = 'bits per pixel', yLabel = 'PSNR (dB)', xMax?: number, yTick?: number): string {
  const W = 720;
  const H = 480;
  const m = { l: 60, r: 170, t: 40, b: 50 };
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const x1 = xMax ?? Math.max(1, ...all.map((p) => p.x));
  const ys = all.map((p) => p.y);
  const tick = yTick ?? 5;
  let y0 = yTick ? Math.floor(Math.min(...ys) / tick) * tick : Math.floor(Math.min(...ys, 40) / 5) * 5;
  let y1 = yTick ? Math.ceil(Math.max(...ys) / tick) * tick : Math.ceil(Math.max(...ys, 20) / 5) * 5;
  if (!(y1 > y0)) [y0, y1] = [y0 - tick, y0 + tick];
  const decimals = Math.max(0, -Math.floor(Math.log10(tick) + 1e-9));
  const sx = (x: number) => m.l + (Math.min(x, x1) / x1) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>`];
  parts.push(`<text x="${W / 2 - m.r / 2}" y="22" text-anchor="middle" font-size="15">${title}</text>`);
  for (let i = 0; i <= 5; i++) {
    const xv = (x1 * i) / 5;
    parts.push(`<line x1="${sx(xv)}" y1="${m.t}" x2="${sx(xv)}" y2="${H - m.b}" stroke="#eee"/><text x="${sx(xv)}" y="${H - m.b + 16}" text-anchor="middle">${xv.toFixed(xv < 10 ? 1 : 0)}</text>`);
  }
  for (let k = 0; y0 + k * tick <= y1 + tick * 1e-9; k++) {
    const y = y0 + k * tick;
    parts.push(`<line x1="${m.l}" y1="${sy(y)}" x2="${W - m.r}" y2="${sy(y)}" stroke="#eee"/><text x="${m.l - 6}" y="${sy(y) + 4}" text-anchor="end">${y.toFixed(decimals)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${xLabel}</text><text x="16" y="${(m.t + H - m.b) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(m.t + H - m.b) / 2})">${yLabel}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.x <= x1).sort((a, b) => a.x - b.x);
    const c = COLORS[i % COLORS.length];
    if (pts.length) parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''} points="${pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2.5" fill="${c}"/>`);
    parts.push(`<line x1="${W - m.r + 12}" y1="${m.t + 10 + i * 18}" x2="${W - m.r + 32}" y2="${m.t + 10 + i * 18}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/><text x="${W - m.r + 38}" y="${m.t + 14 + i * 18}">${s.name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export async function svgToPng(svg: string, path: string): Promise<void> {
  await sharp(Buffer.from(svg)).png().toFile(path);
}
