/**
 * The lossless end of the stream: every 8-bit sample coded given the last diffusion state.
 *
 * The model gives a mean m (x̂_0 in level units) for every sample. Its errors are spatially
 * correlated and their size varies across the image, so the coder adapts causally, the way lossless
 * image coders do: in raster order (channels interleaved) the mean is corrected by a weighted sum of
 * the model's residuals r = v − m at the already-coded west, north, north-west and north-east
 * neighbours and at the previous channel of the same pixel, and the scale is
 *   σ = σ0 + β · A,  A = mean |e| of the same causal neighbours' final prediction errors.
 * The encoder fits the weights (least squares), σ0, β and the law (Gaussian or logistic) on this
 * image and sends them in 8 bytes. Everything the decoder recomputes is float64 arithmetic on exact
 * inputs, so both sides build identical tables.
 */
import { RangeEncoder, RangeDecoder } from '../bitstream/range-coder.js';
import { pixelLawCdf, pixelLawBits, type ContinuousLaw } from '../bitstream/cdf.js';
import { DdpmError } from '../bitstream/errors.js';
import { toIndex, fromIndex, type LogGrid } from './log-scale.js';

const SIGMA_GRID: LogGrid = { perOctave: 16, offset: 96 };
const LAWS: ContinuousLaw[] = ['gaussian', 'logistic'];
const N_WEIGHTS = 5;
const WEIGHT_SCALE = 64; // weights are sent as int8 / 64
const BETA_SCALE = 64; // β is sent as uint8 / 64
const SIDE_BYTES = 3 + N_WEIGHTS;

export interface Geometry {
  width: number;
  height: number;
  channels: number;
}

interface Side {
  law: number;
  qSigma: number;
  qBeta: number;
  w: Int8Array;
}

/** Causal neighbour offsets (in samples) for sample (y, x, c); -1 where absent. */
function neighbours(g: Geometry, y: number, x: number, c: number, out: Int32Array): void {
  const C = g.channels;
  const row = g.width * C;
  const i = (y * g.width + x) * C + c;
  out[0] = x > 0 ? i - C : -1; // W
  out[1] = y > 0 ? i - row : -1; // N
  out[2] = x > 0 && y > 0 ? i - row - C : -1; // NW
  out[3] = y > 0 && x + 1 < g.width ? i - row + C : -1; // NE
  out[4] = c > 0 ? i - 1 : -1; // previous channel, same pixel
}

