#!/bin/sh
# A hand-off to Volatility 3: a consistent snapshot of the guest as the raw
# memory image Volatility reads (qhb-cat --raw) and, since Volatility needs
# a symbol table matching the exact kernel, one written from the guest's
# own RAM (qhb-query isf: kallsyms and BTF live there), placed where
# Volatility's -s looks for Linux tables.  Then, for instance:
#
#   vol -f OUTDIR/vm.raw -s OUTDIR/symbols linux.pslist
#   vol -f OUTDIR/vm.raw -s OUTDIR/symbols linux.pstree
#   vol -f OUTDIR/vm.raw -s OUTDIR/symbols linux.proc.Maps --pid 1
#
# (vol is Volatility 3's command, from pip install volatility3, or
# python3 vol.py in its source tree.)  Volatility 3 walks 4-level page
# tables only: start the guest with qhb-vm start --cpu max,la57=off, as
# this script does when it boots one itself.
#
#   sh examples/volatility.sh [VM [OUTDIR]]
#
# With no VM (or ""), boots the demo guest (make guest) and stops it at the
# end.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/build/bin:$PATH
vm=${1:-}
out=${2:-volatility-out}
started=
cleanup() {
	[ -n "$started" ] && qhb-vm stop "$started" >/dev/null 2>&1
	started=
	rm -f "$out/symbols/linux/.qhb.json.$$"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
if [ -z "$vm" ]; then
	vm=qhb-volatility-$$
	started=$vm
	qhb-vm start "$vm" --mem 128M --cpu max,la57=off --wait
fi
mkdir -p "$out/symbols/linux"

qhb-snap -q --qmp "$(qhb-vm qmp-path "$vm")" --consistent=pause -o "$out/vm.qsnap"
qhb-cat --raw -o "$out/vm.raw" "$out/vm.qsnap"
qhb-query isf <"$out/vm.qsnap" >"$out/symbols/linux/.qhb.json.$$"
mv "$out/symbols/linux/.qhb.json.$$" "$out/symbols/linux/qhb.json"
qhb-query banner <"$out/vm.qsnap" >"$out/banner.json"
paging=$(sed -n 's/.*"paging": "\(.*\)".*/\1/p' "$out/banner.json")
echo "volatility: $out/vm.raw ($(($(wc -c <"$out/vm.raw") / 1048576)) MiB) and $out/symbols/linux/qhb.json for $(sed -n 's/.*"release": "\(.*\)".*/\1/p' "$out/banner.json"), $paging paging"
[ "$paging" = 4-level ] ||
	echo "volatility: warning: Volatility 3 cannot walk $paging page tables; start the guest with --cpu max,la57=off" >&2
echo "volatility: now run: vol -f $out/vm.raw -s $out/symbols linux.pslist"
