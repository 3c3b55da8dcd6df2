/**
 * Rate–distortion benchmark: our codec at every truncation point of one encode (each
 * reconstruction mode asked for) against JPEG, progressive JPEG cut at the same byte budgets,
 * WebP, AVIF, JPEG XL and the lossless codecs, side by side on the same images in one run.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Denoiser } from '../src/codec/denoiser.js';
import { encodeImage, type EncodeOptions } from '../src/codec/encoder.js';
import { ProgressiveDecoder } from '../src/codec/decoder.js';
import { readContainer } from '../src/bitstream/container.js';
import { inspect } from '../src/codec/api.js';
import { DEFAULT_RECON, type ReconMode } from '../src/codec/reconstruct.js';
import { psnr, msssim, type Img } from './metrics.js';
import { bdRate, bdRatePchip, timeShared, timeSharedPsnr, type RdPoint } from './bd-rate.js';
import { lossyLadders, progressiveJpeg, lossless, hasCjxl, jpegXl, type Coded } from './baselines.js';
import { rdSvg, svgToPng, type Series } from './plot.js';
import { machineInfo } from './machine.js';
import { asRawImage } from './eval-images.js';
import { exactChain } from './exact-chain.js';
import { variationalBound, fullBoundSteps } from '../src/model/bound.js';
import { gammaFunction } from '../src/model/model-file.js';

export interface RdOptions {
  images: Array<Img & { name: string }>;
  label: string;
  den: Denoiser;
  /** coding steps: a count for the log-SNR candidates, or the timesteps themselves */
  steps?: number | number[];
  /** further encoder options (a sweep: `npm run bench -- --encode '{"losslessSlack":0.2}'`) */
  encode?: EncodeOptions;
  recon: ReconMode[];
  reconSteps?: number;
  qualities?: number[];
  jxl?: boolean;
  /** also estimate the model's full-T variational bound on each image (what a perfect channel would pay) */
  bound?: boolean;
  onProgress?: (msg: string) => void;
}

export interface Point extends RdPoint {
  bytes: number;
  msssim: number;
  setting: string;
}

export interface ImageResult {
  name: string;
  width: number;
  height: number;
  /** per reconstruction mode, at every truncation point (whole chunks) */
  ours: Record<string, Point[]>;
  /**
   * The default reconstruction of the file cut inside its chunks (decoded as far as the bytes go):
   * at a quarter, half and three quarters of every chunk and at every baseline point's byte count.
   * Absent in results from before session 14.
   */
  oursCuts?: Point[];
  oursDetail: {
    encodeSeconds: number;
    decodeSeconds: number;
    /** decoding the cut files (each from the decoder state at the chunk boundary before it) */
    cutSeconds?: number;
    networkEvals: number;
    headerBytes: number;
    /** every diffusion step (as the encoder measured it): what its symbols cost in bytes, and its ideal KL bits */
    steps: Array<{ t: number; bytes: number; idealBits: number }>;
    /**
     * every lossy truncation point: bytes after the header, the summed ideal bytes of the steps sent
     * along the encoder's own chain, and (one-tile images) the Gaussian bound of the same steps along
     * a chain of exact posterior samples (bench/exact-chain.ts)
     */
    truncation: Array<{ bytes: number; idealBytes: number; overheadPct: number; boundBytes?: number; overBoundPct?: number }>;
    losslessBytes: number;
  };
  baselines: Record<string, Point[]>;
  losslessBpp: Record<string, number>;
}

function point(orig: Img, dec: Img, bytes: number, setting: string): Point {
  return { bytes, bpp: (bytes * 8) / (orig.width * orig.height), psnr: psnr(orig, dec), msssim: msssim(orig, dec), setting };
}

