/**
 * The actual lossless file when the stream switches at a given candidate timestep: the encoder run
 * on the model's coding schedule cut after t (no early switch), so the chain up to t is the default
 * encode's (when no step is merged) and the x0 ladder is coded from there. Compares with the
 * encoder's estimate of the same ending (`lossless-endings.ts`; one pass before commit bec1f61).
 *
 *   node dist/bench/ending-actual.js [--size 256] [--names astronaut] [--ts 59,29,16,10,6,4]
 */
import { parseArgs } from 'node:util';
import { loadDenoiser, DEFAULT_MODEL_PATH } from '../src/codec/api.js';
import { encodeImage } from '../src/codec/encoder.js';
import { loadEvalImages, asRawImage } from './eval-images.js';
import { machineInfo } from './machine.js';

async function main() {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '256' }, names: { type: 'string', default: 'astronaut' }, images: { type: 'string', default: 'data/eval' }, model: { type: 'string', default: DEFAULT_MODEL_PATH }, ts: { type: 'string', default: '59,29,16,10,6,4' } } });
  const den = await loadDenoiser(values.model);
  const schedule = den.model.codingSchedule;
  if (!schedule) throw new Error('the model has no coding schedule');
  const size = Number(values.size);
  const names = values.names.split(',');
  const images = (await loadEvalImages(values.images, size, Infinity)).filter((i) => names.includes(i.name));
  const ts = values.ts.split(',').map(Number);
  const rows = [];
  for (const ev of images) {
    const img = asRawImage(ev);
    const px = img.width * img.height;
    for (const t of ts) {
      const k = schedule.indexOf(t);
      if (k < 0) throw new Error(`${t} is not in the coding schedule`);
      const r = encodeImage(img, den, { steps: schedule.slice(0, k + 1), minStepBits: 128, earlyLossless: false });
      const est = r.tiles[0].endings[r.tiles[0].endings.length - 1];
      const row = { name: ev.name, t, stepsCoded: r.tiles[0].stepsKept, estimatedBpp: (est.estimatedBytes * 8) / px, actualBpp: (r.bytes.length * 8) / px };
      rows.push(row);
      console.error(`${ev.name} t=${t}: estimated ${row.estimatedBpp.toFixed(3)} bpp, actual ${row.actualBpp.toFixed(3)} bpp (ladder, framing)`);
    }
  }
  console.log(JSON.stringify({ machine: machineInfo(), model: den.model.sha256, size, rows }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
