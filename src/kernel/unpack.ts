// From a linux-source .deb to a source tree: dpkg -x takes out the tarball Debian ships in
// /usr/src, tar unpacks it. The tree appears under its final name only once complete, so an
// interrupted run starts the unpack again instead of building half a tree.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mustRun, ProvisionError } from './exec';
import { phase } from './progress';

/** Unpacks `deb` so that `<dest>/<pkg>` is the kernel tree; returns that path. */
export async function unpackSource(deb: string, pkg: string, dest: string): Promise<string> {
  const partial = `${dest}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  const x = path.join(partial, 'deb');
  mustRun(`dpkg -x ${path.basename(deb)}`, 'dpkg', ['-x', deb, x]);
  const tarball = path.join(x, 'usr', 'src', `${pkg}.tar.xz`);
  if (!fs.existsSync(tarball)) throw new ProvisionError(`${path.basename(deb)} has no usr/src/${pkg}.tar.xz`);
  await untar(tarball, partial, `unpack ${pkg}`);
  fs.rmSync(x, { recursive: true, force: true });
  const tree = path.join(partial, pkg);
  if (!fs.existsSync(path.join(tree, 'Makefile'))) throw new ProvisionError(`${path.basename(tarball)} did not unpack to ${pkg}/`);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.renameSync(partial, dest);
  return path.join(dest, pkg);
}

/** tar -xJ fed from a read stream, so the bar can count compressed bytes. */
function untar(tarball: string, into: string, label: string): Promise<void> {
  const total = fs.statSync(tarball).size;
  const bar = phase(label, Math.round(total / 1e6), 'MB');
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-xJf', '-', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    let read = 0;
    tar.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const input = fs.createReadStream(tarball);
    input.on('data', (c: Buffer | string) => {
      read += c.length;
      bar.update(Math.round(read / 1e6));
    });
    input.pipe(tar.stdin);
    tar.on('error', (e) => reject(new ProvisionError(`tar: ${e.message}`)));
    tar.on('close', (code) => {
      if (code !== 0) return reject(new ProvisionError(`tar -xJf ${path.basename(tarball)} failed: ${err.trim().split('\n').pop() ?? ''}`));
      bar.done(`${Math.round(total / 1e6)} MB`);
      resolve();
    });
  });
}
