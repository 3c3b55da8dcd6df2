/** Adam on flat float32 buffers (plain JS, deterministic), with optional gradient-norm clipping. */
export interface AdamState {
  m: Float32Array;
  v: Float32Array;
  step: number;
}

export function newAdam(n: number): AdamState {
  return { m: new Float32Array(n), v: new Float32Array(n), step: 0 };
}

export function adamUpdate(params: Float32Array, grads: Float32Array, s: AdamState, lr: number, clip = 1, b1 = 0.9, b2 = 0.999, eps = 1e-8): number {
  let norm = 0;
  for (let i = 0; i < grads.length; i++) norm += grads[i] * grads[i];
  norm = Math.sqrt(norm);
  const scale = clip > 0 && norm > clip ? clip / norm : 1;
  s.step++;
  const c1 = 1 - b1 ** s.step;
  const c2 = 1 - b2 ** s.step;
  const { m, v } = s;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i] * scale;
    m[i] = b1 * m[i] + (1 - b1) * g;
    v[i] = b2 * v[i] + (1 - b2) * g * g;
    params[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
  }
  return norm;
}

export function emaUpdate(ema: Float32Array, params: Float32Array, decay: number): void {
  for (let i = 0; i < ema.length; i++) ema[i] = decay * ema[i] + (1 - decay) * params[i];
}
