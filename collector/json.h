/*
 * json.h - a tiny JSON writer into a growable buffer.
 *
 * Used by the query code to build replies.  Commas are placed
 * automatically; keys and strings are escaped.  On allocation failure the
 * buffer is marked failed and later calls do nothing (check jb_failed()).
 */
#ifndef IOSHIMD_JSON_H
#define IOSHIMD_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JB_DEPTH	16

struct jbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 failed;
	int	 depth;
	int	 first[JB_DEPTH];	/* nothing written yet at this level */
	int	 afterkey;		/* a key was written, value comes next */
};

void	jb_init(struct jbuf *);
void	jb_free(struct jbuf *);
void	jb_reset(struct jbuf *);
int	jb_failed(const struct jbuf *);
void	jb_obj(struct jbuf *);			/* { */
void	jb_endobj(struct jbuf *);		/* } */
void	jb_arr(struct jbuf *);			/* [ */
void	jb_endarr(struct jbuf *);		/* ] */
void	jb_key(struct jbuf *, const char *);
void	jb_str(struct jbuf *, const char *);
void	jb_strn(struct jbuf *, const char *, size_t);
void	jb_u64(struct jbuf *, uint64_t);
void	jb_i64(struct jbuf *, int64_t);
void	jb_dbl(struct jbuf *, double);
void	jb_bool(struct jbuf *, int);
void	jb_null(struct jbuf *);
void	jb_raw(struct jbuf *, const char *, size_t);	/* no separator logic */

/* key + value shortcuts */
void	jb_kstr(struct jbuf *, const char *, const char *);
void	jb_ku64(struct jbuf *, const char *, uint64_t);
void	jb_ki64(struct jbuf *, const char *, int64_t);
void	jb_kdbl(struct jbuf *, const char *, double);
void	jb_kbool(struct jbuf *, const char *, int);
/* key + a value already written as JSON (n bytes of s) */
void	jb_kraw(struct jbuf *, const char *, const char *, size_t);

#endif
