/**
 * Image input and output through sharp. Accepted: 8-bit RGB or greyscale (PNG, JPEG, WebP, AVIF,
 * TIFF, GIF first frame); palette images are expanded to RGB losslessly. Refused with a clear
 * error: alpha channels, 16-bit samples, CMYK — an 8-bit lossless codec cannot keep them, and
 * silently dropping data is worse than saying so.
 */
import sharp, { type Metadata } from 'sharp';
import { DdpmError } from '../bitstream/errors.js';
import { MAX_SIDE, MAX_PIXELS } from '../bitstream/container.js';

export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** interleaved 8-bit samples, row-major */
  data: Uint8Array;
}

export async function readImage(input: string | Uint8Array): Promise<RawImage> {
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: MAX_PIXELS }).metadata();
  } catch (e) {
    throw new DdpmError('BAD_INPUT', `cannot read image: ${(e as Error).message}`);
  }
  const { width = 0, height = 0 } = meta;
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) throw new DdpmError('LIMIT_EXCEEDED', `image ${width}x${height} exceeds the limit (${MAX_SIDE} per side, ${MAX_PIXELS} pixels)`);
  if (meta.hasAlpha) throw new DdpmError('BAD_INPUT', 'images with an alpha channel are not supported (flatten or remove the alpha first, e.g. with `sharp … .flatten()`)');
  if (meta.space === 'cmyk') throw new DdpmError('BAD_INPUT', 'CMYK images are not supported (convert to sRGB first)');
  if (meta.depth && !['uchar', 'char'].includes(meta.depth)) throw new DdpmError('BAD_INPUT', `${meta.depth} samples are not supported: ddpm-codec codes 8-bit images (convert to 8-bit first)`);
  const grey = meta.channels === 1 || meta.space === 'b-w';
  const img = sharp(input, { limitInputPixels: MAX_PIXELS });
  const { data, info } = await (grey ? img.extractChannel(0) : img.toColourspace('srgb')).raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 && info.channels !== 3) throw new DdpmError('BAD_INPUT', `unsupported channel count ${info.channels}`);
  return { width: info.width, height: info.height, channels: info.channels as 1 | 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

export async function writeImage(img: RawImage, path: string): Promise<void> {
  const s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
  const lower = path.toLowerCase();
  if (lower.endsWith('.png')) await s.png({ compressionLevel: 9 }).toFile(path);
  else if (lower.endsWith('.webp')) await s.webp({ lossless: true }).toFile(path);
  else if (lower.endsWith('.tif') || lower.endsWith('.tiff')) await s.tiff().toFile(path);
  else if (lower.endsWith('.jpg') || lower.endsWith('.jpeg')) await s.jpeg({ quality: 95 }).toFile(path);
  else throw new DdpmError('BAD_ARGUMENT', `unknown output format for ${path} (use .png, .webp, .tif or .jpg)`);
}
