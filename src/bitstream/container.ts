/**
 * The .ddpm container.
 *
 *   magic     8 bytes  89 44 44 50 4D 0D 0A 1A   ("\x89DDPM\r\n\x1a")
 *   version   u16 BE
 *   hlen      varint   length of the header, <= MAX_HEADER_BYTES (at most 3 bytes)
 *   header    msgpack  (model id + weights hash, image geometry, codec parameters, seeds)
 *   hcrc      u32 BE   CRC-32 of version, hlen and header
 *   chunk*    frame varint (= 4 len + kind) | state u16 BE | payload (len bytes) | crc u16 BE
 *
 * The weights hash is recorded as its first 8 bytes (64 bits: ample to tell models apart, and every
 * chunk's state checksum catches a model that computes differently; the header of a 64x64 image is
 * a noticeable share of its low-rate truncation points).
 *
 * Chunks are small at low rates (a 64x64 image's first steps carry a few dozen bytes), so framing
 * is kept to 5–7 bytes: the chunk's position is its index, its kind (0–3) and length share one
 * unsigned LEB128 varint (canonical, at most 5 bytes), `state` is a 16-bit checksum of the decoder
 * state the encoder expects when the decoder reaches that chunk, so a decoder with another model,
 * backend or build stops with a clear error instead of producing garbage (A desynchronised
 * decoder stays desynchronised, so a miss at one chunk, probability 2^-16, is caught at the next;
 * the lossless chunk also carries a CRC-32 of the decoded pixels), and `crc` is the high half of
 * the CRC-32 of the frame varint, state and payload (integrity, checkable without a model).
 *
 * Any prefix that ends on a chunk boundary is itself a valid, shorter file: truncation needs
 * nothing but this module. A prefix that ends inside a chunk is one too: the codec decodes as much
 * of the cut chunk's payload as the bytes determine (`ParsedContainer.cut`). The state comes
 * before the payload (format 5) so that a cut chunk is still checked against the decoder's state;
 * its CRC, at its end, is not there to check.
 */
import { pack, unpack } from 'msgpackr';
import { crc32 } from './crc32.js';
import { DdpmError } from './errors.js';

export const MAGIC = Uint8Array.from([0x89, 0x44, 0x44, 0x50, 0x4d, 0x0d, 0x0a, 0x1a]);
/** 4: 8-byte weights hash, chunk kind inside the length varint; 5: a chunk's state before its payload */
export const FORMAT_VERSION = 5;
export const MAX_HEADER_BYTES = 1 << 20;
/** the largest chunk payload (its frame varint, 4 len + kind, fits in 5 bytes) */
export const MAX_CHUNK_BYTES = 2 ** 28 - 1;
/** chunk kinds are 0–3 (two bits of the frame varint) */
export const MAX_CHUNK_KIND = 3;
/** Documented image limits: each side at most 16384 pixels, at most 2^26 pixels in all. */
export const MAX_SIDE = 16384;
export const MAX_PIXELS = 1 << 26;
/** magic and version; the varint header length follows */
const PRELUDE = MAGIC.length + 2;
/** bytes of the weights hash a file records */
export const HASH_BYTES = 8;
const STATE_BYTES = 2;
const CRC_BYTES = 2;

export interface ImageGeometry {
  width: number;
  height: number;
  channels: 1 | 3;
}

export interface ContainerHeader {
  /**
   * model identity: the decoder refuses a model whose hash differs. `sha256` is hex; a file
   * records its first HASH_BYTES bytes (a parsed header holds that prefix).
   */
  model: { id: string; sha256: string };
  image: ImageGeometry;
  /** codec parameters (steps, channel, seeds...), serialised and validated by the codec layer */
  codec: unknown;
}

export interface Chunk {
  kind: number;
  /** position in the stream (implied by order: not stored) */
  index: number;
  /** 16-bit checksum of the decoder state this chunk expects */
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
  /**
   * The chunk a cut falls inside, when its frame and state are complete: its payload is the bytes
   * present (`length` of them in the whole chunk). Unchecked: its CRC is past the cut.
   */
  cut: CutChunk | null;
}

/** The start of a chunk cut short (see `ParsedContainer.cut`). */
export interface CutChunk extends Chunk {
  /** the payload's length in the whole chunk (> payload.length) */
  length: number;
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
  if (m && m.sha256 instanceof Uint8Array && m.sha256.length === HASH_BYTES) m.sha256 = Buffer.from(m.sha256).toString('hex');
  if (!m || typeof m.id !== 'string' || m.id.length > 256 || typeof m.sha256 !== 'string' || !/^([0-9a-f]{16}|[0-9a-f]{64})$/.test(m.sha256)) {
    throw new DdpmError('CORRUPT', 'header: model id / sha256 missing or malformed');
  }
  const image = validateGeometry(o.image);
  if (!o.codec || typeof o.codec !== 'object') throw new DdpmError('CORRUPT', 'header: codec parameters missing');
  return { model: { id: m.id, sha256: m.sha256 }, image, codec: o.codec };
}

export function writeHeader(header: ContainerHeader): Uint8Array {
  validateHeader(header);
  // compact positional form; the weights hash travels as HASH_BYTES raw bytes
  const { model, image, codec } = header;
  const body = pack([model.id, Buffer.from(model.sha256, 'hex').subarray(0, HASH_BYTES), image.width, image.height, image.channels, codec]) as Uint8Array;
  if (body.length > MAX_HEADER_BYTES) throw new DdpmError('LIMIT_EXCEEDED', 'header too large');
  const start = PRELUDE + varintLength(body.length);
  const out = new Uint8Array(start + body.length + 4);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(8, FORMAT_VERSION);
  writeVarint(out, PRELUDE, body.length);
  out.set(body, start);
  view.setUint32(start + body.length, crc32(out.subarray(8, start + body.length)));
  return out;
}

