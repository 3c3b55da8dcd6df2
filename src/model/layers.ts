/**
 * Network building blocks written for the wasm backend's speed profile.
 *
 * The wasm backend has no Conv2DBackpropFilter kernel and its conv2dTranspose (the built-in input
 * gradient) runs ~10x slower than conv2d forward. `conv2d` below therefore carries a custom
 * gradient made of forward convolutions only:
 *   - input gradient: conv2d(dy, W flipped in space with in/out channels swapped), 'same' padding;
 *   - weight gradient: on the wasm and cpu backends the SIMD kernel of `conv-weight-grad.ts`, fed
 *     straight from the backend's memory; on others (tfjs-node) "channels as batch": x transposed
 *     to [Ci, H, W, B] (spatially padded) convolved, 'valid', with dy transposed to [H, W, B, Co],
 *     giving [Ci, k, k, Co] — on wasm that ran at ~60% of a plain conv2d's speed.
 * Measured on this machine (../shared/README.md): ~38 and ~20 GFLOP/s vs 3.7 for conv2dTranspose.
 *
 * GroupNorm (+ the SiLU after it) and channel concatenation are the project's wasm kernels on the
 * wasm and cpu backends (`group-norm-kernel.ts`, `channel-concat-kernel.ts`). Reductions over the
 * spatial axes elsewhere (GroupNorm on other backends, bias gradients) are global average pools:
 * one pass over the data. A matrix product with a row of ones, or tf.sum over non-innermost axes,
 * costs 5–20x more on fresh activations (XNNPACK repacks the operand; tfjs transposes).
 */
import { tf, float32Values } from './backend.js';
import { detExp, detCosSin } from '../bitstream/deterministic-math.js';
import { convWeightGrad } from './conv-weight-grad.js';
import { concatRows, splitRows } from './channel-concat-kernel.js';
import { groupNormForward, groupNormBackward, groupNormKernelFits } from './group-norm-kernel.js';

const LOG_10000 = 9.210340371976184;

export type Tensor4D = tf.Tensor4D;

/** Per-(batch, channel) mean over the spatial axes, [B, H, W, C] → [B, C]: one global average pool. */
export function spatialMean(x: tf.Tensor4D): tf.Tensor2D {
  const [b, h, w, c] = x.shape;
  return tf.reshape(tf.avgPool(x, [h, w], 1, 'valid'), [b, c]);
}

/** Per-(batch, channel) sum over the spatial axes, [B, H, W, C] → [B, C]. */
function spatialSum(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mul(spatialMean(x), x.shape[1] * x.shape[2]);
}

/** [B, C] → [B, 1, 1, C], for broadcasting over the spatial axes. */
function perPixel(v: tf.Tensor2D): tf.Tensor4D {
  return tf.reshape(v, [v.shape[0], 1, 1, v.shape[1]]);
}

function convSame(x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  const co = w.shape[3];
  if (bias.rank === 1) return tf.fused.conv2d({ x, filter: w, bias: bias as tf.Tensor1D, strides: 1, pad: 'same' });
  // The wasm FusedConv2D kernel reads the bias shape of the underlying buffer, so a reshaped
  // [1, C] is refused: the add materialises a buffer of shape [C] (C floats, negligible).
  if (bias.shape[0] === 1) return tf.fused.conv2d({ x, filter: w, bias: tf.add(tf.reshape(bias, [co]), 0) as tf.Tensor1D, strides: 1, pad: 'same' });
  return tf.add(tf.conv2d(x, w, 1, 'same'), perPixel(bias as tf.Tensor2D));
}

/**
 * W[k−1−i, k−1−j, o, c] from W[i, j, c, o], built in JS: the weights are small and already on the
 * host side of the backend, and the wasm Reverse kernel takes ~2 ms for a 3x3x64x64 kernel.
 */
