// SPDX-License-Identifier: GPL-2.0
/*
 * A fake PCI function with an MSI and an MSI-X capability, on UML's virtual PCI bus
 * (arch/um/drivers/virt-pci.c: um_pci_device_register(), whose config space and BAR accesses
 * come back to the ops below). Its MSI parent is one of the suite's fake parents, so the real
 * PCI/MSI code (drivers/pci/msi/) allocates through the same traced callbacks as the
 * device-MSI ops. Only kernels whose UML has in-kernel virtual PCI devices (CONFIG_UML_PCI,
 * 6.14 and later) build it; 6.12's UML PCI takes devices from a vhost-user socket only.
 */
#include "mf.h"

#if MF_HAS_UML_PCI
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "../../../arch/um/drivers/virt-pci.h"

#define MF_PCI_VENDOR		0x1b36
#define MF_PCI_DEVICE		0x00ff
#define MF_PCI_BAR_SIZE		0x2000
#define MF_PCI_MSI_CAP		0x40
#define MF_PCI_MSIX_CAP		0x60
#define MF_PCI_PBA		0x1000
#define MF_PCI_MAX_MSIX		32

struct mf_pci_fn {
	struct um_pci_device udev;
	struct pci_dev *pdev;
	int d;
	unsigned int msi_vecs;		/* 1..32, 0: no MSI capability */
	unsigned int msix_size;		/* 1..32, 0: no MSI-X capability */
	u8 cfg[256];
	u32 bar0;
	bool bar0_sizing;
	u32 table[MF_PCI_MAX_MSIX][4];
};

static struct mf_pci_fn *mf_pci_of(struct um_pci_device *udev)
{
	return container_of(udev, struct mf_pci_fn, udev);
}

static void mf_cfg_put(u8 *cfg, unsigned int off, int size, u32 val)
{
	int i;

	for (i = 0; i < size; i++)
		cfg[off + i] = val >> (8 * i);
}

static u32 mf_cfg_get(const u8 *cfg, unsigned int off, int size)
{
	u32 val = 0;
	int i;

	for (i = 0; i < size; i++)
		val |= (u32)cfg[off + i] << (8 * i);
	return val;
}

static unsigned long mf_pci_cfg_read(struct um_pci_device *udev, unsigned int off, int size)
{
	struct mf_pci_fn *fn = mf_pci_of(udev);

	if (off >= sizeof(fn->cfg) || off + size > sizeof(fn->cfg))
		return 0;
	if (off == PCI_BASE_ADDRESS_0 && size == 4)
		return fn->bar0_sizing ? (u32)~(MF_PCI_BAR_SIZE - 1) : fn->bar0;
	return mf_cfg_get(fn->cfg, off, size);
}

/* What software may change: command, BAR0, the MSI control, address, data and mask, MSI-X control. */
static bool mf_pci_writable(struct mf_pci_fn *fn, unsigned int off)
{
	if (off == PCI_COMMAND || off == PCI_COMMAND + 1 || off == PCI_INTERRUPT_LINE)
		return true;
	if (fn->msi_vecs && off >= MF_PCI_MSI_CAP + 2 && off < MF_PCI_MSI_CAP + 0x14)
		return true;
	if (fn->msix_size && off >= MF_PCI_MSIX_CAP + 2 && off < MF_PCI_MSIX_CAP + 4)
		return true;
	return false;
}

static void mf_pci_cfg_write(struct um_pci_device *udev, unsigned int off, int size, unsigned long val)
{
	struct mf_pci_fn *fn = mf_pci_of(udev);
	int i;

	if (off == PCI_BASE_ADDRESS_0 && size == 4) {
		fn->bar0_sizing = (u32)val == 0xffffffff;
		if (!fn->bar0_sizing)
			fn->bar0 = ((u32)val & ~(MF_PCI_BAR_SIZE - 1)) | PCI_BASE_ADDRESS_SPACE_MEMORY;
		return;
	}
	for (i = 0; i < size && off + i < sizeof(fn->cfg); i++) {
		if (!mf_pci_writable(fn, off + i))
			continue;
		fn->cfg[off + i] = val >> (8 * i);
	}
	if (fn->msi_vecs) {
		/* MSI Message Control: only Enable (bit 0) and Multiple Message Enable (6:4) are RW */
		u16 ctrl = mf_cfg_get(fn->cfg, MF_PCI_MSI_CAP + 2, 2);
		u16 mmc = ilog2(fn->msi_vecs) << 1;

		mf_cfg_put(fn->cfg, MF_PCI_MSI_CAP + 2, 2,
			   (ctrl & (PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE)) | mmc | PCI_MSI_FLAGS_64BIT |
			   PCI_MSI_FLAGS_MASKBIT);
	}
	if (fn->msix_size) {
		u16 ctrl = mf_cfg_get(fn->cfg, MF_PCI_MSIX_CAP + 2, 2);

		mf_cfg_put(fn->cfg, MF_PCI_MSIX_CAP + 2, 2,
			   (ctrl & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)) | (fn->msix_size - 1));
	}
}

