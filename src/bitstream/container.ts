/**
 * The .ddpm container.
 *
 *   magic     8 bytes  89 44 44 50 4D 0D 0A 1A   ("\x89DDPM\r\n\x1a")
 *   version   u16 BE
 *   hlen      u32 BE   length of the header, <= MAX_HEADER_BYTES
 *   header    msgpack  (model id + weights hash, image geometry, codec parameters, seeds)
 *   hcrc      u32 BE   CRC-32 of version, hlen and header
 *   chunk*    kind u8 | index u16 | state u32 | len u32 | payload (len bytes) | crc u32
 *
 * A chunk's `state` is a checksum of the decoder state the encoder expects when the decoder reaches
 * that chunk, so a decoder with another model, backend or build stops with a clear error instead
 * of producing garbage. The chunk CRC covers kind, index, state, len and payload.
 *
 * Any prefix that ends on a chunk boundary is itself a valid, shorter file: truncation needs
 * nothing but this module.
 */
import { pack, unpack } from 'msgpackr';
import { crc32 } from './crc32.js';
import { DdpmError } from './errors.js';

export const MAGIC = Uint8Array.from([0x89, 0x44, 0x44, 0x50, 0x4d, 0x0d, 0x0a, 0x1a]);
export const FORMAT_VERSION = 1;
export const MAX_HEADER_BYTES = 1 << 20;
export const MAX_CHUNK_BYTES = 1 << 28;
/** Documented image limits: each side at most 16384 pixels, at most 2^26 pixels in all. */
export const MAX_SIDE = 16384;
export const MAX_PIXELS = 1 << 26;
const PRELUDE = MAGIC.length + 2 + 4;
const CHUNK_HEAD = 1 + 2 + 4 + 4;
const CHUNK_OVERHEAD = CHUNK_HEAD + 4;

export interface ImageGeometry {
  width: number;
  height: number;
  channels: 1 | 3;
}

export interface ContainerHeader {
  /** model identity: the decoder refuses a model whose hash differs */
  model: { id: string; sha256: string };
  image: ImageGeometry;
  /** codec parameters (steps, channel, seeds...), serialised and validated by the codec layer */
  codec: unknown;
}

export interface Chunk {
  kind: number;
  index: number;
  state: number;
  payload: Uint8Array;
}

export interface ParsedContainer {
  version: number;
  header: ContainerHeader;
  chunks: Chunk[];
  /** byte offset where each chunk starts, plus the end of the last whole chunk */
  offsets: number[];
  /** bytes after the last whole chunk (a cut inside a chunk); 0 for a clean prefix */
  partialTail: number;
}

function u32(view: DataView, at: number): number {
  return view.getUint32(at);
}

export function validateGeometry(g: unknown): ImageGeometry {
  const o = g as Partial<ImageGeometry> | null;
  if (!o || typeof o !== 'object') throw new DdpmError('CORRUPT', 'header: image geometry missing');
  const { width, height, channels } = o;
  if (!Number.isInteger(width) || !Number.isInteger(height) || (width as number) < 1 || (height as number) < 1) {
    throw new DdpmError('CORRUPT', 'header: image width/height must be positive integers');
  }
  if ((width as number) > MAX_SIDE || (height as number) > MAX_SIDE || (width as number) * (height as number) > MAX_PIXELS) {
    throw new DdpmError('LIMIT_EXCEEDED', `image ${width}x${height} exceeds the limit (${MAX_SIDE} per side, ${MAX_PIXELS} pixels)`);
  }
  if (channels !== 1 && channels !== 3) throw new DdpmError('CORRUPT', `header: unsupported channel count ${String(channels)}`);
  return { width: width as number, height: height as number, channels };
}

function validateHeader(h: unknown): ContainerHeader {
  const o = h as Partial<ContainerHeader> | null;
  if (!o || typeof o !== 'object') throw new DdpmError('CORRUPT', 'header is not a map');
  const m = o.model as { id?: unknown; sha256?: unknown } | undefined;
  if (m && m.sha256 instanceof Uint8Array && m.sha256.length === 32) m.sha256 = Buffer.from(m.sha256).toString('hex');
  if (!m || typeof m.id !== 'string' || m.id.length > 256 || typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) {
    throw new DdpmError('CORRUPT', 'header: model id / sha256 missing or malformed');
  }
  const image = validateGeometry(o.image);
  if (!o.codec || typeof o.codec !== 'object') throw new DdpmError('CORRUPT', 'header: codec parameters missing');
  return { model: { id: m.id, sha256: m.sha256 }, image, codec: o.codec };
}

export function writeHeader(header: ContainerHeader): Uint8Array {
  validateHeader(header);
  // compact positional form; the weights hash travels as 32 raw bytes
  const { model, image, codec } = header;
  const body = pack([model.id, Buffer.from(model.sha256, 'hex'), image.width, image.height, image.channels, codec]) as Uint8Array;
  if (body.length > MAX_HEADER_BYTES) throw new DdpmError('LIMIT_EXCEEDED', 'header too large');
  const out = new Uint8Array(PRELUDE + body.length + 4);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(8, FORMAT_VERSION);
  view.setUint32(10, body.length);
  out.set(body, PRELUDE);
  view.setUint32(PRELUDE + body.length, crc32(out.subarray(8, PRELUDE + body.length)));
  return out;
}

