/** FLOP counts of the UNet's convolutions (the numerator of every GFLOP/s the benchmarks report). */
import { paramSpecs, type UNetConfig } from '../src/model/unet.js';

/** Multiply-accumulate FLOPs (2 per MAC) of all convolutions in one forward pass. */
export function convFlops(c: UNetConfig, h: number, w: number): number {
  let flops = 0;
  // replay the spatial size of each conv from the forward structure
  const levels = c.mults.length;
  const sizeOf = (name: string): number => {
    const m = /^(down|up)(\d+)/.exec(name);
    if (name.startsWith('mid')) return (h * w) / 4 ** (levels - 1);
    // upN.upconv follows the upsampling: it runs at level N − 1's resolution
    if (m && name.includes('.upconv')) return (h * w) / 4 ** (Number(m[2]) - 1);
    if (m) return (h * w) / 4 ** Number(m[2]);
    return h * w;
  };
  for (const s of paramSpecs(c)) {
    if (s.shape.length === 4 && s.name.endsWith('.w')) flops += 2 * sizeOf(s.name) * s.shape[0] * s.shape[1] * s.shape[2] * s.shape[3];
  }
  return flops;
}
