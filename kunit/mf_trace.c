// SPDX-License-Identifier: GPL-2.0
/*
 * The trace: one line per op, parent callback and snapshot row, printed on the console with
 * the prefix "MF: " (the runner reads it there, between the kernel's own WARNING lines) and
 * kept in memory so an exported case can compare it with the model's prediction.
 *
 * Linux irq numbers are printed as v0, v1, ... in order of first appearance: the numbers
 * themselves depend on what the kernel allocated at boot (64 on a 6.12 UML kernel, 128 on
 * 7.2), their reuse does not.
 */
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/stdarg.h>
#include <linux/string.h>

#include "mf.h"

#define MF_TRACE_MAX	8192
#define MF_VIRQ_MAX	512

static char *lines[MF_TRACE_MAX];
static unsigned int nr_lines;
static unsigned int virqs[MF_VIRQ_MAX];
static char virq_names[MF_VIRQ_MAX][8];
static unsigned int nr_virqs;
static struct device *named[MF_MAX_DEVS];

void mf_trace_reset(void)
{
	unsigned int i;

	for (i = 0; i < nr_lines; i++)
		kfree(lines[i]);
	nr_lines = 0;
	nr_virqs = 0;
	memset(named, 0, sizeof(named));
}

/* Devices are named devN in the trace, whatever the driver core calls them. */
void mf_name_device(struct device *dev, int d)
{
	if (d >= 0 && d < MF_MAX_DEVS)
		named[d] = dev;
}

void mf_forget_device(struct device *dev)
{
	int d = mf_device_index(dev);

	if (d >= 0)
		named[d] = NULL;
}

int mf_device_index(struct device *dev)
{
	int d;

	for (d = 0; dev && d < MF_MAX_DEVS; d++)
		if (named[d] == dev)
			return d;
	return -1;
}

void mf_trace(const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = kvasprintf(GFP_KERNEL, fmt, ap);
	va_end(ap);
	if (!line)
		return;
	pr_info("MF: %s\n", line);
	if (nr_lines < MF_TRACE_MAX)
		lines[nr_lines++] = line;
	else
		kfree(line);
}

/* The stable name of a Linux irq number: its rank of first appearance in this trace. */
const char *mf_virq(unsigned int virq)
{
	unsigned int i;

	if (!virq)
		return "-";
	for (i = 0; i < nr_virqs; i++)
		if (virqs[i] == virq)
			return virq_names[i];
	if (nr_virqs == MF_VIRQ_MAX)
		return "v?";
	virqs[nr_virqs] = virq;
	snprintf(virq_names[nr_virqs], sizeof(virq_names[0]), "v%u", nr_virqs);
	return virq_names[nr_virqs++];
}

unsigned int mf_trace_count(void)
{
	return nr_lines;
}

const char *mf_trace_line(unsigned int i)
{
	return i < nr_lines ? lines[i] : NULL;
}

/*
 * Compares the trace so far with what msi-fuzz's model predicts (an exported case): the first
 * differing line fails the case with both versions; WARN splats are not in this trace.
 */
void mf_expect_trace(struct kunit *test, const char *const *expected, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && i < nr_lines; i++) {
		if (strcmp(lines[i], expected[i])) {
			KUNIT_FAIL(test, "trace line %u: kernel '%s', model predicted '%s'", i + 1, lines[i], expected[i]);
			return;
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, nr_lines, n, "trace length: kernel %u lines, model predicted %u (first extra: '%s')",
			    nr_lines, n, i < nr_lines ? lines[i] : expected[i]);
}
