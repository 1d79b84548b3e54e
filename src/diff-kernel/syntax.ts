// How kernel ops are written: in repro files as calls (`msi_domain_alloc_irqs_range(dev0, 0, 0, 3)`),
// and on the UML kernel command line in the compact form kunit/mf_replay.c parses (`L0,0,0,3`).
import { MAX_DEVS, PARENTS, PCI_IRQ_MSI, PCI_IRQ_MSIX, pciFlagsText, type KernelOp, type ParentName } from '../../models/platforms/kunit-fake/ops';
import { UsageError } from '../cli/errors';

const U32 = 0xffff_ffff;

/** The op as a repro line. */
export function formatOp(o: KernelOp): string {
  switch (o.op) {
    case 'dev_add':
      return `dev_add(dev${o.dev}, ${o.bus}, ${o.parent})`;
    case 'dev_del':
    case 'platform_device_msi_free_irqs_all':
      return `${o.op}(dev${o.dev})`;
    case 'msi_create_device_irq_domain':
      return `${o.op}(dev${o.dev}, ${o.domid}, hwsize=${o.hwsize})`;
    case 'msi_remove_device_irq_domain':
    case 'msi_domain_free_irqs_all':
      return `${o.op}(dev${o.dev}, ${o.domid})`;
    case 'msi_domain_alloc_irqs_range':
    case 'msi_domain_free_irqs_range':
      return `${o.op}(dev${o.dev}, ${o.domid}, ${o.first}, ${o.last})`;
    case 'msi_domain_alloc_irq_at':
      return `${o.op}(dev${o.dev}, ${o.domid}, ${o.index === 'any' ? 'MSI_ANY_INDEX' : o.index})`;
    case 'platform_device_msi_init_and_alloc_irqs':
      return `${o.op}(dev${o.dev}, ${o.nvec})`;
    case 'pci_dev_add':
      return `${o.op}(dev${o.dev}, msi=${o.msi}, msix=${o.msix}, ${o.parent})`;
    case 'pci_alloc_irq_vectors':
      return `${o.op}(dev${o.dev}, ${o.min}, ${o.max}, ${pciFlagsText(o.flags).split('|').map((f) => `PCI_IRQ_${f}`).join(' | ')})`;
    case 'pci_free_irq_vectors':
      return `${o.op}(dev${o.dev})`;
    case 'pci_msix_alloc_irq_at':
      return `${o.op}(dev${o.dev}, ${o.index === 'any' ? 'MSI_ANY_INDEX' : o.index})`;
    case 'pci_msix_free_irq':
      return `${o.op}(dev${o.dev}, ${o.index})`;
  }
}

/** The op in mf_replay.c's syntax. */
export function encodeOp(o: KernelOp): string {
  switch (o.op) {
    case 'dev_add':
      return `A${o.dev},${o.bus === 'platform' ? 1 : 0},${PARENTS.indexOf(o.parent)}`;
    case 'dev_del':
      return `D${o.dev}`;
    case 'msi_create_device_irq_domain':
      return `C${o.dev},${o.domid},${o.hwsize}`;
    case 'msi_remove_device_irq_domain':
      return `R${o.dev},${o.domid}`;
    case 'msi_domain_alloc_irqs_range':
      return `L${o.dev},${o.domid},${o.first},${o.last}`;
    case 'msi_domain_free_irqs_range':
      return `F${o.dev},${o.domid},${o.first},${o.last}`;
    case 'msi_domain_alloc_irq_at':
      return `T${o.dev},${o.domid},${o.index === 'any' ? -1 : o.index}`;
    case 'msi_domain_free_irqs_all':
      return `X${o.dev},${o.domid}`;
    case 'platform_device_msi_init_and_alloc_irqs':
      return `P${o.dev},${o.nvec}`;
    case 'platform_device_msi_free_irqs_all':
      return `Q${o.dev}`;
    case 'pci_dev_add':
      return `B${o.dev},${o.msi},${o.msix},${PARENTS.indexOf(o.parent)}`;
    case 'pci_alloc_irq_vectors':
      return `V${o.dev},${o.min},${o.max},${o.flags}`;
    case 'pci_free_irq_vectors':
      return `W${o.dev}`;
    case 'pci_msix_alloc_irq_at':
      return `Y${o.dev},${o.index === 'any' ? -1 : o.index}`;
    case 'pci_msix_free_irq':
      return `Z${o.dev},${o.index}`;
  }
}

export function encodeOps(ops: readonly KernelOp[]): string {
  return ops.map(encodeOp).join(';');
}

/** Where a parse error points: FILE:LINE:COL. */
interface Pos {
  readonly file: string;
  readonly line: number;
}

function fail(pos: Pos, col: number, msg: string): never {
  throw new UsageError(`${pos.file}:${pos.line}:${col}: ${msg}`);
}

