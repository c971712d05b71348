/*
 * aggregate.c - the live table of process images (see aggregate.h).
 *
 * Images are found by (pid, start_ticks, image_ns) in a chained hash table
 * and also kept on one list for iteration.  File rows live in a small array
 * per image, searched by a 64-bit hash of the path.  All memory is bounded
 * by struct agg_limits and, per uid, by ubound.c (every byte an image
 * holds is charged to its uid): an image or file row over a bound is
 * refused and counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate.h"
#include "salvager.h"
#include "execlaim.h"
#include "sat.h"
#include "ubound.h"

#define AGG_TRIM	(1u << 20)	/* freed at once: malloc_trim() */

struct uidcount {
	uid_t		uid;
	uint32_t	n;
};

struct agg {
	struct agg_limits lim;
	agg_lookup_fn	 lookup;
	void		*ctx;
	struct image   **tab;
	size_t		 ntab;		/* power of two */
	struct image	*head, *tail;
	uint32_t	 count;
	size_t		 mem;
	struct uidcount	*uids;
	size_t		 nuids, capuids;
	struct agg_stats st;
	agg_observe_fn	 observe;	/* told of every change of cur */
	void		*octx;
	agg_file_fn	 fobserve;	/* told of every file row report */
	void		*fctx;
};

uint64_t
dlt(uint64_t cur, uint64_t base)
{
	return cur > base ? cur - base : 0;
}

