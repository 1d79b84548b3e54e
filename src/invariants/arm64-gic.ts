// Invariants of the ARM64 interrupt controllers beyond the one-ITS GICv3 model, read from the
// models' state (tables as the hardware reads them, allocators), never from the revision:
// the GICv5 ITS tables, the LPI space shared by several GICv3 ITSes and GICv4 doorbells, and
// the GICv4.1 vPE tables.
import type { Kernel } from '../../models/kernel/kernel';
import { GicV5Platform } from '../../models/platforms/gic-v5';
import { ItsServerPlatform } from '../../models/platforms/gic-v3-its-server';
import type { ItsVpe } from '../../models/platforms/gic-v3-its-server/its-vpe';
import { LPI_BASE } from '../../models/platforms/gic-v3-its/lpi-range';
import type { Invariant } from './invariant';

const hex = (n: number): string => `0x${n.toString(16)}`;

/** GICv5 ITS: DTEs, ITTEs, the IRS LPI IDA and the LPI irqs agree. */
function gicv5Tables(k: Kernel, p: GicV5Platform): string | null {
  const itteOf = new Map<number, string>();
  for (const its of p.itses.values()) {
    for (const [devId, itt] of its.deviceTable) {
      const dev = its.devices.get(devId);
      if (itt.freed) return `${its.name}: the DTE of DeviceID ${hex(devId)} points at a freed ITT`;
      if (dev === undefined || dev.itt !== itt) return `${its.name}: DeviceID ${hex(devId)} has a valid DTE but no registered device owns its ITT`;
      const events = dev.eventMap?.bitmap;
      for (const [event, lpi] of itt.entries) {
        const who = `${its.name} DeviceID ${hex(devId)} EventID ${event}`;
        if (events === undefined || !events.test(event)) return `${who} has a valid ITTE but the event is not allocated`;
        if (!p.irs.lpiIda.has(lpi)) return `${who} names LPI ${lpi}, which the IRS LPI IDA does not hold`;
        if (k.irqs.findMapping(p.lpiDomain, lpi) === 0) return `${who} names LPI ${lpi}, which no Linux irq holds`;
        const other = itteOf.get(lpi);
        if (other !== undefined) return `${who} and ${other} both name LPI ${lpi}`;
        itteOf.set(lpi, who);
      }
    }
    for (const [devId, dev] of its.devices) {
      if (dev.freed) return `${its.name}: DeviceID ${hex(devId)} is registered after kfree()`;
      if (its.deviceTable.get(devId) !== dev.itt) return `${its.name}: DeviceID ${hex(devId)} is registered without a valid DTE for its ITT`;
    }
  }
  return null;
}

export const gicv5ItsTables: Invariant = {
  id: 'gicv5-its-tables',
  platforms: ['gic-v5'],
  statement: 'every valid GICv5 device table entry points at the live ITT of the device registered for its DeviceID; every valid ITT entry is an allocated event naming an LPI the IRS LPI IDA holds and one Linux irq owns, and no LPI is named twice',
  rule: 'irq-gic-v5-its.c: gicv5_its_device_register()/_unregister() write the DTE with the ITT, gicv5_its_map_event()/_unmap_event() the ITTE of an allocated event; irq-gic-v5-irs.c: alloc_lpi()/release_lpi() own the LPI IDs',
  check({ sim }) {
    return sim.platform instanceof GicV5Platform ? gicv5Tables(sim.kernel, sim.platform) : null;
  },
};

/** The shared LPI allocator: free ranges, every ITS's devices and every VM's doorbells tile the space. */
function serverLpiTiling(p: ItsServerPlatform): string | null {
  const spans: { base: number; span: number; who: string }[] = p.lpis.free.map((r) => ({ base: r.base, span: r.span, who: 'free' }));
  for (const [name, its] of p.itses) for (const d of its.devices) spans.push({ base: d.lpiBase, span: d.nrLpis, who: `${name} its_device ${hex(d.deviceId)}` });
  for (const [name, kvm] of p.vms) if (kvm.vm.dbMap !== null) spans.push({ base: kvm.vm.dbLpiBase, span: kvm.vm.nrDbLpis, who: `${name}'s vPE doorbells` });
  spans.sort((a, b) => a.base - b.base);
  let at = LPI_BASE;
  for (const s of spans) {
    if (s.base < at) return `LPIs ${s.base}..${s.base + s.span - 1} (${s.who}) overlap an earlier range`;
    if (s.base > at) return `LPIs ${at}..${s.base - 1} are neither free nor owned by a live its_device or VM`;
    at = s.base + s.span;
  }
  const end = LPI_BASE + p.lpis.nrLpis;
  return at === end ? null : `LPIs ${at}..${end - 1} are neither free nor owned by a live its_device or VM`;
}

