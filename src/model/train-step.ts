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

export interface ShardInput {
  x0: Float32Array; // [n, crop, crop, C]
  n: number;
  crop: number;
  seed: number;
  step: number;
  firstItem: number;
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
    const ti = 1 + Math.floor(u[0] * sch.T);
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
