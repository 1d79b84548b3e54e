// SPDX-License-Identifier: GPL-2.0
/*
 * The ops a sequence is made of, each a direct call of the core's device-MSI API (or of the
 * driver core for devices), traced as "> op args", the callbacks it caused, "= result", and
 * a snapshot of every live device's descriptor tables and of the parents' state.
 */
#include <linux/err.h>
#include <linux/irq.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <kunit/device.h>

#include "mf.h"

#if MF_HAS_TEARDOWN
#define mf_lock_descs(dev)	__msi_lock_descs(dev)
#define mf_unlock_descs(dev)	__msi_unlock_descs(dev)
#else
#define mf_lock_descs(dev)	msi_lock_descs(dev)
#define mf_unlock_descs(dev)	msi_unlock_descs(dev)
#endif

/* The device level: the message a parent composed is "written" into the trace. */
static void mf_write_msg(struct irq_data *d, struct msi_msg *msg)
{
	struct msi_desc *desc = irq_data_get_msi_desc(d);

	mf_trace("write_msg %s index=%u msg=%x:%x:%x", mf_virq(d->irq), desc ? desc->msi_index : 0,
		 msg->address_hi, msg->address_lo, msg->data);
}

/* As platform MSI does: the device-level hwirq is the MSI index. */
static void mf_set_desc(msi_alloc_info_t *arg, struct msi_desc *desc)
{
	arg->desc = desc;
	arg->hwirq = desc->msi_index;
}

#define MF_TEMPLATE(_name) {							\
	.chip = {								\
		.name			= _name,				\
		.irq_mask		= irq_chip_mask_parent,			\
		.irq_unmask		= irq_chip_unmask_parent,		\
		.irq_write_msi_msg	= mf_write_msg,				\
	},									\
	.ops = { .set_desc = mf_set_desc },					\
	.info = { .bus_token = DOMAIN_BUS_DEVICE_MSI },				\
}

/*
 * The template of the device domains a sequence creates directly. The core has one domain
 * id (MSI_MAX_DEVICE_IRQDOMAINS is 1 in 6.12 and 7.2); sequences also name id 1, to run the
 * core's checks of it.
 */
static const struct msi_domain_template mf_template = MF_TEMPLATE("IMS");

/* platform_device_msi_init_and_alloc_irqs()'s write callback */
static void mf_pmsi_write(struct msi_desc *desc, struct msi_msg *msg)
{
	mf_trace("write_msg %s index=%u msg=%x:%x:%x", mf_virq(desc->irq), desc->msi_index,
		 msg->address_hi, msg->address_lo, msg->data);
}

static void mf_result(int ret)
{
	if (ret < 0)
		mf_trace("= %pe", ERR_PTR(ret));
	else
		mf_trace("= %d", ret);
}

static struct device *mf_device(struct mf_ctx *ctx, int d)
{
	if (d < 0 || d >= MF_MAX_DEVS || !ctx->devs[d].live) {
		mf_trace("= no-such-device");
		return NULL;
	}
	return ctx->devs[d].dev;
}

int mf_dev_add(struct mf_ctx *ctx, int d, bool platform, enum mf_contract parent)
{
	struct mf_dev *md;
	char name[16];
	int ret = 0;

	mf_trace("> dev_add dev%d %s %s", d, platform ? "platform" : "kunit", mf_parent_name(parent));
	if (d < 0 || d >= MF_MAX_DEVS || ctx->devs[d].live || parent >= MF_NR_PARENTS) {
		mf_trace("= no-such-device");
		return -EINVAL;
	}
	md = &ctx->devs[d];
	snprintf(name, sizeof(name), "dev%d", d);
	md->pdev = NULL;
	if (platform) {
		md->pdev = platform_device_alloc(name, PLATFORM_DEVID_NONE);
		ret = md->pdev ? platform_device_add(md->pdev) : -ENOMEM;
		if (ret) {
			platform_device_put(md->pdev);
			md->pdev = NULL;
		} else {
			md->dev = &md->pdev->dev;
		}
	} else {
		/*
		 * All kunit devices bind to the one driver of the case: kunit_bus_type has no
		 * .match, so a device registered with kunit_device_register() binds to the first
		 * KUnit driver on the bus, and unregistering another device later removes that
		 * driver and unbinds it (releasing its devres) as a side effect.
		 */
		md->dev = kunit_device_register_with_driver(ctx->test, name, ctx->driver);
		if (IS_ERR(md->dev))
			ret = PTR_ERR(md->dev);
	}
	if (!ret) {
		/* what the firmware/bus code does at device add: the MSI parent of the device */
		dev_set_msi_domain(md->dev, mf_parent_domain(ctx->parents[parent]));
		md->parent = parent;
		md->live = true;
		mf_name_device(md->dev, d);
	}
	mf_result(ret);
	return ret;
}

