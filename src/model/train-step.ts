/**
 * One data-parallel shard of a training step: L_simple = E‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖²
 * on crops drawn for (seed, step, items), t uniform in 1..T and ε from Philox, so every shard of every
 * step is reproducible. Returns the loss and the flat gradient.
 */
import { tf } from './backend.js';
import { unetForward, type UNetConfig } from './unet.js';
import { type Layout, toTensors } from './flat-params.js';
import { NoiseSchedule } from './schedule.js';
import { PhiloxStream } from '../bitstream/philox.js';
import { detLog } from '../bitstream/deterministic-math.js';

export interface ShardInput {
  x0: Float32Array; // [n, crop, crop, C]
  n: number;
  crop: number;
  seed: number;
  step: number;
  firstItem: number;
  /** how timesteps are drawn (default 'uniform') */
  tSampling?: TSampling;
}

/**
 * 'uniform': t uniform in 1..T (DDPM's L_simple). 'vlb': P(t) ∝ λ_{t−1} − λ_t, the log-SNR
 * decrement of step t, so that the plain ε-MSE is an importance-sampled estimate of the variational
 * bound — the quantity the codec's rate follows (in continuous time the bound is ½ ∫ E‖ε − ε̂‖² dλ;
 * Kingma et al. 2021). On DDPM's linear schedule it draws t ≤ 100 about 3.5x as often.
 */
export type TSampling = 'uniform' | 'vlb';
export const T_SAMPLINGS: readonly TSampling[] = ['uniform', 'vlb'];

const vlbTables = new WeakMap<NoiseSchedule, Float64Array>();

/** Cumulative P(t ≤ k), k = 0..T, of the 'vlb' timestep law. */
function vlbCdf(sch: NoiseSchedule): Float64Array {
  let cdf = vlbTables.get(sch);
  if (cdf) return cdf;
  const lam = (t: number) => detLog(sch.alphaBar[t] / (1 - sch.alphaBar[t]));
  cdf = new Float64Array(sch.T + 1);
  for (let t = 1; t <= sch.T; t++) {
    // step 1's decrement from λ_0 = +∞ is replaced by step 2's
    const d = t === 1 ? lam(1) - lam(2) : lam(t - 1) - lam(t);
    cdf[t] = cdf[t - 1] + Math.max(0, d);
  }
  for (let t = 1; t <= sch.T; t++) cdf[t] /= cdf[sch.T];
  vlbTables.set(sch, cdf);
  return cdf;
}

/** The timestep for a uniform u ∈ (0, 1). */
export function sampleTimestep(sch: NoiseSchedule, u: number, mode: TSampling = 'uniform'): number {
  if (mode === 'uniform') return 1 + Math.floor(u * sch.T);
  const cdf = vlbCdf(sch);
  let lo = 1;
  let hi = sch.T;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Noisy inputs, targets and timesteps for a shard. */
export function noisyBatch(sch: NoiseSchedule, s: ShardInput, channels: number): { xt: Float32Array; eps: Float32Array; t: number[] } {
  const d = s.crop * s.crop * channels;
  const xt = new Float32Array(s.n * d);
  const eps = new Float32Array(s.n * d);
  const t: number[] = [];
  const z = new Float64Array(d);
  const u = new Float64Array(2);
  for (let i = 0; i < s.n; i++) {
    const g = new PhiloxStream([s.seed, 0x4e4f4953], [s.step, s.firstItem + i, 0]);
    g.uniforms(u, 1 << 30);
    const ti = sampleTimestep(sch, u[0], s.tSampling);
    t.push(ti);
    g.normals(z);
    const a = Math.sqrt(sch.alphaBar[ti]);
    const b = Math.sqrt(1 - sch.alphaBar[ti]);
    for (let j = 0; j < d; j++) {
      eps[i * d + j] = z[j];
      xt[i * d + j] = a * s.x0[i * d + j] + b * z[j];
    }
  }
  return { xt, eps, t };
}

export function lossAndGrads(c: UNetConfig, l: Layout, flat: Float32Array, sch: NoiseSchedule, s: ShardInput): { loss: number; grads: Float32Array } {
  const { xt, eps, t } = noisyBatch(sch, s, c.imageChannels);
  const params = toTensors(l, flat);
  const list = l.names.map((n) => params.get(n) as tf.Tensor);
  const shape: [number, number, number, number] = [s.n, s.crop, s.crop, c.imageChannels];
  const out = tf.tidy(() => {
    const x = tf.tensor4d(xt, shape);
    const target = tf.tensor4d(eps, shape);
    const f = (...ps: tf.Tensor[]) => {
      const p = new Map(l.names.map((n, i) => [n, ps[i]]));
      return tf.mean(tf.squaredDifference(unetForward(c, p, x, t), target)) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)(list);
    return { value, grads };
  });
  const grads = new Float32Array(l.total);
  out.grads.forEach((g, i) => grads.set(g.dataSync() as Float32Array, l.offsets[i]));
  const loss = out.value.dataSync()[0];
  tf.dispose([out.value, ...out.grads, ...list]);
  return { loss, grads };
}
