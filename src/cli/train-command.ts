/** `ddpm train`: trains a diffusion prior on a folder of photos. */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { train } from '../model/train.js';
import { T_SAMPLINGS, type TSampling } from '../model/train-step.js';
import { listPhotos } from '../model/photo-pool.js';
import { DDPM_LINEAR } from '../model/schedule.js';
import type { UNetConfig } from '../model/unet.js';
import type { BackendName } from '../model/backend.js';
import { DdpmError } from '../bitstream/errors.js';

export const TRAIN_HELP = `ddpm train --data <photo folder> -o <model.ddpm-model> [options]

  --data DIR          training photos (jpg/png/webp/tiff/avif)
  --val DIR           held-out photos for the validation bound (never trained on)
  -o, --out FILE      model file written from the EMA weights (required)
  --checkpoint FILE   resumable checkpoint (default: <out>.ckpt); training resumes from it
  --steps N           total optimiser steps (default 20000)
  --batch N           batch size (default 32)
  --crop N            crop side, a multiple of 2^(levels-1) (default 32)
  --lr X              Adam learning rate (default 2e-4)
  --base N            UNet base channels (default 32)
  --mults a,b,c       channel multipliers per level (default 1,2,2,2)
  --res-blocks N      residual blocks per level (default 1)
  --no-attention      no self-attention in the middle block
  --workers N         worker threads (default 2)
  --backend NAME      wasm | auto | tensorflow (default wasm)
  --seed N            (default 1)
  --save-every N      checkpoint interval in steps (default 100)
  --val-every N       validation interval in steps (default 500)
  --log FILE          append progress lines to FILE
  --id NAME           model id recorded in files (default: file name)
  --init-from FILE    start a new run from a model file's weights (ignored when resuming)
  --t-sampling LAW    uniform | vlb: timesteps uniform (DDPM's L_simple) or in proportion to
                      their log-SNR decrement, so the loss estimates the variational bound the
                      codec pays (default: the checkpoint's when resuming, else uniform;
                      400 steps of vlb from a uniform-trained model lowered its bound 0.7%
                      more than 400 of uniform: README, "The model and training")`;

export async function trainCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      val: { type: 'string' },
      out: { type: 'string', short: 'o' },
      checkpoint: { type: 'string' },
      steps: { type: 'string', default: '20000' },
      batch: { type: 'string', default: '32' },
      crop: { type: 'string', default: '32' },
      lr: { type: 'string', default: '2e-4' },
      base: { type: 'string', default: '32' },
      mults: { type: 'string', default: '1,2,2,2' },
      'res-blocks': { type: 'string', default: '1' },
      'no-attention': { type: 'boolean', default: false },
      workers: { type: 'string', default: '2' },
      backend: { type: 'string', default: 'wasm' },
      seed: { type: 'string', default: '1' },
      'save-every': { type: 'string', default: '100' },
      'val-every': { type: 'string', default: '500' },
      log: { type: 'string' },
      id: { type: 'string' },
      'init-from': { type: 'string' },
      't-sampling': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(TRAIN_HELP);
    return;
  }
  if (!values.data || !values.out) throw new DdpmError('BAD_ARGUMENT', 'train needs --data DIR and -o FILE (see ddpm train --help)');
  if (!existsSync(values.data)) throw new DdpmError('BAD_ARGUMENT', `no such folder: ${values.data}`);
  const int = (name: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new DdpmError('BAD_ARGUMENT', `--${name} must be an integer in [${min}, ${max}]`);
    return n;
  };
  const unet: UNetConfig = {
    imageChannels: 3,
    base: int('base', values.base, 4, 512),
    mults: values.mults.split(',').map((m) => int('mults', m, 1, 16)),
    resBlocks: int('res-blocks', values['res-blocks'], 1, 4),
    midAttention: !values['no-attention'],
    groups: 8,
  };
  const lr = Number(values.lr);
  if (!(lr > 0 && lr < 1)) throw new DdpmError('BAD_ARGUMENT', '--lr must be in (0, 1)');
  const tSampling = values['t-sampling'];
  if (tSampling !== undefined && !(T_SAMPLINGS as readonly string[]).includes(tSampling)) throw new DdpmError('BAD_ARGUMENT', `--t-sampling must be one of ${T_SAMPLINGS.join(', ')}`);
  const photos = listPhotos(values.data);
  await train({
    config: { unet, schedule: DDPM_LINEAR },
    photos,
    valPhotos: values.val ? listPhotos(values.val) : [],
    out: values.out,
    checkpoint: values.checkpoint ?? `${values.out}.ckpt`,
    steps: int('steps', values.steps, 1, 1e9),
    batch: int('batch', values.batch, 1, 4096),
    crop: int('crop', values.crop, 8, 1024),
    lr,
    warmup: 200,
    emaDecay: 0.999,
    workers: int('workers', values.workers, 1, 64),
    seed: int('seed', values.seed, 0, 2 ** 32 - 1),
    backend: values.backend as BackendName,
    saveEvery: int('save-every', values['save-every'], 1, 1e9),
    valEvery: int('val-every', values['val-every'], 1, 1e9),
    log: values.log,
    initFrom: values['init-from'],
    tSampling: tSampling as TSampling | undefined,
    id: values.id ?? values.out.replace(/^.*\//, '').replace(/\.[^.]*$/, ''),
  });
}
