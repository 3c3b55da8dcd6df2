/**
 * Training curve of a `ddpm train --log` file: smoothed L_simple and validation bound per step,
 * as SVG and PNG.   node dist/bench/training-curve.js runs/photo-s.log models/photo-s/training-curve
 * A log holding several runs (resumptions) is read in order; `--offset N` shifts the steps of a run
 * that started from an earlier model (--init-from). `--history model.ddpm-model` fills the steps
 * before the log's first with the validation points the model file records (every 500 steps: its
 * smoothed loss and bound), for a run whose earlier log is gone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { rdSvg, svgToPng } from './plot.js';
import { loadModelFile } from '../src/model/model-file.js';

async function main() {
  const [log, out] = process.argv.slice(2);
  const offArg = process.argv.indexOf('--offset');
  const offset = offArg > 0 ? Number(process.argv[offArg + 1]) : 0;
  const histArg = process.argv.indexOf('--history');
  const text = readFileSync(log, 'utf8');
  const runs = text.split(/^model: .*$/m).slice(1);
  let loss: Array<{ x: number; y: number }> = [];
  let bound: Array<{ x: number; y: number }> = [];
  // a run that starts before the previous one ended is a new training (restart): keep the last
  // training, with every resumption of it
  for (const run of runs.length ? runs : [text]) {
    const first = /^step (\d+)\//m.exec(run);
    if (first && loss.length && Number(first[1]) + offset <= loss[loss.length - 1].x) {
      loss = [];
      bound = [];
    }
    for (const line of run.split('\n')) {
      let m = /^step (\d+)\/\d+\s+loss ([\d.]+)/.exec(line);
      if (m) loss.push({ x: Number(m[1]) + offset, y: Number(m[2]) });
      m = /validation @(\d+): bound ([\d.]+)/.exec(line);
      if (m) bound.push({ x: Number(m[1]) + offset, y: Number(m[2]) });
    }
  }
  if (histArg > 0) {
    const history = (loadModelFile(process.argv[histArg + 1]).info?.history ?? []) as Array<Record<string, number>>;
    const first = Math.min(loss[0]?.x ?? Infinity, bound[0]?.x ?? Infinity);
    const before = history.filter((h) => h.step + offset < first && typeof h.loss === 'number');
    loss = [...before.map((h) => ({ x: h.step + offset, y: h.loss })), ...loss];
    bound = [...before.filter((h) => typeof h.boundBitsPerDim === 'number').map((h) => ({ x: h.step + offset, y: h.boundBitsPerDim })), ...bound];
  }
  const maxX = Math.max(1, ...loss.map((p) => p.x));
  const svg1 = rdSvg('training loss (L_simple, smoothed)', [{ name: 'loss x100', points: loss.map((p) => ({ x: p.x, y: p.y * 100 })) }], 'step', 'L_simple x 100', maxX, 0.5);
  writeFileSync(`${out}-loss.svg`, svg1);
  await svgToPng(svg1, `${out}-loss.png`);
  if (bound.length) {
    const svg2 = rdSvg('validation bound (bits/dim, full T)', [{ name: 'bound', points: bound }], 'step', 'bits/dim', maxX, 0.2);
    writeFileSync(`${out}-bound.svg`, svg2);
    await svgToPng(svg2, `${out}-bound.png`);
  }
  console.log(`${loss.length} loss points, ${bound.length} validation points`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