export async function runRd(o: RdOptions): Promise<ImageResult[]> {
  const results: ImageResult[] = [];
  for (const img of o.images) {
    o.onProgress?.(`${o.label} ${img.name}: encoding`);
    const t0 = performance.now();
    const raw = asRawImage(img);
    const enc = encodeImage(raw, o.den, { ...o.encode, ...(o.steps !== undefined ? { steps: o.steps } : {}) });
    const encodeSeconds = (performance.now() - t0) / 1000;
    const parsed = readContainer(enc.bytes);
    o.onProgress?.(`${o.label} ${img.name}: baselines`);
    const ladders = await lossyLadders(img, o.qualities);
    const baselines: Record<string, Point[]> = {};
    for (const [name, list] of Object.entries(ladders)) baselines[name] = list.map((c: Coded) => point(img, c.decoded, c.bytes, c.setting));
    const jxl = o.jxl ? await jpegXl(img) : null;
    if (jxl) baselines.jxl = jxl.lossy.map((c) => point(img, c.decoded, c.bytes, c.setting));
    // where our file is also decoded cut inside a chunk: a quarter, half and three quarters of every chunk, and every baseline point's size
    const cutsAt = new Set<number>();
    for (let k = 0; k < parsed.chunks.length; k++) for (const f of [0.25, 0.5, 0.75]) cutsAt.add(Math.round(parsed.offsets[k] + f * (parsed.offsets[k + 1] - parsed.offsets[k])));
    for (const list of Object.values(baselines)) for (const p of list) cutsAt.add(p.bytes);
    const ours: Record<string, Point[]> = {};
    for (const m of o.recon) ours[m] = [];
    const oursCuts: Point[] = [];
    const d = new ProgressiveDecoder(parsed, o.den);
    const evals0 = o.den.evals;
    let decodeSeconds = 0;
    let cutSeconds = 0;
    let cutEvals = 0;
    const recon = { ...DEFAULT_RECON, steps: o.reconSteps ?? DEFAULT_RECON.steps };
    for (let k = 0; k <= parsed.chunks.length; k++) {
      const t1 = performance.now();
      if (k > 0) d.apply(parsed.chunks[k - 1]);
      const meanImg = d.image({ mode: 'mean' });
      decodeSeconds += (performance.now() - t1) / 1000;
      for (const m of o.recon) {
        const dec = m === 'mean' || d.view.lossless ? meanImg : d.image({ mode: m, steps: o.reconSteps ?? DEFAULT_RECON.steps, seed: 1 });
        ours[m].push(point(img, dec, parsed.offsets[k], `chunk${k}`));
      }
      if (k < parsed.chunks.length) {
        const t2 = performance.now();
        const e2 = o.den.evals;
        for (const at of [...cutsAt].filter((b) => b > parsed.offsets[k] && b < parsed.offsets[k + 1]).sort((a, b) => a - b)) {
          const cut = readContainer(enc.bytes.subarray(0, at), { allowPartialTail: true }).cut;
          oursCuts.push(point(img, cut ? d.imageWithCut(cut, recon) : d.image(recon), at, `cut${k}`));
        }
        cutSeconds += (performance.now() - t2) / 1000;
        cutEvals += o.den.evals - e2;
      }
      o.onProgress?.(`${o.label} ${img.name}: decoded ${k}/${parsed.chunks.length}`);
    }
    const info = inspect(enc.bytes, { model: o.den.model });
    const steps = enc.tiles.flatMap((tl) => tl.steps).map((st) => ({ t: st.t, bytes: st.codedBits / 8, idealBits: st.idealBits }));
    // the ideal of the steps each chunk carries, from the encoder's per-tile reports
    const sent = enc.tiles.map(() => 0);
    let idealSum = 0;
    let boundSum = 0;
    const tileSteps = enc.tiles[0].steps;
    const oneTile = enc.tiles.length === 1 && tileSteps.length > 0;
    if (oneTile) o.onProgress?.(`${o.label} ${img.name}: exact-chain bound`);
    const bound = oneTile ? exactChain(o.den, raw, [tileSteps[0].t, ...tileSteps.map((st) => st.s)]).stepBits : null;
    const truncation: ImageResult['oursDetail']['truncation'] = [];
    for (const c of info.chunks) {
      for (let i = 0; i < c.steps.length; i++) {
        if (bound) boundSum += bound[sent[c.tile]] / 8;
        idealSum += enc.tiles[c.tile].steps[sent[c.tile]++].idealBits / 8;
      }
      if (c.kind !== 'steps') continue;
      const bytes = c.cumulativeBytes - info.headerBytes;
      const pct = (ideal: number) => (100 * (bytes - ideal)) / Math.max(1e-9, ideal);
      truncation.push({ bytes, idealBytes: idealSum, overheadPct: pct(idealSum), ...(bound ? { boundBytes: boundSum, overBoundPct: pct(boundSum) } : {}) });
    }
    baselines.jpegProgressiveCut = (await progressiveJpeg(img, parsed.offsets.slice(1))).map((c) => point(img, c.decoded, c.bytes, c.setting));
    const ll = await lossless(img);
    const losslessBpp: Record<string, number> = { ours: (enc.bytes.length * 8) / (img.width * img.height) };
    for (const [name, c] of Object.entries(ll)) losslessBpp[name] = (c.bytes * 8) / (img.width * img.height);
    if (jxl) losslessBpp.jxlLossless = (jxl.lossless.bytes * 8) / (img.width * img.height);
    if (o.bound) {
      o.onProgress?.(`${o.label} ${img.name}: model bound`);
      losslessBpp.modelBound = modelBoundBpp(o.den, img);
    }
    results.push({
      name: img.name,
      width: img.width,
      height: img.height,
      ours,
      oursCuts,
      oursDetail: { encodeSeconds, decodeSeconds, cutSeconds, networkEvals: o.den.evals - evals0 - cutEvals, headerBytes: parsed.offsets[0], steps, truncation, losslessBytes: enc.bytes.length },
      baselines,
      losslessBpp,
    });
  }
  return results;
}

