import test from 'ava';
import fc from 'fast-check';
import { x0Encode, x0Decode, x0Start, x0EncodePass, x0DecodePass, x0Estimate, x0Plan, x0PassBinWidth } from '../src/codec/x0-coder.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import { readImage } from '../src/codec/image-io.js';

test('context-adaptive x0 coder round-trips any samples under any means (property)', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(1, 3), fc.integer({ min: 0, max: 1 << 30 }), fc.double({ min: 0, max: 3, noNaN: true }), fc.constantFrom([0], [4, 0], [4, 2, 0], [7, 3, 1, 0]), (w, h, c, seed, noise, shifts) => {
      const n = w * h * c;
      const u = new Float64Array(2 * n + 2);
      new PhiloxStream([seed, 1], [0, 0, 0]).uniforms(u);
      const v = Uint8Array.from({ length: n }, (_, i) => Math.floor(u[i] * 256));
      const means = Float64Array.from({ length: n }, (_, i) => Math.max(-1.5, Math.min(1.5, v[i] / 127.5 - 1 + noise * (u[n + i] - 0.5))));
      const g = { width: w, height: h, channels: c };
      const passes = x0Encode(v, means, g, undefined, shifts);
      const back = x0Decode(passes, means, g);
      return passes.length === shifts.length && back.every((x, i) => x === v[i]);
    }),
    { numRuns: 150 },
  );
  t.pass();
});

test('good means make small files: cost tracks prediction quality', (t) => {
  const g = { width: 16, height: 16, channels: 3 };
  const n = 768;
  const z = new Float64Array(n);
  new PhiloxStream([3, 3], [0, 0, 0]).normals(z);
  const v = Uint8Array.from({ length: n }, (_, i) => 100 + ((i * 37) % 50));
  const near = Float64Array.from(v, (x, i) => (x + 0.7 * z[i]) / 127.5 - 1);
  const far = Float64Array.from(v, (x, i) => (x + 12 * z[i]) / 127.5 - 1);
  const a = x0Encode(v, near, g)[0].length;
  const b = x0Encode(v, far, g)[0].length;
  t.true(a < b * 0.6, `${a} vs ${b}`);
  t.true(a * 8 < n * 3, `${a} bytes for samples within ~1 level of their means`);
});

test('the lossless chunk verifies the decoded pixels (CRC-32 of the samples)', (t) => {
  const g = { width: 6, height: 5, channels: 3 };
  const v = Uint8Array.from({ length: 90 }, (_, i) => (i * 37) % 256);
  const means = Float64Array.from(v, (x) => x / 127.5 - 1);
  const [bytes] = x0Encode(v, means, g);
  t.deepEqual(Array.from(x0Decode([bytes], means, g)), Array.from(v));
  const bad = bytes.slice();
  bad[bad.length - 1] ^= 1;
  t.throws(() => x0Decode([bad], means, g), { message: /lossless check/ });
  // means that differ from the encoder's (a desynchronised decoder) also fail the check or the coder
  t.throws(() => x0Decode([bytes], Float64Array.from(means, (m) => m + 0.05), g));
});

test('embedded x0 passes: each narrows every sample to its bin, the last is exact, the total stays near one pass', (t) => {
  const g = { width: 24, height: 24, channels: 3 };
  const n = 24 * 24 * 3;
  const z = new Float64Array(2 * n);
  new PhiloxStream([5, 9], [0, 0, 0]).normals(z);
  // a smooth image and a model mean that is off by a few levels
  const v = Uint8Array.from({ length: n }, (_, i) => Math.max(0, Math.min(255, Math.round(128 + 60 * Math.sin((i % 72) / 11) + 40 * Math.cos(i / 700) + 2 * z[i]))));
  const means = Float64Array.from(v, (x, i) => (x + 5 * z[n + i]) / 127.5 - 1);
  const enc = x0Start(means, g);
  const dec = x0Start(means, g);
  const sizes: number[] = [];
  for (const shift of [4, 2, 0]) {
    const pass = x0EncodePass(v, enc, g, shift);
    sizes.push(pass.length);
    const out = x0DecodePass(pass, dec, g);
    const est = x0Estimate(dec);
    const maxErr = Math.max(...Array.from(v, (x, i) => Math.abs(x - est[i])));
    t.true(maxErr <= 2 ** shift - 1, `pass 2^${shift}: max error ${maxErr} (the estimate stays inside the bin)`);
    t.is(out === null, shift !== 0);
  }
  const one = x0Encode(v, means, g)[0].length;
  const total = sizes.reduce((a, b) => a + b, 0);
  t.true(total < one * 1.15, `three passes ${total} bytes vs one pass ${one}`);
  t.throws(() => x0EncodePass(v, enc, g, 0), { message: /bin width/ });
});

