/**
 * The library interface: encode, decode (at a byte budget, bitrate or step), decodeProgressive
 * (from an async stream of bytes, a preview after every step), inspect and truncate.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readContainer, concatBytes, type ParsedContainer, type CutChunk } from '../bitstream/container.js';
import { tileGrid, untagTile, type TileRect } from './tile-grid.js';
import { DdpmError } from '../bitstream/errors.js';
import { initBackend } from '../model/backend.js';
import { loadModelFile } from '../model/model-file.js';
import { Denoiser } from './denoiser.js';
import { encodeImage, type EncodeOptions } from './encoder.js';
import { ProgressiveDecoder, decodeTileByTile } from './decoder.js';
import { encodeTilesInParallel, decodeTilesInParallel, defaultThreads } from './tile-parallel.js';
import { readImage, type RawImage } from './image-io.js';
import { CHUNK_STEPS, CHUNK_X0, CHUNK_X0_REFINE, readCodecParams, stepChannelName } from './codec-params.js';
import { openSteps, splitX0Payload } from './step-group.js';
import { x0PassBinWidth } from './x0-coder.js';
import { DEFAULT_RECON, type ReconOptions } from './reconstruct.js';

export type { RawImage, ReconOptions };

/** The model shipped in the package. */
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('../../../models/photo-s/model.ddpm-model', import.meta.url));

const denoisers = new Map<string, Denoiser>();

/** Loads (and caches) a model on the deterministic wasm backend. */
export async function loadDenoiser(path: string = DEFAULT_MODEL_PATH): Promise<Denoiser> {
  const hit = denoisers.get(path);
  if (hit) return hit;
  if (!existsSync(path)) throw new DdpmError('BAD_ARGUMENT', `model file not found: ${path}`);
  await initBackend('wasm');
  const d = new Denoiser(loadModelFile(path));
  denoisers.set(path, d);
  return d;
}

export interface CodecOptions {
  /** model file path or a loaded denoiser (default: the shipped model) */
  model?: string | Denoiser;
  /**
   * threads for images of more than one tile (default: the machine's cores, at most 8): tiles are
   * coded in parallel, each worker loading the model from its file — so only when `model` is a
   * path or the default. The output does not depend on it.
   */
  threads?: number;
}

async function denoiserOf(o: CodecOptions): Promise<Denoiser> {
  return o.model instanceof Denoiser ? o.model : loadDenoiser(o.model);
}

/** the model file workers can load, or null when the caller passed a loaded denoiser */
function modelPathOf(o: CodecOptions): string | null {
  return o.model instanceof Denoiser ? null : (o.model ?? DEFAULT_MODEL_PATH);
}

function threadsOf(o: CodecOptions): number {
  const t = o.threads ?? defaultThreads();
  if (!(Number.isInteger(t) && t >= 1 && t <= 64)) throw new DdpmError('BAD_ARGUMENT', 'threads must be an integer in [1, 64]');
  return t;
}

export async function encode(image: string | Uint8Array | RawImage, options: CodecOptions & EncodeOptions = {}): Promise<Uint8Array> {
  const img = typeof image === 'string' || image instanceof Uint8Array ? await readImage(image) : image;
  const den = await denoiserOf(options);
  const threads = threadsOf(options);
  const path = modelPathOf(options);
  if (path === null || threads === 1) return encodeImage(img, den, options).bytes;
  return (await encodeTilesInParallel(img, den, path, options, threads)).bytes;
}

export interface Budget {
  /** keep at most this many bytes of the file */
  bytes?: number;
  /** keep at most this many bits per pixel */
  bpp?: number;
  /** apply at most this many chunks (truncation points; the lossless chunk counts as one) */
  step?: number;
  /**
   * Keep only the whole chunks within the byte budget. By default the bytes of the chunk the budget
   * ends inside are used too: the decoder reads as much of it as they determine (the steps whose
   * symbols are all there, part of the next one, or the x0 pass's first samples), so the image
   * improves with every byte, not only at chunk boundaries.
   */
  wholeChunks?: boolean;
}

