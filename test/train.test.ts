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

test('timestep laws: uniform is DDPM\'s; vlb follows the log-SNR decrements', async (t) => {
  const { sampleTimestep } = await import('../src/model/train-step.js');
  const { NoiseSchedule } = await import('../src/model/schedule.js');
  const sch = new NoiseSchedule(DDPM_LINEAR);
  const n = 20000;
  const count = (mode: 'uniform' | 'vlb', upTo: number) => {
    let c = 0;
    for (let i = 0; i < n; i++) if (sampleTimestep(sch, (i + 0.5) / n, mode) <= upTo) c++;
    return c / n;
  };
  t.is(sampleTimestep(sch, 0.5, 'uniform'), 501);
  t.is(count('uniform', 100), 0.1);
  // P(t ≤ k) under vlb = (λ_1 + (λ_1 − λ_2) − λ_k) / (λ_1 + (λ_1 − λ_2) − λ_T), λ = log SNR
  const lam = (k: number) => Math.log(sch.alphaBar[k] / (1 - sch.alphaBar[k]));
  const top = 2 * lam(1) - lam(2);
  for (const k of [1, 10, 100, 500]) {
    const want = (top - lam(k)) / (top - lam(sch.T));
    t.true(Math.abs(count('vlb', k) - want) < 2e-3, `P(t <= ${k})`);
  }
  t.is(sampleTimestep(sch, 1e-12, 'vlb'), 1);
  t.is(sampleTimestep(sch, 1 - 1e-12, 'vlb'), sch.T);
});
