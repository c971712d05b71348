/*
 * health.c - the reply to `health` (query socket and GET /health): the
 * collector's state, its ingest counters, the database's figures, its own
 * I/O and memory, the last window's machine-wide rates, and the reasons
 * it is not ok, summed up in "state" (ok, degraded, failing: the worst
 * severity among the reasons); for a client that is not an administrator
 * only what concerns it (health_reply()).  docs/protocol.md lists the
 * keys, docs/collector.md ("Health") what each state and reason means.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "counters.h"
#include "hreason.h"
#include "import.h"
#include "impstats.h"
#include "ioshimd.h"
#include "salvager.h"
#include "query_impl.h"
#include "request.h"
#include "sat.h"

static uint64_t
readfield(const char *path, const char *key)
{
	char buf[4096], *p;
	FILE *f;
	uint64_t v = 0;
	size_t kl = strlen(key);

	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (strncmp(buf, key, kl) == 0) {
			for (p = buf + kl; *p == ' ' || *p == '\t' || *p == ':';
			    p++)
				;
			v = strtoull(p, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* The ingest counters (machine-wide). */
static void
messages(struct jbuf *j)
{
	const struct agg_stats *as = agg_stats(D.agg);
	uint64_t dropped;

	dropped = D.in.malformed + D.in.oversized + D.in.no_creds +
	    as->refused_images + as->bad_identity;
	jb_key(j, "messages");
	jb_obj(j);
	jb_ku64(j, "received", D.in.received);
	jb_ku64(j, "accepted", D.in.accepted);
	jb_ku64(j, "dropped", dropped);
	jb_ku64(j, "malformed", D.in.malformed);
	jb_ku64(j, "oversized", D.in.oversized);
	jb_ku64(j, "no_credentials", D.in.no_creds);
	jb_ku64(j, "stale", as->stale);
	jb_ku64(j, "refused_images", as->refused_images);
	jb_ku64(j, "refused_files", as->refused_files);
	jb_ku64(j, "bad_identity", as->bad_identity);
	jb_ku64(j, "bytes", D.in.bytes);
	jb_key(j, "malformed_by_reason");
	jb_obj(j);
	for (int e = 1; e < DEC_NERR; e++)
		jb_ku64(j, dec_errname(e), D.in.by_error[e]);
	jb_endobj(j);
	jb_endobj(j);
}

/* The collector's own I/O and memory. */
static void
own(struct jbuf *j, time_t now)
{
	int64_t wb;

	jb_key(j, "own");
	jb_obj(j);
	wb = (int64_t)readfield("/proc/self/io", "write_bytes");
	jb_ki64(j, "write_bytes", wb);
	jb_ku64(j, "wchar", readfield("/proc/self/io", "wchar"));
	jb_kdbl(j, "write_bytes_per_hour", now > D.started ?
	    (double)wb * 3600.0 / (double)(now - D.started) : 0.0);
	jb_ku64(j, "rss_bytes", readfield("/proc/self/status", "VmRSS") * 1024);
	jb_ku64(j, "table_bytes", agg_mem(D.agg));
	jb_endobj(j);
}

/* Machine-wide rates over the last closed window, per minute. */
static void
last_window(struct jbuf *j)
{
	const uint64_t *w = D.lastwin;
	uint64_t fwrites, absorbed;
	double scale, red = 0;

	scale = D.lastwin_secs > 0 ? 60.0 / D.lastwin_secs : 0.0;
	fwrites = w[C_CLASS(IW_DISK, K_W)] + w[C_CLASS(IW_MEMFS, K_W)];
	absorbed = w[C_ABSORBED];
	if (fwrites > 0 && absorbed > w[C_FLUSH_SYSCALLS])
		red = 100.0 * (double)(absorbed - w[C_FLUSH_SYSCALLS]) /
		    (double)fwrites;
	jb_key(j, "last_window");
	jb_obj(j);
	jb_ki64(j, "start", D.lastwin_start);
	jb_ki64(j, "seconds", D.lastwin_secs);
	jb_kdbl(j, "disk_write_bytes_per_min", w[C_CLASS(IW_DISK, K_WB)] * scale);
	jb_kdbl(j, "disk_writes_per_min", w[C_CLASS(IW_DISK, K_W)] * scale);
	jb_kdbl(j, "disk_read_bytes_per_min", w[C_CLASS(IW_DISK, K_RB)] * scale);
	jb_kdbl(j, "disk_reads_per_min", w[C_CLASS(IW_DISK, K_R)] * scale);
	jb_kdbl(j, "socket_bytes_per_min", (w[C_CLASS(IW_SOCKET, K_RB)] +
	    w[C_CLASS(IW_SOCKET, K_WB)]) * scale);
	jb_kdbl(j, "fsyncs_per_min", w[C_FSYNCS] * scale);
	jb_kdbl(j, "absorbed_per_min", absorbed * scale);
	jb_kdbl(j, "flush_syscalls_per_min", w[C_FLUSH_SYSCALLS] * scale);
	jb_kdbl(j, "saves_absorbed_per_min", w[C_SAVES_ABSORBED] * scale);
	jb_kdbl(j, "saves_written_per_min", w[C_SAVES_WRITTEN] * scale);
	jb_kdbl(j, "bytes_saved_per_min", w[C_BYTES_SAVED] * scale);
	jb_kdbl(j, "kernel_write_bytes_per_min", w[C_KWRITE_BYTES] * scale);
	jb_kdbl(j, "reduction_pct", red);
	jb_endobj(j);
}