/** The bytes a budget keeps: the header at least, then whole chunks, then (unless wholeChunks) the start of the next. */
export function budgetBytes(parsed: ParsedContainer, total: number, b: Budget): number {
  const { width, height } = parsed.header.image;
  let limit = total;
  if (b.bytes !== undefined) limit = Math.min(limit, b.bytes);
  if (b.bpp !== undefined) limit = Math.min(limit, Math.floor((b.bpp * width * height) / 8));
  let n = 0;
  for (let k = 1; k < parsed.offsets.length; k++) if (parsed.offsets[k] <= limit) n = k;
  if (b.step !== undefined && b.step < n) return parsed.offsets[b.step];
  if (b.step !== undefined && b.step === n) return parsed.offsets[n];
  return b.wholeChunks ? parsed.offsets[n] : Math.max(parsed.offsets[0], limit);
}

export async function decode(bytes: Uint8Array, options: CodecOptions & Budget & { recon?: ReconOptions; onProgress?: (done: number, total: number) => void } = {}): Promise<RawImage> {
  const den = await denoiserOf(options);
  const kept = bytes.subarray(0, budgetBytes(readContainer(bytes, { allowPartialTail: true }), bytes.length, options));
  const parsed = readContainer(kept, { allowPartialTail: true });
  const threads = threadsOf(options);
  const path = modelPathOf(options);
  const n = parsed.chunks.length;
  const recon = options.recon ?? DEFAULT_RECON;
  if (path === null || threads === 1) return decodeTileByTile(parsed, den, n, recon, options.onProgress);
  return decodeTilesInParallel(parsed, kept, den, path, n, recon, threads, options.onProgress);
}

/**
 * Decodes from a stream of byte pieces, yielding a preview after every whole chunk; with
 * `previewBytes`, also whenever that many bytes have come in since the last preview, from the
 * chunk still arriving (decoded as far as its bytes go); and at the end of a stream cut inside a
 * chunk, one with as much of it as its bytes determine.
 */
export async function* decodeProgressive(stream: AsyncIterable<Uint8Array>, options: CodecOptions & { recon?: ReconOptions; previewBytes?: number } = {}): AsyncGenerator<{ image: RawImage; chunks: number; bytes: number; lossless: boolean }> {
  const den = await denoiserOf(options);
  const every = options.previewBytes;
  if (every !== undefined && !(Number.isInteger(every) && every >= 1)) throw new DdpmError('BAD_ARGUMENT', 'previewBytes must be a positive integer');
  let buf: Uint8Array = new Uint8Array(0);
  let decoder: ProgressiveDecoder | null = null;
  let used = 0;
  let cut: CutChunk | null = null;
  let shown = 0;
  for await (const piece of stream) {
    buf = concatBytes([buf, piece]);
    let parsed;
    try {
      parsed = readContainer(buf, { allowPartialTail: true });
    } catch (e) {
      if (e instanceof DdpmError && e.code === 'TRUNCATED') continue; // header not complete yet
      throw e;
    }
    if (!decoder) {
      decoder = new ProgressiveDecoder(parsed, den);
      shown = parsed.offsets[0];
      yield { image: decoder.image(options.recon), chunks: 0, bytes: shown, lossless: false };
    }
    while (used < parsed.chunks.length) {
      decoder.apply(parsed.chunks[used]);
      used++;
      shown = parsed.offsets[used];
      yield { image: decoder.image(options.recon), chunks: used, bytes: shown, lossless: decoder.view.lossless };
    }
    cut = parsed.cut;
    if (cut && every !== undefined && buf.length - shown >= every) {
      shown = buf.length;
      yield { image: decoder.imageWithCut(cut, options.recon), chunks: used, bytes: shown, lossless: false };
    }
  }
  if (!decoder) throw new DdpmError('TRUNCATED', 'stream ended before the .ddpm header was complete');
  if (cut && cut.payload.length && buf.length > shown) yield { image: decoder.imageWithCut(cut, options.recon), chunks: used, bytes: buf.length, lossless: false };
}

/** A diffusion step as a file records it (the steps of a chunk share one range-coded stream). */
export interface StepInfo {
  channel: 'uq' | 'rec';
  t: number;
  s: number;
}