function flippedKernel(w: tf.Tensor4D): tf.Tensor4D {
  const [k, , ci, co] = w.shape;
  const src = w.dataSync() as Float32Array;
  const out = new Float32Array(src.length);
  let n = 0;
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      const base = ((k - 1 - a) * k + (k - 1 - b)) * ci * co;
      for (let o = 0; o < co; o++) for (let c = 0; c < ci; c++) out[n++] = src[base + c * co + o];
    }
  }
  return tf.tensor4d(out, [k, k, co, ci]);
}

/**
 * What a tensor can be made from, given a view of a wasm kernel's memory: the wasm backend copies
 * what a tensor is made from, the cpu backend keeps the array itself (so it gets a copy).
 */
function ownKernelOutput(backend: string): (a: Float32Array) => Float32Array {
  return backend === 'wasm' ? (a) => a : (a) => a.slice();
}

/**
 * Concatenation along channels, forward and gradient (the split of dy) by one wasm kernel call on
 * the wasm and cpu backends: tfjs's wasm Concat / SplitV / Slice copy one short row per JS call
 * (Concat ~0.45 ms for a 64x64x96 result; SplitV ~16 ms for [16, 32, 32, 96]).
 */
export const concatChannels = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const a = args[0] as tf.Tensor4D;
  const b = args[1] as tf.Tensor4D;
  const [n, h, w, ca] = a.shape;
  const cb = b.shape[3];
  const rows = n * h * w;
  const backend = tf.getBackend();
  const cpuSide = backend === 'wasm' || backend === 'cpu';
  const own = ownKernelOutput(backend);
  const value = cpuSide ? tf.tensor4d(own(concatRows(float32Values(a), float32Values(b), rows, ca, cb)), [n, h, w, ca + cb]) : tf.concat([a, b], 3);
  const gradFunc = (dy: tf.Tensor): tf.Tensor[] => {
    const d = splitRows(cpuSide ? float32Values(dy) : (dy.dataSync() as Float32Array), rows, ca, cb);
    return [tf.tensor4d(own(d.a), a.shape), tf.tensor4d(own(d.b), b.shape)];
  };
  return { value, gradFunc };
}) as (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D;

/** dW [k, k, Ci, Co] of a stride-1 'same' k×k convolution of x [B, H, W, Ci] giving dy [B, H, W, Co]. */
export function weightGradient(x: tf.Tensor4D, dy: tf.Tensor4D, k: number): tf.Tensor4D {
  const p = (k - 1) / 2;
  const [n, h, w, ci] = x.shape;
  const co = dy.shape[3];
  const backend = tf.getBackend();
  if (backend === 'wasm' || backend === 'cpu') {
    // both views are copied into the kernel's memory before any tensor is allocated
    return tf.tensor4d(convWeightGrad(float32Values(x), float32Values(dy), n, h, w, ci, co, k), [k, k, ci, co]);
  }
  // channels as batch, batch as channels
  const xt = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [Ci, H, W, B]
  const xtp = p > 0 ? (tf.pad(xt, [[0, 0], [p, p], [p, p], [0, 0]]) as tf.Tensor4D) : xt;
  const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [H, W, B, Co]
  return tf.transpose(tf.conv2d(xtp, dyt, 1, 'valid'), [1, 2, 0, 3]); // [k, k, Ci, Co]
}

/**
 * Stride-1 'same' convolution with odd square kernel plus bias — [C_out], or [B, C_out] for a
 * per-item bias (the UNet folds its time embedding in here) — with a custom gradient made of
 * forward convolutions and global pools.
 */
const conv2dCustom = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor4D;
  const w = args[1] as tf.Tensor4D;
  const bias = args[2] as tf.Tensor;
  const save = args[3] as tf.GradSaveFunc;
  save([x, w]);
  const value = convSame(x, w, bias);
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
    const d = dy as tf.Tensor4D;
    const k = ws.shape[0];
    // input gradient: forward conv with the spatially flipped, channel-swapped kernel
    const dx = tf.conv2d(d, flippedKernel(ws), 1, 'same');
    const dw = weightGradient(xs, d, k);
    const dbItem = spatialSum(d);
    const db = bias.rank === 1 ? tf.sum(dbItem, 0) : dbItem;
    return [dx, dw, db];
  };
  return { value, gradFunc };
});

