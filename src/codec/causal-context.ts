/**
 * Causal context modelling shared by the diffusion-step channel and the lossless x0 coder.
 *
 * Values v = base + r (base: a prediction both sides know, e.g. the model's x̂_0; r: the residual
 * being coded) are visited in raster order, channels interleaved. For value i the already-coded
 * neighbours give N_CTX features
 *   r_W, r_N, r_NW, r_NE, r_{c−1}, r_{c−2}   (the neighbours' residuals: the model's errors are smooth)
 *   MED − base_i                            (MED: the LOCO-I median predictor on v_W, v_N, v_NW)
 *   MED + (v_{c−1} − MED_{c−1}) − base_i    (the previous channel's deviation from its own MED)
 *   a blend of 14 sub-predictors weighted by their local errors (`blendedPrediction`)
 * and the prediction is
 *   offset_i = Σ_k w_{set,k} f_k            (one weight set per channel, or one for all)
 *   scale_i  = σ0 + β · mean |e|            (e: the final errors of W, N, NW, NE, WW, NN, c−1, c−2)
 * under a Gaussian or logistic law. When the base is a prediction known in full (the x0 coder's
 * x̂_0), two terms use it: the scale adds γ · a_i, a_i the base's local activity (`baseActivity`),
 * and the offset adds an online bias correction — the running mean error of the value's context
 * (channel × activity class × the signs of W, N and MED against the prediction), as CALIC does;
 * both sides update it from decoded values, so it costs no side information. On x̂_0 from t = 5 and
 * 10 of 8 dev-eval photos at 64x64 (2 at 256x256) the two cut the lossless ending by 2.2 / 2.6%
 * (2.0%). The spatial features matter where the model's x̂_0 is still
 * coarse: on the 64x64 dev-eval photos with x̂_0 from t = 99 they cut the lossless ending by 10%.
 * The encoder fits w by least squares and searches σ0, β, γ and the law on the image (4 + sets·N_CTX
 * bytes of side information). All arithmetic is float64 on values both sides know exactly, so
 * encoder and decoder compute identical predictions.
 */
import { DdpmError } from '../bitstream/errors.js';
import type { ContinuousLaw } from '../bitstream/cdf.js';
import { toIndex, fromIndex, type LogGrid } from './log-scale.js';
import { solveLinear, detLog } from '../bitstream/deterministic-math.js';

export interface Grid {
  width: number;
  height: number;
  channels: number;
}

export const N_CTX = 9;
/** sub-predictors blended by their local errors (feature 8, `blendedPrediction`) */
const N_SUB = 14;

/** What the context model may use when the base is a prediction known in full on both sides. */
export interface KnownBase {
  /** `baseActivity` of the base: the scale adds γ times it */
  activity: Float64Array;
  /** correct the offset by the running mean error of the value's context */
  biasCancel: boolean;
}
/** neighbours whose final errors set the scale */
const N_SCALE = 8;

/** Side information bytes for `sets` weight sets. */
export function contextBytes(sets: number): number {
  return 4 + sets * N_CTX;
}
const LAWS: ContinuousLaw[] = ['gaussian', 'logistic'];
const SIGMA_GRID: LogGrid = { perOctave: 16, offset: 160 };
const WEIGHT_SCALE = 64;
const BETA_SCALE = 64;
const GAMMA_SCALE = 64;
/** a logistic with std σ has scale σ·√3/π */
const LOGISTIC_SCALE = Math.sqrt(3) / Math.PI;

export interface ContextParams {
  law: number;
  qSigma: number;
  qBeta: number;
  /** weight of the base's local activity in the scale, in 1/64 */
  qGamma: number;
  /** sets · N_CTX weights in 1/64: set c for channel c when there is one set per channel */
  w: Int8Array;
}

export function writeContext(p: ContextParams): Uint8Array {
  const out = new Uint8Array(4 + p.w.length);
  out[0] = p.law;
  out[1] = p.qSigma;
  out[2] = p.qBeta;
  out[3] = p.qGamma;
  for (let k = 0; k < p.w.length; k++) out[4 + k] = p.w[k] & 0xff;
  return out;
}

