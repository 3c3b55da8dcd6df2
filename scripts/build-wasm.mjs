#!/usr/bin/env node
// Compiles every AssemblyScript kernel, src/**/wasm/<name>.as.ts, to dist/src/**/wasm/<name>.wasm
// (128-bit SIMD, no runtime, no assertions). Run by `npm run build`.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const asc = join('node_modules', '.bin', 'asc');
const sources = [];
const walk = (dir) => {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.as.ts') && dir.endsWith('wasm')) sources.push(p);
  }
};
walk('src');
for (const src of sources.sort()) {
  const out = join('dist', src.replace(/\.as\.ts$/, '.wasm'));
  execFileSync(asc, [src, '-O3', '--runtime', 'stub', '--enable', 'simd', '--noAssert', '--outFile', out], { stdio: 'inherit' });
  console.log(`${src} -> ${out}`);
}
