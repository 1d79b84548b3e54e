// drivers/irqchip/irq-riscv-imsic-platform.c: the IMSIC base domain, MSI parent of every
// per-device domain (PCI/MSI-X, platform device MSI, APLIC's wire-to-MSI domain). An irq is
// one identity (CPU, local ID) of one interrupt file; its message is the address of that CPU's
// file and the local ID. An affinity change takes a new identity on the target CPU, points the
// device at it, and links old and new until the old CPU has synced (imsic-state.ts).
import { IRQ_SET_MASK_OK_DONE } from '../../kernel/chip-call';
import type { Device } from '../../kernel/device';
import { EBUSY, ENOENT, ENOSPC, EOPNOTSUPP } from '../../kernel/errno';
import type { IrqChip, IrqData, IrqDesc, IrqDomain, IrqDomainOps, MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { MATCH_PCI_MSI, MATCH_PLATFORM_MSI, msiLibInitDevMsiInfo } from '../../kernel/msi-lib';
import { irqMoveIrq } from '../../kernel/migration';
import {
  MSI_FLAG_PCI_MSI_MASK_PARENT,
  MSI_FLAG_PCI_MSIX,
  MSI_FLAG_USE_DEF_CHIP_OPS,
  MSI_FLAG_USE_DEF_DOM_OPS,
  MSI_GENERIC_FLAGS_MASK,
  type MsiDomainInfo,
  type MsiParentOps,
} from '../../kernel/msi-types';
import {
  imsicVectorAlloc,
  imsicVectorForceMoveCleanup,
  imsicVectorFree,
  imsicVectorMove,
  imsicVectorQueueFree,
  imsicVectorSetEnable,
  type ImsicPriv,
  type ImsicSyncEnv,
  type ImsicVector,
} from './imsic-state';

/** The IMSIC driver's state as the chip callbacks reach it (the file-scope `imsic` pointer). */
export interface ImsicDriver extends ImsicSyncEnv {
  readonly imsic: ImsicPriv;
}

/** irq_data_get_irq_chip_data() at the IMSIC level: the irq's current vector. */
export function vecOf(d: IrqData): ImsicVector | null {
  return d.chipData as ImsicVector | null;
}

/** imsic_irq_compose_vector_msg(): the CPU's interrupt file page (guest index 0) and the local ID */
export function imsicComposeVectorMsg(drv: ImsicDriver, vec: ImsicVector | null): MsiMsg | null {
  if (vec === null) {
    drv.k.warn('imsic_irq_compose_vector_msg', 'no vector');
    return null;
  }
  const file = drv.imsic.files[vec.cpu];
  if (file === undefined) {
    drv.k.warn('imsic_irq_compose_vector_msg', `no interrupt file for CPU ${vec.cpu}`);
    return null;
  }
  return { addressHi: Math.floor(file.msiPa / 2 ** 32), addressLo: file.msiPa % 2 ** 32, data: vec.localId };
}

/** imsic_msi_update_msg(): compose for `vec` and write through the top chip (the device's) */
function imsicMsiUpdateMsg(drv: ImsicDriver, top: IrqData, vec: ImsicVector): void {
  const msg = imsicComposeVectorMsg(drv, vec);
  if (msg !== null) top.chip?.writeMsiMsg?.(drv.k, top, msg);
}

/**
 * imsic_irq_set_affinity(): keep the vector if its CPU is in the mask; refuse while a move is in
 * flight; else a new identity on the mask, the device pointed at it (through a temporary one
 * first for devices that cannot move in process context, 896f8e436f99), chip_data and the
 * effective affinity updated, and the old vector's state moved over
 */
export function imsicIrqSetAffinity(drv: ImsicDriver, d: IrqData, mask: readonly number[]): number {
  const { k } = drv;
  const oldVec = vecOf(d);
  if (oldVec === null) {
    k.warn('imsic_irq_set_affinity', `irq ${d.irq}: no vector`);
    return -ENOENT;
  }
  // If old vector cpu belongs to the target cpumask then do nothing
  if (mask.includes(oldVec.cpu)) return IRQ_SET_MASK_OK_DONE;
  // If move is already in-flight then return failure
  if (oldVec.movePrev !== null) return -EBUSY;
  const newVec = imsicVectorAlloc(drv.imsic, oldVec.irq, mask);
  if (newVec === null) return -ENOSPC;
  const top = k.irqs.desc(d.irq)?.irqData ?? null;
  if (top !== null) {
    if (k.applied('896f8e436f99') && !drv.canMoveInProcessContext(d) && newVec.localId !== oldVec.localId) {
      // Setup temporary vector: the old CPU's address with the new local ID
      const tmp = { cpu: oldVec.cpu, localId: newVec.localId } as ImsicVector;
      imsicMsiUpdateMsg(drv, top, tmp);
    }
    imsicMsiUpdateMsg(drv, top, newVec);
  }
  k.touchIrq(d.irq);
  d.chipData = newVec;
  d.effectiveCpu = newVec.cpu;
  imsicVectorMove(drv, oldVec, newVec);
  return IRQ_SET_MASK_OK_DONE;
}

/**
 * imsic_irq_force_complete_move() (51611130d57d): on the outgoing CPU, an in-flight move whose
 * old vector is on this CPU is completed by force (the old vector is freed now)
 */
export function imsicIrqForceCompleteMove(drv: ImsicDriver, d: IrqData, cpu: number): void {
  const vec = vecOf(d);
  if (vec === null) {
    drv.k.warn('imsic_irq_force_complete_move', `irq ${d.irq}: no vector`);
    return;
  }
  const mvec = vec.movePrev;
  if (mvec === null || mvec.cpu !== cpu) return;
  drv.k.printk(`IRQ fixup: irq ${d.irq} move in progress, old vector cpu ${mvec.cpu} local_id ${mvec.localId}`);
  imsicVectorForceMoveCleanup(drv, vec);
}

/** imsic_irq_base_chip */
export function makeImsicChip(drv: ImsicDriver): IrqChip {
  const chip: IrqChip = {
    name: 'IMSIC',
    /** imsic_irq_mask() / imsic_irq_unmask() */
    irqMask(k, d) {
      const vec = vecOf(d);
      if (vec !== null) imsicVectorSetEnable(drv, vec, false);
      k.touchIrq(d.irq);
    },
    irqUnmask(k, d) {
      const vec = vecOf(d);
      if (vec !== null) imsicVectorSetEnable(drv, vec, true);
      k.touchIrq(d.irq);
    },
    irqSetAffinity: (_k, d, mask) => imsicIrqSetAffinity(drv, d, mask),
    /** imsic_irq_retrigger(): an MMIO write of the local ID to the vector's interrupt file */
    irqRetrigger(k, d) {
      const vec = vecOf(d);
      if (vec === null) {
        k.warn('imsic_irq_retrigger', `irq ${d.irq}: no vector`);
        return false;
      }
      drv.writeMsi(vec.cpu, vec.localId, []);
      return true;
    },
    composeMsiMsg(k, d) {
      return imsicComposeVectorMsg(drv, vecOf(d)) ?? { addressHi: 0, addressLo: 0, data: 0 };
    },
  };
  // fe35ecee8ec8: handle_edge_irq() with imsic_irq_ack() -> irq_move_irq() (GENERIC_PENDING_IRQ)
  if (drv.k.applied('fe35ecee8ec8')) chip.irqAck = (k, d) => irqMoveIrq(k, d);
  return chip;
}

/** imsic_base_domain_ops */
export function makeImsicDomainOps(drv: ImsicDriver, chip: IrqChip): IrqDomainOps {
  return {
    /** imsic_irq_domain_alloc(): one identity on any online CPU; hwirq == virq */
    alloc(k, domain, virq, nrIrqs) {
      // Multi-MSI is not supported yet.
      if (nrIrqs > 1) return -EOPNOTSUPP;
      const vec = imsicVectorAlloc(drv.imsic, virq, k.onlineCpus());
      if (vec === null) return -ENOSPC;
      k.irqs.setHwirqAndChip(domain, virq, virq, chip, vec);
      const d = k.irqs.getIrqData(domain, virq) as IrqData;
      // irq_set_affinity(virq, cpu_online_mask) has no chip to reach yet; the effective
      // affinity is the vector's CPU
      d.effectiveCpu = vec.cpu;
      return 0;
    },
    /** imsic_irq_domain_free(): the vector goes back; a move in flight is not looked at */
    free(k, domain, virq) {
      const d = k.irqs.getIrqData(domain, virq);
      const vec = d === null ? null : vecOf(d);
      if (vec !== null && k.applied('msi-fuzz-imsic-free-vector')) {
        // msi-fuzz's free-vector proposal: a move still in flight ends with the irq, and the
        // identity goes back through its hart's sync
        imsicVectorForceMoveCleanup(drv, vec);
        imsicVectorQueueFree(drv, vec);
      } else if (vec !== null) imsicVectorFree(drv.imsic, vec);
      // (the irq_data itself goes with the descriptor; no parent to free)
      if (d !== null) d.effectiveCpu = -1;
    },
  };
}

/**
 * imsic_init_dev_msi_info(): the MSI library's shaping; from fe35ecee8ec8 on, PCI/MSI devices
 * (whose message update is not atomic) get IRQCHIP_MOVE_DEFERRED: their affinity changes wait
 * for the next interrupt (kernel/irq/migration.c)
 */
function imsicInitDevMsiInfo(k: Kernel, dev: Device, domain: IrqDomain, realParent: IrqDomain, info: MsiDomainInfo): boolean {
  if (!msiLibInitDevMsiInfo(k, dev, domain, realParent, info)) return false;
  if (!k.applied('fe35ecee8ec8')) return true;
  switch (info.bus_token) {
    case 'PCI_DEVICE_MSI':
    case 'PCI_DEVICE_MSIX':
      info.chip.moveDeferred = true;
      break;
    default:
      break;
  }
  return true;
}

/** imsic_msi_parent_ops: PCI/MSI-X and platform MSI; no multi-MSI, no dynamic MSI-X. */
export const imsicMsiParentOps: MsiParentOps = {
  supported_flags: MSI_GENERIC_FLAGS_MASK | MSI_FLAG_PCI_MSIX,
  required_flags: MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS | MSI_FLAG_PCI_MSI_MASK_PARENT,
  bus_select_token: 'NEXUS',
  bus_select_mask: [...MATCH_PCI_MSI, ...MATCH_PLATFORM_MSI],
  // no .prefix: device domains are named after the template and the device alone
  prefix: '',
  init_dev_msi_info: imsicInitDevMsiInfo,
};

/** irq_force_complete_move(): the first level of the hierarchy whose chip implements it. */
export function imsicLevelOf(desc: IrqDesc, domain: IrqDomain): IrqData | null {
  for (let d: IrqData | null = desc.irqData; d !== null; d = d.parentData) if (d.domain === domain) return d;
  return null;
}