export function readContext(b: Uint8Array, sets: number): ContextParams {
  const n = contextBytes(sets);
  if (b.length < n) throw new DdpmError('CORRUPT', 'context parameters truncated');
  if (b[0] >= LAWS.length) throw new DdpmError('CORRUPT', 'unknown law in context parameters');
  return { law: b[0], qSigma: b[1], qBeta: b[2], qGamma: b[3], w: Int8Array.from(b.subarray(4, n), (x) => (x << 24) >> 24) };
}

/** The law and the factor that turns a std-like scale into the law's own scale parameter. */
export function lawOf(p: ContextParams): { law: ContinuousLaw; k: number } {
  const law = LAWS[p.law];
  return { law, k: law === 'logistic' ? LOGISTIC_SCALE : 1 };
}

/** LOCO-I / JPEG-LS median edge detector. */
function med(w: number, n: number, nw: number): number {
  const hi = w > n ? w : n;
  const lo = w > n ? n : w;
  return nw >= hi ? lo : nw <= lo ? hi : w + n - nw;
}

/**
 * Fills the features of value i = (y, x, c) and the indices of its scale neighbours (-1 where
 * absent or not coded). `r` holds the residuals of every value visited so far.
 */
function features(g: Grid, y: number, x: number, c: number, mask: Uint8Array | null, r: Float64Array, base: Float64Array | null, f: Float64Array, nb: Int32Array, blend: Blend): void {
  const C = g.channels;
  const row = g.width * C;
  const i = (y * g.width + x) * C + c;
  const ok = (j: number) => j >= 0 && (!mask || mask[j] === 1);
  const w = x > 0 && ok(i - C) ? i - C : -1;
  const n = y > 0 && ok(i - row) ? i - row : -1;
  const nw = x > 0 && y > 0 && ok(i - row - C) ? i - row - C : -1;
  const ne = y > 0 && x + 1 < g.width && ok(i - row + C) ? i - row + C : -1;
  const c1 = c > 0 && ok(i - 1) ? i - 1 : -1;
  const c2 = c > 1 && ok(i - 2) ? i - 2 : -1;
  nb[0] = w;
  nb[1] = n;
  nb[2] = nw;
  nb[3] = ne;
  nb[4] = c1;
  nb[5] = c2;
  nb[6] = x > 1 && ok(i - 2 * C) ? i - 2 * C : -1;
  nb[7] = y > 1 && ok(i - 2 * row) ? i - 2 * row : -1;
  const rv = (j: number) => (j < 0 ? 0 : r[j]);
  f[0] = rv(w);
  f[1] = rv(n);
  f[2] = rv(nw);
  f[3] = rv(ne);
  f[4] = rv(c1);
  f[5] = rv(c2);
  // spatial predictors on the values v = base + r (a missing neighbour falls back to the base)
  const b = (j: number) => (base ? base[j] : 0);
  const medAt = (k: number, kw: number, kn: number, knw: number) => {
    const vw = kw < 0 ? b(k) : b(kw) + r[kw];
    const vn = kn < 0 ? vw : b(kn) + r[kn];
    const vnw = knw < 0 ? vn : b(knw) + r[knw];
    return med(vw, vn, vnw);
  };
  const m0 = medAt(i, w, n, nw);
  f[6] = m0 - b(i);
  if (c1 >= 0) {
    const j = c1;
    const pw = x > 0 && ok(j - C) ? j - C : -1;
    const pn = y > 0 && ok(j - row) ? j - row : -1;
    const pnw = x > 0 && y > 0 && ok(j - row - C) ? j - row - C : -1;
    f[7] = m0 + (b(j) + r[j] - medAt(j, pw, pn, pnw)) - b(i);
  } else f[7] = f[6];
  f[8] = blendedPrediction(b(i), f[6], w, n, nw, ne, c1, c2, y > 1 && ne >= 0 && ok(ne - row) ? ne - row : -1, ok, r, base, blend);
}

/**
 * Feature 8: N_SUB sub-predictors of the residual, each weighted by 1 / (ε + its errors at the
 * neighbours W, N, c−1 and half those at NW, NE)² — the local choice of predictor that a global
 * least-squares fit cannot make (JPEG XL's weighted predictor and GLICBAWLS blend the same way). The
 * sub-predictors: the model's error carried over from W, from N, averaged over W and NE, and from
 * channel c−1; the spatial gradients W + N − NW, W + NE − N, N + NE − NNE and MED; the model alone;
 * and the inter-channel gradients W + (c−1) − W(c−1), N + (c−1) − N(c−1), NE + (c−1) − NE(c−1),
 * W + (c−2) − W(c−2) and the mean of the first two (a neighbour corrected by how channel c−1
 * changed). With the reweighted fit below, on 8 dev-eval photos at 64x64 (one lossless pass, actual
 * bytes, `bench/x0-passes.ts`) the x0 code shrinks by 2.4% on x̂_0 from t = 5, 3.1% from t = 10,
 * 6.3% from t = 100 and 7.2% with no model at all (13.50 → 12.53 bpp).
 */
