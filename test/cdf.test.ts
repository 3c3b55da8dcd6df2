import test from 'ava';
import fc from 'fast-check';
import { RangeEncoder, RangeDecoder } from '../src/bitstream/range-coder.js';
import { quantizeCdf, pixelGaussianCdf, gridLawCdf, encodeGrid, decodeGrid, truncatedGeometricCdf, ZipfCoder, CDF_TOTAL } from '../src/bitstream/cdf.js';
import { normalCdf } from '../src/bitstream/deterministic-math.js';

function valid(t: { true: (c: boolean, m?: string) => void }, cdf: Uint32Array) {
  t.true(cdf[0] === 0 && cdf[cdf.length - 1] === CDF_TOTAL, 'ends');
  for (let i = 0; i + 1 < cdf.length; i++) if (!(cdf[i + 1] > cdf[i])) t.true(false, `empty bin ${i}`);
}

test('quantizeCdf gives every bin a count, even for degenerate inputs', (t) => {
  valid(t, quantizeCdf([0, 0, 0, 0, 1]));
  valid(t, quantizeCdf([0, 1, 1, 1, 1]));
  valid(t, quantizeCdf([0, 0.7, 0.3, 0.9, 1])); // non-monotone input is repaired
  valid(t, quantizeCdf([0, NaN, 0.5, 1]));
});

test('pixel Gaussian: valid for any mean/std, mass concentrated where it should be', (t) => {
  fc.assert(
    fc.property(fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: 1e-5, max: 10, noNaN: true }), (mu, sd) => {
      const cdf = pixelGaussianCdf(mu, sd);
      if (cdf.length !== 257 || cdf[0] !== 0 || cdf[256] !== CDF_TOTAL) return false;
      for (let i = 0; i < 256; i++) if (cdf[i + 1] <= cdf[i]) return false;
      return true;
    }),
  );
  const cdf = pixelGaussianCdf(100 / 127.5 - 1, 0.002); // level 100, ±1.96 sd inside its bin
  t.true(cdf[101] - cdf[100] > 0.9 * CDF_TOTAL);
  const wide = pixelGaussianCdf(0, 0.1);
  const p = (v: number) => (wide[v + 1] - wide[v]) / CDF_TOTAL;
  const exact = (v: number) => normalCdf(((2 * v + 1) / 255 - 1) / 0.1) - normalCdf(((2 * v - 1) / 255 - 1) / 0.1);
  t.true(Math.abs(p(128) - exact(128)) < 1e-3);
});

test('grid laws round-trip any integer, including escapes (property)', (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom<'gaussian' | 'logistic'>('gaussian', 'logistic'),
      fc.double({ min: -1000, max: 1000, noNaN: true }),
      fc.double({ min: 0.01, max: 300, noNaN: true }),
      fc.double({ min: -0.5, max: 0.5, noNaN: true }),
      fc.boolean(),
      fc.array(fc.integer({ min: -100000, max: 100000 }), { minLength: 1, maxLength: 30 }),
      (law, center, scale, offset, dithered, ks) => {
        const tbl = gridLawCdf({ law, center, scale, offset, dithered });
        const enc = new RangeEncoder();
        const vals = ks.map((k, i) => (i % 2 ? k : Math.round(center) + (k % 5)));
        for (const k of vals) encodeGrid(enc, tbl, k);
        const dec = new RangeDecoder(enc.finish());
        return vals.every((k) => decodeGrid(dec, tbl) === k);
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

test('dithered grid law costs what the convolved density says', (t) => {
  // variance of U(-1/2,1/2)*N(0,s^2) with s = 2: the table for center 0 must put ~ mass Φ-ish near 0
  const tbl = gridLawCdf({ law: 'gaussian', center: 0, scale: 2, dithered: true });
  const p0 = (tbl.cdf[-tbl.lo + 2] - tbl.cdf[-tbl.lo + 1]) / CDF_TOTAL;
  // density of N(0, 4 + 1/12) at 0 is ≈ 0.1966; a unit bin integrates to slightly less
  t.true(Math.abs(p0 - 0.1935) < 0.003, `p0 = ${p0}`);
});

test('truncated geometric and Zipf round-trip and cost about -log2 p', (t) => {
  const g = truncatedGeometricCdf(0.9, 100);
  valid(t, g);
  const z = new ZipfCoder(1.1, 2 ** 20);
  const enc = new RangeEncoder();
  const js = [1, 2, 3, 17, 1000, 2 ** 20, 65536, 31, 32, 33, 12345];
  for (const j of js) z.encode(enc, j);
  const dec = new RangeDecoder(enc.finish());
  for (const j of js) t.is(z.decode(dec), j);
  // cost of coding many indices drawn from the law ≈ its entropy
  const enc2 = new RangeEncoder();
  let ideal = 0;
  const K = 2 ** 14;
  const zk = new ZipfCoder(1.3, K);
  let norm = 0;
  for (let j = 1; j <= K; j++) norm += j ** -1.3;
  for (let i = 0; i < 20000; i++) {
    const j = 1 + ((i * 7919) % K) ** 2 % K || 1;
    ideal += -Math.log2(j ** -1.3 / norm);
    zk.encode(enc2, j);
  }
  const bits = enc2.finish().length * 8;
  t.true(bits < ideal * 1.01 + 64, `${bits} vs ideal ${ideal}`);
});

test('Zipf coder with its own octave masses: round-trips and costs about -log2 p under those masses', (t) => {
  const K = 2 ** 12;
  const w = Float64Array.from({ length: 13 }, (_, c) => (c < 12 ? 2 ** (-Math.abs(c - 8)) : 1e-3));
  const z = new ZipfCoder(1.05, K, w);
  const wsum = w.reduce((a, b) => a + b, 0);
  // within octave c the law is Zipf's: p(j) = w_c/Σw · j^-s / Σ_{i in octave} i^-s
  const inOct = (c: number) => {
    let s = 0;
    for (let i = 2 ** c; i < Math.min(2 ** (c + 1), K + 1); i++) s += i ** -1.05;
    return s;
  };
  const enc = new RangeEncoder();
  let ideal = 0;
  const js: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const c = [8, 8, 7, 9, 6, 10, 3, 12][i % 8];
    const j = c === 12 ? K : 2 ** c + ((i * 2654435761) >>> 0) % 2 ** c;
    js.push(j);
    ideal += -Math.log2((w[c] / wsum) * (j ** -1.05 / inOct(c)));
    z.encode(enc, j);
  }
  const bytes = enc.finish();
  t.true(Math.abs(bytes.length * 8 - ideal) < ideal * 0.01 + 64, `${bytes.length * 8} bits vs ideal ${ideal.toFixed(0)}`);
  const dec = new RangeDecoder(bytes);
  for (const j of js) t.is(z.decode(dec), j);
  t.throws(() => new ZipfCoder(1.05, K, new Float64Array(12)), { message: /octave weights/ });
});
