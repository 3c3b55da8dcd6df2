/**
 * What the REC channel's approximate samples cost downstream. Along one coding schedule, two chains
 * start from the same x_T:
 *   - exact: each x_s an exact sample of q(x_s | x_t, x_0) (what an ideal channel would send);
 *   - rec: each x_s the REC channel's sample (K-capped Poisson functional representation), as the
 *     encoder sends it.
 * Per step: the KL the step carries in each chain, REC's coded bits, and how much of the mean
 * correction μ_q − μ_p the REC sample carries, a = ⟨x_s − μ_p, μ_q − μ_p⟩ / ‖μ_q − μ_p‖² (1 for an
 * exact sample in expectation). At the end, the estimated lossless x_0 ending from each chain.
 *
 *   npm run build && node dist/bench/rec-chain.js [--size 64] [--limit 8] [--model F] [--steps t1,t2,…]
 *     [--chunk-bits B --margin M --max-log2k L --work-per-dim W]   (the REC chunking to try; default: the format's)
 *     [--temper λ]   (the encoder's search tempering; default REC_TEMPER)
 */
import { parseArgs } from 'node:util';
import { loadDenoiser, DEFAULT_MODEL_PATH } from '../src/codec/api.js';
import { recEncode, REC_TUNING, REC_TEMPER, type RecSide, type RecTuning } from '../src/codec/rec-channel.js';
import { x0Plan } from '../src/codec/x0-coder.js';
import { logSnrSchedule, DEFAULT_STEPS } from '../src/codec/coding-schedule.js';
import { SymbolRecorder } from '../src/bitstream/symbol-recorder.js';
import { exactChain, runChain } from './exact-chain.js';
import { loadEvalImages, asRawImage } from './eval-images.js';
import { machineInfo } from './machine.js';

async function main() {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '64' }, limit: { type: 'string', default: '8' }, model: { type: 'string', default: DEFAULT_MODEL_PATH }, images: { type: 'string', default: 'data/eval' }, steps: { type: 'string' }, 'chunk-bits': { type: 'string' }, margin: { type: 'string' }, 'max-log2k': { type: 'string' }, 'work-per-dim': { type: 'string' }, temper: { type: 'string' } } });
  const tuning: RecTuning = { chunkBits: Number(values['chunk-bits'] ?? REC_TUNING.chunkBits), margin: Number(values.margin ?? REC_TUNING.margin), maxLog2K: Number(values['max-log2k'] ?? REC_TUNING.maxLog2K), workPerDim: Number(values['work-per-dim'] ?? REC_TUNING.workPerDim) };
  const temper = Number(values.temper ?? REC_TEMPER);
  const den = await loadDenoiser(values.model);
  const sch = den.schedule;
  const path = values.steps ? values.steps.split(',').map(Number) : (den.model.codingSchedule ?? logSnrSchedule(sch, DEFAULT_STEPS)).filter((t) => t >= 8);
  const images = await loadEvalImages(values.images, Number(values.size), Number(values.limit));
  const seed: [number, number] = [0x6464706d, 1];
  interface Row {
    name: string;
    exact: { klBits: number; endBits: number };
    rec: { klBits: number; codedBits: number; endBits: number; meanCarried: number };
    steps: Array<{ t: number; s: number; klBits: number; codedBits?: number; meanCarried?: number; exactKlBits: number }>;
  }
  const perImage: Row[] = [];
  const t0 = performance.now();
  for (const [ii, img] of images.entries()) {
    const raw = asRawImage(img);
    const runRec = () => {
      let prev: RecSide | null = null;
      const coded: Array<{ codedBits: number; meanCarried: number }> = [];
      const chain = runChain(den, raw, path, seed, (k, g, muP, muQ, l) => {
        const rec = new SymbolRecorder();
        const r = recEncode(g, muP, muQ, l.coded, seed, k, rec, prev, tuning, temper);
        prev = r.side;
        let num = 0;
        let e2 = 0;
        for (let i = 0; i < l.n; i++) {
          if (!l.coded[i]) continue;
          num += (r.next[i] - muP[i]) * (muQ[i] - muP[i]);
          e2 += (muQ[i] - muP[i]) ** 2;
        }
        coded.push({ codedBits: rec.bits, meanCarried: num / Math.max(1e-300, e2) });
        return r.next;
      });
      const steps = chain.stepBits.map((klBits, k) => ({ t: path[k], s: path[k + 1], klBits, ...coded[k] }));
      return { steps, endBits: 8 * x0Plan(raw.data, chain.finalMeans(), raw).estimatedBytes };
    };
    const ex = exactChain(den, raw, path, seed, ii);
    const exact = { steps: ex.stepBits.map((klBits) => ({ klBits })), endBits: 8 * x0Plan(raw.data, ex.finalMeans(), raw).estimatedBytes };
    const rec = runRec();
    const sum = (a: number[]) => a.reduce((p, v) => p + v, 0);
    const row: Row = {
      name: img.name,
      exact: { klBits: sum(exact.steps.map((s) => s.klBits)), endBits: exact.endBits },
      rec: { klBits: sum(rec.steps.map((s) => s.klBits)), codedBits: sum(rec.steps.map((s) => s.codedBits as number)), endBits: rec.endBits, meanCarried: sum(rec.steps.map((s) => s.meanCarried as number)) / rec.steps.length },
      steps: rec.steps.map((s, i) => ({ ...s, exactKlBits: exact.steps[i].klBits })),
    };
    perImage.push(row);
    const px = img.width * img.height;
    console.error(`${img.name}: exact chain ${(row.exact.klBits / px).toFixed(3)} + ending ${(row.exact.endBits / px).toFixed(3)} bpp; REC chain KL ${(row.rec.klBits / px).toFixed(3)}, coded ${(row.rec.codedBits / px).toFixed(3)} + ending ${(row.rec.endBits / px).toFixed(3)} bpp; mean correction carried ${row.rec.meanCarried.toFixed(3)}  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const px = images[0].width * images[0].height;
  const mean = (f: (r: Row) => number) => perImage.reduce((a, r) => a + f(r), 0) / perImage.length / px;
  const summary = {
    exactStepsBpp: mean((r) => r.exact.klBits),
    exactTotalBpp: mean((r) => r.exact.klBits + r.exact.endBits),
    recKlBpp: mean((r) => r.rec.klBits),
    recCodedBpp: mean((r) => r.rec.codedBits),
    recTotalBpp: mean((r) => r.rec.codedBits + r.rec.endBits),
    meanCarried: mean((r) => r.rec.meanCarried * px),
  };
  console.error(JSON.stringify(summary));
  console.log(JSON.stringify({ machine: machineInfo(), model: { id: den.model.id, sha256: den.model.sha256 }, size: Number(values.size), tuning, temper, images: values.images, path, summary, perImage }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