function blendedPrediction(bi: number, med: number, w: number, n: number, nw: number, ne: number, c1: number, c2: number, nne: number, ok: (j: number) => boolean, r: Float64Array, base: Float64Array | null, blend: Blend): number {
  const P = blend.sub;
  const rv = (j: number) => (j < 0 ? 0 : r[j]);
  // values v = base + r, relative to this value's base (`med`: feature 6, MED relative to it too)
  const v = (j: number) => (base ? base[j] : 0) + r[j] - bi;
  P[0] = rv(w);
  P[1] = rv(n);
  P[2] = (rv(w) + rv(ne)) / 2;
  P[3] = w >= 0 && n >= 0 && nw >= 0 ? v(w) + v(n) - v(nw) : med;
  P[4] = w >= 0 && n >= 0 && ne >= 0 ? v(w) + v(ne) - v(n) : med;
  P[5] = med;
  P[6] = 0;
  P[7] = n >= 0 && ne >= 0 && nne >= 0 ? v(n) + v(ne) - v(nne) : rv(n);
  // a neighbour j plus how channel c−d changed from j to here (j − d: the neighbour's channel c−d)
  const cross = (j: number, cd: number, d: number, fallback: number) => (j >= 0 && cd >= 0 && ok(j - d) ? v(j) + v(cd) - v(j - d) : fallback);
  P[8] = cross(w, c1, 1, P[0]);
  P[9] = cross(n, c1, 1, P[1]);
  P[10] = rv(c1);
  P[11] = cross(ne, c1, 1, P[8]);
  P[12] = cross(w, c2, 2, P[8]);
  P[13] = (P[8] + P[9]) / 2;
  const E = blend.err;
  const slot = (j: number) => (j % blend.span) * N_SUB;
  let sw = 0;
  let sp = 0;
  for (let k = 0; k < N_SUB; k++) {
    let ek = BLEND_EPS;
    if (w >= 0) ek += E[slot(w) + k];
    if (n >= 0) ek += E[slot(n) + k];
    if (nw >= 0) ek += E[slot(nw) + k] * 0.5;
    if (ne >= 0) ek += E[slot(ne) + k] * 0.5;
    if (c1 >= 0) ek += E[slot(c1) + k];
    const wk = 1 / (ek * ek);
    sw += wk;
    sp += wk * P[k];
  }
  return sp / sw;
}

const BLEND_EPS = 1;
/**
 * Least-squares weights are refitted twice with sample weights 1 / (|error| + 1 level), toward least
 * absolute error: a few large errors (edges, a first row) no longer pull the weights away from what
 * serves the rest (8 dev-eval photos at 64x64, one lossless pass on x̂_0 from t = 5 / 10 / 100:
 * −0.3 / −0.5 / −0.8%; with no model +0.6%).
 */
const IRLS_ITERS = 2;
const IRLS_C = 1;
/**
 * The blend's state: the last two rows' errors under every sub-predictor (the neighbours it reads
 * lie at most a row and a pixel back), as float32 — rounded the same way on both sides.
 */
class Blend {
  readonly sub = new Float64Array(N_SUB);
  readonly span: number;
  readonly err: Float32Array;
  constructor(g: Grid) {
    this.span = 2 * g.width * g.channels;
    this.err = new Float32Array(this.span * N_SUB);
  }
  /** after `features` for value i: record how far each sub-predictor was from its residual */
  record(i: number, r: number): void {
    const at = (i % this.span) * N_SUB;
    for (let k = 0; k < N_SUB; k++) this.err[at + k] = Math.abs(r - this.sub[k]);
  }
}

/**
 * Runs the predictor over all coded values. `residual(i)` is called after `visit(i, …)` and must
 * return value i's residual (the decoder knows it only once value i is decoded). A `visit` that
 * returns false ends the scan there (a decoder at the cut of a truncated stream).
 */
