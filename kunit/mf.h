/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msi-fuzz KUnit suite: fake MSI parents on the real msi_lib, fake devices, and a replay of
 * op sequences through the genirq/MSI core's device-MSI API. Every op, every parent callback
 * and a snapshot of the descriptor tables after each op are traced, one line each, in the
 * vocabulary the msi-fuzz model prints (models/platforms/kunit-fake/ in the project), so the
 * two traces can be compared line by line.
 */
#ifndef MSI_FUZZ_MF_H
#define MSI_FUZZ_MF_H

#include <kunit/test.h>
#include <linux/device.h>
#include <linux/irqdomain.h>
#include <linux/msi.h>
#include <linux/platform_device.h>
#include <linux/version.h>

/*
 * The two lifecycle contracts of the core. Before v6.16 msi_prepare() runs on every
 * allocation and msi_post_free() after every free; from v6.16 msi_prepare() runs once when
 * the device domain is created and msi_teardown() when it is removed; v6.18 dropped
 * msi_post_free(). The descriptor lock became a guard in v6.16.
 */
#define MF_HAS_TEARDOWN		(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0))
#define MF_HAS_POST_FREE	(LINUX_VERSION_CODE < KERNEL_VERSION(6, 18, 0))
/* In-kernel virtual PCI functions on UML (um_pci_device_register()); 6.12 has virtio ones only. */
#define MF_HAS_UML_PCI		IS_ENABLED(CONFIG_UML_PCI)

/*
 * Devices a sequence may name (dev0..dev15), and hwirqs each parent can hand out: four
 * parents of 15 stay below the 64 dynamic irqs of a 6.12 UML kernel (NR_IRQS 128, the
 * first 64 for host signals), so the parent runs out before the irq descriptors do.
 */
#define MF_MAX_DEVS		16
#define MF_PARENT_HWIRQS	15
/* Most MSI vectors the pseries-like firmware enables across all device domains. */
#define MF_PS_QUOTA		32

/* The fake parents: two lifecycle contracts, each without and with early activation. */
enum mf_contract {
	/* A per-device object created in msi_prepare(), freed in msi_teardown()/msi_post_free(). */
	MF_ITS,
	MF_ITS_EARLY,
	/* Firmware state enabled in msi_prepare(), disabled in msi_teardown()/msi_post_free(). */
	MF_PSERIES,
	MF_PSERIES_EARLY,
	MF_NR_PARENTS,
};

struct mf_parent;
struct mf_pci_fn;

struct mf_dev {
	struct device *dev;
	struct platform_device *pdev;	/* set for a platform device */
	struct mf_pci_fn *pci;		/* set for a PCI function (mf_pci.c) */
	enum mf_contract parent;
	bool live;
};

struct mf_ctx {
	struct kunit *test;
	/* The driver every kunit device of the case binds to (see mf_dev_add()). */
	struct device_driver *driver;
	struct mf_parent *parents[MF_NR_PARENTS];
	struct mf_dev devs[MF_MAX_DEVS];
};

/* mf_trace.c: the trace, on the console (prefix "MF: ") and in memory for exported cases. */
void mf_trace_reset(void);
__printf(1, 2) void mf_trace(const char *fmt, ...);
const char *mf_virq(unsigned int virq);
unsigned int mf_trace_count(void);
const char *mf_trace_line(unsigned int i);
void mf_name_device(struct device *dev, int d);
void mf_forget_device(struct device *dev);
int mf_device_index(struct device *dev);
void mf_expect_trace(struct kunit *test, const char *const *expected, unsigned int n);

/* mf_parent.c */
struct mf_parent *mf_parent_create(struct kunit *test, enum mf_contract contract);
const char *mf_parent_name(enum mf_contract contract);
struct irq_domain *mf_parent_domain(struct mf_parent *p);
void mf_parent_snapshot(struct mf_parent *p);

/* mf_ops.c: one function per op; each traces its call and result. */
int mf_dev_add(struct mf_ctx *ctx, int d, bool platform, enum mf_contract parent);
int mf_dev_del(struct mf_ctx *ctx, int d);
int mf_domain_create(struct mf_ctx *ctx, int d, unsigned int domid, unsigned int hwsize);
int mf_domain_remove(struct mf_ctx *ctx, int d, unsigned int domid);
int mf_alloc_range(struct mf_ctx *ctx, int d, unsigned int domid, unsigned int first, unsigned int last);
int mf_free_range(struct mf_ctx *ctx, int d, unsigned int domid, unsigned int first, unsigned int last);
int mf_alloc_at(struct mf_ctx *ctx, int d, unsigned int domid, unsigned int index);
int mf_free_all(struct mf_ctx *ctx, int d, unsigned int domid);
int mf_pmsi_alloc(struct mf_ctx *ctx, int d, unsigned int nvec);
int mf_pmsi_free(struct mf_ctx *ctx, int d);
int mf_pci_dev_add(struct mf_ctx *ctx, int d, unsigned int msi, unsigned int msix, enum mf_contract parent);
int mf_pci_alloc_vectors(struct mf_ctx *ctx, int d, unsigned int min, unsigned int max, unsigned int flags);
int mf_pci_free_vectors(struct mf_ctx *ctx, int d);
int mf_pci_msix_alloc_at(struct mf_ctx *ctx, int d, unsigned int index);
int mf_pci_msix_free(struct mf_ctx *ctx, int d, unsigned int index);
void mf_snapshot(struct mf_ctx *ctx);

/* mf_pci.c: the fake PCI function (UML_PCI kernels only) */
struct mf_pci_fn *mf_pci_add(int d, unsigned int msi, unsigned int msix, struct irq_domain *parent);
void mf_pci_del(struct mf_pci_fn *fn);
struct device *mf_pci_device(struct mf_pci_fn *fn);
void mf_pci_snapshot(struct mf_pci_fn *fn, int d);
void mf_ctx_init(struct mf_ctx *ctx, struct kunit *test);
void mf_end(struct mf_ctx *ctx);

#endif /* MSI_FUZZ_MF_H */
