/**
 * A symbol stream held back: it records every coded interval, knows what it costs, and is written
 * into a range encoder later (`replay`) — exactly the bytes coding the same symbols directly
 * would have produced in that encoder. The encoder uses it to price both channels of a step and
 * to put several steps into one range-coded chunk.
 */
import { SymbolSink, RangeEncoder, checkInterval } from './range-coder.js';

export class SymbolRecorder extends SymbolSink {
  /** lo, freq, total per symbol */
  private data = new Uint32Array(3 * 256);
  private n = 0;
  private cost = 0;

  encodeInterval(lo: number, freq: number, total: number): void {
    checkInterval(lo, freq, total);
    if (3 * this.n === this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    const at = 3 * this.n++;
    this.data[at] = lo;
    this.data[at + 1] = freq;
    this.data[at + 2] = total;
    if (freq !== total) this.cost += Math.log2(total / freq);
  }

  /** Symbols recorded. */
  get symbols(): number {
    return this.n;
  }

  /** The information content of the recorded symbols in bits (what a range coder spends, to within ~1e-7 bits a symbol). */
  get bits(): number {
    return this.cost;
  }

  /** Codes the recorded symbols, in order, into `enc`. */
  replay(enc: RangeEncoder): void {
    const d = this.data;
    for (let i = 0, at = 0; i < this.n; i++, at += 3) enc.encodeInterval(d[at], d[at + 1], d[at + 2]);
  }
}
