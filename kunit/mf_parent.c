// SPDX-License-Identifier: GPL-2.0
/*
 * Fake MSI parents. Each is a root irq domain flagged IRQ_DOMAIN_FLAG_MSI_PARENT whose
 * msi_parent_ops hand device domains to the real msi_lib_init_dev_msi_info() and then install
 * the parent's own msi_prepare() and msi_teardown() (v6.16+) or msi_post_free() (before), as
 * the GICv3 ITS and pseries parents do. They imitate two lifecycle contracts:
 *
 *  - ITS-like: msi_prepare() finds or creates a per-device object (an ITS device: an event
 *    space sized by the nvec it is asked for, identified by the device domain's name as an ITS
 *    device is by its DeviceID); ->alloc() takes an event from it and a hwirq from the parent;
 *    the object is freed by msi_teardown() or msi_post_free() once no event is in use.
 *  - pseries-like: msi_prepare() asks the "firmware" to enable nvec vectors for the device
 *    domain (a quota shared by the parent's devices); ->alloc() is refused beyond what is
 *    enabled; msi_teardown() or msi_post_free() disable them again, whatever is still in use.
 *
 * Each contract comes with and without MSI_FLAG_ACTIVATE_EARLY in its required flags, so
 * the early activation path of the core runs too. Every callback is traced.
 */
#include <linux/bitmap.h>
#include <linux/irq.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/string.h>

#if __has_include(<linux/irqchip/irq-msi-lib.h>)
#include <linux/irqchip/irq-msi-lib.h>
#else
#include "../irq-msi-lib.h"
#endif

#include "mf.h"

#define MF_NAME_LEN	64

static struct irq_chip mf_parent_chip;

/* An ITS-like per-device object. */
struct mf_its_obj {
	struct list_head node;
	char name[MF_NAME_LEN];
	unsigned int id;
	unsigned int nr_events;
	unsigned int used;
	unsigned long *events;
};

/* pseries-like firmware state of one device domain. */
struct mf_fw_state {
	struct list_head node;
	char name[MF_NAME_LEN];
	unsigned int enabled;
	unsigned int used;
};

struct mf_parent {
	enum mf_contract contract;
	bool early;
	const char *name;
	u32 doorbell;
	struct irq_domain *domain;
	struct msi_parent_ops pops;
	DECLARE_BITMAP(hwirqs, MF_PARENT_HWIRQS);
	/* Per parent hwirq: the ITS object and its event, or the firmware state. */
	void *owner[MF_PARENT_HWIRQS];
	unsigned int event[MF_PARENT_HWIRQS];
	struct list_head objs;
	unsigned int next_id;
};

static const char *const mf_names[MF_NR_PARENTS] = {
	[MF_ITS] = "its",
	[MF_ITS_EARLY] = "its-early",
	[MF_PSERIES] = "ps",
	[MF_PSERIES_EARLY] = "ps-early",
};

/* msi_parent_ops::prefix: the device domains are "its-IMS-dev0", "ps-early-pMSI-dev1", ... */
static const char *const mf_prefixes[MF_NR_PARENTS] = {
	[MF_ITS] = "its-",
	[MF_ITS_EARLY] = "its-early-",
	[MF_PSERIES] = "ps-",
	[MF_PSERIES_EARLY] = "ps-early-",
};

static const u32 mf_doorbells[MF_NR_PARENTS] = {
	[MF_ITS] = 0x08080040,
	[MF_ITS_EARLY] = 0x08090040,
	[MF_PSERIES] = 0xfee00000,
	[MF_PSERIES_EARLY] = 0xfee10000,
};

const char *mf_parent_name(enum mf_contract contract)
{
	return mf_names[contract];
}

struct irq_domain *mf_parent_domain(struct mf_parent *p)
{
	return p->domain;
}

static bool mf_is_its(const struct mf_parent *p)
{
	return p->contract == MF_ITS || p->contract == MF_ITS_EARLY;
}

/*
 * The name of a device MSI domain as the trace prints it: "<prefix><chip>-devN", the core's
 * "<prefix><chip>-<device name>" with the device named as the sequence names it (the driver
 * core calls a kunit device "case.dev0" and a PCI function "0000:00:01.0").
 */
