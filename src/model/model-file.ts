/**
 * Model files: msgpack of { format, version, id, config (UNet + schedule), gamma table for the
 * analytic reverse variance, weights (name → float32 bytes), coding schedule, info }. The content
 * hash (SHA-256 over the canonical config, the Γ table and every weight, in order) identifies the
 * model in every .ddpm file; training metadata and the coding schedule (which only guides the
 * encoder: every .ddpm file records the steps it took) can change without changing it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { pack, unpack } from 'msgpackr';
import { type UNetConfig, paramSpecs, validateConfig } from './unet.js';
import { type ScheduleConfig, descendingTimesteps } from './schedule.js';
import { DdpmError } from '../bitstream/errors.js';
import { float32FromBytes, bytesOfFloat32 } from './float-bytes.js';

export const MODEL_FORMAT = 'ddpm-codec-model';
export const MODEL_VERSION = 1;
const MAX_MODEL_BYTES = 512 * 2 ** 20;

export interface ModelConfig {
  unet: UNetConfig;
  schedule: ScheduleConfig;
}

export interface ModelData {
  id: string;
  config: ModelConfig;
  /** Γ_t = E‖ε_θ(x_t,t)‖²/D at timesteps `gammaT` (for the analytic variance); may be empty */
  gammaT: number[];
  gamma: number[];
  /**
   * The encoder's default coding candidates (descending from T), found by `ddpm schedule`; absent:
   * the log-SNR schedule. Not part of the hash.
   */
  codingSchedule?: number[];
  weights: Map<string, Float32Array>;
  info: Record<string, unknown>;
}

export interface LoadedModel extends ModelData {
  sha256: string;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

export function modelHash(m: Pick<ModelData, 'config' | 'weights' | 'gammaT' | 'gamma'>): string {
  const h = createHash('sha256');
  h.update(canonical({ config: m.config, gammaT: m.gammaT, gamma: m.gamma }));
  for (const s of paramSpecs(m.config.unet)) {
    const w = m.weights.get(s.name);
    if (!w) throw new DdpmError('MODEL_MISMATCH', `model is missing parameter ${s.name}`);
    h.update(s.name);
    h.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  }
  return h.digest('hex');
}

export function serializeModel(m: ModelData): Uint8Array {
  const weights: Record<string, Uint8Array> = {};
  for (const [k, v] of m.weights) weights[k] = bytesOfFloat32(v);
  return pack({ format: MODEL_FORMAT, version: MODEL_VERSION, id: m.id, config: m.config, gammaT: m.gammaT, gamma: m.gamma, ...(m.codingSchedule?.length ? { codingSchedule: m.codingSchedule } : {}), weights, info: m.info, sha256: modelHash(m) });
}

export function parseModel(bytes: Uint8Array, source = 'model'): LoadedModel {
  let raw: Record<string, unknown>;
  try {
    raw = unpack(bytes) as Record<string, unknown>;
  } catch (e) {
    throw new DdpmError('MODEL_MISMATCH', `${source}: not a ddpm-codec model file (${(e as Error).message})`);
  }
  if (!raw || raw.format !== MODEL_FORMAT) throw new DdpmError('MODEL_MISMATCH', `${source}: not a ddpm-codec model file`);
  if (raw.version !== MODEL_VERSION) throw new DdpmError('MODEL_MISMATCH', `${source}: model format version ${String(raw.version)} is not supported`);
  const config = raw.config as ModelConfig;
  validateConfig(config.unet);
  const weights = new Map<string, Float32Array>();
  const rw = raw.weights as Record<string, Uint8Array>;
  for (const s of paramSpecs(config.unet)) {
    const b = rw?.[s.name];
    const n = s.shape.reduce((a, c) => a * c, 1);
    if (!(b instanceof Uint8Array) || b.length !== n * 4) throw new DdpmError('MODEL_MISMATCH', `${source}: parameter ${s.name} missing or of the wrong size`);
    weights.set(s.name, float32FromBytes(b));
  }
  const m: ModelData = {
    id: String(raw.id),
    config,
    gammaT: (raw.gammaT as number[]) ?? [],
    gamma: (raw.gamma as number[]) ?? [],
    ...(raw.codingSchedule !== undefined ? { codingSchedule: validateSchedule(raw.codingSchedule, config.schedule.T, source) } : {}),
    weights,
    info: (raw.info as Record<string, unknown>) ?? {},
  };
  const sha256 = modelHash(m);
  if (raw.sha256 !== undefined && raw.sha256 !== sha256) throw new DdpmError('MODEL_MISMATCH', `${source}: content hash mismatch (corrupt model file)`);
  return { ...m, sha256 };
}

/** Checks a stored coding schedule: descending integers from T down to at least 1. */
export function validateSchedule(steps: unknown, T: number, source: string): number[] {
  const bad = () => new DdpmError('MODEL_MISMATCH', `${source}: coding schedule malformed`);
  if (!Array.isArray(steps) || steps.length < 1 || steps.length > 1000 || steps[0] !== T || !descendingTimesteps(steps)) throw bad();
  return steps as number[];
}

export function loadModelFile(path: string): LoadedModel {
  const bytes = readFileSync(path);
  if (bytes.length > MAX_MODEL_BYTES) throw new DdpmError('LIMIT_EXCEEDED', `${path}: model file larger than ${MAX_MODEL_BYTES} bytes`);
  return parseModel(bytes, path);
}

/** Writes atomically (temp file + rename), so an interrupted write never leaves half a model. */
export function saveModelFile(path: string, m: ModelData): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, serializeModel(m));
  renameSync(tmp, path);
}

/** Piecewise-linear interpolation of the Γ table (1 where absent: the lower variance). */
export function gammaFunction(m: Pick<ModelData, 'gammaT' | 'gamma'>): ((t: number) => number) | undefined {
  if (!m.gammaT.length) return undefined;
  const ts = m.gammaT;
  const gs = m.gamma;
  return (t: number) => {
    if (t <= ts[0]) return gs[0];
    for (let i = 1; i < ts.length; i++) {
      if (t <= ts[i]) {
        const a = (t - ts[i - 1]) / (ts[i] - ts[i - 1]);
        return gs[i - 1] * (1 - a) + gs[i] * a;
      }
    }
    return gs[gs.length - 1];
  };
}
