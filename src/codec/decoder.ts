/**
 * The progressive decoder (DDPM Algorithm 4). It replays the encoder's state from the shared seed,
 * checks each chunk's expected-state checksum before using it (a different model, backend or build
 * stops with a clear error instead of producing garbage), and can stop after any chunk — or inside
 * one (`imageWithCut`: as much of a cut chunk as its bytes determine).
 */
import { readVarint, type ParsedContainer, type Chunk, type CutChunk, type ImageGeometry } from '../bitstream/container.js';
import { DdpmError } from '../bitstream/errors.js';
import { Denoiser } from './denoiser.js';
import { predictX0, stepGeometry, modelMean, ditherIndices, initialState, stateChecksum, ddimState } from './step-math.js';
import { uqDecodeCut } from './uq-channel.js';
import { x0Start, x0DecodePass, x0DecodeCut, x0Estimate, x0StateCheck, type X0State } from './x0-coder.js';
import { makeLayout, meansForSamples, stateToImage, stateGrid, type Layout } from './layout.js';
import { validateCodecParams, CHUNK_STEPS, CHUNK_X0, CHUNK_X0_REFINE, STEP_UQ, type CodecParams, type TileParams } from './codec-params.js';
import { tileGrid, tileSeed, pasteTile, untagTile, type TileRect } from './tile-grid.js';
import { openCutSteps, closeSteps, splitX0Payload, splitCutX0Payload } from './step-group.js';
import { recDecodeCut, REC_TUNING, type RecSide } from './rec-channel.js';
import { reconstruct, type ReconOptions } from './reconstruct.js';
import { unetFactor } from './encoder.js';
import type { RawImage } from './image-io.js';

export interface DecoderView {
  /** chunks applied so far */
  chunks: number;
  /** diffusion steps applied so far */
  steps: number;
  /** the timestep of the current state (0 once x_0 is decoded) */
  t: number;
  lossless: boolean;
}

/** One tile's stream: feed its chunks in order, ask for a reconstruction at any point. */
export class TileDecoder {
  readonly tile: TileParams;
  readonly layout: Layout;
  private readonly den: Denoiser;
  private readonly seed: [number, number];
  private x: Float64Array;
  private eps: Float64Array | null = null;
  private k = 0;
  private t: number;
  /** the last REC step's side information (the next one is coded as a change from it; null before the first) */
  private recPrev: RecSide | null = null;
  private final: RawImage | null = null;
  /** the embedded x_0 code's state once its first pass is in */
  private x0: X0State | null = null;
  applied = 0;
  /**
   * How a REC step cut short fills the dims past the cut (decoder side only: it changes the preview,
   * not the stream): `flow` (default), the deterministic (DDIM) step from the current state,
   * √ᾱ_s x̂_0 + √(1 − ᾱ_s) ε̂, which keeps the noise the network expects at s; `mean`, the model's
   * mean μ_p, whose noise is smaller. Cut at a tenth, quarter, half and three quarters of each chunk
   * (recon auto, the shipped model; README, "Cut inside a chunk"): at 256x256 (astronaut, chunks 1–10)
   * flow is above the chord between the chunk boundaries at all 40 cuts (+0.02 … +0.48 dB), mean
   * below it at 29 (down to −0.84 dB); at 64x64 (4 photos) they are within a few tenths, flow ahead
   * on average on 3 of 4.
   */
  cutFill: 'mean' | 'flow' = 'flow';

  private cutFillState(s: number, x0hat: Float64Array): Float64Array | null {
    return this.cutFill === 'mean' ? null : ddimState(this.den.schedule, s, x0hat, this.currentEps());
  }

  constructor(geometry: ImageGeometry, tile: TileParams, seed: [number, number], den: Denoiser) {
    this.tile = tile;
    this.den = den;
    this.seed = seed;
    this.layout = makeLayout(geometry.width, geometry.height, geometry.channels, unetFactor(den));
    this.x = initialState(seed, this.layout.n);
    this.t = tile.steps[0];
  }

  get view(): DecoderView {
    return { chunks: this.applied, steps: this.k, t: this.final ? 0 : this.t, lossless: this.final !== null };
  }

  private currentEps(): Float64Array {
    if (!this.eps) this.eps = this.den.eps(this.x, this.layout.paddedHeight, this.layout.paddedWidth, this.t);
    return this.eps;
  }

