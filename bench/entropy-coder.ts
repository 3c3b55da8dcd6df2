/**
 * Entropy-coder and PRNG benchmark, and the evaluation of the `arithmetic-coding` npm package
 * against our range coder: correctness with custom per-symbol tables, code length vs the ideal,
 * and speed, side by side in one run.
 *
 *   npm run build && node dist/bench/entropy-coder.js
 */
import { createRequire } from 'node:module';
import { RangeEncoder, RangeDecoder } from '../src/bitstream/range-coder.js';
import { quantizeCdf } from '../src/bitstream/cdf.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import { machineInfo } from './machine.js';

const require = createRequire(import.meta.url);

function tables(n: number, count: number, seed: number): { cdfs: Uint32Array[]; syms: Int32Array; ideal: number } {
  const s = new PhiloxStream([seed, 0], [0, 0, 0]);
  const u = new Float64Array(n + 2);
  const cdfs: Uint32Array[] = [];
  const syms = new Int32Array(count);
  let ideal = 0;
  for (let i = 0; i < count; i++) {
    s.uniforms(u, i * (n + 2));
    const F = new Float64Array(n + 1);
    let tot = 0;
    for (let k = 0; k < n; k++) tot += u[k] ** 3;
    let acc = 0;
    for (let k = 0; k < n; k++) {
      F[k] = acc / tot;
      acc += u[k] ** 3;
    }
    F[n] = 1;
    const cdf = quantizeCdf(F);
    const t = Math.floor(u[n] * 65536);
    let sym = 0;
    while (cdf[sym + 1] <= t) sym++;
    cdfs.push(cdf);
    syms[i] = sym;
    ideal -= Math.log2((cdf[sym + 1] - cdf[sym]) / 65536);
  }
  return { cdfs, syms, ideal };
}

function time<T>(f: () => T): [T, number] {
  const t0 = process.hrtime.bigint();
  const r = f();
  return [r, Number(process.hrtime.bigint() - t0) / 1e9];
}

function ours(cdfs: Uint32Array[], syms: Int32Array) {
  const [bytes, te] = time(() => {
    const e = new RangeEncoder();
    for (let i = 0; i < syms.length; i++) e.encode(cdfs[i], syms[i]);
    return e.finish();
  });
  const [ok, td] = time(() => {
    const d = new RangeDecoder(bytes);
    for (let i = 0; i < syms.length; i++) if (d.decode(cdfs[i]) !== syms[i]) return false;
    return true;
  });
  return { bytes: bytes.length, ok, encodePerSec: syms.length / te, decodePerSec: syms.length / td };
}

/** The sponsor's package, driven through its own classes with a table per symbol. */
function theirs(cdfs: Uint32Array[], syms: Int32Array, stateBits: number) {
  const root = require.resolve('arithmetic-coding/package.json').replace(/package\.json$/, 'src/');
  const FrequencyTable = require(root + 'frequency-table.js');
  const Encoder = require(root + 'arithmetic-encoder.js');
  const Decoder = require(root + 'arithmetic-decoder.js');
  const OutBuf = require(root + 'bit-output-stream-buffer.js');
  const InBuf = require(root + 'bit-input-stream-buffer.js');
  const freqs = cdfs.map((c) => new FrequencyTable(Array.from({ length: c.length - 1 }, (_, k) => c[k + 1] - c[k])));
  try {
    const [buf, te] = time(() => {
      const out = new OutBuf();
      const e = new Encoder(stateBits, out);
      for (let i = 0; i < syms.length; i++) e.write(freqs[i], syms[i]);
      e.finish();
      return out.buffer as Buffer;
    });
    const [ok, td] = time(() => {
      const d = new Decoder(stateBits, new InBuf(buf));
      for (let i = 0; i < syms.length; i++) if (d.read(freqs[i]) !== syms[i]) return false;
      return true;
    });
    return { bytes: buf.length, ok, encodePerSec: syms.length / te, decodePerSec: syms.length / td, note: `${stateBits}-bit state` };
  } catch (e) {
    return { error: (e as Error).message, note: `${stateBits}-bit state` };
  }
}

function philoxSpeed() {
  const s = new PhiloxStream([1, 2], [3, 4, 5]);
  const buf = new Float64Array(1 << 20);
  s.normals(buf); // warm up
  const [, t] = time(() => s.normals(buf, 1 << 20));
  const [, tu] = time(() => s.uniforms(buf, 1 << 21));
  return { normalsPerSec: buf.length / t, uniformsPerSec: buf.length / tu };
}

const results: Record<string, unknown> = { machine: machineInfo() };
for (const [label, n, count] of [['256-symbol tables', 256, 100000], ['binary decisions', 2, 500000]] as const) {
  const { cdfs, syms, ideal } = tables(n, count, 7);
  const a = ours(cdfs, syms);
  const pct = (bytes: number) => (100 * (bytes * 8 - ideal)) / ideal;
  const theirsAt = [32, 31, 24].map((bits) => {
    const r = theirs(cdfs, syms, bits);
    return 'bytes' in r && r.bytes !== undefined ? { ...r, overheadPct: pct(r.bytes) } : r;
  });
  results[label] = { symbols: count, idealBytes: ideal / 8, ours: { ...a, overheadPct: pct(a.bytes) }, arithmeticCoding: theirsAt };
}
results.philox = philoxSpeed();
console.log(JSON.stringify(results, null, 2));
