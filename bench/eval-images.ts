/**
 * The dev-eval photos (../shared/README.md protocol): centre square crop, Lanczos resize to 64x64
 * (whole image) and 256x256, 8-bit sRGB RGB. Sources come from scripts/fetch-photos.sh (data/eval).
 */
import sharp, { type Sharp } from 'sharp';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import type { Img } from './metrics.js';
import type { RawImage } from '../src/codec/image-io.js';

export interface EvalImage extends Img {
  name: string;
}

async function squareResize(input: Sharp, size: number): Promise<Img> {
  const meta = await input.metadata();
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  const s = Math.min(w, h);
  const { data, info } = await input
    .extract({ left: Math.floor((w - s) / 2), top: Math.floor((h - s) / 2), width: s, height: s })
    .removeAlpha()
    .toColourspace('srgb')
    .resize(size, size, { kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

export async function loadEvalImages(dir: string, size: number, limit = Infinity): Promise<EvalImage[]> {
  if (!existsSync(dir)) throw new Error(`${dir} not found: run scripts/fetch-photos.sh first`);
  const out: EvalImage[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (out.length >= limit) break;
    let input: Sharp;
    if (f.endsWith('.rgb1024x768')) input = sharp(readFileSync(join(dir, f)), { raw: { width: 1024, height: 768, channels: 3 } });
    else if (/\.(png|jpe?g)$/i.test(f)) input = sharp(join(dir, f));
    else continue;
    // re-wrap as PNG so metadata/extract work the same for raw input
    const png = await input.png().toBuffer();
    out.push({ name: basename(f).replace(/\.[^.]*$/, ''), ...(await squareResize(sharp(png), size)) });
  }
  return out;
}

/** A dev-eval photo as the codec's input (always 8-bit RGB: `squareResize` makes it so). */
export function asRawImage(img: Img): RawImage {
  return { width: img.width, height: img.height, channels: 3, data: img.data };
}