export function varintLength(n: number): number {
  let len = 1;
  while (n >= 2 ** (7 * len)) len++;
  return len;
}

export function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 128) {
    out[at++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

/** `n` as a standalone varint. */
export function encodeVarint(n: number): Uint8Array {
  const out = new Uint8Array(varintLength(n));
  writeVarint(out, 0, n);
  return out;
}

/**
 * Reads a canonical varint at `at`: its value and end, or null when the bytes end first. Overlong
 * (non-minimal) or longer-than-5-byte encodings are corruption.
 */
export function readVarint(bytes: Uint8Array, at: number, what: string): { value: number; end: number } | null {
  let value = 0;
  for (let k = 0; k < 5; k++) {
    if (at + k >= bytes.length) return null;
    const b = bytes[at + k];
    value += (b & 127) * 2 ** (7 * k);
    if (!(b & 128)) {
      if (k > 0 && b === 0) throw new DdpmError('CORRUPT', `${what}: overlong length encoding`);
      return { value, end: at + k + 1 };
    }
  }
  throw new DdpmError('CORRUPT', `${what}: length field longer than 5 bytes`);
}

/** High half of the CRC-32 of a chunk's frame varint, state and payload. */
function chunkCrc(framed: Uint8Array): number {
  return crc32(framed) >>> 16;
}

export function writeChunk(c: Chunk): Uint8Array {
  if (!(Number.isInteger(c.kind) && c.kind >= 0 && c.kind <= MAX_CHUNK_KIND && Number.isInteger(c.state) && c.state >= 0 && c.state < 65536)) throw new DdpmError('BAD_ARGUMENT', 'chunk kind/state out of range');
  if (c.payload.length > MAX_CHUNK_BYTES) throw new DdpmError('LIMIT_EXCEEDED', 'chunk too large');
  const frame = c.payload.length * 4 + c.kind;
  const head = varintLength(frame) + STATE_BYTES;
  const out = new Uint8Array(head + c.payload.length + CRC_BYTES);
  const view = new DataView(out.buffer);
  view.setUint16(writeVarint(out, 0, frame), c.state);
  out.set(c.payload, head);
  view.setUint16(head + c.payload.length, chunkCrc(out.subarray(0, head + c.payload.length)));
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
  const len = readVarint(bytes, PRELUDE, 'header');
  if (!len) throw new DdpmError('TRUNCATED', 'truncated .ddpm file: header incomplete');
  const hlen = len.value;
  if (hlen > MAX_HEADER_BYTES) throw new DdpmError('CORRUPT', `header length ${hlen} exceeds ${MAX_HEADER_BYTES}`);
  const start = len.end;
  const end = start + hlen + 4;
  if (bytes.length < end) throw new DdpmError('TRUNCATED', 'truncated .ddpm file: header incomplete');
  if (crc32(bytes.subarray(8, start + hlen)) !== u32(view, start + hlen)) throw new DdpmError('CORRUPT', 'header checksum mismatch (corrupt file)');
  let raw: unknown;
  try {
    raw = unpack(bytes.subarray(start, start + hlen));
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
    const frame = readVarint(bytes, at, `chunk ${chunks.length}`);
    const len = frame && { value: Math.floor(frame.value / 4), kind: frame.value % 4, end: frame.end };
    if (len && len.value > MAX_CHUNK_BYTES) throw new DdpmError('CORRUPT', `chunk ${chunks.length}: length ${len.value} exceeds ${MAX_CHUNK_BYTES}`);
    const end = len ? len.end + STATE_BYTES + len.value + CRC_BYTES : Infinity;
    if (end > bytes.length) {
      if (!opts.allowPartialTail) throw new DdpmError('TRUNCATED', `truncated .ddpm file: chunk ${chunks.length} is cut after ${left} bytes`);
      let cut: CutChunk | null = null;
      if (len && len.end + STATE_BYTES <= bytes.length) {
        const head = len.end + STATE_BYTES;
        cut = { kind: len.kind, index: chunks.length, state: view.getUint16(len.end), payload: bytes.subarray(head, Math.min(bytes.length, head + len.value)), length: len.value };
      }
      return { version, header, chunks, offsets, partialTail: left, cut };
    }
    const { value, kind, end: frameEnd } = len as { value: number; kind: number; end: number };
    const head = frameEnd + STATE_BYTES;
    if (chunkCrc(bytes.subarray(at, head + value)) !== view.getUint16(head + value)) throw new DdpmError('CORRUPT', `chunk ${chunks.length}: checksum mismatch (corrupt file)`);
    chunks.push({ kind, index: chunks.length, state: view.getUint16(frameEnd), payload: bytes.subarray(head, head + value) });
    at = end;
    offsets.push(at);
  }
  return { version, header, chunks, offsets, partialTail: 0, cut: null };
}

/** The longest prefix of whole chunks that fits in `maxBytes` (at least the header). */
export function truncateContainer(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const parsed = readContainer(bytes, { allowPartialTail: true });
  let cut = parsed.offsets[0];
  for (const o of parsed.offsets) if (o <= maxBytes) cut = o;
  return bytes.slice(0, cut);
}
