/**
 * Would a spatially adaptive reverse variance pay? The codec's p(x_s | x_t) has one variance per
 * step, σ̃² + e² (e² the image's mean squared error of μ_p, sent as one byte). Here, along chains of
 * exact posterior samples over the shipped schedule, each step's KL(q ‖ p) with that global
 * variance is compared with p's variance σ̃² + s·w_i for a weight map w (mean 1) and the best scale
 * s (golden-section search per step): oracles that know μ_q (w = the error itself per dim, or its
 * 5x5 local mean over the three channels) bound what any map can gain; the rest are maps a decoder
 * could compute (the local activity of x̂_0, the previous step's innovation, the change of x̂_0
 * since the previous step). The gain is the Jensen gap of log(1 + error/σ̃²), small while a step
 * carries far less than a bit per dim.
 *
 *   node dist/bench/adaptive-variance.js [--size 64] [--limit 8] [--t-min 4] [--out FILE.json]
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { loadDenoiser, DEFAULT_MODEL_PATH } from '../src/codec/api.js';
import { runChain, exactPosteriorSample } from './exact-chain.js';
import { loadEvalImages, asRawImage } from './eval-images.js';
import { machineInfo } from './machine.js';

const klNats = (mq: number, vq: number, mp: number, vp: number) => 0.5 * (vq / vp + (mq - mp) ** 2 / vp - 1 + Math.log(vp / vq));

/** KL in bits of a step with p's variance vq + s·w_i, at the best s. */
function adaptiveKlBits(vq: number, muQ: Float64Array, muP: Float64Array, w: Float64Array): number {
  let e2 = 0;
  for (let i = 0; i < muQ.length; i++) e2 += (muQ[i] - muP[i]) ** 2;
  e2 = Math.max(1e-30, e2 / muQ.length);
  const f = (logS: number) => {
    const s = Math.exp(logS);
    let k = 0;
    for (let i = 0; i < muQ.length; i++) k += klNats(muQ[i], vq, muP[i], vq + s * w[i]);
    return k;
  };
  let [lo, hi] = [Math.log(e2) - 5, Math.log(e2) + 5];
  for (let it = 0; it < 48; it++) {
    const a = lo + (hi - lo) * 0.382;
    const b = lo + (hi - lo) * 0.618;
    if (f(a) < f(b)) hi = b;
    else lo = a;
  }
  return f((lo + hi) / 2) / Math.LN2;
}

/** Per dim of an [H, W, 3] state: the mean of v over the three channels and a (2r+1)² window. */
function localMean(v: Float64Array, W: number, H: number, r: number): Float64Array {
  const out = new Float64Array(v.length);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    let s = 0;
    let n = 0;
    for (let yy = Math.max(0, y - r); yy <= Math.min(H - 1, y + r); yy++) for (let xx = Math.max(0, x - r); xx <= Math.min(W - 1, x + r); xx++) {
      const i = (yy * W + xx) * 3;
      s += v[i] + v[i + 1] + v[i + 2];
      n += 3;
    }
    out.fill(s / n, (y * W + x) * 3, (y * W + x) * 3 + 3);
  }
  return out;
}

/** Mean absolute difference of each value to its four same-channel neighbours. */
function activity(v: Float64Array, W: number, H: number): Float64Array {
  const out = new Float64Array(v.length);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) {
    const i = (y * W + x) * 3 + c;
    let s = 0;
    let n = 0;
    for (const [dy, dx] of [[0, 1], [0, -1], [1, 0], [-1, 0]]) {
      const [yy, xx] = [y + dy, x + dx];
      if (yy < 0 || xx < 0 || yy >= H || xx >= W) continue;
      s += Math.abs(v[i] - v[(yy * W + xx) * 3 + c]);
      n++;
    }
    out[i] = s / n;
  }
  return out;
}

/** w / mean(w), floored. */
function normalised(w: Float64Array): Float64Array {
  let m = 0;
  for (const v of w) m += v;
  m /= w.length;
  return Float64Array.from(w, (v) => Math.max(1e-6, v / m));
}