  apply(c: Chunk): void {
    if (this.final) throw new DdpmError('CORRUPT', 'chunk after the lossless end of the stream');
    if (c.index !== this.applied) throw new DdpmError('CORRUPT', `chunk ${c.index} where chunk ${this.applied} was expected`);
    if (this.x0 && c.kind !== CHUNK_X0_REFINE) throw new DdpmError('CORRUPT', 'only x0 refinements may follow the first x0 pass');
    if (c.kind === CHUNK_STEPS) this.applySteps(c.payload, c.state);
    else if (c.kind === CHUNK_X0) {
      // the lossless chunk may begin with the last steps (too few bits to be a truncation point)
      const { steps, x0 } = splitX0Payload(c.payload);
      if (steps.length) this.applySteps(steps, c.state);
      const x0hat = predictX0(this.den.schedule, this.t, this.x, this.currentEps());
      if (!steps.length && stateChecksum(x0hat) !== c.state) throw desync(this.k);
      this.x0 = x0Start(meansForSamples(x0hat, this.layout), this.layout);
      this.x0Pass(x0);
    } else if (c.kind === CHUNK_X0_REFINE) {
      if (!this.x0) throw new DdpmError('CORRUPT', 'an x0 refinement before the first x0 pass');
      if (x0StateCheck(this.x0) !== c.state) throw desync(this.k);
      this.x0Pass(c.payload);
    } else throw new DdpmError('CORRUPT', `unknown chunk kind ${c.kind}`);
    this.applied++;
  }

  private x0Pass(payload: Uint8Array): void {
    const data = x0DecodePass(payload, this.x0 as X0State, this.layout);
    if (data) this.final = this.imageOf(data);
  }

  private imageOf(data: Uint8Array): RawImage {
    return { width: this.layout.width, height: this.layout.height, channels: this.layout.channels, data };
  }

  /** `cut`: the payload is only the start of the chunk's stream (see imageWithCut). */
  private applySteps(payload: Uint8Array, state: number, cut = false): void {
    const stream = openCutSteps(payload, this.tile.steps.length - 1 - this.k, cut);
    if (!stream) return; // a cut before the first step's symbols
    for (const [i, channel] of stream.channels.entries()) {
      const x0hat = predictX0(this.den.schedule, this.t, this.x, this.currentEps());
      const s = this.tile.steps[this.k + 1];
      const g = stepGeometry(this.den.schedule, this.t, s);
      const muP = modelMean(g, this.x, x0hat);
      if (i === 0 && stateChecksum(muP) !== state) throw desync(this.k);
      let next: Float64Array | null;
      if (channel === STEP_UQ) next = uqDecodeCut(g, stateGrid(this.layout), muP, ditherIndices(this.seed, this.k, this.layout.n), this.layout.coded, stream.dec);
      else {
        const rec = recDecodeCut(g, muP, this.layout.coded, this.seed, this.k, stream.dec, this.recPrev, REC_TUNING, cut ? this.cutFillState(s, x0hat) : null);
        next = rec && rec.next;
        if (rec) this.recPrev = rec.side;
      }
      if (!next) return; // the step's side information is past the cut: the state stays at t
      this.x = next;
      this.eps = null;
      this.t = s;
      this.k++;
      if (stream.dec.lost) return; // x_s in part (the dims whose symbols the cut left)
    }
    if (!cut) closeSteps(stream);
  }

  /**
   * The image at the current point plus as much of the next chunk, cut short, as its bytes determine
   * (a file cut inside a chunk, `ParsedContainer.cut`): the steps whose symbols are all there, then
   * the next step in part — the dims past the cut filled as `cutFill` says — or the x0 pass's
   * samples up to the cut. This decoder's state is left as it was.
   */
  imageWithCut(c: CutChunk, o: ReconOptions = { mode: 'mean' }): RawImage {
    if (this.final) throw new DdpmError('CORRUPT', 'chunk after the lossless end of the stream');
    if (c.index !== this.applied) throw new DdpmError('CORRUPT', `chunk ${c.index} where chunk ${this.applied} was expected`);
    if (this.x0 && c.kind !== CHUNK_X0_REFINE) throw new DdpmError('CORRUPT', 'only x0 refinements may follow the first x0 pass');
    const saved = { x: this.x, eps: this.eps, k: this.k, t: this.t, recPrev: this.recPrev };
    try {
      if (c.kind === CHUNK_STEPS) {
        this.applySteps(c.payload, c.state, c.payload.length < c.length);
        return this.image(o);
      }
      if (c.kind === CHUNK_X0) {
        const parts = splitCutX0Payload(c.payload, c.length);
        if (!parts) return this.image(o);
        if (parts.steps.length) this.applySteps(parts.steps, c.state, parts.stepsCut);
        if (parts.stepsCut) return this.image(o);
        const x0hat = predictX0(this.den.schedule, this.t, this.x, this.currentEps());
        if (!parts.steps.length && stateChecksum(x0hat) !== c.state) throw desync(this.k);
        const before = this.image(o).data;
        return this.imageOf(x0DecodeCut(parts.x0, parts.x0Length, x0Start(meansForSamples(x0hat, this.layout), this.layout), this.layout, before));
      }
      if (c.kind === CHUNK_X0_REFINE) {
        if (!this.x0) throw new DdpmError('CORRUPT', 'an x0 refinement before the first x0 pass');
        if (x0StateCheck(this.x0) !== c.state) throw desync(this.k);
        return this.imageOf(x0DecodeCut(c.payload, c.length, this.x0, this.layout, x0Estimate(this.x0)));
      }
      throw new DdpmError('CORRUPT', `unknown chunk kind ${c.kind}`);
    } finally {
      ({ x: this.x, eps: this.eps, k: this.k, t: this.t, recPrev: this.recPrev } = saved);
    }
  }

