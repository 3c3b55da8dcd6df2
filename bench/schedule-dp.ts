/**
 * The coding-schedule search (src/codec/schedule-search.ts) at several per-step penalties from one
 * measurement: for each penalty, the shared cheapest path over the images' mean costs and its
 * estimated lossless size, beside each image's own optimum and the path the encoder takes on the
 * log-SNR candidates (steps under DEFAULT_MIN_STEP_BITS merged, ending within the slack). Estimates
 * from the cost model (REC ≈ 1.06 KL + 4 bits per step; the ending by x0Plan), not coded files:
 * the RD benchmark (`npm run bench -- --model F` on a model holding the schedule) measures those.
 *
 *   npm run build && node dist/bench/schedule-dp.js [--images data/train] [--size 64] [--limit 8] [--grid 200] [--penalty 0,16,64,256]
 */
import { parseArgs } from 'node:util';
import { loadDenoiser, DEFAULT_MODEL_PATH } from '../src/codec/api.js';
import { logSnrSchedule, DEFAULT_STEPS } from '../src/codec/coding-schedule.js';
import { DEFAULT_MIN_STEP_BITS, DEFAULT_LOSSLESS_SLACK } from '../src/codec/encoder.js';
import { measureStepCosts, stepKl, stepBits, cheapestPath, type StepCosts } from '../src/codec/schedule-search.js';
import { type NoiseSchedule } from '../src/model/schedule.js';
import { loadEvalImages } from './eval-images.js';
import { machineInfo } from './machine.js';

/** The encoder's path on its candidates: greedy merging of steps under minStepBits, then the ending within the slack. */
function encoderPath(sch: NoiseSchedule, m: StepCosts, cand: number[]): { path: number[]; bits: number } {
  const path = [cand[0]];
  const totals: Array<{ k: number; bits: number }> = [];
  let acc = 0;
  let c = 0;
  for (;;) {
    const t = cand[c];
    totals.push({ k: path.length - 1, bits: acc + (m.endBits.get(t) as number) });
    if (c === cand.length - 1) break;
    let next = c + 1;
    while (stepKl(sch, m, t, cand[next]) < DEFAULT_MIN_STEP_BITS && next + 1 < cand.length) {
      if (stepKl(sch, m, t, cand[next + 1]) > DEFAULT_MIN_STEP_BITS) break;
      next++;
    }
    acc += stepBits(stepKl(sch, m, t, cand[next]));
    c = next;
    path.push(cand[c]);
  }
  const cheapest = Math.min(...totals.map((e) => e.bits));
  let e = totals[0];
  for (const cnd of totals) if (cnd.bits <= cheapest * (1 + DEFAULT_LOSSLESS_SLACK)) e = cnd;
  return { path: path.slice(0, e.k + 1), bits: e.bits };
}

/** Estimated bits of a path for one image (steps + ending at its last timestep). */
function pathBits(sch: NoiseSchedule, m: StepCosts, path: number[]): number {
  let acc = 0;
  for (let i = 1; i < path.length; i++) acc += stepBits(stepKl(sch, m, path[i - 1], path[i]));
  return acc + (m.endBits.get(path[path.length - 1]) as number);
}

async function main() {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '64' },
      limit: { type: 'string', default: '8' },
      grid: { type: 'string', default: '200' },
      penalty: { type: 'string', default: '0,16,64,256' },
      model: { type: 'string', default: DEFAULT_MODEL_PATH },
      images: { type: 'string', default: 'data/train' },
    },
  });
  const den = await loadDenoiser(values.model);
  const sch = den.schedule;
  const images = await loadEvalImages(values.images, Number(values.size), Number(values.limit));
  const cand = logSnrSchedule(sch, DEFAULT_STEPS);
  const grid = [...new Set([...logSnrSchedule(sch, Number(values.grid)), ...cand])].sort((a, b) => b - a);
  const t0 = performance.now();
  const total = images.length * grid.length;
  let done = 0;
  const measured = images.map((img, i) =>
    measureStepCosts(den, { ...img, channels: 3 }, grid, i, () => {
      if (++done % 20 === 0) process.stderr.write(`\r${done}/${total} network evaluations, ETA ${(((performance.now() - t0) / 1000 / done) * (total - done)).toFixed(0)} s   `);
    }),
  );
  process.stderr.write('\n');
  const meanKl = (t: number, s: number) => measured.reduce((acc, m) => acc + stepKl(sch, m, t, s), 0) / measured.length;
  const meanEnd = (t: number) => measured.reduce((acc, m) => acc + (m.endBits.get(t) as number), 0) / measured.length;
  const px = images[0].width * images[0].height;
  const meanBpp = (bits: number[]) => bits.reduce((a, b) => a + b, 0) / bits.length / px;
  const current = measured.map((m) => encoderPath(sch, m, cand));
  const dp = values.penalty.split(',').map(Number).map((penalty) => {
    const own = measured.map((m) => cheapestPath(grid, (t, s) => stepBits(stepKl(sch, m, t, s)) + penalty, (t) => m.endBits.get(t) as number));
    const shared = cheapestPath(grid, (t, s) => stepBits(meanKl(t, s)) + penalty, meanEnd);
    const row = {
      penalty,
      shared: { path: shared.path, steps: shared.path.length - 1, meanBpp: meanBpp(measured.map((m) => pathBits(sch, m, shared.path))) },
      ownOptimumMeanBpp: meanBpp(own.map((p, i) => pathBits(sch, measured[i], p.path))),
      ownOptimum: own.map((p, i) => ({ name: images[i].name, steps: p.path.length - 1, end: p.path[p.path.length - 1] })),
    };
    console.error(`penalty ${penalty}: shared path ${row.shared.steps} steps, ${row.shared.meanBpp.toFixed(3)} bpp (each image's own optimum ${row.ownOptimumMeanBpp.toFixed(3)}): ${shared.path.join(' ')}`);
    return row;
  });
  console.error(`encoder on the ${DEFAULT_STEPS} log-SNR candidates: ${meanBpp(current.map((c) => c.bits)).toFixed(3)} bpp`);
  console.log(
    JSON.stringify(
      {
        machine: machineInfo(),
        model: { id: den.model.id, sha256: den.model.sha256 },
        images: { dir: values.images, names: images.map((i) => i.name), size: Number(values.size) },
        grid: grid.length,
        logSnrCandidates: { candidates: cand, meanBpp: meanBpp(current.map((c) => c.bits)), perImage: current.map((c, i) => ({ name: images[i].name, steps: c.path.length - 1, end: c.path[c.path.length - 1] })) },
        dp,
        seconds: (performance.now() - t0) / 1000,
      },
      null,
      1,
    ),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