export interface FileInfo {
  model: { id: string; sha256: string };
  image: { width: number; height: number; channels: number };
  channel: string;
  /** the tile grid (one tile for images up to the tile size) and each tile's coding steps */
  tileSize: number;
  tiles: Array<TileRect & { steps: number[] }>;
  headerBytes: number;
  totalBytes: number;
  lossless: boolean;
  partialTailBytes: number;
  /** one row per chunk (truncation point); a step chunk lists the diffusion steps it carries */
  chunks: Array<{ kind: 'steps' | 'x0' | 'refine'; index: number; tile: number; t: number; s: number; bytes: number; cumulativeBytes: number; bpp: number; steps: StepInfo[]; /** x0 passes: the width of the bins this pass resolves (1: lossless) */ binWidth: number | null }>;
}

/**
 * Header fields and a per-chunk table, without running a model. A file whose coding steps are
 * recorded against its model's coding schedule (the default encode with a model that has one)
 * needs that model's schedule: pass the model (used only if its weights hash is the file's).
 */
export function inspect(bytes: Uint8Array, o: { model?: { sha256: string; codingSchedule?: number[] } } = {}): FileInfo {
  const parsed = readContainer(bytes, { allowPartialTail: true });
  const { header } = parsed;
  const schedule = o.model && o.model.sha256.startsWith(header.model.sha256) ? (o.model.codingSchedule ?? null) : null;
  const params = readCodecParams(header.codec, header.image, schedule);
  const rects = tileGrid(header.image.width, header.image.height, params.tileSize);
  const px = header.image.width * header.image.height;
  const k = rects.map(() => 0);
  let x0Chunks = 0;
  const chunks = parsed.chunks.map((c, i) => {
    const { tile, payload } = untagTile(c.payload, rects.length, `chunk ${i}`);
    const { steps } = params.tiles[tile];
    const base = { index: c.index, tile, bytes: parsed.offsets[i + 1] - parsed.offsets[i], cumulativeBytes: parsed.offsets[i + 1], bpp: (parsed.offsets[i + 1] * 8) / px };
    if (c.kind === CHUNK_X0_REFINE) {
      const binWidth = x0PassBinWidth(payload);
      if (binWidth === 1) x0Chunks++;
      return { ...base, kind: 'refine' as const, t: 0, s: 0, steps: [], binWidth };
    }
    if (c.kind !== CHUNK_X0 && c.kind !== CHUNK_STEPS) throw new DdpmError('CORRUPT', `chunk ${i}: unknown kind ${c.kind}`);
    const x0 = c.kind === CHUNK_X0 ? splitX0Payload(payload) : null;
    const stream = x0 ? x0.steps : payload;
    const channels = stream.length ? openSteps(stream, steps.length - 1 - k[tile]).channels : [];
    const t0 = steps[k[tile]] ?? -1;
    const list: StepInfo[] = channels.map((ch) => {
      const row = { channel: stepChannelName(ch), t: steps[k[tile]], s: steps[k[tile] + 1] };
      k[tile]++;
      return row;
    });
    if (x0) {
      const binWidth = x0PassBinWidth(x0.x0);
      if (binWidth === 1) x0Chunks++;
      return { ...base, kind: 'x0' as const, t: t0, s: 0, steps: list, binWidth };
    }
    return { ...base, kind: 'steps' as const, t: list[0].t, s: list[list.length - 1].s, steps: list, binWidth: null };
  });
  return {
    model: header.model,
    image: header.image,
    channel: params.channel,
    tileSize: params.tileSize,
    tiles: rects.map((r, j) => ({ ...r, steps: params.tiles[j].steps })),
    headerBytes: parsed.offsets[0],
    totalBytes: bytes.length,
    lossless: x0Chunks === rects.length,
    partialTailBytes: parsed.partialTail,
    chunks,
  };
}

/**
 * A shorter file: the bytes the budget keeps (see Budget: by default cut exactly at the budget,
 * which decodes into the cut chunk; with wholeChunks, a file of whole chunks, every one checked).
 */
export function truncate(bytes: Uint8Array, b: Budget): Uint8Array {
  return bytes.slice(0, budgetBytes(readContainer(bytes, { allowPartialTail: true }), bytes.length, b));
}