  /** The image at the current point: exact once the lossless chunk is in. */
  image(o: ReconOptions = { mode: 'mean' }): RawImage {
    if (this.final) return this.final;
    if (this.x0) return this.imageOf(x0Estimate(this.x0));
    const x0 = reconstruct(this.den, this.x, this.t, this.layout.paddedHeight, this.layout.paddedWidth, o, this.currentEps());
    return stateToImage(x0, this.layout);
  }
}

/**
 * The decoder of a whole file: routes each chunk to its tile's stream (tiles are created when
 * first needed) and composes the tiles' reconstructions. Memory grows with the tiles touched; for
 * a bounded-memory decode of a large image use `decodeTileByTile`.
 */
export class ProgressiveDecoder {
  readonly params: CodecParams;
  readonly geometry: ImageGeometry;
  readonly rects: TileRect[];
  private readonly den: Denoiser;
  private readonly tiles = new Map<number, TileDecoder>();
  /** each tile's last reconstruction and the chunk count it was made at */
  private readonly cache = new Map<number, { applied: number; mode: string; img: RawImage }>();
  applied = 0;

  constructor(parsed: Pick<ParsedContainer, 'header'>, den: Denoiser) {
    const { header } = parsed;
    if (!den.model.sha256.startsWith(header.model.sha256)) {
      throw new DdpmError('MODEL_MISMATCH', `this file was encoded with model "${header.model.id}" (sha256 ${header.model.sha256.slice(0, 12)}…), not the loaded model "${den.model.id}" (${den.model.sha256.slice(0, 12)}…)`);
    }
    this.params = validateCodecParams(header.codec, header.image, den.schedule.T, unetFactor(den), den.model.codingSchedule ?? null);
    this.geometry = header.image;
    this.rects = tileGrid(header.image.width, header.image.height, this.params.tileSize);
    this.den = den;
  }

  /** A fresh decoder for tile j's stream. */
  newTileDecoder(j: number): TileDecoder {
    return new TileDecoder({ ...this.rects[j], channels: this.geometry.channels }, this.params.tiles[j], tileSeed(this.params.seed, j), this.den);
  }

  private tileDecoder(j: number): TileDecoder {
    let d = this.tiles.get(j);
    if (!d) {
      d = this.newTileDecoder(j);
      this.tiles.set(j, d);
    }
    return d;
  }

  /** Which tile a chunk belongs to, and the chunk as that tile's stream sees it. */
  route(c: Chunk): { tile: number; chunk: Chunk } {
    const { tile, payload } = untagTile(c.payload, this.rects.length, `chunk ${c.index}`);
    return { tile, chunk: { ...c, payload } };
  }

  apply(c: Chunk): void {
    if (c.index !== this.applied) throw new DdpmError('CORRUPT', `chunk ${c.index} where chunk ${this.applied} was expected`);
    const { tile, chunk } = this.route(c);
    const d = this.tileDecoder(tile);
    d.apply({ ...chunk, index: d.applied });
    this.applied++;
  }

  get view(): DecoderView {
    const views = this.rects.map((_, j) => this.tiles.get(j)?.view);
    return {
      chunks: this.applied,
      steps: views.reduce((a, v) => a + (v?.steps ?? 0), 0),
      t: Math.max(...views.map((v, j) => v?.t ?? this.params.tiles[j].steps[0])),
      lossless: views.every((v) => v?.lossless),
    };
  }

  /**
   * The image at the current point plus as much of `cut` — the next chunk, cut short — as its
   * bytes determine (see TileDecoder.imageWithCut); the decoder's state is left as it was.
   */
  imageWithCut(cut: CutChunk, o: ReconOptions = { mode: 'mean' }): RawImage {
    if (cut.index !== this.applied) throw new DdpmError('CORRUPT', `chunk ${cut.index} where chunk ${this.applied} was expected`);
    const routed = routeCut(this, cut);
    if (!routed) return this.image(o);
    const d = this.tileDecoder(routed.tile);
    const img = d.imageWithCut({ ...routed.cut, index: d.applied }, o);
    if (this.rects.length === 1) return img;
    const out = this.image(o);
    pasteTile(out, this.rects[routed.tile], img);
    return out;
  }