const ARITY: Record<KernelOp['op'], number> = {
  dev_add: 3,
  dev_del: 1,
  msi_create_device_irq_domain: 3,
  msi_remove_device_irq_domain: 2,
  msi_domain_alloc_irqs_range: 4,
  msi_domain_free_irqs_range: 4,
  msi_domain_alloc_irq_at: 3,
  msi_domain_free_irqs_all: 2,
  platform_device_msi_init_and_alloc_irqs: 2,
  platform_device_msi_free_irqs_all: 1,
  pci_dev_add: 4,
  pci_alloc_irq_vectors: 4,
  pci_free_irq_vectors: 1,
  pci_msix_alloc_irq_at: 2,
  pci_msix_free_irq: 2,
};

/** Parses one repro line (without comments); `col0` is the column the text starts at. */
export function parseOp(text: string, pos: Pos, col0 = 1): KernelOp {
  const m = /^\s*([a-z_]+)\s*\((.*)\)\s*$/.exec(text);
  if (m === null) fail(pos, col0, `expected an op like msi_domain_alloc_irqs_range(dev0, 0, 0, 3), got '${text.trim()}'`);
  const name = m[1] as string;
  if (!(name in ARITY)) fail(pos, col0 + text.indexOf(name), `unknown op '${name}' (known: ${Object.keys(ARITY).join(', ')})`);
  const op = name as KernelOp['op'];
  const argsText = m[2] as string;
  const args = argsText.trim() === '' ? [] : argsText.split(',').map((a) => a.trim());
  const argCol = (i: number): number => col0 + text.indexOf('(') + 1 + argsText.split(',').slice(0, i).join(',').length + (i > 0 ? 1 : 0);
  if (args.length !== ARITY[op]) fail(pos, col0 + text.indexOf('('), `${op} takes ${ARITY[op]} arguments, got ${args.length}`);
  const dev = (i: number): number => {
    const d = /^dev(\d+)$/.exec(args[i] as string);
    if (d === null || Number(d[1]) >= MAX_DEVS) fail(pos, argCol(i), `expected a device dev0..dev${MAX_DEVS - 1}, got '${args[i]}'`);
    return Number(d[1]);
  };
  const num = (i: number, prefix = ''): number => {
    let a = args[i] as string;
    if (prefix !== '') {
      if (!a.startsWith(prefix)) fail(pos, argCol(i), `expected ${prefix}N, got '${a}'`);
      a = a.slice(prefix.length);
    }
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(a) || Number(a) > U32) fail(pos, argCol(i), `expected an unsigned 32-bit number, got '${args[i]}'`);
    return Number(a);
  };
  switch (op) {
    case 'dev_add': {
      const bus = args[1];
      if (bus !== 'kunit' && bus !== 'platform') fail(pos, argCol(1), `expected kunit or platform, got '${bus}'`);
      const parent = args[2] as string;
      if (!(PARENTS as readonly string[]).includes(parent)) fail(pos, argCol(2), `expected a parent (${PARENTS.join(', ')}), got '${parent}'`);
      return { op, dev: dev(0), bus, parent: parent as ParentName };
    }
    case 'dev_del':
    case 'platform_device_msi_free_irqs_all':
      return { op, dev: dev(0) };
    case 'msi_create_device_irq_domain':
      return { op, dev: dev(0), domid: num(1), hwsize: num(2, 'hwsize=') };
    case 'msi_remove_device_irq_domain':
    case 'msi_domain_free_irqs_all':
      return { op, dev: dev(0), domid: num(1) };
    case 'msi_domain_alloc_irqs_range':
    case 'msi_domain_free_irqs_range':
      return { op, dev: dev(0), domid: num(1), first: num(2), last: num(3) };
    case 'msi_domain_alloc_irq_at':
      return { op, dev: dev(0), domid: num(1), index: args[2] === 'MSI_ANY_INDEX' ? 'any' : num(2) };
    case 'platform_device_msi_init_and_alloc_irqs':
      return { op, dev: dev(0), nvec: num(1) };
    case 'pci_dev_add': {
      const parent = args[3] as string;
      if (!(PARENTS as readonly string[]).includes(parent)) fail(pos, argCol(3), `expected a parent (${PARENTS.join(', ')}), got '${parent}'`);
      return { op, dev: dev(0), msi: num(1, 'msi='), msix: num(2, 'msix='), parent: parent as ParentName };
    }
    case 'pci_alloc_irq_vectors': {
      let flags = 0;
      for (const f of (args[3] as string).split('|').map((x) => x.trim())) {
        if (f === 'PCI_IRQ_MSI') flags |= PCI_IRQ_MSI;
        else if (f === 'PCI_IRQ_MSIX') flags |= PCI_IRQ_MSIX;
        else fail(pos, argCol(3), `expected PCI_IRQ_MSI, PCI_IRQ_MSIX or both joined by '|', got '${f}'`);
      }
      return { op, dev: dev(0), min: num(1), max: num(2), flags };
    }
    case 'pci_free_irq_vectors':
      return { op, dev: dev(0) };
    case 'pci_msix_alloc_irq_at':
      return { op, dev: dev(0), index: args[1] === 'MSI_ANY_INDEX' ? 'any' : num(1) };
    case 'pci_msix_free_irq':
      return { op, dev: dev(0), index: num(1) };
  }
}
