import test from 'ava';
import fc from 'fast-check';
import { RangeEncoder, RangeDecoder, untilLost } from '../src/bitstream/range-coder.js';
import { SymbolRecorder } from '../src/bitstream/symbol-recorder.js';
import { quantizeCdf, CDF_TOTAL } from '../src/bitstream/cdf.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import { createHash } from 'node:crypto';

/** A random table over n symbols with random (possibly very skewed) frequencies. */
function randomTable(rng: () => number, n: number): Uint32Array {
  const F = new Float64Array(n + 1);
  let acc = 0;
  const w = Array.from({ length: n }, () => rng() ** 4);
  const total = w.reduce((a, b) => a + b, 0) || 1;
  for (let i = 0; i < n; i++) {
    F[i] = acc / total;
    acc += w[i];
  }
  F[n] = 1;
  return quantizeCdf(F);
}

function seededRng(seed: number): () => number {
  const s = new PhiloxStream([seed, 7], [1, 2, 3]);
  const buf = new Float64Array(1024);
  let i = buf.length;
  let block = 0;
  return () => {
    if (i === buf.length) {
      s.uniforms(buf, block);
      block += buf.length / 2;
      i = 0;
    }
    return buf[i++];
  };
}

function sample(cdf: Uint32Array, u: number): number {
  const t = Math.floor(u * cdf[cdf.length - 1]);
  let s = 0;
  while (cdf[s + 1] <= t) s++;
  return s;
}

test('round-trips random per-symbol tables (property)', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1 << 30 }), fc.integer({ min: 0, max: 400 }), (seed, len) => {
      const rng = seededRng(seed);
      const tables: Uint32Array[] = [];
      const syms: number[] = [];
      const enc = new RangeEncoder();
      for (let i = 0; i < len; i++) {
        const n = 2 + Math.floor(rng() * (rng() < 0.2 ? 2000 : 300));
        const cdf = randomTable(rng, n);
        const s = sample(cdf, rng());
        tables.push(cdf);
        syms.push(s);
        enc.encode(cdf, s);
      }
      const bytes = enc.finish();
      const dec = new RangeDecoder(bytes);
      for (let i = 0; i < len; i++) if (dec.decode(tables[i]) !== syms[i]) return false;
      return true;
    }),
    { numRuns: 60 },
  );
  t.pass();
});

test('a cut stream: every symbol read before `lost` is exact, and more of them with more bytes (property)', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1 << 30 }), fc.integer({ min: 1, max: 300 }), (seed, len) => {
      const rng = seededRng(seed);
      const tables: Uint32Array[] = [];
      const syms: number[] = [];
      const enc = new RangeEncoder();
      for (let i = 0; i < len; i++) {
        const cdf = randomTable(rng, 2 + Math.floor(rng() * 300));
        const s = sample(cdf, rng());
        tables.push(cdf);
        syms.push(s);
        enc.encode(cdf, s);
      }
      // the cut stream is a prefix of a longer one: append a byte so that every prefix is a real cut
      const bytes = Uint8Array.from([...enc.finish(), 0x5a]);
      let known = 0;
      for (let m = 0; m < bytes.length; m++) {
        const dec = new RangeDecoder(bytes.subarray(0, m), true);
        let n = 0;
        let bits = 0;
        for (; n < len; n++) {
          const s = untilLost(dec, () => dec.decode(tables[n]));
          if (s === null) break;
          if (s !== syms[n]) return false;
          bits += Math.log2(tables[n][tables[n].length - 1] / (tables[n][s + 1] - tables[n][s]));
        }
        if (n < known) return false;
        known = n;
        // nothing is lost but the last few symbols: the code register holds 6 bytes
        if (n < len && bits < 8 * (m - 7) - 17) return false;
      }
      return true;
    }),
    { numRuns: 40 },
  );
  t.pass();
});

test('extreme tables: a symbol of probability 1/65536 and a near-certain one', (t) => {
  const cdf = Uint32Array.from([0, 1, CDF_TOTAL - 1, CDF_TOTAL]);
  const enc = new RangeEncoder();
  const syms = [0, 2, 1, 1, 1, 0, 0, 0, 2, 2, 1];
  for (let r = 0; r < 500; r++) for (const s of syms) enc.encode(cdf, s);
  const dec = new RangeDecoder(enc.finish());
  for (let r = 0; r < 500; r++) for (const s of syms) t.is(dec.decode(cdf), s);
});