export function scanContext(g: Grid, p: ContextParams, mask: Uint8Array | null, base: Float64Array | null, visit: (i: number, offset: number, scale: number) => boolean | void, residual: (i: number) => number, known: KnownBase | null = null): void {
  const n = g.width * g.height * g.channels;
  const r = new Float64Array(n);
  const e = new Float64Array(n);
  const f = new Float64Array(N_CTX);
  const nb = new Int32Array(N_SCALE);
  const sigma0 = fromIndex(p.qSigma, SIGMA_GRID);
  const beta = p.qBeta / BETA_SCALE;
  const gamma = p.qGamma / GAMMA_SCALE;
  const perChannel = p.w.length > N_CTX;
  const activity = known ? known.activity : null;
  const bias = known && known.biasCancel ? new BiasCancel() : null;
  const blend = new Blend(g);
  for (let y = 0; y < g.height; y++) {
    for (let x = 0; x < g.width; x++) {
      for (let c = 0; c < g.channels; c++) {
        const i = (y * g.width + x) * g.channels + c;
        if (mask && !mask[i]) continue;
        features(g, y, x, c, mask, r, base, f, nb, blend);
        const w0 = perChannel ? c * N_CTX : 0;
        let off = 0;
        for (let k = 0; k < N_CTX; k++) off += (p.w[w0 + k] / WEIGHT_SCALE) * f[k];
        let ctx = -1;
        let correction = 0;
        if (bias) {
          ctx = biasContext(c, (activity as Float64Array)[i], f, off);
          correction = bias.mean(ctx);
          off += correction;
        }
        let a = 0;
        let cnt = 0;
        for (let k = 0; k < N_SCALE; k++) {
          if (nb[k] < 0) continue;
          a += Math.abs(e[nb[k]]);
          cnt++;
        }
        if (visit(i, off, sigma0 + beta * (cnt ? a / cnt : 0) + (activity ? gamma * activity[i] : 0)) === false) return;
        r[i] = residual(i);
        blend.record(i, r[i]);
        e[i] = r[i] - off;
        if (bias) bias.add(ctx, e[i] + correction);
      }
    }
  }
}

/** Context of the bias correction: channel × 4 activity classes × signs of r_W, r_N and MED against the offset. */
function biasContext(c: number, activity: number, f: Float64Array, off: number): number {
  const act = activity < 3 ? Math.floor(activity) : 3;
  const med = f[6] > off + 1 ? 2 : f[6] < off - 1 ? 0 : 1;
  return (((c * 4 + act) * 2 + (f[0] > off ? 1 : 0)) * 2 + (f[1] > off ? 1 : 0)) * 3 + med;
}

/**
 * Running mean of the prediction error per context, shrunk toward 0 for a context seen few
 * times (count + 4 in the denominator) and halved every 256 values so it follows the image.
 */
class BiasCancel {
  private readonly sum = new Float64Array(3 * 4 * 2 * 2 * 3);
  private readonly count = new Float64Array(this.sum.length);
  mean(ctx: number): number {
    return this.count[ctx] > 0 ? this.sum[ctx] / (this.count[ctx] + 4) : 0;
  }
  /** `err`: the error of the prediction before this context's correction */
  add(ctx: number, err: number): void {
    this.sum[ctx] += err;
    if (++this.count[ctx] >= 256) {
      this.sum[ctx] /= 2;
      this.count[ctx] /= 2;
    }
  }
}

/**
 * The local activity of a fully known base (e.g. the model's x̂_0): log(1 + the mean absolute
 * difference of each value to its four same-channel neighbours). The model's errors are larger
 * where its prediction has edges and texture, so the scale can follow it — unlike the coded
 * neighbours' errors, it sees the not-yet-coded side too. (Measured on x̂_0 from t = 5 and 10 of 8
 * dev-eval photos at 64x64 and 2 at 256x256: the log form saves 1.1–1.2% of the lossless ending,
 * the square root 1.0%, the plain mean 0.7–0.8%.)
 */
