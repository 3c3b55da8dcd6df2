/**
 * Upper bounds on two ways to shrink the lossless x0 code, measured before building them: the
 * code length each would reach with its parameters chosen after the fact, on x̂_0 from a state
 * x_t ~ q(x_t | x_0) of the dev-eval photos.
 *
 *   --kind scale: the one-pass code with the law's scale multiplied by the best factor (and law)
 *                 per context class (16 scale classes × channel) — what an adaptive per-context
 *                 scale calibration could gain at most.
 *   --kind fine:  the lossless pass after a coarse pass of bins 2^shift with its law centre moved by
 *                 a linear mix of the coarse residuals of the value, its eight neighbours and
 *                 channels, and its scale by a factor per channel, all fitted on the within-bin
 *                 code length itself — what the fine pass could win back of the ladder's overhead.
 *
 *   node dist/bench/x0-oracles.js --kind scale|fine [--size 64] [--limit 8] [--t 5] [--shift 2]
 */
import { parseArgs } from 'node:util';
import { loadDenoiser, DEFAULT_MODEL_PATH } from '../src/codec/api.js';
import { x0Start, x0EncodePass, x0Plan, clampMean } from '../src/codec/x0-coder.js';
import { scanContext, readContext, lawOf, type Grid } from '../src/codec/causal-context.js';
import { pixelLawRangeBits, type ContinuousLaw } from '../src/bitstream/cdf.js';
import { meansFromNoisyState } from './noisy-state.js';
import { loadEvalImages, type EvalImage } from './eval-images.js';
import { machineInfo } from './machine.js';

/** Bits per pixel: the one-pass code as priced, and with the best scale factor and law per class. */
function scaleOracle(img: EvalImage, means: Float64Array, g: Grid): { model: number; oracle: number } {
  const plan = x0Plan(img.data, means, g);
  const s = x0Start(means, g);
  const m = s.means;
  const { law, k } = lawOf(plan.params);
  const classes = new Map<number, Array<[number, number, number]>>();
  let model = 0;
  scanContext(g, plan.params, null, m, (i, off, scale) => {
    const mu = clampMean(m[i] + off);
    model += pixelLawRangeBits(law, img.data[i], img.data[i] + 1, mu, scale * k);
    const key = Math.max(0, Math.min(15, Math.floor(Math.log2(scale) * 3 + 6))) * 3 + (i % 3);
    if (!classes.has(key)) classes.set(key, []);
    (classes.get(key) as Array<[number, number, number]>).push([i, mu, scale]);
  }, (i) => img.data[i] - m[i], { activity: s.activity, biasCancel: true });
  let oracle = 0;
  for (const list of classes.values()) {
    let best = Infinity;
    for (const L of ['gaussian', 'logistic'] as ContinuousLaw[]) {
      const kk = L === 'logistic' ? Math.sqrt(3) / Math.PI : 1;
      for (let f = 0.6; f <= 1.6 + 1e-9; f += 0.05) {
        let b = 0;
        for (const [i, mu, sc] of list) b += pixelLawRangeBits(L, img.data[i], img.data[i] + 1, mu, sc * f * kk);
        best = Math.min(best, b);
      }
    }
    oracle += best;
  }
  const px = g.width * g.height;
  return { model: model / px, oracle: oracle / px };
}

