/**
 * A CHUNK_STEPS chunk carries one or more consecutive diffusion steps, so a truncation point is
 * only made where the steps since the last one carry enough bits to be worth its framing (the
 * first steps of a small image carry a few bytes each).
 *
 *   payload = step+,   step = varint(2·len + (channel = STEP_REC ? 1 : 0)) | len bytes
 *
 * The lossless CHUNK_X0 chunk starts with `len varint | steps` (len 0: none): steps at the end of
 * the stream that carry too few bits for a truncation point of their own ride along with it.
 */
import { DdpmError } from '../bitstream/errors.js';
import { concatBytes, readVarint, encodeVarint } from '../bitstream/container.js';
import { STEP_REC, STEP_UQ, MAX_STEPS } from './codec-params.js';

export interface CodedStep {
  channel: typeof STEP_UQ | typeof STEP_REC;
  bytes: Uint8Array;
}

export function packSteps(steps: readonly CodedStep[]): Uint8Array {
  if (!steps.length) throw new DdpmError('BAD_ARGUMENT', 'a step chunk needs at least one step');
  return concatBytes(steps.flatMap((s) => [encodeVarint(2 * s.bytes.length + (s.channel === STEP_REC ? 1 : 0)), s.bytes]));
}

/** Splits a step chunk (untrusted) into its steps. */
export function unpackSteps(payload: Uint8Array): CodedStep[] {
  const out: CodedStep[] = [];
  let at = 0;
  while (at < payload.length) {
    const tag = readVarint(payload, at, 'step chunk');
    const len = tag ? Math.floor(tag.value / 2) : 0;
    if (!tag || tag.end + len > payload.length) throw new DdpmError('CORRUPT', 'step chunk: a step runs past the end of its chunk');
    out.push({ channel: tag.value % 2 ? STEP_REC : STEP_UQ, bytes: payload.subarray(tag.end, tag.end + len) });
    at = tag.end + len;
    if (out.length > MAX_STEPS) throw new DdpmError('CORRUPT', 'step chunk: too many steps');
  }
  if (!out.length) throw new DdpmError('CORRUPT', 'step chunk: empty');
  return out;
}

/** The lossless chunk's payload: the trailing steps it carries (maybe none), then the x0 code. */
export function packX0Payload(steps: readonly CodedStep[], x0: Uint8Array): Uint8Array {
  const packed = steps.length ? packSteps(steps) : new Uint8Array(0);
  return concatBytes([encodeVarint(packed.length), packed, x0]);
}

export function splitX0Payload(payload: Uint8Array): { steps: Uint8Array; x0: Uint8Array } {
  const len = readVarint(payload, 0, 'lossless chunk');
  if (!len || len.end + len.value > payload.length) throw new DdpmError('CORRUPT', 'lossless chunk: its steps run past its end');
  return { steps: payload.subarray(len.end, len.end + len.value), x0: payload.subarray(len.end + len.value) };
}
