/**
 * The model as the codec sees it: ε_θ(x_t, t) on the deterministic backend, with outputs snapped to
 * a 2^-SNAP_BITS grid before anything builds a table or a sample from them. Weights are uploaded
 * once; every call is batch 1 on the whole (padded) image, so encoder and decoder run the very same
 * computation.
 */
import { tf, readTidy } from '../model/backend.js';
import { unetForward, paramSpecs, type Params } from '../model/unet.js';
import { type LoadedModel } from '../model/model-file.js';
import { NoiseSchedule } from '../model/schedule.js';
import { unetPredictor, type EpsPredictor } from '../model/bound.js';

export const SNAP_BITS = 16;
const SNAP = 2 ** SNAP_BITS;

export class Denoiser {
  readonly model: LoadedModel;
  readonly schedule: NoiseSchedule;
  private readonly params: Params;
  /** network evaluations so far (for speed reports) */
  evals = 0;

  constructor(model: LoadedModel) {
    this.model = model;
    this.schedule = new NoiseSchedule(model.config.schedule);
    this.params = new Map();
    for (const spec of paramSpecs(model.config.unet)) this.params.set(spec.name, tf.tensor(model.weights.get(spec.name) as Float32Array, spec.shape));
  }

  /** ε̂ for state x ([h, w, C] float64, C = model channels) at timestep t, snapped to the grid. */
  eps(x: Float64Array, h: number, w: number, t: number): Float64Array {
    const c = this.model.config.unet;
    const out = readTidy(() => unetForward(c, this.params, tf.tensor4d(Float32Array.from(x), [1, h, w, c.imageChannels]), [t]));
    this.evals++;
    const e = new Float64Array(out.length);
    for (let i = 0; i < out.length; i++) e[i] = Math.round(out[i] * SNAP) / SNAP;
    return e;
  }

  /** Batched ε predictor (unsnapped) for bounds and calibration. */
  predictor(h: number, w: number): EpsPredictor {
    return unetPredictor(this.model.config.unet, this.params, h, w);
  }

  dispose(): void {
    tf.dispose([...this.params.values()]);
  }
}