test('the scale follows the means\' activity: where x̂_0 has texture its errors are larger, and the coder uses that', (t) => {
  const g = { width: 32, height: 32, channels: 3 };
  const n = 32 * 32 * 3;
  const z = new Float64Array(n);
  new PhiloxStream([7, 2], [0, 0, 0]).normals(z);
  // left half flat, right half a fine stripe texture; the model's error is 1 level on the flat half, 9 on the texture
  const v = Uint8Array.from({ length: n }, (_, i) => {
    const x = Math.floor(i / 3) % 32;
    return x < 16 ? 90 : 60 + 120 * (Math.floor(i / 96) % 2);
  });
  const noisy = Uint8Array.from(v, (x, i) => Math.max(0, Math.min(255, Math.round(x + (Math.floor(i / 3) % 32 < 16 ? 1 : 9) * z[i]))));
  const means = Float64Array.from(v, (x) => x / 127.5 - 1);
  const plan = x0Plan(noisy, means, g);
  t.true(plan.params.qGamma > 0, `γ = ${plan.params.qGamma}/64`);
  const withActivity = x0Encode(noisy, means, g, plan)[0].length;
  const flat = x0Encode(noisy, means, g, { ...plan, params: { ...plan.params, qGamma: 0 } })[0].length;
  t.true(withActivity < flat * 0.97, `${withActivity} vs ${flat} bytes with γ = 0`);
  // the plan's estimate prices the same predictions the coder uses (activity and bias included)
  t.true(Math.abs(withActivity - plan.estimatedBytes) < 0.01 * withActivity + 8, `coded ${withActivity} bytes, estimated ${plan.estimatedBytes.toFixed(1)}`);
  t.deepEqual(Array.from(x0Decode(x0Encode(noisy, means, g, plan), means, g)), Array.from(noisy));
});

test('a coarse pass\'s estimate centre (m + offset or m) is the one closer to the samples, as the decoder computes it', (t) => {
  const g = { width: 24, height: 24, channels: 3 };
  const n = 24 * 24 * 3;
  const z = new Float64Array(2 * n);
  new PhiloxStream([5, 10], [0, 0, 0]).normals(z);
  const v = Uint8Array.from({ length: n }, (_, i) => Math.max(0, Math.min(255, Math.round(128 + 60 * Math.sin((i % 72) / 11) + 10 * z[i]))));
  const mse = (est: Uint8Array) => est.reduce((a, e, i) => a + (e - v[i]) ** 2, 0) / n;
  const seen = new Set<number>();
  for (const noise of [0.5, 2, 6]) {
    const means = Float64Array.from(v, (x, i) => (x + noise * z[n + i]) / 127.5 - 1);
    const enc = x0Start(means, g);
    for (const shift of [4, 2]) {
      const before = { ...enc, lo: enc.lo.slice() };
      const pass = x0EncodePass(v, enc, g, shift);
      seen.add(pass[0] & 0x80);
      t.is(x0PassBinWidth(pass), 2 ** shift, 'listings read the width past the flag');
      const flipped = pass.slice();
      flipped[0] ^= 0x80;
      const a = { ...before, lo: before.lo.slice() };
      const b = { ...before, lo: before.lo.slice() };
      x0DecodePass(pass, a, g);
      x0DecodePass(flipped, b, g);
      t.deepEqual(Array.from(a.lo), Array.from(b.lo), 'the flag changes only the estimate');
      t.true(mse(x0Estimate(a)) <= mse(x0Estimate(b)), `noise ${noise}, bins of ${2 ** shift}: ${mse(x0Estimate(a))} vs ${mse(x0Estimate(b))}`);
    }
  }
  t.is(seen.size, 2, 'both centres occur');
  const last = x0Encode(v, Float64Array.from(v, (x) => x / 127.5 - 1), g)[0].slice();
  last[0] |= 0x80;
  t.throws(() => x0Decode([last], Float64Array.from(v, (x) => x / 127.5 - 1), g), { message: /reconstruction flag/ });
});

test('the plan\'s size estimate matches the coded size of its one-pass code', (t) => {
  const g = { width: 32, height: 32, channels: 3 };
  const n = 32 * 32 * 3;
  const z = new Float64Array(n);
  new PhiloxStream([7, 5], [0, 0, 0]).normals(z);
  // flat left half, striped right half; the means read 5 levels high on the stripes, 2 low on the flat part
  const flat = (i: number) => Math.floor(i / 3) % 32 < 16;
  const pattern = (i: number) => (flat(i) ? 90 : 60 + 120 * (Math.floor(i / 96) % 2));
  const v = Uint8Array.from({ length: n }, (_, i) => Math.max(0, Math.min(255, Math.round(pattern(i) + 2 * z[i]))));
  const means = Float64Array.from(v, (_, i) => (pattern(i) + (flat(i) ? -2 : 5)) / 127.5 - 1);
  const plan = x0Plan(v, means, g);
  const coded = x0Encode(v, means, g, plan)[0].length;
  t.true(Math.abs(coded - plan.estimatedBytes) < 0.01 * coded + 8, `coded ${coded} bytes, estimated ${plan.estimatedBytes.toFixed(1)}`);
});

test('the plan prices the whole ladder: its estimate matches the coded passes, and the coarse passes cost more than one pass', async (t) => {
  const img = await readImage('fixtures/coffee-64.png');
  const z = new Float64Array(img.data.length);
  new PhiloxStream([7, 9], [0, 0, 0]).normals(z);
  for (const noise of [1.5, 10]) {
    const means = Float64Array.from(img.data, (v, i) => (v + noise * z[i]) / 127.5 - 1);
    for (const shifts of [[2, 0], [3, 1, 0]]) {
      const plan = x0Plan(img.data, means, img, shifts);
      const passes = x0Encode(img.data, means, img, plan, shifts);
      // the payloads, plus each further pass's chunk frame
      const coded = passes.reduce((a, p) => a + p.length, 0) + 6 * (passes.length - 1);
      t.true(Math.abs(plan.ladderBytes - coded) < 0.01 * coded + 8, `${shifts}: coded ${coded} bytes, estimated ${plan.ladderBytes.toFixed(1)}`);
      t.true(plan.ladderBytes > plan.estimatedBytes + 20, `${shifts}: the ladder costs more than one pass`);
    }
  }
  const one = x0Plan(img.data, Float64Array.from(img.data, (v) => v / 127.5 - 1), img);
  t.is(one.ladderBytes, one.estimatedBytes, 'one pass: the same estimate');
});
