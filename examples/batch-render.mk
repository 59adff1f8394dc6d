# Batch rendering: a picture for every snapshot in a folder (the files the
# cron capture writes, say), as many at a time as make -j allows.  Only
# new or changed snapshots are rendered again, and an interrupted run
# leaves no half picture behind (qhb-render -o writes atomically), so
# make picks up where it stopped.
#
#   make -f examples/batch-render.mk -j4 SNAPS=captures [OUT=captures/png]
#	    [SIZE=512x512] [COLOR=class]
#
# The same work spread over several machines with GNU parallel: each
# snapshot is copied to a host, rendered there, its PNG copied back and the
# remote files removed (qhb must be installed on each host; ":" is this
# machine, N/ a host's job count):
#
#   make -f examples/batch-render.mk parallel SNAPS=captures HOSTS=8/render1,8/render2,:
#
# which runs, in SNAPS:
#
#   ls *.qsnap | parallel -S 8/render1,8/render2,: \
#	--transferfile {} --return png/{.}.png --cleanup \
#	'mkdir -p png && qhb-hilbert -q --lod 4 {} | qhb-render -q -o png/{.}.png ...'
#
# Each snapshot file holds one capture (as cron-capture.sh writes them).

SNAPS ?= .
OUT ?= $(SNAPS)/png
SIZE ?= 512x512
COLOR ?= class
HOSTS ?= :
# The tree's programs first when run from a checkout, else an installed qhb.
export PATH := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))../build/bin):$(PATH)
# A failing qhb-hilbert must fail the picture, not feed qhb-render nothing.
SHELL = /bin/bash
.SHELLFLAGS = -o pipefail -c

SNAPSHOTS := $(wildcard $(SNAPS)/*.qsnap)
PICTURES := $(patsubst $(SNAPS)/%.qsnap,$(OUT)/%.png,$(SNAPSHOTS))
RENDER = qhb-hilbert -q --color $(COLOR) --lod 4 $< | \
	qhb-render -q --composite --size $(SIZE) --legend -o $@

all: $(PICTURES)

$(OUT)/%.png: $(SNAPS)/%.qsnap | $(OUT)
	$(RENDER)

$(OUT):
	mkdir -p $@

# The same pictures by GNU parallel, on HOSTS; pictures land in SNAPS/png.
parallel:
	cd $(SNAPS) && ls *.qsnap | parallel --will-cite --halt now,fail=1 \
	    -S '$(HOSTS)' --transferfile {} --return png/{.}.png --cleanup \
	    'mkdir -p png && qhb-hilbert -q --color $(COLOR) --lod 4 {} | \
	    qhb-render -q --composite --size $(SIZE) --legend -o png/{.}.png'

clean:
	rm -f $(PICTURES)

.PHONY: all parallel clean
.DELETE_ON_ERROR:
