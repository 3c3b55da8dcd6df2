/** `ddpm encode | decode | truncate | info`. */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { loadModelFile } from '../model/model-file.js';
import { decode, truncate, inspect, loadDenoiser, DEFAULT_MODEL_PATH } from '../codec/api.js';
import { type TileResult } from '../codec/encoder.js';
import { encodeTilesInParallel, defaultThreads } from '../codec/tile-parallel.js';
import { readImage, writeImage } from '../codec/image-io.js';
import { RECON_MODES, DEFAULT_RECON, type ReconMode } from '../codec/reconstruct.js';
import { CHANNELS, type ChannelChoice } from '../codec/codec-params.js';
import { DdpmError } from '../bitstream/errors.js';
import { writeOutput, checkOutput, readInput, num, progress } from './io.js';

export const CODEC_HELP = `  ddpm encode <image> -o <out.ddpm> [--model FILE] [--steps K] [--min-step-bits 128] [--channel auto|uq|rec]
        [--seed N] [--x0-passes 0] [--lossless-slack 0.025] [--tile-size 512] [--threads N] [--report] [--force]
  ddpm decode <in.ddpm> -o <out.png> [--bpp X | --bytes N | --step K] [--whole-chunks] [--recon auto|flow|mean|sample] [--model FILE] [--threads N] [--force]
  ddpm truncate <in.ddpm> -o <out.ddpm> (--bpp X | --bytes N | --step K) [--whole-chunks] [--force]
  ddpm info <in.ddpm> [--json] [--model FILE]

  A byte or bpp budget keeps exactly that many bytes: the chunk it ends inside is decoded as far
  as its bytes go (the image improves with every byte). --whole-chunks keeps only whole chunks
  (truncation points), every one of them checksummed.

  The default model is ${DEFAULT_MODEL_PATH.replace(/^.*\/models\//, 'models/')}. Images larger than the tile size are
  coded as independent tiles, on --threads worker threads (default: the cores, at most 8); the
  file and the decoded pixels do not depend on the thread count.`;

const common = {
  out: { type: 'string', short: 'o' },
  model: { type: 'string' },
  threads: { type: 'string' },
  force: { type: 'boolean', default: false },
} as const;

export async function encodeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...common, steps: { type: 'string' }, seed: { type: 'string' }, channel: { type: 'string', default: 'auto' }, 'x0-passes': { type: 'string' }, 'min-step-bits': { type: 'string' }, 'lossless-slack': { type: 'string' }, 'tile-size': { type: 'string' }, report: { type: 'boolean', default: false } } });
  if (!(CHANNELS as readonly string[]).includes(values.channel)) throw new DdpmError('BAD_ARGUMENT', `--channel must be one of ${CHANNELS.join(', ')}`);
  const out = checkOutput(values.out, values.force);
  const img = await readImage(readInput(positionals[0]));
  const den = await loadDenoiser(values.model);
  const seed = num('seed', values.seed, 0, 2 ** 32 - 1, true);
  const passes = values['x0-passes'];
  const x0Shifts = passes === undefined ? undefined : passes.split(',').map((v) => num('x0-passes', v, 0, 7, true) as number);
  const threads = num('threads', values.threads, 1, 64, true) ?? defaultThreads();
  const { bytes, tiles } = await encodeTilesInParallel(img, den, values.model ?? DEFAULT_MODEL_PATH, {
    steps: num('steps', values.steps, 1, 1000, true),
    minStepBits: num('min-step-bits', values['min-step-bits'], 0, 2 ** 40),
    channel: values.channel as ChannelChoice,
    seed: seed === undefined ? undefined : [0x6464706d, seed],
    x0Shifts,
    losslessSlack: num('lossless-slack', values['lossless-slack'], 0, 100),
    tileSize: num('tile-size', values['tile-size'], 16, 65536, true),
    onProgress: progress('encode: step'),
  }, threads);
  writeOutput(out, bytes, values.force);
  if (values.report) printReport(tiles);
  console.error(`${out}: ${bytes.length} bytes, ${((bytes.length * 8) / (img.width * img.height)).toFixed(3)} bpp (${img.width}x${img.height}, ${img.channels === 1 ? 'grey' : 'RGB'})`);
}

/** The encoder's per-step accounting: each step's ideal (KL) against what its symbols cost. */
function printReport(tiles: TileResult[]): void {
  tiles.forEach((tl, j) => {
    if (tiles.length > 1) console.log(`tile ${j}`);
    console.log('step        channel  ideal bytes  coded bytes  overhead');
    let ideal = 0;
    let coded = 0;
    for (const st of tl.steps) {
      ideal += st.idealBits / 8;
      coded += st.codedBits / 8;
      console.log(`${`${st.t}→${st.s}`.padEnd(11)} ${st.channel.padEnd(8)} ${(st.idealBits / 8).toFixed(1).padStart(11)}  ${(st.codedBits / 8).toFixed(1).padStart(11)}  ${(((st.codedBits - st.idealBits) / Math.max(1, st.idealBits)) * 100).toFixed(1).padStart(7)}%`);
    }
    if (tl.steps.length) console.log(`${'all steps'.padEnd(20)} ${ideal.toFixed(1).padStart(11)}  ${coded.toFixed(1).padStart(11)}  ${(((coded - ideal) / Math.max(1, ideal)) * 100).toFixed(1).padStart(7)}%`);
    console.log(`then the lossless x0 code from t = ${tl.endings[tl.stepsKept]?.t ?? '?'}`);
  });
}

export async function decodeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...common, bpp: { type: 'string' }, bytes: { type: 'string' }, step: { type: 'string' }, 'whole-chunks': { type: 'boolean', default: false }, recon: { type: 'string', default: DEFAULT_RECON.mode }, 'recon-steps': { type: 'string' }, 'recon-seed': { type: 'string' } },
  });
  const out = checkOutput(values.out, values.force);
  if (!RECON_MODES.includes(values.recon as ReconMode)) throw new DdpmError('BAD_ARGUMENT', `--recon must be one of ${RECON_MODES.join(', ')}`);
  const bytes = readInput(positionals[0]);
  const img = await decode(bytes, {
    model: values.model,
    threads: num('threads', values.threads, 1, 64, true),
    bpp: num('bpp', values.bpp, 0, 1e6),
    bytes: num('bytes', values.bytes, 0, 2 ** 53, true),
    step: num('step', values.step, 0, 1e6, true),
    wholeChunks: values['whole-chunks'],
    recon: { mode: values.recon as ReconMode, steps: num('recon-steps', values['recon-steps'], 1, 1000, true) ?? DEFAULT_RECON.steps, seed: num('recon-seed', values['recon-seed'], 0, 2 ** 32 - 1, true) },
    onProgress: progress('decode: chunk'),
  });
  await writeImage(img, out);
}

export async function truncateCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: common.out, force: common.force, bpp: { type: 'string' }, bytes: { type: 'string' }, step: { type: 'string' }, 'whole-chunks': { type: 'boolean', default: false } } });
  const out = checkOutput(values.out, values.force);
  if (values.bpp === undefined && values.bytes === undefined && values.step === undefined) throw new DdpmError('BAD_ARGUMENT', 'truncate needs --bpp, --bytes or --step');
  const bytes = readInput(positionals[0]);
  const cut = truncate(bytes, { bpp: num('bpp', values.bpp, 0, 1e6), bytes: num('bytes', values.bytes, 0, 2 ** 53, true), step: num('step', values.step, 0, 1e6, true), wholeChunks: values['whole-chunks'] });
  writeOutput(out, cut, values.force);
  console.error(`${out}: ${cut.length} of ${bytes.length} bytes`);
}

export async function infoCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false }, model: common.model } });
  // the model's coding schedule, which the file's coding steps may be recorded against (no network is run)
  const modelPath = values.model ?? DEFAULT_MODEL_PATH;
  const scheduleModel = values.model !== undefined || existsSync(modelPath) ? loadModelFile(modelPath) : undefined;
  const info = inspect(readInput(positionals[0]), { model: scheduleModel });
  if (values.json) {
    console.log(JSON.stringify(info, null, 2));
    return;
  }
  const { image, model } = info;
  console.log(`image ${image.width}x${image.height} ${image.channels === 1 ? 'grey' : 'RGB'}; model ${model.id} (sha256 ${model.sha256.slice(0, 16)}…); channel ${info.channel}`);
  if (info.tiles.length === 1) console.log(`coding steps: ${info.tiles[0].steps.join(' ')}`);
  else {
    console.log(`${info.tiles.length} tiles of up to ${info.tileSize}x${info.tileSize}, coded independently; chunks interleaved round-robin`);
    for (const [j, tl] of info.tiles.entries()) console.log(`  tile ${j} at ${tl.x},${tl.y} ${tl.width}x${tl.height}: coding steps ${tl.steps.join(' ')}`);
  }
  console.log(`${info.totalBytes} bytes (header ${info.headerBytes}); ${info.lossless ? 'lossless to the end' : 'truncated (lossy)'}${info.partialTailBytes ? `; cut inside chunk ${info.chunks.length} after ${info.partialTailBytes} bytes (decoded as far as they go, unchecked)` : ''}`);
  console.log('chunk  channel    t→s          bytes  cumulative     bpp');
  info.chunks.forEach((c, i) => {
    const ts = `${info.tiles.length > 1 ? `[${c.tile}] ` : ''}${c.kind === 'x0' ? `${c.t}→x0/${c.binWidth}` : c.kind === 'refine' ? `x0/${c.binWidth}` : `${c.t}→${c.s}`}`;
    const chans = [...new Set(c.steps.map((st) => st.channel))].join('+');
    const label = c.kind === 'refine' ? 'x0' : c.kind === 'x0' ? (c.steps.length ? `${chans}×${c.steps.length}+x0` : 'x0') : c.steps.length > 1 ? `${chans}×${c.steps.length}` : chans;
    console.log(`${String(i).padStart(5)}  ${label.padEnd(9)}  ${ts.padEnd(11)} ${String(c.bytes).padStart(6)}  ${String(c.cumulativeBytes).padStart(10)}  ${c.bpp.toFixed(3).padStart(6)}`);
    if (c.steps.length > 1 || c.kind === 'x0') for (const st of c.steps) console.log(`         ${st.channel.padEnd(9)}  ${st.t}→${st.s}`);
  });
}