static unsigned long mf_pci_bar_read(struct um_pci_device *udev, int bar, unsigned int off, int size)
{
	struct mf_pci_fn *fn = mf_pci_of(udev);
	unsigned int entry = off / PCI_MSIX_ENTRY_SIZE;

	if (bar != 0 || off >= MF_PCI_PBA || entry >= fn->msix_size || size != 4)
		return 0;
	return fn->table[entry][(off % PCI_MSIX_ENTRY_SIZE) / 4];
}

static void mf_pci_bar_write(struct um_pci_device *udev, int bar, unsigned int off, int size, unsigned long val)
{
	struct mf_pci_fn *fn = mf_pci_of(udev);
	unsigned int entry = off / PCI_MSIX_ENTRY_SIZE;

	if (bar != 0 || off >= MF_PCI_PBA || entry >= fn->msix_size || size != 4)
		return;
	fn->table[entry][(off % PCI_MSIX_ENTRY_SIZE) / 4] = val;
}

static void mf_pci_bar_copy_from(struct um_pci_device *udev, int bar, void *buffer, unsigned int off, int size)
{
	memset(buffer, 0, size);
}

static void mf_pci_bar_copy_to(struct um_pci_device *udev, int bar, unsigned int off, const void *buffer, int size)
{
}

static void mf_pci_bar_set(struct um_pci_device *udev, int bar, unsigned int off, u8 value, int size)
{
}

static const struct um_pci_ops mf_pci_ops = {
	.cfgspace_read	= mf_pci_cfg_read,
	.cfgspace_write	= mf_pci_cfg_write,
	.bar_read	= mf_pci_bar_read,
	.bar_write	= mf_pci_bar_write,
	.bar_copy_from	= mf_pci_bar_copy_from,
	.bar_copy_to	= mf_pci_bar_copy_to,
	.bar_set	= mf_pci_bar_set,
};

/* The pci_dev the core made of `fn`: the one whose config space is ours (BAR0 sized as ours, IDs ours, not yet taken). */
static struct pci_dev *mf_pci_find(struct mf_pci_fn *fn)
{
	struct pci_dev *pdev = NULL;

	while ((pdev = pci_get_device(MF_PCI_VENDOR, MF_PCI_DEVICE, pdev))) {
		if (!pci_is_enabled(pdev))
			return pdev;
	}
	return NULL;
}