/* The reasons object, written first: the state is read from it. */
static int
reasons(struct jbuf *r, int full, time_t now)
{
	jb_obj(r);
	store_reasons(D.st, r, full);
	hr_reasons(r, full, now);
	jb_endobj(r);
	return jb_failed(r) ? HS_FAILING : hr_state(r->p);
}

/*
 * An administrator (root or the collector's uid: q_admin()) sees it all.
 * Any other client sees the collector's identity and state (version, pid,
 * uptime, window, db.state and schema, the reasons' names, severities and
 * times) and its own uid's images (clients, images, pending), nothing
 * machine-wide and no path: docs/collector.md, "Security model".
 */
void
health_reply(struct jbuf *j, uid_t client)
{
	struct image *im;
	struct jbuf r;
	uint64_t pend[NPC], live = 0, imgs = 0;
	time_t now = time(NULL);
	int full = q_admin(client), c, state;

	if (full) {
		agg_pending(D.agg, pend);
		live = agg_live(D.agg);
		imgs = agg_count(D.agg);
	} else {
		memset(pend, 0, sizeof(pend));
		for (im = agg_first(D.agg); im != NULL; im = agg_next(im)) {
			if (im->uid != client)
				continue;
			imgs++;
			live += im->state != IW_END;
			for (c = 0; c < NPC; c++)
				pend[c] = sat_add(pend[c], dlt(im->cur[c],
				    im->base[c]));
		}
	}
	jb_init(&r);
	state = reasons(&r, full, now);
	jb_obj(j);
	jb_kstr(j, "version", IOSHIMD_VERSION);
	jb_kstr(j, "state", hr_state_name(state));
	jb_ki64(j, "pid", getpid());
	jb_ki64(j, "uptime_s", now - D.started);
	jb_ki64(j, "window_s", D.cfg.window);
	jb_ki64(j, "window_start", D.win_start);
	jb_kstr(j, "scope", full ? "all" : "uid");
	jb_ku64(j, "clients", live);
	jb_ku64(j, "images", imgs);
	if (full) {
		jb_ku64(j, "query_clients", (uint64_t)D.nqclients);
		jb_ku64(j, "queries", D.queries);
		hr_counts(j);
		messages(j);
	}
	jb_key(j, "db");
	jb_obj(j);
	if (full)
		store_health(D.st, j);
	else {
		jb_kstr(j, "state", store_state(D.st));
		jb_ku64(j, "schema", STORE_SCHEMA);
	}
	jb_endobj(j);
	if (full) {
		int64_t files = -1;

		own(j, now);
		salvager_health(j);
		(void)impstore_files(D.st, &files);
		impstats_health(j, files);
	}
	jb_key(j, "pending");
	jb_obj(j);
	jb_ku64(j, "disk_write_bytes", pend[C_CLASS(IW_DISK, K_WB)]);
	jb_ku64(j, "disk_writes", pend[C_CLASS(IW_DISK, K_W)]);
	jb_endobj(j);
	if (full)
		last_window(j);
	/* Per-uid bounds (ubound.c): what was refused, for which uid. */
	if (full)
		ub_health(j);
	jb_kraw(j, "reasons", r.p != NULL ? r.p : "{}", r.p != NULL ? r.len :
	    2);
	jb_endobj(j);
	jb_free(&r);
}
