/**
 * Baseline codecs in the same run: JPEG (mozjpeg), progressive JPEG truncated at byte budgets,
 * WebP and AVIF over quality ladders, PNG / WebP / AVIF lossless through sharp, and JPEG XL
 * (lossless and lossy) through Debian's cjxl/djxl when installed.
 */
import sharp from 'sharp';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Img } from './metrics.js';

sharp.concurrency(2);

export interface Coded {
  bytes: number;
  decoded: Img;
  encodeSeconds: number;
  setting: string;
}

function raw(img: Img) {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 3 } });
}

async function decodeAny(buf: Uint8Array): Promise<Img> {
  const { data, info } = await sharp(buf, { failOn: 'none' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

async function timed(setting: string, f: () => Promise<Buffer | Uint8Array>): Promise<Coded> {
  const t0 = performance.now();
  const buf = await f();
  const encodeSeconds = (performance.now() - t0) / 1000;
  return { bytes: buf.length, decoded: await decodeAny(buf), encodeSeconds, setting };
}

export const QUALITIES = [5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 95];

export async function lossyLadders(img: Img, qualities = QUALITIES): Promise<Record<string, Coded[]>> {
  const out: Record<string, Coded[]> = { jpeg: [], webp: [], avif: [] };
  for (const q of qualities) {
    out.jpeg.push(await timed(`q${q}`, () => raw(img).jpeg({ quality: q, mozjpeg: true }).toBuffer()));
    out.webp.push(await timed(`q${q}`, () => raw(img).webp({ quality: q, effort: 6 }).toBuffer()));
    out.avif.push(await timed(`q${q}`, () => raw(img).avif({ quality: q, effort: 4 }).toBuffer()));
  }
  return out;
}

/** Progressive JPEG (q95, mozjpeg scans) cut at each byte budget and decoded as far as it goes. */
export async function progressiveJpeg(img: Img, budgets: number[]): Promise<Coded[]> {
  const full = await raw(img).jpeg({ quality: 95, progressive: true, mozjpeg: true }).toBuffer();
  const out: Coded[] = [];
  for (const b of budgets) {
    if (b < 200 || b >= full.length) continue;
    try {
      out.push({ bytes: b, decoded: await decodeAny(full.subarray(0, b)), encodeSeconds: 0, setting: `cut${b}` });
    } catch {
      /* too short to decode anything */
    }
  }
  out.push({ bytes: full.length, decoded: await decodeAny(full), encodeSeconds: 0, setting: 'full' });
  return out;
}

/** Lossless codecs; each result is checked to decode to the exact input. */
export async function lossless(img: Img): Promise<Record<string, Coded>> {
  // (sharp's png `effort` option implies palette quantisation, i.e. lossy: not used)
  const out: Record<string, Coded> = {
    png: await timed('lossless', () => raw(img).png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer()),
    webpLossless: await timed('lossless', () => raw(img).webp({ lossless: true, effort: 6 }).toBuffer()),
    avifLossless: await timed('lossless', () => raw(img).avif({ lossless: true, effort: 4 }).toBuffer()),
  };
  for (const [name, c] of Object.entries(out)) assertExact(name, img, c.decoded);
  return out;
}

export function assertExact(name: string, a: Img, b: Img): void {
  if (a.data.length !== b.data.length || a.data.some((v, i) => v !== b.data[i])) throw new Error(`${name} is not lossless on this image`);
}

export function hasCjxl(): boolean {
  try {
    execFileSync('cjxl', ['--version'], { stdio: 'ignore' });
    execFileSync('djxl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** JPEG XL via cjxl/djxl: distance 0 (lossless, effort 9) and a lossy distance ladder. */
export async function jpegXl(img: Img, distances = [0.5, 1, 1.5, 2, 3, 4, 6, 8]): Promise<{ lossless: Coded; lossy: Coded[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'jxl-'));
  try {
    const src = join(dir, 'in.png');
    writeFileSync(src, await raw(img).png().toBuffer());
    const run = async (setting: string, args: string[]): Promise<Coded> => {
      const t0 = performance.now();
      execFileSync('cjxl', [src, join(dir, 'o.jxl'), ...args, '--quiet'], { stdio: 'ignore' });
      const encodeSeconds = (performance.now() - t0) / 1000;
      execFileSync('djxl', [join(dir, 'o.jxl'), join(dir, 'o.png'), '--quiet'], { stdio: 'ignore' });
      const bytes = readFileSync(join(dir, 'o.jxl')).length;
      return { bytes, decoded: await decodeAny(readFileSync(join(dir, 'o.png'))), encodeSeconds, setting };
    };
    const lossless = await run('d0 e9', ['-d', '0', '-e', '9']);
    assertExact('jxl lossless', img, lossless.decoded);
    const lossy: Coded[] = [];
    for (const d of distances) lossy.push(await run(`d${d}`, ['-d', String(d), '-e', '7']));
    return { lossless, lossy };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