export const itsSharedLpiSpace: Invariant = {
  id: 'its-shared-lpi-space',
  platforms: ['gic-v3-its-dt', 'gic-v3-its-acpi'],
  statement: 'the LPI allocator\'s free ranges, the LPI ranges of the its_devices of every ITS and the doorbell ranges of every live VM tile the LPI space exactly',
  rule: 'irq-gic-v3-its.c: one lpi_range_list for all ITSes and the vPE doorbells; its_lpi_alloc()/its_lpi_free() pair, nothing leaked, nothing handed out twice',
  check({ sim }) {
    return sim.platform instanceof ItsServerPlatform ? serverLpiTiling(sim.platform) : null;
  },
};

/** GICv4.1: vPE IDs, VMAPP state and vLPI maps agree with the VMs, the doorbells and the forwarded irqs. */
function vpeTables(k: Kernel, p: ItsServerPlatform): string | null {
  const v4 = p.v4;
  const owner = new Map<number, string>();
  const activated = new Set<number>();
  for (const [name, kvm] of p.vms) {
    kvm.vm.vpes.forEach((vpe: ItsVpe, i) => {
      if (vpe.vptPage === null) return;
      if (!owner.has(vpe.vpeId)) owner.set(vpe.vpeId, `${name} vCPU ${i}`);
      const d = k.irqs.desc(vpe.irq)?.irqData;
      if (d?.activated === true) activated.add(vpe.vpeId);
    });
  }
  for (const id of v4.vpeIds) if (!owner.has(id)) return `vPE ID ${id} is allocated but no live VM's vPE holds it`;
  for (const [id, who] of owner) if (!v4.vpeIds.has(id)) return `vPE ID ${id} of ${who} is not allocated`;
  for (const [its, mapped] of v4.vmapped) {
    const name = [...p.itses].find(([, n]) => n === its)?.[0] ?? '?';
    for (const id of mapped) if (!activated.has(id)) return `${name} has vPE ${id} mapped (VMAPP V=1) but its doorbell is not activated`;
    for (const id of activated) if (!mapped.has(id)) return `vPE ${id}'s doorbell is activated but ${name} does not map it`;
  }
  for (const [itsDev, ev] of v4.vlpiMaps) {
    if (![...p.vms.values()].some((kvm) => kvm.vm === ev.vm)) return `DeviceID ${hex(itsDev.deviceId)} has vLPIs of a VM that is gone`;
    for (const [event, map] of ev.maps) {
      const irq = itsDev.its.domain === null ? 0 : k.irqs.findMapping(itsDev.its.domain, itsDev.lpiBase + event);
      if (irq === 0 || k.irqs.desc(irq)?.forwardedToVcpu !== true) return `DeviceID ${hex(itsDev.deviceId)} EventID ${event} is VMAPTI'd to vPE ${map.vpe.vpeId} but its host irq is not forwarded`;
      if (map.vpe.vptPage === null || !owner.has(map.vpe.vpeId)) return `DeviceID ${hex(itsDev.deviceId)} EventID ${event} targets a vPE that is torn down`;
    }
  }
  return null;
}

export const gicv4VpeTables: Invariant = {
  id: 'gicv4-vpe-tables',
  platforms: ['gic-v3-its-dt', 'gic-v3-its-acpi'],
  statement: 'every allocated vPE ID belongs to one live VM\'s vPE; a vPE is mapped (VMAPP) on every ITS exactly while its doorbell is activated; every vLPI mapping is of a live VM, names a live vPE, and its host irq is forwarded',
  rule: 'irq-gic-v3-its.c: its_vpe_init()/its_vpe_teardown() own the vPE ID and VPT, its_vpe_irq_domain_activate()/_deactivate() send VMAPP V=1/V=0 on every ITS (GICv4.1), its_vlpi_map()/its_vlpi_unmap() pair VMAPTI with IRQD_FORWARDED_TO_VCPU',
  check({ sim }) {
    return sim.platform instanceof ItsServerPlatform ? vpeTables(sim.kernel, sim.platform) : null;
  },
};

export const ARM64_GIC_INVARIANTS: readonly Invariant[] = [gicv5ItsTables, itsSharedLpiSpace, gicv4VpeTables];
