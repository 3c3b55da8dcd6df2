import test from 'ava';
import { initBackend } from '../src/model/backend.js';
import { Denoiser } from '../src/codec/denoiser.js';
import { readImage } from '../src/codec/image-io.js';
import { encodeImage, DEFAULT_MIN_STEP_BITS } from '../src/codec/encoder.js';
import { cheapestPath, stepKl, measureStepCosts, searchSchedule } from '../src/codec/schedule-search.js';
import { stepGeometry } from '../src/codec/step-math.js';
import { gaussianKl } from '../src/model/diffusion.js';
import { NoiseSchedule, DDPM_LINEAR } from '../src/model/schedule.js';
import { serializeModel, parseModel } from '../src/model/model-file.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import { tinyModel } from './helpers.js';
import { inspect } from '../src/codec/api.js';
import { readContainer } from '../src/bitstream/container.js';

test.before(async () => {
  await initBackend('wasm');
});

test('cheapest path equals the exhaustive minimum over every subset of the grid and every ending', (t) => {
  const u = new Float64Array(200);
  for (let trial = 0; trial < 30; trial++) {
    new PhiloxStream([trial, 7], [0, 0, 0]).uniforms(u, 1 << 30);
    const grid = [100, 90, 70, 55, 40, 22, 10, 3];
    const n = grid.length;
    const c = (t2: number, s: number) => u[(grid.indexOf(t2) * n + grid.indexOf(s)) % 150] * 10 + (t2 - s) * 0.01;
    const e = (t2: number) => u[150 + grid.indexOf(t2)] * 20;
    let best = Infinity;
    // every path is T plus a subset of the rest, in order; its last element is the ending
    for (let mask = 0; mask < 1 << (n - 1); mask++) {
      const path = [grid[0], ...grid.slice(1).filter((_, i) => mask & (1 << i))];
      let v = e(path[path.length - 1]);
      for (let i = 1; i < path.length; i++) v += c(path[i - 1], path[i]);
      best = Math.min(best, v);
    }
    const r = cheapestPath(grid, c, e);
    t.true(Math.abs(r.bits - best) < 1e-9, `trial ${trial}: ${r.bits} vs ${best}`);
    let again = e(r.path[r.path.length - 1]);
    for (let i = 1; i < r.path.length; i++) again += c(r.path[i - 1], r.path[i]);
    t.true(Math.abs(again - r.bits) < 1e-9, 'the path costs what it claims');
  }
});

test('the closed-form step KL equals the sum of per-dimension Gaussian KLs with the measured error variance', (t) => {
  const sch = new NoiseSchedule(DDPM_LINEAR);
  const D = 3000;
  const d = new Float64Array(D);
  new PhiloxStream([5, 5], [0, 0, 0]).normals(d);
  for (let i = 0; i < D; i++) d[i] *= 0.1 * (1 + (i % 7)); // x_0 − x̂_0, uneven
  const mse = d.reduce((a, v) => a + v * v, 0) / D;
  for (const [tt, s] of [[1000, 700], [300, 250], [40, 35], [8, 1]]) {
    const g = stepGeometry(sch, tt, s);
    const e2 = g.cx0 * g.cx0 * mse;
    let kl = 0;
    for (let i = 0; i < D; i++) kl += gaussianKl(g.cx0 * d[i], g.variance, 0, g.variance + e2);
    const closed = stepKl(sch, { D, mse: new Map([[tt, mse]]) }, tt, s);
    t.true(Math.abs(kl / Math.LN2 - closed) < 1e-6 * Math.max(1, closed), `${tt}→${s}: ${kl / Math.LN2} vs ${closed}`);
  }
});

test('schedule search on a tiny model: a valid schedule the encoder follows, stored without changing the hash', async (t) => {
  const model = tinyModel(4);
  const den = new Denoiser(model);
  const imgs = [await readImage('fixtures/coffee-32.png'), await readImage('fixtures/astronaut-32.png')];
  const grid = [1000, 500, 200, 80, 20, 5, 1];
  const costs = measureStepCosts(den, imgs[0], grid, 0);
  t.deepEqual([...costs.mse.keys()], grid);
  for (const t2 of grid) t.true((costs.mse.get(t2) as number) > 0 && (costs.endBits.get(t2) as number) > 0);
  const r = searchSchedule(den, imgs, { gridSize: 12, penaltyBits: 64 });
  t.is(r.schedule[0], 1000);
  t.deepEqual(r.schedule.slice(0, r.path.length), r.path, 'the cheapest path leads the candidates');
  for (let i = 1; i < r.schedule.length; i++) t.true(Number.isInteger(r.schedule[i]) && r.schedule[i] < r.schedule[i - 1] && r.schedule[i] >= 1);
  const stored = parseModel(serializeModel({ ...model, codingSchedule: r.schedule }));
  t.is(stored.sha256, model.sha256, 'the schedule only guides the encoder: same model identity');
  t.deepEqual(stored.codingSchedule, r.schedule);
  const o = { earlyLossless: false, minChunkBits: 0 };
  const enc = encodeImage(imgs[0], new Denoiser(stored), o);
  const explicit = encodeImage(imgs[0], den, { ...o, steps: r.schedule, minStepBits: DEFAULT_MIN_STEP_BITS });
  // the same steps and chunks; only the header differs (the steps recorded against the stored schedule)
  t.deepEqual(inspect(enc.bytes, { model: stored }).tiles[0].steps, inspect(explicit.bytes).tiles[0].steps, 'the default encode follows the stored candidates');
  const chunks = (b: Uint8Array) => b.subarray(readContainer(b).offsets[0]);
  t.deepEqual(chunks(enc.bytes), chunks(explicit.bytes));
  t.true(enc.bytes.length < explicit.bytes.length);
  t.notDeepEqual(enc.bytes, encodeImage(imgs[0], den, o).bytes, 'and differs from the log-SNR default');
  for (const bad of [[999, 500], [1000, 500, 500], [1000, 0], [1000, 2.5], 'x']) {
    const raw = serializeModel({ ...model, codingSchedule: bad as number[] });
    t.throws(() => parseModel(raw), { message: /coding schedule malformed/ }, JSON.stringify(bad));
  }
});
