/**
 * DDPM's UNet (Ho et al. 2020), scaled down: residual blocks with GroupNorm and SiLU, a sinusoidal
 * time embedding added inside every block, optional self-attention at the lowest resolution,
 * average-pool downsampling and nearest-neighbour upsampling, ε-prediction. Fully convolutional:
 * any image whose sides are multiples of 2^(levels-1) runs.
 *
 * Parameters live in a flat, ordered name → tensor map so they can be serialised, hashed, averaged
 * (EMA) and shipped between worker threads without a layers framework.
 */
import { tf } from './backend.js';
import { conv2d, concatChannels, groupNorm, groupNormSilu, silu, downsample, upsample, timestepEmbedding } from './layers.js';
import { PhiloxStream } from '../bitstream/philox.js';
import { DdpmError } from '../bitstream/errors.js';

export interface UNetConfig {
  /** image channels (3 for RGB) */
  imageChannels: number;
  /** channels at the first level */
  base: number;
  /** channel multiplier per level; the number of levels is mults.length */
  mults: number[];
  /** residual blocks per level */
  resBlocks: number;
  /** self-attention in the middle block (lowest resolution) */
  midAttention: boolean;
  /** GroupNorm groups */
  groups: number;
}

export const TINY_UNET: UNetConfig = { imageChannels: 3, base: 8, mults: [1, 2], resBlocks: 1, midAttention: false, groups: 4 };

export interface ParamSpec {
  name: string;
  shape: number[];
  init: 'conv' | 'zero' | 'one' | 'dense';
}

/** The ordered list of parameters the config implies. */
export function paramSpecs(c: UNetConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const conv = (name: string, k: number, ci: number, co: number, zero = false) => {
    specs.push({ name: `${name}.w`, shape: [k, k, ci, co], init: zero ? 'zero' : 'conv' });
    specs.push({ name: `${name}.b`, shape: [co], init: 'zero' });
  };
  const norm = (name: string, ch: number) => {
    specs.push({ name: `${name}.g`, shape: [ch], init: 'one' });
    specs.push({ name: `${name}.b`, shape: [ch], init: 'zero' });
  };
  const dense = (name: string, ci: number, co: number) => {
    specs.push({ name: `${name}.w`, shape: [ci, co], init: 'dense' });
    specs.push({ name: `${name}.b`, shape: [co], init: 'zero' });
  };
  const temb = c.base * 4;
  const res = (name: string, ci: number, co: number) => {
    norm(`${name}.n1`, ci);
    conv(`${name}.c1`, 3, ci, co);
    dense(`${name}.t`, temb, co);
    norm(`${name}.n2`, co);
    conv(`${name}.c2`, 3, co, co, true);
    if (ci !== co) conv(`${name}.skip`, 1, ci, co);
  };
  dense('temb.0', c.base, temb);
  dense('temb.1', temb, temb);
  conv('in', 3, c.imageChannels, c.base);
  const chans: number[] = [c.base];
  let ch = c.base;
  c.mults.forEach((m, lvl) => {
    for (let r = 0; r < c.resBlocks; r++) {
      res(`down${lvl}.${r}`, ch, c.base * m);
      ch = c.base * m;
      chans.push(ch);
    }
    if (lvl < c.mults.length - 1) chans.push(ch);
  });
  res('mid.0', ch, ch);
  if (c.midAttention) {
    norm('mid.attn.n', ch);
    conv('mid.attn.qkv', 1, ch, 3 * ch);
    conv('mid.attn.out', 1, ch, ch, true);
  }
  res('mid.1', ch, ch);
  for (let lvl = c.mults.length - 1; lvl >= 0; lvl--) {
    for (let r = 0; r <= c.resBlocks; r++) {
      const skip = chans.pop() as number;
      res(`up${lvl}.${r}`, ch + skip, c.base * c.mults[lvl]);
      ch = c.base * c.mults[lvl];
    }
    if (lvl > 0) conv(`up${lvl}.upconv`, 3, ch, ch);
  }
  norm('out.n', ch);
  conv('out', 3, ch, c.imageChannels, true);
  return specs;
}

export type Params = Map<string, tf.Tensor>;

export function validateConfig(c: UNetConfig): void {
  const ok =
    Number.isInteger(c.imageChannels) && c.imageChannels >= 1 && c.imageChannels <= 4 &&
    Number.isInteger(c.base) && c.base >= 4 && c.base <= 512 &&
    Array.isArray(c.mults) && c.mults.length >= 1 && c.mults.length <= 6 && c.mults.every((m) => Number.isInteger(m) && m >= 1 && m <= 16) &&
    Number.isInteger(c.resBlocks) && c.resBlocks >= 1 && c.resBlocks <= 4 &&
    Number.isInteger(c.groups) && c.groups >= 1 && c.mults.every((m) => (c.base * m) % c.groups === 0) && c.base % c.groups === 0;
  if (!ok) throw new DdpmError('BAD_ARGUMENT', `invalid UNet config ${JSON.stringify(c)}`);
}

