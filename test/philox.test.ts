import test from 'ava';
import { philox4x32, PhiloxStream } from '../src/bitstream/philox.js';
import { rawMoments } from './helpers.js';

const hex = (a: ArrayLike<number>) => Array.from(a, (x) => (x >>> 0).toString(16).padStart(8, '0')).join(' ');

// Known-answer vectors published with Random123 (kat_vectors, philox4x32_10).
test('Philox4x32-10 known-answer vectors', (t) => {
  const out = new Uint32Array(4);
  philox4x32(0, 0, 0, 0, 0, 0, out);
  t.is(hex(out), '6627e8d5 e169c58d bc57ac4c 9b00dbd8');
  philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
  t.is(hex(out), '408f276d 41c83b0e a20bc7c6 6d5451fd');
  philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
  t.is(hex(out), 'd16cfe09 94fdcceb 5001e420 24126ea1');
});

test('normals: moments, addressability and golden values', (t) => {
  const s = new PhiloxStream([123, 456], [1, 2, 3]);
  const n = 200000;
  const x = new Float64Array(n);
  s.normals(x);
  const { mean: m, m2: v, m4: k4 } = rawMoments(x);
  t.true(Math.abs(m) < 0.01, `mean ${m}`);
  t.true(Math.abs(v - 1) < 0.015, `var ${v}`);
  t.true(Math.abs(k4 - 3) < 0.08, `4th moment ${k4}`);
  // draws are addressable: starting at block 500 gives draws 1000.. of the full stream
  const part = new Float64Array(10);
  s.normals(part, 500);
  t.deepEqual(Array.from(part), Array.from(x.subarray(1000, 1010)));
  t.snapshot(Array.from(x.subarray(0, 8)));
  const u = new Float64Array(8);
  s.uniforms(u);
  t.snapshot(Array.from(u));
  t.true(u.every((a) => a > 0 && a < 1));
});

test('different stream ids and seeds give different draws', (t) => {
  const a = new Float64Array(4);
  const b = new Float64Array(4);
  new PhiloxStream([1, 0], [0, 0, 0]).normals(a);
  new PhiloxStream([1, 0], [0, 0, 1]).normals(b);
  t.notDeepEqual(Array.from(a), Array.from(b));
  new PhiloxStream([2, 0], [0, 0, 0]).normals(b);
  t.notDeepEqual(Array.from(a), Array.from(b));
});
