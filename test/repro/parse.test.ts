// The repro format: print -> parse round-trips, and malformed input is reported at FILE:LINE:COL.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRepro, ReproSyntaxError } from '../../src/repro/parse';
import { printRepro } from '../../src/repro/print';

const golden = path.join(__dirname, '..', '..', 'shrink-reports', 'golden', 'its-nvme-realloc-uaf.repro');

const HEADER = '# msi-fuzz repro\n# platform: gic-v3-its\n# revision: v6.18\n';

function errorOf(text: string): string {
  try {
    parseRepro(text, 'bad.repro');
  } catch (e) {
    if (e instanceof ReproSyntaxError) return e.message;
    throw e;
  }
  throw new Error('parsed without error');
}

describe('repro scripts', () => {
  test('a golden repro round-trips through print and parse', () => {
    const text = fs.readFileSync(golden, 'utf8');
    const r = parseRepro(text, golden);
    expect(r.platform).toBe('gic-v3-its');
    expect(r.commands.map((c) => c.kind)).toEqual(['pci_device_add', 'pci_alloc_irq_vectors', 'pci_free_irq_vectors', 'pci_alloc_irq_vectors']);
    const again = parseRepro(printRepro(r), 'again');
    expect(again.commands).toEqual(r.commands);
    expect(again.expect).toEqual({ violation: 'no-use-after-free' });
  });

  test('every command kind can be written and read back', () => {
    const text = `${HEADER}pci_bridge_add(br0, rid=00:10.0)
pci_device_add(dev0, rid=01:00.1, msi=4, msix=64, alias=01:00.0)
pci_device_add(dev1, rid=02:00.0, msi=1, msix=0, bridge=br0)
platform_device_add(pdev2, devid=0xf000)
fail_next(alloc_lpi_range, nth=2)
pci_alloc_irq_vectors(dev0, 1, 3, PCI_IRQ_MSI|PCI_IRQ_MSIX)
pci_msix_alloc_irq_at(dev0, MSI_ANY_INDEX)
pci_msix_free_irq(dev0, 5)
pci_free_irq_vectors(dev0)
platform_device_msi_init_and_alloc_irqs(pdev2, 33)
platform_device_msi_free_irqs_all(pdev2)
device_release_driver(dev1)
device_del(dev1)
expect clean
`;
    const r = parseRepro(text, 'all.repro');
    expect(r.commands).toHaveLength(13);
    expect(parseRepro(printRepro(r), 'again').commands).toEqual(r.commands);
  });

  test.each([
    [`${HEADER}pci_alloc_irq_vectors(dev0, 1)\nexpect clean\n`, 'bad.repro:4:1: pci_alloc_irq_vectors: missing argument 3 (max_vecs)'],
    [`${HEADER}pci_alloc_irq_vectors(dev0, 1, x, PCI_IRQ_MSI)\nexpect clean\n`, "bad.repro:4:32: pci_alloc_irq_vectors: max_vecs must be a number, got 'x'"],
    [`${HEADER}pci_alloc_irq_vectors(dev0, 1, 2, PCI_IRQ_FOO)\nexpect clean\n`, "bad.repro:4:35: pci_alloc_irq_vectors: unknown flag 'PCI_IRQ_FOO'"],
    [`${HEADER}  frobnicate(dev0)\nexpect clean\n`, "bad.repro:4:3: unknown command 'frobnicate'"],
    // A missing name=N is reported just past the last argument, whatever the command.
    [`${HEADER}msi_raise(dev0)\nexpect clean\n`, 'bad.repro:4:15: msi_raise: missing vec=N'],
    [`${HEADER}pci_msix_mask(dev0)\nexpect clean\n`, 'bad.repro:4:19: pci_msix_mask: missing vec=N'],
    [`${HEADER}vfio_pci_set_irqs_ioctl(dev0)\nexpect clean\n`, 'bad.repro:4:29: vfio_pci_set_irqs_ioctl: missing count=N'],
    [`${HEADER}cpu_down()\nexpect clean\n`, 'bad.repro:4:1: cpu_down: missing cpu=N'],
    [`${HEADER}pci_device_add(dev0, rid=1:2:3)\nexpect clean\n`, 'bad.repro:4:22: pci_device_add: expected a requester ID like 01:00.0'],
    [`${HEADER}pci_device_add(dev0, colour=red)\nexpect clean\n`, "bad.repro:4:22: pci_device_add: unknown argument 'colour'"],
    [`${HEADER}pci_free_irq_vectors(dev0\nexpect clean\n`, "bad.repro:4:26: missing ')'"],
    [`${HEADER}pci_free_irq_vectors(dev0)\n`, "bad.repro:5:1: missing final 'expect violation <invariant-id>' or 'expect clean' line"],
    [`# msi-fuzz repro\n# revision: v6.18\npci_free_irq_vectors(dev0)\nexpect clean\n`, "bad.repro:1:1: missing '# platform:' header line"],
    [`${HEADER}pci_free_irq_vectors(dev0)\nexpect nothing\n`, "bad.repro:5:1: expected 'expect violation <invariant-id>' or 'expect clean'"],
    [`${HEADER}pci_free_irq_vectors(dev0)\nexpect clean\npci_free_irq_vectors(dev0)\n`, 'bad.repro:6:1: nothing may follow the expect line'],
  ])('malformed input is reported precisely (%#)', (text, message) => {
    expect(errorOf(text)).toContain(message);
  });
});
