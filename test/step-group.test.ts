import test from 'ava';
import { packSteps, openSteps, closeSteps, packX0Payload, splitX0Payload } from '../src/codec/step-group.js';
import { STEP_REC, STEP_UQ } from '../src/codec/codec-params.js';
import { SymbolRecorder } from '../src/bitstream/symbol-recorder.js';
import { DdpmError } from '../src/bitstream/errors.js';

function step(channel: typeof STEP_UQ | typeof STEP_REC, values: number[]) {
  const symbols = new SymbolRecorder();
  for (const v of values) symbols.encodeBits(v, 8);
  return { channel, symbols };
}

test('a step chunk is one stream: count and channels, then each step\'s symbols in order', (t) => {
  const steps = [step(STEP_REC, [1, 2]), step(STEP_UQ, Array.from({ length: 300 }, (_, i) => i % 256)), step(STEP_REC, [])];
  const packed = packSteps(steps, 5);
  // 302 bytes of symbols, log2(5) + 3 bits of count and channels, no per-step framing
  t.true(packed.length <= 302 + 2, `${packed.length} bytes`);
  const s = openSteps(packed, 5);
  t.deepEqual(s.channels, [STEP_REC, STEP_UQ, STEP_REC]);
  const back = Array.from({ length: 302 }, () => s.dec.decodeBits(8));
  t.deepEqual(back, [1, 2, ...Array.from({ length: 300 }, (_, i) => i % 256)]);
  closeSteps(s);
  // a stream cut short runs out of bytes: caught when the chunk is closed
  const cut = openSteps(packed.subarray(0, 100), 5);
  for (let i = 0; i < 302; i++) cut.dec.decodeBits(8);
  t.throws(() => closeSteps(cut), { instanceOf: DdpmError, message: /ended early/ });
  t.throws(() => packSteps([], 3), { instanceOf: DdpmError });
  t.throws(() => packSteps(steps, 2), { instanceOf: DdpmError }, 'more steps than remain');
  t.throws(() => openSteps(packed, 0), { instanceOf: DdpmError, message: /more steps than/ });
  // the count never exceeds what remains, whatever the bytes
  for (let b = 0; b < 256; b++) t.true(openSteps(new Uint8Array([b, 0xff, 0x13]), 3).channels.length <= 3);
});

test('steps that keep their channel cost a small fraction of a bit each; every switch decodes', (t) => {
  const same = Array.from({ length: 40 }, () => step(STEP_REC, []));
  // log2(40) bits of count, 1 for the first channel, log2(16/15) ≈ 0.093 for each repeat
  t.true(packSteps(same, 40).length <= 2, `${packSteps(same, 40).length} bytes`);
  const pattern = [STEP_UQ, STEP_UQ, STEP_REC, STEP_UQ, STEP_REC, STEP_REC, STEP_REC, STEP_UQ] as const;
  const mixed = pattern.map((c, i) => step(c, [i]));
  const s = openSteps(packSteps(mixed, 9), 9);
  t.deepEqual(s.channels, [...pattern]);
  t.deepEqual(pattern.map(() => s.dec.decodeBits(8)), pattern.map((_, i) => i));
  closeSteps(s);
});

test('the lossless chunk carries trailing steps ahead of the x0 code', (t) => {
  const x0 = new Uint8Array([9, 8, 7]);
  const none = splitX0Payload(packX0Payload([], 0, x0));
  t.is(none.steps.length, 0);
  t.deepEqual(Array.from(none.x0), [9, 8, 7]);
  const some = splitX0Payload(packX0Payload([step(STEP_UQ, [42])], 1, x0));
  t.deepEqual(openSteps(some.steps, 1).channels, [STEP_UQ]);
  t.deepEqual(Array.from(some.x0), [9, 8, 7]);
  t.throws(() => splitX0Payload(new Uint8Array([5, 1])), { instanceOf: DdpmError, message: /past its end/ });
});