export function writeChunk(c: Chunk): Uint8Array {
  if (!(c.kind >= 0 && c.kind < 256 && c.index >= 0 && c.index < 65536)) throw new DdpmError('BAD_ARGUMENT', 'chunk kind/index out of range');
  if (c.payload.length > MAX_CHUNK_BYTES) throw new DdpmError('LIMIT_EXCEEDED', 'chunk too large');
  const out = new Uint8Array(CHUNK_OVERHEAD + c.payload.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, c.kind);
  view.setUint16(1, c.index);
  view.setUint32(3, c.state >>> 0);
  view.setUint32(7, c.payload.length);
  out.set(c.payload, CHUNK_HEAD);
  view.setUint32(CHUNK_HEAD + c.payload.length, crc32(out.subarray(0, CHUNK_HEAD + c.payload.length)));
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function writeContainer(header: ContainerHeader, chunks: readonly Chunk[]): Uint8Array {
  return concatBytes([writeHeader(header), ...chunks.map(writeChunk)]);
}

/** Parses the prelude and header; returns the header and where the chunks start. */
export function readHeader(bytes: Uint8Array): { version: number; header: ContainerHeader; end: number } {
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new DdpmError('BAD_MAGIC', 'not a .ddpm file (bad magic bytes)');
  }
  if (bytes.length < PRELUDE) throw new DdpmError('TRUNCATED', 'truncated .ddpm file: header incomplete');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8);
  if (version !== FORMAT_VERSION) throw new DdpmError('UNSUPPORTED_VERSION', `unsupported .ddpm format version ${version} (this build reads ${FORMAT_VERSION})`);
  const hlen = u32(view, 10);
  if (hlen > MAX_HEADER_BYTES) throw new DdpmError('CORRUPT', `header length ${hlen} exceeds ${MAX_HEADER_BYTES}`);
  const end = PRELUDE + hlen + 4;
  if (bytes.length < end) throw new DdpmError('TRUNCATED', 'truncated .ddpm file: header incomplete');
  if (crc32(bytes.subarray(8, PRELUDE + hlen)) !== u32(view, PRELUDE + hlen)) throw new DdpmError('CORRUPT', 'header checksum mismatch (corrupt file)');
  let raw: unknown;
  try {
    raw = unpack(bytes.subarray(PRELUDE, PRELUDE + hlen));
  } catch (e) {
    throw new DdpmError('CORRUPT', `header does not parse: ${(e as Error).message}`);
  }
  if (!Array.isArray(raw) || raw.length !== 6) throw new DdpmError('CORRUPT', 'header is not a 6-element list');
  const [id, sha256, width, height, channels, codec] = raw as unknown[];
  return { version, header: validateHeader({ model: { id, sha256 }, image: { width, height, channels }, codec }), end };
}

/**
 * Parses a whole container. A cut inside a chunk (a byte-truncated file) is reported through
 * `partialTail` when `allowPartialTail` is set, and is an error otherwise; a checksum mismatch is
 * always an error.
 */
export function readContainer(bytes: Uint8Array, opts: { allowPartialTail?: boolean } = {}): ParsedContainer {
  const { version, header, end } = readHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Chunk[] = [];
  const offsets: number[] = [end];
  let at = end;
  while (at < bytes.length) {
    const left = bytes.length - at;
    const len = left >= CHUNK_HEAD ? u32(view, at + 7) : -1;
    if (len > MAX_CHUNK_BYTES) throw new DdpmError('CORRUPT', `chunk ${chunks.length}: length ${len} exceeds ${MAX_CHUNK_BYTES}`);
    if (len < 0 || left < CHUNK_OVERHEAD + len) {
      if (opts.allowPartialTail) return { version, header, chunks, offsets, partialTail: left };
      throw new DdpmError('TRUNCATED', `truncated .ddpm file: chunk ${chunks.length} is cut after ${left} bytes`);
    }
    const stored = u32(view, at + CHUNK_HEAD + len);
    if (crc32(bytes.subarray(at, at + CHUNK_HEAD + len)) !== stored) throw new DdpmError('CORRUPT', `chunk ${chunks.length}: checksum mismatch (corrupt file)`);
    chunks.push({
      kind: view.getUint8(at),
      index: view.getUint16(at + 1),
      state: u32(view, at + 3),
      payload: bytes.subarray(at + CHUNK_HEAD, at + CHUNK_HEAD + len),
    });
    at += CHUNK_OVERHEAD + len;
    offsets.push(at);
  }
  return { version, header, chunks, offsets, partialTail: 0 };
}

/** The longest prefix of whole chunks that fits in `maxBytes` (at least the header). */
export function truncateContainer(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const parsed = readContainer(bytes, { allowPartialTail: true });
  let cut = parsed.offsets[0];
  for (const o of parsed.offsets) if (o <= maxBytes) cut = o;
  return bytes.slice(0, cut);
}
