/**
 * Large images are coded as a grid of independent tiles, each its own diffusion stream (own x_T,
 * own schedule end), so encoder and decoder hold one tile's state at a time: memory is bounded by
 * the tile size, not the image. Tiles split the image into near-equal parts no larger than
 * `tileSize` per side (integer arithmetic, identical on both sides).
 */
import type { RawImage } from './image-io.js';
import { concatBytes, encodeVarint, readVarint } from '../bitstream/container.js';
import { DdpmError } from '../bitstream/errors.js';

export interface TileRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Default tile side: a 512x512 tile keeps the network's activations to tens of MB. */
export const DEFAULT_TILE_SIZE = 512;
export const MIN_TILE_SIZE = 16;

function cuts(len: number, size: number): number[] {
  const n = Math.ceil(len / size);
  return Array.from({ length: n + 1 }, (_, i) => Math.floor((i * len) / n));
}

/** Tiles in raster order. */
export function tileGrid(width: number, height: number, tileSize: number): TileRect[] {
  const xs = cuts(width, tileSize);
  const ys = cuts(height, tileSize);
  const out: TileRect[] = [];
  for (let r = 0; r + 1 < ys.length; r++) for (let c = 0; c + 1 < xs.length; c++) out.push({ x: xs[c], y: ys[r], width: xs[c + 1] - xs[c], height: ys[r + 1] - ys[r] });
  return out;
}

export function cropTile(img: RawImage, t: TileRect): RawImage {
  const C = img.channels;
  const data = new Uint8Array(t.width * t.height * C);
  for (let y = 0; y < t.height; y++) data.set(img.data.subarray(((t.y + y) * img.width + t.x) * C, ((t.y + y) * img.width + t.x + t.width) * C), y * t.width * C);
  return { width: t.width, height: t.height, channels: img.channels, data };
}

export function pasteTile(out: RawImage, t: TileRect, tile: RawImage): void {
  const C = out.channels;
  for (let y = 0; y < t.height; y++) out.data.set(tile.data.subarray(y * t.width * C, (y + 1) * t.width * C), ((t.y + y) * out.width + t.x) * C);
}

/** Tile j's stream seed: the file seed with j added to its second word. */
export function tileSeed(seed: readonly [number, number], j: number): [number, number] {
  return [seed[0], (seed[1] + j) >>> 0];
}

/** With more than one tile, every chunk payload starts with its tile's number (varint). */
export function tagTile(payload: Uint8Array, j: number): Uint8Array {
  return concatBytes([encodeVarint(j), payload]);
}

/** The tile a chunk payload belongs to and the payload as that tile's stream sees it (untrusted). */
export function untagTile(payload: Uint8Array, nTiles: number, what: string): { tile: number; payload: Uint8Array } {
  if (nTiles === 1) return { tile: 0, payload };
  const v = readVarint(payload, 0, what);
  if (!v || v.value >= nTiles) throw new DdpmError('CORRUPT', `${what}: tile number missing or out of range`);
  return { tile: v.value, payload: payload.subarray(v.end) };
}
