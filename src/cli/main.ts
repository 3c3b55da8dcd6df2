#!/usr/bin/env node
/** The `ddpm` command. */
import { DdpmError } from '../bitstream/errors.js';
import { trainCommand, TRAIN_HELP } from './train-command.js';
import { boundCommand, scheduleCommand, sampleCommand, MODEL_HELP } from './model-commands.js';
import { encodeCommand, decodeCommand, truncateCommand, infoCommand, CODEC_HELP } from './codec-commands.js';

const HELP = () => `ddpm — progressive image compression with a diffusion prior

${CODEC_HELP}
  ddpm train ...      train a model (ddpm train --help)
${MODEL_HELP}

Exit status 0 on success; otherwise a one-line message on stderr.`;

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'train':
      return trainCommand(rest);
    case 'encode':
      return encodeCommand(rest);
    case 'decode':
      return decodeCommand(rest);
    case 'truncate':
      return truncateCommand(rest);
    case 'info':
      return infoCommand(rest);
    case 'bound':
      return boundCommand(rest);
    case 'schedule':
      return scheduleCommand(rest);
    case 'sample':
      return sampleCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(HELP() + '\n\n' + TRAIN_HELP);
      return;
    default:
      throw new DdpmError('BAD_ARGUMENT', `unknown command "${cmd}" (see ddpm --help)`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const msg = e instanceof DdpmError || (e instanceof Error && e.name === 'TypeError' && /parseArgs|option/i.test(e.message)) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
  console.error(`ddpm: ${msg}`);
  process.exit(e instanceof DdpmError ? 2 : 1);
});
