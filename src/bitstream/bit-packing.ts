/**
 * Bit-level packing for small header fields: MSB-first bits, Elias-gamma and Rice codes. The reader
 * treats its bytes as untrusted: reading past the end is corruption, and a unary run is bounded by
 * the bits that remain, so no input can make it loop or allocate.
 */
import { DdpmError } from './errors.js';

export class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;

  bit(b: number): void {
    this.acc = (this.acc << 1) | (b & 1);
    if (++this.n === 8) {
      this.bytes.push(this.acc);
      this.acc = 0;
      this.n = 0;
    }
  }

  /** `count` low bits of `v` (count ≤ 31), most significant first */
  bits(v: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) this.bit((v >>> i) & 1);
  }

  /** Elias gamma of v ≥ 1: ⌊log2 v⌋ zeros, then v in binary */
  gamma(v: number): void {
    if (!(Number.isInteger(v) && v >= 1 && v < 2 ** 31)) throw new DdpmError('BAD_ARGUMENT', `gamma code of ${v}`);
    const len = 31 - Math.clz32(v);
    for (let i = 0; i < len; i++) this.bit(0);
    this.bits(v, len + 1);
  }

  /** Rice code of v ≥ 0 with parameter k: v >> k in unary (ones, then a zero), then the k low bits */
  rice(v: number, k: number): void {
    if (!(Number.isInteger(v) && v >= 0 && v < 2 ** 31)) throw new DdpmError('BAD_ARGUMENT', `rice code of ${v}`);
    for (let q = v >>> k; q > 0; q--) this.bit(1);
    this.bit(0);
    this.bits(v, k);
  }

  /** The bits so far, the last byte padded with zeros. */
  finish(): Uint8Array {
    return Uint8Array.from(this.n ? [...this.bytes, this.acc << (8 - this.n)] : this.bytes);
  }
}

export class BitReader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array, private readonly what: string) {}

  get bitsLeft(): number {
    return this.bytes.length * 8 - this.at;
  }

  bit(): number {
    if (this.at >= this.bytes.length * 8) throw new DdpmError('CORRUPT', `${this.what}: ends early`);
    const b = (this.bytes[this.at >> 3] >> (7 - (this.at & 7))) & 1;
    this.at++;
    return b;
  }

  bits(count: number): number {
    let v = 0;
    for (let i = 0; i < count; i++) v = v * 2 + this.bit();
    return v;
  }

  gamma(): number {
    let len = 0;
    while (this.bit() === 0) if (++len > 30) throw new DdpmError('CORRUPT', `${this.what}: number too large`);
    return 2 ** len + this.bits(len);
  }

  rice(k: number): number {
    let q = 0;
    while (this.bit() === 1) if (++q > 2 ** 20) throw new DdpmError('CORRUPT', `${this.what}: number too large`);
    return q * 2 ** k + this.bits(k);
  }

  /** The padding after the last field must be zero bits inside the last byte (a canonical encoding). */
  end(): void {
    if (this.bitsLeft >= 8) throw new DdpmError('CORRUPT', `${this.what}: trailing bytes`);
    while (this.bitsLeft > 0) if (this.bit() !== 0) throw new DdpmError('CORRUPT', `${this.what}: nonzero padding`);
  }
}
