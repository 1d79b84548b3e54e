// fail_next(site[, nth=N]): the N-th call (0 = the next) of a kernel or firmware allocation
// site fails, the way the kernel's fault-injection framework would make it fail.
import { checkArgs, int, named, positional } from '../args';
import { ArgError, type CommandSpec } from '../spec';
import { pick } from '../rng';
import { clip } from '../../text';

export const failNextCmd: CommandSpec<'fail_next'> = {
  kind: 'fail_next',
  summary: 'fail_next(site, nth=N): make the N-th next call of an allocation or firmware site fail',
  weight: 1,
  valid: (c, s, ctx) => ctx.faultSites.includes(c.site) && !s.armed.has(c.site) && c.nth >= 0 && c.nth <= 64,
  invalid(c, s, ctx) {
    if (!ctx.faultSites.includes(c.site)) return `no fault site ${c.site} on this platform with these fault classes (msi-fuzz list)`;
    if (s.armed.has(c.site)) return `fault site ${c.site} is already armed`;
    if (c.nth < 0 || c.nth > 64) return `nth=${c.nth}: 0 to 64`;
    return null;
  },
  generate(s, rng, ctx) {
    const sites = ctx.faultSites.filter((x) => !s.armed.has(x));
    if (sites.length === 0) return null;
    return { kind: 'fail_next', site: pick(rng, sites), nth: pick(rng, [0, 0, 1, 2]) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    sim.kernel.faults.arm(c.site, c.nth);
    return { ret: null };
  },
  update(c, _o, s) {
    s.armed.add(c.site);
  },
  format: (c) => (c.nth === 0 ? [c.site] : [c.site, `nth=${c.nth}`]),
  parse(args) {
    checkArgs(args, 1, ['nth']);
    const site = positional(args, 0, 'fault site', 1);
    if (!/^[a-z_][a-z0-9_.,-]*$/i.test(site.value)) throw new ArgError(`expected a fault site name, got '${clip(site.value)}'`, site.col);
    const nth = named(args, 'nth');
    return { kind: 'fail_next', site: site.value, nth: nth === undefined ? 0 : int(nth, 'nth') };
  },
  simplify: (c) => (c.nth > 0 ? [{ ...c, nth: 0 }] : []),
};
