/*
 * svg.c - draw the chart of "ioshim report --svg" as SVG, by hand:
 * disk write rate over time, one stacked area per executable, with axes,
 * units, a legend, and a strip underneath marking the write calls that
 * coalescing kept from the kernel.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "units.h"

#define W	1000
#define H	600
#define PX0	90		/* plot area */
#define PX1	700
#define PY0	70
#define PY1	400
#define SY0	478		/* savings strip */
#define SY1	548
#define LX	730		/* legend */

static const char *const colors[CHART_SERIES] = {
	"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
	"#F0E442", "#999999",
};

static void
xml(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, f);
		}
}

/* 1, 2 or 5 times a power of ten, at least v. */
static double
nice(double v)
{
	double p, m;

	if (v <= 0)
		return 1;
	p = pow(10, floor(log10(v)));
	m = v / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static double
xpos(const struct chart *c, double t)
{
	double span = (double)(c->to - c->from);

	return PX0 + (t - (double)c->from) / (span > 0 ? span : 1) *
	    (PX1 - PX0);
}

static void
xaxis(FILE *f, const struct chart *c)
{
	static const int steps[] = {
		1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
		10800, 21600, 43200, 86400, 172800, 604800,
	};
	int64_t span = c->to - c->from, st = steps[0], t;
	char lab[32];
	time_t tt;
	struct tm tm;
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		st = steps[i];
		if (span / st <= 8)
			break;
	}
	for (t = (c->from + st - 1) / st * st; t <= c->to; t += st) {
		double x = xpos(c, (double)t);

		tt = (time_t)t;
		localtime_r(&tt, &tm);
		strftime(lab, sizeof(lab), st < 60 ? "%H:%M:%S" : st < 86400 ?
		    "%H:%M" : "%b %d", &tm);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "class=\"grid\"/>\n", x, PY0, x, PY1);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "class=\"axis\"/>\n", x, PY1, x, PY1 + 5);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
		    "%s</text>\n", x, PY1 + 20, lab);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
	    "class=\"label\">time (local; one point per %llds)</text>\n",
	    (PX0 + PX1) / 2, PY1 + 38, (long long)c->step);
}

static double
yaxis(FILE *f, double max)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	double unit = 1, top, y, v;
	int u = 0;
	char lab[32];
	int i;

	/* Round in 1024-based units; every label in the same unit. */
	while (max / unit >= 1000 && u < 6) {
		unit *= 1024;
		u++;
	}
	top = nice(max > 0 ? max / unit : 1) * unit;
	for (i = 0; i <= 5; i++) {
		v = top * i / 5;
		y = PY1 - (double)(PY1 - PY0) * i / 5;
		if (i == 0)
			snprintf(lab, sizeof(lab), "0");
		else
			snprintf(lab, sizeof(lab), "%g %s/s", v / unit,
			    units[u]);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		    "class=\"grid\"/>\n", PX0, y, PX1, y);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s"
		    "</text>\n", PX0 - 8, y + 4, lab);
	}
	fprintf(f, "<text transform=\"translate(22 %d) rotate(-90)\" "
	    "text-anchor=\"middle\" class=\"label\">disk write rate, bytes "
	    "per second (1 KiB = 1024 B)</text>\n", (PY0 + PY1) / 2);
	return top;
}