static const char *mf_domain_name(struct irq_domain *domain)
{
	static char names[4][MF_NAME_LEN];
	static unsigned int turn;
	struct msi_domain_info *info = msi_get_domain_info(domain);
	const char *full = info && info->chip && info->chip->name ? info->chip->name : "?";
	const char *dash = strrchr(full, '-');
	int d = mf_device_index(domain->dev);
	char *out = names[turn++ % ARRAY_SIZE(names)];

	if (!dash || d < 0)
		return full;
	snprintf(out, MF_NAME_LEN, "%.*sdev%d", (int)(dash + 1 - full), full, d);
	return out;
}

/* The device MSI domain an irq belongs to: its top level. */
static const char *mf_domain_of_virq(unsigned int virq)
{
	struct irq_data *top = irq_get_irq_data(virq);

	return top ? mf_domain_name(top->domain) : "?";
}

static struct mf_parent *mf_parent_of(struct irq_domain *device_domain)
{
	return device_domain->parent->host_data;
}

/* --- ITS-like --- */

static struct mf_its_obj *mf_its_find(struct mf_parent *p, const char *name)
{
	struct mf_its_obj *obj;

	list_for_each_entry(obj, &p->objs, node)
		if (!strcmp(obj->name, name))
			return obj;
	return NULL;
}

static void mf_its_free_obj(struct mf_its_obj *obj)
{
	list_del(&obj->node);
	bitmap_free(obj->events);
	kfree(obj);
}

/* its_msi_prepare()-like: find the device's object or create one for nvec events. */
static int mf_its_prepare(struct irq_domain *domain, struct device *dev, int nvec, msi_alloc_info_t *arg)
{
	struct mf_parent *p = mf_parent_of(domain);
	const char *name = mf_domain_name(domain);
	struct mf_its_obj *obj = mf_its_find(p, name);
	bool found = obj;

	if (!obj) {
		obj = kzalloc(sizeof(*obj), GFP_KERNEL);
		if (!obj)
			return -ENOMEM;
		strscpy(obj->name, name, sizeof(obj->name));
		/* An ITS sizes a device's event space to a power of two */
		obj->nr_events = roundup_pow_of_two(clamp(nvec, 1, 65536));
		obj->events = bitmap_zalloc(obj->nr_events, GFP_KERNEL);
		if (!obj->events) {
			kfree(obj);
			return -ENOMEM;
		}
		obj->id = ++p->next_id;
		list_add_tail(&obj->node, &p->objs);
	}
	arg->scratchpad[0].ptr = obj;
	mf_trace("%s.prepare %s nvec=%d obj=%u events=%u %s", p->name, name, nvec, obj->id, obj->nr_events,
		 found ? "found" : "new");
	return 0;
}

/* Frees the object once no event is in use; a live one stays (its irqs still point at it). */
static const char *mf_its_release(struct mf_its_obj *obj)
{
	if (obj->used)
		return "kept";
	mf_its_free_obj(obj);
	return "freed";
}

#if MF_HAS_TEARDOWN
/* its_msi_teardown()-like: the object prepared at creation goes with the domain. */
static void mf_its_teardown(struct irq_domain *domain, msi_alloc_info_t *arg)
{
	struct mf_parent *p = mf_parent_of(domain);
	struct mf_its_obj *obj = arg ? arg->scratchpad[0].ptr : NULL;
	unsigned int id = obj ? obj->id : 0, used = obj ? obj->used : 0;

	mf_trace("%s.teardown %s obj=%u used=%u %s", p->name, mf_domain_name(domain), id, used,
		 obj ? mf_its_release(obj) : "none");
}
#else
/* msi_post_free()-like: after every free, drop the object if nothing uses it any more. */
static void mf_its_post_free(struct irq_domain *domain, struct device *dev)
{
	struct mf_parent *p = mf_parent_of(domain);
	struct mf_its_obj *obj = mf_its_find(p, mf_domain_name(domain));
	unsigned int id = obj ? obj->id : 0, used = obj ? obj->used : 0;

	mf_trace("%s.post_free %s obj=%u used=%u %s", p->name, mf_domain_name(domain), id, used,
		 obj ? mf_its_release(obj) : "none");
}
#endif

