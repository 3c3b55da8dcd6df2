import test from 'ava';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../src/model/backend.js';
import { Denoiser } from '../src/codec/denoiser.js';
import { cropTile } from '../src/codec/tile-grid.js';
import { encodeImage, pickEnding } from '../src/codec/encoder.js';
import { ProgressiveDecoder } from '../src/codec/decoder.js';
import { readImage } from '../src/codec/image-io.js';
import { DEFAULT_X0_SHIFTS } from '../src/codec/x0-coder.js';
import { encode, decode, decodeProgressive, inspect, truncate, loadDenoiser } from '../src/codec/api.js';
import { saveModelFile } from '../src/model/model-file.js';
import { readContainer, writeContainer } from '../src/bitstream/container.js';
import { CHUNK_X0 } from '../src/codec/codec-params.js';
import { DdpmError } from '../src/bitstream/errors.js';
import { tinyModel, psnr, sha } from './helpers.js';
import { resolveRecon, AUTO_LONG_FLOW_ABOVE, AUTO_FLOW_STEPS } from '../src/codec/reconstruct.js';

let den: Denoiser;
test.before(async () => {
  await initBackend('wasm');
  den = new Denoiser(tinyModel(1));
});

const STEPS = [1000, 600, 300, 100, 20, 1];

test('full stream is lossless and every chunk-boundary prefix decodes (RGB)', async (t) => {
  const img = await readImage('fixtures/coffee-32.png');
  const { bytes, tiles } = encodeImage(img, den, { steps: STEPS, earlyLossless: false, minChunkBits: 0 });
  t.is(tiles[0].stepsKept, STEPS.length - 1);
  const parsed = readContainer(bytes);
  // the steps, then the embedded x0 code's passes (bins of 2^shift levels)
  const P = DEFAULT_X0_SHIFTS.length;
  t.is(parsed.chunks.length, STEPS.length - 1 + P);
  t.deepEqual(inspect(bytes).chunks.slice(-P).map((c) => [c.kind, c.binWidth]), DEFAULT_X0_SHIFTS.map((sh, i) => [i ? 'refine' : 'x0', 2 ** sh]));
  for (let k = 0; k <= parsed.chunks.length; k++) {
    const out = await decode(bytes.subarray(0, parsed.offsets[k]), { model: den });
    t.is(out.width, 32);
    t.is(out.data.length, img.data.length);
    const pass = k - (STEPS.length - 1);
    if (pass >= 1) {
      const maxErr = Math.max(...Array.from(out.data, (v, i) => Math.abs(v - img.data[i])));
      t.true(maxErr <= 2 ** DEFAULT_X0_SHIFTS[pass - 1] - 1, `after x0 pass ${pass}: max error ${maxErr}`);
    }
    if (k === parsed.chunks.length) t.is(sha(out.data), sha(img.data), 'lossless at the end');
  }
  // a cut inside a chunk decodes the whole chunks before it
  const cut = bytes.subarray(0, parsed.offsets[3] + 7);
  t.is(sha((await decode(cut, { model: den })).data), sha((await decode(bytes.subarray(0, parsed.offsets[3]), { model: den })).data));
  // steps grouped into chunks: the same steps, fewer truncation points, the same lossless end
  const ideal = tiles[0].steps.reduce((a, st) => a + st.idealBits, 0);
  const grouped = encodeImage(img, den, { steps: STEPS, earlyLossless: false, minChunkBits: ideal - 2 }).bytes;
  const info = inspect(grouped);
  t.is(info.chunks.length, 1 + DEFAULT_X0_SHIFTS.length);
  t.is(info.chunks[0].steps.length, STEPS.length - 1);
  t.deepEqual(info.chunks[0].steps.map((st) => st.t), STEPS.slice(0, -1));
  t.true(grouped.length < bytes.length, 'grouping saves framing');
  const mid = await decode(grouped.subarray(0, readContainer(grouped).offsets[1]), { model: den });
  t.is(sha(mid.data), sha((await decode(bytes.subarray(0, parsed.offsets[STEPS.length - 1]), { model: den })).data), 'the same state after the same steps');
  // steps that never reach the threshold ride in the lossless chunk: no truncation point for them
  const one = encodeImage(img, den, { steps: STEPS, earlyLossless: false, minChunkBits: 1e9 }).bytes;
  t.is(inspect(one).chunks.length, DEFAULT_X0_SHIFTS.length);
  t.is(inspect(one).chunks[0].steps.length, STEPS.length - 1);
  t.is(sha((await decode(one, { model: den })).data), sha(img.data));
  t.is(sha((await decode(grouped, { model: den })).data), sha(img.data));
  // a lower threshold for the first chunk alone: an earlier first truncation point, the rest grouped as before
  const firstKl = tiles[0].steps[0].idealBits;
  const early = encodeImage(img, den, { steps: STEPS, earlyLossless: false, minChunkBits: ideal - 2, firstChunkBits: firstKl }).bytes;
  const earlyInfo = inspect(early);
  t.is(earlyInfo.chunks.length, 2 + DEFAULT_X0_SHIFTS.length);
  t.deepEqual(earlyInfo.chunks[0].steps.map((st) => st.t), [STEPS[0]]);
  t.is(earlyInfo.chunks[1].steps.length, STEPS.length - 2);
  t.is(sha((await decode(early, { model: den })).data), sha(img.data));
});

