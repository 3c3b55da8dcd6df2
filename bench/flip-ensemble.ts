/**
 * Would a flip ensemble of the network pay? Every step's KL and the lossless ending grow with the
 * squared error of x̂_0, so averaging ε_θ over mirrored inputs (mirrored back) — the horizontal
 * flip the model was trained with, and the vertical ones — would cut them by as much as it cuts
 * that error, for two or four network evaluations per step instead of one. Measured on states
 * x_t ~ q(x_t | x_0) of the dev-eval photos (`noisyState` of bench/noisy-state.ts, as the x0-coder
 * benchmarks draw them): the mean squared error of x̂_0 from one evaluation, from the average with the horizontal
 * flip, and from the average over the four flips (none, h, v, h+v).
 *
 *   node dist/bench/flip-ensemble.js [--size 64] [--limit 8] [--t 759,498,260,112,50,21,10,5] [--out FILE.json]
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { loadDenoiser, DEFAULT_MODEL_PATH } from '../src/codec/api.js';
import { predictX0 } from '../src/codec/step-math.js';
import { loadEvalImages } from './eval-images.js';
import { noisyState } from './noisy-state.js';
import { machineInfo } from './machine.js';

/** An [H, W, 3] state mirrored left–right (h) and / or top–bottom (v). */
function mirrored(v: Float64Array, W: number, H: number, h: boolean, vert: boolean): Float64Array {
  const out = new Float64Array(v.length);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const src = ((vert ? H - 1 - y : y) * W + (h ? W - 1 - x : x)) * 3;
    const dst = (y * W + x) * 3;
    out[dst] = v[src];
    out[dst + 1] = v[src + 1];
    out[dst + 2] = v[src + 2];
  }
  return out;
}

async function main() {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '64' }, limit: { type: 'string', default: '8' }, t: { type: 'string', default: '759,498,260,112,50,21,10,5' }, model: { type: 'string', default: DEFAULT_MODEL_PATH }, out: { type: 'string' } } });
  const den = await loadDenoiser(values.model);
  const size = Number(values.size);
  const images = await loadEvalImages('data/eval', size, Number(values.limit));
  const rows = [];
  for (const t of values.t.split(',').map(Number)) {
    const mse = { single: 0, hFlip: 0, fourFlips: 0 };
    for (const img of images) {
      const [W, H] = [img.width, img.height];
      const x0 = Float64Array.from(img.data, (v) => v / 127.5 - 1);
      const xt = noisyState(den, img, t);
      const epsOf = (h: boolean, v: boolean) => mirrored(den.eps(mirrored(xt, W, H, h, v), H, W, t), W, H, h, v);
      const [e, eh, ev, ehv] = [epsOf(false, false), epsOf(true, false), epsOf(false, true), epsOf(true, true)];
      const err = (eps: Float64Array) => {
        const p = predictX0(den.schedule, t, xt, eps);
        let s = 0;
        for (let i = 0; i < p.length; i++) s += (p[i] - x0[i]) ** 2;
        return s / p.length / images.length;
      };
      mse.single += err(e);
      mse.hFlip += err(e.map((v, i) => (v + eh[i]) / 2));
      mse.fourFlips += err(e.map((v, i) => (v + eh[i] + ev[i] + ehv[i]) / 4));
    }
    const row = { t, mseSingle: mse.single, hFlipChangePct: (100 * (mse.hFlip - mse.single)) / mse.single, fourFlipsChangePct: (100 * (mse.fourFlips - mse.single)) / mse.single };
    console.error(`t = ${t}: MSE of x̂_0 ${mse.single.toExponential(3)}; with the h flip ${row.hFlipChangePct.toFixed(2)}%, with four flips ${row.fourFlipsChangePct.toFixed(2)}%`);
    rows.push(row);
  }
  const result = { machine: machineInfo(), model: den.model.sha256, size, images: images.map((i) => i.name), rows };
  if (values.out) writeFileSync(values.out, JSON.stringify(result, null, 1) + '\n');
  else console.log(JSON.stringify(result, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
