/**
 * A CHUNK_STEPS chunk carries one or more consecutive diffusion steps, so a truncation point is
 * only made where the steps since the last one carry enough bits to be worth its framing (the
 * first steps of a small image carry a few dozen bytes each). Its payload is one range-coded
 * stream, so a step costs no length field and no coder flush of its own:
 *
 *   count − 1        uniform in [0, remaining)   remaining: steps left in the header's schedule
 *   channel × count  the first 1 bit (REC or UQ), each further one "same as the step before" with
 *                    probability 15/16 (an image's steps rarely switch channel: ~0.1 bit a step)
 *   symbols × count  each step's symbols, its side information first (see the channels)
 *
 * Count and channels come first so a file can be inspected without the model. The lossless
 * CHUNK_X0 chunk starts with `len varint | step stream` (len 0: none): steps at the end of the
 * stream that carry too few bits for a truncation point of their own ride along with it.
 */
import { DdpmError } from '../bitstream/errors.js';
import { RangeEncoder, RangeDecoder, untilLost } from '../bitstream/range-coder.js';
import type { SymbolRecorder } from '../bitstream/symbol-recorder.js';
import { concatBytes, readVarint, encodeVarint } from '../bitstream/container.js';
import { STEP_REC, STEP_UQ, MAX_STEPS } from './codec-params.js';

export type StepChannel = typeof STEP_UQ | typeof STEP_REC;

export interface CodedStep {
  channel: StepChannel;
  symbols: SymbolRecorder;
}

/** symbol 0: a step keeps the channel of the step before it (15/16); 1: it switches (1/16) */
const CHANNEL_SWITCH_CDF = [0, 15, 16];

/** The decoder's range decoder may read this many bytes of zeros past a stream's end (trimmed by the encoder). */
const MAX_OVERRUN = 8;

/** One stream for `steps`, with `remaining` steps left in the schedule before the first of them. */
export function packSteps(steps: readonly CodedStep[], remaining: number): Uint8Array {
  if (!steps.length || steps.length > remaining || remaining > MAX_STEPS) throw new DdpmError('BAD_ARGUMENT', `a step chunk holds 1 to ${remaining} steps`);
  const enc = new RangeEncoder();
  enc.encodeInterval(steps.length - 1, 1, remaining);
  steps.forEach((s, i) => {
    if (i === 0) enc.encodeBits(s.channel === STEP_REC ? 1 : 0, 1);
    else enc.encode(CHANNEL_SWITCH_CDF, s.channel === steps[i - 1].channel ? 0 : 1);
  });
  for (const s of steps) s.symbols.replay(enc);
  return enc.finish();
}

export interface StepStream {
  channels: StepChannel[];
  /** positioned at the first step's symbols */
  dec: RangeDecoder;
}

/** Reads a step stream's count and channels (untrusted); the symbols follow in `dec`. */
export function openSteps(payload: Uint8Array, remaining: number): StepStream {
  return openCutSteps(payload, remaining, false) as StepStream;
}

/**
 * `openSteps` for a stream that may be cut (`cut`: the payload is only its start): null when even
 * the count and channels are past the cut.
 */
export function openCutSteps(payload: Uint8Array, remaining: number, cut: boolean): StepStream | null {
  if (!(remaining >= 1 && remaining <= MAX_STEPS)) throw new DdpmError('CORRUPT', 'step chunk: more steps than the header\'s coding schedule');
  const dec = new RangeDecoder(payload, cut);
  return untilLost(dec, () => {
    const count = dec.peek(remaining) + 1;
    dec.consume(count - 1, 1, remaining);
    const channels: StepChannel[] = [];
    channels.push(dec.decodeBits(1) ? STEP_REC : STEP_UQ);
    for (let i = 1; i < count; i++) {
      const prev = channels[i - 1];
      channels.push(dec.decode(CHANNEL_SWITCH_CDF) === 0 ? prev : prev === STEP_REC ? STEP_UQ : STEP_REC);
    }
    return { channels, dec };
  });
}

/** After the last step's symbols: a stream that needed bytes it does not have is corrupt. */
export function closeSteps(s: StepStream): void {
  if (s.dec.overrun > MAX_OVERRUN) throw new DdpmError('CORRUPT', 'step chunk ended early (corrupt or desynchronised)');
}

/** The lossless chunk's payload: the trailing steps it carries (maybe none), then the x0 code. */
export function packX0Payload(steps: readonly CodedStep[], remaining: number, x0: Uint8Array): Uint8Array {
  const packed = steps.length ? packSteps(steps, remaining) : new Uint8Array(0);
  return concatBytes([encodeVarint(packed.length), packed, x0]);
}

export function splitX0Payload(payload: Uint8Array): { steps: Uint8Array; x0: Uint8Array } {
  const len = readVarint(payload, 0, 'lossless chunk');
  if (!len || len.end + len.value > payload.length) throw new DdpmError('CORRUPT', 'lossless chunk: its steps run past its end');
  return { steps: payload.subarray(len.end, len.end + len.value), x0: payload.subarray(len.end + len.value) };
}

/**
 * The parts of the first `payload.length` bytes of a `length`-byte lossless chunk: the step stream
 * (`stepsCut`: it goes on past the cut) and the start of the x0 pass with its whole length; null
 * when the cut falls inside the leading length.
 */
export function splitCutX0Payload(payload: Uint8Array, length: number): { steps: Uint8Array; stepsCut: boolean; x0: Uint8Array; x0Length: number } | null {
  const len = readVarint(payload, 0, 'lossless chunk');
  if (!len) return null;
  const x0At = len.end + len.value;
  if (x0At > length) throw new DdpmError('CORRUPT', 'lossless chunk: its steps run past its end');
  return { steps: payload.subarray(len.end, Math.min(payload.length, x0At)), stepsCut: payload.length < x0At, x0: payload.subarray(Math.min(payload.length, x0At)), x0Length: length - x0At };
}
