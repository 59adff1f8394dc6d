# qhb -- the QEMU Hybrid Bridge.  See README.md.
#
#   make                 programs into build/bin/
#   make check           every test: unit, integration on a booted guest,
#                        an ASan/UBSan build, short libFuzzer runs
#   make demo            the main job, on the built-in demo guest
#   make guest           the demo guest (Debian kernel + busybox initramfs)
#   make bench           the benchmarks in bench/ (see bench/RESULTS.md)
#   make install PREFIX=/usr/local
#   make SAN=address,undefined   a sanitizer build in build-san/

SAN ?=
ifeq ($(SAN),)
BUILD ?= build
else
BUILD ?= build-san
endif
CC ?= cc
FUZZ_CC ?= clang
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 20

QHB_CFLAGS = -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -iquote common \
	-DQHB_VERSION='"$(VERSION)"' -DQHB_GUEST_DIR='"$(CURDIR)/build/guest"'
ifneq ($(SAN),)
QHB_CFLAGS += -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer
QHB_LDFLAGS += -fsanitize=$(SAN)
endif
LIBS = -lzstd -lxxhash -ljansson -lpthread -lm
VERSION = 0.1.0

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(patsubst common/%.c,$(BUILD)/obj/common/%.o,$(COMMON_SRC))
PROGS := $(patsubst cmd/%.c,$(BUILD)/bin/%,$(wildcard cmd/*.c))
UNITS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit-%,$(filter-out tests/unit/unit.c,$(wildcard tests/unit/*.c)))
FUZZERS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/*.c))
LIBQHB := $(BUILD)/obj/libqhb.a

all: $(BUILD)/.deps-ok $(PROGS)

# The deps script checks the Debian packages; as root it installs what is
# missing, otherwise it prints the apt-get line and fails.
$(BUILD)/.deps-ok: tests/deps.sh
	@sh tests/deps.sh
	@mkdir -p $(@D) && touch $@

$(BUILD)/obj/common/%.o: common/%.c | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(QHB_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBQHB): $(COMMON_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/%: cmd/%.c $(LIBQHB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(QHB_CFLAGS) $(QHB_LDFLAGS) -o $@ $< $(LIBQHB) $(LIBS)

$(BUILD)/tests/unit-%: tests/unit/%.c tests/unit/unit.c tests/unit/unit.h $(LIBQHB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(QHB_CFLAGS) -iquote tests/unit $(QHB_LDFLAGS) -o $@ $< tests/unit/unit.c $(LIBQHB) $(LIBS)

# libFuzzer targets: one per parser of outside bytes, built with clang.
build/fuzz/%: tests/fuzz/%.c $(COMMON_SRC) | build/.deps-ok
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -iquote common \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $< $(COMMON_SRC) $(LIBS)

units: $(UNITS)
fuzz: $(FUZZERS)

guest: build/guest/vmlinuz build/guest/initrd.img
build/guest/vmlinuz build/guest/initrd.img: tests/guest/build.sh tests/guest/init | $(BUILD)/.deps-ok
	sh tests/guest/build.sh build/guest

# make check: the normal build and the sanitizer build, the fuzzers, the
# guest, then one runner over everything; it ends "N passed, N failed".
check: all units guest fuzz
	$(MAKE) SAN=address,undefined all units
	QHB_BUILD=$(abspath $(BUILD)) QHB_SAN_BUILD=$(abspath build-san) \
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/run.sh

demo: all guest
	sh examples/demo.sh

bench: all guest
	sh bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(PREFIX)/share/man/man5/

clean:
	rm -rf build build-san demo-out

.PHONY: all units fuzz guest check demo bench install clean
.SECONDARY:

-include $(COMMON_OBJ:.o=.d)