/*
 * Device removal: the device's devres go (msi_device_data_release() removes its device
 * domains; a PCI function's pcim_msi_release() frees its vectors first).
 */
static void mf_remove(struct mf_ctx *ctx, int d)
{
	struct mf_dev *md = &ctx->devs[d];
	struct device *dev = md->dev;

	if (md->pci)
		mf_pci_del(md->pci);
	else if (md->pdev)
		platform_device_unregister(md->pdev);
	else
		kunit_device_unregister(ctx->test, dev);
	md->pci = NULL;
	md->pdev = NULL;
	md->live = false;
	mf_forget_device(dev);
}

int mf_dev_del(struct mf_ctx *ctx, int d)
{
	struct device *dev;

	mf_trace("> dev_del dev%d", d);
	dev = mf_device(ctx, d);
	if (!dev)
		return -EINVAL;
	mf_remove(ctx, d);
	mf_trace("= void");
	return 0;
}

int mf_domain_create(struct mf_ctx *ctx, int d, unsigned int domid, unsigned int hwsize)
{
	struct device *dev;
	bool ok;

	mf_trace("> msi_create_device_irq_domain dev%d %u hwsize=%u", d, domid, hwsize);
	dev = mf_device(ctx, d);
	if (!dev)
		return -EINVAL;
	ok = msi_create_device_irq_domain(dev, domid, &mf_template, hwsize,
					  NULL, NULL);
	mf_trace("= %s", ok ? "true" : "false");
	return ok;
}

int mf_domain_remove(struct mf_ctx *ctx, int d, unsigned int domid)
{
	struct device *dev;

	mf_trace("> msi_remove_device_irq_domain dev%d %u", d, domid);
	dev = mf_device(ctx, d);
	if (!dev)
		return -EINVAL;
	msi_remove_device_irq_domain(dev, domid);
	mf_trace("= void");
	return 0;
}

int mf_alloc_range(struct mf_ctx *ctx, int d, unsigned int domid, unsigned int first, unsigned int last)
{
	struct device *dev;
	int ret;

	mf_trace("> msi_domain_alloc_irqs_range dev%d %u %u %u", d, domid, first, last);
	dev = mf_device(ctx, d);
	if (!dev)
		return -EINVAL;
	ret = msi_domain_alloc_irqs_range(dev, domid, first, last);
	mf_result(ret);
	return ret;
}

int mf_free_range(struct mf_ctx *ctx, int d, unsigned int domid, unsigned int first, unsigned int last)
{
	struct device *dev;

	mf_trace("> msi_domain_free_irqs_range dev%d %u %u %u", d, domid, first, last);
	dev = mf_device(ctx, d);
	if (!dev)
		return -EINVAL;
	msi_domain_free_irqs_range(dev, domid, first, last);
	mf_trace("= void");
	return 0;
}

int mf_alloc_at(struct mf_ctx *ctx, int d, unsigned int domid, unsigned int index)
{
	struct device *dev;
	struct msi_map map;

	if (index == MSI_ANY_INDEX)
		mf_trace("> msi_domain_alloc_irq_at dev%d %u any", d, domid);
	else
		mf_trace("> msi_domain_alloc_irq_at dev%d %u %u", d, domid, index);
	dev = mf_device(ctx, d);
	if (!dev)
		return -EINVAL;
	map = msi_domain_alloc_irq_at(dev, domid, index, NULL, NULL);
	if (map.index < 0)
		mf_result(map.index);
	else
		mf_trace("= %d %s", map.index, mf_virq(map.virq));
	return map.index;
}

int mf_free_all(struct mf_ctx *ctx, int d, unsigned int domid)
{
	struct device *dev;

	mf_trace("> msi_domain_free_irqs_all dev%d %u", d, domid);
	dev = mf_device(ctx, d);
	if (!dev)
		return -EINVAL;
	msi_domain_free_irqs_all(dev, domid);
	mf_trace("= void");
	return 0;
}

