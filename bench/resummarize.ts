/** Rewrites the Markdown summary and plots of a stored rate–distortion result (bench/run.ts JSON). */
import { readFileSync } from 'node:fs';
import { dirname, basename } from 'node:path';
import { summarize, writeReports, type ImageResult } from './rd.js';

async function main() {
  const file = process.argv[2];
  const text = readFileSync(file, 'utf8');
  // JSON stores an infinite PSNR (lossless) as null; every other top-level field (machine, run
  // options, model, jxl) is kept as it was
  const { perImage } = JSON.parse(text, (_k, v) => (v === null ? Infinity : v)) as { perImage: Record<string, ImageResult[]> };
  const meta = JSON.parse(text) as Record<string, unknown>;
  delete meta.perImage;
  delete meta.summaries;
  const summaries = Object.entries(perImage).map(([label, results]) => summarize(label, results));
  const files = await writeReports(dirname(file), basename(file, '.json'), summaries, meta, perImage);
  console.log(files.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
