// The instrumented tree: a copy of the project with models/ replaced by the instrumented
// files, built once with the project's own tsconfig.build.json. Type checks are off in the copy
// (`// @ts-nocheck`, as Stryker's sandbox does): a mutant switch widens inferred types, and the
// real tree is type-checked by `npm run build` before any of this runs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { disableTypeChecks } from '@stryker-mutator/instrumenter';

/** Non-model files the build needs, copied as they are (src/ is copied whole). */
const COPIED = ['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];

function tsFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFilesUnder(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

async function noCheck(file: string, content: string): Promise<string> {
  return (await disableTypeChecks({ name: file, content, mutate: false }, { plugins: null })).content;
}

/** Writes the sandbox in `dir` (emptied first) and compiles it; returns the built CLI's path. */
export async function buildSandbox(root: string, dir: string, models: ReadonlyMap<string, string>): Promise<string> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const name of COPIED) fs.cpSync(path.join(root, name), path.join(dir, name), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  for (const file of tsFilesUnder(path.join(dir, 'src'))) fs.writeFileSync(file, await noCheck(file, fs.readFileSync(file, 'utf8')));
  for (const [name, content] of models) {
    const target = path.join(dir, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, await noCheck(name, content));
  }
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the instrumented tree in ${dir} does not build:\n${(r.stdout + r.stderr).split('\n').slice(0, 20).join('\n')}`);
  return path.join(dir, 'dist', 'src', 'cli', 'main.js');
}