/* The stacked areas, first series at the bottom. */
static void
areas(FILE *f, const struct chart *c, double top)
{
	double lower[4096], upper[4096];
	int s, i, nb = c->nb < 4096 ? c->nb : 4096;

	for (i = 0; i < nb; i++)
		lower[i] = 0;
	for (s = 0; s < c->ns; s++) {
		for (i = 0; i < nb; i++)
			upper[i] = lower[i] + c->s[s].rate[i];
		fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.9\" stroke=\"white\" "
		    "stroke-width=\"0.6\" d=\"", colors[s]);
		/* Each bucket is a flat step from its start to its end. */
		for (i = 0; i < nb; i++) {
			double x0 = xpos(c, (double)(c->from + i * c->step));
			double x1 = xpos(c, (double)(c->from + (i + 1) *
			    c->step));

			if (x1 > PX1)
				x1 = PX1;
			fprintf(f, "%s%.1f %.1f L%.1f %.1f ", i ? "L" : "M", x0,
			    PY1 - upper[i] / top * (PY1 - PY0), x1,
			    PY1 - upper[i] / top * (PY1 - PY0));
		}
		for (i = nb - 1; i >= 0; i--) {
			double x0 = xpos(c, (double)(c->from + i * c->step));
			double x1 = xpos(c, (double)(c->from + (i + 1) *
			    c->step));

			if (x1 > PX1)
				x1 = PX1;
			fprintf(f, "L%.1f %.1f L%.1f %.1f ", x1,
			    PY1 - lower[i] / top * (PY1 - PY0), x0,
			    PY1 - lower[i] / top * (PY1 - PY0));
		}
		fprintf(f, "Z\"/>\n");
		for (i = 0; i < nb; i++)
			lower[i] = upper[i];
	}
}

/* Write calls saved by coalescing, per second: a bar strip. */
static void
savings(FILE *f, const struct chart *c)
{
	double max = 0, top, h, tot = 0, calls = 0;
	char lab[64], p[16];
	int i, s;

	for (i = 0; i < c->nb; i++)
		if (c->saved[i] > max)
			max = c->saved[i];
	for (s = 0; s < c->ns; s++) {
		tot += c->s[s].saved;
		calls += c->s[s].calls;
	}
	top = nice(max);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
	    "class=\"strip\"/>\n", PX0, SY0, PX1 - PX0, SY1 - SY0);
	for (i = 0; i < c->nb && max > 0; i++) {
		double x0 = xpos(c, (double)(c->from + i * c->step));
		double x1 = xpos(c, (double)(c->from + (i + 1) * c->step));

		if (x1 > PX1)
			x1 = PX1;
		h = c->saved[i] / top * (SY1 - SY0);
		if (h > 0)
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" class=\"saved\"><title>%.0f write "
			    "calls/s saved</title></rect>\n", x0, SY1 - h,
			    x1 - x0 > 1.5 ? x1 - x0 - 0.5 : 1.0, h,
			    c->saved[i]);
	}
	snprintf(lab, sizeof(lab), "%g calls/s", top);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
	    PX0 - 8, SY0 + 4, max > 0 ? lab : "");
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n",
	    PX0 - 8, SY1 + 4);
	/* The strip's own scale, named: not bytes, write calls a second. */
	fprintf(f, "<text transform=\"translate(22 %d) rotate(-90)\" "
	    "text-anchor=\"middle\" class=\"small\">calls/s saved</text>\n",
	    (SY0 + SY1) / 2);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" "
	    "class=\"saved\"/>\n", PX0, SY0 - 19);
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"label\">Write calls kept "
	    "from the kernel by coalescing, per second (all executables): "
	    "%.0f of %.0f (%s%%)</text>\n", PX0 + 18, SY0 - 8, tot, calls,
	    u_pct(p, sizeof(p), calls > 0 ? 100.0 * tot / calls : 0.0, 1));
}

/*
 * The legend's name of each series: the executable's base name, or where
 * two share one (python3.11 in /usr/bin and in a venv) the path, cut in
 * the middle when long; a number tells apart what still looks the same.
 */
#define LNAME	32

static void
names(const struct chart *c, char out[][LNAME + 8])
{
	const char *base[CHART_SERIES], *p;
	size_t len;
	int s, o, same;

	for (s = 0; s < c->ns; s++) {
		p = strrchr(c->s[s].name, '/');
		base[s] = p != NULL && p[1] != '\0' ? p + 1 : c->s[s].name;
	}
	for (s = 0; s < c->ns; s++) {
		for (same = 0, o = 0; o < c->ns; o++)
			same |= o != s && strcmp(base[o], base[s]) == 0;
		p = same ? c->s[s].name : base[s];
		len = strlen(p);
		if (len <= LNAME)
			snprintf(out[s], LNAME + 8, "%s", p);
		else	/* head and tail: where paths differ, mostly */
			snprintf(out[s], LNAME + 8, "%.*s\u2026%s",
			    LNAME / 2 - 1, p, p + len - LNAME / 2);
	}
	for (s = 0; s < c->ns; s++)
		for (same = 1, o = s + 1; o < c->ns; o++)
			if (strcmp(out[o], out[s]) == 0) {
				len = strlen(out[o]);
				snprintf(out[o] + len, LNAME + 8 - len, " #%d",
				    ++same);
			}
}

