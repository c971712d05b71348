/*
 * jv.h - a small JSON reader for the collector's replies.
 *
 * jv_parse() builds a tree; the getters never fail (a missing key or a
 * value of the wrong type reads as 0 or ""), which keeps the callers short.
 */
#ifndef IOSHIM_JV_H
#define IOSHIM_JV_H

#include <stddef.h>
#include <stdint.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
	int		 type;
	double		 num;		/* JV_NUM, JV_BOOL */
	uint64_t	 u;		/* JV_NUM: exact when a non-negative integer */
	char		*str;		/* JV_STR */
	char		*key;		/* member name inside an object */
	struct jv	*kids;		/* JV_ARR, JV_OBJ */
	size_t		 n;
};

struct jv	*jv_parse(const char *text);	/* NULL if not JSON */
void		 jv_free(struct jv *);
const struct jv	*jv_get(const struct jv *obj, const char *key);
/* Path of keys separated by '.', e.g. "last_window.reduction_pct". */
const struct jv	*jv_path(const struct jv *, const char *path);
double		 jv_num(const struct jv *obj, const char *path);
uint64_t	 jv_u64(const struct jv *obj, const char *path);
const char	*jv_str(const struct jv *obj, const char *path);
/* The error message of an {"error":"..."} reply, or NULL. */
const char	*jv_error(const struct jv *);

#endif
