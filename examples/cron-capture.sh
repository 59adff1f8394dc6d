#!/bin/sh
# A capture for cron, with retention: one consistent snapshot of guest VM
# (paused for the copy) into DIR under a dated name, then the sweep: the
# newest KEEP captures stay, and of the older ones the first of each hour
# (a key frame an hour) for the last HOURS hours that have one; the rest
# are removed.
#
#   sh examples/cron-capture.sh VM DIR [KEEP [HOURS]]    (defaults 12, 168)
#
# A crontab line: every 5 minutes, the last hour in full, a week of hourly
# key frames, errors to syslog:
#
#   */5 * * * *  sh /opt/qhb/examples/cron-capture.sh vm1 /var/lib/qhb/vm1 12 168 2>&1 | logger -t qhb-capture
#
# Never a partial file: qhb-snap -o writes a temporary dot-file beside the
# final name and renames it into place once whole, and the sweep looks only
# at final names.  A capture killed hard (SIGKILL, power loss) can leave a
# dot-file behind; the sweep removes those older than an hour.  Captures
# may overlap (a slow one, a manual run): each writes its own file, and the
# sweeps take turns under flock(1) on DIR/.lock.  Names are in UTC, so the
# hours sort and daylight saving time does not repeat one.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
# cron's PATH is short: the tree's programs, then an installed qhb
PATH=$top/build/bin:/usr/local/bin:$PATH
[ $# -ge 2 ] || { echo "usage: cron-capture.sh VM DIR [KEEP [HOURS]]" >&2; exit 1; }
vm=$1
dir=$2
keep=${3:-12}
hours=${4:-168}
case $keep$hours in *[!0-9]*) echo "cron-capture.sh: KEEP and HOURS are numbers" >&2; exit 1 ;; esac
mkdir -p "$dir"

TZ=UTC0 qhb-snap -q --qmp "$(qhb-vm qmp-path "$vm")" --consistent=pause \
	--name "$vm" -o "$dir/$vm-%Y%m%dT%H%M%SZ.qsnap"

exec 9>"$dir/.lock"
flock 9
# Final names only: VM-YYYYmmddTHHMMSSZ.qsnap, which sort by time.
LC_ALL=C ls "$dir" | awk -v vm="$vm" -v keep="$keep" -v hours="$hours" '
	BEGIN { d = "[0-9]"; stamp = "^" d d d d d d d d "T" d d d d d d "Z[.]qsnap$" }
	substr($0, 1, length(vm) + 1) == vm "-" && substr($0, length(vm) + 2) ~ stamp {
		f[++n] = $0
	}
	END {
		# older than the newest keep: the first of each hour is a key
		for (i = 1; i <= n - keep; i++) {
			hour = substr(f[i], length(vm) + 2, 11)
			if (hour != last) { key[++k] = i; last = hour }
		}
		# the keys of the last hours hours stay
		for (j = k - hours + 1; j <= k; j++)
			if (j >= 1) kept[key[j]] = 1
		for (i = 1; i <= n - keep; i++)
			if (!(i in kept)) print f[i]
	}' | while read -r old; do
	rm -f -- "$dir/$old"
done
# what a capture killed hard left behind (a live one is younger than this)
find "$dir" -maxdepth 1 -name ".$vm-*.qsnap.*" -mmin +60 -exec rm -f -- {} +
