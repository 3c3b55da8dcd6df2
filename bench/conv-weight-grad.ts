/**
 * Ways to compute a 3x3 convolution's weight gradient on the active backend, in GFLOP/s, beside
 * the forward convolution of the same layer (the reference the training speed is measured against):
 *   - the SIMD kernel (what src/model/layers.ts uses on wasm: src/model/conv-weight-grad.ts), fed from
 *     the backend's memory, result back as a tensor;
 *   - channels as batch (what layers.ts used before, and still does on other backends): x as
 *     [Ci, H+2, W+2, B] convolved, 'valid', with dy as a [H, W, B, Co] filter;
 *   - im2col: the nine shifted copies of x concatenated, then one transposed matrix product;
 *   - one transposed matrix product per kernel offset;
 *   - kernel rows folded into channels: (B, H) as the contraction channels, one 1-D correlation per
 *     kernel row.
 *
 *   npm run build && node dist/bench/conv-weight-grad.js
 */
import { tf, initBackend, backendFingerprint } from '../src/model/backend.js';
import { weightGradient } from '../src/model/layers.js';
import { machineInfo } from './machine.js';

function time(f: () => tf.Tensor, reps = 5): number {
  for (let i = 0; i < 2; i++) tf.tidy(() => void f());
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => void f());
  return (performance.now() - t0) / reps / 1000;
}

async function main() {
  await initBackend('wasm');
  const rows: Record<string, unknown>[] = [];
  for (const [B, H, Ci, Co] of [[16, 32, 32, 32], [16, 32, 64, 64], [16, 16, 64, 64], [16, 32, 96, 32], [16, 8, 128, 64]]) {
    const x = tf.randomNormal([B, H, H, Ci]) as tf.Tensor4D;
    const dy = tf.randomNormal([B, H, H, Co]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, Ci, Co]) as tf.Tensor4D;
    const n = B * H * H;
    // fresh operands every call (tf.add(·, 0)), as in training: XNNPACK caches packed constant operands
    const fresh = (t: tf.Tensor4D) => tf.add(t, 0) as tf.Tensor4D;
    const ways: Record<string, () => tf.Tensor> = {
      forwardConv: () => tf.conv2d(fresh(x), w, 1, 'same'),
      simdKernel: () => weightGradient(fresh(x), fresh(dy), 3),
      channelsAsBatch: () => {
        const xt = tf.pad(tf.transpose(fresh(x), [3, 1, 2, 0]), [[0, 0], [1, 1], [1, 1], [0, 0]]) as tf.Tensor4D;
        const dyt = tf.transpose(fresh(dy), [1, 2, 0, 3]) as tf.Tensor4D;
        return tf.transpose(tf.conv2d(xt, dyt, 1, 'valid'), [1, 2, 0, 3]);
      },
      im2col: () => {
        const xp = tf.pad(fresh(x), [[0, 0], [1, 1], [1, 1], [0, 0]]);
        const parts: tf.Tensor[] = [];
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) parts.push(tf.slice(xp, [0, i, j, 0], [B, H, H, Ci]));
        const p = tf.reshape(tf.concat(parts, 3), [n, 9 * Ci]) as tf.Tensor2D;
        return tf.matMul(p, tf.reshape(fresh(dy), [n, Co]) as tf.Tensor2D, true, false);
      },
      matmulPerOffset: () => {
        const xp = tf.pad(fresh(x), [[0, 0], [1, 1], [1, 1], [0, 0]]);
        const d = tf.reshape(fresh(dy), [n, Co]) as tf.Tensor2D;
        const parts: tf.Tensor[] = [];
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) parts.push(tf.matMul(tf.reshape(tf.slice(xp, [0, i, j, 0], [B, H, H, Ci]), [n, Ci]) as tf.Tensor2D, d, true, false));
        return tf.stack(parts);
      },
      rowsFolded: () => {
        const xt = tf.transpose(tf.pad(fresh(x), [[0, 0], [1, 1], [1, 1], [0, 0]]), [3, 2, 0, 1]); // [Ci, W+2, B, H+2]
        const dyt = tf.reshape(tf.transpose(fresh(dy), [2, 0, 1, 3]), [1, H, B * H, Co]) as tf.Tensor4D;
        const parts: tf.Tensor[] = [];
        for (let kh = 0; kh < 3; kh++) parts.push(tf.conv2d(tf.reshape(tf.slice(xt, [0, 0, 0, kh], [Ci, H + 2, B, H]), [Ci, 1, H + 2, B * H]) as tf.Tensor4D, dyt, 1, 'valid'));
        return tf.transpose(tf.concat(parts, 1), [1, 2, 0, 3]);
      },
    };
    const flops = 2 * n * 9 * Ci * Co;
    const row: Record<string, unknown> = { shape: { B, H, W: H, Ci, Co } };
    for (const [name, f] of Object.entries(ways)) row[`${name}_GFLOPs`] = flops / time(f) / 1e9;
    rows.push(row);
    console.error(JSON.stringify(row));
    tf.dispose([x, dy, w]);
  }
  console.log(JSON.stringify({ machine: machineInfo(), backend: backendFingerprint(), rows }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