int mf_pmsi_alloc(struct mf_ctx *ctx, int d, unsigned int nvec)
{
	struct device *dev;
	int ret;

	mf_trace("> platform_device_msi_init_and_alloc_irqs dev%d %u", d, nvec);
	dev = mf_device(ctx, d);
	if (!dev)
		return -EINVAL;
	ret = platform_device_msi_init_and_alloc_irqs(dev, nvec, mf_pmsi_write);
	mf_result(ret);
	return ret;
}

int mf_pmsi_free(struct mf_ctx *ctx, int d)
{
	struct device *dev;

	mf_trace("> platform_device_msi_free_irqs_all dev%d", d);
	dev = mf_device(ctx, d);
	if (!dev)
		return -EINVAL;
	platform_device_msi_free_irqs_all(dev);
	mf_trace("= void");
	return 0;
}

/* One row per device domain slot in use: "dom" when a domain is installed, then index:irq. */
#if MF_HAS_UML_PCI
/* The PCI function dev<d>, or NULL with the trace saying so. */
static struct pci_dev *mf_pci_dev(struct mf_ctx *ctx, int d)
{
	if (d < 0 || d >= MF_MAX_DEVS || !ctx->devs[d].live || !ctx->devs[d].pci) {
		mf_trace("= no-such-device");
		return NULL;
	}
	return to_pci_dev(ctx->devs[d].dev);
}
#endif

int mf_pci_dev_add(struct mf_ctx *ctx, int d, unsigned int msi, unsigned int msix, enum mf_contract parent)
{
	mf_trace("> pci_dev_add dev%d msi=%u msix=%u %s", d, msi, msix, mf_parent_name(parent));
#if MF_HAS_UML_PCI
	if (d < 0 || d >= MF_MAX_DEVS || ctx->devs[d].live || parent >= MF_NR_PARENTS) {
		mf_trace("= no-such-device");
		return -EINVAL;
	}
	ctx->devs[d].pci = mf_pci_add(d, msi, msix, mf_parent_domain(ctx->parents[parent]));
	if (!ctx->devs[d].pci) {
		mf_trace("= %pe", ERR_PTR(-ENODEV));
		return -ENODEV;
	}
	ctx->devs[d].dev = mf_pci_device(ctx->devs[d].pci);
	ctx->devs[d].pdev = NULL;
	ctx->devs[d].parent = parent;
	ctx->devs[d].live = true;
	mf_name_device(ctx->devs[d].dev, d);
	mf_trace("= 0");
	return 0;
#else
	mf_trace("= no-pci");
	return -EOPNOTSUPP;
#endif
}

int mf_pci_alloc_vectors(struct mf_ctx *ctx, int d, unsigned int min, unsigned int max, unsigned int flags)
{
	mf_trace("> pci_alloc_irq_vectors dev%d %u %u %s%s%s", d, min, max, flags & PCI_IRQ_MSIX ? "MSIX" : "",
		 (flags & PCI_IRQ_MSIX) && (flags & PCI_IRQ_MSI) ? "|" : "", flags & PCI_IRQ_MSI ? "MSI" : "");
#if MF_HAS_UML_PCI
	{
		struct pci_dev *pdev = mf_pci_dev(ctx, d);
		int ret;

		if (!pdev)
			return -EINVAL;
		ret = pci_alloc_irq_vectors(pdev, min, max, flags);
		mf_result(ret);
		return ret;
	}
#else
	mf_trace("= no-pci");
	return -EOPNOTSUPP;
#endif
}

int mf_pci_free_vectors(struct mf_ctx *ctx, int d)
{
	mf_trace("> pci_free_irq_vectors dev%d", d);
#if MF_HAS_UML_PCI
	{
		struct pci_dev *pdev = mf_pci_dev(ctx, d);

		if (!pdev)
			return -EINVAL;
		pci_free_irq_vectors(pdev);
		mf_trace("= void");
		return 0;
	}
#else
	mf_trace("= no-pci");
	return -EOPNOTSUPP;
#endif
}

int mf_pci_msix_alloc_at(struct mf_ctx *ctx, int d, unsigned int index)
{
	if (index == MSI_ANY_INDEX)
		mf_trace("> pci_msix_alloc_irq_at dev%d any", d);
	else
		mf_trace("> pci_msix_alloc_irq_at dev%d %u", d, index);
#if MF_HAS_UML_PCI
	{
		struct pci_dev *pdev = mf_pci_dev(ctx, d);
		struct msi_map map;

		if (!pdev)
			return -EINVAL;
		map = pci_msix_alloc_irq_at(pdev, index, NULL);
		if (map.index < 0)
			mf_result(map.index);
		else
			mf_trace("= %d %s", map.index, mf_virq(map.virq));
		return map.index;
	}
#else
	mf_trace("= no-pci");
	return -EOPNOTSUPP;
#endif
}

