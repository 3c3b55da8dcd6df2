/** Image quality metrics on 8-bit images: PSNR (RGB) and MS-SSIM (Wang, Simoncelli, Bovik 2003). */
export interface Img {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

export function psnr(a: Img, b: Img): number {
  let se = 0;
  for (let i = 0; i < a.data.length; i++) se += (a.data[i] - b.data[i]) ** 2;
  const mse = se / a.data.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

const MS_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];

function gaussianKernel(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  let s = 0;
  for (let i = 0; i < size; i++) {
    const d = i - (size - 1) / 2;
    k[i] = Math.exp(-(d * d) / (2 * sigma * sigma));
    s += k[i];
  }
  return k.map((v) => v / s);
}

/** Separable 'valid' filtering of a w x h plane. */
function filter(p: Float64Array, w: number, h: number, k: Float64Array): { out: Float64Array; w: number; h: number } {
  const n = k.length;
  const w1 = w - n + 1;
  const h1 = h - n + 1;
  const tmp = new Float64Array(w1 * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w1; x++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += k[i] * p[y * w + x + i];
    tmp[y * w1 + x] = s;
  }
  const out = new Float64Array(w1 * h1);
  for (let y = 0; y < h1; y++) for (let x = 0; x < w1; x++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += k[i] * tmp[(y + i) * w1 + x];
    out[y * w1 + x] = s;
  }
  return { out, w: w1, h: h1 };
}

function ssimParts(a: Float64Array, b: Float64Array, w: number, h: number): { l: number; cs: number } {
  const size = Math.min(11, w, h);
  const k = gaussianKernel(size, (1.5 * size) / 11);
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  const ab = a.map((v, i) => v * b[i]);
  const mA = filter(a, w, h, k);
  const mB = filter(b, w, h, k).out;
  const sAA = filter(a.map((v) => v * v), w, h, k).out;
  const sBB = filter(b.map((v) => v * v), w, h, k).out;
  const sAB = filter(ab, w, h, k).out;
  let l = 0;
  let cs = 0;
  const n = mA.out.length;
  for (let i = 0; i < n; i++) {
    const ma = mA.out[i];
    const mb = mB[i];
    const va = sAA[i] - ma * ma;
    const vb = sBB[i] - mb * mb;
    const cov = sAB[i] - ma * mb;
    l += (2 * ma * mb + C1) / (ma * ma + mb * mb + C1);
    cs += (2 * cov + C2) / (va + vb + C2);
  }
  return { l: l / n, cs: cs / n };
}

function downsample2(p: Float64Array, w: number, h: number): { p: Float64Array; w: number; h: number } {
  const w2 = Math.floor(w / 2);
  const h2 = Math.floor(h / 2);
  const o = new Float64Array(w2 * h2);
  for (let y = 0; y < h2; y++) for (let x = 0; x < w2; x++) o[y * w2 + x] = (p[2 * y * w + 2 * x] + p[2 * y * w + 2 * x + 1] + p[(2 * y + 1) * w + 2 * x] + p[(2 * y + 1) * w + 2 * x + 1]) / 4;
  return { p: o, w: w2, h: h2 };
}

/**
 * MS-SSIM averaged over channels. Five scales with the standard weights; at small images the
 * Gaussian window shrinks to the plane size (a 64x64 image has a 4x4 coarsest scale).
 */
export function msssim(a: Img, b: Img): number {
  let total = 0;
  for (let c = 0; c < a.channels; c++) {
    let pa: Float64Array = new Float64Array(a.width * a.height);
    let pb: Float64Array = new Float64Array(a.width * a.height);
    for (let i = 0; i < pa.length; i++) {
      pa[i] = a.data[i * a.channels + c];
      pb[i] = b.data[i * a.channels + c];
    }
    let w = a.width;
    let h = a.height;
    let v = 1;
    for (let s = 0; s < MS_WEIGHTS.length; s++) {
      const { l, cs } = ssimParts(pa, pb, w, h);
      v *= Math.max(s === MS_WEIGHTS.length - 1 ? l * cs : cs, 1e-6) ** MS_WEIGHTS[s];
      if (s < MS_WEIGHTS.length - 1) {
        const da = downsample2(pa, w, h);
        pb = downsample2(pb, w, h).p;
        pa = da.p;
        w = da.w;
        h = da.h;
        if (w < 2 || h < 2) break;
      }
    }
    total += v;
  }
  return total / a.channels;
}
