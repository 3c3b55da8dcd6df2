/**
 * Where the lossless rate goes: the encoder's estimate of the whole file if the stream switched to
 * the lossless ending after each candidate step (steps coded so far + the x0 estimate from that
 * state: its whole ladder since commit bec1f61, one pass before), along the encoder's own chain run
 * to t = 1; which ending each lossless slack picks;
 * and the actual lossless files (with the x0 ladder) encoded with the slacks of --actual.
 *
 *   node dist/bench/lossless-endings.js [--size 256] [--limit 2] [--images data/eval]
 *        [--slacks 0,0.01,0.02,0.03,0.05] [--actual 0.03,0]
 */
import { parseArgs } from 'node:util';
import { loadDenoiser, DEFAULT_MODEL_PATH } from '../src/codec/api.js';
import { encodeImage, pickEnding } from '../src/codec/encoder.js';
import { loadEvalImages, asRawImage } from './eval-images.js';
import { machineInfo } from './machine.js';

async function main() {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '256' }, limit: { type: 'string', default: '2' }, images: { type: 'string', default: 'data/eval' }, model: { type: 'string', default: DEFAULT_MODEL_PATH }, slacks: { type: 'string', default: '0,0.01,0.02,0.03,0.05' }, actual: { type: 'string', default: '0.03,0' } } });
  const den = await loadDenoiser(values.model);
  const size = Number(values.size);
  const images = await loadEvalImages(values.images, size, Number(values.limit));
  const slacks = values.slacks.split(',').map(Number);
  const rows = [];
  const t0 = Date.now();
  for (const [n, ev] of images.entries()) {
    const img = asRawImage(ev);
    const px = img.width * img.height;
    const eta = n ? (((Date.now() - t0) / n) * (images.length - n)) / 1000 : NaN;
    process.stderr.write(`image ${n + 1}/${images.length} (${ev.name})${Number.isFinite(eta) ? `, ETA ${Math.round(eta)} s` : ''}\n`);
    const all = encodeImage(img, den, { earlyLossless: false });
    const endings = all.tiles[0].endings.map((e) => ({ t: e.t, estimatedBytes: e.estimatedBytes, bpp: (e.estimatedBytes * 8) / px }));
    const picks = slacks.map((slack) => {
      const { t, bpp } = pickEnding(endings, slack);
      return { slack, t, bpp };
    });
    const actual = values.actual
      .split(',')
      .filter((v) => v !== '')
      .map((v) => ({ slack: Number(v), bpp: (encodeImage(img, den, { losslessSlack: Number(v) }).bytes.length * 8) / px }));
    rows.push({ name: ev.name, endings, picks, actual });
    const cheapest = pickEnding(endings, 0);
    console.error(`${ev.name}: cheapest ending t=${cheapest.t} ${cheapest.bpp.toFixed(3)} bpp (estimated); ${picks.map((p) => `slack ${p.slack}: t=${p.t} ${p.bpp.toFixed(3)}`).join('; ')}${actual.map((a) => `; actual file, slack ${a.slack}: ${a.bpp.toFixed(3)} bpp`).join('')}`);
  }
  console.log(JSON.stringify({ machine: machineInfo(), model: den.model.sha256, size, rows }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