test('raw bits round-trip, including 32-bit values', (t) => {
  const enc = new RangeEncoder();
  const vals: Array<[number, number]> = [[0, 1], [1, 1], [0xffffffff, 32], [12345, 14], [0, 0], [2 ** 31, 32], [77, 7]];
  for (const [v, b] of vals) enc.encodeBits(v, b);
  const dec = new RangeDecoder(enc.finish());
  for (const [v, b] of vals) t.is(dec.decodeBits(b), v);
});

test('code length is within 0.1% + 4 bytes of the ideal -log2 p', (t) => {
  for (const [seed, n, len] of [[1, 256, 100000], [2, 2, 200000], [3, 16, 100000], [4, 1000, 50000]]) {
    const rng = seededRng(seed);
    const enc = new RangeEncoder();
    let ideal = 0;
    for (let i = 0; i < len; i++) {
      const cdf = randomTable(rng, n);
      const s = sample(cdf, rng());
      ideal -= Math.log2((cdf[s + 1] - cdf[s]) / cdf[n]);
      enc.encode(cdf, s);
    }
    const bits = enc.finish().length * 8;
    t.true(bits <= ideal * 1.001 + 32, `n=${n}: ${bits} bits vs ideal ${ideal.toFixed(1)}`);
  }
});

test('a recorded stream replays to the same bytes as coding it directly, and prices it', (t) => {
  const rng = seededRng(11);
  const direct = new RangeEncoder();
  const recorders = [new SymbolRecorder(), new SymbolRecorder(), new SymbolRecorder()];
  let ideal = 0;
  for (let i = 0; i < 30000; i++) {
    const cdf = randomTable(rng, 2 + (i % 40));
    const s = sample(cdf, rng());
    ideal -= Math.log2((cdf[s + 1] - cdf[s]) / cdf[cdf.length - 1]);
    const r = recorders[Math.min(2, Math.floor(i / 10000))];
    if (i % 3) {
      direct.encode(cdf, s);
      r.encode(cdf, s);
    } else {
      direct.encodeBits(i % 1024, 10);
      r.encodeBits(i % 1024, 10);
      ideal += 10 + Math.log2((cdf[s + 1] - cdf[s]) / cdf[cdf.length - 1]);
    }
  }
  const replayed = new RangeEncoder();
  for (const r of recorders) r.replay(replayed);
  t.deepEqual(replayed.finish(), direct.finish());
  const priced = recorders.reduce((a, r) => a + r.bits, 0);
  t.true(Math.abs(priced - ideal) < 1e-6 * ideal, `${priced} vs ${ideal}`);
  t.is(recorders.reduce((a, r) => a + r.symbols, 0), 30000);
  t.throws(() => recorders[0].encodeInterval(3, 0, 8));
});

test('empty stream and single symbol are tiny', (t) => {
  t.is(new RangeEncoder().finish().length, 0);
  const enc = new RangeEncoder();
  enc.encode(Uint32Array.from([0, 32768, 65536]), 1);
  t.true(enc.finish().length <= 1);
});

test('golden bytes: coder output never changes', (t) => {
  const rng = seededRng(42);
  const enc = new RangeEncoder();
  for (let i = 0; i < 5000; i++) {
    const cdf = randomTable(rng, 2 + (i % 300));
    enc.encode(cdf, sample(cdf, rng()));
  }
  const bytes = enc.finish();
  const digest = createHash('sha256').update(bytes).digest('hex');
  t.snapshot({ length: bytes.length, sha256: digest, head: Array.from(bytes.subarray(0, 16)) });
});

test('decoding a corrupt stream throws or returns symbols, never hangs', (t) => {
  const cdf = randomTable(seededRng(5), 50);
  const rng = seededRng(6);
  const enc = new RangeEncoder();
  for (let i = 0; i < 2000; i++) enc.encode(cdf, sample(cdf, rng()));
  const bytes = enc.finish();
  for (let k = 0; k < 200; k++) {
    const bad = bytes.slice();
    bad[Math.floor(rng() * bad.length)] ^= 1 + Math.floor(rng() * 255);
    try {
      const dec = new RangeDecoder(bad);
      for (let i = 0; i < 2000; i++) dec.decode(cdf);
    } catch (e) {
      t.regex((e as Error).message, /corrupt|desynchron/);
    }
  }
  t.pass();
});
