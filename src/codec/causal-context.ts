/**
 * Causal context modelling shared by the diffusion-step channel and the lossless x0 coder.
 *
 * Values are visited in raster order, channels interleaved. For value i, the already-coded
 * west, north, north-west and north-east neighbours (same channel) and the previous channel of the
 * same pixel predict
 *   offset_i = Σ_k w_k r_k                (r: the neighbours' residual values)
 *   scale_i  = σ0 + β · mean_k |e_k|      (e: the neighbours' final prediction errors)
 * under a Gaussian or logistic law. The encoder fits w by least squares and searches σ0, β and the
 * law on the image (8 bytes of side information). All arithmetic is float64 on values both sides
 * know exactly, so encoder and decoder compute identical predictions.
 */
import { DdpmError } from '../bitstream/errors.js';
import type { ContinuousLaw } from '../bitstream/cdf.js';
import { toIndex, fromIndex, type LogGrid } from './log-scale.js';
import { solveLinear } from '../bitstream/deterministic-math.js';

export interface Grid {
  width: number;
  height: number;
  channels: number;
}

export const N_CTX = 5;
export const CONTEXT_BYTES = 3 + N_CTX;
const LAWS: ContinuousLaw[] = ['gaussian', 'logistic'];
const SIGMA_GRID: LogGrid = { perOctave: 16, offset: 160 };
const WEIGHT_SCALE = 64;
const BETA_SCALE = 64;
/** a logistic with std σ has scale σ·√3/π */
const LOGISTIC_SCALE = Math.sqrt(3) / Math.PI;

export interface ContextParams {
  law: number;
  qSigma: number;
  qBeta: number;
  w: Int8Array;
}

export function writeContext(p: ContextParams): Uint8Array {
  const out = new Uint8Array(CONTEXT_BYTES);
  out[0] = p.law;
  out[1] = p.qSigma;
  out[2] = p.qBeta;
  for (let k = 0; k < N_CTX; k++) out[3 + k] = p.w[k] & 0xff;
  return out;
}

export function readContext(b: Uint8Array): ContextParams {
  if (b.length < CONTEXT_BYTES) throw new DdpmError('CORRUPT', 'context parameters truncated');
  if (b[0] >= LAWS.length) throw new DdpmError('CORRUPT', 'unknown law in context parameters');
  return { law: b[0], qSigma: b[1], qBeta: b[2], w: Int8Array.from(b.subarray(3, 3 + N_CTX), (x) => (x << 24) >> 24) };
}

/** The law and the factor that turns a std-like scale into the law's own scale parameter. */
export function lawOf(p: ContextParams): { law: ContinuousLaw; k: number } {
  const law = LAWS[p.law];
  return { law, k: law === 'logistic' ? LOGISTIC_SCALE : 1 };
}

/** Causal neighbour indices of value (y, x, c); -1 where absent or not coded. */
function neighbours(g: Grid, y: number, x: number, c: number, mask: Uint8Array | null, out: Int32Array): void {
  const C = g.channels;
  const row = g.width * C;
  const i = (y * g.width + x) * C + c;
  out[0] = x > 0 ? i - C : -1;
  out[1] = y > 0 ? i - row : -1;
  out[2] = x > 0 && y > 0 ? i - row - C : -1;
  out[3] = y > 0 && x + 1 < g.width ? i - row + C : -1;
  out[4] = c > 0 ? i - 1 : -1;
  if (mask) for (let k = 0; k < N_CTX; k++) if (out[k] >= 0 && !mask[out[k]]) out[k] = -1;
}

/**
 * Runs the predictor over all coded values. `residual(i)` is called after `visit(i, …)` and must
 * return value i's residual (the decoder knows it only once value i is decoded).
 */
export function scanContext(g: Grid, p: ContextParams, mask: Uint8Array | null, visit: (i: number, offset: number, scale: number) => void, residual: (i: number) => number): void {
  const n = g.width * g.height * g.channels;
  const r = new Float64Array(n);
  const e = new Float64Array(n);
  const nb = new Int32Array(N_CTX);
  const sigma0 = fromIndex(p.qSigma, SIGMA_GRID);
  const beta = p.qBeta / BETA_SCALE;
  for (let y = 0; y < g.height; y++) {
    for (let x = 0; x < g.width; x++) {
      for (let c = 0; c < g.channels; c++) {
        const i = (y * g.width + x) * g.channels + c;
        if (mask && !mask[i]) continue;
        neighbours(g, y, x, c, mask, nb);
        let off = 0;
        let a = 0;
        let cnt = 0;
        for (let k = 0; k < N_CTX; k++) {
          const j = nb[k];
          if (j < 0) continue;
          off += (p.w[k] / WEIGHT_SCALE) * r[j];
          a += Math.abs(e[j]);
          cnt++;
        }
        visit(i, off, sigma0 + beta * (cnt ? a / cnt : 0));
        r[i] = residual(i);
        e[i] = r[i] - off;
      }
    }
  }
}

/** −log2 P(value i) for a prediction (offset, law scale) under `law` (the encoder's cost model). */
export type SampleBits = (i: number, offset: number, lawScale: number, law: ContinuousLaw) => number;