/* The function's config space at power-on: IDs, BAR0 (the MSI-X table and PBA), capabilities. */
static void mf_pci_init_cfg(struct mf_pci_fn *fn)
{
	u8 *c = fn->cfg;

	mf_cfg_put(c, PCI_VENDOR_ID, 2, MF_PCI_VENDOR);
	mf_cfg_put(c, PCI_DEVICE_ID, 2, MF_PCI_DEVICE);
	mf_cfg_put(c, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	mf_cfg_put(c, PCI_CLASS_REVISION, 4, 0xff000000);
	c[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	fn->bar0 = PCI_BASE_ADDRESS_SPACE_MEMORY;
	c[PCI_CAPABILITY_LIST] = fn->msi_vecs ? MF_PCI_MSI_CAP : MF_PCI_MSIX_CAP;
	if (fn->msi_vecs) {
		c[MF_PCI_MSI_CAP] = PCI_CAP_ID_MSI;
		c[MF_PCI_MSI_CAP + 1] = fn->msix_size ? MF_PCI_MSIX_CAP : 0;
	}
	if (fn->msix_size) {
		c[MF_PCI_MSIX_CAP] = PCI_CAP_ID_MSIX;
		c[MF_PCI_MSIX_CAP + 1] = 0;
		mf_cfg_put(c, MF_PCI_MSIX_CAP + PCI_MSIX_TABLE, 4, 0);
		mf_cfg_put(c, MF_PCI_MSIX_CAP + PCI_MSIX_PBA, 4, MF_PCI_PBA);
	}
	mf_pci_cfg_write(&fn->udev, PCI_COMMAND, 2, 0);
}

/* The function's state as the snapshot prints it: the MSI capability, the MSI-X control and the written entries. */
void mf_pci_snapshot(struct mf_pci_fn *fn, int d)
{
	unsigned int i;

	if (fn->msi_vecs) {
		u16 ctrl = mf_cfg_get(fn->cfg, MF_PCI_MSI_CAP + PCI_MSI_FLAGS, 2);

		mf_trace("| dev%d msi %s msg=%x:%x:%x", d,
			 ctrl & PCI_MSI_FLAGS_ENABLE ? (ctrl & PCI_MSI_FLAGS_QSIZE) == 0x10 ? "on x2" :
			 (ctrl & PCI_MSI_FLAGS_QSIZE) == 0x20 ? "on x4" : (ctrl & PCI_MSI_FLAGS_QSIZE) == 0x30 ? "on x8" :
			 (ctrl & PCI_MSI_FLAGS_QSIZE) == 0x40 ? "on x16" : (ctrl & PCI_MSI_FLAGS_QSIZE) == 0x50 ? "on x32" :
			 "on x1" : "off",
			 mf_cfg_get(fn->cfg, MF_PCI_MSI_CAP + PCI_MSI_ADDRESS_HI, 4),
			 mf_cfg_get(fn->cfg, MF_PCI_MSI_CAP + PCI_MSI_ADDRESS_LO, 4),
			 mf_cfg_get(fn->cfg, MF_PCI_MSI_CAP + PCI_MSI_DATA_64, 2));
	}
	if (fn->msix_size) {
		u16 ctrl = mf_cfg_get(fn->cfg, MF_PCI_MSIX_CAP + PCI_MSIX_FLAGS, 2);

		mf_trace("| dev%d msix %s", d, ctrl & PCI_MSIX_FLAGS_ENABLE ? "on" : "off");
		for (i = 0; i < fn->msix_size; i++) {
			u32 *e = fn->table[i];

			if (e[PCI_MSIX_ENTRY_LOWER_ADDR / 4] || e[PCI_MSIX_ENTRY_DATA / 4] ||
			    !(e[PCI_MSIX_ENTRY_VECTOR_CTRL / 4] & PCI_MSIX_ENTRY_CTRL_MASKBIT))
				mf_trace("| dev%d msix %u: %x:%x:%x %s", d, i, e[PCI_MSIX_ENTRY_UPPER_ADDR / 4],
					 e[PCI_MSIX_ENTRY_LOWER_ADDR / 4], e[PCI_MSIX_ENTRY_DATA / 4],
					 e[PCI_MSIX_ENTRY_VECTOR_CTRL / 4] & PCI_MSIX_ENTRY_CTRL_MASKBIT ? "masked" : "unmasked");
		}
	}
}

/*
 * Registers a fake function; the PCI core scans it in and a managed enable (pcim) makes its
 * vectors go with its devres, as a driver's would. Its MSI parent becomes the fake parent.
 */
struct mf_pci_fn *mf_pci_add(int d, unsigned int msi, unsigned int msix, struct irq_domain *parent)
{
	struct mf_pci_fn *fn = kzalloc(sizeof(*fn), GFP_KERNEL);
	unsigned int i;
	int ret;

	if (!fn)
		return NULL;
	fn->d = d;
	fn->msi_vecs = msi;
	fn->msix_size = min_t(unsigned int, msix, MF_PCI_MAX_MSIX);
	fn->udev.ops = &mf_pci_ops;
	/* A vector control's mask bit is set at reset */
	for (i = 0; i < MF_PCI_MAX_MSIX; i++)
		fn->table[i][PCI_MSIX_ENTRY_VECTOR_CTRL / 4] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	mf_pci_init_cfg(fn);
	ret = um_pci_device_register(&fn->udev);
	if (ret) {
		kfree(fn);
		return NULL;
	}
	fn->pdev = mf_pci_find(fn);
	if (!fn->pdev || pcim_enable_device(fn->pdev)) {
		mf_pci_del(fn);
		return NULL;
	}
	dev_set_msi_domain(&fn->pdev->dev, parent);
	return fn;
}

/*
 * Hot removal: the function leaves the bus, and with our reference dropped its devres go
 * (pcim_msi_release() frees the vectors, msi_device_data_release() the device domain);
 * then the virtual bus forgets it (and frees its INTx irq). The removal from the bus is ours
 * to do: um_pci_device_unregister() looks the function up with pci_get_slot(bus, i), the
 * registry slot, where the function sits at devfn PCI_DEVFN(i, 0), so it removes only the
 * function of slot 0 (and keeps the reference pci_get_slot() took).
 */
void mf_pci_del(struct mf_pci_fn *fn)
{
	if (fn->pdev) {
		pci_stop_and_remove_bus_device_locked(fn->pdev);
		pci_dev_put(fn->pdev);
	}
	um_pci_device_unregister(&fn->udev);
	kfree(fn);
}

struct device *mf_pci_device(struct mf_pci_fn *fn)
{
	return &fn->pdev->dev;
}
#else
/* No virtual PCI functions on this UML: mf_ops.c never has one to remove or show. */
void mf_pci_del(struct mf_pci_fn *fn)
{
}

void mf_pci_snapshot(struct mf_pci_fn *fn, int d)
{
}
#endif /* MF_HAS_UML_PCI */
