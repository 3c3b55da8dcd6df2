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

test.serial('custom conv2d + bias gradient (wasm) matches the built-in gradient (cpu backend)', async (t) => {
  // bias per channel [Co] and per batch item [B, Co]
  for (const [k, b, h, w, ci, co, perItem] of [[3, 2, 8, 6, 3, 5, 0], [1, 3, 4, 4, 4, 2, 1], [3, 1, 5, 5, 2, 2, 0], [3, 2, 4, 6, 3, 4, 1], [3, 1, 4, 4, 2, 3, 1]]) {
    const xs = randn([b, h, w, ci], 1);
    const ws = randn([k, k, ci, co], 2);
    const dys = randn([b, h, w, co], 3);
    const biasShape = perItem ? [b, co] : [co];
    const bs = randn(biasShape, 4);
    const run = (custom: boolean) =>
      tf.tidy(() => {
        const x = tf.tensor4d(xs, [b, h, w, ci]);
        const wt = tf.tensor4d(ws, [k, k, ci, co]);
        const bias = tf.tensor(bs, biasShape);
        const dy = tf.tensor4d(dys, [b, h, w, co]);
        const f = (a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) =>
          custom
            ? conv2d(a as tf.Tensor4D, c as tf.Tensor4D, e as tf.Tensor1D | tf.Tensor2D)
            : tf.add(tf.conv2d(a as tf.Tensor4D, c as tf.Tensor4D, 1, 'same'), perItem ? tf.reshape(e, [b, 1, 1, co]) : e);
        const [gx, gw, gb] = tf.grads(f)([x, wt, bias], dy);
        return [f(x, wt, bias).dataSync(), gx.dataSync(), gw.dataSync(), gb.dataSync()].map((a) => Float32Array.from(a));
      });
    await tf.setBackend('cpu');
    const ref = run(false);
    await initBackend('wasm');
    const got = run(true);
    for (let i = 0; i < 4; i++) {
      t.is(got[i].length, ref[i].length);
      let err = 0;
      let mag = 0;
      for (let j = 0; j < ref[i].length; j++) {
        err = Math.max(err, Math.abs(ref[i][j] - got[i][j]));
        mag = Math.max(mag, Math.abs(ref[i][j]));
      }
      t.true(err <= 1e-4 * mag, `k=${k} perItem=${perItem} output ${i}: max err ${err} of ${mag}`);
    }
  }
});

test.serial('GroupNorm (+SiLU) kernel and op chain match the autodiff reference, forward and gradients', async (t) => {
  const { groupNorm, groupNormSilu, groupNormReference, silu } = await import('../src/model/layers.js');
  const cases = [
    // [b, h, w, c, groups, offset]: kernel with 2 channels per group, groups straddling SIMD
    // lanes (3 per group), a large common offset (variance by cancellation would lose it), and
    // 6 channels (not a multiple of 4: the tfjs op chain)
    [2, 4, 6, 8, 4, 0],
    [1, 5, 3, 12, 4, 0],
    [2, 4, 4, 16, 2, 300],
    [2, 3, 5, 6, 3, 0],
  ];
  for (const backend of ['wasm', 'cpu'] as const) {
    await initBackend(backend);
    for (const [b, h, w, c, g, offset] of cases) {
      const xs = randn([b, h, w, c], 11).map((v, i) => v * (1 + (i % 3)) + (i % 5) + offset);
      const gs = randn([c], 12);
      const bs = randn([c], 13);
      const dys = randn([b, h, w, c], 14);
      type Norm = (x: tf.Tensor4D, gm: tf.Tensor1D, bt: tf.Tensor1D, groups: number) => tf.Tensor4D;
      const run = (f: Norm) =>
        tf.tidy(() => {
          const x = tf.tensor4d(xs, [b, h, w, c]);
          const gm = tf.tensor1d(gs);
          const bt = tf.tensor1d(bs);
          const dy = tf.tensor4d(dys, [b, h, w, c]);
          const fn = (a: tf.Tensor, p: tf.Tensor, q: tf.Tensor) => f(a as tf.Tensor4D, p as tf.Tensor1D, q as tf.Tensor1D, g);
          const grads = tf.grads(fn)([x, gm, bt], dy);
          return [fn(x, gm, bt), ...grads].map((a) => Float32Array.from(a.dataSync()));
        });
      const variants: Array<[string, Norm, Norm]> = [
        ['groupNorm', groupNorm, groupNormReference],
        ['groupNormSilu', groupNormSilu, (...a) => silu(groupNormReference(...a))],
      ];
      for (const [name, f, reference] of variants) {
        const ref = run(reference);
        const got = run(f);
        t.deepEqual(run(f), got, `${name} is deterministic`);
        for (let i = 0; i < ref.length; i++) {
          let err = 0;
          let mag = 0;
          for (let j = 0; j < ref[i].length; j++) {
            err = Math.max(err, Math.abs(ref[i][j] - got[i][j]));
            mag = Math.max(mag, Math.abs(ref[i][j]));
          }
          t.true(err <= 2e-4 * Math.max(1, mag), `${backend} ${name} [${b},${h},${w},${c}]/${g}+${offset} output ${i}: max err ${err} of ${mag}`);
        }
      }
    }
  }
  await initBackend('wasm');
});