/* --- pseries-like --- */

static struct mf_fw_state *mf_fw_find(struct mf_parent *p, const char *name, bool create)
{
	struct mf_fw_state *st;

	list_for_each_entry(st, &p->objs, node)
		if (!strcmp(st->name, name))
			return st;
	if (!create)
		return NULL;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return NULL;
	strscpy(st->name, name, sizeof(st->name));
	list_add_tail(&st->node, &p->objs);
	return st;
}

/* rtas_prepare_msi_irqs()-like: the firmware enables nvec vectors, within the parent's quota. */
static int mf_ps_prepare(struct irq_domain *domain, struct device *dev, int nvec, msi_alloc_info_t *arg)
{
	struct mf_parent *p = mf_parent_of(domain);
	const char *name = mf_domain_name(domain);
	struct mf_fw_state *st, *other;
	unsigned int others = 0, before;

	if (nvec <= 0) {
		mf_trace("%s.prepare %s nvec=%d refused", p->name, name, nvec);
		return -EINVAL;
	}
	st = mf_fw_find(p, name, true);
	if (!st)
		return -ENOMEM;
	list_for_each_entry(other, &p->objs, node)
		if (other != st)
			others += other->enabled;
	if (others + nvec > MF_PS_QUOTA) {
		mf_trace("%s.prepare %s nvec=%d over-quota=%u", p->name, name, nvec, others);
		return -ENOSPC;
	}
	before = st->enabled;
	st->enabled = nvec;
	mf_trace("%s.prepare %s nvec=%d enabled=%u->%u", p->name, name, nvec, before, st->enabled);
	return 0;
}

/* rtas_disable_msi()-like: the firmware disables the domain's vectors, used or not. */
static const char *mf_ps_disable(struct mf_parent *p, const char *name, unsigned int *before, unsigned int *used)
{
	struct mf_fw_state *st = mf_fw_find(p, name, false);

	*before = st ? st->enabled : 0;
	*used = st ? st->used : 0;
	if (!st)
		return "none";
	st->enabled = 0;
	return "disabled";
}

#if MF_HAS_TEARDOWN
static void mf_ps_teardown(struct irq_domain *domain, msi_alloc_info_t *arg)
{
	struct mf_parent *p = mf_parent_of(domain);
	unsigned int before, used;
	const char *what = mf_ps_disable(p, mf_domain_name(domain), &before, &used);

	mf_trace("%s.teardown %s enabled=%u used=%u %s", p->name, mf_domain_name(domain), before, used, what);
}
#else
static void mf_ps_post_free(struct irq_domain *domain, struct device *dev)
{
	struct mf_parent *p = mf_parent_of(domain);
	unsigned int before, used;
	const char *what = mf_ps_disable(p, mf_domain_name(domain), &before, &used);

	mf_trace("%s.post_free %s enabled=%u used=%u %s", p->name, mf_domain_name(domain), before, used, what);
}
#endif

/* --- the parent irq domain --- */

