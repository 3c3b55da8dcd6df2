/**
 * A file cut inside a chunk decodes as much of that chunk as its bytes determine: every byte
 * prefix decodes, what it decodes is exact, and it agrees with the whole-chunk points around it.
 */
import test from 'ava';
import { initBackend } from '../src/model/backend.js';
import { Denoiser } from '../src/codec/denoiser.js';
import { encodeImage } from '../src/codec/encoder.js';
import { ProgressiveDecoder, decodeTileByTile } from '../src/codec/decoder.js';
import { readImage } from '../src/codec/image-io.js';
import { cropTile } from '../src/codec/tile-grid.js';
import { decode } from '../src/codec/api.js';
import { readContainer } from '../src/bitstream/container.js';
import { CHUNK_X0_REFINE, CHUNK_X0, CHUNK_STEPS } from '../src/codec/codec-params.js';
import { DdpmError } from '../src/bitstream/errors.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import { tinyModel, sha } from './helpers.js';

let den: Denoiser;
test.before(async () => {
  await initBackend('wasm');
  den = new Denoiser(tinyModel(1));
});

const STEPS = [1000, 600, 300, 100, 20, 1];
const MEAN = { mode: 'mean' } as const;

/** the length of the prefix on which two sample arrays agree */
function agreeing(a: Uint8Array, b: Uint8Array): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}

test('byte prefixes all through the file decode; a cut inside a chunk\'s trailer is the whole chunk; the lossless pass is exact on a growing prefix of samples', async (t) => {
  const img = await readImage('fixtures/coffee-32.png');
  const { bytes } = encodeImage(img, den, { steps: STEPS, earlyLossless: false, minChunkBits: 0 });
  const whole = readContainer(bytes);
  const d = new ProgressiveDecoder(whole, den);
  let lastExact = -1;
  let cuts = 0;
  let between = 0;
  for (let k = 0; k < whole.chunks.length; k++) {
    const before = d.image(MEAN).data;
    const kind = whole.chunks[k].kind;
    const [a, b] = [whole.offsets[k], whole.offsets[k + 1]];
    // every other byte inside the diffusion chunks; inside the x0 passes every 29th (and the last)
    const stride = kind === CHUNK_STEPS ? 2 : 29;
    const images: Array<{ at: number; data: Uint8Array }> = [];
    for (let at = a + 1; at < b; at += at + stride < b ? stride : Math.max(1, b - 1 - at)) {
      const parsed = readContainer(bytes.subarray(0, at), { allowPartialTail: true });
      t.is(parsed.chunks.length, k);
      const img2 = parsed.cut ? d.imageWithCut(parsed.cut, MEAN) : d.image(MEAN);
      images.push({ at, data: img2.data });
      cuts++;
      if (k === whole.chunks.length - 1) {
        // the lossless pass: the decoded samples are the image's, in scan order, more with more bytes
        const n = agreeing(img2.data, img.data);
        t.true(n >= lastExact, `exact samples fell from ${lastExact} to ${n} at byte ${at}`);
        lastExact = n;
      }
    }
    d.apply(whole.chunks[k]);
    const after = d.image(MEAN).data;
    // cut inside the trailer (CRC) only: the whole payload is there
    t.is(sha(images[images.length - 1].data), sha(after), `chunk ${k}: a cut in the trailer decodes the whole chunk`);
    if (kind !== CHUNK_X0_REFINE) between += images.filter((im) => sha(im.data) !== sha(before) && sha(im.data) !== sha(after)).length;
  }
  t.is(lastExact, img.data.length);
  t.true(cuts > 100);
  // most cuts inside the steps and the first x0 pass give an image of their own, between the chunk points
  t.true(between > cuts / 3, `${between} of ${cuts} cut images differ from both neighbouring chunk points`);
});

test('decode at a byte budget reads into the cut chunk; wholeChunks stops at the boundary; tiles agree', async (t) => {
  const img = cropTile(await readImage('fixtures/chelsea-64.png'), { x: 5, y: 9, width: 40, height: 24 });
  // 16-pixel tiles: six independent streams, interleaved
  const { bytes } = encodeImage(img, den, { steps: STEPS, earlyLossless: false, minChunkBits: 0, tileSize: 16 });
  const whole = readContainer(bytes);
  for (const k of [6, 13, whole.chunks.length - 2]) {
    const at = Math.floor((whole.offsets[k] + whole.offsets[k + 1]) / 2);
    const prefix = readContainer(bytes.subarray(0, at), { allowPartialTail: true });
    t.truthy(prefix.cut);
    const d = new ProgressiveDecoder(whole, den);
    for (let i = 0; i < k; i++) d.apply(whole.chunks[i]);
    const viaDecoder = d.imageWithCut(prefix.cut!, MEAN).data;
    t.not(sha(viaDecoder), sha(d.image(MEAN).data), `chunk ${k}: the cut adds something`);
    t.is(sha(decodeTileByTile(prefix, den, k, MEAN).data), sha(viaDecoder));
    t.is(sha((await decode(bytes, { model: den, bytes: at, recon: MEAN })).data), sha(viaDecoder));
    t.is(sha((await decode(bytes, { model: den, bytes: at, recon: MEAN, wholeChunks: true })).data), sha(d.image(MEAN).data));
  }
  t.true([CHUNK_X0, CHUNK_X0_REFINE].includes(whole.chunks[whole.chunks.length - 1].kind));
});

test('fuzz: a cut chunk with corrupt bytes (no CRC to catch them) decodes to an image or fails with a typed error', async (t) => {
  const img = await readImage('fixtures/astronaut-32.png');
  const { bytes } = encodeImage(img, den, { steps: STEPS, earlyLossless: false, minChunkBits: 0 });
  const whole = readContainer(bytes);
  const decoders = whole.chunks.map((_, k) => {
    const d = new ProgressiveDecoder(whole, den);
    for (let i = 0; i < k; i++) d.apply(whole.chunks[i]);
    return d;
  });
  const u = new Float64Array(4);
  const s = new PhiloxStream([91, 3], [0, 0, 0]);
  let images = 0;
  let typed = 0;
  for (let i = 0; i < 240; i++) {
    s.uniforms(u, i * 2);
    const k = Math.floor(u[0] * whole.chunks.length);
    const at = whole.offsets[k] + 4 + Math.floor(u[1] * (whole.offsets[k + 1] - whole.offsets[k] - 5));
    const m = bytes.slice(0, at);
    // flip bytes of the cut chunk's payload only (its frame and state intact)
    for (let f = 0; f < 1 + Math.floor(u[2] * 3); f++) {
      s.uniforms(u, 10000 + i * 8 + f * 2);
      m[whole.offsets[k] + 3 + Math.floor(u[0] * (at - whole.offsets[k] - 3))] = Math.floor(u[1] * 256);
    }
    const cut = readContainer(m, { allowPartialTail: true }).cut;
    if (!cut) continue;
    try {
      const out = decoders[k].imageWithCut(cut, MEAN);
      t.is(out.data.length, img.data.length);
      images++;
    } catch (e) {
      if (!(e instanceof DdpmError)) t.fail(`untyped error: ${(e as Error).message}`);
      typed++;
    }
  }
  t.log(`${images} images, ${typed} typed errors`);
  t.true(images + typed > 200);
});
