import test from 'ava';
import fc from 'fast-check';
import { x0Encode, x0Decode } from '../src/codec/x0-coder.js';
import { PhiloxStream } from '../src/bitstream/philox.js';

test('context-adaptive x0 coder round-trips any samples under any means (property)', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(1, 3), fc.integer({ min: 0, max: 1 << 30 }), fc.double({ min: 0, max: 3, noNaN: true }), (w, h, c, seed, noise) => {
      const n = w * h * c;
      const u = new Float64Array(2 * n + 2);
      new PhiloxStream([seed, 1], [0, 0, 0]).uniforms(u);
      const v = Uint8Array.from({ length: n }, (_, i) => Math.floor(u[i] * 256));
      const means = Float64Array.from({ length: n }, (_, i) => Math.max(-1.5, Math.min(1.5, v[i] / 127.5 - 1 + noise * (u[n + i] - 0.5))));
      const g = { width: w, height: h, channels: c };
      const bytes = x0Encode(v, means, g);
      const back = x0Decode(bytes, means, g);
      return back.every((x, i) => x === v[i]);
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
  const a = x0Encode(v, near, g).length;
  const b = x0Encode(v, far, g).length;
  t.true(a < b * 0.6, `${a} vs ${b}`);
  t.true(a * 8 < n * 3, `${a} bytes for samples within ~1 level of their means`);
});

test('the lossless chunk verifies the decoded pixels (CRC-32 of the samples)', (t) => {
  const g = { width: 6, height: 5, channels: 3 };
  const v = Uint8Array.from({ length: 90 }, (_, i) => (i * 37) % 256);
  const means = Float64Array.from(v, (x) => x / 127.5 - 1);
  const bytes = x0Encode(v, means, g);
  t.deepEqual(Array.from(x0Decode(bytes, means, g)), Array.from(v));
  const bad = bytes.slice();
  bad[bad.length - 1] ^= 1;
  t.throws(() => x0Decode(bad, means, g), { message: /lossless check/ });
  // means that differ from the encoder's (a desynchronised decoder) also fail the check or the coder
  t.throws(() => x0Decode(bytes, Float64Array.from(means, (m) => m + 0.05), g));
});