test('the lossless switch: the latest priced point within the slack of the cheapest', async (t) => {
  const img = await readImage('fixtures/chelsea-32.png');
  for (const slack of [0, 0.05, 1]) {
    const r = encodeImage(img, den, { steps: STEPS, losslessSlack: slack });
    const cheapest = Math.min(...r.tiles[0].endings.map((e) => e.estimatedBytes));
    const within = r.tiles[0].endings.filter((e) => e.estimatedBytes <= cheapest * (1 + slack));
    t.is(r.tiles[0].stepsKept, within[within.length - 1].k, `slack ${slack}`);
    t.is(pickEnding(r.tiles[0].endings, slack).k, r.tiles[0].stepsKept, 'the rule the benchmarks replay');
    t.is(r.params.tiles[0].steps.length, r.tiles[0].stepsKept + 1);
    t.is(sha((await decode(r.bytes, { model: den })).data), sha(img.data));
  }
  const all = encodeImage(img, den, { steps: STEPS, earlyLossless: false });
  t.is(all.tiles[0].stepsKept, STEPS.length - 1);
});

test('nearly empty candidate steps merge into longer ones; the file records the steps coded', async (t) => {
  const img = await readImage('fixtures/astronaut-32.png');
  const candidates = STEPS;
  const exact = encodeImage(img, den, { steps: candidates, earlyLossless: false, minStepBits: 0 });
  t.deepEqual(exact.params.tiles[0].steps, candidates);
  const ideal = exact.tiles[0].steps.map((st) => st.idealBits);
  // a threshold of twice the first two steps' KL (a merged step costs a little more than its parts)
  const threshold = 2 * (ideal[0] + ideal[1]);
  const merged = encodeImage(img, den, { steps: candidates, earlyLossless: false, minStepBits: threshold });
  const steps = merged.params.tiles[0].steps;
  t.true(steps.length < candidates.length, `merged ${JSON.stringify(steps)}`);
  t.true(steps.every((s) => candidates.includes(s)), 'steps are candidates');
  t.is(steps[steps.length - 1], candidates[candidates.length - 1]);
  // a step that spans several candidates stays below the threshold
  merged.tiles[0].steps.forEach(({ idealBits: b }, i) => {
    const span = candidates.indexOf(steps[i + 1]) - candidates.indexOf(steps[i]);
    if (span > 1) t.true(b <= threshold, `step ${steps[i]}→${steps[i + 1]}: ${b} bits`);
  });
  t.true(inspect(merged.bytes).headerBytes < inspect(exact.bytes).headerBytes);
  const all = encodeImage(img, den, { steps: candidates, earlyLossless: false, minStepBits: 2 ** 40 });
  t.deepEqual(all.params.tiles[0].steps, [candidates[0], candidates[candidates.length - 1]]);
  for (const r of [merged, all]) t.is(sha((await decode(r.bytes, { model: den })).data), sha(img.data));
});

