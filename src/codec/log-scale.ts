/**
 * Scale side information: a positive scale sent as one byte on a logarithmic grid,
 * value = 2^((q − offset)/perOctave), decoded with deterministic arithmetic.
 */
import { detExp, detLog } from '../bitstream/deterministic-math.js';

export interface LogGrid {
  perOctave: number;
  offset: number;
}

export function toIndex(value: number, g: LogGrid): number {
  if (!(value > 0)) return 0;
  const q = Math.round((detLog(value) / Math.LN2) * g.perOctave) + g.offset;
  return q < 0 ? 0 : q > 255 ? 255 : q;
}

export function fromIndex(q: number, g: LogGrid): number {
  return detExp(((q - g.offset) / g.perOctave) * 0.6931471805599453);
}
