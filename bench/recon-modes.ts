/**
 * Which reconstruction gives the best PSNR, measured two ways on the dev-eval photos (mean PSNR over
 * the images for every variant: x̂_0 from one evaluation, and the deterministic DDIM flow with n
 * sub-steps):
 *
 *   --kind state: from states drawn from q(x_t | x_0) at the given timesteps (an ideal channel's
 *                 state; Philox stream [77, image] per t, so reruns give the same numbers);
 *   --kind cut:   from our files, encoded with the defaults and cut at the given rates (what
 *                 `ddpm decode --bpp` reconstructs from; the REC steps' states, cuts inside chunks).
 *
 *   node dist/bench/recon-modes.js --kind state|cut [--size 64] [--limit 8]
 *       [--t 1000,900,…] [--bpp 0.15,0.2,…] [--flows 2,3,5,10] [--out FILE.json]
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { encode, decode, loadDenoiser, DEFAULT_MODEL_PATH } from '../src/codec/api.js';
import { unetFactor } from '../src/codec/encoder.js';
import { makeLayout, imageToState, stateToImage } from '../src/codec/layout.js';
import { reconstruct, type ReconOptions } from '../src/codec/reconstruct.js';
import { ddimState } from '../src/codec/step-math.js';
import { PhiloxStream } from '../src/bitstream/philox.js';
import { loadEvalImages, asRawImage } from './eval-images.js';
import { psnr } from './metrics.js';
import { machineInfo } from './machine.js';

async function main() {
  const { values } = parseArgs({
    options: {
      kind: { type: 'string', default: 'state' },
      size: { type: 'string', default: '64' },
      limit: { type: 'string', default: '8' },
      t: { type: 'string', default: '1000,950,900,850,759,629,498,395,260,148,72,35,16' },
      bpp: { type: 'string', default: '0.15,0.2,0.25,0.3,0.4,0.5,0.6,0.8,1,1.3,1.6,2,2.5,3' },
      flows: { type: 'string', default: '2,3,5,10' },
      model: { type: 'string', default: DEFAULT_MODEL_PATH },
      out: { type: 'string' },
    },
  });
  if (values.kind !== 'state' && values.kind !== 'cut') throw new Error('--kind must be state or cut');
  const size = Number(values.size);
  const den = await loadDenoiser(values.model);
  const imgs = await loadEvalImages('data/eval', size, Number(values.limit));
  const variants: Record<string, ReconOptions> = { mean: { mode: 'mean' } };
  for (const n of values.flows.split(',').map(Number)) variants[`flow${n}`] = { mode: 'flow', steps: n };
  const points = (values.kind === 'state' ? values.t : values.bpp).split(',').map(Number);
  const sums = points.map(() => Object.fromEntries(Object.keys(variants).map((k) => [k, 0])) as Record<string, number>);
  const t0 = performance.now();
  for (const [ii, img] of imgs.entries()) {
    const raw = asRawImage(img);
    const l = makeLayout(img.width, img.height, 3, unetFactor(den));
    const bytes = values.kind === 'cut' ? await encode(raw, { model: den }) : null;
    const x0 = imageToState(raw, l);
    const z = new Float64Array(x0.length);
    for (const [pi, p] of points.entries()) {
      if (bytes) {
        const n = Math.round((p * img.width * img.height) / 8);
        for (const [k, r] of Object.entries(variants)) sums[pi][k] += psnr(img, await decode(bytes, { model: den, bytes: n, recon: r }));
      } else {
        new PhiloxStream([77, ii], [p, 0, 0]).normals(z);
        const x = ddimState(den.schedule, p, x0, z);
        for (const [k, r] of Object.entries(variants)) sums[pi][k] += psnr(img, stateToImage(reconstruct(den, x, p, l.paddedHeight, l.paddedWidth, r), l));
      }
    }
    const el = (performance.now() - t0) / 1000;
    console.error(`${img.name}: ${ii + 1}/${imgs.length} images, ${el.toFixed(0)} s, ETA ${((el / (ii + 1)) * (imgs.length - ii - 1)).toFixed(0)} s`);
  }
  const rows = points.map((p, pi) => ({ [values.kind === 'state' ? 't' : 'bpp']: p, psnr: Object.fromEntries(Object.entries(sums[pi]).map(([k, v]) => [k, v / imgs.length])) }));
  for (const r of rows) console.log(JSON.stringify(r, (_, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(3)) : v)));
  const result = { machine: machineInfo(), model: { id: den.model.id, sha256: den.model.sha256 }, kind: values.kind, size, images: imgs.map((i) => i.name), rows };
  if (values.out) writeFileSync(values.out, JSON.stringify(result, null, 1) + '\n');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
