/** Rewrites the Markdown summary and plots of a stored rate–distortion result (bench/run.ts JSON). */
import { readFileSync } from 'node:fs';
import { dirname, basename } from 'node:path';
import { summarize, writeReports, type ImageResult } from './rd.js';

async function main() {
  const file = process.argv[2];
  const data = JSON.parse(readFileSync(file, 'utf8'), (_k, v) => (v === null ? Infinity : v)) as { machine: unknown; model: unknown; jxl: unknown; perImage: Record<string, ImageResult[]> };
  const summaries = Object.entries(data.perImage).map(([label, results]) => summarize(label, results));
  const files = await writeReports(dirname(file), basename(file, '.json'), summaries, { machine: data.machine, model: data.model, jxl: data.jxl }, data.perImage);
  console.log(files.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