/**
 * The model's full-T variational bound (L_T + Σ L_{t-1} + L_0) on one image in bits per pixel —
 * analytic variance when the model carries Γ (unless `upperVariance`), else the upper (β) variance. Not a file size: the
 * rate an ideal channel would need with all T steps.
 */
export function modelBoundBpp(den: Denoiser, img: Img, upperVariance = false): number {
  const { steps, weights } = fullBoundSteps(den.schedule.T, 32);
  const gamma = upperVariance ? undefined : gammaFunction(den.model);
  const D = img.width * img.height * 3;
  const r = variationalBound(den.predictor(img.height, img.width), den.schedule, img.data, 1, D, steps, { variance: gamma ? 'analytic' : 'upper', gamma, weights, singleStep: true, batch: 1 });
  return r.totalBits * 3;
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);

/**
 * Mean curve over images, point by point (same settings / truncation indices). Our streams end
 * losslessly after a number of steps that differs between images, so for them (`losslessEnd`) the
 * lossy points are averaged over the indices every image has, and the lossless ends are averaged
 * separately as the last point (PSNR shown as 99).
 */
export function meanCurve(results: ImageResult[], pick: (r: ImageResult) => Point[] | undefined, losslessEnd = false): Array<{ x: number; y: number; ms: number }> {
  const lists = results.map(pick).filter((l): l is Point[] => !!l && l.length > 0);
  if (!lists.length) return [];
  const lossy = losslessEnd ? lists.map((l) => l.filter((p) => Number.isFinite(p.psnr))) : lists;
  const n = Math.min(...lossy.map((l) => l.length));
  const out = [];
  for (let i = 0; i < n; i++) out.push({ x: mean(lossy.map((l) => l[i].bpp)), y: mean(lossy.map((l) => Math.min(l[i].psnr, 99))), ms: mean(lossy.map((l) => l[i].msssim)) });
  if (losslessEnd) out.push({ x: mean(lists.map((l) => l[l.length - 1].bpp)), y: 99, ms: 1 });
  return out;
}

/**
 * Our curve for BD-rates and the bar: the decoder's default reconstruction when it was measured
 * (else mean) at the truncation points, with the cut files' points when they were measured.
 */
function oursCurve(r: ImageResult): Point[] {
  const chunks = r.ours[DEFAULT_RECON.mode] ?? r.ours.mean;
  if (!r.oursCuts?.length || !r.ours[DEFAULT_RECON.mode]) return chunks;
  return [...chunks, ...r.oursCuts].sort((a, b) => a.bytes - b.bytes);
}

/**
 * Our mean PSNR over the images at rates every image's curve (cut points included) spans, read by
 * time-sharing between each image's neighbouring points: the curve of a file cut at any byte.
 */
export function meanCutCurve(results: ImageResult[], points = 24): Array<{ x: number; y: number }> {
  if (!results.length || !results.every((r) => r.oursCuts?.length)) return [];
  const curves = results.map((r) => oursCurve(r).filter((p) => Number.isFinite(p.psnr)));
  const lo = Math.max(...curves.map((c) => c[0].bpp));
  const hi = Math.min(...curves.map((c) => c[c.length - 1].bpp));
  const out = [];
  for (let i = 0; i < points && hi > lo; i++) {
    const x = lo * (hi / lo) ** (i / (points - 1));
    const ys = curves.map((c) => psnrAt(c, x));
    if (ys.every((y) => y !== null)) out.push({ x, y: mean(ys as number[]) });
  }
  return out;
}

