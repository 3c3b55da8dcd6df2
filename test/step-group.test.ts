import test from 'ava';
import { packSteps, unpackSteps } from '../src/codec/step-group.js';
import { STEP_REC, STEP_UQ } from '../src/codec/codec-params.js';
import { DdpmError } from '../src/bitstream/errors.js';

test('step chunks round-trip any mix of steps and reject malformed payloads', (t) => {
  const steps = [
    { channel: STEP_REC, bytes: new Uint8Array([1, 2]) },
    { channel: STEP_UQ, bytes: new Uint8Array(300).fill(9) },
    { channel: STEP_REC, bytes: new Uint8Array(0) },
  ] as const;
  const packed = packSteps(steps);
  t.is(packed.length, 1 + 2 + 2 + 300 + 1 + 0);
  const back = unpackSteps(packed);
  t.deepEqual(back.map((s) => [s.channel, Array.from(s.bytes)]), steps.map((s) => [s.channel, Array.from(s.bytes)]));
  t.throws(() => unpackSteps(new Uint8Array(0)), { instanceOf: DdpmError, message: /empty/ });
  t.throws(() => unpackSteps(new Uint8Array([0x80, 0x00])), { instanceOf: DdpmError, message: /overlong/ });
  t.throws(() => unpackSteps(packed.subarray(0, packed.length - 10)), { instanceOf: DdpmError, message: /past the end/ });
  t.throws(() => unpackSteps(new Uint8Array([2 * 5, 1, 2])), { instanceOf: DdpmError, message: /past the end/ });
  t.throws(() => packSteps([]), { instanceOf: DdpmError });
});
