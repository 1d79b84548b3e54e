// KVM guests with GICv4.1 on the ARM64 server machines (gic-v3-its-dt, gic-v3-its-acpi):
//   vgic_v4_init(vm0, vcpus=N)                        KVM creates the VM's vPEs: a vPE domain, one doorbell per vCPU, each requested
//   kvm_vgic_v4_set_forwarding(dev, vec=N, vm=vm0, vcpu=M)  a passed-through vector becomes a vLPI of vCPU M (its_map_vlpi())
//   kvm_vgic_v4_unset_forwarding(dev, vec=N)          ... and a host LPI again (its_unmap_vlpi())
//   vgic_v4_teardown(vm0)                             the VM goes: its forwarded vectors are unset (irqfd release), then its vPEs
// A forwarded vector keeps the host handler VFIO requested for it; VFIO unregisters the bypass
// producer (unset forwarding) before free_irq(), so free_irq waits for the unset here, and an
// interrupt the device raises on it is the guest's (the host owes nothing).
import { PciDev } from '../../../models/kernel/device';
import { EINVAL } from '../../../models/kernel/errno';
import { ITS_SERVER_PLATFORMS, ItsServerPlatform } from '../../../models/platforms/gic-v3-its-server';
import type { AbstractState } from '../../abstract/state';
import type { Simulation } from '../../sim/simulation';
import { checkArgs, deviceName, named, positional, requiredInt } from '../args';
import { ArgError } from '../spec';
import { pick } from '../rng';
import { noDevice } from './common';
import type { AnySpec, Arg, CommandSpec, VocabContext } from '../spec';

/** How many VMs the driver's view runs at once, and their largest vCPU count. */
const MAX_VMS = 3;
const MAX_VCPUS = 4;

const SERVERS: readonly string[] = ITS_SERVER_PLATFORMS.map((p) => p.name);
const onServer = (ctx: VocabContext): boolean => SERVERS.includes(ctx.platform);

/** What userspace (the VMM) knows: its VMs and which device vectors it forwarded to which VM. */
interface KvmView {
  /** VM name -> vCPUs, for the VMs whose vgic_v4_init() succeeded. */
  readonly vms: Map<string, number>;
  /** Device -> vector -> VM. */
  readonly forwarded: Map<string, Map<number, string>>;
}

function view(s: AbstractState): KvmView {
  let v = s.extra.get('kvm') as KvmView | undefined;
  if (v === undefined) s.extra.set('kvm', (v = { vms: new Map(), forwarded: new Map() }));
  return v;
}

/** Is vector `vec` of `dev` a vLPI of some guest now (its host irq forwarded to a vCPU)? */
export function isForwarded(s: AbstractState, dev: string, vec: number): boolean {
  return (s.extra.get('kvm') as KvmView | undefined)?.forwarded.get(dev)?.has(vec) ?? false;
}

function server(sim: Simulation): ItsServerPlatform | null {
  return sim.platform instanceof ItsServerPlatform ? sim.platform : null;
}

function vmName(a: Arg | undefined, args: readonly Arg[]): string {
  if (a === undefined) throw new ArgError('missing the VM (vm=vm0, vm1, ...)', args[args.length - 1]?.col ?? 1);
  if (!/^vm\d+$/.test(a.value)) throw new ArgError(`'${a.value}' is no VM name (vm0, vm1, ...)`, a.col);
  return a.value;
}

export const vgicV4InitCmd: CommandSpec<'vgic_v4_init'> = {
  kind: 'vgic_v4_init',
  offered: (ctx) => SERVERS.includes(ctx.platform),
  summary: 'vgic_v4_init(vm0, vcpus=N): KVM gives a new VM its GICv4.1 vPEs: its_alloc_vcpu_irqs() (a vPE domain, doorbell LPIs, vPE IDs and tables, vSGI domains), then request_irq() of each doorbell (VMAPP on every ITS) (gic-v3-its-dt/-acpi)',
  weight: 1,
  choices: (s) => (view(s).vms.size < MAX_VMS ? 1 : 0),
  valid: (c, s, ctx) => onServer(ctx) && !view(s).vms.has(c.vm) && view(s).vms.size < MAX_VMS && c.vcpus >= 1 && c.vcpus <= MAX_VCPUS,
  invalid(c, s, ctx) {
    if (!onServer(ctx)) return 'only the GICv4.1 server machines run KVM guests with vPEs';
    if (view(s).vms.has(c.vm)) return `${c.vm} already has its vPEs (vgic_v4_teardown() first)`;
    if (view(s).vms.size >= MAX_VMS) return `already ${MAX_VMS} VMs, the cap of the model`;
    if (c.vcpus < 1 || c.vcpus > MAX_VCPUS) return `vcpus=${c.vcpus}: a VM of the model has 1 to ${MAX_VCPUS} vCPUs`;
    return null;
  },
  generate(s, rng, ctx) {
    if (!onServer(ctx)) return null;
    for (let i = 0; i < MAX_VMS; i++) {
      const c = { kind: 'vgic_v4_init' as const, vm: `vm${i}`, vcpus: pick(rng, [1, 2, 2, 4]) };
      if (vgicV4InitCmd.valid(c, s, ctx)) return c;
    }
    return null;
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const p = server(sim);
    return { ret: p === null ? -EINVAL : p.kvmVgicV4Init(c.vm, c.vcpus) };
  },
  update(c, o, s) {
    if (o.ret === 0) view(s).vms.set(c.vm, c.vcpus);
  },
  format: (c) => [c.vm, `vcpus=${c.vcpus}`],
  parse(args) {
    checkArgs(args, 1, ['vcpus']);
    return { kind: 'vgic_v4_init', vm: vmName(positional(args, 0, 'VM', 1), args), vcpus: requiredInt(args, 'vcpus') };
  },
  simplify: (c) => (c.vcpus > 1 ? [{ ...c, vcpus: 1 }] : []),
};

