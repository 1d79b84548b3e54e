// Which mutants `npm run mutate` leaves out: those that can only change text a person reads.
// The invariants read model state and the kinds of the kernel's reports, never a message
// (src/invariants/reports.ts prints `site: message` but decides on `kind`), dmesg is never
// read, and patch/revision/fault-site descriptions are only printed by `msi-fuzz list`.
// Mutating such text gives a mutant nothing could ever kill, so counting it would only dilute
// the score. Everything else, including the kind and site strings of a report, stays in.

/** The slice of a Babel NodePath this ignorer reads (the API types NodePath as opaque). */
interface PathLike {
  readonly node: { readonly type: string };
  readonly parentPath: PathLike | null;
  readonly key: string | number | null;
  readonly listKey?: string | undefined;
}

interface CalleeLike {
  readonly type: string;
  readonly name?: string;
  readonly property?: { readonly type: string; readonly name?: string };
}

/** Calls whose argument at this index is only a message: printk(line), warn(site, msg), report(kind, site, msg), new KernelOops(site, detail). */
const MESSAGE_ARGUMENT: Readonly<Record<string, number | 'all'>> = {
  printk: 'all',
  warn: 1,
  report: 2,
  KernelOops: 1,
};

/** Object properties that only `msi-fuzz list` and the HTML report print. */
const DOCUMENTARY_KEYS: ReadonlySet<string> = new Set(['title', 'summary', 'description', 'link']);

function calleeName(callee: CalleeLike): string | undefined {
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression' && callee.property?.type === 'Identifier') return callee.property.name;
  return undefined;
}

/** Why the text at `path` can only reach a person, or undefined if it may reach a decision. */
export function textOnlyReason(path: PathLike): string | undefined {
  const t = path.node.type;
  if (t !== 'StringLiteral' && t !== 'TemplateLiteral') return undefined;
  const parent = path.parentPath;
  if (parent === null) return undefined;
  const p = parent.node as { type: string; callee?: CalleeLike; key?: { type: string; name?: string; value?: string }; computed?: boolean };
  if ((p.type === 'CallExpression' || p.type === 'NewExpression') && path.listKey === 'arguments' && p.callee !== undefined) {
    const name = calleeName(p.callee);
    const which = name === undefined ? undefined : MESSAGE_ARGUMENT[name];
    if (which === 'all' || which === path.key) return `text only: message argument of ${name}()`;
  }
  if (p.type === 'ObjectProperty' && path.key === 'value' && p.computed !== true && p.key !== undefined) {
    const key = p.key.type === 'Identifier' ? p.key.name : p.key.value;
    if (key !== undefined && DOCUMENTARY_KEYS.has(key)) return `text only: documentary property '${key}'`;
  }
  return undefined;
}

/** The ignorer handed to the Stryker instrumenter (its Ignorer API); it also skips every mutant nested in the text. */
export const textOnlyIgnorer = {
  shouldIgnore: (path: object): string | undefined => textOnlyReason(path as PathLike),
};