/** Bits per pixel of the lossless pass after a coarse one: coded, as modelled, and with the fitted correction. */
function fineOracle(img: EvalImage, means: Float64Array, g: Grid, shift: number): { coded: number; model: number; oracle: number } {
  const Q = 2 ** shift;
  const s = x0Start(means, g);
  x0EncodePass(img.data, s, g, shift);
  const lo = Uint8Array.from(s.lo);
  const m = s.means;
  const fine = x0EncodePass(img.data, s, g, 0);
  const p = readContext(fine.subarray(1), g.channels);
  const { law, k } = lawOf(p);
  const n = img.data.length;
  const mu = new Float64Array(n);
  const sc = new Float64Array(n);
  scanContext(g, p, null, m, (i, off, scale) => {
    mu[i] = m[i] + off;
    sc[i] = scale * k;
  }, (i) => img.data[i] - m[i], { activity: s.activity, biasCancel: true });
  // each coarse bin's centre relative to the law's centre
  const rc = Float64Array.from(lo, (l, i) => l + (Q - 1) / 2 - mu[i]);
  const C = g.channels;
  const row = g.width * C;
  const F = Array.from({ length: n }, (_, i) => {
    const x = Math.floor(i / C) % g.width;
    const y = Math.floor(i / row);
    const c = i % C;
    const at = (inside: boolean, j: number) => (inside ? rc[j] : 0);
    const e = x + 1 < g.width;
    const sth = y + 1 < g.height;
    return [rc[i], at(e, i + C), at(sth, i + row), at(sth && x > 0, i + row - C), at(sth && e, i + row + C), at(c + 1 < C, i + 1), at(c + 2 < C, i + 2), at(x > 0, i - C), at(y > 0, i - row)];
  });
  const K = F[0].length;
  const bits = (w: number[]) => {
    let b = 0;
    for (let i = 0; i < n; i++) {
      const c = i % C;
      let d = 0;
      for (let q = 0; q < K; q++) d += w[c * K + q] * F[i][q];
      const centre = clampMean(mu[i] + d);
      const scale = sc[i] * w[C * K + c];
      b += pixelLawRangeBits(law, img.data[i], img.data[i] + 1, centre, scale) - pixelLawRangeBits(law, lo[i], lo[i] + Q, centre, scale);
    }
    return b;
  };
  const w = new Array<number>(C * K).fill(0).concat(new Array<number>(C).fill(1));
  const model = bits(w);
  let best = model;
  for (const step of [0.2, 0.1, 0.05, 0.02]) {
    for (let round = 0; round < 2; round++) {
      for (let q = 0; q < w.length; q++) {
        for (const dir of [-1, 1]) {
          const old = w[q];
          w[q] = old + dir * step;
          const b = bits(w);
          if (b < best) best = b;
          else w[q] = old;
        }
      }
    }
  }
  const px = g.width * g.height;
  return { coded: (fine.length * 8) / px, model: model / px, oracle: best / px };
}

async function main() {
  const { values } = parseArgs({ options: { kind: { type: 'string', default: 'scale' }, size: { type: 'string', default: '64' }, limit: { type: 'string', default: '8' }, t: { type: 'string', default: '5' }, shift: { type: 'string', default: '2' }, images: { type: 'string', default: 'data/eval' }, model: { type: 'string', default: DEFAULT_MODEL_PATH } } });
  const den = await loadDenoiser(values.model);
  const size = Number(values.size);
  const t = Number(values.t);
  const images = await loadEvalImages(values.images, size, Number(values.limit));
  const rows: Array<{ name: string } & Record<string, number | string>> = [];
  for (const [n, img] of images.entries()) {
    process.stderr.write(`image ${n + 1}/${images.length} (${img.name})\n`);
    const g = { width: size, height: size, channels: 3 };
    const means = meansFromNoisyState(den, img, t);
    const r = values.kind === 'fine' ? fineOracle(img, means, g, Number(values.shift)) : scaleOracle(img, means, g);
    console.error(img.name, JSON.stringify(r));
    rows.push({ name: img.name, ...r });
  }
  const mean = (key: string) => rows.reduce((a, r) => a + Number(r[key]), 0) / rows.length;
  const summary = Object.fromEntries(Object.keys(rows[0]).filter((k) => k !== 'name').map((k) => [k, mean(k)]));
  console.error('mean', JSON.stringify(summary));
  console.log(JSON.stringify({ machine: machineInfo(), model: den.model.sha256, kind: values.kind, size, t, shift: Number(values.shift), rows, mean: summary }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
