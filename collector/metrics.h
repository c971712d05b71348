/*
 * metrics.h - the Prometheus text exposition (format 0.0.4) of ioshimd:
 * the collector's own counters and the machine's I/O per executable and
 * class, kept as totals since the collector started (they outlive the
 * process images that produced them, so counters never go down).
 *
 * Cardinality is bounded: the top N executables (by disk write bytes since
 * the collector started) get their own series, everything else is summed
 * in exe="(other)".  Rule and metric list: docs/collector.md.
 */
#ifndef IOSHIMD_METRICS_H
#define IOSHIMD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"

#define METRICS_TOP_DEFAULT	20
#define METRICS_TOP_MAX		500
#define METRICS_MAX_EXES	1024	/* executables tracked; more -> (other) */

/* top: executables with their own series (1..METRICS_TOP_MAX). */
int	metrics_init(int top);
void	metrics_free(void);
/* agg_observe_fn: add the movement of an image's counters to its exe. */
void	metrics_observe(void *ctx, const struct image *, const uint64_t old[NPC]);
/* Render the whole exposition; malloc'd, NUL-terminated, NULL if no memory. */
char	*metrics_render(size_t *len);
/* mhist.c: the write-size and fsync-time histograms.  agg_file_fn. */
void	mhist_observe(void *ctx, const struct afile *, const uint64_t oldc[NFC],
	    const struct ahist *old);
char	*mhist_render(void);	/* malloc'd text, NULL if no memory */
/* Escape a label value into out (size > 0); always NUL-terminated. */
void	metrics_escape(const char *in, char *out, size_t size);

#endif