/**
 * Our PSNR at `bpp` on one image's truncation curve, time-shared between its neighbouring points
 * (rate and MSE linear between them, see `timeShared`; the lossless end is a point with MSE 0);
 * null outside the curve. (Before session 13: PSNR linear between the lossy points only, which is
 * above what any mix of two operating points achieves.)
 */
function psnrAt(curve: Point[], bpp: number): number | null {
  const pts = curve.filter((p) => !Number.isNaN(p.psnr));
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1];
    const b = pts[i];
    if (bpp >= a.bpp && bpp <= b.bpp) {
      if (b.bpp === a.bpp) return Math.max(a.psnr, b.psnr);
      return timeSharedPsnr(a.psnr, b.psnr, (bpp - a.bpp) / (b.bpp - a.bpp));
    }
  }
  return null;
}

/** lowest rate the "above the baselines at every rate" reading looks at (the #7 bar) */
export const BAR_MIN_BPP = 0.25;

/**
 * The bar's reading, per baseline setting (a quality of its ladder): on each image, our PSNR
 * time-shared on our truncation curve (`psnrAt`) at that setting's rate minus the setting's PSNR,
 * averaged over the images where the rate lies on our curve (up to its lossless end) and is at
 * least BAR_MIN_BPP.
 */
export function atBaselinePoints(results: ImageResult[], baseline: string): Array<{ setting: string; bpp: number; deltaDb: number; images: number; below: number }> {
  const settings = [...new Set(results.flatMap((r) => (r.baselines[baseline] ?? []).map((p) => p.setting)))];
  const out = [];
  for (const setting of settings) {
    const deltas: number[] = [];
    const rates: number[] = [];
    for (const r of results) {
      const b = (r.baselines[baseline] ?? []).find((p) => p.setting === setting);
      if (!b || b.bpp < BAR_MIN_BPP || !Number.isFinite(b.psnr)) continue;
      const ours = psnrAt(oursCurve(r), b.bpp);
      if (ours === null) continue;
      deltas.push(ours - b.psnr);
      rates.push(b.bpp);
    }
    if (deltas.length) out.push({ setting, bpp: mean(rates), deltaDb: mean(deltas), images: deltas.length, below: deltas.filter((d) => d < 0).length });
  }
  return out.sort((a, b) => a.bpp - b.bpp);
}

