// The states of the ARM64 server machines (two GICv3/4.1 ITSes, firmware ID mapping, MBIGEN,
// GICv4.1 vPEs). They run the GICv3 ITS model (models/platforms/gic-v3-its/), so its commits
// apply; the Debian 6.12 state is the v6.15 ITS code path (prepare per allocation, the
// its_device freed with its last LPI).
import { CORE_PATCHES } from '../../kernel/core-patches';
import { patchesUpTo, type NamedRevision, type Patch } from '../../kernel/patches';
import { ITS_PATCHES } from '../gic-v3-its/revisions';

const VPE_PATCHES: readonly Patch[] = [
  {
    id: 'msi-fuzz-vpe-alloc-unwind',
    title: 'irqchip/gic-v4: Unwind vPE allocations on the error paths (msi-fuzz proposal)',
    scope: 'gic-v3-its-server',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/platforms-arm64-riscv.md); not posted, not upstream',
    summary: 'its_alloc_vcpu_irqs() frees the vPE irqs and the vPEs\' SGI domains it allocated before removing the domain when a vSGI allocation fails',
  },
  {
    id: 'msi-fuzz-vgic-v4-init-teardown',
    title: 'KVM: arm64: vgic-v4: Free every vPE irq when a doorbell request fails (msi-fuzz proposal)',
    scope: 'gic-v3-its-server',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/platforms-arm64-riscv.md); not posted, not upstream',
    summary: 'vgic_v4_init() keeps its_vm.nr_vpes when a doorbell request_irq() fails and vgic_v4_teardown() frees only the doorbells it requested, so its_free_vcpu_irqs() frees every vPE irq before the domain goes',
  },
  {
    id: 'msi-fuzz-mbigen-clear-vector',
    title: 'irqchip/mbigen: Stop a pin whose interrupt is deactivated from sending its old event (msi-fuzz proposal)',
    scope: 'gic-v3-its-server',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/platforms-arm64-riscv.md); not posted, not upstream',
    summary: 'mbigen_write_msi_msg() ignores the zeroed message of msi_domain_deactivate(), so a pin keeps its EventID after its mapping is gone and, once the ITS hands that event to another pin, an assertion of the old pin runs the other pin\'s handler: for the zeroed message, program an EventID the ITS drops',
  },
  {
    id: 'msi-fuzz-vlpi-unmap-online',
    title: 'irqchip/gic-v3-its: Restore an unforwarded LPI on an online CPU (msi-fuzz proposal)',
    scope: 'gic-v3-its-server',
    proposedBy: 'msi-fuzz',
    link: 'msi-fuzz model finding (docs/reference/platforms-arm64-riscv.md); not posted, not upstream',
    summary: 'its_vlpi_unmap() MAPTIs the host LPI to col_map[event]; its_set_affinity() refuses forwarded irqs, so a CPU unplugged while the irq was a vLPI is still there: pick an online CPU (its_select_cpu()) when col_map\'s CPU is offline',
  },
];

export const ITS_SERVER_PATCHES: readonly Patch[] = [...ITS_PATCHES, ...VPE_PATCHES];

const POOL: readonly Patch[] = [...CORE_PATCHES, ...ITS_SERVER_PATCHES];

export const ITS_SERVER_REVISIONS: readonly NamedRevision[] = [
  {
    name: 'v7.2',
    description: 'Debian 7.2.13 (the newest source): prepare once at domain creation, its_msi_teardown(); GICv4.1 vPEs with vSGIs',
    patches: patchesUpTo(POOL, 'v7.2'),
    correct: true,
  },
  {
    name: 'v6.12',
    description: 'Debian 6.12.118: the ITS paths as modelled for v6.15 (prepare on every allocation, its_device freed with its last LPI): an allocation that fails after prepare leaves its_device, ITT and LPIs behind',
    patches: patchesUpTo(POOL, 'v6.12'),
    correct: false,
  },
];
