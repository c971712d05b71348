/*
 * top_keys.c - what the keys of "ioshim top" mean: the help screen (? or
 * h), and a word for each iotop-c key that names something ioshim does
 * not have, so no key an iotop-c user presses is ignored silently.  The
 * keys ioshim acts on are handled in top_view.c; ioshim(1) has the table.
 */
#include <stddef.h>

#include "top.h"

const char *const top_help[] = {
	"ioshim top: keys (iotop-c's, where ioshim has the thing)",
	"",
	"  q Q            quit",
	"  left right     sort by the previous / next column",
	"  r R space      reverse the sort (R: iotop-c 1.x; see below)",
	"  o O            only processes doing I/O, or all",
	"  a A            cycle: rates, accumulated since top started,",
	"                 accumulated as bytes/s (iotop-c's accum-bw)",
	"  c C            the executable's path after the command name",
	"  e E            show or hide ended processes",
	"  x X            ended processes dimmed, or plain (always [ended])",
	"  1 3 4 5 8 9    hide/show PID, USER, DISK READ, DISK WRITE, the graph,",
	"                 COMMAND (iotop-c's numbers);  0  show all",
	"  g G            graph source: disk read, write, read+write",
	"  u U            graph in Unicode blocks or ASCII",
	"  s S            freeze: stop polling the collector, or go on",
	"  f F            filter by UID and PID (Tab: other field, n: none,",
	"                 Enter: apply, Esc: cancel)",
	"  /              filter by a regular expression on PID and command",
	"  up down PgUp PgDn Home End   move the selection",
	"  Ctrl-L         redraw",
	"  ? h H          this help (Esc, q or the key again closes it)",
	"",
	"ioshim's own (letters iotop-c does not use):",
	"  Enter v V      the files of the selected process (Esc/q/left back)",
	"  m M            one row per executable, or per process",
	"",
	"iotop-c keys for what ioshim has not (they say so on the last line):",
	"  p P threads (ioshim counts a process with its threads), i I ionice,",
	"  l L colours, n N inverse, T clock, b Ctrl-B SI units, t Ctrl-R unit",
	"  threshold, Ctrl-T task_delayacct, W save config, D defaults, 2 6 7",
	"  PRIO/SWAPIN/IO columns.  Older iotop-c's R (reverse sort) still",
	"  reverses the sort.",
	NULL,
};

#define CTRL(c)	((c) & 0x1f)

static const struct {
	int		 key;
	const char	*note;
} notes[] = {
	{ 'p', "p: ioshim shows processes only (a thread's I/O counts in its "
	    "process); m groups by executable" },
	{ 'P', "P: ioshim shows processes only (a thread's I/O counts in its "
	    "process); m groups by executable" },
	{ 'i', "i: ioshim does not change I/O priorities; use ionice(1)" },
	{ 'I', "I: ioshim does not change I/O priorities; use ionice(1)" },
	{ 'l', "l: ioshim top has no colours" },
	{ 'L', "L: ioshim top has no colours" },
	{ 'n', "n: ioshim top has no inverse mode" },
	{ 'N', "N: ioshim top has no inverse mode" },
	{ 'T', "T: ioshim top shows no clock (-t in batch mode stamps lines)" },
	{ 'b', "b: units are 1024-based (K = KiB); no SI toggle" },
	{ CTRL('b'), "Ctrl-B: units are 1024-based (K = KiB); no SI toggle" },
	{ 't', "t: no unit threshold to cycle; -k shows KiB" },
	{ CTRL('r'), "Ctrl-R: no unit threshold to cycle; -k shows KiB" },
	{ CTRL('t'), "Ctrl-T: ioshim needs no task_delayacct (the shim counts)" },
	{ 'W', "W: ioshim top has no configuration file" },
	{ 'D', "D: ioshim top has no saved settings to reset" },
	{ '2', "2: ioshim has no PRIO column" },
	{ '6', "6: ioshim has no SWAPIN column" },
	{ '7', "7: ioshim has no IO (% waiting) column" },
};

const char *
top_key_note(int ch)
{
	size_t i;

	for (i = 0; i < sizeof(notes) / sizeof(notes[0]); i++)
		if (notes[i].key == ch)
			return notes[i].note;
	return NULL;
}
