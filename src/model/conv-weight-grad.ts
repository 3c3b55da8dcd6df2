/**
 * The weight gradient of the UNet's convolutions (stride 1, 'same', odd square kernel) on the CPU
 * backends, by the 128-bit SIMD kernel of `wasm/weight-grad.as.ts` (AssemblyScript, built by
 * `npm run build`). The wasm backend has no Conv2DBackpropFilter; computing the gradient as a
 * forward convolution with channels as batch ran at ~60% of a plain conv2d's speed plus three
 * transposes, while the kernel runs at about plain conv2d speed (`node dist/bench/conv-weight-grad.js`).
 */
import { DdpmError } from '../bitstream/errors.js';
import { wasmKernel, reserveKernelMemory, timedKernel, kernelPut, kernelView, KERNEL_BASE } from './wasm-kernel.js';

interface KernelExports {
  weightGrad: (xPtr: number, dPtr: number, oPtr: number, xs: number, ds: number, n: number, H: number, W: number, Ci: number, Co: number, k: number) => void;
}

/**
 * dW [k, k, Ci, Co] (row-major) of x [n, H, W, Ci] and dy [n, H, W, Co]:
 * dW[kh, kw, ci, co] = Σ x[b, h+kh−p, w+kw−p, ci] · dy[b, h, w, co], x zero outside the image.
 */
export function convWeightGrad(x: Float32Array, dy: Float32Array, n: number, H: number, W: number, Ci: number, Co: number, k: number): Float32Array {
  if (!(k % 2 === 1 && x.length === n * H * W * Ci && dy.length === n * H * W * Co)) throw new DdpmError('BAD_ARGUMENT', 'convWeightGrad: shapes do not match');
  const p = (k - 1) / 2;
  const xB = 4 * x.length;
  const dB = 4 * dy.length;
  const oB = 4 * k * k * Ci * Co;
  const xsB = 16 * n * (H + 2 * p) * (W + 2 * p) * Math.ceil(Ci / 4);
  const dsB = 32 * n * H * W * Math.ceil(Co / 8);
  const accB = 128 * k * k * Math.ceil(Ci / 4) * Math.ceil(Co / 8);
  const xP = KERNEL_BASE;
  const dP = xP + xB;
  const oP = dP + dB;
  const xsP = oP + oB;
  const dsP = xsP + xsB;
  const need = dsP + dsB + accB;
  return timedKernel('weight-grad', () => {
    const m = wasmKernel<KernelExports>('weight-grad');
    reserveKernelMemory(m.memory, need, 'convWeightGrad');
    kernelPut(m.memory, xP, x);
    kernelPut(m.memory, dP, dy);
    m.weightGrad(xP, dP, oP, xsP, dsP, n, H, W, Ci, Co, k);
    return kernelView(m.memory, oP, oB / 4).slice();
  });
}
