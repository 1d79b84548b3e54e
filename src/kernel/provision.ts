// `msi-fuzz kernel`: provision the pinned kernels (fetch, unpack, add our suite, build) or a
// developer's own tree (add our suite, build out of tree), reusing whatever the cache holds.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../cli/errors';
import { PrivateApt } from './apt';
import { buildKernel } from './build';
import { ProvisionError, runSync } from './exec';
import { checkHost, installLine } from './host-tools';
import { layout } from './paths';
import { KERNEL_PINS, type KernelPin } from './pins';
import { notice } from './progress';
import { readRecord, writeRecord, type KernelRecord } from './record';
import { resolveVersion } from './resolve';
import { installSuite, suiteHash } from './suite';
import { modelRevisionForVersion } from './tree-version';
import { unpackSource } from './unpack';

export interface ProvisionOptions {
  readonly cache: string;
  readonly jobs: number;
}

/** Fails with the one apt-get line when the build's system packages are missing. */
export function requireHostTools(): void {
  const h = checkHost();
  if (h.missingTools.length > 0) throw new ProvisionError(`a kernel build needs ${h.missingTools.join(', ')}, which this machine lacks`);
  if (h.missingPackages.length > 0) {
    throw new UsageError(`a kernel build needs ${h.missingPackages.join(', ')}; install with: ${installLine(h.missingPackages)}`);
  }
}

/** Brings the record's binary up to date with the suite (an incremental build), or returns it as is. */
async function ensureBuilt(rec: KernelRecord, opts: ProvisionOptions, label: string): Promise<{ rec: KernelRecord; built: boolean }> {
  const hash = suiteHash();
  if (rec.suiteHash === hash && fs.existsSync(rec.binary)) return { rec, built: false };
  requireHostTools();
  const installed = installSuite(rec.tree);
  const b = await buildKernel(rec.tree, rec.build, { jobs: opts.jobs, expectedSteps: rec.buildSteps, label });
  const next: KernelRecord = { ...rec, suiteHash: installed, lastBuildSeconds: b.seconds, buildSteps: Math.max(rec.buildSteps, b.steps), builtAt: new Date().toISOString() };
  writeRecord(opts.cache, next);
  return { rec: next, built: true };
}

export interface ProvisionResult {
  readonly record: KernelRecord;
  /** What this run did: nothing, rebuilt the suite, or fetched and built from scratch. */
  readonly action: 'reused' | 'rebuilt' | 'fetched';
  readonly notice: string | null;
}

/** One pinned Debian kernel. */
export async function provisionPinned(pin: KernelPin, opts: ProvisionOptions): Promise<ProvisionResult> {
  const old = readRecord(opts.cache, pin.name);
  if (old !== null && old.pin === pin.version && fs.existsSync(path.join(old.tree, 'Makefile'))) {
    const { rec, built } = await ensureBuilt(old, opts, `build ${old.pkg} ${old.version}`);
    return { record: rec, action: built ? 'rebuilt' : 'reused', notice: null };
  }
  requireHostTools();
  const apt = new PrivateApt(layout.apt(opts.cache));
  apt.configure(KERNEL_PINS);
  apt.update();
  const res = resolveVersion(apt, pin);
  if (res.notice !== null) notice(res.notice);
  const id = `${pin.pkg}_${res.version}`;
  const deb = await apt.download(pin.pkg, res.version, layout.debs(opts.cache));
  const tree = await unpackSource(deb, pin.pkg, layout.source(opts.cache, id));
  fs.rmSync(deb, { force: true });
  const installed = installSuite(tree);
  const build = layout.build(opts.cache, id);
  const b = await buildKernel(tree, build, { jobs: opts.jobs, label: `build ${pin.pkg} ${res.version}` });
  const rec: KernelRecord = {
    name: pin.name,
    pkg: pin.pkg,
    version: res.version,
    pin: pin.version,
    modelRevision: pin.modelRevision,
    tree,
    build,
    binary: path.join(build, 'linux'),
    suiteHash: installed,
    coldBuildSeconds: b.seconds,
    lastBuildSeconds: b.seconds,
    buildSteps: b.steps,
    builtAt: new Date().toISOString(),
  };
  writeRecord(opts.cache, rec);
  return { record: rec, action: 'fetched', notice: res.notice };
}

/** The record name of a developer's tree: stable per absolute path. */
export function treeRecordName(tree: string): string {
  return `tree-${createHash('sha256').update(path.resolve(tree)).digest('hex').slice(0, 10)}`;
}

/** A developer's own kernel tree: our suite goes in (three paths, see suite.ts), the build goes to the cache. */
export async function provisionTree(treeArg: string, opts: ProvisionOptions): Promise<ProvisionResult> {
  const tree = path.resolve(treeArg);
  if (!fs.existsSync(path.join(tree, 'Makefile')) || !fs.existsSync(path.join(tree, 'kernel', 'irq', 'msi.c'))) {
    throw new UsageError(`--tree: ${treeArg} is not a Linux source tree (no kernel/irq/msi.c)`);
  }
  const name = treeRecordName(tree);
  const kv = runSync('make', ['-s', 'kernelversion'], { cwd: tree });
  const version = kv.code === 0 ? kv.stdout.trim() : 'unknown';
  const modelRevision = modelRevisionForVersion(version);
  if (modelRevision === null) throw new UsageError(`--tree: kernel ${version} is older than v6.12, the oldest core the model and the suite follow`);
  const old = readRecord(opts.cache, name);
  const base: KernelRecord = {
    name,
    pkg: null,
    version,
    pin: null,
    modelRevision,
    tree,
    build: layout.build(opts.cache, name),
    binary: path.join(layout.build(opts.cache, name), 'linux'),
    suiteHash: old?.version === version ? old.suiteHash : '',
    coldBuildSeconds: old?.coldBuildSeconds ?? null,
    lastBuildSeconds: old?.lastBuildSeconds ?? 0,
    buildSteps: old?.buildSteps ?? 0,
    builtAt: old?.builtAt ?? '',
  };
  // A tree changes under us (the developer edits it): always let make decide what to rebuild.
  requireHostTools();
  const installed = installSuite(tree);
  const b = await buildKernel(tree, base.build, { jobs: opts.jobs, label: `build ${version} (${tree})`, ...(base.buildSteps > 0 ? { expectedSteps: base.buildSteps } : {}) });
  const rec: KernelRecord = {
    ...base,
    suiteHash: installed,
    coldBuildSeconds: base.coldBuildSeconds ?? b.seconds,
    lastBuildSeconds: b.seconds,
    buildSteps: Math.max(base.buildSteps, b.steps),
    builtAt: new Date().toISOString(),
  };
  writeRecord(opts.cache, rec);
  return { record: rec, action: 'rebuilt', notice: null };
}

/** The provisioned kernel `name` brought up to date with the suite, or a UsageError naming the command to run. */
export async function provisionedKernel(name: string, opts: ProvisionOptions): Promise<KernelRecord> {
  const rec = readRecord(opts.cache, name);
  if (rec === null || !fs.existsSync(rec.tree)) {
    throw new UsageError(`--kernel ${name}: not provisioned in ${opts.cache}; run: msi-fuzz kernel --kernel ${name}`);
  }
  return (await ensureBuilt(rec, opts, `build ${rec.pkg ?? rec.tree} ${rec.version}`)).rec;
}
