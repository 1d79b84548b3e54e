// arch/x86/kernel/hpet.c (apic/msi.c in 2020): the HPET-MSI domain of one HPET block and the
// per-channel interrupts its FSB delivery uses. Its parent is the remapping unit that claims
// the block (IR-HPET-MSI) or the vector domain. Like DMAR-MSI, its ops lose get_hwirq in
// 9006c133a422 and get the defaults back only with MSI_FLAG_USE_DEF_DOM_OPS (d27e623ace6a).
import { KObject } from '../../kernel/heap';
import type { IrqChip, IrqDomain, MsiMsg } from '../../kernel/irqdomain';
import type { Kernel } from '../../kernel/kernel';
import { msiCreateIrqDomain } from '../../kernel/msi';
import { MsiAllocInfo } from '../../kernel/msi-alloc-info';
import { MSI_FLAG_USE_DEF_DOM_OPS, type MsiDomainInfo, type MsiDomainOps } from '../../kernel/msi-types';
import { initIrqAllocInfo, x86Info } from './alloc-info';

/** struct hpet_channel: an FSB-capable comparator. */
export class HpetChannel extends KObject {
  readonly kind = 'hpet_channel';
  irq = 0;
  /** The FSB route (address/data) hpet_msi_write() programmed. */
  fsbMsg: MsiMsg | null = null;
  constructor(
    readonly hpetId: number,
    readonly num: number,
  ) {
    super();
  }
}

export class HpetMsi {
  readonly domain: IrqDomain;
  readonly channels: HpetChannel[];
  private readonly handlers = new Map<number, HpetChannel>();

  // hpet_create_irq_domain()
  constructor(
    private readonly k: Kernel,
    readonly hpetId: number,
    nrChannels: number,
    parent: IrqDomain,
    remapped: boolean,
  ) {
    this.channels = Array.from({ length: nrChannels }, (_, i) => k.heap.kmalloc(new HpetChannel(hpetId, i), 'hpet_alloc_channels'));
    const handlers = this.handlers;
    const chip: IrqChip = {
      name: remapped ? 'IR-HPET-MSI' : 'HPET-MSI',
      // hpet_msi_write(): the channel's FSB interrupt route registers
      writeMsiMsg(kk, d, msg) {
        const hc = kk.heap.deref('hpet_msi_write', handlers.get(d.irq), 'irq_handler_data');
        hc.fsbMsg = { ...msg };
      },
    };
    const ops: MsiDomainOps = {
      // hpet_msi_init(): hwirq = the channel number, handler data = the channel
      msi_init: (kk, domain, info, virq, _hwirq, arg) => {
        kk.irqs.setHwirqAndChip(domain, virq, arg.hwirq, info.chip, null);
        const hc = x86Info(arg)?.data;
        if (hc instanceof HpetChannel) handlers.set(virq, hc);
        return 0;
      },
      // hpet_msi_free(): cleared IRQ_MOVE_PCNTXT, nothing the model tracks
      msi_free: (_kk, _domain, _info, virq) => {
        handlers.delete(virq);
      },
    };
    // hpet_msi_get_hwirq(), deleted by 9006c133a422
    if (!k.applied('9006c133a422')) ops.get_hwirq = (_info, arg) => arg.hwirq;
    const info: MsiDomainInfo = {
      flags: k.applied('d27e623ace6a') ? MSI_FLAG_USE_DEF_DOM_OPS : 0,
      bus_token: 'ANY',
      hwsize: 0,
      ops,
      chip,
      chip_data: null,
      data: null,
      alloc_data: null,
    };
    this.domain = msiCreateIrqDomain(k, `HPET-MSI-${hpetId}`, info, 0, parent);
  }

  // hpet_assign_irq(): one irq for the channel
  assignIrq(hc: HpetChannel): number {
    const arg = new MsiAllocInfo();
    const x86 = initIrqAllocInfo(arg);
    x86.type = 'HPET';
    x86.data = hc;
    x86.devid = this.hpetId;
    arg.hwirq = hc.num;
    return this.k.irqs.allocIrqs(this.domain, 1, arg);
  }

  /** irq -> channel for the live ones. */
  channelOf(irq: number): HpetChannel | undefined {
    return this.handlers.get(irq);
  }
}