export function baseActivity(g: Grid, base: Float64Array): Float64Array {
  const C = g.channels;
  const row = g.width * C;
  const out = new Float64Array(base.length);
  for (let y = 0; y < g.height; y++) for (let x = 0; x < g.width; x++) for (let c = 0; c < C; c++) {
    const i = (y * g.width + x) * C + c;
    let s = 0;
    let n = 0;
    if (x > 0) { s += Math.abs(base[i] - base[i - C]); n++; }
    if (x + 1 < g.width) { s += Math.abs(base[i] - base[i + C]); n++; }
    if (y > 0) { s += Math.abs(base[i] - base[i - row]); n++; }
    if (y + 1 < g.height) { s += Math.abs(base[i] - base[i + row]); n++; }
    out[i] = n ? detLog(1 + s / n) : 0;
  }
  return out;
}

/** −log2 P(value i) for a prediction (offset, law scale) under `law` (the encoder's cost model). */
export type SampleBits = (i: number, offset: number, lawScale: number, law: ContinuousLaw) => number;

/** Offsets and neighbour error means of every `stride`-th coded value for fixed weights. */
function contextFeatures(g: Grid, w: Int8Array, r: Float64Array, mask: Uint8Array | null, base: Float64Array | null, stride: number, known: KnownBase | null): { idx: Int32Array; off: Float64Array; a: Float64Array } {
  const idx: number[] = [];
  const off: number[] = [];
  const a: number[] = [];
  // σ0 = 0, β = 1: the visited scale is exactly the neighbours' mean |e|
  scanContext(g, { law: 0, qSigma: 0, qBeta: BETA_SCALE, qGamma: 0, w }, mask, base, (i, o, sc) => {
    if (i % stride) return;
    idx.push(i);
    off.push(o);
    a.push(sc - fromIndex(0, SIGMA_GRID));
  }, (i) => r[i], known);
  return { idx: Int32Array.from(idx), off: Float64Array.from(off), a: Float64Array.from(a) };
}

/**
 * Encoder side: fits the context parameters for residuals r (all known): least-squares weights
 * (or none), then law, σ0 and β by coordinate search on the estimated size Σ sampleBits over every
 * `stride`-th value (returned, scaled up, as `estimatedBits`). `scaleHint` centres the scale search when the residuals carry noise on top of
 * the value being modelled (a quantiser's dither). `alsoPrice`: another per-value price summed the
 * same way under the chosen parameters (`alsoBits`; e.g. what a coarser question would cost).
 */
