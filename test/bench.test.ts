import test from 'ava';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/model/backend.js';
import { Denoiser } from '../src/codec/denoiser.js';
import { readImage } from '../src/codec/image-io.js';
import { runRd, summarize, writeReports } from '../bench/rd.js';
import { bdRate, bdRatePchip, timeShared } from '../bench/bd-rate.js';
import { psnr, msssim } from '../bench/metrics.js';
import { tinyModel } from './helpers.js';

test('benchmark harness smoke run: one small image, a tiny model, every output written', async (t) => {
  await initBackend('wasm');
  const den = new Denoiser(tinyModel(1));
  const img = await readImage('fixtures/coffee-32.png');
  const results = await runRd({ images: [{ ...img, name: 'coffee-32' }], label: '32x32', den, steps: 4, recon: ['mean', 'flow'], reconSteps: 2, qualities: [20, 50, 80, 95], jxl: false, bound: true });
  t.is(results.length, 1);
  const r = results[0];
  t.is(r.ours.mean.length, r.ours.flow.length);
  t.is(r.ours.mean[r.ours.mean.length - 1].psnr, Infinity, 'the full stream is lossless');
  for (const k of ['jpeg', 'webp', 'avif', 'jpegProgressiveCut']) t.true(r.baselines[k].length > 0, k);
  for (const k of ['ours', 'png', 'webpLossless', 'avifLossless', 'modelBound']) t.true(r.losslessBpp[k] > 0 && Number.isFinite(r.losslessBpp[k]), k);
  const s = summarize('32x32', results);
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const files = await writeReports(dir, 'smoke', [s], { machine: { test: true }, model: { id: 'tiny' } }, { '32x32': results });
  for (const f of files) t.true(existsSync(f), f);
  t.true(JSON.parse(readFileSync(files[0], 'utf8')).summaries[0].losslessBpp.png > 0);
});

test('metrics and BD-rate behave', (t) => {
  const a = { width: 16, height: 16, channels: 3, data: new Uint8Array(768).map((_, i) => (i * 7) % 256) };
  const b = { ...a, data: a.data.map((v) => Math.min(255, v + 2)) };
  t.is(psnr(a, a), Infinity);
  t.true(Math.abs(msssim(a, a) - 1) < 1e-9);
  t.true(psnr(a, b) > 40 && psnr(a, b) < 45);
  t.true(msssim(a, b) < 1);
  const curve = [0.5, 1, 2, 4].map((bpp) => ({ bpp, psnr: 25 + 5 * Math.log2(bpp) }));
  const half = curve.map((p) => ({ ...p, bpp: p.bpp / 2 }));
  t.true(Math.abs((bdRate(curve, half) as number) + 50) < 0.5);
  t.true(Math.abs(bdRate(curve, curve) as number) < 1e-6);
  // PCHIP: exact on a log-linear curve, and bounded where a single cubic through sparse points swings
  t.true(Math.abs((bdRatePchip(curve, half) as number) + 50) < 1e-9);
  t.true(Math.abs(bdRatePchip(curve, curve) as number) < 1e-9);
  const twoThirds = curve.map((p) => ({ ...p, bpp: (p.bpp * 2) / 3 }));
  t.true(Math.abs((bdRatePchip(curve, twoThirds) as number) + 100 / 3) < 1e-9);
  // rocket-64 against the progressive JPEG cut at its truncation points (session 13): one cubic fit gave +6.9e8 %
  const ours = [[0.13, 9.0], [0.63, 32.3], [1.17, 36.9], [1.91, 41.1], [6.68, 53.1]].map(([bpp, psnr]) => ({ bpp, psnr }));
  const cut = [[0.63, 21.9], [1.17, 22.1], [1.91, 24.3], [3.17, 34.9]].map(([bpp, psnr]) => ({ bpp, psnr }));
  const v = bdRatePchip(cut, ours) as number;
  t.true(v > -100 && v < -50, String(v));
  t.is(bdRatePchip(curve.slice(0, 1), curve), null);
  // time-sharing: endpoints kept, MSE linear in rate between them (below the straight PSNR line), a lossless end shared with
  const shared = timeShared([{ bpp: 1, psnr: 30 }, { bpp: 3, psnr: 40 }, { bpp: 9, psnr: Infinity }], 2);
  t.deepEqual(shared.map((p) => p.bpp), [1, 2, 3, 6]);
  t.is(shared[0].psnr, 30);
  t.true(Math.abs(shared[1].psnr + 10 * Math.log10((1e-3 + 1e-4) / 2)) < 1e-9 && shared[1].psnr < 35);
  t.true(Math.abs(shared[3].psnr - (40 + 10 * Math.log10(2))) < 1e-9);
  t.is(bdRatePchip(curve, curve.map((p) => ({ ...p, psnr: p.psnr + 100 }))), null);
});

test.serial('convFlops counts the convolutions a forward pass runs (profiled kernel shapes)', async (t) => {
  const { tf } = await import('../src/model/backend.js');
  await initBackend('wasm');
  const { unetForward, initParams } = await import('../src/model/unet.js');
  const { layoutOf, flatten, toTensors } = await import('../src/model/flat-params.js');
  const { convFlops } = await import('../bench/conv-flops.js');
  const c = { imageChannels: 3, base: 8, mults: [1, 2, 2], resBlocks: 1, midAttention: true, groups: 4 };
  const l = layoutOf(c);
  const p = toTensors(l, flatten(l, initParams(c, 1)));
  const x = tf.zeros([1, 16, 24, 3]) as import('@tensorflow/tfjs').Tensor4D;
  const info = await tf.profile(() => void tf.tidy(() => unetForward(c, p, x, [10])));
  let profiled = 0;
  for (const k of info.kernels) {
    if (k.name !== 'Conv2D' && k.name !== 'FusedConv2D') continue;
    const [xs, ws] = k.inputShapes as number[][];
    profiled += 2 * xs[0] * xs[1] * xs[2] * ws[0] * ws[1] * ws[2] * ws[3];
  }
  t.true(profiled > 0);
  t.is(convFlops(c, 16, 24), profiled);
  tf.dispose([...p.values(), x]);
});
