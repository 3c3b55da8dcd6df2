/**
 * The embedded lossless ending: for x̂_0 from a state x_t ~ q(x_t | x_0) at a few t, the size of
 * the x0 code for several pass layouts (bin-width shifts, e.g. 4,2,0 = bins of 16, 4, 1 levels)
 * against one pass, and the PSNR at each pass's truncation point (as the decoder reconstructs it) —
 * the measurement behind the
 * default `x0Shifts` and the context model. `none` in --ts codes the image with no model (x̂_0 = 0:
 * the context model alone, a plain lossless image coder).
 *   node dist/bench/x0-passes.js [--ts none,5,10,100] [--layouts "0;5,3,1,0;4,2,0;5,2,0;6,4,2,0"] [--size 64] [--limit 8]
 */
import { parseArgs } from 'node:util';
import { loadDenoiser, DEFAULT_MODEL_PATH } from '../src/codec/api.js';
import { x0Start, x0EncodePass, x0DecodePass, x0Estimate } from '../src/codec/x0-coder.js';
import { meansFromNoisyState } from './noisy-state.js';
import { loadEvalImages } from './eval-images.js';
import { machineInfo } from './machine.js';
import { psnr } from './metrics.js';

async function main() {
  const { values } = parseArgs({ options: { ts: { type: 'string', default: '39,99' }, layouts: { type: 'string', default: '0;5,3,1,0;4,2,0;5,2,0;6,4,2,0' }, size: { type: 'string', default: '64' }, limit: { type: 'string', default: '8' }, model: { type: 'string', default: DEFAULT_MODEL_PATH }, images: { type: 'string', default: 'data/eval' } } });
  const den = await loadDenoiser(values.model);
  const size = Number(values.size);
  const images = await loadEvalImages(values.images, size, Number(values.limit));
  const layouts = values.layouts.split(';').map((l) => l.split(',').map(Number));
  const rows = [];
  for (const t of values.ts.split(',').map((v) => (v === 'none' ? 0 : Number(v)))) {
    const acc = layouts.map((l) => ({ shifts: l, bpp: l.map(() => 0), psnr: l.map(() => 0) }));
    for (const [n, img] of images.entries()) {
      process.stderr.write(`\rt=${t}: image ${n + 1}/${images.length}`);
      const means = meansFromNoisyState(den, img, t);
      const grid = { width: size, height: size, channels: 3 };
      for (const a of acc) {
        const s = x0Start(means, grid);
        const d = x0Start(means, grid);
        a.shifts.forEach((sh, p) => {
          const pass = x0EncodePass(img.data, s, grid, sh);
          x0DecodePass(pass, d, grid);
          a.bpp[p] += (pass.length * 8) / (size * size) / images.length;
          a.psnr[p] += Math.min(99, psnr(img, { ...img, data: x0Estimate(d) })) / images.length;
        });
      }
    }
    process.stderr.write('\n');
    for (const a of acc) {
      const total = a.bpp.reduce((x, y) => x + y, 0);
      rows.push({ t: t || 'none', shifts: a.shifts, totalBpp: total, passBpp: a.bpp, psnrAfterPass: a.psnr });
      console.error(`t=${t || 'none'} shifts ${a.shifts.join(',')}: ${total.toFixed(3)} bpp (${a.bpp.map((b) => b.toFixed(2)).join(' + ')}), PSNR after each pass ${a.psnr.map((p) => p.toFixed(1)).join(' / ')} dB`);
    }
  }
  console.log(JSON.stringify({ machine: machineInfo(), model: den.model.sha256, images: images.map((i) => i.name), size, rows }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