export function summarize(label: string, results: ImageResult[]) {
  const baselineNames = Object.keys(results[0]?.baselines ?? {});
  // per image, then averaged: PCHIP (the headline) and the classic single-cubic fit (for comparison with earlier results)
  const bdWith = (f: typeof bdRate) => {
    const out: Record<string, number | null> = {};
    for (const b of baselineNames) {
      const vals = results.map((r) => f(r.baselines[b], oursCurve(r))).filter((v): v is number => v !== null);
      out[b] = vals.length ? mean(vals) : null;
    }
    return out;
  };
  // PCHIP on both curves filled in by time-sharing (ours up to its lossless end); the cubic on the lossy points as before
  const bd = bdWith((a, o) => bdRatePchip(timeShared(a), timeShared(o)));
  const bdCubic = bdWith((a, o) => bdRate(a, o.filter((p) => Number.isFinite(p.psnr))));
  const lossless: Record<string, number> = {};
  for (const k of Object.keys(results[0]?.losslessBpp ?? {})) lossless[k] = mean(results.map((r) => r.losslessBpp[k]));
  // each image has its own coding schedule: one row per step start t, over the images coding a step from t
  const starts = [...new Set(results.flatMap((r) => r.oursDetail.steps.map((st) => st.t)))].sort((a, b) => b - a);
  const stepsTable = starts.map((t) => {
    const rows = results.flatMap((r) => r.oursDetail.steps.filter((st) => st.t === t));
    const bytes = mean(rows.map((st) => st.bytes));
    const ideal = mean(rows.map((st) => st.idealBits / 8));
    return { t, images: rows.length, bytes, idealBytes: ideal, overheadPct: (100 * (bytes - ideal)) / ideal };
  });
  return {
    label,
    images: results.map((r) => r.name),
    bdRateRecon: results[0]?.ours[DEFAULT_RECON.mode] ? DEFAULT_RECON.mode : 'mean',
    /** BD-rate per image on time-shared, PCHIP-interpolated curves (bd-rate.ts), averaged */
    bdRateOursVs: bd,
    /** the same with one cubic fit per curve (Bjøntegaard 2001; the headline before session 13) */
    bdRateCubicOursVs: bdCubic,
    losslessBpp: lossless,
    ours: Object.fromEntries(Object.keys(results[0]?.ours ?? {}).map((m) => [m, meanCurve(results, (r) => r.ours[m], true)])),
    /** our files cut at any byte (the default reconstruction): mean PSNR on a log-spaced grid of rates */
    oursCut: meanCutCurve(results),
    /** cut points measured per image (besides the truncation points) */
    cutPointsPerImage: mean(results.map((r) => r.oursCuts?.length ?? 0)),
    baselines: Object.fromEntries(baselineNames.map((b) => [b, meanCurve(results, (r) => r.baselines[b])])),
    steps: stepsTable,
    /** ours minus each baseline at the baseline's own points (per image, then averaged) */
    atBaselinePoints: Object.fromEntries(baselineNames.filter((b) => b !== 'jpegProgressiveCut').map((b) => [b, atBaselinePoints(results, b)])),
    /** the worst truncation point's overhead over the ideal, per image (the bar: within 25% / 10%) */
    worstTruncationOverheadPct: results.map((r) => Math.max(...r.oursDetail.truncation.map((p) => p.overheadPct))),
    /** the same against the Gaussian bound of the steps sent along an exact-sample chain (null: tiled image) */
    worstTruncationOverBoundPct: results.map((r) => (r.oursDetail.truncation.every((p) => p.overBoundPct !== undefined) ? Math.max(...r.oursDetail.truncation.map((p) => p.overBoundPct as number)) : null)),
    seconds: { encode: mean(results.map((r) => r.oursDetail.encodeSeconds)), decodeAllPrefixes: mean(results.map((r) => r.oursDetail.decodeSeconds)), cutDecodes: mean(results.map((r) => r.oursDetail.cutSeconds ?? 0)), networkEvalsPerSecond: mean(results.map((r) => r.oursDetail.networkEvals / Math.max(1e-9, r.oursDetail.decodeSeconds))) },
  };
}

export type Summary = ReturnType<typeof summarize>;