/** conv2d(x, w) + bias, stride 1, 'same' padding; bias is [C_out] or per batch item [B, C_out]. */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor1D | tf.Tensor2D): tf.Tensor4D {
  return conv2dCustom(x, w, bias) as tf.Tensor4D;
}

export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x)) as T;
}

const groupAveragers = new Map<string, tf.Tensor2D>();

/** [C, C] matrix that replaces each channel's value by the mean over its group (kept, cached). */
function groupAverager(c: number, groups: number): tf.Tensor2D {
  const key = `${tf.getBackend()}:${c}:${groups}`;
  let m = groupAveragers.get(key);
  if (!m) {
    const size = c / groups;
    const a = new Float32Array(c * c);
    for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) if (Math.floor(i / size) === Math.floor(j / size)) a[i * c + j] = 1 / size;
    m = tf.keep(tf.tensor2d(a, [c, c]));
    groupAveragers.set(key, m);
  }
  return m;
}

/**
 * GroupNorm over [B, H, W, C] with `groups` groups, then per-channel affine. On the wasm and cpu
 * backends (C a multiple of 4) one SIMD kernel call forward and one backward
 * (`group-norm-kernel.ts`), fed straight from the backend's memory; elsewhere tfjs ops.
 */
export function groupNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number, eps = 1e-5): tf.Tensor4D {
  return normalize(x, gamma, beta, groups, eps, false);
}

/** SiLU(GroupNorm(x)·γ + β): the UNet's pre-activation, fused into the same kernel call. */
export function groupNormSilu(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number, eps = 1e-5): tf.Tensor4D {
  return normalize(x, gamma, beta, groups, eps, true);
}

function normalize(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number, eps: number, withSilu: boolean): tf.Tensor4D {
  const backend = tf.getBackend();
  if (!((backend === 'wasm' || backend === 'cpu') && groupNormKernelFits(x.shape[3], groups))) {
    const y = groupNormOps(x, gamma, beta, groups, eps);
    return withSilu ? silu(y) : y;
  }
  const [n, h, w, c] = x.shape;
  const shape = { n, hw: h * w, c, groups };
  const own = ownKernelOutput(backend);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xi, g, bt] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const r = groupNormForward(float32Values(xi), float32Values(g), float32Values(bt), shape, eps, withSilu);
    const stats = tf.tensor1d(own(r.stats));
    const value = tf.tensor4d(own(r.y), xi.shape);
    save([xi, g, bt, stats]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs, gs, bs, st] = saved;
      const d = groupNormBackward(float32Values(xs), float32Values(dy), float32Values(gs), float32Values(bs), float32Values(st), shape, withSilu);
      return [tf.tensor4d(own(d.dx), xs.shape as [number, number, number, number]), tf.tensor1d(own(d.dgamma)), tf.tensor1d(own(d.dbeta))];
    };
    return { value, gradFunc };
  });
  return f(x, gamma, beta) as tf.Tensor4D;
}

/**
 * GroupNorm from tfjs ops (the backends the kernel does not serve), with a closed-form custom
 * gradient. Statistics are spatial means (global pools) averaged over each group by a
 * [C, C] matrix; the forward pass is then a single scale-and-shift of x. Backward:
 * dx = rstd · (dx̂ − mean_g(dx̂) − x̂ · mean_g(dx̂ · x̂)), dx̂ = dy · γ, with x̂ recomputed from x.
 */