/** Offsets and neighbour error means of every `stride`-th coded value for fixed weights. */
function contextFeatures(g: Grid, w: Int8Array, r: Float64Array, mask: Uint8Array | null, stride: number): { idx: Int32Array; off: Float64Array; a: Float64Array } {
  const idx: number[] = [];
  const off: number[] = [];
  const a: number[] = [];
  // σ0 = 0, β = 1: the visited scale is exactly the neighbours' mean |e|
  scanContext(g, { law: 0, qSigma: 0, qBeta: BETA_SCALE, w }, mask, (i, o, sc) => {
    if (i % stride) return;
    idx.push(i);
    off.push(o);
    a.push(sc - fromIndex(0, SIGMA_GRID));
  }, (i) => r[i]);
  return { idx: Int32Array.from(idx), off: Float64Array.from(off), a: Float64Array.from(a) };
}

/**
 * Encoder side: fits the context parameters for residuals r (all known): least-squares weights
 * (or none), then law, σ0 and β by coordinate search on the estimated size Σ sampleBits over every
 * `stride`-th value (returned, scaled up, as `estimatedBits`). `scaleHint` centres the scale search when the residuals carry noise on top of
 * the value being modelled (a quantiser's dither).
 */
export function fitContext(g: Grid, r: Float64Array, mask: Uint8Array | null, sampleBits: SampleBits, scaleHint?: number, stride = 1): ContextParams & { estimatedBits: number } {
  const A = Array.from({ length: N_CTX }, () => new Array(N_CTX).fill(0));
  const b = new Array(N_CTX).fill(0);
  const nb = new Int32Array(N_CTX);
  let sumSq = 0;
  for (let y = 0; y < g.height; y++) for (let x = 0; x < g.width; x++) for (let c = 0; c < g.channels; c++) {
    const i = (y * g.width + x) * g.channels + c;
    if (mask && !mask[i]) continue;
    neighbours(g, y, x, c, mask, nb);
    sumSq += r[i] * r[i];
    for (let p = 0; p < N_CTX; p++) {
      const fp = nb[p] < 0 ? 0 : r[nb[p]];
      b[p] += fp * r[i];
      for (let q = 0; q < N_CTX; q++) A[p][q] += fp * (nb[q] < 0 ? 0 : r[nb[q]]);
    }
  }
  const ridge = 1e-3 * Math.max(1e-9, sumSq);
  for (let p = 0; p < N_CTX; p++) A[p][p] += ridge;
  const fitted = Int8Array.from(solveLinear(A, b), (x) => Math.max(-128, Math.min(127, Math.round(x * WEIGHT_SCALE))));
  const none = new Int8Array(N_CTX);
  const feats = new Map<Int8Array, ReturnType<typeof contextFeatures>>();
  for (const w of [fitted, none]) feats.set(w, contextFeatures(g, w, r, mask, stride));
  const rmsOf = (w: Int8Array) => {
    const f = feats.get(w) as ReturnType<typeof contextFeatures>;
    let se = 0;
    for (let j = 0; j < f.idx.length; j++) se += (r[f.idx[j]] - f.off[j]) ** 2;
    return Math.sqrt(se / Math.max(1, f.idx.length));
  };
  const cost = (p: ContextParams) => {
    const f = feats.get(p.w) as ReturnType<typeof contextFeatures>;
    const { law, k } = lawOf(p);
    const s0 = fromIndex(p.qSigma, SIGMA_GRID);
    const beta = p.qBeta / BETA_SCALE;
    let bits = 0;
    for (let j = 0; j < f.idx.length; j++) bits += sampleBits(f.idx[j], f.off[j], (s0 + beta * f.a[j]) * k, law);
    return bits;
  };
  // coordinate search: offsets × law × σ0 at β = 0, then β, then σ0 again around the best
  let best: ContextParams = { law: 0, qSigma: 0, qBeta: 0, w: fitted };
  let bestBits = Infinity;
  const tryCand = (cand: ContextParams) => {
    const c = cost(cand);
    if (c < bestBits) {
      bestBits = c;
      best = cand;
    }
  };
  const clampQ = (q: number) => Math.max(0, Math.min(255, q));
  for (const w of [fitted, none]) {
    const qc = toIndex(scaleHint ?? Math.max(1e-3, rmsOf(w)), SIGMA_GRID);
    for (let law = 0; law < LAWS.length; law++) for (const dq of [-48, -32, -16, -8, 0, 8]) tryCand({ law, qSigma: clampQ(qc + dq), qBeta: 0, w });
  }
  const base = best;
  for (const qBeta of [16, 32, 48, 64, 96, 128]) for (const dq of [-32, -16, -8, 0]) tryCand({ ...base, qSigma: clampQ(base.qSigma + dq), qBeta });
  const mid = best;
  for (const dq of [-6, -4, -2, 2, 4, 6]) tryCand({ ...mid, qSigma: clampQ(mid.qSigma + dq) });
  for (const db of [-8, 8]) tryCand({ ...best, qBeta: Math.max(0, Math.min(255, best.qBeta + db)) });
  return { ...best, estimatedBits: bestBits * stride };
}
