// Two open issues can meet in one finding: a WARN of the first, once its fix is applied, lets
// the second one's WARN through, so neither fix alone cures it. Triage then tries the open
// fixes together and names the issue the cure cannot do without.
import { matchOpenIssue } from '../../src/engine/triage';
import { runCommands } from '../../src/engine/runner';
import { findPlatform } from '../../src/platforms';
import { parseRepro } from '../../src/repro/parse';
import { resolveRevision } from '../../src/revision';

// gic-v3-its v6.18: the 3-vector multi-MSI block of dev0 leaves event 3 allocated
// (its-multi-msi-npot-leak), and the injected doorbell-mapping failure of dev1 leaves its event
// 0 allocated (its-alloc-events-leak); each WARNs when its its_device is torn down
const REPRO = `# msi-fuzz repro
# platform: gic-v3-its
# revision: v6.18
# faults: resource,kmalloc,firmware
pci_device_add(dev0, rid=01:00.0, msi=32, msix=0)
pci_alloc_irq_vectors(dev0, 1, 3, PCI_IRQ_MSI)
pci_device_add(dev1, rid=02:00.0, msi=1, msix=0)
fail_next(iommu_dma_prepare_msi)
pci_alloc_irq_vectors(dev1, 1, 1, PCI_IRQ_MSI)
device_release_driver(dev0)
device_release_driver(dev1)
expect violation no-kernel-warning
`;

describe('triage of a finding where two open issues meet', () => {
  const repro = parseRepro(REPRO, 'combined.repro');
  const platform = findPlatform('gic-v3-its');
  if (platform === undefined) throw new Error('no gic-v3-its');
  const at = (spec: string) => runCommands({ platform, revision: resolveRevision(platform, spec), faultClasses: repro.faults }, repro.commands).violation;

  test('neither fix alone cures it, both together do', () => {
    expect(at('v6.18')?.message).toMatch(/events 3 still allocated/);
    expect(at('v6.18+87350178tl')?.message).toMatch(/events 0 still allocated/);
    expect(at('v6.18+msi-fuzz-its-alloc-unwind')?.message).toMatch(/events 3 still allocated/);
    expect(at('v6.18+87350178tl+msi-fuzz-its-alloc-unwind')).toBeNull();
  });

  test('it is recognised as the open issue whose WARN comes first', () => {
    const config = { platform, revision: resolveRevision(platform, 'v6.18'), faultClasses: repro.faults };
    expect(matchOpenIssue(config, repro.commands, 'no-kernel-warning')?.id).toBe('its-multi-msi-npot-leak');
  });
});