export function fitContext(g: Grid, r: Float64Array, mask: Uint8Array | null, base: Float64Array | null, sampleBits: SampleBits, scaleHint?: number, stride = 1, sets = 1, known: KnownBase | null = null, alsoPrice?: SampleBits): ContextParams & { estimatedBits: number; alsoBits: number } {
  const activity = known ? known.activity : null;
  // every coded value's features, then least squares, reweighted toward least absolute error
  let count = 0;
  for (let i = 0; i < r.length; i++) if (!mask || mask[i]) count++;
  const F = new Float32Array(count * N_CTX);
  const target = new Float64Array(count);
  const setOf = new Uint8Array(count);
  const f = new Float64Array(N_CTX);
  const nb = new Int32Array(N_SCALE);
  const blend = new Blend(g);
  let m = 0;
  for (let y = 0; y < g.height; y++) for (let x = 0; x < g.width; x++) for (let c = 0; c < g.channels; c++) {
    const i = (y * g.width + x) * g.channels + c;
    if (mask && !mask[i]) continue;
    features(g, y, x, c, mask, r, base, f, nb, blend);
    blend.record(i, r[i]);
    F.set(f, m * N_CTX);
    target[m] = r[i];
    setOf[m] = sets > 1 ? c : 0;
    m++;
  }
  const solve = (weight: (j: number) => number): number[][] => {
    // normal equations per set: the upper triangle of FᵀWF (flat), FᵀWr and rᵀWr
    const K = N_CTX;
    const A = new Float64Array(sets * K * K);
    const b = new Float64Array(sets * K);
    const sumSq = new Float64Array(sets);
    for (let j = 0; j < count; j++) {
      const s = setOf[j];
      const wt = weight(j);
      const o = j * K;
      const a0 = s * K * K;
      const tw = wt * target[j];
      sumSq[s] += tw * target[j];
      for (let p = 0; p < K; p++) {
        const fp = F[o + p];
        b[s * K + p] += fp * tw;
        const wfp = wt * fp;
        const row = a0 + p * K;
        for (let q = p; q < K; q++) A[row + q] += wfp * F[o + q];
      }
    }
    return Array.from({ length: sets }, (_, s) => {
      // a light ridge: with the residuals far from 0 (no model, an early x̂_0) a heavier one shrinks
      // the weights' sum below 1 and biases every prediction toward the base
      const ridge = 1e-5 * Math.max(1e-9, sumSq[s]);
      const M = Array.from({ length: K }, (_, p) => Array.from({ length: K }, (_, q) => A[s * K * K + Math.min(p, q) * K + Math.max(p, q)] + (p === q ? ridge : 0)));
      return solveLinear(M, Array.from(b.subarray(s * K, (s + 1) * K)));
    });
  };
  const quantise = (x: number[][]) => {
    const q = new Int8Array(sets * N_CTX);
    x.forEach((xs, s) => xs.forEach((v, p) => (q[s * N_CTX + p] = Math.max(-128, Math.min(127, Math.round(v * WEIGHT_SCALE))))));
    return q;
  };
  let x = solve(() => 1);
  for (let it = 0; it < IRLS_ITERS; it++) {
    const prev = x;
    x = solve((j) => {
      let e = target[j];
      for (let p = 0; p < N_CTX; p++) e -= prev[setOf[j]][p] * F[j * N_CTX + p];
      return 1 / (Math.abs(e) + IRLS_C);
    });
  }
  const fitted = quantise(x);
  const none = new Int8Array(sets * N_CTX);
  const feats = new Map<Int8Array, ReturnType<typeof contextFeatures>>();
  for (const w of [fitted, none]) feats.set(w, contextFeatures(g, w, r, mask, base, stride, known));
  const rmsOf = (w: Int8Array) => {
    const f = feats.get(w) as ReturnType<typeof contextFeatures>;
    let se = 0;
    for (let j = 0; j < f.idx.length; j++) se += (r[f.idx[j]] - f.off[j]) ** 2;
    return Math.sqrt(se / Math.max(1, f.idx.length));
  };
  const cost = (p: ContextParams, price: SampleBits = sampleBits) => {
    const f = feats.get(p.w) as ReturnType<typeof contextFeatures>;
    const { law, k } = lawOf(p);
    const s0 = fromIndex(p.qSigma, SIGMA_GRID);
    const beta = p.qBeta / BETA_SCALE;
    const gamma = p.qGamma / GAMMA_SCALE;
    let bits = 0;
    for (let j = 0; j < f.idx.length; j++) bits += price(f.idx[j], f.off[j], (s0 + beta * f.a[j] + (activity ? gamma * activity[f.idx[j]] : 0)) * k, law);
    return bits;
  };
  // coordinate search: offsets × law × σ0 at β = 0, then β, then σ0 again around the best, then
  // (for a known base) γ with σ0 and β a little lower, since the activity takes over part of the scale
  let best: ContextParams = { law: 0, qSigma: 0, qBeta: 0, qGamma: 0, w: fitted };
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
    for (let law = 0; law < LAWS.length; law++) for (const dq of [-48, -32, -16, -8, 0, 8]) tryCand({ law, qSigma: clampQ(qc + dq), qBeta: 0, qGamma: 0, w });
  }
  const first = best;
  for (const qBeta of [16, 32, 48, 64, 96, 128]) for (const dq of [-32, -16, -8, 0]) tryCand({ ...first, qSigma: clampQ(first.qSigma + dq), qBeta });
  const mid = best;
  for (const dq of [-6, -4, -2, 2, 4, 6]) tryCand({ ...mid, qSigma: clampQ(mid.qSigma + dq) });
  for (const db of [-8, 8]) tryCand({ ...best, qBeta: Math.max(0, Math.min(255, best.qBeta + db)) });
  if (activity) {
    const noGamma = best;
    for (const qGamma of [4, 8, 16, 32, 64]) for (const dq of [-16, -8, 0]) for (const db of [-16, 0]) tryCand({ ...noGamma, qSigma: clampQ(noGamma.qSigma + dq), qBeta: Math.max(0, noGamma.qBeta + db), qGamma });
    const g1 = best;
    for (const dg of [-2, 2]) tryCand({ ...g1, qGamma: Math.max(0, Math.min(255, g1.qGamma + dg)) });
    for (const dq of [-4, 4]) tryCand({ ...best, qSigma: clampQ(best.qSigma + dq) });
  }
  return { ...best, estimatedBits: bestBits * stride, alsoBits: alsoPrice ? cost(best, alsoPrice) * stride : 0 };
}
