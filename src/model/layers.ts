/**
 * Network building blocks written for the wasm backend's speed profile.
 *
 * The wasm backend has no Conv2DBackpropFilter kernel and its conv2dTranspose (the built-in input
 * gradient) runs ~10x slower than conv2d forward. `conv2d` below therefore carries a custom
 * gradient made of forward convolutions only:
 *   - input gradient: conv2d(dy, W flipped in space with in/out channels swapped), 'same' padding;
 *   - weight gradient ("channels as batch"): x transposed to [Ci, H, W, B] (spatially padded) is
 *     convolved, 'valid', with dy transposed to [H, W, B, Co], giving [Ci, k, k, Co].
 * Measured on this machine (../shared/README.md): ~38 and ~20 GFLOP/s vs 3.7 for conv2dTranspose.
 */
import { tf } from './backend.js';
import { detExp, detCosSin } from '../bitstream/deterministic-math.js';

const LOG_10000 = 9.210340371976184;

export type Tensor4D = tf.Tensor4D;

/** Stride-1 'same' convolution with odd square kernel, custom gradient from forward convs. */
const conv2dCustom = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor4D;
  const w = args[1] as tf.Tensor4D;
  const save = args[2] as tf.GradSaveFunc;
  save([x, w]);
  const value = tf.conv2d(x, w, 1, 'same');
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
    const d = dy as tf.Tensor4D;
    const k = ws.shape[0];
    const p = (k - 1) / 2;
    // input gradient: forward conv with the spatially flipped, channel-swapped kernel
    const wFlip = tf.transpose(k === 1 ? ws : tf.reverse(ws, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    const dx = tf.conv2d(d, wFlip, 1, 'same');
    // weight gradient: channels as batch, batch as channels
    const xt = tf.transpose(xs, [3, 1, 2, 0]) as tf.Tensor4D; // [Ci, H, W, B]
    const xtp = p > 0 ? (tf.pad(xt, [[0, 0], [p, p], [p, p], [0, 0]]) as tf.Tensor4D) : xt;
    const dyt = tf.transpose(d, [1, 2, 0, 3]) as tf.Tensor4D; // [H, W, B, Co]
    const dw = tf.transpose(tf.conv2d(xtp, dyt, 1, 'valid'), [1, 2, 0, 3]); // [k, k, Ci, Co]
    return [dx, dw];
  };
  return { value, gradFunc };
});

export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return conv2dCustom(x, w) as tf.Tensor4D;
}

export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x)) as T;
}

/**
 * GroupNorm over [B, H, W, C] with `groups` groups, then per-channel affine — with a closed-form
 * custom gradient. Every reduction over H·W is a matrix product with a row of ones ([1, HW] @
 * [B, HW, C]), which XNNPACK runs fast without the transposes tfjs inserts for reductions over
 * non-innermost axes; the group reductions then run over tiny [B, G, C/G] tensors.
 * Backward: dx = rstd · (dx̂ − mean_g(dx̂) − x̂ · mean_g(dx̂ · x̂)), dx̂ = dy · γ.
 */
export function groupNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number, eps = 1e-5): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.reshape(groupNormCore(tf.reshape(x, [b, h * w, c]), gamma, beta, groups, eps), [b, h, w, c]) as tf.Tensor4D;
}

/** Per-(batch, channel) sums over the middle axis: [B, N, C] → [B, 1, C]. */
function sumOverN(x: tf.Tensor3D): tf.Tensor3D {
  const n = x.shape[1];
  return tf.matMul(tf.ones([x.shape[0], 1, n]), x) as tf.Tensor3D;
}

/** Group means of per-channel sums, broadcast back to channels: [B, 1, C] → [B, 1, C]. */
function groupMean(s: tf.Tensor3D, groups: number, count: number): tf.Tensor3D {
  const [b, , c] = s.shape;
  const g = tf.div(tf.sum(tf.reshape(s, [b, groups, c / groups]), 2, true), count);
  return tf.reshape(tf.broadcastTo(g, [b, groups, c / groups]), [b, 1, c]) as tf.Tensor3D;
}

function groupNormCore(x: tf.Tensor3D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number, eps: number): tf.Tensor3D {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xi, g, bt] = args as [tf.Tensor3D, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const [, n, c] = xi.shape;
    const count = n * (c / groups);
    const mean = groupMean(sumOverN(xi), groups, count);
    const meanSq = groupMean(sumOverN(tf.square(xi) as tf.Tensor3D), groups, count);
    const rstd = tf.rsqrt(tf.add(tf.relu(tf.sub(meanSq, tf.square(mean))), eps)) as tf.Tensor3D;
    const xhat = tf.mul(tf.sub(xi, mean), rstd) as tf.Tensor3D;
    save([xhat, rstd, g]);
    const value = tf.add(tf.mul(xhat, g), bt) as tf.Tensor3D;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xh, rs, gm] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor1D];
      const d = dy as tf.Tensor3D;
      const dxhat = tf.mul(d, gm) as tf.Tensor3D;
      const m1 = groupMean(sumOverN(dxhat), groups, count);
      const m2 = groupMean(sumOverN(tf.mul(dxhat, xh) as tf.Tensor3D), groups, count);
      const dx = tf.mul(rs, tf.sub(tf.sub(dxhat, m1), tf.mul(xh, m2)));
      const dgamma = tf.reshape(tf.sum(sumOverN(tf.mul(d, xh) as tf.Tensor3D), 0), [c]);
      const dbeta = tf.reshape(tf.sum(sumOverN(d), 0), [c]);
      return [dx, dgamma, dbeta];
    };
    return { value, gradFunc };
  });
  return f(x, gamma, beta) as tf.Tensor3D;
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
  return tf.avgPool(x, 2, 2, 'valid');
}

/** Nearest-neighbour 2x upsampling. */
export function upsample(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  return tf.image.resizeNearestNeighbor(x, [h * 2, w * 2]);
}

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
