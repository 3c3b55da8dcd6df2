/**
 * Multi-symbol range coder driven by integer cumulative-frequency tables that may change for every
 * symbol. Totals up to 2^16 (16 bits of probability precision); a 48-bit range kept above 2^40 and
 * carry propagation through a cache byte (the LZMA scheme, widened). Only exact integer arithmetic
 * on doubles is used — every intermediate value stays below 2^53 and floor(a/b) is exact because
 * a/b can never round across an integer when a < 2^48 — so the output is identical everywhere.
 * The wide range makes the truncation loss of floor(range/total) about 1e-7 bits per symbol (with a
 * 32-bit range it was 5e-4 bits per symbol: measured 0.15% on skewed binary streams).
 *
 * A distribution is a cumulative table `cdf` of length n+1 with cdf[0] = 0, cdf[n] = total and
 * cdf[s+1] > cdf[s] for every symbol s that may be coded. Tables need not be normalised to a power
 * of two.
 */
import { DdpmError } from './errors.js';

export const MAX_TOTAL_BITS = 16;
export const MAX_TOTAL = 1 << MAX_TOTAL_BITS;
const RANGE_BITS = 48;
const FULL = 2 ** RANGE_BITS;
const TOP = 2 ** (RANGE_BITS - 8);
const STATE_BYTES = RANGE_BITS / 8;

export function checkInterval(lo: number, freq: number, total: number): void {
  if (!(total > 0 && total <= MAX_TOTAL && freq > 0 && lo >= 0 && lo + freq <= total)) {
    throw new DdpmError('BAD_ARGUMENT', `range coder: invalid interval [${lo}, ${lo + freq}) of ${total}`);
  }
}

/**
 * Where symbols are written: the range encoder itself, or a `SymbolRecorder` that prices a stream
 * and replays it into an encoder later (the codec decides which channel codes a step, and which
 * steps share a chunk, before it writes them). Subclasses provide the interval primitive.
 */
export abstract class SymbolSink {
  /** Codes the interval [lo, lo+freq) of total (the general primitive). */
  abstract encodeInterval(lo: number, freq: number, total: number): void;

  /** Codes `symbol` under the cumulative table `cdf`. */
  encode(cdf: ArrayLike<number>, symbol: number): void {
    if (!(symbol >= 0 && symbol + 1 < cdf.length)) {
      throw new DdpmError('BAD_ARGUMENT', `range coder: symbol ${symbol} outside table of ${cdf.length - 1}`);
    }
    const lo = cdf[symbol];
    this.encodeInterval(lo, cdf[symbol + 1] - lo, cdf[cdf.length - 1]);
  }

  /** Codes `value` uniformly in [0, 2^bits), bits <= 32, in pieces of at most 16 bits. */
  encodeBits(value: number, bits: number): void {
    if (!(bits >= 0 && bits <= 32 && Number.isInteger(value) && value >= 0 && value < 2 ** bits)) {
      throw new DdpmError('BAD_ARGUMENT', `range coder: ${value} does not fit in ${bits} bits`);
    }
    while (bits > 0) {
      const b = Math.min(bits, 16);
      bits -= b;
      const piece = Math.floor(value / 2 ** bits) % 2 ** b;
      this.encodeInterval(piece, 1, 2 ** b);
    }
  }
}

export class RangeEncoder extends SymbolSink {
  private low = 0; // < 2^49: may carry into bit 48
  private range = FULL - 1;
  private cache = 0;
  private cacheSize = 1; // the first emitted byte is always the (dropped) initial cache 0
  private out: Uint8Array = new Uint8Array(1024);
  private len = 0;
  private first = true;

  encodeInterval(lo: number, freq: number, total: number): void {
    checkInterval(lo, freq, total);
    const r = Math.floor(this.range / total);
    this.low += r * lo;
    this.range = r * freq;
    while (this.range < TOP) {
      this.range *= 256;
      this.shiftLow();
    }
  }

  private push(byte: number): void {
    if (this.first) {
      this.first = false; // the very first cache byte is always 0: drop it
      return;
    }
    if (this.len === this.out.length) {
      const bigger = new Uint8Array(this.out.length * 2);
      bigger.set(this.out);
      this.out = bigger;
    }
    this.out[this.len++] = byte;
  }

