// Regenerates fixtures/ from the CC0 / public-domain scikit-image photos fetched by
// scripts/fetch-photos.sh (data/eval). Centre square crop, Lanczos resize, 8-bit sRGB PNG.
import sharp from 'sharp';
import { mkdirSync } from 'node:fs';
const src = process.argv[2] ?? 'data/eval';
mkdirSync('fixtures', { recursive: true });
for (const name of ['astronaut', 'chelsea', 'coffee']) {
  const img = sharp(`${src}/${name}.png`);
  const { width, height } = await img.metadata();
  const s = Math.min(width, height);
  const sq = () => sharp(`${src}/${name}.png`).extract({ left: Math.floor((width - s) / 2), top: Math.floor((height - s) / 2), width: s, height: s }).removeAlpha();
  await sq().resize(64, 64, { kernel: 'lanczos3' }).png().toFile(`fixtures/${name}-64.png`);
  await sq().resize(32, 32, { kernel: 'lanczos3' }).png().toFile(`fixtures/${name}-32.png`);
}
// an odd-sized greyscale crop for padding / greyscale paths
await sharp(`${src}/coffee.png`).extract({ left: 200, top: 100, width: 37, height: 29 }).toColourspace('b-w').png().toFile('fixtures/coffee-grey-37x29.png');
