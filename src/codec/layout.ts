/**
 * Between images and the diffusion state. The state is [paddedHeight, paddedWidth, 3] in [-1, 1];
 * the image is padded by edge replication to a multiple of the network's downsampling factor.
 * Greyscale images (a documented conversion) run through the RGB model with the grey value in all
 * three channels; only one channel is coded losslessly at the end, and previews average the three.
 */
import type { RawImage } from './image-io.js';

export interface Layout {
  width: number;
  height: number;
  channels: 1 | 3;
  paddedWidth: number;
  paddedHeight: number;
  /** dims of the state: paddedWidth * paddedHeight * 3 */
  n: number;
  /** 1 where a state dim is a real pixel (coded by the diffusion steps), 0 for padding */
  coded: Uint8Array;
  /** state index of each image sample (image order) */
  sampleIndex: Uint32Array;
}

export function makeLayout(width: number, height: number, channels: 1 | 3, factor: number): Layout {
  const paddedWidth = Math.ceil(width / factor) * factor;
  const paddedHeight = Math.ceil(height / factor) * factor;
  const n = paddedWidth * paddedHeight * 3;
  const coded = new Uint8Array(n);
  const sampleIndex = new Uint32Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = (y * paddedWidth + x) * 3;
      coded[base] = coded[base + 1] = coded[base + 2] = 1;
      for (let c = 0; c < channels; c++) sampleIndex[(y * width + x) * channels + c] = base + c;
    }
  }
  return { width, height, channels, paddedWidth, paddedHeight, n, coded, sampleIndex };
}

/** x_0 in [-1, 1] over the padded state (edge replication into the padding). */
export function imageToState(img: RawImage, l: Layout): Float64Array {
  const x = new Float64Array(l.n);
  for (let y = 0; y < l.paddedHeight; y++) {
    const sy = Math.min(y, img.height - 1);
    for (let xx = 0; xx < l.paddedWidth; xx++) {
      const sx = Math.min(xx, img.width - 1);
      for (let c = 0; c < 3; c++) {
        const v = img.data[(sy * img.width + sx) * img.channels + (img.channels === 1 ? 0 : c)];
        x[(y * l.paddedWidth + xx) * 3 + c] = v / 127.5 - 1;
      }
    }
  }
  return x;
}

/** The samples of the image, and the model means for the same samples (greyscale: channel average). */
export function meansForSamples(x0hat: Float64Array, l: Layout): Float64Array {
  const m = new Float64Array(l.sampleIndex.length);
  for (let i = 0; i < m.length; i++) {
    const j = l.sampleIndex[i];
    m[i] = l.channels === 3 ? x0hat[j] : (x0hat[j] + x0hat[j + 1] + x0hat[j + 2]) / 3;
  }
  return m;
}

/** An 8-bit image from a state estimate of x_0. */
export function stateToImage(x0hat: Float64Array, l: Layout): RawImage {
  const m = meansForSamples(x0hat, l);
  const data = new Uint8Array(m.length);
  for (let i = 0; i < m.length; i++) {
    const v = Math.round((m[i] + 1) * 127.5);
    data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return { width: l.width, height: l.height, channels: l.channels, data };
}

/** The state as a grid for the causal context model. */
export function stateGrid(l: Layout): { width: number; height: number; channels: number } {
  return { width: l.paddedWidth, height: l.paddedHeight, channels: 3 };
}