test('the coding steps are recorded against the model\'s coding schedule: a smaller header, and the model is needed to read it', async (t) => {
  const img = await readImage('fixtures/chelsea-32.png');
  const withSchedule = new Denoiser({ ...tinyModel(1), codingSchedule: STEPS });
  const masked = encodeImage(img, withSchedule, { minStepBits: 0 }).bytes;
  const explicit = encodeImage(img, den, { steps: STEPS }).bytes;
  const hm = inspect(masked, { model: withSchedule.model });
  const he = inspect(explicit);
  t.deepEqual(hm.tiles[0].steps, he.tiles[0].steps, 'the same steps');
  t.true(hm.headerBytes < he.headerBytes, `${hm.headerBytes} vs ${he.headerBytes} header bytes`);
  t.is(sha((await decode(masked, { model: withSchedule })).data), sha(img.data));
  t.throws(() => inspect(masked), { code: 'MODEL_MISMATCH', message: /model is needed/ });
  // the same weights (same hash) with another schedule: a clear error, not a desynchronised decode
  const resched = new Denoiser({ ...tinyModel(1), codingSchedule: [1000, 500, 300, 100, 20, 1] });
  await t.throwsAsync(decode(masked, { model: resched }), { code: 'MODEL_MISMATCH', message: /another coding schedule/ });
});

test('greyscale odd-sized image: padding recorded and cropped, lossless', async (t) => {
  const img = await readImage('fixtures/coffee-grey-37x29.png');
  t.is(img.channels, 1);
  const { bytes } = encodeImage(img, den, { steps: [1000, 200, 1] });
  const info = inspect(bytes);
  t.deepEqual(info.image, { width: 37, height: 29, channels: 1 });
  const out = await decode(bytes, { model: den });
  t.is(out.channels, 1);
  t.is(sha(out.data), sha(img.data));
});

test('encoding is deterministic; golden bytes', async (t) => {
  const img = await readImage('fixtures/astronaut-32.png');
  const a = encodeImage(img, den, { steps: STEPS }).bytes;
  const b = encodeImage(img, new Denoiser(tinyModel(1)), { steps: STEPS }).bytes;
  t.is(sha(a), sha(b));
  t.snapshot({ length: a.length, sha256: sha(a) });
});