static int mf_parent_alloc_one(struct mf_parent *p, unsigned int virq, msi_alloc_info_t *arg)
{
	const char *dom = mf_domain_of_virq(virq);
	struct mf_its_obj *obj = NULL;
	struct mf_fw_state *st = NULL;
	unsigned int hwirq, event = 0;

	if (mf_is_its(p)) {
		obj = arg->scratchpad[0].ptr;
		event = obj ? find_first_zero_bit(obj->events, obj->nr_events) : 0;
		if (!obj || event >= obj->nr_events) {
			mf_trace("%s.alloc %s %s obj=%u no-event", p->name, mf_virq(virq), dom, obj ? obj->id : 0);
			return -ENOSPC;
		}
	} else {
		st = mf_fw_find(p, dom, false);
		if (!st || st->used >= st->enabled) {
			mf_trace("%s.alloc %s %s used=%u enabled=%u refused", p->name, mf_virq(virq), dom,
				 st ? st->used : 0, st ? st->enabled : 0);
			return -ENOSPC;
		}
	}
	hwirq = find_first_zero_bit(p->hwirqs, MF_PARENT_HWIRQS);
	if (hwirq >= MF_PARENT_HWIRQS) {
		mf_trace("%s.alloc %s %s no-hwirq", p->name, mf_virq(virq), dom);
		return -ENOSPC;
	}
	set_bit(hwirq, p->hwirqs);
	if (obj) {
		set_bit(event, obj->events);
		obj->used++;
		p->owner[hwirq] = obj;
		p->event[hwirq] = event;
		mf_trace("%s.alloc %s %s hwirq=%u obj=%u event=%u", p->name, mf_virq(virq), dom, hwirq, obj->id, event);
	} else {
		st->used++;
		p->owner[hwirq] = st;
		mf_trace("%s.alloc %s %s hwirq=%u used=%u/%u", p->name, mf_virq(virq), dom, hwirq, st->used, st->enabled);
	}
	irq_domain_set_hwirq_and_chip(p->domain, virq, hwirq, &mf_parent_chip, p);
	return 0;
}

static void mf_parent_free_one(struct mf_parent *p, unsigned int virq)
{
	struct irq_data *d = irq_domain_get_irq_data(p->domain, virq);
	unsigned int hwirq;

	if (!d)
		return;
	hwirq = d->hwirq;
	if (hwirq < MF_PARENT_HWIRQS && test_bit(hwirq, p->hwirqs)) {
		if (mf_is_its(p)) {
			struct mf_its_obj *obj = p->owner[hwirq];

			clear_bit(p->event[hwirq], obj->events);
			obj->used--;
			mf_trace("%s.free %s hwirq=%u obj=%u event=%u", p->name, mf_virq(virq), hwirq, obj->id,
				 p->event[hwirq]);
		} else {
			struct mf_fw_state *st = p->owner[hwirq];

			st->used--;
			mf_trace("%s.free %s hwirq=%u used=%u/%u", p->name, mf_virq(virq), hwirq, st->used, st->enabled);
		}
		clear_bit(hwirq, p->hwirqs);
		p->owner[hwirq] = NULL;
	}
	irq_domain_reset_irq_data(d);
}

static int mf_parent_domain_alloc(struct irq_domain *domain, unsigned int virq, unsigned int nr_irqs, void *arg)
{
	struct mf_parent *p = domain->host_data;
	unsigned int i;
	int ret;

	for (i = 0; i < nr_irqs; i++) {
		ret = mf_parent_alloc_one(p, virq + i, arg);
		if (ret) {
			/* Undo this call's earlier irqs: a failed ->alloc() leaves nothing behind */
			while (i--)
				mf_parent_free_one(p, virq + i);
			return ret;
		}
	}
	return 0;
}

static void mf_parent_domain_free(struct irq_domain *domain, unsigned int virq, unsigned int nr_irqs)
{
	struct mf_parent *p = domain->host_data;
	unsigned int i;

	for (i = 0; i < nr_irqs; i++)
		mf_parent_free_one(p, virq + i);
}

static int mf_parent_domain_activate(struct irq_domain *domain, struct irq_data *d, bool reserve)
{
	struct mf_parent *p = domain->host_data;

	mf_trace("%s.activate %s hwirq=%lu", p->name, mf_virq(d->irq), d->hwirq);
	return 0;
}

static void mf_parent_domain_deactivate(struct irq_domain *domain, struct irq_data *d)
{
	struct mf_parent *p = domain->host_data;

	mf_trace("%s.deactivate %s hwirq=%lu", p->name, mf_virq(d->irq), d->hwirq);
}

static const struct irq_domain_ops mf_parent_domain_ops = {
	.alloc		= mf_parent_domain_alloc,
	.free		= mf_parent_domain_free,
	.activate	= mf_parent_domain_activate,
	.deactivate	= mf_parent_domain_deactivate,
};

