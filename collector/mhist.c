/*
 * mhist.c - the histograms of /metrics: the sizes of the write calls the
 * programs made and the time their fsync calls took, per file class,
 * machine-wide since the collector started (no executable, uid or user
 * label: docs/collector.md, "Metrics").
 *
 * The shims send, per file, cumulative counts of write calls in six size
 * buckets (<100, <1000, <10000, <100000, <1000000 bytes, more), the bytes
 * written, the total time of fsync-family calls, and (IW_FILES2 rows) the
 * calls that reached the kernel in six time buckets (<=100 us, <=1 ms,
 * <=10 ms, <=100 ms, <=1 s, more).  The live table tells mhist_observe()
 * how much each file row moved with every report (by the rule of sat.h: a
 * counter only rises), and the movements are added here, in totals that
 * outlive the images.  Both become Prometheus histograms: write sizes
 * with le="99", "999", ..., "+Inf" (whole bytes, so "< 100" is "<= 99"),
 * fsync time with le="0.0001", "0.001", ..., "1", "+Inf" seconds; each
 * _count is its +Inf bucket.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "metrics.h"
#include "sat.h"

static struct {
	uint64_t	sizes[IW_NCLASS][IW_NSIZES];
	uint64_t	wbytes[IW_NCLASS];
	uint64_t	ftimes[IW_NCLASS][IW_NFTIMES];
	uint64_t	fsync_ns[IW_NCLASS];
} H;

static const char *const le[IW_NSIZES] = {
	"99", "999", "9999", "99999", "999999", "+Inf"
};
static const char *const le_t[IW_NFTIMES] = {	/* iw_ftime_bucket() */
	"0.0001", "0.001", "0.01", "0.1", "1", "+Inf"
};

void
mhist_observe(void *ctx, const struct afile *f, const uint64_t oldc[NFC],
    const struct ahist *old)
{
	int c = f->cls < IW_NCLASS ? f->cls : IW_OTHER, k;

	for (k = 0; k < IW_NSIZES; k++)
		H.sizes[c][k] = sat_add(H.sizes[c][k], dlt(f->hist.sizes[k],
		    old->sizes[k]));
	for (k = 0; k < IW_NFTIMES; k++)
		H.ftimes[c][k] = sat_add(H.ftimes[c][k], dlt(f->hist.ftimes[k],
		    old->ftimes[k]));
	H.wbytes[c] = sat_add(H.wbytes[c], dlt(f->cur[F_WRITE_BYTES],
	    oldc[F_WRITE_BYTES]));
	H.fsync_ns[c] = sat_add(H.fsync_ns[c], dlt(f->cur[F_FSYNC_NS],
	    oldc[F_FSYNC_NS]));
}

/* A class has series once it has a count; disk always has them. */
static int
shown(const uint64_t *v, int n, int c)
{
	int k;

	if (c == IW_DISK)
		return 1;
	for (k = 0; k < n; k++)
		if (v[k] != 0)
			return 1;
	return 0;
}

/* One class's cumulative buckets of histogram n; returns the count. */
static uint64_t
buckets(FILE *o, const char *n, int c, const uint64_t *v,
    const char *const *bounds, int nb)
{
	uint64_t cum = 0;
	int k;

	for (k = 0; k < nb; k++) {
		cum = sat_add(cum, v[k]);
		fprintf(o, "%s_bucket{class=\"%s\",le=\"%s\"} %" PRIu64 "\n",
		    n, class_names[c], bounds[k], cum);
	}
	return cum;
}

static void
write_sizes(FILE *o)
{
	const char *n = "ioshim_write_size_bytes";
	uint64_t cum;
	int c;

	fprintf(o, "# HELP %s Sizes of the write calls programs made to files, "
	    "by file class, since ioshimd started.\n# TYPE %s histogram\n", n,
	    n);
	for (c = 0; c < IW_NCLASS; c++) {
		if (!shown(H.sizes[c], IW_NSIZES, c))
			continue;
		cum = buckets(o, n, c, H.sizes[c], le, IW_NSIZES);
		fprintf(o, "%s_sum{class=\"%s\"} %" PRIu64 "\n", n,
		    class_names[c], H.wbytes[c]);
		fprintf(o, "%s_count{class=\"%s\"} %" PRIu64 "\n", n,
		    class_names[c], cum);
	}
}

static void
fsync_time(FILE *o)
{
	const char *n = "ioshim_fsync_duration_seconds";
	uint64_t cum;
	int c;

	fprintf(o, "# HELP %s Time the fsync, fdatasync and sync_file_range "
	    "calls on files took, by file class, since ioshimd started.\n"
	    "# TYPE %s histogram\n", n, n);
	for (c = 0; c < IW_NCLASS; c++) {
		if (!shown(H.ftimes[c], IW_NFTIMES, c))
			continue;
		cum = buckets(o, n, c, H.ftimes[c], le_t, IW_NFTIMES);
		fprintf(o, "%s_sum{class=\"%s\"} %" PRIu64 ".%09" PRIu64 "\n",
		    n, class_names[c], H.fsync_ns[c] / 1000000000u,
		    H.fsync_ns[c] % 1000000000u);
		fprintf(o, "%s_count{class=\"%s\"} %" PRIu64 "\n", n,
		    class_names[c], cum);
	}
}

char *
mhist_render(void)
{
	char *p = NULL;
	size_t len = 0;
	FILE *o;

	if ((o = open_memstream(&p, &len)) == NULL)
		return NULL;
	write_sizes(o);
	fsync_time(o);
	if (fclose(o) != 0) {
		free(p);
		return NULL;
	}
	return p;
}
