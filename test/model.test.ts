import test from 'ava';
import { initBackend } from '../src/model/backend.js';
import { TINY_UNET, initParams, countParams, unetForward, type UNetConfig } from '../src/model/unet.js';
import { layoutOf, flatten, toTensors } from '../src/model/flat-params.js';
import { lossAndGrads } from '../src/model/train-step.js';
import { newAdam, adamUpdate } from '../src/model/adam.js';
import { NoiseSchedule, DDPM_LINEAR, descendingTimesteps } from '../src/model/schedule.js';
import { boundOf, fullBoundSteps, type EpsPredictor } from '../src/model/bound.js';
import { gaussianKl, posteriorCoefs } from '../src/model/diffusion.js';
import { serializeModel, parseModel, modelHash } from '../src/model/model-file.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import { tf } from '../src/model/backend.js';

test.before(async () => {
  await initBackend('wasm');
});

const sch = new NoiseSchedule(DDPM_LINEAR);

test('linear schedule: ᾱ_T tiny, L_T ≈ 1e-5 bits/dim', (t) => {
  t.true(sch.alphaBar[1000] < 1e-4 && sch.alphaBar[1000] > 1e-5);
  const kl = gaussianKl(Math.sqrt(sch.alphaBar[1000]) * 1, 1 - sch.alphaBar[1000], 0, 1) / Math.LN2;
  t.true(kl < 1e-4, `L_T = ${kl}`);
  const pc = posteriorCoefs(sch, 999, 1000);
  t.true(Math.abs(pc.variance - ((1 - sch.alphaBar[999]) / (1 - sch.alphaBar[1000])) * 0.02) < 1e-12);
  const cos = new NoiseSchedule({ kind: 'cosine', T: 1000 });
  t.true(cos.alphaBar[500] > 0.4 && cos.alphaBar[500] < 0.6);
  t.deepEqual(sch.respace(4), [1000, 667, 334, 1]);
});

test('UNet runs on any multiple of its downsampling factor and starts as a zero predictor', (t) => {
  const c = TINY_UNET;
  const l = layoutOf(c);
  const p = toTensors(l, flatten(l, initParams(c, 3)));
  for (const [h, w] of [[8, 8], [16, 24]]) {
    const y = tf.tidy(() => unetForward(c, p, tf.randomNormal([2, h, w, 3]) as tf.Tensor4D, [1, 500]).arraySync() as number[][][][]);
    t.deepEqual([y.length, y[0].length, y[0][0].length, y[0][0][0].length], [2, h, w, 3]);
  }
  t.true(countParams(c) > 1000);
  tf.dispose([...p.values()]);
});

test('a few training steps on a tiny synthetic set reduce the loss', (t) => {
  const c: UNetConfig = { ...TINY_UNET, base: 8 };
  const l = layoutOf(c);
  const flat = flatten(l, initParams(c, 1));
  const adam = newAdam(l.total);
  // smooth synthetic images: a per-image colour ramp (very predictable → learnable)
  const n = 8;
  const crop = 8;
  const x0 = new Float32Array(n * crop * crop * 3);
  for (let i = 0; i < n; i++) for (let y = 0; y < crop; y++) for (let x = 0; x < crop; x++) for (let ch = 0; ch < 3; ch++) x0[((i * crop + y) * crop + x) * 3 + ch] = Math.max(-1, Math.min(1, ((x + y) / 8 - 1) * (ch === i % 3 ? 1 : -0.5)));
  const lossAt = (step: number) => lossAndGrads(c, l, flat, sch, { x0, n, crop, seed: 99, step, firstItem: 0 }).loss;
  const before = [0, 1, 2, 3].map(lossAt).reduce((a, b) => a + b) / 4;
  for (let s = 0; s < 60; s++) {
    const { grads } = lossAndGrads(c, l, flat, sch, { x0, n, crop, seed: 7, step: s, firstItem: 0 });
    adamUpdate(flat, grads, adam, 3e-3);
  }
  const after = [0, 1, 2, 3].map(lossAt).reduce((a, b) => a + b) / 4;
  t.true(after < 0.8 * before, `loss ${before} → ${after}`);
});

/**
 * x_0 ~ N(0, s²) per dimension (s² small enough that clipping x̂_0 to [-1, 1] never matters). The
 * optimal ε predictor is linear and the analytic variance exact, so a sum of KL terms from t_a down
 * to t_b equals I(x_0; x_{t_b}) − I(x_0; x_{t_a}), with I(x_0; x_t) = ½ ln(1 + ᾱ_t s² / (1 − ᾱ_t)).
 */
