/** Machine and commit identification stored with every benchmark result. */
import os from 'node:os';
import { execSync } from 'node:child_process';

export function machineInfo(): Record<string, unknown> {
  let commit = 'unknown';
  let dirty = false;
  try {
    commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    dirty = execSync('git status --porcelain', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim().length > 0;
  } catch {
    /* not a git checkout */
  }
  return {
    date: new Date().toISOString(),
    commit,
    dirty,
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.arch()}`,
  };
}
