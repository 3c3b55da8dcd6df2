/**
 * Sweep of the number of coding steps K: for each K, encode the images once and report the mean
 * lossless size and the BD-rate of the truncation curve against JPEG (mozjpeg) — the measurement
 * behind the default schedule.   node dist/bench/schedule-sweep.js --ks 6,12,20 [--limit 3] [--model F]
 */
import { parseArgs } from 'node:util';
import { loadDenoiser, DEFAULT_MODEL_PATH } from '../src/codec/api.js';
import { loadEvalImages } from './eval-images.js';
import { runRd, summarize } from './rd.js';
import { machineInfo } from './machine.js';

async function main() {
  const { values } = parseArgs({ options: { ks: { type: 'string', default: '6,12,20' }, limit: { type: 'string', default: '3' }, size: { type: 'string', default: '64' }, model: { type: 'string', default: DEFAULT_MODEL_PATH }, images: { type: 'string', default: 'data/eval' } } });
  const den = await loadDenoiser(values.model);
  const images = await loadEvalImages(values.images, Number(values.size), Number(values.limit));
  const rows = [];
  for (const K of values.ks.split(',').map(Number)) {
    const t0 = performance.now();
    const res = await runRd({ images, label: `K=${K}`, den, steps: K, recon: ['mean'], qualities: [10, 30, 50, 70, 90] });
    const s = summarize(`K=${K}`, res);
    rows.push({ K, losslessBpp: s.losslessBpp.ours, bdRateVsJpeg: s.bdRateOursVs.jpeg, curve: s.ours.mean, seconds: (performance.now() - t0) / 1000 });
    console.error(`K=${K}: lossless ${s.losslessBpp.ours.toFixed(3)} bpp, BD-rate vs JPEG ${s.bdRateOursVs.jpeg?.toFixed(1)}%`);
  }
  console.log(JSON.stringify({ machine: machineInfo(), model: den.model.sha256, images: images.map((i) => i.name), size: Number(values.size), rows }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
