/*
 * units.h - numbers for people: byte counts and rates, sparklines, and the
 * durations and times the user types on the command line.
 */
#ifndef IOSHIM_UNITS_H
#define IOSHIM_UNITS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "1.5M", "512B"; kib: "1536K" (iotop -k).  buf >= 16 bytes. */
void	u_bytes(char *buf, size_t sz, double v, int kib);
/* Same, with "/s". */
void	u_rate(char *buf, size_t sz, double v, int kib);
/*
 * A sparkline of n values scaled to their maximum: UTF-8 blocks when utf8,
 * else ASCII.  Writes at most n glyphs.
 */
void	u_spark(char *buf, size_t sz, const double *v, int n, int utf8);
/* Does the locale's character set speak UTF-8?  (after setlocale) */
int	u_utf8(void);
/* "90s", "10m", "1h30m", "2d", "1w" -> seconds > 0; 0 ok, -1 bad. */
int	u_duration(const char *, int64_t *);
/*
 * "now", "-2h" / "now-2h", "@1700000000" or "1700000000",
 * "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (or with T), "HH:MM[:SS]" today,
 * "today", "yesterday" -> unix seconds (local time); 0 ok, -1 bad.
 */
int	u_time(const char *, time_t now, int64_t *);
/*
 * A percentage with prec decimals, no '%': "99.9" for 99.97 (a saving
 * short of all is never rounded up to "100.0").  Returns buf.
 */
char	*u_pct(char *buf, size_t sz, double pct, int prec);
/* "2024-05-01 13:05:00" (local). */
void	u_timestr(char *buf, size_t sz, int64_t t);

#endif
