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

function solve(A: number[][], b: number[]): number[] {
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

/**
 * Encoder side: fits the context parameters for residuals r (all known) minimising
 * `bits(p)`, an estimate of the coded size under parameters p. `scaleHint` centres the scale search
 * when the residuals carry noise on top of the value being modelled (a quantiser's dither).
 */
export function fitContext(g: Grid, r: Float64Array, mask: Uint8Array | null, bits: (p: ContextParams) => number, scaleHint?: number): ContextParams {
  const A = Array.from({ length: N_CTX }, () => new Array(N_CTX).fill(0));
  const b = new Array(N_CTX).fill(0);
  const nb = new Int32Array(N_CTX);
  let count = 0;
  let sumSq = 0;
  for (let y = 0; y < g.height; y++) for (let x = 0; x < g.width; x++) for (let c = 0; c < g.channels; c++) {
    const i = (y * g.width + x) * g.channels + c;
    if (mask && !mask[i]) continue;
    neighbours(g, y, x, c, mask, nb);
    count++;
    sumSq += r[i] * r[i];
    for (let p = 0; p < N_CTX; p++) {
      const fp = nb[p] < 0 ? 0 : r[nb[p]];
      b[p] += fp * r[i];
      for (let q = 0; q < N_CTX; q++) A[p][q] += fp * (nb[q] < 0 ? 0 : r[nb[q]]);
    }
  }
  const ridge = 1e-3 * Math.max(1e-9, sumSq);
  for (let p = 0; p < N_CTX; p++) A[p][p] += ridge;
  const w = Int8Array.from(solve(A, b), (x) => Math.max(-128, Math.min(127, Math.round(x * WEIGHT_SCALE))));
  // rms of the corrected prediction error: the centre of the σ0 search
  let se = 0;
  scanContext(g, { law: 0, qSigma: 0, qBeta: 0, w }, mask, (i, off) => {
    se += (r[i] - off) ** 2;
  }, (i) => r[i]);
  const q0 = toIndex(scaleHint ?? Math.max(1e-3, Math.sqrt(se / Math.max(1, count))), SIGMA_GRID);
  // without offsets, the scale is centred on the plain rms
  const q1 = toIndex(scaleHint ?? Math.max(1e-3, Math.sqrt(sumSq / Math.max(1, count))), SIGMA_GRID);
  // coordinate search: offsets × law × σ0 at β = 0, then β, then σ0 again around the best
  let best: ContextParams = { law: 0, qSigma: q0, qBeta: 0, w };
  let bestBits = Infinity;
  const tryCand = (cand: ContextParams) => {
    const cost = bits(cand);
    if (cost < bestBits) {
      bestBits = cost;
      best = cand;
    }
  };
  const clampQ = (q: number) => Math.max(0, Math.min(255, q));
  // the fitted offsets, and none (when the neighbours are mostly noise, e.g. early steps)
  for (const [ww, qc] of [[w, q0], [new Int8Array(N_CTX), q1]] as Array<[Int8Array, number]>) {
    for (let law = 0; law < LAWS.length; law++) for (const dq of [-48, -32, -16, -8, 0, 8]) tryCand({ law, qSigma: clampQ(qc + dq), qBeta: 0, w: ww });
  }
  const base = best;
  for (const qBeta of [16, 32, 48, 64, 96, 128]) for (const dq of [-32, -16, -8, 0]) tryCand({ ...base, qSigma: clampQ(base.qSigma + dq), qBeta });
  const mid = best;
  for (const dq of [-6, -4, -2, 2, 4, 6]) tryCand({ ...mid, qSigma: clampQ(mid.qSigma + dq) });
  for (const db of [-8, 8]) tryCand({ ...best, qBeta: Math.max(0, Math.min(255, best.qBeta + db)) });
  return best;
}
