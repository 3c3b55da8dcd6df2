import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unpack } from 'msgpackr';
import { train, type TrainOptions } from '../src/model/train.js';
import { TINY_UNET } from '../src/model/unet.js';
import { DDPM_LINEAR } from '../src/model/schedule.js';
import { loadModelFile } from '../src/model/model-file.js';
import { float32FromBytes } from '../src/model/float-bytes.js';

const photos = ['fixtures/astronaut-64.png', 'fixtures/chelsea-64.png', 'fixtures/coffee-64.png'];

function opts(dir: string, steps: number, tag: string): TrainOptions {
  return {
    config: { unet: TINY_UNET, schedule: DDPM_LINEAR },
    photos,
    valPhotos: [],
    out: join(dir, `${tag}.ddpm-model`),
    checkpoint: join(dir, `${tag}.ckpt`),
    steps,
    batch: 4,
    crop: 8,
    lr: 1e-3,
    warmup: 2,
    emaDecay: 0.9,
    workers: 2,
    seed: 5,
    backend: 'wasm',
    saveEvery: 2,
    valEvery: 1000,
    id: tag,
    quiet: true,
  };
}

test('worker-thread training writes a loadable model, and a resumed run equals an uninterrupted one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'train-'));
  const straight = await train(opts(dir, 4, 'a'));
  await train(opts(dir, 2, 'b'));
  const resumed = await train(opts(dir, 4, 'b'));
  t.is(straight.step, 4);
  t.is(resumed.step, 4);
  t.deepEqual(Array.from(resumed.params), Array.from(straight.params));
  t.deepEqual(Array.from(resumed.ema), Array.from(straight.ema));
  // the checkpoint on disk round-trips exactly
  const ck = unpack(readFileSync(join(dir, 'b.ckpt'))) as { params: Uint8Array };
  t.deepEqual(Array.from(float32FromBytes(ck.params)), Array.from(resumed.params));
  const m = loadModelFile(join(dir, 'a.ddpm-model'));
  t.is(m.id, 'a');
  t.is(m.info.steps, 4);
});
