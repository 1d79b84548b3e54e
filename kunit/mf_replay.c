// SPDX-License-Identifier: GPL-2.0
/*
 * The replay case: reads an op sequence from the kernel command line (msi_fuzz.ops=) or, on
 * UML, from a host file (msi_fuzz.file=; the command line holds 4096 bytes), runs it op by
 * op with a snapshot after each, and ends by removing the devices still present. The trace
 * on the console is the result; the case itself passes unless the sequence cannot be parsed.
 *
 * Sequence syntax: ops separated by ';', an op is a letter and comma-separated numbers:
 *   A<d>,<platform 0|1>,<parent 0-3>	dev_add
 *   D<d>				dev_del
 *   C<d>,<domid>,<hwsize>		msi_create_device_irq_domain
 *   R<d>,<domid>			msi_remove_device_irq_domain
 *   L<d>,<domid>,<first>,<last>	msi_domain_alloc_irqs_range
 *   F<d>,<domid>,<first>,<last>	msi_domain_free_irqs_range
 *   T<d>,<domid>,<index|-1 for any>	msi_domain_alloc_irq_at
 *   X<d>,<domid>			msi_domain_free_irqs_all
 *   P<d>,<nvec>			platform_device_msi_init_and_alloc_irqs
 *   Q<d>				platform_device_msi_free_irqs_all
 *   B<d>,<msi>,<msix>,<parent 0-3>	pci_dev_add (a fake PCI function, UML_PCI kernels)
 *   V<d>,<min>,<max>,<flags>		pci_alloc_irq_vectors (PCI_IRQ_MSI 2, PCI_IRQ_MSIX 4)
 *   W<d>				pci_free_irq_vectors
 *   Y<d>,<index|-1 for any>		pci_msix_alloc_irq_at
 *   Z<d>,<index>			pci_msix_free_irq
 * Numbers are unsigned 32-bit except the -1 of T.
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

#ifdef CONFIG_UML
#include <os.h>
#endif

#include "mf.h"

static char *mf_ops_param;
module_param_named(ops, mf_ops_param, charp, 0444);
MODULE_PARM_DESC(ops, "op sequence to replay");

static char *mf_file_param;
module_param_named(file, mf_file_param, charp, 0444);
MODULE_PARM_DESC(file, "host file holding the op sequence (UML)");

#define MF_MAX_ARGS	4
#define MF_FILE_MAX	(256 * 1024)

#ifdef CONFIG_UML
static char *mf_read_host_file(struct kunit *test, const char *path)
{
	char *buf = kunit_kzalloc(test, MF_FILE_MAX, GFP_KERNEL);
	int fd, n;

	if (!buf)
		return NULL;
	fd = os_open_file(path, of_read(OPENFLAGS()), 0);
	if (fd < 0)
		return NULL;
	n = os_read_file(fd, buf, MF_FILE_MAX - 1);
	os_close_file(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}
#else
static char *mf_read_host_file(struct kunit *test, const char *path)
{
	return NULL;
}
#endif

/* Runs one op; returns false when it cannot be parsed. */
static bool mf_run_op(struct mf_ctx *ctx, char *op)
{
	long long a[MF_MAX_ARGS] = { 0 };
	int n = 0;
	char code, *tok, *rest;

	op = strim(op);
	if (!*op)
		return true;
	code = *op++;
	rest = op;
	while ((tok = strsep(&rest, ",")) && n < MF_MAX_ARGS) {
		if (kstrtoll(strim(tok), 10, &a[n++]))
			return false;
	}
	switch (code) {
	case 'A': mf_dev_add(ctx, a[0], a[1], a[2]); break;
	case 'D': mf_dev_del(ctx, a[0]); break;
	case 'C': mf_domain_create(ctx, a[0], a[1], a[2]); break;
	case 'R': mf_domain_remove(ctx, a[0], a[1]); break;
	case 'L': mf_alloc_range(ctx, a[0], a[1], a[2], a[3]); break;
	case 'F': mf_free_range(ctx, a[0], a[1], a[2], a[3]); break;
	case 'T': mf_alloc_at(ctx, a[0], a[1], a[2] < 0 ? MSI_ANY_INDEX : a[2]); break;
	case 'X': mf_free_all(ctx, a[0], a[1]); break;
	case 'P': mf_pmsi_alloc(ctx, a[0], a[1]); break;
	case 'Q': mf_pmsi_free(ctx, a[0]); break;
	case 'B': mf_pci_dev_add(ctx, a[0], a[1], a[2], a[3]); break;
	case 'V': mf_pci_alloc_vectors(ctx, a[0], a[1], a[2], a[3]); break;
	case 'W': mf_pci_free_vectors(ctx, a[0]); break;
	case 'Y': mf_pci_msix_alloc_at(ctx, a[0], a[1] < 0 ? MSI_ANY_INDEX : a[1]); break;
	case 'Z': mf_pci_msix_free(ctx, a[0], a[1]); break;
	default: return false;
	}
	mf_snapshot(ctx);
	return true;
}

static void mf_replay(struct kunit *test)
{
	struct mf_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	char *seq, *op;

	if (mf_file_param && *mf_file_param) {
		seq = mf_read_host_file(test, mf_file_param);
		KUNIT_ASSERT_NOT_NULL_MSG(test, seq, "cannot read host file %s", mf_file_param);
	} else if (mf_ops_param && *mf_ops_param) {
		seq = kunit_kstrdup(test, mf_ops_param, GFP_KERNEL);
	} else {
		kunit_skip(test, "no sequence (msi_fuzz.ops= or msi_fuzz.file=)");
	}
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	KUNIT_ASSERT_NOT_NULL(test, seq);
	mf_ctx_init(ctx, test);
	mf_trace("begin");
	while ((op = strsep(&seq, ";")))
		KUNIT_ASSERT_TRUE_MSG(test, mf_run_op(ctx, op), "bad op '%s'", op);
	mf_end(ctx);
	mf_trace("done");
}

static struct kunit_case mf_replay_cases[] = {
	KUNIT_CASE(mf_replay),
	{}
};

static struct kunit_suite mf_replay_suite = {
	.name = "msi_fuzz",
	.test_cases = mf_replay_cases,
};
kunit_test_suite(mf_replay_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("msi-fuzz: replay MSI op sequences against fake MSI parents");