const MAPS = ['oracle: error per dim', 'oracle: error, 5x5 mean', 'activity of x̂_0', 'activity², 3x3 mean', 'previous innovation, 5x5 mean', 'change of x̂_0, 5x5 mean'] as const;

async function main() {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '64' }, limit: { type: 'string', default: '8' }, 't-min': { type: 'string', default: '4' }, model: { type: 'string', default: DEFAULT_MODEL_PATH }, out: { type: 'string' } } });
  const den = await loadDenoiser(values.model);
  const size = Number(values.size);
  const images = await loadEvalImages('data/eval', size, Number(values.limit));
  const schedule = den.model.codingSchedule;
  if (!schedule) throw new Error('the model has no coding schedule');
  const path = schedule.filter((t) => t >= Number(values['t-min']));
  const perImage = [];
  const total = { global: 0, maps: MAPS.map(() => 0) };
  for (const [n, img] of images.entries()) {
    process.stderr.write(`\r${img.name} (${n + 1}/${images.length})   `);
    const [W, H] = [img.width, img.height];
    let x: Float64Array | null = null;
    let prev: { muP: Float64Array; variance: number; x0hat: Float64Array } | null = null;
    const bits = { global: 0, maps: MAPS.map(() => 0) };
    runChain(den, asRawImage(img), path, [0x6464706d, 1], (k, g, muP, muQ, l) => {
      if (l.paddedWidth !== W || l.paddedHeight !== H) throw new Error('image sides must be multiples of the network factor');
      const xt = x ?? new Float64Array(l.n);
      const x0hat = Float64Array.from(muP, (m, i) => (m - g.cxt * xt[i]) / g.cx0);
      const err = Float64Array.from(muQ, (m, i) => (m - muP[i]) ** 2);
      const act = activity(x0hat, W, H);
      const ones = new Float64Array(l.n).fill(1);
      const p = prev;
      const maps = [
        normalised(err),
        normalised(localMean(err, W, H, 2)),
        normalised(Float64Array.from(act, (a) => a + 1e-3)),
        normalised(Float64Array.from(localMean(act, W, H, 1), (a) => (a + 0.01) ** 2)),
        p ? normalised(Float64Array.from(localMean(Float64Array.from(xt, (v, i) => Math.max(0, (v - p.muP[i]) ** 2 - p.variance)), W, H, 2), (v) => v + 1e-12)) : ones,
        p ? normalised(Float64Array.from(localMean(Float64Array.from(x0hat, (v, i) => (v - p.x0hat[i]) ** 2), W, H, 2), (v) => v + 1e-12)) : ones,
      ];
      bits.global += adaptiveKlBits(g.variance, muQ, muP, ones);
      maps.forEach((w, j) => (bits.maps[j] += adaptiveKlBits(g.variance, muQ, muP, w)));
      x = exactPosteriorSample(k, g, muQ);
      prev = { muP, variance: g.variance, x0hat };
      return x;
    });
    total.global += bits.global;
    bits.maps.forEach((b, j) => (total.maps[j] += b));
    perImage.push({ name: img.name, globalBits: bits.global, changePct: Object.fromEntries(MAPS.map((m, j) => [m, (100 * (bits.maps[j] - bits.global)) / bits.global])) });
  }
  process.stderr.write('\n');
  const summary = Object.fromEntries(MAPS.map((m, j) => [m, (100 * (total.maps[j] - total.global)) / total.global]));
  for (const [m, v] of Object.entries(summary)) console.error(`${m}: ${v >= 0 ? '+' : ''}${v.toFixed(2)}% of the steps' KL (global variance: ${(total.global / images.length).toFixed(0)} bits per image)`);
  const result = { machine: machineInfo(), model: den.model.sha256, size, path, images: images.map((i) => i.name), summaryChangePct: summary, perImage };
  if (values.out) writeFileSync(values.out, JSON.stringify(result, null, 1) + '\n');
  else console.log(JSON.stringify(result, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