  private shiftLow(): void {
    if (this.low < 0xff * TOP || this.low >= FULL) {
      const carry = this.low >= FULL ? 1 : 0;
      let c = this.cache;
      do {
        this.push((c + carry) & 0xff);
        c = 0xff;
      } while (--this.cacheSize !== 0);
      this.cache = Math.floor(this.low / TOP) & 0xff;
    }
    this.cacheSize++;
    this.low = (this.low % TOP) * 256;
  }

  /**
   * Ends the stream. Picks the value in [low, low+range) with the most trailing zero bits, so that
   * after trailing zero bytes are trimmed (the decoder reads zeros past the end) the stream is as
   * short as possible.
   */
  finish(): Uint8Array {
    const hi = this.low + this.range; // exclusive
    for (let b = RANGE_BITS; b >= 0; b--) {
      const step = 2 ** b;
      const v = Math.ceil(this.low / step) * step;
      if (v < hi) {
        this.low = v;
        break;
      }
    }
    for (let i = 0; i <= STATE_BYTES; i++) this.shiftLow();
    let n = this.len;
    while (n > 0 && this.out[n - 1] === 0) n--;
    return this.out.slice(0, n);
  }
}

export class RangeDecoder {
  private code = 0;
  private range = FULL - 1;
  private pos = 0;
  private readonly buf: Uint8Array;
  private readonly cut: boolean;
  /**
   * For a cut stream (`cut`: `buf` is a prefix of a longer stream): set once a symbol is read
   * while the code value holds a byte past the cut, so that symbol and every later one are
   * unknown. Every symbol read before it is exact: the code value held only real bytes.
   */
  lost = false;

  /** `cut`: `buf` is only the start of the stream (a file cut inside a chunk). */
  constructor(buf: Uint8Array, cut = false) {
    this.buf = buf;
    this.cut = cut;
    for (let i = 0; i < STATE_BYTES; i++) this.code = this.code * 256 + this.nextByte();
  }

  private nextByte(): number {
    return this.pos < this.buf.length ? this.buf[this.pos++] : (this.pos++, 0);
  }

  /** Bytes consumed beyond the end of the buffer (0 for a well-formed stream). */
  get overrun(): number {
    return Math.max(0, this.pos - this.buf.length - STATE_BYTES);
  }

  /** Returns the target count in [0, total) for the next symbol; follow with `consume`. */
  peek(total: number): number {
    if (!(total > 0 && total <= MAX_TOTAL)) throw new DdpmError('BAD_ARGUMENT', `range coder: bad total ${total}`);
    if (this.cut && this.pos > this.buf.length) this.lost = true;
    const r = Math.floor(this.range / total);
    const t = Math.floor(this.code / r);
    return t < total ? t : total - 1;
  }

  /** Removes the interval [lo, lo+freq) of total, which must contain the value `peek` returned. */
  consume(lo: number, freq: number, total: number): void {
    checkInterval(lo, freq, total);
    const r = Math.floor(this.range / total);
    this.code -= r * lo;
    this.range = r * freq;
    if (this.code < 0 || this.code >= this.range) {
      // Only a corrupt stream (or a table different from the encoder's) can get here.
      throw new DdpmError('CORRUPT', 'range decoder: code value left its interval (corrupt stream or desynchronised tables)');
    }
    while (this.range < TOP) {
      this.range *= 256;
      this.code = this.code * 256 + this.nextByte();
    }
  }

  /** Decodes a symbol under the cumulative table `cdf` (binary search). */
  decode(cdf: ArrayLike<number>): number {
    const n = cdf.length - 1;
    const total = cdf[n];
    const t = this.peek(total);
    let lo = 0;
    let hi = n; // invariant: cdf[lo] <= t < cdf[hi]
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] <= t) lo = mid;
      else hi = mid;
    }
    this.consume(cdf[lo], cdf[lo + 1] - cdf[lo], total);
    return lo;
  }

  decodeBits(bits: number): number {
    let value = 0;
    while (bits > 0) {
      const b = Math.min(bits, 16);
      bits -= b;
      const total = 2 ** b;
      const piece = this.peek(total);
      this.consume(piece, 1, total);
      value = value * total + piece;
    }
    return value;
  }
}

/**
 * One symbol (or group) read from a possibly cut stream: null once the stream is lost (any error
 * thrown while reading bytes past the cut is part of that loss, not corruption).
 */
export function untilLost<T>(dec: RangeDecoder, read: () => T): T | null {
  if (dec.lost) return null;
  try {
    const v = read();
    return dec.lost ? null : v;
  } catch (e) {
    if (dec.lost) return null;
    throw e;
  }
}