/** Corrected mean and scale of sample i given the residuals r and final errors e of coded samples. */
function predict(i: number, nb: Int32Array, m: Float64Array, r: Float64Array, e: Float64Array, w: Int8Array, sigma0: number, beta: number, out: Float64Array): void {
  let mean = m[i];
  let a = 0;
  let cnt = 0;
  for (let k = 0; k < N_WEIGHTS; k++) {
    const j = nb[k];
    if (j < 0) continue;
    mean += (w[k] / WEIGHT_SCALE) * r[j];
    a += Math.abs(e[j]);
    cnt++;
  }
  out[0] = mean < -64 ? -64 : mean > 319 ? 319 : mean;
  out[1] = sigma0 + beta * (cnt ? a / cnt : 0);
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

function fitWeights(g: Geometry, v: Uint8Array, m: Float64Array): Int8Array {
  const A = Array.from({ length: N_WEIGHTS }, () => new Array(N_WEIGHTS).fill(0));
  const b = new Array(N_WEIGHTS).fill(0);
  const nb = new Int32Array(N_WEIGHTS);
  const f = new Float64Array(N_WEIGHTS);
  for (let y = 0; y < g.height; y++) for (let x = 0; x < g.width; x++) for (let c = 0; c < g.channels; c++) {
    const i = (y * g.width + x) * g.channels + c;
    neighbours(g, y, x, c, nb);
    for (let k = 0; k < N_WEIGHTS; k++) f[k] = nb[k] < 0 ? 0 : v[nb[k]] - m[nb[k]];
    const target = v[i] - m[i];
    for (let p = 0; p < N_WEIGHTS; p++) {
      b[p] += f[p] * target;
      for (let q = 0; q < N_WEIGHTS; q++) A[p][q] += f[p] * f[q];
    }
  }
  const count = g.width * g.height * g.channels;
  for (let p = 0; p < N_WEIGHTS; p++) A[p][p] += 1e-3 * count; // ridge
  return Int8Array.from(solve(A, b), (x) => Math.max(-128, Math.min(127, Math.round(x * WEIGHT_SCALE))));
}

/** Runs the causal predictor over all samples (encoder side: all values known). */
function scan(g: Geometry, v: Uint8Array, m: Float64Array, s: Side, visit: (i: number, mean: number, scale: number) => void): void {
  const n = v.length;
  const r = new Float64Array(n);
  const e = new Float64Array(n);
  const nb = new Int32Array(N_WEIGHTS);
  const ms = new Float64Array(2);
  const sigma0 = fromIndex(s.qSigma, SIGMA_GRID);
  const beta = s.qBeta / BETA_SCALE;
  for (let y = 0; y < g.height; y++) for (let x = 0; x < g.width; x++) for (let c = 0; c < g.channels; c++) {
    const i = (y * g.width + x) * g.channels + c;
    neighbours(g, y, x, c, nb);
    predict(i, nb, m, r, e, s.w, sigma0, beta, ms);
    visit(i, ms[0], ms[1]);
    r[i] = v[i] - m[i];
    e[i] = v[i] - ms[0];
  }
}

function approxBits(g: Geometry, v: Uint8Array, m: Float64Array, s: Side): number {
  let bits = 0;
  const law = LAWS[s.law];
  // logistic scale s relates to std as s = std·√3/π
  const k = law === 'logistic' ? Math.sqrt(3) / Math.PI : 1;
  scan(g, v, m, s, (i, mean, scale) => {
    bits += pixelLawBits(law, v[i], mean, scale * k);
  });
  return bits;
}

/** samples: the 8-bit levels (image order, channels interleaved); means: x̂_0 in [-1, 1]. */
export function x0Encode(samples: Uint8Array, means: Float64Array, g: Geometry): Uint8Array {
  const m = Float64Array.from(means, (x) => (x + 1) * 127.5);
  const w = fitWeights(g, samples, m);
  // starting point for σ0 / β: least squares of |e| on A with the fitted weights and β = 0
  let best: Side = { law: 0, qSigma: 0, qBeta: 0, w };
  let se = 0;
  scan(g, samples, m, { ...best, qSigma: toIndex(1, SIGMA_GRID) }, (i, mean) => {
    se += (samples[i] - mean) ** 2;
  });
  const rms = Math.sqrt(se / Math.max(1, samples.length));
  let bestBits = Infinity;
  const q0 = toIndex(Math.max(0.3, rms), SIGMA_GRID);
  for (let law = 0; law < LAWS.length; law++) {
    for (const dq of [-48, -32, -24, -16, -8, 0, 8]) {
      for (const qBeta of [0, 16, 32, 48, 64, 80, 96, 128]) {
        const cand: Side = { law, qSigma: Math.max(0, Math.min(255, q0 + dq)), qBeta, w };
        const bits = approxBits(g, samples, m, cand);
        if (bits < bestBits) {
          bestBits = bits;
          best = cand;
        }
      }
    }
  }
  const enc = new RangeEncoder();
  const law = LAWS[best.law];
  const k = law === 'logistic' ? Math.sqrt(3) / Math.PI : 1;
  const table = new Uint32Array(257);
  scan(g, samples, m, best, (i, mean, scale) => {
    enc.encode(pixelLawCdf(law, mean, scale * k, table), samples[i]);
  });
  const body = enc.finish();
  const out = new Uint8Array(SIDE_BYTES + body.length);
  out[0] = best.law;
  out[1] = best.qSigma;
  out[2] = best.qBeta;
  out.set(new Uint8Array(best.w.buffer, best.w.byteOffset, N_WEIGHTS), 3);
  out.set(body, SIDE_BYTES);
  return out;
}

export function x0Decode(payload: Uint8Array, means: Float64Array, g: Geometry): Uint8Array {
  if (payload.length < SIDE_BYTES) throw new DdpmError('CORRUPT', 'x0 chunk is too short');
  if (payload[0] >= LAWS.length) throw new DdpmError('CORRUPT', 'x0 chunk: unknown law');
  const s: Side = { law: payload[0], qSigma: payload[1], qBeta: payload[2], w: new Int8Array(payload.slice(3, 3 + N_WEIGHTS).buffer) };
  const law = LAWS[s.law];
  const k = law === 'logistic' ? Math.sqrt(3) / Math.PI : 1;
  const m = Float64Array.from(means, (x) => (x + 1) * 127.5);
  const dec = new RangeDecoder(payload.subarray(SIDE_BYTES));
  const n = means.length;
  const v = new Uint8Array(n);
  const r = new Float64Array(n);
  const e = new Float64Array(n);
  const nb = new Int32Array(N_WEIGHTS);
  const ms = new Float64Array(2);
  const sigma0 = fromIndex(s.qSigma, SIGMA_GRID);
  const beta = s.qBeta / BETA_SCALE;
  const table = new Uint32Array(257);
  for (let y = 0; y < g.height; y++) for (let x = 0; x < g.width; x++) for (let c = 0; c < g.channels; c++) {
    const i = (y * g.width + x) * g.channels + c;
    neighbours(g, y, x, c, nb);
    predict(i, nb, m, r, e, s.w, sigma0, beta, ms);
    v[i] = dec.decode(pixelLawCdf(law, ms[0], ms[1] * k, table));
    r[i] = v[i] - m[i];
    e[i] = v[i] - ms[0];
  }
  if (dec.overrun > 8) throw new DdpmError('CORRUPT', 'x0 chunk ended early (corrupt or desynchronised)');
  return v;
}
