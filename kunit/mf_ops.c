// SPDX-License-Identifier: GPL-2.0
/*
 * The ops a sequence is made of, each a direct call of the core's device-MSI API (or of the
 * driver core for devices), traced as "> op args", the callbacks it caused, "= result", and
 * a snapshot of every live device's descriptor tables and of the parents' state.
 */
#include <linux/err.h>
#include <linux/irq.h>
#include <linux/msi.h>
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
	}
	mf_result(ret);
	return ret;
}

int mf_dev_del(struct mf_ctx *ctx, int d)
{
	struct device *dev;

	mf_trace("> dev_del dev%d", d);
	dev = mf_device(ctx, d);
	if (!dev)
		return -EINVAL;
	/* Unbinding releases the devres: msi_device_data_release() removes the device domains */
	if (ctx->devs[d].pdev)
		platform_device_unregister(ctx->devs[d].pdev);
	else
		kunit_device_unregister(ctx->test, dev);
	ctx->devs[d].live = false;
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
static void mf_snapshot_slot(struct device *dev, int d, unsigned int domid)
{
	bool has_domain = msi_match_device_irq_domain(dev, domid, DOMAIN_BUS_DEVICE_MSI);
	struct msi_desc *desc;
	char row[512];
	int len = 0;

	mf_lock_descs(dev);
	for (desc = msi_domain_first_desc(dev, domid, MSI_DESC_ALL); desc; desc = msi_next_desc(dev, domid, MSI_DESC_ALL)) {
		struct irq_data *irqd = desc->irq ? irq_get_irq_data(desc->irq) : NULL;

		if (len < (int)sizeof(row) - 24)
			len += scnprintf(row + len, sizeof(row) - len, " %u:%s%s", desc->msi_index, mf_virq(desc->irq),
					 irqd && irqd_is_activated(irqd) ? "*" : "");
	}
	mf_unlock_descs(dev);
	if (has_domain || len)
		mf_trace("| dev%d/%u %s%s", d, domid, has_domain ? "dom" : "nodom", row);
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
	for (d = 0; d < MF_MAX_DEVS; d++) {
		if (!ctx->devs[d].live)
			continue;
		if (ctx->devs[d].pdev)
			platform_device_unregister(ctx->devs[d].pdev);
		else
			kunit_device_unregister(ctx->test, ctx->devs[d].dev);
		ctx->devs[d].live = false;
	}
	mf_trace("= void");
	mf_snapshot(ctx);
}
