// A private apt configuration: its own sources.list, package lists and archive cache under
// the msi-fuzz cache, passed to apt-get/apt-cache with -o options. The system's apt sources,
// lists and caches are never read for packages nor written.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lastLine, mustRun, ProvisionError, runStreaming, runSync } from './exec';
import { phase } from './progress';
import type { KernelPin } from './pins';

/** The Debian mirrors the system already uses (deb822 or one-line sources), else deb.debian.org. */
export function systemMirrors(): { debian: string; security: string } {
  const uris: string[] = [];
  const texts: string[] = [];
  for (const f of ['/etc/apt/sources.list']) if (fs.existsSync(f)) texts.push(fs.readFileSync(f, 'utf8'));
  const dir = '/etc/apt/sources.list.d';
  if (fs.existsSync(dir)) {
    for (const f of fs.readdirSync(dir)) if (/\.(list|sources)$/.test(f)) texts.push(fs.readFileSync(path.join(dir, f), 'utf8'));
  }
  for (const t of texts) {
    for (const m of t.matchAll(/^\s*URIs:\s*(.+)$/gm)) uris.push(...(m[1] as string).trim().split(/\s+/));
    for (const m of t.matchAll(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gm)) uris.push(m[1] as string);
  }
  const clean = uris.map((u) => u.replace(/\/+$/, '')).filter((u) => /^https?:\/\//.test(u));
  return {
    debian: clean.find((u) => u.endsWith('/debian')) ?? 'http://deb.debian.org/debian',
    security: clean.find((u) => u.endsWith('/debian-security')) ?? 'http://deb.debian.org/debian-security',
  };
}

export class PrivateApt {
  constructor(readonly dir: string) {}

  /** Writes sources.list with every suite any pin may need. */
  configure(pins: readonly KernelPin[]): void {
    const m = systemMirrors();
    const lines = new Set<string>();
    for (const p of pins) for (const s of p.suites) lines.add(`deb ${s.uri === 'debian' ? m.debian : m.security} ${s.suite} main`);
    for (const d of ['lists/partial', 'cache/archives/partial']) fs.mkdirSync(path.join(this.dir, d), { recursive: true });
    fs.writeFileSync(path.join(this.dir, 'sources.list'), [...lines].join('\n') + '\n');
  }

  /** The -o options that point apt at this configuration only. */
  options(): string[] {
    const o = [
      `Dir::Etc::sourcelist=${path.join(this.dir, 'sources.list')}`,
      'Dir::Etc::sourceparts=-',
      `Dir::State::Lists=${path.join(this.dir, 'lists')}`,
      `Dir::Cache=${path.join(this.dir, 'cache')}`,
      'Acquire::Languages=none',
      'APT::Get::List-Cleanup=0',
    ];
    // As root apt hands downloads to the _apt user, who cannot write into a home directory.
    if (process.getuid !== undefined && process.getuid() === 0) o.push('APT::Sandbox::User=root');
    return o.flatMap((x) => ['-o', x]);
  }

  update(): void {
    mustRun('apt-get update (private sources)', 'apt-get', [...this.options(), '-qq', 'update']);
  }

  /** Every version of `pkg` the configured suites carry, newest first. */
  versions(pkg: string): string[] {
    const r = runSync('apt-cache', [...this.options(), 'madison', pkg]);
    if (r.code !== 0) return [];
    const vs = new Set<string>();
    for (const line of r.stdout.split('\n')) {
      const cols = line.split('|').map((c) => c.trim());
      if (cols[0] === pkg && cols[1] !== undefined && cols[1] !== '') vs.add(cols[1]);
    }
    return [...vs].sort((a, b) => compareDebVersions(b, a));
  }

  /** Source packages named linux-source-N.M the archive has now (for the "series gone" message). */
  kernelSeries(): string[] {
    const r = runSync('apt-cache', [...this.options(), 'pkgnames', 'linux-source-']);
    return r.stdout.split('\n').filter((n) => /^linux-source-\d+\.\d+$/.test(n)).sort();
  }

  /** Size in bytes of `pkg=version`'s .deb, from the package lists (0 if unknown). */
  debSize(pkg: string, version: string): number {
    const r = runSync('apt-cache', [...this.options(), 'show', `${pkg}=${version}`]);
    const m = /^Size:\s*(\d+)/m.exec(r.stdout);
    return m === null ? 0 : Number(m[1]);
  }

  /** Downloads `pkg=version` into `dest` (a bar polls the growing file); returns the .deb's path. */
  async download(pkg: string, version: string, dest: string): Promise<string> {
    fs.mkdirSync(dest, { recursive: true });
    const file = path.join(dest, debFileName(pkg, version));
    const size = this.debSize(pkg, version);
    const bar = phase(`download ${pkg} ${version}`, Math.round(size / 1e6), 'MB');
    const poll = setInterval(() => bar.update(Math.round(grownBytes(dest, pkg) / 1e6)), 300);
    try {
      const r = await runStreaming('apt-get', [...this.options(), '-qq', 'download', `${pkg}=${version}`], () => undefined, { cwd: dest });
      if (r.code !== 0) throw new ProvisionError(`apt-get download ${pkg}=${version} failed: ${lastLine(r.tail.join('\n'))}`);
    } finally {
      clearInterval(poll);
    }
    if (!fs.existsSync(file)) throw new ProvisionError(`apt-get download ${pkg}=${version}: ${path.basename(file)} did not appear in ${dest}`);
    bar.done(`${Math.round(fs.statSync(file).size / 1e6)} MB`);
    return file;
  }
}

/** Bytes written so far to files of `pkg` in `dir` (apt writes the .deb in place). */
function grownBytes(dir: string, pkg: string): number {
  let n = 0;
  for (const f of fs.readdirSync(dir)) if (f.startsWith(`${pkg}_`)) n += fs.statSync(path.join(dir, f)).size;
  return n;
}

/** The file name apt gives a downloaded .deb (an epoch's ':' is written %3a). */
export function debFileName(pkg: string, version: string): string {
  return `${pkg}_${version.replace(/:/g, '%3a')}_all.deb`;
}

/** dpkg --compare-versions as a comparator. */
export function compareDebVersions(a: string, b: string): number {
  if (a === b) return 0;
  return runSync('dpkg', ['--compare-versions', a, 'lt', b]).code === 0 ? -1 : 1;
}
