// `msi-fuzz export --kunit FILE.repro`: a kernel repro as a KUnit case (src/diff-kernel/export-kunit.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { caseName, exportKunit } from '../diff-kernel/export-kunit';
import { readKernelRepro } from '../diff-kernel/repro';
import { KUNIT_FAKE_REVISIONS } from '../../models/platforms/kunit-fake/revisions';
import { resolveRevision, RevisionError } from '../revision';
import { UsageError } from './errors';

export interface ExportOptions {
  readonly kunit?: string;
  readonly out?: string;
  readonly name?: string;
  readonly revision?: string;
}

const KUNIT_FAKE = { name: 'kunit-fake', revisions: KUNIT_FAKE_REVISIONS, currentRevision: 'kernel-7.2', patches: [] } as const;

/** Writes the C case to --out (or stdout); exit 0, or 2 on bad input. */
export function cmdExport(o: ExportOptions): number {
  if (o.kunit === undefined) throw new UsageError('--kunit: required (the kernel repro to export)');
  const repro = readKernelRepro(o.kunit);
  let revision;
  try {
    revision = resolveRevision(KUNIT_FAKE, o.revision ?? repro.model);
  } catch (e) {
    if (e instanceof RevisionError) throw new UsageError(`${o.revision !== undefined ? '--revision' : `${o.kunit}: model`}: ${e.message}`);
    throw e;
  }
  const name = o.name !== undefined ? caseName(o.name) : caseName(path.basename(o.kunit));
  const text = exportKunit({ repro, revision, name, source: path.basename(o.kunit) });
  if (o.out === undefined) process.stdout.write(text);
  else {
    try {
      fs.writeFileSync(o.out, text);
    } catch (e) {
      throw new UsageError(`--out: cannot write ${o.out} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    process.stderr.write(`msi-fuzz: wrote ${o.out} (KUnit suite msi_fuzz_export_${name})\n`);
  }
  return 0;
}
