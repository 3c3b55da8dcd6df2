import test from 'ava';
import { BitWriter, BitReader } from '../src/bitstream/bit-packing.js';
import { DdpmError } from '../src/bitstream/errors.js';
import { packSteps, unpackSteps, scheduleCheck } from '../src/codec/codec-params.js';
import { PhiloxStream } from '../src/bitstream/philox.js';

test('gamma and Rice codes round-trip exhaustively over small values, with the textbook lengths', (t) => {
  const w = new BitWriter();
  let bits = 0;
  for (let v = 1; v <= 4096; v++) {
    w.gamma(v);
    bits += 2 * Math.floor(Math.log2(v)) + 1;
  }
  for (let k = 0; k <= 8; k++) {
    for (let v = 0; v < 600; v++) {
      w.rice(v, k);
      bits += (v >> k) + 1 + k;
    }
  }
  w.bits(5, 3);
  bits += 3;
  const bytes = w.finish();
  t.is(bytes.length, Math.ceil(bits / 8));
  const r = new BitReader(bytes, 'test');
  for (let v = 1; v <= 4096; v++) if (r.gamma() !== v) return t.fail(`gamma ${v}`);
  for (let k = 0; k <= 8; k++) for (let v = 0; v < 600; v++) if (r.rice(k) !== v) return t.fail(`rice ${v}/${k}`);
  t.is(r.bits(3), 5);
  r.end();
  t.throws(() => r.bit(), { instanceOf: DdpmError, message: /ends early/ });
});

test('the bit reader rejects trailing bytes, nonzero padding and endless runs', (t) => {
  t.throws(() => new BitReader(Uint8Array.of(0x80, 0), 'x').end(), { message: /trailing/ });
  const r = new BitReader(Uint8Array.of(0b10100000), 'x');
  t.is(r.bit(), 1);
  t.throws(() => r.end(), { message: /padding/ });
  t.throws(() => new BitReader(new Uint8Array(8), 'x').gamma(), { instanceOf: DdpmError });
  t.throws(() => new BitReader(new Uint8Array(64).fill(255), 'x').rice(0), { instanceOf: DdpmError, message: /ends early/ });
  t.throws(() => new BitWriter().gamma(0), { instanceOf: DdpmError });
  t.throws(() => new BitWriter().rice(-1, 2), { instanceOf: DdpmError });
});

const shipped = [1000, 759, 629, 498, 366, 260, 199, 148, 112, 88, 72, 59, 50, 41, 35, 29, 25, 21, 18, 16, 14, 12, 10, 8, 7, 6, 5, 4, 3, 2, 1];

test('coding steps pack compactly and round-trip: the shipped schedule, every step of T = 1000, random subsets', (t) => {
  const packed = packSteps(shipped);
  t.true(packed.length <= 24, `${packed.length} bytes`);
  t.deepEqual(unpackSteps(packed), shipped);
  const all = Array.from({ length: 1000 }, (_, i) => 1000 - i);
  t.deepEqual(unpackSteps(packSteps(all)), all);
  t.deepEqual(unpackSteps(packSteps([1000])), [1000]);
  t.deepEqual(unpackSteps(packSteps([1])), [1]);
  const u = new Float64Array(2);
  const s = new PhiloxStream([5, 6], [0, 0, 0]);
  for (let trial = 0; trial < 300; trial++) {
    s.uniforms(u, trial);
    const T = 1 + Math.floor(u[0] * 4000);
    const keep = u[1];
    const steps = [T];
    for (let v = T - 1; v >= 1; v--) if (((v * 2654435761 + trial) >>> 0) / 2 ** 32 < keep * 0.3) steps.push(v);
    if (steps.length > 1000) steps.length = 1000;
    if (JSON.stringify(unpackSteps(packSteps(steps))) !== JSON.stringify(steps)) return t.fail(`T ${T}, ${steps.length} steps`);
  }
  t.throws(() => packSteps([10, 10]), { instanceOf: DdpmError });
  t.throws(() => packSteps([]), { instanceOf: DdpmError });
});

test('packed coding steps from untrusted bytes: every truncation and bit flip is rejected or gives valid steps', (t) => {
  const packed = packSteps(shipped);
  let rejected = 0;
  for (let n = 0; n < packed.length; n++) t.throws(() => unpackSteps(packed.subarray(0, n)), { instanceOf: DdpmError });
  for (let i = 0; i < packed.length * 8; i++) {
    const m = packed.slice();
    m[i >> 3] ^= 128 >> (i & 7);
    try {
      const steps = unpackSteps(m);
      // a flip that still parses must give a valid schedule (the header CRC catches it in a file)
      t.true(steps.every((v, k) => Number.isInteger(v) && v >= 1 && (k === 0 || v < steps[k - 1])));
    } catch (e) {
      t.true(e instanceof DdpmError);
      rejected++;
    }
  }
  t.true(rejected > 0);
  t.throws(() => unpackSteps(Uint8Array.of(...packed, 0)), { message: /trailing/ });
});

test('coding steps against the model\'s schedule: a bitmask (7 bytes for 31 candidates), checked against the schedule', (t) => {
  const kept = shipped.filter((v, i) => i < 22 && i % 3 !== 1);
  for (const steps of [shipped, kept, shipped.slice(0, 12), [1000, 759, 629, 498, 260, 148]]) {
    const packed = packSteps(steps, shipped);
    t.true(packed.length <= 7, `${packed.length} bytes`);
    t.true(packed.length < packSteps(steps).length);
    t.deepEqual(unpackSteps(packed, shipped), steps);
    t.throws(() => unpackSteps(packed), { code: 'MODEL_MISMATCH', message: /model is needed/ });
    t.throws(() => unpackSteps(packed, [...shipped.slice(0, 5), 360, ...shipped.slice(6)]), { code: 'MODEL_MISMATCH', message: /another coding schedule/ });
  }
  // steps outside the schedule, or too few for the mask to be shorter: the explicit form, readable without it
  for (const few of [[1000, 700, 3], [1000], [1000, 1]]) t.deepEqual(unpackSteps(packSteps(few, shipped)), few);
  t.not(scheduleCheck(shipped), scheduleCheck(shipped.slice(0, 30)));
  // untrusted: every truncation is an error, every bit flip an error or a subset of the schedule
  const packed = packSteps(kept, shipped);
  for (let n = 0; n < packed.length; n++) t.throws(() => unpackSteps(packed.subarray(0, n), shipped), { instanceOf: DdpmError });
  for (let i = 0; i < packed.length * 8; i++) {
    const m = packed.slice();
    m[i >> 3] ^= 128 >> (i & 7);
    try {
      const steps = unpackSteps(m, shipped);
      t.true(steps.every((v, k) => Number.isInteger(v) && v >= 1 && (k === 0 || v < steps[k - 1])));
    } catch (e) {
      t.true(e instanceof DdpmError);
    }
  }
});
