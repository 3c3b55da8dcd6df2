/**
 * Compares model files by their full-T variational bound on whole-image downscales of the dev-eval
 * photos (the images the codec benchmark codes), in bits per pixel, with the upper (β) reverse
 * variance for every model so that checkpoints without a Γ calibration compare fairly. Use it to
 * choose between training runs before shipping one.
 *
 *   npm run build && node dist/bench/model-bound.js MODEL… [--sizes 64,128] [--limit 8] [--images data/eval]
 */
import { parseArgs } from 'node:util';
import { loadDenoiser } from '../src/codec/api.js';
import { modelBoundBpp } from './rd.js';
import { loadEvalImages } from './eval-images.js';
import { machineInfo } from './machine.js';

async function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { sizes: { type: 'string', default: '64,128' }, limit: { type: 'string', default: '8' }, images: { type: 'string', default: 'data/eval' } } });
  if (!positionals.length) throw new Error('usage: node dist/bench/model-bound.js MODEL… [--sizes 64,128] [--limit 8]');
  const sizes = values.sizes.split(',').map(Number);
  const rows: Array<{ model: string; id: string; sha256: string; steps: unknown; bpp: Record<string, number> }> = [];
  const t0 = performance.now();
  for (const file of positionals) {
    const den = await loadDenoiser(file);
    const bpp: Record<string, number> = {};
    for (const size of sizes) {
      const imgs = await loadEvalImages(values.images, size, Number(values.limit));
      let sum = 0;
      for (const img of imgs) sum += modelBoundBpp(den, img, true);
      bpp[String(size)] = sum / imgs.length;
      console.error(`${file} ${size}x${size}: ${bpp[String(size)].toFixed(4)} bpp  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    rows.push({ model: file, id: den.model.id, sha256: den.model.sha256, steps: den.model.info.steps, bpp });
  }
  console.log(JSON.stringify({ machine: machineInfo(), images: values.images, limit: Number(values.limit), variance: 'upper', rows }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
