import test from 'ava';
import { tf, initBackend } from '../src/model/backend.js';
import '@tensorflow/tfjs-backend-cpu';
import { conv2d } from '../src/model/layers.js';
import { PhiloxStream } from '../src/bitstream/philox.js';

function randn(shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const x = new Float64Array(n);
  new PhiloxStream([seed, 0], [0, 0, 0]).normals(x);
  return Float32Array.from(x);
}

test('custom conv2d gradient (wasm) matches the built-in gradient (cpu backend)', async (t) => {
  for (const [k, b, h, w, ci, co] of [[3, 2, 8, 6, 3, 5], [1, 3, 4, 4, 4, 2], [3, 1, 5, 5, 2, 2]]) {
    const xs = randn([b, h, w, ci], 1);
    const ws = randn([k, k, ci, co], 2);
    const dys = randn([b, h, w, co], 3);
    const run = (custom: boolean) =>
      tf.tidy(() => {
        const x = tf.tensor4d(xs, [b, h, w, ci]);
        const wt = tf.tensor4d(ws, [k, k, ci, co]);
        const dy = tf.tensor4d(dys, [b, h, w, co]);
        const f = (a: tf.Tensor, c: tf.Tensor) => (custom ? conv2d(a as tf.Tensor4D, c as tf.Tensor4D) : tf.conv2d(a as tf.Tensor4D, c as tf.Tensor4D, 1, 'same'));
        const [gx, gw] = tf.grads(f)([x, wt], dy);
        return [f(x, wt).dataSync(), gx.dataSync(), gw.dataSync()].map((a) => Float32Array.from(a));
      });
    await tf.setBackend('cpu');
    const ref = run(false);
    await initBackend('wasm');
    const got = run(true);
    for (let i = 0; i < 3; i++) {
      let err = 0;
      let mag = 0;
      for (let j = 0; j < ref[i].length; j++) {
        err = Math.max(err, Math.abs(ref[i][j] - got[i][j]));
        mag = Math.max(mag, Math.abs(ref[i][j]));
      }
      t.true(err <= 1e-4 * mag, `k=${k} output ${i}: max err ${err} of ${mag}`);
    }
  }
});