/** Deterministic initialisation from a seed (variance scaling 1/fan_in, normal). */
export function initParams(c: UNetConfig, seed: number): Map<string, Float32Array> {
  validateConfig(c);
  const out = new Map<string, Float32Array>();
  paramSpecs(c).forEach((s, i) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    if (s.init === 'one') a.fill(1);
    else if (s.init === 'conv' || s.init === 'dense') {
      const fanIn = s.init === 'conv' ? s.shape[0] * s.shape[1] * s.shape[2] : s.shape[0];
      const z = new Float64Array(n);
      new PhiloxStream([seed >>> 0, 0x554e4554], [i, 0, 0]).normals(z);
      const std = Math.sqrt(1 / fanIn);
      for (let j = 0; j < n; j++) a[j] = z[j] * std;
    }
    out.set(s.name, a);
  });
  return out;
}

export function countParams(c: UNetConfig): number {
  return paramSpecs(c).reduce((acc, s) => acc + s.shape.reduce((a, b) => a * b, 1), 0);
}

function P(p: Params, name: string): tf.Tensor {
  const t = p.get(name);
  if (!t) throw new DdpmError('MODEL_MISMATCH', `model is missing parameter ${name}`);
  return t;
}

/** Convolution `name` with its own bias, or with `bias` ([C] or per item [B, C]) in its place. */
function convL(p: Params, name: string, x: tf.Tensor4D, bias?: tf.Tensor1D | tf.Tensor2D): tf.Tensor4D {
  return conv2d(x, P(p, `${name}.w`) as tf.Tensor4D, bias ?? (P(p, `${name}.b`) as tf.Tensor1D));
}
function normL(p: Params, name: string, x: tf.Tensor4D, groups: number, thenSilu = false): tf.Tensor4D {
  return (thenSilu ? groupNormSilu : groupNorm)(x, P(p, `${name}.g`) as tf.Tensor1D, P(p, `${name}.b`) as tf.Tensor1D, groups);
}
function denseL(p: Params, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, P(p, `${name}.w`) as tf.Tensor2D), P(p, `${name}.b`)) as tf.Tensor2D;
}

function resBlock(p: Params, name: string, x: tf.Tensor4D, temb: tf.Tensor2D, groups: number): tf.Tensor4D {
  // the time embedding joins the first convolution's bias: one per-item bias [B, C]
  const bias = tf.add(P(p, `${name}.c1.b`), denseL(p, `${name}.t`, silu(temb))) as tf.Tensor2D;
  let h = convL(p, `${name}.c1`, normL(p, `${name}.n1`, x, groups, true), bias);
  h = convL(p, `${name}.c2`, normL(p, `${name}.n2`, h, groups, true));
  const skip = p.has(`${name}.skip.w`) ? convL(p, `${name}.skip`, x) : x;
  return tf.add(skip, h) as tf.Tensor4D;
}

function attention(p: Params, name: string, x: tf.Tensor4D, groups: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const qkv = convL(p, `${name}.qkv`, normL(p, `${name}.n`, x, groups));
  const [q, k, v] = tf.split(tf.reshape(qkv, [b, h * w, 3 * c]), 3, 2) as tf.Tensor3D[];
  const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(c)));
  const o = tf.reshape(tf.matMul(att, v), [b, h, w, c]) as tf.Tensor4D;
  return tf.add(x, convL(p, `${name}.out`, o)) as tf.Tensor4D;
}

/** ε_θ(x_t, t): x is [B, H, W, C] in the [-1, 1] data scale, t a timestep per batch item. */
export function unetForward(c: UNetConfig, p: Params, x: tf.Tensor4D, t: number[]): tf.Tensor4D {
  const factor = 2 ** (c.mults.length - 1);
  if (x.shape[1] % factor || x.shape[2] % factor) throw new DdpmError('BAD_ARGUMENT', `image sides must be multiples of ${factor}`);
  let temb = timestepEmbedding(t, c.base);
  temb = denseL(p, 'temb.1', silu(denseL(p, 'temb.0', temb)));
  let h = convL(p, 'in', x);
  const hs: tf.Tensor4D[] = [h];
  c.mults.forEach((_, lvl) => {
    for (let r = 0; r < c.resBlocks; r++) {
      h = resBlock(p, `down${lvl}.${r}`, h, temb, c.groups);
      hs.push(h);
    }
    if (lvl < c.mults.length - 1) {
      h = downsample(h);
      hs.push(h);
    }
  });
  h = resBlock(p, 'mid.0', h, temb, c.groups);
  if (c.midAttention) h = attention(p, 'mid.attn', h, c.groups);
  h = resBlock(p, 'mid.1', h, temb, c.groups);
  for (let lvl = c.mults.length - 1; lvl >= 0; lvl--) {
    for (let r = 0; r <= c.resBlocks; r++) {
      h = resBlock(p, `up${lvl}.${r}`, concatChannels(h, hs.pop() as tf.Tensor4D), temb, c.groups);
    }
    if (lvl > 0) h = convL(p, `up${lvl}.upconv`, upsample(h));
  }
  return convL(p, 'out', normL(p, 'out.n', h, c.groups, true));
}