static void
legend(FILE *f, const struct chart *c)
{
	char b[32], name[CHART_SERIES][LNAME + 8];
	int s, y;

	names(c, name);
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"label\">executable, "
	    "bytes written</text>\n", LX, PY0 + 4);
	for (s = c->ns - 1, y = PY0 + 28; s >= 0; s--, y += 40) {
		u_bytes(b, sizeof(b), c->s[s].total, 0);
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" "
		    "fill=\"%s\"/>\n", LX, y - 11, colors[s]);
		fprintf(f, "<text x=\"%d\" y=\"%d\">", LX + 22, y);
		xml(f, name[s]);
		fprintf(f, "  %s<title>", b);
		xml(f, c->s[s].name);
		fprintf(f, "</title></text>\n");
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"small\">", LX + 22,
		    y + 15);
		if (c->s[s].calls > 0)
			fprintf(f, "coalescing saved %s%% of %.0f writes",
			    u_pct(b, sizeof(b), 100.0 * c->s[s].saved /
			    c->s[s].calls, 1), c->s[s].calls);
		else
			fprintf(f, "no write calls counted");
		fprintf(f, "</text>\n");
	}
}

int
svg_write(const char *file, const struct chart *c)
{
	char a[32], b[32], tot[32];
	double max = 0, sum, all = 0;
	FILE *f;
	int i, s;

	if ((f = fopen(file, "w")) == NULL)
		return -1;
	for (i = 0; i < c->nb; i++) {
		for (sum = 0, s = 0; s < c->ns; s++)
			sum += c->s[s].rate[i];
		if (sum > max)
			max = sum;
	}
	for (s = 0; s < c->ns; s++)
		all += c->s[s].total;
	u_timestr(a, sizeof(a), c->from);
	u_timestr(b, sizeof(b), c->to);
	u_bytes(tot, sizeof(tot), all, 0);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, "
	    "Helvetica, Arial, sans-serif\" font-size=\"12\">\n", W, H, W, H);
	fprintf(f, "<style>.grid{stroke:#e4e4e4;stroke-width:1}"
	    ".axis{stroke:#333;stroke-width:1}.label{fill:#333;font-size:13px}"
	    ".small{fill:#555;font-size:11px}.title{font-size:18px;"
	    "font-weight:bold}.strip{fill:#f6f6f6;stroke:#ccc}"
	    ".saved{fill:#2e9e4f}</style>\n");
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
	fprintf(f, "<text x=\"%d\" y=\"30\" class=\"title\">Disk writes by "
	    "executable (stacked)</text>\n", PX0);
	fprintf(f, "<text x=\"%d\" y=\"50\" class=\"label\">%s to %s%s, %s "
	    "written by the top %d</text>\n", PX0, a, b, c->zoomed ?
	    " (zoomed to the writes)" : "", tot, c->ns);
	if (max > 0) {
		max = yaxis(f, max);
		areas(f, c, max);
	} else {
		yaxis(f, 0);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
		    "class=\"label\">no disk writes recorded in this period"
		    "</text>\n", (PX0 + PX1) / 2, (PY0 + PY1) / 2);
	}
	xaxis(f, c);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "class=\"axis\"/>\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "class=\"axis\"/>\n", PX0, PY1, PX1, PY1, PX0, PY0, PX0, PY1);
	savings(f, c);
	legend(f, c);
	fprintf(f, "</svg>\n");
	if (ferror(f)) {
		fclose(f);
		errno = EIO;
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}
