import test from 'ava';
import { zigguratNormals } from '../src/bitstream/ziggurat.js';
import { rawMoments } from './helpers.js';

/** Φ by the complementary error function's continued fraction / series (accurate to ~1e-12). */
function Phi(x: number): number {
  // Φ(x) = ½ erfc(−x/√2); erfc via Numerical Recipes' erfcc-like Chebyshev fit (|ε| < 1.2e-7)
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - 0.5 * r : 0.5 * r;
}

test('ziggurat normals: moments, tail mass and a Kolmogorov–Smirnov test', (t) => {
  const n = 400000;
  const x = new Float64Array(n);
  zigguratNormals([123, 456], [1, 2, 3], x);
  const { mean, m2, m4 } = rawMoments(x);
  t.true(Math.abs(mean) < 0.006, `mean ${mean}`);
  t.true(Math.abs(m2 - 1) < 0.008, `var ${m2}`);
  t.true(Math.abs(m4 - 3) < 0.05, `4th moment ${m4}`);
  const tail = x.filter((a) => Math.abs(a) > 3.442619855899).length;
  // P(|Z| > 3.4426) = 5.76e-4: the tail path is exercised and has the right mass (±5 sd)
  const expect = 2 * (1 - Phi(3.442619855899)) * n;
  t.true(Math.abs(tail - expect) < 5 * Math.sqrt(expect), `tail ${tail} vs ${expect.toFixed(0)}`);
  const s = Float64Array.from(x).sort();
  let d = 0;
  for (let i = 0; i < n; i++) d = Math.max(d, Math.abs(Phi(s[i]) - (i + 0.5) / n));
  t.true(d < 1.63 / Math.sqrt(n), `KS distance ${d}`);
  // the wedges: the density just below a layer edge is right (a biased slow path would show here)
  const inBand = (lo: number, hi: number) => x.filter((a) => a > lo && a <= hi).length / n;
  for (const [lo, hi] of [[0.2, 0.4], [1.0, 1.3], [2.0, 2.5], [2.9, 3.4]]) {
    const p = Phi(hi) - Phi(lo);
    t.true(Math.abs(inBand(lo, hi) - p) < 5 * Math.sqrt(p / n), `band (${lo}, ${hi}]`);
  }
});

test('ziggurat normals are addressable, deterministic and differ across streams; golden values', (t) => {
  const full = new Float64Array(5000);
  zigguratNormals([7, 8], [9, 10, 11], full);
  for (const [start, len] of [[0, 3], [1, 6], [4, 4], [1234, 77], [4999, 1]]) {
    const part = new Float64Array(len);
    zigguratNormals([7, 8], [9, 10, 11], part, start);
    t.deepEqual(Array.from(part), Array.from(full.subarray(start, start + len)));
  }
  const other = new Float64Array(8);
  zigguratNormals([7, 8], [9, 10, 12], other);
  t.notDeepEqual(Array.from(other), Array.from(full.subarray(0, 8)));
  zigguratNormals([7, 9], [9, 10, 11], other);
  t.notDeepEqual(Array.from(other), Array.from(full.subarray(0, 8)));
  t.snapshot(Array.from(full.subarray(0, 8)));
});
