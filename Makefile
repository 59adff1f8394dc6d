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
# Each program links only the libraries its objects use (--as-needed), so
# qhb-snap does not pay for loading Z3 or Vulkan at start.
LIBS = -Wl,--as-needed -lzstd -lxxhash -ljansson -lvulkan -lZydis -lz3 \
	-lelf -lpng -lpthread -lm
VERSION = 0.1.0

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(patsubst common/%.c,$(BUILD)/obj/common/%.o,$(COMMON_SRC)) \
	$(BUILD)/obj/shaders.o
SHADERS := $(wildcard shaders/*.comp)
SPV := $(patsubst shaders/%.comp,$(BUILD)/spv/%.spv,$(SHADERS))
PLUGIN_SRC := $(wildcard plugin/*.c)
# Not in a sanitizer build: QEMU cannot load a plugin linked with ASan.
PLUGIN := $(if $(SAN),,$(if $(PLUGIN_SRC),$(BUILD)/lib/libqhbtrace.so))
PROGS := $(patsubst cmd/%.c,$(BUILD)/bin/%,$(wildcard cmd/*.c))
UNITS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit-%,$(filter-out tests/unit/unit.c,$(wildcard tests/unit/*.c)))
FUZZERS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/*.c))
LIBQHB := $(BUILD)/obj/libqhb.a

all: $(BUILD)/.deps-ok $(PROGS) $(PLUGIN)

# The deps script checks the Debian packages; as root it installs what is
# missing, otherwise it prints the apt-get line and fails.
$(BUILD)/.deps-ok: tests/deps.sh
	@sh tests/deps.sh
	@mkdir -p $(@D) && touch $@

build/.deps-check-ok: tests/deps.sh
	@sh tests/deps.sh check
	@mkdir -p $(@D) && touch $@

$(BUILD)/obj/common/%.o: common/%.c | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(QHB_CFLAGS) -MMD -MP -c -o $@ $<

# Compute shaders: GLSL compiled to SPIR-V by glslc, embedded as arrays
# that common/shaders.h finds by name.
$(BUILD)/spv/%.spv: shaders/%.comp | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	glslc -O --target-env=vulkan1.1 -o $@ $<

$(BUILD)/gen/shaders.c: $(SPV) tests/embed.sh
	@mkdir -p $(@D)
	sh tests/embed.sh $(SPV) >$@.tmp && mv $@.tmp $@

$(BUILD)/obj/shaders.o: $(BUILD)/gen/shaders.c common/shaders.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(QHB_CFLAGS) -c -o $@ $<

# The TCG plugin: a shared object QEMU loads with -plugin.
$(BUILD)/lib/libqhbtrace.so: $(PLUGIN_SRC) $(wildcard plugin/*.h) | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -fPIC \
		-shared -iquote plugin -iquote common -o $@ $(PLUGIN_SRC)

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
# common/ is compiled once for all of them (coverage-instrumented, with
# ASan and UBSan) into build/fuzz-obj/, and each target links it.
FUZZ_CFLAGS = -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -iquote common \
	-DQHB_VERSION='"$(VERSION)"' -DQHB_GUEST_DIR='"$(CURDIR)/build/guest"' \
	-fno-sanitize-recover=all
FUZZ_OBJ := $(patsubst common/%.c,build/fuzz-obj/common/%.o,$(COMMON_SRC)) \
	build/fuzz-obj/shaders.o

build/fuzz-obj/common/%.o: common/%.c | build/.deps-ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
		-MMD -MP -c -o $@ $<

build/fuzz-obj/shaders.o: build/gen/shaders.c common/shaders.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=address,undefined -c -o $@ $<

build/fuzz-obj/libqhb.a: $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) build/fuzz-obj/libqhb.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-o $@ $< build/fuzz-obj/libqhb.a $(LIBS)

# The fault injector of tests/integration/fault.sh (not under a sanitizer,
# which owns malloc itself).
build/tests/libfault.so: tests/fault/inject.c
	@mkdir -p $(@D)
	$(CC) -O1 -g -std=gnu11 -Wall -Wextra -Werror -fPIC -shared -o $@ $< -ldl

units: $(UNITS) $(if $(SAN),,build/tests/libfault.so)
fuzz: $(FUZZERS)

guest: build/guest/vmlinuz build/guest/initrd.img
build/guest/vmlinuz build/guest/initrd.img: tests/guest/build.sh tests/guest/init | $(BUILD)/.deps-ok
	sh tests/guest/build.sh build/guest

# make check: the normal build and the sanitizer build, the fuzzers, the
# guest, then one runner over everything; it ends "N passed, N failed".
check: all units guest fuzz build/.deps-check-ok
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
	$(if $(PLUGIN),install -d $(DESTDIR)$(PREFIX)/lib/qhb && \
		install -m 755 $(PLUGIN) $(DESTDIR)$(PREFIX)/lib/qhb/)
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(PREFIX)/share/man/man5/
	$(if $(wildcard man/*.7),install -d $(DESTDIR)$(PREFIX)/share/man/man7 && \
		install -m 644 $(wildcard man/*.7) $(DESTDIR)$(PREFIX)/share/man/man7/)
	$(if $(wildcard build/guest/vmlinuz),install -d $(DESTDIR)$(PREFIX)/share/qhb/guest && \
		install -m 644 build/guest/vmlinuz build/guest/initrd.img \
		$(DESTDIR)$(PREFIX)/share/qhb/guest/)
	@# The unprivileged user qhb-vm runs QEMU as when started by root, and
	@# its group, which may read guest RAM (man/qhb-vm.1): made once, as
	@# root, on this machine only (not into a DESTDIR).
	$(if $(DESTDIR),,@if [ "$$(id -u)" = 0 ] && ! getent passwd qhb >/dev/null; then \
		useradd --system --user-group --no-create-home \
		--home-dir /nonexistent --shell /usr/sbin/nologin qhb; fi)

clean:
	rm -rf build build-san demo-out

.PHONY: all units fuzz guest check demo bench install clean
.SECONDARY:

-include $(COMMON_OBJ:.o=.d)
-include $(FUZZ_OBJ:.o=.d)