export function markdown(summaries: Summary[], meta: Record<string, unknown>): string {
  const lines: string[] = [`# Rate–distortion results`, '', `machine: ${JSON.stringify(meta.machine)}`, `model: ${JSON.stringify(meta.model)}`];
  if (meta.encode || meta.steps) lines.push(`encoder options: ${JSON.stringify({ steps: meta.steps ?? undefined, ...(meta.encode ? JSON.parse(meta.encode as string) : {}) })}`);
  lines.push('');
  for (const s of summaries) {
    lines.push(`## ${s.label} (${s.images.length} images: ${s.images.join(', ')})`, '');
    lines.push('| lossless codec | mean bpp |', '|---|---|');
    for (const [k, v] of Object.entries(s.losslessBpp)) lines.push(`| ${k === 'modelBound' ? 'model bound, full T (ideal channel, not a file)' : k} | ${v.toFixed(3)} |`);
    const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a (curves do not overlap)' : v.toFixed(1));
    lines.push('', `| BD-rate of ours (${s.bdRateRecon} recon) vs | % PCHIP on time-shared curves (negative = we need fewer bits) | % one cubic fit on the lossy points (before session 13) |`, '|---|---|---|');
    for (const [k, v] of Object.entries(s.bdRateOursVs)) lines.push(`| ${k} | ${pct(v)} | ${pct(s.bdRateCubicOursVs?.[k])} |`);
    for (const [m, curve] of Object.entries(s.ours)) {
      lines.push('', `Ours, recon ${m}: mean bpp → PSNR (MS-SSIM) at the truncation points all images have, then the lossless end`, '', curve.map((p) => (p.y >= 99 ? `${p.x.toFixed(3)} → lossless` : `${p.x.toFixed(3)} → ${p.y.toFixed(2)} dB (${p.ms.toFixed(3)})`)).join('; '));
    }
    if (s.oursCut?.length) lines.push('', `Ours, recon ${s.bdRateRecon}, the file cut at any byte (decoded as far as the bytes go; ${s.cutPointsPerImage.toFixed(0)} cut points per image besides the truncation points, time-shared between them; mean over the images): `, '', s.oursCut.map((p) => `${p.x.toFixed(3)} → ${p.y.toFixed(2)} dB`).join('; '));
    const reading = s.oursCut?.length ? 'our file cut at the baseline\'s own byte count on each image (a measured point)' : 'per image, our PSNR time-shared between our truncation points — rate and MSE linear between neighbours, the lossless end included';
    lines.push('', `Ours (${s.bdRateRecon} recon) minus each baseline at the baseline's own points from ${BAR_MIN_BPP} bpp (${reading}; mean over the images whose curve spans the rate): mean bpp → ΔPSNR dB (images below the baseline / images)`);
    for (const [b, rows] of Object.entries(s.atBaselinePoints ?? {})) lines.push('', `- ${b}: ${rows.map((p) => `${p.bpp.toFixed(2)} → ${p.deltaDb >= 0 ? '+' : ''}${p.deltaDb.toFixed(2)} (${p.below}/${p.images})`).join('; ')}`);
    lines.push('', '| step from t | images | mean bytes | ideal bytes (KL) | overhead |', '|---|---|---|---|---|');
    for (const st of s.steps) lines.push(`| ${st.t} | ${st.images} | ${st.bytes.toFixed(0)} | ${st.idealBytes.toFixed(0)} | ${st.overheadPct.toFixed(0)}% |`);
    lines.push('', `worst truncation point per image, bytes after the header over the ideal of the steps sent (KL along the encoder's own chain): ${s.worstTruncationOverheadPct.map((v) => `${v.toFixed(1)}%`).join(', ')}`);
    lines.push('', `worst truncation point per image, bytes after the header over the Gaussian bound of the steps sent (KL along a chain of exact posterior samples): ${s.worstTruncationOverBoundPct.map((v) => (v === null ? 'n/a (tiled)' : `${v.toFixed(1)}%`)).join(', ')}`);
    lines.push('', `encode ${s.seconds.encode.toFixed(2)} s/image, decode of every prefix ${s.seconds.decodeAllPrefixes.toFixed(2)} s/image${s.seconds.cutDecodes ? ` (the cut files: ${s.seconds.cutDecodes.toFixed(2)} s/image more)` : ''}, ${s.seconds.networkEvalsPerSecond.toFixed(1)} network evals/s`, '');
  }
  return lines.join('\n');
}

export async function writeReports(dir: string, stem: string, summaries: Summary[], meta: Record<string, unknown>, perImage: Record<string, ImageResult[]>): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const json = join(dir, `${stem}.json`);
  writeFileSync(json, JSON.stringify({ ...meta, summaries, perImage }, (k, v) => (v instanceof Uint8Array ? undefined : v), 1));
  files.push(json);
  const md = join(dir, `${stem}.md`);
  writeFileSync(md, markdown(summaries, meta));
  files.push(md);
  for (const s of summaries) {
    const series: Series[] = [
      ...Object.entries(s.ours).map(([m, c]) => ({ name: `ours (${m})`, points: c.filter((p) => p.y < 99) })),
      ...(s.oursCut?.length ? [{ name: `ours (${s.bdRateRecon}, cut at any byte)`, points: s.oursCut }] : []),
      ...Object.entries(s.baselines).map(([b, c]) => ({ name: b, points: c, dashed: true })),
    ];
    const maxX = Math.min(12, Math.max(2, ...Object.values(s.ours).flatMap((c) => c.filter((p) => p.y < 99).map((p) => p.x))));
    const svg = rdSvg(`${s.label}: PSNR vs bpp (mean over ${s.images.length} images)`, series, 'bits per pixel', 'PSNR (dB)', maxX);
    const base = join(dir, `${stem}-${s.label.replace(/[^a-z0-9]+/gi, '_')}`);
    writeFileSync(`${base}.svg`, svg);
    await svgToPng(svg, `${base}.png`);
    files.push(`${base}.svg`, `${base}.png`);
  }
  return files;
}

export { machineInfo, hasCjxl };