/* pci_msix_free_irq() takes the map the allocation returned: the index and its irq now. */
int mf_pci_msix_free(struct mf_ctx *ctx, int d, unsigned int index)
{
	mf_trace("> pci_msix_free_irq dev%d %u", d, index);
#if MF_HAS_UML_PCI
	{
		struct pci_dev *pdev = mf_pci_dev(ctx, d);
		struct msi_map map = { .index = index };

		if (!pdev)
			return -EINVAL;
		map.virq = pci_irq_vector(pdev, index);
		if (map.virq < 0)
			map.virq = 0;
		pci_msix_free_irq(pdev, map);
		mf_trace("= void");
		return 0;
	}
#else
	mf_trace("= no-pci");
	return -EOPNOTSUPP;
#endif
}

/* The kind of device domain installed in a slot, by its bus token ("-" for none). */
static const char *mf_slot_kind(struct device *dev, unsigned int domid)
{
	if (msi_match_device_irq_domain(dev, domid, DOMAIN_BUS_DEVICE_MSI))
		return "dom";
	if (msi_match_device_irq_domain(dev, domid, DOMAIN_BUS_PCI_DEVICE_MSI))
		return "pcimsi";
	if (msi_match_device_irq_domain(dev, domid, DOMAIN_BUS_PCI_DEVICE_MSIX))
		return "pcimsix";
	return NULL;
}

static void mf_snapshot_slot(struct device *dev, int d, unsigned int domid)
{
	const char *kind = mf_slot_kind(dev, domid);
	struct msi_desc *desc;
	char row[512];
	int len = 0;

	mf_lock_descs(dev);
	for (desc = msi_domain_first_desc(dev, domid, MSI_DESC_ALL); desc; desc = msi_next_desc(dev, domid, MSI_DESC_ALL)) {
		struct irq_data *irqd = desc->irq ? irq_get_irq_data(desc->irq) : NULL;

		if (len < (int)sizeof(row) - 24)
			len += scnprintf(row + len, sizeof(row) - len, " %u:%s%s", desc->msi_index, mf_virq(desc->irq),
					 irqd && irqd_is_activated(irqd) ? "*" : "");
		/* a multi-MSI block: one descriptor for nvec_used irqs */
		if (desc->nvec_used > 1 && len < (int)sizeof(row) - 8)
			len += scnprintf(row + len, sizeof(row) - len, "x%u", desc->nvec_used);
	}
	mf_unlock_descs(dev);
	if (kind || len)
		mf_trace("| dev%d/%u %s%s", d, domid, kind ?: "nodom", row);
}

void mf_snapshot(struct mf_ctx *ctx)
{
	int d, p;
	unsigned int domid;

	for (d = 0; d < MF_MAX_DEVS; d++) {
		struct device *dev = ctx->devs[d].dev;

		if (!ctx->devs[d].live || !dev->msi.data)
			continue;
		for (domid = 0; domid < MSI_MAX_DEVICE_IRQDOMAINS; domid++)
			mf_snapshot_slot(dev, d, domid);
	}
	for (d = 0; d < MF_MAX_DEVS; d++)
		if (ctx->devs[d].live && ctx->devs[d].pci)
			mf_pci_snapshot(ctx->devs[d].pci, d);
	for (p = 0; p < MF_NR_PARENTS; p++)
		mf_parent_snapshot(ctx->parents[p]);
}

void mf_ctx_init(struct mf_ctx *ctx, struct kunit *test)
{
	int p;

	memset(ctx, 0, sizeof(*ctx));
	ctx->test = test;
	mf_trace_reset();
	ctx->driver = kunit_driver_create(test, "msi_fuzz");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->driver);
	for (p = 0; p < MF_NR_PARENTS; p++) {
		ctx->parents[p] = mf_parent_create(test, p);
		KUNIT_ASSERT_NOT_NULL(test, ctx->parents[p]);
	}
}

/* The end of every sequence: the devices still present go, in the order they were named. */
void mf_end(struct mf_ctx *ctx)
{
	int d;

	mf_trace("> end");
	for (d = 0; d < MF_MAX_DEVS; d++)
		if (ctx->devs[d].live)
			mf_remove(ctx, d);
	mf_trace("= void");
	mf_snapshot(ctx);
}