/* The message an ITS-like parent composes carries the event, a pseries-like one the hwirq. */
static void mf_parent_compose_msi_msg(struct irq_data *d, struct msi_msg *msg)
{
	struct mf_parent *p = irq_data_get_irq_chip_data(d);

	msg->address_hi = 0;
	msg->address_lo = p->doorbell;
	msg->data = mf_is_its(p) ? p->event[d->hwirq] : d->hwirq;
}

static void mf_parent_mask(struct irq_data *d)
{
}

static struct irq_chip mf_parent_chip = {
	.name			= "MF-PARENT",
	.irq_mask		= mf_parent_mask,
	.irq_unmask		= mf_parent_mask,
	.irq_compose_msi_msg	= mf_parent_compose_msi_msg,
};

/* The parent's init_dev_msi_info: msi_lib's, then the parent's own domain ops, as ITS does. */
static bool mf_init_dev_msi_info(struct device *dev, struct irq_domain *domain,
				 struct irq_domain *real_parent, struct msi_domain_info *info)
{
	struct mf_parent *p = domain->host_data;

	if (!msi_lib_init_dev_msi_info(dev, domain, real_parent, info))
		return false;
	info->ops->msi_prepare = mf_is_its(p) ? mf_its_prepare : mf_ps_prepare;
#if MF_HAS_TEARDOWN
	info->ops->msi_teardown = mf_is_its(p) ? mf_its_teardown : mf_ps_teardown;
#else
	info->ops->msi_post_free = mf_is_its(p) ? mf_its_post_free : mf_ps_post_free;
#endif
	return true;
}

struct mf_parent *mf_parent_create(struct kunit *test, enum mf_contract contract)
{
	struct mf_parent *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	struct fwnode_handle *fwnode;

	if (!p)
		return NULL;
	p->contract = contract;
	p->early = contract == MF_ITS_EARLY || contract == MF_PSERIES_EARLY;
	p->name = mf_names[contract];
	p->doorbell = mf_doorbells[contract];
	INIT_LIST_HEAD(&p->objs);
	p->pops = (struct msi_parent_ops) {
		/* PCI functions (mf_pci.c) may use multi-MSI, MSI-X and dynamic MSI-X allocation */
		.supported_flags	= MSI_GENERIC_FLAGS_MASK | MSI_FLAG_MULTI_PCI_MSI | MSI_FLAG_PCI_MSIX |
					  MSI_FLAG_PCI_MSIX_ALLOC_DYN,
		.required_flags		= MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS |
					  (p->early ? MSI_FLAG_ACTIVATE_EARLY : 0),
		.bus_select_token	= DOMAIN_BUS_NEXUS,
		.bus_select_mask	= MATCH_PLATFORM_MSI | MATCH_PCI_MSI,
		.prefix			= mf_prefixes[contract],
		.init_dev_msi_info	= mf_init_dev_msi_info,
	};
	fwnode = irq_domain_alloc_named_fwnode(p->name);
	if (!fwnode)
		return NULL;
	p->domain = irq_domain_create_hierarchy(NULL, IRQ_DOMAIN_FLAG_MSI_PARENT, MF_PARENT_HWIRQS, fwnode,
						&mf_parent_domain_ops, p);
	if (!p->domain)
		return NULL;
	irq_domain_update_bus_token(p->domain, DOMAIN_BUS_NEXUS);
	p->domain->msi_parent_ops = &p->pops;
	return p;
}

/* Parent rows of a snapshot: live objects or firmware states, and the hwirqs in use. */
void mf_parent_snapshot(struct mf_parent *p)
{
	unsigned int n = bitmap_weight(p->hwirqs, MF_PARENT_HWIRQS);

	if (mf_is_its(p)) {
		struct mf_its_obj *obj;

		list_for_each_entry(obj, &p->objs, node)
			mf_trace("| %s obj=%u %s events=%u used=%u", p->name, obj->id, obj->name, obj->nr_events, obj->used);
	} else {
		struct mf_fw_state *st;

		list_for_each_entry(st, &p->objs, node)
			if (st->enabled || st->used)
				mf_trace("| %s fw %s enabled=%u used=%u", p->name, st->name, st->enabled, st->used);
	}
	if (n)
		mf_trace("| %s hwirqs=%u", p->name, n);
}