test.serial('channel concatenation with JS-split gradient matches tf.concat', async (t) => {
  await initBackend('wasm');
  const { concatChannels } = await import('../src/model/layers.js');
  const [b, h, w, ca, cb] = [2, 3, 5, 4, 3];
  const as = randn([b, h, w, ca], 21);
  const bs = randn([b, h, w, cb], 22);
  const dys = randn([b, h, w, ca + cb], 23);
  const run = (custom: boolean) =>
    tf.tidy(() => {
      const f = (p: tf.Tensor, q: tf.Tensor) => (custom ? concatChannels(p as tf.Tensor4D, q as tf.Tensor4D) : tf.concat([p, q], 3));
      const x = tf.tensor4d(as, [b, h, w, ca]);
      const y = tf.tensor4d(bs, [b, h, w, cb]);
      const grads = tf.grads(f)([x, y], tf.tensor4d(dys, [b, h, w, ca + cb]));
      return [f(x, y), ...grads].map((a) => Array.from(a.dataSync()));
    });
  t.deepEqual(run(true), run(false));
});

test.serial('2x down/upsampling with swapped-kernel gradients match the built-in gradients', async (t) => {
  await initBackend('wasm');
  const { downsample, upsample } = await import('../src/model/layers.js');
  const [b, h, w, c] = [2, 6, 4, 3];
  const xs = randn([b, h, w, c], 31);
  const dDown = randn([b, h / 2, w / 2, c], 32);
  const dUp = randn([b, 2 * h, 2 * w, c], 33);
  const grad = (f: (x: tf.Tensor) => tf.Tensor, dy: Float32Array, shape: number[]) =>
    tf.tidy(() => Array.from(tf.grad(f)(tf.tensor4d(xs, [b, h, w, c]), tf.tensor(dy, shape)).dataSync()));
  const close = (a: number[], r: number[], what: string) => {
    t.is(a.length, r.length);
    t.true(a.every((v, i) => Math.abs(v - r[i]) < 1e-5), what);
  };
  close(grad((x) => downsample(x as tf.Tensor4D), dDown, [b, h / 2, w / 2, c]), grad((x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'), dDown, [b, h / 2, w / 2, c]), 'downsample');
  close(grad((x) => upsample(x as tf.Tensor4D), dUp, [b, 2 * h, 2 * w, c]), grad((x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [2 * h, 2 * w]), dUp, [b, 2 * h, 2 * w, c]), 'upsample');
  // and the forward values are the built-in ones
  const x = tf.tensor4d(xs, [b, h, w, c]);
  t.deepEqual(Array.from(downsample(x).dataSync()), Array.from(tf.avgPool(x, 2, 2, 'valid').dataSync()));
  t.deepEqual(Array.from(upsample(x).dataSync()), Array.from(tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w]).dataSync()));
  x.dispose();
});

test('GroupNorm kernel: SiLU within 1e-6 relative of the exact value over |z| ≤ 69, statistics of a shifted ramp', async (t) => {
  const { groupNormForward } = await import('../src/model/group-norm-kernel.js');
  const hw = 20001;
  const c = 4;
  const x = new Float32Array(hw * c);
  // a ramp on a large offset: variance by E[x²] − E[x]² in f32 would lose it
  for (let i = 0; i < hw; i++) for (let k = 0; k < c; k++) x[i * c + k] = 1000 + (-1 + (2 * i) / (hw - 1)) * (1 + k);
  const gamma = new Float32Array(c).fill(40);
  const beta = new Float32Array(c);
  const { y, stats } = groupNormForward(x, gamma, beta, { n: 1, hw, c, groups: 1 }, 1e-5, true);
  let sum = 0;
  let sq = 0;
  for (const v of x) sum += v;
  const mean = sum / x.length;
  for (const v of x) sq += (v - mean) ** 2;
  t.true(Math.abs(stats[0] - mean) <= 1e-4, `mean ${stats[0]} vs ${mean}`);
  t.true(Math.abs(stats[1] * Math.sqrt(sq / x.length + 1e-5) - 1) <= 1e-5, `rstd ${stats[1]}`);
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    // z as the kernel forms it (f32 steps), SiLU in float64
    const sc = Math.fround(stats[1] * 40);
    const z = Math.fround(Math.fround(x[i] * sc) + Math.fround(0 - Math.fround(stats[0] * sc)));
    const exact = z / (1 + Math.exp(-z));
    if (Math.abs(exact) > 1e-30) worst = Math.max(worst, Math.abs(y[i] - exact) / Math.abs(exact));
  }
  t.true(worst <= 1e-6, `max relative error ${worst}`);
});