static uint64_t
hash64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	while (n--) {
		h ^= *s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t
keyslot(const struct agg *a, pid_t pid, uint64_t st, uint64_t ins)
{
	uint64_t k[3] = { (uint64_t)pid, st, ins };

	return (size_t)(hash64(k, sizeof(k)) & (a->ntab - 1));
}

void
agg_set_observer(struct agg *a, agg_observe_fn fn, void *ctx)
{
	a->observe = fn;
	a->octx = ctx;
}

void
agg_set_file_observer(struct agg *a, agg_file_fn fn, void *ctx)
{
	a->fobserve = fn;
	a->fctx = ctx;
}

/* Tell the observer how cur moved (old = cur before the change). */
static void
observe(struct agg *a, const struct image *im, const uint64_t old[NPC])
{
	if (a->observe != NULL)
		a->observe(a->octx, im, old);
}

struct agg *
agg_new(const struct agg_limits *lim, agg_lookup_fn fn, void *ctx)
{
	struct agg *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->lim = *lim;
	a->lookup = fn;
	a->ctx = ctx;
	a->ntab = 1024;
	if ((a->tab = calloc(a->ntab, sizeof(*a->tab))) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

/* The bytes the live table holds for im (charged to its uid). */
static size_t
img_bytes(const struct image *im)
{
	size_t n = sizeof(*im) + im->capfiles * sizeof(struct afile);
	uint32_t i;

	for (i = 0; i < im->nfiles; i++)
		n += im->files[i].plen + 1u;
	return n;
}

static void
img_free(struct image *im)
{
	uint32_t i;

	for (i = 0; i < im->nfiles; i++)
		free(im->files[i].path);
	free(im->files);
	free(im);
}

void
agg_free(struct agg *a)
{
	struct image *im, *nx;

	if (a == NULL)
		return;
	for (im = a->head; im != NULL; im = nx) {
		nx = im->next;
		img_free(im);
	}
	free(a->tab);
	free(a->uids);
	free(a);
}

static struct uidcount *
uidslot(struct agg *a, uid_t uid, int create)
{
	struct uidcount *n;
	size_t i;

	for (i = 0; i < a->nuids; i++)
		if (a->uids[i].uid == uid)
			return &a->uids[i];
	if (!create)
		return NULL;
	if (a->nuids == a->capuids) {
		size_t nc = a->capuids ? a->capuids * 2 : 8;
		if ((n = reallocarray(a->uids, nc, sizeof(*n))) == NULL)
			return NULL;
		a->uids = n;
		a->capuids = nc;
	}
	a->uids[a->nuids].uid = uid;
	a->uids[a->nuids].n = 0;
	return &a->uids[a->nuids++];
}

static void
rehash(struct agg *a)
{
	struct image **nt, *im;
	size_t nn = a->ntab * 2, s;

	if ((nt = calloc(nn, sizeof(*nt))) == NULL)
		return;		/* keep the old table, just slower */
	free(a->tab);
	a->tab = nt;
	a->ntab = nn;
	for (im = a->head; im != NULL; im = im->next) {
		s = keyslot(a, im->pid, im->start_ticks, im->image_ns);
		im->hnext = a->tab[s];
		a->tab[s] = im;
	}
}

static struct image *
find(struct agg *a, pid_t pid, uint64_t st, uint64_t ins)
{
	struct image *im;

	for (im = a->tab[keyslot(a, pid, st, ins)]; im; im = im->hnext)
		if (im->pid == pid && im->start_ticks == st &&
		    im->image_ns == ins)
			return im;
	return NULL;
}

static void
unlink_image(struct agg *a, struct image *im)
{
	struct image **pp;
	struct uidcount *u;

	for (pp = &a->tab[keyslot(a, im->pid, im->start_ticks, im->image_ns)];
	    *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == im) {
			*pp = im->hnext;
			break;
		}
	if (im->prev)
		im->prev->next = im->next;
	else
		a->head = im->next;
	if (im->next)
		im->next->prev = im->prev;
	else
		a->tail = im->prev;
	if ((u = uidslot(a, im->uid, 0)) != NULL && u->n > 0)
		u->n--;
	a->count--;
	/* Its paths too: table_bytes falls when images go. */
	a->mem -= img_bytes(im);
	ub_release(im->uid, img_bytes(im));
}

static struct image *
create(struct agg *a, const struct iw_hdr *h, pid_t pid, uid_t uid, gid_t gid,
    time_t now, int *err)
{
	struct image *im;
	struct uidcount *u;
	uint64_t st;
	size_t s;

	/* The last quarter of the places only for administrators' images:
	 * other uids together cannot shut root out (ubound.c). */
	if (a->count >= a->lim.max_images || (!ub_admin(uid) &&
	    a->count >= a->lim.max_images - a->lim.max_images / 4)) {
		*err = AG_LIMIT;
		return NULL;
	}
	if ((u = uidslot(a, uid, 1)) == NULL) {
		*err = AG_NOMEM;
		return NULL;
	}
	if (u->n == 0)
		salvager_uid_seen(uid, gid);	/* its /run/ioshim/UID */
	if (u->n >= a->lim.max_per_uid) {
		*err = AG_LIMIT;
		return NULL;
	}
	/* Before /proc is read: a flood's refusals cost no system call. */
	if (ub_charge(uid, sizeof(*im)) != 0) {
		*err = AG_LIMIT;
		return NULL;
	}
	/* A pid is only believed together with its own start time. */
	if (proc_start_ticks(pid, &st) == 0 && st != h->start_ticks) {
		ub_release(uid, sizeof(*im));
		*err = AG_IDENTITY;
		return NULL;
	}
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		ub_release(uid, sizeof(*im));
		*err = AG_NOMEM;
		return NULL;
	}
	im->pid = pid;
	im->uid = uid;
	im->gid = gid;
	im->start_ticks = h->start_ticks;
	im->image_ns = h->image_ns;
	im->first_seen = im->last_seen = now;
	im->meta_dirty = 1;
	if (a->count >= a->ntab * 2)
		rehash(a);
	s = keyslot(a, pid, im->start_ticks, im->image_ns);
	im->hnext = a->tab[s];
	a->tab[s] = im;
	im->prev = a->tail;
	if (a->tail)
		a->tail->next = im;
	else
		a->head = im;
	a->tail = im;
	a->count++;
	a->mem += sizeof(*im);
	u->n++;
	a->st.images_seen++;
	if (a->lookup != NULL)
		(void)a->lookup(a->ctx, a, im);
	return im;
}

static struct afile *
find_file(struct image *im, const char *path, size_t len, uint64_t h)
{
	uint32_t i;

	for (i = 0; i < im->nfiles; i++)
		if (im->files[i].hash == h && im->files[i].plen == len &&
		    memcmp(im->files[i].path, path, len) == 0)
			return &im->files[i];
	return NULL;
}

struct afile *
img_file_add(struct agg *a, struct image *im, const char *path, size_t len,
    int cls)
{
	struct afile *f, *nf;
	uint64_t h = hash64(path, len);
	uint32_t nc = im->capfiles;
	size_t grow;

	if ((f = find_file(im, path, len, h)) != NULL)
		return f;
	if (im->nfiles >= a->lim.max_files || len == 0 || len > IW_PATH_MAX)
		return NULL;
	if (im->nfiles == im->capfiles) {
		nc = im->capfiles ? im->capfiles * 2 : 4;
		if (nc > a->lim.max_files)
			nc = a->lim.max_files;
	}
	/* The row, its path and a larger array, charged to the uid. */
	grow = (nc - im->capfiles) * sizeof(*nf);
	if (ub_charge(im->uid, grow + len + 1) != 0)
		return NULL;
	if (nc != im->capfiles) {
		if ((nf = reallocarray(im->files, nc, sizeof(*nf))) == NULL) {
			ub_release(im->uid, grow + len + 1);
			return NULL;
		}
		a->mem += grow;
		im->files = nf;
		im->capfiles = nc;
	}
	f = &im->files[im->nfiles];
	memset(f, 0, sizeof(*f));
	if ((f->path = malloc(len + 1)) == NULL) {
		ub_release(im->uid, len + 1);
		return NULL;
	}
	memcpy(f->path, path, len);
	f->path[len] = '\0';
	f->plen = (uint16_t)len;
	f->hash = h;
	f->cls = (uint8_t)cls;
	a->mem += len + 1;
	im->nfiles++;
	return f;
}

/* A report's value v for the counter x (sat.h, rule 1). */
#define RISE(x, v)	((x) = sat_rise((x), (v)))

/*
 * The name stored for the executable p claims (execlaim.c), decided when
 * the claim is new for the image: /proc is read once per claim.
 */
static void
apply_exe(struct image *im, const struct iw_proc *p)
{
	char exe[IW_EXE_MAX];
	uint64_t h;

	h = hash64(p->exe, strlen(p->exe));
	h ^= hash64(&p->exe_dev, sizeof(p->exe_dev)) * 31;
	h ^= hash64(&p->exe_ino, sizeof(p->exe_ino)) * 961;
	if (im->have_proc && h == im->claim_hash)
		return;
	im->claim_hash = h;
	(void)exe_decide(exe, im->pid, im->uid, im->start_ticks, p->exe,
	    p->exe_dev, p->exe_ino);
	if (strcmp(im->exe, exe) != 0) {
		snprintf(im->exe, sizeof(im->exe), "%s", exe);
		im->meta_dirty = 1;
	}
}

static void
apply_proc(struct image *im, const struct iw_proc *p)
{
	int c;

	im->ppid = p->ppid;
	if (im->state != p->state || !im->have_proc ||
	    strcmp(im->comm, p->comm) != 0)
		im->meta_dirty = 1;
	im->state = p->state;
	im->end_reason = p->end_reason;
	im->end_code = p->end_code;
	memcpy(im->comm, p->comm, sizeof(im->comm));
	apply_exe(im, p);
	/* Each counter only rises, by at most SAT_RISE_MAX (sat.h). */
	for (c = 0; c < IW_NCLASS; c++) {
		RISE(im->cur[C_CLASS(c, K_RB)], p->cls[c].read_bytes);
		RISE(im->cur[C_CLASS(c, K_WB)], p->cls[c].write_bytes);
		RISE(im->cur[C_CLASS(c, K_R)], p->cls[c].reads);
		RISE(im->cur[C_CLASS(c, K_W)], p->cls[c].writes);
	}
	RISE(im->cur[C_OPENS], p->opens);
	RISE(im->cur[C_FSYNCS], p->fsyncs);
	RISE(im->cur[C_ABSORBED], p->co.writes_absorbed);
	RISE(im->cur[C_FLUSH_SYSCALLS], p->co.syscalls);
	RISE(im->cur[C_FLUSH_BYTES], p->co.bytes);
	RISE(im->cur[C_FLUSH_ERRORS], p->co.errors);
	/* The image's own storage I/O: /proc/PID/io would add its reaped
	 * children's (an older shim sends none: sample_kio then). */
	if (p->k.flags & IW_K_OWN) {
		im->kio_shim = 1;
		RISE(im->cur[C_KREAD_BYTES], p->k.read_bytes);
		RISE(im->cur[C_KWRITE_BYTES], p->k.write_bytes);
	}
	RISE(im->cur[C_DISK_WSYS], p->k.write_syscalls[IW_DISK]);
	memcpy(im->reasons, p->co.reasons, sizeof(im->reasons));
	im->have_proc = 1;
}

static void
apply_row(struct afile *f, const struct iw_file *r, uint32_t seq)
{
	f->seq = seq;
	f->cls = r->cls;
	RISE(f->cur[F_OPENS], r->opens);
	RISE(f->cur[F_READ_BYTES], r->read_bytes);
	RISE(f->cur[F_WRITE_BYTES], r->write_bytes);
	RISE(f->cur[F_READS], r->reads);
	RISE(f->cur[F_WRITES], r->writes);
	RISE(f->cur[F_FSYNCS], r->fsyncs);
	RISE(f->cur[F_WRITE_NS], r->write_ns);
	RISE(f->cur[F_FSYNC_NS], r->fsync_ns);
	RISE(f->cur[F_ABSORBED], r->absorbed);
	RISE(f->cur[F_FLUSHES], r->flushes);
	RISE(f->cur[F_WRITE_SYSCALLS], r->write_syscalls);
	for (int k = 0; k < IW_NSIZES; k++)
		RISE(f->hist.sizes[k], r->write_sizes[k]);
	for (int k = 0; k < IW_NFTIMES; k++)
		RISE(f->hist.ftimes[k], r->fsync_times[k]);
}

/* A report changed f: tell the file observer.  The first report of a row
 * loaded from the database after a restart is the histograms' baseline. */
static void
observe_file(struct agg *a, struct afile *f, const uint64_t oldc[NFC],
    struct ahist *old)
{
	if (f->loaded && !f->hist_seen)
		*old = f->hist;
	f->hist_seen = 1;
	if (a->fobserve != NULL)
		a->fobserve(a->fctx, f, oldc, old);
}

/*
 * Debounced saves (IW_DEBOUNCE): the image's sums and its files' rows.
 * Their own seq (db_seq): the other reports of the image do not order
 * them.  A row creates the file row when the file has none yet (a target
 * the program never opened: its saves renamed a temporary file onto it).
 */
static void
apply_debounce(struct agg *a, struct image *im, const struct dec_msg *m)
{
	struct dec_dbrow r;
	struct afile *f;
	uint64_t old[NPC], oldc[NFC];
	struct ahist oldh;
	size_t off = 0;

	if (m->h.seq <= im->db_seq) {
		a->st.stale++;
		return;
	}
	im->db_seq = m->h.seq;
	memcpy(old, im->cur, sizeof(old));
	RISE(im->cur[C_SAVES_ABSORBED], m->dbtot.saves_absorbed);
	RISE(im->cur[C_SAVES_WRITTEN], m->dbtot.saves_written);
	RISE(im->cur[C_BYTES_SAVED], m->dbtot.bytes_saved);
	observe(a, im, old);
	while (dec_dbrow(m, &off, &r)) {
		f = img_file_add(a, im, r.path, r.d.path_len, r.d.cls);
		if (f == NULL) {
			a->st.refused_files++;
			continue;
		}
		memcpy(oldc, f->cur, sizeof(oldc));
		oldh = f->hist;
		RISE(f->cur[F_SAVES_ABSORBED], r.d.n.saves_absorbed);
		RISE(f->cur[F_SAVES_WRITTEN], r.d.n.saves_written);
		RISE(f->cur[F_BYTES_SAVED], r.d.n.bytes_saved);
		observe_file(a, f, oldc, &oldh);
	}
}

static void
sample_kio(struct agg *a, struct image *im)
{
	uint64_t st, rb, wb, old[NPC];

	if (im->kio_shim)
		return;		/* the shim's own figures (apply_proc) */
	if (proc_start_ticks(im->pid, &st) != 0 || st != im->start_ticks)
		return;
	if (proc_io(im->pid, &rb, &wb) != 0)
		return;
	if (!im->kio_init) {
		/* The first sample is the baseline: no delta. */
		im->base[C_KREAD_BYTES] = im->cur[C_KREAD_BYTES] = rb;
		im->base[C_KWRITE_BYTES] = im->cur[C_KWRITE_BYTES] = wb;
		im->kio_init = 1;
		return;
	}
	memcpy(old, im->cur, sizeof(old));
	if (rb > im->cur[C_KREAD_BYTES])
		im->cur[C_KREAD_BYTES] = rb;
	if (wb > im->cur[C_KWRITE_BYTES])
		im->cur[C_KWRITE_BYTES] = wb;
	observe(a, im, old);
}

int
agg_ingest(struct agg *a, const struct dec_msg *m, pid_t pid, uid_t uid,
    gid_t gid, time_t now)
{
	struct image *im;
	struct afile *f;
	struct dec_row r;
	size_t off = 0;
	int err = AG_OK, any = 0;
	uint64_t old[NPC], oldc[NFC];
	struct ahist oldh;

	im = find(a, pid, m->h.start_ticks, m->h.image_ns);
	if (im == NULL) {
		im = create(a, &m->h, pid, uid, gid, now, &err);
		if (im == NULL) {
			if (err == AG_LIMIT)
				a->st.refused_images++;
			else if (err == AG_IDENTITY)
				a->st.bad_identity++;
			return err;
		}
	} else if (im->uid != uid) {
		/* Same pid and start time, other uid: setuid() in between.
		 * Keep the first owner; the counts still add up. */
	}
	im->last_seen = now;
	if (m->type == IW_PROC) {
		if (m->h.seq <= im->proc_seq) {
			a->st.stale++;
			return AG_STALE;
		}
		im->proc_seq = m->h.seq;
		memcpy(old, im->cur, sizeof(old));
		apply_proc(im, &m->proc);
		im->sent_ns = m->h.sent_ns;
		observe(a, im, old);
		if (im->state == IW_END)
			sample_kio(a, im);
		return AG_OK;
	}
	if (m->type == IW_DEBOUNCE) {
		apply_debounce(a, im, m);
		return AG_OK;
	}
	while (dec_row(m, &off, &r)) {
		f = img_file_add(a, im, r.path, r.f.path_len, r.f.cls);
		if (f == NULL) {
			a->st.refused_files++;
			continue;
		}
		if (m->h.seq <= f->seq) {
			continue;
		}
		memcpy(oldc, f->cur, sizeof(oldc));
		oldh = f->hist;
		apply_row(f, &r.f, m->h.seq);
		observe_file(a, f, oldc, &oldh);
		any = 1;
	}
	if (!any && m->nrows > 0)
		a->st.stale++;
	return AG_OK;
}

struct image *
agg_first(struct agg *a)
{
	return a->head;
}

struct image *
agg_next(struct image *im)
{
	return im->next;
}

struct image *
agg_find_pid(struct agg *a, pid_t pid)
{
	struct image *im, *best = NULL;

	for (im = a->head; im != NULL; im = im->next)
		if (im->pid == pid && (best == NULL ||
		    im->image_ns > best->image_ns ||
		    im->start_ticks > best->start_ticks))
			best = im;
	return best;
}

int
file_has_delta(const struct afile *f)
{
	int i;

	for (i = 0; i < NFC; i++)
		if (f->cur[i] > f->base[i])
			return 1;
	return 0;
}

int
img_has_delta(const struct image *im)
{
	uint32_t i;
	int c;

	for (c = 0; c < NPC; c++)
		if (im->cur[c] > im->base[c])
			return 1;
	for (i = 0; i < im->nfiles; i++)
		if (file_has_delta(&im->files[i]))
			return 1;
	return 0;
}

void
agg_sample_kio(struct agg *a, time_t since)
{
	struct image *im;

	for (im = a->head; im != NULL; im = im->next)
		if (im->state != IW_END && im->last_seen >= since)
			sample_kio(a, im);
}

void
agg_flushed(struct agg *a, time_t now, time_t stale_after)
{
	struct image *im, *nx;
	uint64_t st;
	size_t freed = 0;
	uint32_t i;
	int c;

	for (im = a->head; im != NULL; im = nx) {
		nx = im->next;
		for (c = 0; c < NPC; c++)
			if (im->cur[c] > im->base[c])
				im->base[c] = im->cur[c];
		for (i = 0; i < im->nfiles; i++)
			for (c = 0; c < NFC; c++)
				if (im->files[i].cur[c] > im->files[i].base[c])
					im->files[i].base[c] = im->files[i].cur[c];
		im->meta_dirty = 0;
		if (im->state == IW_END ||
		    (now - im->last_seen > stale_after &&
		    (proc_start_ticks(im->pid, &st) != 0 ||
		    st != im->start_ticks))) {
			if (im->state != IW_END)
				salvager_kick();	/* killed: its spills */
			freed += img_bytes(im);
			unlink_image(a, im);
			img_free(im);
		}
	}
	/* Give a flood's memory back to the system, not only to malloc. */
	if (freed >= AGG_TRIM)
		malloc_trim(0);
}

void
agg_pending(struct agg *a, uint64_t out[NPC])
{
	struct image *im;
	int c;

	memset(out, 0, sizeof(uint64_t) * NPC);
	for (im = a->head; im != NULL; im = im->next)
		for (c = 0; c < NPC; c++)
			out[c] = sat_add(out[c], dlt(im->cur[c],
			    im->base[c]));
}

uint32_t
agg_count(const struct agg *a)
{
	return a->count;
}

uint32_t
agg_live(const struct agg *a)
{
	const struct image *im;
	uint32_t n = 0;

	for (im = a->head; im != NULL; im = im->next)
		if (im->state != IW_END)
			n++;
	return n;
}

const struct agg_stats *
agg_stats(const struct agg *a)
{
	return &a->st;
}

size_t
agg_mem(const struct agg *a)
{
	return a->mem;
}

/* Read a small /proc file into buf; 0 on success. */
static int
readsmall(const char *path, char *buf, size_t sz)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sz - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

int
proc_start_ticks(pid_t pid, uint64_t *out)
{
	char path[64], buf[1024], *p;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (readsmall(path, buf, sizeof(buf)) != 0)
		return -1;
	/* comm may hold spaces and parentheses: start after the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	for (field = 2; field < 22 && *p != '\0'; p++)
		if (*p == ' ')
			field++;
	if (field != 22)
		return -1;
	*out = strtoull(p, NULL, 10);
	return 0;
}

int
proc_io(pid_t pid, uint64_t *rb, uint64_t *wb)
{
	char path[64], buf[512], *p;
	int got = 0;

	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	if (readsmall(path, buf, sizeof(buf)) != 0)
		return -1;
	if ((p = strstr(buf, "\nread_bytes: ")) != NULL) {
		*rb = strtoull(p + 13, NULL, 10);
		got++;
	}
	if ((p = strstr(buf, "\nwrite_bytes: ")) != NULL) {
		*wb = strtoull(p + 14, NULL, 10);
		got++;
	}
	return got == 2 ? 0 : -1;
}