/** Vectors VFIO holds with a handler on a PCI function: candidates for forwarding. */
function passedThrough(s: AbstractState): { dev: string; vec: number }[] {
  const out: { dev: string; vec: number }[] = [];
  for (const [dev, vecs] of s.handlers) {
    const d = s.devices.get(dev);
    if (d === undefined || d.bus !== 'pci') continue;
    for (const vec of vecs) out.push({ dev, vec });
  }
  return out;
}

export const kvmVgicV4SetForwardingCmd: CommandSpec<'kvm_vgic_v4_set_forwarding'> = {
  kind: 'kvm_vgic_v4_set_forwarding',
  offered: (ctx) => SERVERS.includes(ctx.platform),
  summary: 'kvm_vgic_v4_set_forwarding(dev, vec=N, vm=vm0, vcpu=M): the irq bypass connects a passed-through vector to a guest MSI: its_map_vlpi() (DISCARD the LPI, VMAPTI a vLPI to the vPE; a forwarded one is moved, VMOVI); a device\'s events go to one VM only',
  weight: 3,
  choices: (s) => (view(s).vms.size > 0 ? passedThrough(s).length : 0),
  valid(c, s, ctx) {
    if (!onServer(ctx)) return false;
    const vcpus = view(s).vms.get(c.vm);
    return vcpus !== undefined && c.vcpu >= 0 && c.vcpu < vcpus && s.devices.get(c.dev)?.bus === 'pci' && (s.handlers.get(c.dev)?.has(c.vec) ?? false);
  },
  invalid(c, s, ctx) {
    if (!onServer(ctx)) return 'only the GICv4.1 server machines run KVM guests with vPEs';
    const vcpus = view(s).vms.get(c.vm);
    if (vcpus === undefined) return `no VM ${c.vm} with vPEs (vgic_v4_init() first)`;
    if (c.vcpu < 0 || c.vcpu >= vcpus) return `vcpu=${c.vcpu}: ${c.vm} has vCPUs 0-${vcpus - 1}`;
    const d = s.devices.get(c.dev);
    if (d === undefined) return noDevice(c.dev);
    if (d.bus !== 'pci') return `${c.dev} is not a PCI function (VFIO passes PCI functions through)`;
    if (!(s.handlers.get(c.dev)?.has(c.vec) ?? false)) return `VFIO has not requested vector ${c.vec} of ${c.dev} (request_irq() first)`;
    return null;
  },
  generate(s, rng, ctx) {
    const vms = [...view(s).vms];
    const cands = passedThrough(s);
    if (!onServer(ctx) || vms.length === 0 || cands.length === 0) return null;
    const [vm, vcpus] = pick(rng, vms);
    return { kind: 'kvm_vgic_v4_set_forwarding', ...pick(rng, cands), vm, vcpu: rng.below(vcpus) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const p = server(sim);
    const dev = sim.device(c.dev);
    if (p === null || !(dev instanceof PciDev)) return { ret: -EINVAL };
    // the guest's vINTID: LPIs start at 8192
    return { ret: p.kvmSetForwarding(dev, c.vec, c.vm, c.vcpu, 8192 + c.vec) };
  },
  update(c, o, s, sim) {
    if (o.ret !== 0) return;
    // The vector is the guest's now: the host driver is owed nothing more on it (what the guest
    // is owed is not checked: the model has no guest side)
    sim.ledger.released(c.dev, c.vec);
    const f = view(s).forwarded;
    let m = f.get(c.dev);
    if (m === undefined) f.set(c.dev, (m = new Map()));
    m.set(c.vec, c.vm);
  },
  format: (c) => [c.dev, `vec=${c.vec}`, `vm=${c.vm}`, `vcpu=${c.vcpu}`],
  parse(args) {
    checkArgs(args, 1, ['vec', 'vm', 'vcpu']);
    return {
      kind: 'kvm_vgic_v4_set_forwarding',
      dev: deviceName(positional(args, 0, 'device', 1)),
      vec: requiredInt(args, 'vec'),
      vm: vmName(named(args, 'vm'), args),
      vcpu: requiredInt(args, 'vcpu'),
    };
  },
  simplify: (c) => (c.vcpu > 0 ? [{ ...c, vcpu: 0 }] : []),
};

function forwardedList(s: AbstractState): { dev: string; vec: number }[] {
  return [...view(s).forwarded].flatMap(([dev, m]) => [...m.keys()].map((vec) => ({ dev, vec })));
}

export const kvmVgicV4UnsetForwardingCmd: CommandSpec<'kvm_vgic_v4_unset_forwarding'> = {
  kind: 'kvm_vgic_v4_unset_forwarding',
  offered: (ctx) => SERVERS.includes(ctx.platform),
  summary: 'kvm_vgic_v4_unset_forwarding(dev, vec=N): the bypass disconnects: its_unmap_vlpi() (DISCARD the vLPI, MAPTI the host LPI back to its collection; the last vLPI frees the device\'s vlpi_maps)',
  weight: 2,
  choices: (s) => forwardedList(s).length,
  valid: (c, s, ctx) => onServer(ctx) && isForwarded(s, c.dev, c.vec),
  invalid: (c, s, ctx) => (!onServer(ctx) ? 'only the GICv4.1 server machines run KVM guests with vPEs' : !isForwarded(s, c.dev, c.vec) ? `vector ${c.vec} of ${c.dev} is not forwarded to a vCPU` : null),
  generate(s, rng, ctx) {
    const l = forwardedList(s);
    return !onServer(ctx) || l.length === 0 ? null : { kind: 'kvm_vgic_v4_unset_forwarding', ...pick(rng, l) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const p = server(sim);
    const dev = sim.device(c.dev);
    if (p === null || !(dev instanceof PciDev)) return { ret: -EINVAL };
    p.kvmUnsetForwarding(dev, c.vec);
    return { ret: null };
  },
  update(c, _o, s) {
    const m = view(s).forwarded.get(c.dev);
    m?.delete(c.vec);
    if (m?.size === 0) view(s).forwarded.delete(c.dev);
  },
  format: (c) => [c.dev, `vec=${c.vec}`],
  parse(args) {
    checkArgs(args, 1, ['vec']);
    return { kind: 'kvm_vgic_v4_unset_forwarding', dev: deviceName(positional(args, 0, 'device', 1)), vec: requiredInt(args, 'vec') };
  },
  simplify: () => [],
};

export const vgicV4TeardownCmd: CommandSpec<'vgic_v4_teardown'> = {
  kind: 'vgic_v4_teardown',
  offered: (ctx) => SERVERS.includes(ctx.platform),
  summary: 'vgic_v4_teardown(vm0): the VM goes with passed-through devices still mapped: KVM\'s irqfd release unsets each forwarded vector, then free_irq() of each doorbell (VMAPP V=0) and its_free_vcpu_irqs()',
  weight: 1,
  choices: (s) => view(s).vms.size,
  valid: (c, s, ctx) => onServer(ctx) && view(s).vms.has(c.vm),
  invalid: (c, s, ctx) => (!onServer(ctx) ? 'only the GICv4.1 server machines run KVM guests with vPEs' : !view(s).vms.has(c.vm) ? `no VM ${c.vm} with vPEs (vgic_v4_init() first)` : null),
  generate(s, rng, ctx) {
    const vms = [...view(s).vms.keys()];
    return !onServer(ctx) || vms.length === 0 ? null : { kind: 'vgic_v4_teardown', vm: pick(rng, vms) };
  },
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    const p = server(sim);
    if (p === null) return { ret: -EINVAL };
    p.kvmVgicV4Teardown(c.vm);
    return { ret: null };
  },
  update(c, _o, s) {
    const v = view(s);
    v.vms.delete(c.vm);
    for (const [dev, m] of [...v.forwarded]) {
      for (const [vec, vm] of [...m]) if (vm === c.vm) m.delete(vec);
      if (m.size === 0) v.forwarded.delete(dev);
    }
  },
  format: (c) => [c.vm],
  parse(args) {
    checkArgs(args, 1, []);
    return { kind: 'vgic_v4_teardown', vm: vmName(positional(args, 0, 'VM', 1), args) };
  },
  simplify: () => [],
};

export const KVM_COMMANDS: readonly AnySpec[] = [vgicV4InitCmd, kvmVgicV4SetForwardingCmd, kvmVgicV4UnsetForwardingCmd, vgicV4TeardownCmd];
