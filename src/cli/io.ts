/** CLI helpers: safe output files, numeric flags, progress lines. */
import { existsSync, writeFileSync, renameSync, readFileSync, statSync } from 'node:fs';
import { DdpmError } from '../bitstream/errors.js';

export const MAX_INPUT_BYTES = 1 << 30;

/** Refuses to overwrite an existing file unless --force; writes via a temp file + rename. */
export function writeOutput(path: string, data: Uint8Array, force: boolean): void {
  if (existsSync(path) && !force) throw new DdpmError('BAD_ARGUMENT', `${path} exists (use --force to overwrite)`);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function checkOutput(path: string | undefined, force: boolean): string {
  if (!path) throw new DdpmError('BAD_ARGUMENT', 'an output file is required (-o FILE)');
  if (existsSync(path) && !force) throw new DdpmError('BAD_ARGUMENT', `${path} exists (use --force to overwrite)`);
  return path;
}

export function readInput(path: string | undefined): Uint8Array {
  if (!path) throw new DdpmError('BAD_ARGUMENT', 'an input file is required');
  if (!existsSync(path)) throw new DdpmError('BAD_ARGUMENT', `no such file: ${path}`);
  if (statSync(path).size > MAX_INPUT_BYTES) throw new DdpmError('LIMIT_EXCEEDED', `${path} is larger than ${MAX_INPUT_BYTES} bytes`);
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

export function num(name: string, v: string | undefined, min: number, max: number, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) throw new DdpmError('BAD_ARGUMENT', `--${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
  return n;
}

/** A progress line with ETA on stderr (only on a terminal unless forced). */
export function progress(label: string): (done: number, total: number) => void {
  const t0 = Date.now();
  const tty = process.stderr.isTTY;
  return (done, total) => {
    const el = (Date.now() - t0) / 1000;
    const eta = done ? (el * (total - done)) / done : NaN;
    const line = `${label} ${done}/${total}  ${el.toFixed(1)}s  ETA ${Number.isFinite(eta) ? eta.toFixed(1) + 's' : '?'}`;
    if (tty) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
    else if (done === total) process.stderr.write(line + '\n');
  };
}
