#!/bin/sh
# qhb-snap on a real booted demo guest (Debian kernel + busybox, TCG):
# byte equality with the RAM file while paused, pause and resume through
# QMP, deltas of a running guest rebuilt exactly.
. "$(dirname "$0")/../lib.sh"

name=qhb-snap-test-$$
boot_guest "$name"
ram=$(qhb-vm ram "$name")
qmp=$(qhb-vm qmp-path "$name")

running() { qhb-vm qmp "$name" query-status | grep -q '"running": *true'; }

# The acceptance test of the foundation: a paused guest's RAM comes back
# byte for byte, through QMP discovery and through the file itself.
paused_equal() {
	qhb-vm qmp "$name" stop >/dev/null
	qhb-snap -q --qmp "$qmp" --consistent=pause | qhb-cat --raw | cmp - "$ram"
	qhb-snap -q --level 0 "$ram" | qhb-cat --raw | cmp - "$ram"
	# pause mode leaves a guest that was stopped stopped
	! running
	qhb-vm qmp "$name" cont >/dev/null
	running
}

pause_resumes() {
	running
	qhb-snap -q --qmp "$qmp" --consistent=pause | qhb-cat >"$T_TMP/j"
	grep -q '"consistency":"pause"' "$T_TMP/j"
	grep -q "\"vm\":\"$name\"" "$T_TMP/j"
	grep -q '"source":"'"$ram"'"' "$T_TMP/j"
	pause=$(sed 's/.*"pause_ns":\([0-9]*\).*/\1/' "$T_TMP/j")
	test "$pause" -gt 0
	running
}

# Deltas of the running guest; the last frames are taken after QMP stopped
# it, so the rebuilt RAM must equal the file.
periodic_deltas() {
	qhb-snap -q --qmp "$qmp" --every 200ms --count 20 >"$T_TMP/p" &
	pid=$!
	sleep 2
	qhb-vm qmp "$name" stop >/dev/null
	wait "$pid"
	qhb-cat --raw "$T_TMP/p" | cmp - "$ram"
	qhb-cat "$T_TMP/p" >"$T_TMP/j"
	test "$(grep -c '"snap-delta"' "$T_TMP/j")" -eq 19
	# the guest's worker changed pages while it ran
	grep '"snap-delta"' "$T_TMP/j" | grep -qv '"given":0,'
	qhb-vm qmp "$name" cont >/dev/null
}

verify_running() {
	qhb-snap -q --consistent=verify --verify-rounds 4 "$ram" | qhb-cat >"$T_TMP/j"
	grep -q '"consistency":"verify"' "$T_TMP/j"
	rounds=$(sed 's/.*"verify_rounds":\([0-9]*\).*/\1/' "$T_TMP/j")
	test "$rounds" -ge 1 && test "$rounds" -le 4
	grep -q '"unstable_pages":[0-9]' "$T_TMP/j"
}

live_errors() {
	{ rc=0; qhb-snap --qmp "$qmp" 2>"$T_TMP/err" || rc=$?
	  echo $rc >"$T_TMP/rc"; } | head -c 100 >/dev/null
	test "$(cat "$T_TMP/rc")" -eq 141 && test ! -s "$T_TMP/err"
	expect_err "qhb-snap: /nonexistent.sock" qhb-snap --qmp /nonexistent.sock
	running
}

t paused_equal paused_equal
t pause_resumes pause_resumes
t periodic_deltas periodic_deltas
t verify_running verify_running
t live_errors live_errors
