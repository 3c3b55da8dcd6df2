import test from 'ava';
import { detExp, detLog, detErfc, normalCdf, logisticCdf, pow2i } from '../src/bitstream/deterministic-math.js';
import { PhiloxStream } from '../src/bitstream/philox.js';

test('exp and log match Math to ~1e-15 relative', (t) => {
  const u = new Float64Array(20000);
  new PhiloxStream([9, 9], [0, 0, 0]).uniforms(u);
  for (const a of u) {
    const x = (a - 0.5) * 1400;
    const rel = Math.abs(detExp(x) - Math.exp(x)) / Math.exp(x);
    if (Math.exp(x) > 1e-300) t.true(rel < 4e-15, `exp(${x}) rel ${rel}`);
    const y = Math.exp((a - 0.5) * 1000);
    t.true(Math.abs(detLog(y) - Math.log(y)) <= 1e-15 * Math.max(1, Math.abs(Math.log(y))), `log(${y})`);
  }
  t.is(pow2i(0), 1);
  t.is(pow2i(-3), 0.125);
  t.is(detExp(0), 1);
  t.is(detLog(1), 0);
});

test('erfc and the normal / logistic CDFs are accurate and monotone', (t) => {
  // reference: erfc by a 2000-term trapezoid of the Gaussian integral would be slow; use known values
  const known: Array<[number, number]> = [[0, 1], [0.5, 0.4795001221869535], [1, 0.15729920705028513], [2, 0.004677734981047266], [3, 2.209049699858544e-5], [-1, 1.8427007929497148]];
  for (const [x, v] of known) t.true(Math.abs(detErfc(x) - v) <= 1.2e-7 * v, `erfc(${x})`);
  let prev = 0;
  for (let z = -10; z <= 10; z += 0.001) {
    const f = normalCdf(z);
    t.true(f >= prev - 1e-15, `Φ not monotone at ${z}`);
    prev = f;
  }
  t.true(Math.abs(logisticCdf(0) - 0.5) < 1e-16);
  t.true(Math.abs(logisticCdf(2) - 1 / (1 + Math.exp(-2))) < 1e-15);
  t.true(Math.abs(logisticCdf(-30) - 1 / (1 + Math.exp(30))) < 1e-25);
});