function gaussianCase(n: number, D: number, seed: number) {
  const s2 = 0.04;
  const x0 = new Float64Array(n * D);
  new PhiloxStream([seed, seed], [0, 0, 0]).normals(x0);
  for (let i = 0; i < x0.length; i++) x0[i] *= Math.sqrt(s2);
  const predict: EpsPredictor = (xt, _nb, tt) => {
    const ab = sch.alphaBar[tt];
    return Float64Array.from(xt, (v) => (Math.sqrt(1 - ab) / (ab * s2 + 1 - ab)) * v);
  };
  // E‖E[ε|x_t]‖²/D
  const gamma = (tt: number) => (1 - sch.alphaBar[tt]) / (sch.alphaBar[tt] * s2 + 1 - sch.alphaBar[tt]);
  const info = (tt: number) => 0.5 * Math.log(1 + (sch.alphaBar[tt] * s2) / (1 - sch.alphaBar[tt]));
  return { x0, predict, gamma, bits: (from: number, to: number) => (info(to) - info(from)) / Math.LN2 };
}

test('bound matches the closed form for Gaussian data with the optimal denoiser', (t) => {
  const n = 64;
  const D = 48;
  const { x0, predict, gamma, bits } = gaussianCase(n, D, 5);
  const steps = [1000, 700, 400, 200, 100, 50, 20, 10];
  // bound with an extra final step to t=5 then L_0 ignored: compare the KL sum only
  const r = boundOf(predict, sch, x0, null, n, D, [...steps, 5], { variance: 'analytic', gamma, seed: 3, batch: 64 });
  const klBits = r.perStep.slice(0, steps.length).reduce((a, b) => a + b, 0);
  const expected = bits(1000, 5);
  t.true(Math.abs(klBits - expected) < 0.03 * expected, `KL sum ${klBits} vs closed form ${expected}`);
  // the upper variance gives a looser (larger) bound at this coarse schedule
  const ru = boundOf(predict, sch, x0, null, n, D, [...steps, 5], { variance: 'upper', seed: 3, batch: 64 });
  t.true(ru.perStep.slice(0, steps.length).reduce((a, b) => a + b, 0) > klBits);
});

test('the full-T estimate covers every step once and matches the closed form where the terms are steep', (t) => {
  for (const [T, strata, exact] of [[1000, 32, 48], [1000, 7, 1], [60, 32, 48], [50, 4, 100]] as const) {
    const { steps, weights } = fullBoundSteps(T, strata, exact);
    t.is(weights.reduce((a, b) => a + b, 0), T, `weights cover t = 1 … ${T}`);
    t.is(steps[steps.length - 1], 1);
    for (let k = 1; k < steps.length; k++) t.true(steps[k] < steps[k - 1], 'descending, distinct');
  }
  // Σ_{t=2}^{T} L_{t-1} = I(x_0; x_1) − I(x_0; x_T); the per-step terms are steep near t = 1
  const n = 16;
  const D = 48;
  const { x0, predict, gamma, bits } = gaussianCase(n, D, 6);
  const expected = bits(sch.T, 1);
  const { steps, weights } = fullBoundSteps(sch.T, 32);
  const r = boundOf(predict, sch, x0, null, n, D, steps, { variance: 'analytic', gamma, seed: 4, batch: 64, weights, singleStep: true });
  const kl = r.perStep.slice(0, -1).reduce((a, b) => a + b, 0);
  t.true(Math.abs(kl - expected) < 0.03 * expected, `estimated ${kl} vs closed form ${expected} bits/dim`);
});

test('model files round-trip; hash is stable; corruption is a clear error', (t) => {
  const c = TINY_UNET;
  const m = { id: 'tiny', config: { unet: c, schedule: DDPM_LINEAR }, gammaT: [1, 1000], gamma: [0.5, 1], weights: initParams(c, 2), info: { note: 'x' } };
  const bytes = serializeModel(m);
  const back = parseModel(bytes);
  t.is(back.sha256, modelHash(m));
  t.is(back.sha256, parseModel(serializeModel({ ...m, info: { other: 1 } })).sha256, 'metadata does not change identity');
  const bad = bytes.slice();
  bad[bad.length - 100] ^= 0xff;
  t.throws(() => parseModel(bad), { message: /hash mismatch|not a ddpm-codec model|wrong size/ });
  t.throws(() => parseModel(new Uint8Array([1, 2, 3])), { message: /not a ddpm-codec model/ });
});

test('descendingTimesteps: integers >= 1, strictly descending, nothing else', (t) => {
  t.true(descendingTimesteps([1000, 5, 1]));
  t.true(descendingTimesteps([]));
  for (const bad of [[1000, 5, 5], [1000, 0], [1000, 2.5], ['1000'], [3, 7], [1000, -1], [1000, NaN]]) t.false(descendingTimesteps(bad), JSON.stringify(bad));
});
