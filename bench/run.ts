/**
 * `npm run bench`: rate–distortion and speed of our codec against JPEG, WebP, AVIF, JPEG XL and the
 * lossless codecs on the dev-eval photos, 64x64 (whole image) and 256x256.
 *
 *   npm run bench -- [--images data/eval] [--sizes 64,256] [--limit N] [--model FILE] [--steps K | t1,t2,…]
 *                    [--recon auto,mean,flow,sample] [--recon-256 auto,mean,flow] [--out bench/results] [--no-bound]
 *                    [--encode JSON]   (further encoder options, e.g. '{"losslessSlack":0.2}')
 */
import { parseArgs } from 'node:util';
import { loadDenoiser, DEFAULT_MODEL_PATH } from '../src/codec/api.js';
import { loadEvalImages } from './eval-images.js';
import { runRd, summarize, writeReports, machineInfo, hasCjxl, type ImageResult, type Summary } from './rd.js';
import type { ReconMode } from '../src/codec/reconstruct.js';
import type { EncodeOptions } from '../src/codec/encoder.js';

async function main() {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', default: 'data/eval' },
      sizes: { type: 'string', default: '64,256' },
      limit: { type: 'string' },
      model: { type: 'string', default: DEFAULT_MODEL_PATH },
      steps: { type: 'string' },
      recon: { type: 'string', default: 'auto,mean,flow,sample' },
      'recon-256': { type: 'string', default: 'auto,mean,flow' },
      out: { type: 'string', default: 'bench/results' },
      'no-bound': { type: 'boolean', default: false },
      encode: { type: 'string' },
    },
  });
  const den = await loadDenoiser(values.model);
  const machine = machineInfo();
  const jxl = hasCjxl();
  const t0 = Date.now();
  const sizes = values.sizes.split(',').map(Number);
  const limit = values.limit ? Number(values.limit) : Infinity;
  // work units for the ETA: an image costs ~ its pixel count
  let unitsTotal = 0;
  let unitsDone = 0;
  for (const size of sizes) unitsTotal += size * size * Math.min(limit, 8);
  const summaries: Summary[] = [];
  const perImage: Record<string, ImageResult[]> = {};
  for (const size of sizes) {
    const images = await loadEvalImages(values.images, size, limit);
    const label = `${size}x${size}`;
    let done = 0;
    const results = await runRd({
      images,
      label,
      den,
      steps: values.steps ? (values.steps.includes(',') ? values.steps.split(',').map(Number) : Number(values.steps)) : undefined,
      encode: values.encode ? (JSON.parse(values.encode) as EncodeOptions) : undefined,
      recon: (size > 64 ? values['recon-256'] : values.recon).split(',') as ReconMode[],
      jxl,
      bound: !values['no-bound'],
      onProgress: (msg) => {
        if (msg.endsWith('baselines')) {
          done++;
          unitsDone += size * size;
        }
        const el = (Date.now() - t0) / 1000;
        const eta = unitsDone ? (el * (unitsTotal - unitsDone)) / unitsDone : NaN;
        process.stderr.write(`\r[${label} ${done}/${images.length} images, ${el.toFixed(0)}s, ETA ${Number.isFinite(eta) ? `${Math.round(eta)}s` : '?'}] ${msg.padEnd(40)}`);
      },
    });
    process.stderr.write('\n');
    perImage[label] = results;
    summaries.push(summarize(label, results));
  }
  const meta = { machine, encode: values.encode ?? null, steps: values.steps ?? null, model: { id: den.model.id, sha256: den.model.sha256, info: den.model.info.steps }, jxl: jxl ? 'cjxl (libjxl-tools)' : 'not installed: skipped (apt-get install libjxl-tools)' };
  const stem = `${String(machine.date).slice(0, 10)}-${machine.commit}`;
  const files = await writeReports(values.out, stem, summaries, meta, perImage);
  console.log(files.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
