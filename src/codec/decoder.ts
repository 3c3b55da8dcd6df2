/**
 * The progressive decoder (DDPM Algorithm 4). It replays the encoder's state from the shared seed,
 * checks each chunk's expected-state checksum before using it (a different model, backend or build
 * stops with a clear error instead of producing garbage), and can stop after any chunk.
 */
import type { ParsedContainer, Chunk } from '../bitstream/container.js';
import { DdpmError } from '../bitstream/errors.js';
import { Denoiser } from './denoiser.js';
import { predictX0, stepGeometry, modelMean, ditherIndices, initialState, stateChecksum } from './step-math.js';
import { uqDecode } from './uq-channel.js';
import { x0Decode } from './x0-coder.js';
import { makeLayout, meansForSamples, stateToImage, stateGrid, type Layout } from './layout.js';
import { validateCodecParams, CHUNK_STEPS, CHUNK_X0, STEP_UQ, type CodecParams } from './codec-params.js';
import { unpackSteps, splitX0Payload } from './step-group.js';
import { recDecode } from './rec-channel.js';
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

/** Incremental decoder: feed chunks in order, ask for a reconstruction at any point. */
export class ProgressiveDecoder {
  readonly params: CodecParams;
  readonly layout: Layout;
  private readonly den: Denoiser;
  private x: Float64Array;
  private eps: Float64Array | null = null;
  private k = 0;
  private t: number;
  private final: RawImage | null = null;
  applied = 0;

  constructor(parsed: Pick<ParsedContainer, 'header'>, den: Denoiser) {
    const { header } = parsed;
    if (header.model.sha256 !== den.model.sha256) {
      throw new DdpmError('MODEL_MISMATCH', `this file was encoded with model "${header.model.id}" (sha256 ${header.model.sha256.slice(0, 12)}…), not the loaded model "${den.model.id}" (${den.model.sha256.slice(0, 12)}…)`);
    }
    this.params = validateCodecParams(header.codec, header.image, den.schedule.T);
    this.den = den;
    this.layout = makeLayout(header.image.width, header.image.height, header.image.channels, unetFactor(den));
    if (this.layout.paddedWidth !== this.params.paddedWidth || this.layout.paddedHeight !== this.params.paddedHeight) throw new DdpmError('MODEL_MISMATCH', 'padding differs: the model has another downsampling factor');
    this.x = initialState(this.params.seed, this.layout.n);
    this.t = this.params.steps[0];
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
    if (c.kind === CHUNK_STEPS) this.applySteps(c.payload, c.state);
    else if (c.kind === CHUNK_X0) {
      // the lossless chunk may begin with the last steps (too few bits to be a truncation point)
      const { steps, x0 } = splitX0Payload(c.payload);
      if (steps.length) this.applySteps(steps, c.state);
      const x0hat = predictX0(this.den.schedule, this.t, this.x, this.currentEps());
      if (!steps.length && stateChecksum(x0hat) !== c.state) throw desync(this.k);
      const data = x0Decode(x0, meansForSamples(x0hat, this.layout), this.layout);
      this.final = { width: this.layout.width, height: this.layout.height, channels: this.layout.channels, data };
    } else throw new DdpmError('CORRUPT', `unknown chunk kind ${c.kind}`);
    this.applied++;
  }

  private applySteps(payload: Uint8Array, state: number): void {
    const coded = unpackSteps(payload);
    if (this.k + coded.length >= this.params.steps.length) throw new DdpmError('CORRUPT', 'more steps than the header\'s coding schedule');
    coded.forEach((step, i) => {
      const x0hat = predictX0(this.den.schedule, this.t, this.x, this.currentEps());
      const s = this.params.steps[this.k + 1];
      const g = stepGeometry(this.den.schedule, this.t, s);
      const muP = modelMean(g, this.x, x0hat);
      if (i === 0 && stateChecksum(muP) !== state) throw desync(this.k);
      this.x =
        step.channel === STEP_UQ
          ? uqDecode(g, stateGrid(this.layout), muP, ditherIndices(this.params.seed, this.k, this.layout.n), this.layout.coded, step.bytes)
          : recDecode(g, muP, this.layout.coded, this.params.seed, this.k, step.bytes);
      this.eps = null;
      this.t = s;
      this.k++;
    });
  }

  /** The image at the current point: exact once the lossless chunk is in. */
  image(o: ReconOptions = { mode: 'mean' }): RawImage {
    if (this.final) return this.final;
    const x0 = reconstruct(this.den, this.x, this.t, this.layout.paddedHeight, this.layout.paddedWidth, o, this.currentEps());
    return stateToImage(x0, this.layout);
  }
}

function desync(k: number): DdpmError {
  return new DdpmError('DESYNC', `cannot decode with this model/backend: decoder state differs from the encoder's at step ${k} (different model weights, TensorFlow.js backend or build)`);
}