function groupNormOps(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number, eps: number): tf.Tensor4D {
  const avg = groupAverager(x.shape[3], groups);
  const groupMean = (v: tf.Tensor4D) => tf.matMul(spatialMean(v), avg) as tf.Tensor2D;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xi, g, bt] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const mean = groupMean(xi);
    const meanSq = groupMean(tf.square(xi));
    const rstd = tf.rsqrt(tf.add(tf.relu(tf.sub(meanSq, tf.square(mean))), eps)) as tf.Tensor2D;
    const scale = tf.mul(rstd, g) as tf.Tensor2D;
    const shift = tf.sub(bt, tf.mul(mean, scale)) as tf.Tensor2D;
    save([xi, mean, rstd, g]);
    const value = tf.add(tf.mul(xi, perPixel(scale)), perPixel(shift)) as tf.Tensor4D;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs, mu, rs, gm] = saved as [tf.Tensor4D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
      const d = dy as tf.Tensor4D;
      const r4 = perPixel(rs);
      const xh = tf.mul(tf.sub(xs, perPixel(mu)), r4) as tf.Tensor4D;
      const dxhat = tf.mul(d, gm) as tf.Tensor4D;
      const m1 = perPixel(groupMean(dxhat));
      const m2 = perPixel(groupMean(tf.mul(dxhat, xh) as tf.Tensor4D));
      const dx = tf.mul(r4, tf.sub(tf.sub(dxhat, m1), tf.mul(xh, m2)));
      const dgamma = tf.sum(spatialSum(tf.mul(d, xh) as tf.Tensor4D), 0);
      const dbeta = tf.sum(spatialSum(d), 0);
      return [dx, dgamma, dbeta];
    };
    return { value, gradFunc };
  });
  return f(x, gamma, beta) as tf.Tensor4D;
}

/** Reference GroupNorm from plain ops (autodiff gradient), used by the tests. */
export function groupNormReference(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number, eps = 1e-5): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const xg = tf.reshape(x, [b, h * w, groups, c / groups]);
  const { mean, variance } = tf.moments(xg, [1, 3], true);
  const xn = tf.reshape(tf.mul(tf.sub(xg, mean), tf.rsqrt(tf.add(variance, eps))), [b, h, w, c]);
  return tf.add(tf.mul(xn, gamma), beta) as tf.Tensor4D;
}

/** 2x2 average pooling (downsampling). */
export function downsample(x: tf.Tensor4D): tf.Tensor4D {
  // the swapped gradient below holds for even sizes (the UNet's are multiples of 2^(levels−1))
  if (x.shape[1] % 2 || x.shape[2] % 2) return tf.avgPool(x, 2, 2, 'valid');
  return downsampleCustom(x) as tf.Tensor4D;
}

/** Nearest-neighbour 2x upsampling. */
export function upsample(x: tf.Tensor4D): tf.Tensor4D {
  return upsampleCustom(x) as tf.Tensor4D;
}

// The two are each other's gradient up to a factor: 2x2 average pooling spreads dy/4 over each block,
// and nearest upsampling sums dy over it. tfjs's own gradients (AvgPoolGrad, ResizeNearestNeighborGrad)
// cost 3–4 ms per call on wasm, the forward kernels a fifth of that or less (bench/network-profile.ts).
const downsampleCustom = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor4D;
  const [, h, w] = x.shape;
  return { value: tf.avgPool(x, 2, 2, 'valid'), gradFunc: (dy: tf.Tensor) => [tf.mul(tf.image.resizeNearestNeighbor(dy as tf.Tensor4D, [h, w]), 0.25)] };
});

const upsampleCustom = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor4D;
  const [, h, w] = x.shape;
  return { value: tf.image.resizeNearestNeighbor(x, [h * 2, w * 2]), gradFunc: (dy: tf.Tensor) => [tf.mul(tf.avgPool(dy as tf.Tensor4D, 2, 2, 'valid'), 4)] };
});

/** Sinusoidal embedding of (possibly fractional) timesteps, [B] → [B, dim]. */
export function timestepEmbedding(t: number[], dim: number): tf.Tensor2D {
  const half = dim / 2;
  const out = new Float32Array(t.length * dim);
  const cs = new Float64Array(2);
  for (let i = 0; i < t.length; i++) {
    for (let j = 0; j < half; j++) {
      const freq = detExp((-LOG_10000 * j) / half);
      detCosSin(t[i] * freq, cs);
      out[i * dim + j] = cs[1];
      out[i * dim + half + j] = cs[0];
    }
  }
  return tf.tensor2d(out, [t.length, dim]);
}
