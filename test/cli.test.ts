import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeModel, parseModel } from '../src/model/model-file.js';
import { tinyModel } from './helpers.js';

const cli = new URL('../src/cli/main.js', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

const dir = mkdtempSync(join(tmpdir(), 'ddpm-cli-'));
const model = join(dir, 'tiny.ddpm-model');
writeFileSync(model, serializeModel(tinyModel(1)));

test('encode → info → truncate → decode, with exit codes and no silent overwrite', (t) => {
  const out = join(dir, 'a.ddpm');
  // the ladder 2,0: a coarse x0 pass, so the file has more than one chunk whatever the ending
  let r = run('encode', 'fixtures/chelsea-32.png', '-o', out, '--model', model, '--steps', '5', '--x0-passes', '2,0', '--report');
  t.is(r.status, 0, r.stderr);
  t.true(existsSync(out));
  t.regex(r.stdout, /ideal bytes +coded bytes +overhead/);
  t.regex(r.stdout, /then the lossless x0 code from t = \d+/);
  r = run('encode', 'fixtures/chelsea-32.png', '-o', out, '--model', model);
  t.is(r.status, 2);
  t.regex(r.stderr, /exists \(use --force/);
  r = run('info', out, '--json');
  t.is(r.status, 0);
  const info = JSON.parse(r.stdout);
  t.is(info.image.width, 32);
  t.true(info.lossless);
  r = run('truncate', out, '-o', join(dir, 'b.ddpm'), '--bytes', String(info.chunks[0].cumulativeBytes));
  t.is(r.status, 0, r.stderr);
  t.is(readFileSync(join(dir, 'b.ddpm')).length, info.chunks[0].cumulativeBytes);
  r = run('decode', join(dir, 'b.ddpm'), '-o', join(dir, 'b.png'), '--model', model);
  t.is(r.status, 0, r.stderr);
  // a budget inside a chunk: truncate cuts there (info says so) unless --whole-chunks
  const inside = info.chunks[1].cumulativeBytes - 5;
  r = run('truncate', out, '-o', join(dir, 'c.ddpm'), '--bytes', String(inside));
  t.is(r.status, 0, r.stderr);
  t.is(readFileSync(join(dir, 'c.ddpm')).length, inside);
  t.regex(run('info', join(dir, 'c.ddpm')).stdout, /cut inside chunk 1 after \d+ bytes/);
  r = run('truncate', out, '-o', join(dir, 'd.ddpm'), '--bytes', String(inside), '--whole-chunks');
  t.is(r.status, 0, r.stderr);
  t.is(readFileSync(join(dir, 'd.ddpm')).length, info.chunks[0].cumulativeBytes);
  for (const f of ['c', 'd']) t.is(run('decode', join(dir, `${f}.ddpm`), '-o', join(dir, `${f}.png`), '--model', model, '--recon', 'mean').status, 0);
  r = run('decode', out, '-o', join(dir, 'e.png'), '--model', model, '--recon', 'mean', '--bytes', String(inside));
  t.is(r.status, 0, r.stderr);
  t.deepEqual(readFileSync(join(dir, 'e.png')), readFileSync(join(dir, 'c.png')));
  r = run('decode', out, '-o', join(dir, 'full.png'), '--model', model, '--recon', 'flow');
  t.is(r.status, 0, r.stderr);
  r = run('info', out);
  t.regex(r.stdout, /lossless to the end/);
  // encoder options: pass layout, tiles
  const tiled = join(dir, 't.ddpm');
  r = run('encode', 'fixtures/chelsea-32.png', '-o', tiled, '--model', model, '--steps', '3', '--x0-passes', '4,0', '--tile-size', '16');
  t.is(r.status, 0, r.stderr);
  const ti = JSON.parse(run('info', tiled, '--json').stdout);
  t.is(ti.tiles.length, 4);
  t.deepEqual(ti.chunks.filter((c: { kind: string }) => c.kind !== 'steps').map((c: { binWidth: number }) => c.binWidth), [16, 16, 16, 16, 1, 1, 1, 1]);
  // every candidate step merged into one: T → 1
  const one = join(dir, 'one.ddpm');
  r = run('encode', 'fixtures/chelsea-32.png', '-o', one, '--model', model, '--steps', '6', '--min-step-bits', '1000000000');
  t.is(r.status, 0, r.stderr);
  t.true(JSON.parse(run('info', one, '--json').stdout).tiles[0].steps.length <= 2);
  r = run('encode', 'fixtures/chelsea-32.png', '-o', join(dir, 'x.ddpm'), '--model', model, '--x0-passes', '0,4');
  t.not(r.status, 0);
  t.regex(r.stderr, /strictly decreasing/);
});

test('bad input: one-line message, non-zero exit, nothing written', (t) => {
  const junk = join(dir, 'junk.ddpm');
  writeFileSync(junk, 'this is not a ddpm file');
  for (const args of [
    ['decode', junk, '-o', join(dir, 'x.png'), '--model', model],
    ['decode', 'fixtures/chelsea-32.png', '-o', join(dir, 'y.png'), '--model', model],
    ['encode', 'does-not-exist.png', '-o', join(dir, 'z.ddpm'), '--model', model],
    ['encode', 'fixtures/chelsea-32.png', '-o', join(dir, 'w.ddpm'), '--model', junk],
    ['decode', junk, '-o', join(dir, 'v.png'), '--recon', 'magic'],
    ['frobnicate'],
  ]) {
    const r = run(...args);
    t.not(r.status, 0, args.join(' '));
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.regex(r.stderr, /^ddpm: /);
  }
  for (const f of ['x.png', 'y.png', 'z.ddpm', 'w.ddpm', 'v.png']) t.false(existsSync(join(dir, f)));
});

test('bound (with calibration), schedule and sample run on a tiny model', (t) => {
  const m2 = join(dir, 'tiny2.ddpm-model');
  writeFileSync(m2, serializeModel(tinyModel(3)));
  let r = run('bound', '--data', 'fixtures', '--model', m2, '--size', '16', '--limit', '2', '--strata', '4', '--steps', '3', '--calibrate', '--json');
  t.is(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  for (const v of ['upper', 'lower', 'analytic']) t.true(rep[v].fullT.bitsPerDim > 0 && rep[v].coding.bitsPerDim > 0, v);
  // both rewrite a model file, so only one the user named
  for (const args of [['schedule', '--data', 'fixtures'], ['bound', '--data', 'fixtures', '--calibrate']]) {
    const bad = run(...args);
    t.not(bad.status, 0);
    t.regex(bad.stderr, /name it with --model/);
  }
  const hashBefore = parseModel(readFileSync(m2)).sha256;
  r = run('schedule', '--data', 'fixtures', '--model', m2, '--size', '16', '--limit', '2', '--grid', '8');
  t.is(r.status, 0, r.stderr);
  const stored = parseModel(readFileSync(m2));
  t.is(stored.sha256, hashBefore, 'storing the schedule keeps the model identity');
  t.is(r.stdout.match(/coding candidates: ([\d ]+)/)?.[1], stored.codingSchedule?.join(' '));
  r = run('sample', '-o', join(dir, 'grid.png'), '--model', m2, '--n', '2', '--size', '8', '--steps', '2');
  t.is(r.status, 0, r.stderr);
  t.true(existsSync(join(dir, 'grid.png')));
});
