/**
 * Tile-parallel coding speed: one dev-eval photo at SIZE x SIZE, coded as tiles of TILE x TILE,
 * encoded and fully decoded on 1 thread and on N threads alternately (this VM drifts), checking
 * that the files and pixels are identical.
 *
 *   npm run build && node dist/bench/tile-parallel.js [--size 128] [--tile 64] [--threads 2] [--rounds 2] [--model FILE]
 */
import { createHash } from 'node:crypto';
import { encode, decode, DEFAULT_MODEL_PATH, loadDenoiser } from '../src/codec/api.js';
import { loadEvalImages } from './eval-images.js';
import { machineInfo } from './machine.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function main() {
  const size = arg('size', 128);
  const tile = arg('tile', 64);
  const threads = arg('threads', 2);
  const rounds = arg('rounds', 2);
  const mi = process.argv.indexOf('--model');
  const model = mi > 0 ? process.argv[mi + 1] : DEFAULT_MODEL_PATH;
  const [photo] = await loadEvalImages('data/eval', size, 1);
  const img = { ...photo, channels: photo.channels as 1 | 3 };
  await loadDenoiser(model);
  const rows: Array<{ threads: number; encodeS: number; decodeS: number; bytes: number }> = [];
  let ref: { file: string; pixels: string } | null = null;
  for (let r = 0; r < rounds; r++) {
    for (const t of [1, threads]) {
      let t0 = performance.now();
      const bytes = await encode(img, { model, threads: t, tileSize: tile });
      const encodeS = (performance.now() - t0) / 1000;
      t0 = performance.now();
      const out = await decode(bytes, { model, threads: t });
      const decodeS = (performance.now() - t0) / 1000;
      const got = { file: sha(bytes), pixels: sha(out.data) };
      if (got.pixels !== sha(img.data)) throw new Error('decoded pixels differ from the image');
      ref ??= got;
      if (got.file !== ref.file) throw new Error(`threads ${t}: a different file`);
      rows.push({ threads: t, encodeS, decodeS, bytes: bytes.length });
      console.error(`round ${r + 1}, ${t} thread(s): encode ${encodeS.toFixed(1)} s, decode ${decodeS.toFixed(1)} s, ${bytes.length} bytes`);
    }
  }
  console.log(JSON.stringify({ machine: machineInfo(), image: img.name, size, tile, tiles: (size / tile) ** 2, model, rows }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
