/**
 * Training and validation crops from a folder of photos. Each photo is decoded once (sharp),
 * downscaled 2x (the sources are JPEGs) and kept as an image pyramid of further 2x reductions, so a
 * crop can be a texture patch at full resolution or most of a scene at a coarse scale. Crops, flips
 * and scales are drawn from the Philox generator addressed by (seed, step, item): the same step
 * always sees the same batch, which makes resumed training exact.
 */
import sharp from 'sharp';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PhiloxStream } from '../bitstream/philox.js';
import { DdpmError } from '../bitstream/errors.js';

export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array; // RGB interleaved
}

const PHOTO_EXT = /\.(jpe?g|png|webp|tiff?|avif)$/i;

export function listPhotos(dir: string): string[] {
  return readdirSync(dir).filter((f) => PHOTO_EXT.test(f)).sort().map((f) => join(dir, f));
}

async function decodeRgb(path: string, maxWidth: number): Promise<RgbImage> {
  const img = sharp(path, { failOn: 'error' }).rotate().removeAlpha().toColourspace('srgb');
  const meta = await sharp(path).metadata();
  const w = Math.min(maxWidth, Math.floor((meta.width ?? 2) / 2));
  const { data, info } = await img.resize({ width: w, kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new DdpmError('BAD_INPUT', `${path}: expected RGB`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

async function halve(img: RgbImage): Promise<RgbImage> {
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({ width: Math.floor(img.width / 2), height: Math.floor(img.height / 2), kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

export class PhotoPool {
  /** levels[i] = pyramids of photo i (level 0 = 2x downscale of the source) */
  readonly levels: RgbImage[][];
  private constructor(levels: RgbImage[][]) {
    this.levels = levels;
  }

  static async load(paths: string[], crop: number, maxWidth = 1600): Promise<PhotoPool> {
    if (!paths.length) throw new DdpmError('BAD_ARGUMENT', 'no photos found');
    const levels: RgbImage[][] = [];
    for (const p of paths) {
      const pyr = [await decodeRgb(p, maxWidth)];
      while (Math.min(pyr[pyr.length - 1].width, pyr[pyr.length - 1].height) / 2 >= crop) pyr.push(await halve(pyr[pyr.length - 1]));
      levels.push(pyr);
    }
    return new PhotoPool(levels);
  }

  /**
   * Fills `out` ([n, crop, crop, 3] floats in [-1, 1]) with crops for (seed, step, first item).
   * The scale is uniform over pyramid levels; horizontal flips with probability 1/2.
   */
  crops(out: Float32Array, n: number, crop: number, seed: number, step: number, firstItem = 0): void {
    const u = new Float64Array(6);
    for (let i = 0; i < n; i++) {
      new PhiloxStream([seed, 0x43524f50], [step, firstItem + i, 0]).uniforms(u);
      const pyr = this.levels[Math.floor(u[0] * this.levels.length)];
      const img = pyr[Math.floor(u[1] * pyr.length)];
      const x0 = Math.floor(u[2] * (img.width - crop + 1));
      const y0 = Math.floor(u[3] * (img.height - crop + 1));
      const flip = u[4] < 0.5;
      const base = i * crop * crop * 3;
      for (let y = 0; y < crop; y++) {
        for (let x = 0; x < crop; x++) {
          const sx = flip ? x0 + crop - 1 - x : x0 + x;
          const si = ((y0 + y) * img.width + sx) * 3;
          const di = base + (y * crop + x) * 3;
          out[di] = img.data[si] / 127.5 - 1;
          out[di + 1] = img.data[si + 1] / 127.5 - 1;
          out[di + 2] = img.data[si + 2] / 127.5 - 1;
        }
      }
    }
  }
}
