# ioshim - top-level build.  `make` builds everything, `make check` runs
# every test (`make check-all` also CPython's own, under the shim), `make
# demo` shows ioshim at work, `make bench` measures it.

PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc
CFLAGS	?= -O2 -g
WARN	= -Wall -Wextra -Werror -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -Icommon
SAN	?=

PKGS_COLLECTOR = sqlite3 libbsd libmicrohttpd
PKGS_TOOLS     = libbsd ncursesw

SHIM_SRC	= $(wildcard shim/*.c)
SHIM_OBJ	= $(SHIM_SRC:.c=.o)
COLL_SRC	= $(filter-out collector/fuzz_%.c,$(wildcard collector/*.c))
COLL_OBJ	= $(COLL_SRC:.c=.o)
TOOL_SRC	= $(wildcard tools/*.c)
TOOL_OBJ	= $(TOOL_SRC:.c=.o)

ALL = shim/libioshim.so tools/ioshim
ifneq ($(COLL_SRC),)
ALL += collector/ioshimd
endif

.PHONY: all deps check check-peer check-all check-asan check-tsan check-cross demo demo-more bench bench-smoke soak install uninstall clean fuzz

all: $(ALL)

deps:
	@sh mk/deps.sh

# The shim: position independent, no sanitizer runtime (it is preloaded
# into programs that were not built with one).
shim/%.o: shim/%.c shim/*.h common/*.h common/*.c
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden -ftls-model=initial-exec -c -o $@ $<

shim/libioshim.so: $(SHIM_OBJ)
	$(CC) -shared -o $@ $(SHIM_OBJ) -ldl -lpthread -Wl,-z,now -Wl,--no-undefined -Wl,--sort-section=name

collector/%.o: collector/%.c collector/*.h common/wire.h common/version.h common/spill.h common/salvage.* common/dbhold.h common/dbhsweep.*
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(WARN) $$(pkg-config --cflags $(PKGS_COLLECTOR)) -c -o $@ $<

collector/ioshimd: $(COLL_OBJ)
	$(CC) $(SAN) -o $@ $(COLL_OBJ) $$(pkg-config --libs $(PKGS_COLLECTOR)) -lpthread -lm

tools/%.o: tools/%.c tools/*.h common/wire.h common/spill.h common/salvage.* common/version.h common/debounce_spec.h common/dbhold.h common/dbhsweep.*
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(WARN) $$(pkg-config --cflags $(PKGS_TOOLS)) -c -o $@ $<

# the multiarch directory the Debian package puts the library in
# (/usr/lib/$(MULTIARCH)/ioshim/); `ioshim run` looks there too.
MULTIARCH ?= $(shell $(CC) -print-multiarch 2>/dev/null)
ifneq ($(MULTIARCH),)
tools/cmd_run.o: CPPFLAGS += -DMULTIARCH='"$(MULTIARCH)"'
endif

tools/ioshim: $(TOOL_OBJ)
	$(CC) $(SAN) -o $@ $(TOOL_OBJ) $$(pkg-config --libs $(PKGS_TOOLS)) -lm

# Fuzz targets for the collector's decoder and query parser (libFuzzer,
# clang).  `make fuzz` runs each for FUZZ_SECS seconds from the seed
# corpus in collector/fuzz/; new inputs go to a scratch corpus under
# $$TMPDIR.  Longer runs: docs/collector.md.
FUZZ_CC		?= clang
FUZZ_SECS	?= 30
FUZZ_FLAGS	= -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icommon
FUZZ_DIR	?= $${TMPDIR:-/tmp}/ioshim-fuzz

collector/fuzz_decode: collector/fuzz_decode.c collector/decode.c collector/decode.h common/wire.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ collector/fuzz_decode.c collector/decode.c

collector/fuzz_query: collector/fuzz_query.c collector/request.c collector/counters.c collector/request.h collector/counters.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ collector/fuzz_query.c collector/request.c collector/counters.c -lbsd

collector/fuzz_imprec: collector/fuzz_imprec.c collector/imprec.c collector/counters.c collector/imprec.h collector/counters.h
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ collector/fuzz_imprec.c collector/imprec.c collector/counters.c

fuzz: collector/fuzz_decode collector/fuzz_query collector/fuzz_imprec
	mkdir -p $(FUZZ_DIR)/decode $(FUZZ_DIR)/query $(FUZZ_DIR)/imprec
	collector/fuzz_decode -max_total_time=$(FUZZ_SECS) -max_len=16400 $(FUZZ_DIR)/decode collector/fuzz/seeds-decode
	collector/fuzz_query -max_total_time=$(FUZZ_SECS) -max_len=4200 $(FUZZ_DIR)/query collector/fuzz/seeds-query
	collector/fuzz_imprec -max_total_time=$(FUZZ_SECS) -max_len=8192 $(FUZZ_DIR)/imprec collector/fuzz/seeds-imprec

check: deps
	$(MAKE) all
	sh tests/run

# CPython's own tests of files, processes, signals and sockets with the
# system python: without the shim, with it, and with it and
# IOSHIM_COALESCE=0; every case must end the same in the three
# (tests/peer/, exclusions with reasons in tests/peer/exclude.txt), ~8 min;
# docs/testing.md.  CI runs check-all.
check-peer:
	@sh mk/deps.sh peer
	$(MAKE) shim/libioshim.so
	sh tests/peer/run.sh

check-all:
	$(MAKE) check
	$(MAKE) check-peer

# The collector and tools built with ASan/UBSan (leak checking off: LSan
# cannot run under ptrace, and the tests run tools under strace); the shim
# itself is tested
# under the same suite (its own code is checked by the stress tests).
check-asan: deps
	$(MAKE) clean
	$(MAKE) all SAN="-fsanitize=address,undefined -fno-omit-frame-pointer" CFLAGS="-O1 -g"
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    IOSHIM_ASAN=1 sh tests/run; rc=$$?; $(MAKE) clean; $(MAKE) all; exit $$rc

# ThreadSanitizer where threads meet: the shim built with -fsanitize=thread
# into its own directory (the normal build is untouched), threaded test
# programs built with it too, run by tests/tsan/run with libtsan and the
# TSan shim preloaded; any TSan report fails.  docs/shim.md says more.
# gcc: its libtsan is a shared library, which tests/tsan/run preloads.
TSAN_CC		= gcc
TSAN_DIR	= tests/bin/tsan
TSAN_FLAGS	= -fsanitize=thread -O1 -g -fno-omit-frame-pointer
TSAN_PROGS	= $(TSAN_DIR)/co_conc $(TSAN_DIR)/co_exitrace $(TSAN_DIR)/tsan_mix $(TSAN_DIR)/tsan_sig

$(TSAN_DIR)/%.o: shim/%.c shim/*.h common/*.h common/*.c
	@mkdir -p $(TSAN_DIR)
	$(TSAN_CC) $(CPPFLAGS) $(TSAN_FLAGS) $(WARN) -fPIC -fvisibility=hidden -ftls-model=initial-exec -c -o $@ $<

$(TSAN_DIR)/libioshim-tsan.so: $(SHIM_SRC:shim/%.c=$(TSAN_DIR)/%.o)
	$(TSAN_CC) -fsanitize=thread -shared -o $@ $^ -ldl -lpthread -Wl,-z,now -Wl,--no-undefined

$(TSAN_DIR)/%: tests/progs/%.c
	@mkdir -p $(TSAN_DIR)
	$(TSAN_CC) $(TSAN_FLAGS) $(WARN) -D_GNU_SOURCE -o $@ $< -lpthread

$(TSAN_DIR)/%: tests/tsan/%.c
	@mkdir -p $(TSAN_DIR)
	$(TSAN_CC) $(TSAN_FLAGS) $(WARN) -D_GNU_SOURCE -o $@ $< -lpthread

check-tsan: deps
	$(MAKE) all $(TSAN_DIR)/libioshim-tsan.so $(TSAN_PROGS)
	sh tests/tsan/run

# The shim for the boards users run it on: cross-built for arm64 and
# 32-bit arm with the same -Werror flags, checked under qemu-user.
check-cross:
	@sh mk/deps.sh cross
	sh tests/cross/run.sh

# demo walks the README's "The first hour" exactly (mk/readme-path.sh,
# the commands t-readme-path checks); demo-more shows the rest.
demo: deps all
	sh mk/demo.sh

demo-more: deps all
	sh mk/demo-more.sh

bench: deps all
	sh bench/run

bench-smoke: all
	IOSHIM_BENCH_SMOKE=1 sh bench/run

# The soak of issue 15 (root; not timed, not in check): a 60 s path flood
# of uid 65534 beside root's shimmed work, then trickling query clients.
soak: all
	sh bench/soak.sh

# install puts in DESTDIR+PREFIX: the shim, the tool, the collector, the
# man pages, the systemd units (ExecStart pointing at PREFIX/sbin/ioshimd)
# and tmpfiles.d/ioshim.conf (/run/ioshim, 0755 root).  systemd and
# systemd-tmpfiles read PREFIX/lib/... for PREFIX /usr and /usr/local;
# give UNITDIR, USERUNITDIR, TMPFILESDIR for another PREFIX.  uninstall
# removes exactly the files install put there (and lib/ioshim when empty).
UNITDIR		?= $(PREFIX)/lib/systemd/system
USERUNITDIR	?= $(PREFIX)/lib/systemd/user
TMPFILESDIR	?= $(PREFIX)/lib/tmpfiles.d
MAN1		= $(notdir $(wildcard docs/man/*.1))
MAN8		= $(notdir $(wildcard docs/man/*.8))
UNITSED		= sed 's|/usr/local/sbin/ioshimd|$(PREFIX)/sbin/ioshimd|'

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/ioshim $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	# by rename: a program starting meanwhile (the whole machine may load it)
	# must never map a half-copied library, which kills it with SIGBUS
	install -m 0644 shim/libioshim.so $(DESTDIR)$(PREFIX)/lib/ioshim/.libioshim.so.new
	mv -f $(DESTDIR)$(PREFIX)/lib/ioshim/.libioshim.so.new $(DESTDIR)$(PREFIX)/lib/ioshim/libioshim.so
	install -m 0755 tools/ioshim $(DESTDIR)$(PREFIX)/bin/ioshim
	if [ -f collector/ioshimd ]; then install -m 0755 collector/ioshimd $(DESTDIR)$(PREFIX)/sbin/ioshimd; fi
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	for m in $(MAN1); do install -m 0644 docs/man/$$m $(DESTDIR)$(PREFIX)/share/man/man1/; done
	for m in $(MAN8); do install -m 0644 docs/man/$$m $(DESTDIR)$(PREFIX)/share/man/man8/; done
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(USERUNITDIR) $(DESTDIR)$(TMPFILESDIR)
	$(UNITSED) collector/ioshimd.service >$(DESTDIR)$(UNITDIR)/ioshimd.service
	$(UNITSED) collector/ioshimd-user.service >$(DESTDIR)$(USERUNITDIR)/ioshimd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ioshimd.service $(DESTDIR)$(USERUNITDIR)/ioshimd.service
	install -m 0644 collector/ioshim.tmpfiles $(DESTDIR)$(TMPFILESDIR)/ioshim.conf

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/ioshim/libioshim.so $(DESTDIR)$(PREFIX)/bin/ioshim \
	    $(DESTDIR)$(PREFIX)/sbin/ioshimd \
	    $(DESTDIR)$(UNITDIR)/ioshimd.service $(DESTDIR)$(USERUNITDIR)/ioshimd.service \
	    $(DESTDIR)$(TMPFILESDIR)/ioshim.conf
	for m in $(MAN1); do rm -f $(DESTDIR)$(PREFIX)/share/man/man1/$$m; done
	for m in $(MAN8); do rm -f $(DESTDIR)$(PREFIX)/share/man/man8/$$m; done
	-rmdir $(DESTDIR)$(PREFIX)/lib/ioshim 2>/dev/null

# A Debian package ioshim_VERSION_ARCH.deb built with dpkg-deb from a
# staged `make install PREFIX=/usr` (mk/deb/, docs/deploying.md).
# Another architecture: make deb DEB_ARCH=arm64 (or armhf): CC is then
# that architecture's cross compiler unless given, and the package is
# built in a copy of the tree (the tree's objects stay this machine's).
DEB_ARCH ?=
DEB_FOREIGN = $(filter-out $(shell dpkg --print-architecture 2>/dev/null),$(DEB_ARCH))
DEB_CC = $(if $(and $(DEB_FOREIGN),$(filter default,$(origin CC))),,$(CC))
DEB_MA = $(if $(filter command environment,$(origin MULTIARCH)),$(MULTIARCH),$(if $(DEB_FOREIGN),,$(MULTIARCH)))
.PHONY: deb
deb: $(if $(DEB_FOREIGN),,all)
	CC="$(DEB_CC)" MAKE="$(MAKE)" DEB_ARCH="$(DEB_ARCH)" MULTIARCH="$(DEB_MA)" sh mk/deb/build.sh

clean:
	rm -f shim/*.o shim/*.so collector/*.o collector/ioshimd tools/*.o tools/ioshim
	rm -rf tests/bin
	rm -f ioshim_*.deb