test('encode in one process, decode in another: identical pixels', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ddpm-'));
  const img = await readImage('fixtures/chelsea-32.png');
  const { bytes } = encodeImage(img, den, { steps: STEPS, earlyLossless: false, minChunkBits: 0 });
  const file = join(dir, 'a.ddpm');
  writeFileSync(file, bytes);
  const cut = readContainer(bytes).offsets[3];
  const script = `
    import { initBackend } from '${new URL('../src/model/backend.js', import.meta.url).href}';
    import { Denoiser } from '${new URL('../src/codec/denoiser.js', import.meta.url).href}';
    import { decode } from '${new URL('../src/codec/api.js', import.meta.url).href}';
    import { tinyModel, sha } from '${new URL('./helpers.js', import.meta.url).href}';
    import { readFileSync } from 'node:fs';
    await initBackend('wasm');
    const den = new Denoiser(tinyModel(1));
    const bytes = new Uint8Array(readFileSync(${JSON.stringify(file)}));
    const full = await decode(bytes, { model: den });
    const part = await decode(bytes.subarray(0, ${cut}), { model: den });
    console.log(JSON.stringify([sha(full.data), sha(part.data)]));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const [full, part] = JSON.parse(out.trim().split('\n').pop() as string);
  t.is(full, sha(img.data));
  t.is(part, sha((await decode(bytes.subarray(0, cut), { model: den })).data));
});

test('wrong model, desynchronised model and corrupt chunks give clear errors', async (t) => {
  const img = await readImage('fixtures/coffee-32.png');
  const { bytes } = encodeImage(img, den, { steps: STEPS });
  const other = new Denoiser(tinyModel(2, 'other'));
  await t.throwsAsync(decode(bytes, { model: other }), { instanceOf: DdpmError, message: /encoded with model "tiny"/ });
  // same hash, different weights (e.g. another backend's numerics): caught by the state checksums
  const m2 = tinyModel(2);
  const liar = new Denoiser({ ...m2, sha256: den.model.sha256 });
  await t.throwsAsync(decode(bytes, { model: liar }), { message: /cannot decode with this model\/backend/ });
  const bad = bytes.slice();
  bad[bad.length - 20] ^= 0x10;
  await t.throwsAsync(decode(bad, { model: den }), { message: /checksum mismatch/ });
  await t.throwsAsync(decode(new Uint8Array([1, 2, 3]), { model: den }), { message: /not a \.ddpm file/ });
  // a diffusion step after the x0 passes began (a spliced stream) is refused: after the one pass,
  // and between the passes of a ladder
  const splice = (file: Uint8Array) => {
    const p = readContainer(file);
    const firstX0 = p.chunks.findIndex((c) => c.kind === CHUNK_X0);
    return writeContainer(p.header, [...p.chunks.slice(0, firstX0 + 1), p.chunks[0]]);
  };
  await t.throwsAsync(decode(splice(bytes), { model: den }), { instanceOf: DdpmError, message: /after the lossless end/ });
  const ladder = encodeImage(img, den, { steps: STEPS, x0Shifts: [2, 0] }).bytes;
  await t.throwsAsync(decode(splice(ladder), { model: den }), { instanceOf: DdpmError, message: /only x0 refinements/ });
});

test('truncate cuts at the budget, or keeps whole chunks within it; info reports the table', async (t) => {
  const img = await readImage('fixtures/coffee-32.png');
  const { bytes } = encodeImage(img, den, { steps: STEPS, earlyLossless: false, minChunkBits: 0 });
  const info = inspect(bytes);
  t.true(info.lossless);
  t.is(info.chunks.length, STEPS.length - 1 + DEFAULT_X0_SHIFTS.length);
  t.is(info.chunks[info.chunks.length - 1].cumulativeBytes, bytes.length);
  t.deepEqual(info.chunks.filter((c) => c.binWidth !== null).map((c) => c.binWidth), DEFAULT_X0_SHIFTS.map((sh) => 2 ** sh));
  const budget = info.chunks[2].cumulativeBytes + 3;
  const cut = truncate(bytes, { bytes: budget, wholeChunks: true });
  t.is(cut.length, info.chunks[2].cumulativeBytes);
  t.false(inspect(cut).lossless);
  const exact = truncate(bytes, { bytes: budget });
  t.is(exact.length, budget);
  t.is(inspect(exact).partialTailBytes, 3);
  t.is(truncate(bytes, { bytes: 5 }).length, info.headerBytes);
  t.is(truncate(bytes, { step: 1 }).length, info.chunks[0].cumulativeBytes);
  t.is(truncate(bytes, { bpp: (info.chunks[1].cumulativeBytes * 8) / (32 * 32) }).length, info.chunks[1].cumulativeBytes);
});

test('progressive stream API yields a preview per chunk from arbitrary byte pieces', async (t) => {
  const img = await readImage('fixtures/astronaut-32.png');
  const { bytes } = encodeImage(img, den, { steps: STEPS, earlyLossless: false, minChunkBits: 0 });
  async function* pieces() {
    for (let i = 0; i < bytes.length; i += 97) yield bytes.subarray(i, i + 97);
  }
  const seen: number[] = [];
  let last = null;
  for await (const p of decodeProgressive(pieces(), { model: den })) {
    seen.push(p.chunks);
    last = p;
  }
  t.deepEqual(seen, Array.from({ length: STEPS.length + DEFAULT_X0_SHIFTS.length }, (_, i) => i));
  t.true(last?.lossless);
  t.is(sha(last!.image.data), sha(img.data));
  // previewBytes: also previews from the chunk still arriving, at least that many bytes apart
  const at: number[] = [];
  for await (const p of decodeProgressive(pieces(), { model: den, previewBytes: 300, recon: { mode: 'mean' } })) at.push(p.bytes);
  t.true(at.length > seen.length + 3, `${at.length} previews`);
  t.true(at.every((b, i) => i === 0 || b > at[i - 1]));
  t.is(at[at.length - 1], bytes.length);
  // a stream that stops inside a chunk ends with a preview of that chunk as far as it goes
  async function* partOf(n: number) {
    yield bytes.subarray(0, n);
  }
  const cutAt = readContainer(bytes).offsets[4] + 40;
  const ends: number[] = [];
  for await (const p of decodeProgressive(partOf(cutAt), { model: den })) ends.push(p.bytes);
  t.is(ends[ends.length - 1], cutAt);
});

test('reconstruction modes run at an intermediate point', async (t) => {
  const img = await readImage('fixtures/astronaut-32.png');
  const { bytes } = encodeImage(img, den, { steps: STEPS, earlyLossless: false });
  const parsed = readContainer(bytes);
  const d = new ProgressiveDecoder(parsed, den);
  for (let i = 0; i < 3; i++) d.apply(parsed.chunks[i]);
  for (const mode of ['mean', 'flow', 'sample'] as const) {
    const a = d.image({ mode, steps: 4, seed: 3 });
    const b = d.image({ mode, steps: 4, seed: 3 });
    t.is(sha(a.data), sha(b.data), `${mode} is deterministic`);
    t.true(Number.isFinite(psnr(a, img)));
  }
  // auto is a long flow while the state is nearly noise and a two-step flow after that
  const tNow = d.view.t;
  t.true(tNow <= AUTO_LONG_FLOW_ABOVE);
  t.is(sha(d.image({ mode: 'auto', steps: 4 }).data), sha(d.image({ mode: 'flow', steps: AUTO_FLOW_STEPS }).data));
  t.deepEqual(resolveRecon({ mode: 'auto' }, 1000), { mode: 'flow', steps: 10 });
  t.deepEqual(resolveRecon({ mode: 'auto' }, AUTO_LONG_FLOW_ABOVE), { mode: 'flow', steps: AUTO_FLOW_STEPS });
  t.deepEqual(resolveRecon({ mode: 'sample', steps: 7, seed: 2 }, 5), { mode: 'sample', steps: 7, seed: 2 });
});

test('unsupported pixel formats are refused with a clear error', async (t) => {
  const rgba = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } } }).png().toBuffer();
  await t.throwsAsync(readImage(new Uint8Array(rgba)), { message: /alpha/ });
  const deep = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 1, g: 2, b: 3 } } }).toColourspace('rgb16').png().toBuffer();
  await t.throwsAsync(readImage(new Uint8Array(deep)), { message: /ushort|8-bit/ });
  await t.throwsAsync(readImage(new Uint8Array([0, 1, 2, 3])), { message: /cannot read image/ });
});

test('every channel choice round-trips: uq, rec and auto (per-step choice recorded in the chunks)', async (t) => {
  const img = await readImage('fixtures/chelsea-32.png');
  const kinds = new Set<string>();
  for (const channel of ['uq', 'rec', 'auto'] as const) {
    const { bytes } = encodeImage(img, den, { steps: STEPS, channel, earlyLossless: false, minChunkBits: 0 });
    const info = inspect(bytes);
    t.is(info.channel, channel);
    for (const c of info.chunks) for (const st of c.steps) kinds.add(st.channel);
    if (channel !== 'auto') t.true(info.chunks.filter((c) => c.kind === 'steps').every((c) => c.steps.length === 1 && c.steps[0].channel === channel));
    const parsed = readContainer(bytes);
    for (let k = 0; k <= parsed.chunks.length; k++) {
      const out = await decode(bytes.subarray(0, parsed.offsets[k]), { model: den });
      if (k === parsed.chunks.length) t.is(sha(out.data), sha(img.data), `${channel}: lossless`);
    }
  }
  t.true(kinds.has('uq') && kinds.has('rec'));
});

test('large images are coded as independent tiles: lossless, every prefix decodes, tile by tile = all at once', async (t) => {
  const src = await readImage('fixtures/chelsea-64.png');
  const img = cropTile(src, { x: 5, y: 7, width: 40, height: 28 });
  const { bytes, params } = encodeImage(img, den, { steps: STEPS, earlyLossless: false, minChunkBits: 0, tileSize: 16 });
  t.is(params.tiles.length, 6);
  const info = inspect(bytes);
  t.deepEqual(info.tiles.map((r) => [r.x, r.y, r.width, r.height]), [[0, 0, 13, 14], [13, 0, 13, 14], [26, 0, 14, 14], [0, 14, 13, 14], [13, 14, 13, 14], [26, 14, 14, 14]]);
  t.deepEqual(info.chunks.slice(0, 7).map((c) => c.tile), [0, 1, 2, 3, 4, 5, 0], 'round-robin');
  t.true(info.lossless);
  const parsed = readContainer(bytes);
  const all = new ProgressiveDecoder(parsed, den);
  for (let k = 0; k <= parsed.chunks.length; k++) {
    if (k > 0) all.apply(parsed.chunks[k - 1]);
    if (k % 5 !== 0 && k !== parsed.chunks.length) continue;
    const tileByTile = await decode(bytes.subarray(0, parsed.offsets[k]), { model: den, recon: { mode: 'mean' } });
    t.is(sha(tileByTile.data), sha(all.image({ mode: 'mean' }).data), `prefix ${k}`);
  }
  t.true(all.view.lossless);
  t.is(sha((await decode(bytes, { model: den })).data), sha(img.data));
  // the container's limits still apply
  t.throws(() => encodeImage({ width: 16385, height: 8, channels: 3, data: new Uint8Array(16385 * 24) }, den), { instanceOf: DdpmError, message: /exceeds the limit/ });
});

test('tiles in parallel on worker threads: the same file and the same pixels as one thread', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ddpm-'));
  const modelPath = join(dir, 'tiny.ddpm-model');
  saveModelFile(modelPath, tinyModel(1));
  const src = await readImage('fixtures/chelsea-64.png');
  const img = cropTile(src, { x: 3, y: 2, width: 44, height: 30 });
  const o = { steps: STEPS, earlyLossless: false, minChunkBits: 0, tileSize: 16 };
  const one = await encode(img, { ...o, model: modelPath, threads: 1 });
  const seen: number[] = [];
  const two = await encode(img, { ...o, model: modelPath, threads: 2, onProgress: (done, total) => seen.push(done / total) });
  t.is(inspect(one).tiles.length, 6);
  t.is(sha(two), sha(one));
  t.is(sha(two), sha(encodeImage(img, den, o).bytes), 'and the same as encodeImage with the model loaded in memory');
  t.true(seen.length > 0 && Math.max(...seen) === 1);
  const parsed = readContainer(one);
  // whole-chunk prefixes, and one cut inside chunk 7 (its tile decodes part of it)
  for (const at of [parsed.offsets[7], parsed.offsets[7] + 9, parsed.offsets[parsed.chunks.length]]) {
    const cut = one.subarray(0, at);
    const a = await decode(cut, { model: modelPath, threads: 1 });
    const b = await decode(cut, { model: modelPath, threads: 2 });
    t.is(sha(b.data), sha(a.data), `prefix of ${at} bytes`);
  }
  t.is(sha((await decode(one, { model: modelPath, threads: 3 })).data), sha(img.data));
  const other = join(dir, 'other.ddpm-model');
  saveModelFile(other, tinyModel(2));
  await t.throwsAsync(decode(one, { model: other, threads: 2 }), { instanceOf: DdpmError, code: 'MODEL_MISMATCH' });
  // a worker's failure reaches the caller: the model file is gone after this thread loaded it
  const gone = join(dir, 'gone.ddpm-model');
  saveModelFile(gone, tinyModel(1));
  await loadDenoiser(gone);
  unlinkSync(gone);
  await t.throwsAsync(decode(one, { model: gone, threads: 2 }), { instanceOf: DdpmError, code: 'INTERNAL', message: /tile worker/ });
  // a model file replaced after this thread loaded it: the workers refuse to code with other weights
  const swapped = join(dir, 'swapped.ddpm-model');
  saveModelFile(swapped, tinyModel(1));
  await loadDenoiser(swapped);
  saveModelFile(swapped, tinyModel(3));
  await t.throwsAsync(encode(img, { ...o, model: swapped, threads: 2 }), { instanceOf: DdpmError, code: 'MODEL_MISMATCH', message: /changed while coding/ });
  await t.throwsAsync(encode(img, { ...o, model: modelPath, threads: 0 }), { instanceOf: DdpmError, message: /threads/ });
});