  /** The image at the current point: exact once every tile's lossless chunk is in. */
  image(o: ReconOptions = { mode: 'mean' }): RawImage {
    if (this.rects.length === 1) return this.tileDecoder(0).image(o);
    const out: RawImage = { ...this.geometry, data: new Uint8Array(this.geometry.width * this.geometry.height * this.geometry.channels) };
    const key = JSON.stringify(o);
    this.rects.forEach((r, j) => {
      const d = this.tileDecoder(j);
      let hit = this.cache.get(j);
      if (!hit || hit.applied !== d.applied || hit.mode !== key) {
        hit = { applied: d.applied, mode: key, img: d.image(o) };
        this.cache.set(j, hit);
      }
      pasteTile(out, r, hit.img);
    });
    return out;
  }
}

/**
 * Decodes the first `n` chunks one tile at a time — only one tile's state is alive at once — and
 * returns the composed image; with every whole chunk (n = parsed.chunks.length), also as much of
 * a chunk the file is cut inside (parsed.cut) as its bytes determine.
 */
export function decodeTileByTile(parsed: Pick<ParsedContainer, 'header' | 'chunks' | 'cut'>, den: Denoiser, n: number, o: ReconOptions, onProgress?: (done: number, total: number) => void): RawImage {
  const file = new ProgressiveDecoder(parsed, den);
  const byTile = chunksByTile(file, parsed, n);
  const cut = cutOfTile(file, parsed, n);
  const { width, height, channels } = file.geometry;
  const out: RawImage = { width, height, channels, data: new Uint8Array(width * height * channels) };
  let done = 0;
  file.rects.forEach((r, j) => pasteTile(out, r, decodeOneTile(file, j, byTile[j], o, () => onProgress?.(++done, n), cut?.tile === j ? cut.cut : null)));
  return out;
}

/** The chunks of a file's first `n` that belong to each tile, checked for order. */
export function chunksByTile(file: ProgressiveDecoder, parsed: Pick<ParsedContainer, 'chunks'>, n: number): Chunk[][] {
  const byTile: Chunk[][] = file.rects.map(() => []);
  for (let i = 0; i < n; i++) {
    if (parsed.chunks[i].index !== i) throw new DdpmError('CORRUPT', `chunk ${parsed.chunks[i].index} where chunk ${i} was expected`);
    const { tile, chunk } = file.route(parsed.chunks[i]);
    byTile[tile].push(chunk);
  }
  return byTile;
}

/**
 * The chunk a file's first `n` chunks are followed by when it is cut inside it (`parsed.cut`, only
 * when n takes every whole chunk), as its tile's stream sees it; null when there is none or its
 * tile number is past the cut.
 */
export function cutOfTile(file: ProgressiveDecoder, parsed: Pick<ParsedContainer, 'chunks' | 'cut'>, n: number): { tile: number; cut: CutChunk } | null {
  return parsed.cut && n === parsed.chunks.length ? routeCut(file, parsed.cut) : null;
}

/** A cut chunk's tile and the chunk as that tile's stream sees it; null if its tile number is past the cut. */
function routeCut(file: ProgressiveDecoder, c: CutChunk): { tile: number; cut: CutChunk } | null {
  if (file.rects.length === 1) return { tile: 0, cut: c };
  if (!readVarint(c.payload, 0, `chunk ${c.index}`)) return null;
  const { tile, chunk } = file.route(c);
  return { tile, cut: { ...c, payload: chunk.payload, length: c.length - (c.payload.length - chunk.payload.length) } };
}

/**
 * Tile j's image after its `chunks` (tiles are independent: any thread may decode any tile), and
 * as much of `cut` — the tile's next chunk, cut short — as its bytes determine.
 */
export function decodeOneTile(file: ProgressiveDecoder, j: number, chunks: Chunk[], o: ReconOptions, onChunk?: () => void, cut: CutChunk | null = null): RawImage {
  const d = file.newTileDecoder(j);
  for (const c of chunks) {
    d.apply({ ...c, index: d.applied });
    onChunk?.();
  }
  return cut ? d.imageWithCut({ ...cut, index: d.applied }, o) : d.image(o);
}

function desync(k: number): DdpmError {
  return new DdpmError('DESYNC', `cannot decode with this model/backend: decoder state differs from the encoder's at step ${k} (different model weights, TensorFlow.js backend or build)`);
}
