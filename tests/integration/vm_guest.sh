#!/bin/sh
# qhb-vm on the demo guest: boots it once under a unique name, checks what
# qhb-vm and the guest's ground truth say, the failure cases, and that stop
# leaves nothing behind.  Needs make guest.
. "$(dirname "$0")/../lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
guest=${QHB_GUEST_DIR:-$top/build/guest}
VM=qhbt-$$-$(date +%s)
uid=$(id -u)
# who QEMU runs as: as root, the qhb user where there is one, else nobody
if [ "$uid" -ne 0 ]; then
	user=$(id -un)
elif id qhb >/dev/null 2>&1; then
	user=qhb
else
	user=nobody
fi
trap 'qhb-vm stop "$VM" >/dev/null 2>&1; rm -rf "$T_TMP"' EXIT
trap 'exit 1' INT TERM

start_wait() {
	qhb-vm start --mem 128M --cpus 2 --timeout 180 --wait "$VM"
	qhb-vm wait --timeout 180 "$VM"
	qhb-vm wait --timeout 5 "$VM" QHB-GROUND-TRUTH-END
}

ground_truth() {
	qhb-vm log "$VM" | tr -d '\r' >"$T_TMP/serial"
	sed -n '/^QHB-GROUND-TRUTH-BEGIN$/,/^QHB-GROUND-TRUTH-END$/p' \
	    "$T_TMP/serial" >"$T_TMP/truth"
	grep -q '^QHB-GROUND-TRUTH-END$' "$T_TMP/truth" || die "no ground truth"
	release=$(sed -n 's/^release //p' "$guest/kernel-version")
	[ -n "$release" ] || die "no release in $guest/kernel-version"
	grep -qx "release $release" "$T_TMP/truth" ||
		die "release line is not '$release': $(grep '^release' "$T_TMP/truth")"
	grep -qx 'ps pid 1 ppid 0 user comm init' "$T_TMP/truth" || die "no init"
	for c in syslogd httpd qhb-worker sleep; do
		grep -Eq "^ps pid [0-9]+ ppid 1 user comm $c\$" "$T_TMP/truth" ||
			die "no ps line for $c"
	done
	grep -Eq '^ps pid 2 ppid 0 kernel comm kthreadd$' "$T_TMP/truth" ||
		die "no kthreadd"
	# Each user process has its maps, and busybox is mapped.
	for p in $(sed -n 's/^ps pid \([0-9]*\) ppid [0-9]* user comm .*/\1/p' \
	    "$T_TMP/truth"); do
		grep -qx "maps $p" "$T_TMP/truth" || die "no maps for $p"
	done
	grep -Eq '^[0-9a-f]+-[0-9a-f]+ r-xp .* /bin/busybox$' "$T_TMP/truth" ||
		die "no busybox text mapping"
	grep -qx QHB-READY "$T_TMP/serial" || die "no ready marker"
}

listed() {
	qhb-vm list >"$T_TMP/list"
	grep -Eq "^$VM [0-9]+ 128M running user=$user\$" "$T_TMP/list" ||
		die "not listed: $(cat "$T_TMP/list")"
}

status_json() {
	qhb-vm status "$VM" >"$T_TMP/status"
	python3 - "$T_TMP/status" "$VM" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["name"] == sys.argv[2], s
assert s["status"] == "running" and s["running"] is True, s
assert s["mem"] == 128 << 20, s
assert s["pid"] > 0 and s["cpus"] == 2, s
EOF
}

qmp_status() {
	qhb-vm qmp "$VM" query-status >"$T_TMP/qs"
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["running"] is True and s["status"] == "running", s' "$T_TMP/qs"
	qhb-vm qmp "$VM" '{"execute": "query-name"}' | grep -q "\"$VM\""
	qhb-vm qmp "$VM" qom-get '{"path": "/objects/ram", "property": "share"}' |
		grep -qx true
	expect_err CommandNotFound qhb-vm qmp "$VM" no-such-command
	expect_err 'invalid JSON' qhb-vm qmp "$VM" '{"execute":'
	# Pause and resume through the JSON form.
	qhb-vm qmp "$VM" '{"execute": "stop"}' >/dev/null
	qhb-vm list | grep -Eq "^$VM [0-9]+ 128M paused user=$user\$"
	qhb-vm qmp "$VM" cont >/dev/null
	qhb-vm list | grep -Eq "^$VM [0-9]+ 128M running user=$user\$"
}

ram_file() {
	ram=$(qhb-vm ram "$VM")
	[ "$ram" = "/dev/shm/qhb-$uid-$VM.ram" ] || die "ram path $ram"
	[ -f "$ram" ] || die "$ram missing"
	# 0600, or 0640 for the qhb group where there is one: never others'
	if getent group qhb >/dev/null; then
		[ "$(stat -c %a:%G "$ram")" = 640:qhb ] ||
			die "mode $(stat -c %a:%G "$ram")"
	else
		[ "$(stat -c %a "$ram")" = 600 ] || die "mode $(stat -c %a "$ram")"
	fi
	[ "$(stat -c %s "$ram")" = 134217728 ] || die "size $(stat -c %s "$ram")"
	[ -S "$(qhb-vm qmp-path "$VM")" ] || die "no QMP socket"
}

# QEMU sandboxed always, wholly, and unprivileged when started as root
# (from its first instruction: no -runas); status
# says who it runs as; nothing of it in /dev/shm is open to others.
isolated() {
	pid=$(cat "$(dirname "$(qhb-vm qmp-path "$VM")")/pid")
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$pid/status" ||
		die "not sandboxed: $(grep Seccomp "/proc/$pid/status")"
	quid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
	[ "$quid" = "$(id -u "$user")" ] || die "QEMU runs as uid $quid"
	[ "$uid" -ne 0 ] || [ "$quid" -ne 0 ] || die "QEMU runs as root"
	# the whole sandbox, root or not: QEMU never changes user itself
	tr '\0' ' ' <"/proc/$pid/cmdline" >"$T_TMP/cmdline"
	grep -q -- '-sandbox on,[^ ]*elevateprivileges=deny' "$T_TMP/cmdline" ||
		die "sandbox without elevateprivileges=deny: $(cat "$T_TMP/cmdline")"
	! grep -q -- '-runas' "$T_TMP/cmdline" || die "QEMU given -runas"
	qhb-vm status "$VM" | grep -q "\"user\": \"$user\"" ||
		die "status: $(qhb-vm status "$VM")"
	qhb-vm status "$VM" | grep -q '"cgroup": "none"'
	[ "$(stat -c %a "$(qhb-vm qmp-path "$VM")")" = 600 ] ||
		die "QMP socket mode $(stat -c %a "$(qhb-vm qmp-path "$VM")")"
	for f in "/dev/shm/qhb-$uid-$VM".*; do
		[ $(($(stat -c %#a "$f") & 7)) -eq 0 ] ||
			die "$f: mode $(stat -c %a "$f")"
	done
}

start_twice() {
	expect_err "already running" qhb-vm start --mem 128M "$VM"
	qhb-vm status "$VM" >/dev/null
}

usage_errors() {
	for args in "start a/b" "start ../x" "status -bad" "stop" "bogus" \
	    "start --mem 12Q x" "start --cpus 0 x" "wait $VM a b c" ""; do
		# shellcheck disable=SC2086
		qhb-vm $args >/dev/null 2>&1 && die "qhb-vm $args succeeded"
		# shellcheck disable=SC2086
		qhb-vm $args >/dev/null 2>&1 || [ $? -eq 1 ] ||
			die "qhb-vm $args: exit not 1"
	done
	expect_err 'invalid guest name' qhb-vm start 'a/b'
	expect_err 'unknown subcommand' qhb-vm frobnicate
	expect_err 'no such guest' qhb-vm status "$VM-none"
	expect_err 'no such guest' qhb-vm stop "$VM-none"
	expect_err 'use --mem' qhb-vm start --mem 64M "$VM-small"
	[ ! -e "/dev/shm/qhb-$uid-$VM-small.ram" ] || die "small RAM left"
	qhb-vm --help | grep -q '^usage: qhb-vm start'
	qhb-vm start --help | grep -q -- '--timeout'
	qhb-vm -V | grep -q '^qhb-vm '
}

wait_timeout() {
	expect_err 'timed out after 1 s' qhb-vm wait --timeout 1 "$VM" \
	    NO-SUCH-PATTERN-EVER
}

stop_clean() {
	dir=$(dirname "$(qhb-vm qmp-path "$VM")")
	pid=$(cat "$dir/pid")
	qhb-vm stop "$VM"
	[ ! -e "/dev/shm/qhb-$uid-$VM.ram" ] || die "RAM file left"
	[ ! -e "$dir" ] || die "$dir left"
	! kill -0 "$pid" 2>/dev/null || ps -o stat= -p "$pid" | grep -q Z ||
		die "QEMU $pid still running"
	qhb-vm list | grep -q "^$VM " && die "still listed"
	expect_err 'no such guest' qhb-vm stop "$VM"
}

# A guest whose QEMU died leaves files that the next start cleans.
stale_cleaned() {
	qhb-vm start --mem 128M "$VM"
	dir=$(dirname "$(qhb-vm qmp-path "$VM")")
	kill -9 "$(cat "$dir/pid")"
	sleep 1
	expect_err 'not running' qhb-vm status "$VM"
	expect_err 'exited before' qhb-vm wait --timeout 5 "$VM" NEVER
	qhb-vm start --mem 128M "$VM"
	qhb-vm status "$VM" >/dev/null
	qhb-vm stop "$VM"
	[ ! -e "/dev/shm/qhb-$uid-$VM.ram" ] && [ ! -e "$dir" ]
}

# make install puts programs, plugin, man pages and the demo guest under
# PREFIX, and the installed qhb-vm boots the installed guest, wherever the
# source tree is (QEMU is replaced by a script that records its arguments).
installed() {
	make -s -C "$top" install PREFIX="$T_TMP/inst" >"$T_TMP/make" 2>&1
	p=$T_TMP/inst
	for f in bin/qhb-vm bin/qhb-snap bin/qhb-learn lib/qhb/libqhbtrace.so \
	    share/man/man1/qhb-vm.1 share/man/man5/qhb-format.5 \
	    share/man/man7/pixel-cpu.7 share/qhb/guest/vmlinuz \
	    share/qhb/guest/initrd.img; do
		test -s "$p/$f" || die "make install left out $f"
	done
	# as root the fake runs as QEMU's user, who must reach it
	fake=$T_TMP/fake
	mkdir -m 1777 "$fake"
	[ "$uid" -ne 0 ] || chmod 711 "$T_TMP"
	# as root, QEMU is handed the boot files as /proc/self/fd/N: the
	# fake names the file each such descriptor is
	cat >"$fake/qemu" <<FAKE
#!/bin/sh
for a; do
	case \$a in
	/proc/self/fd/*) readlink "/proc/\$\$/fd/\${a#/proc/self/fd/}" ;;
	*) printf '%s\n' "\$a" ;;
	esac
done | tr '\n' ' ' >"$fake/args"
exit 3
FAKE
	chmod 755 "$fake/qemu"
	env -u QHB_GUEST_DIR QHB_QEMU="$fake/qemu" "$p/bin/qhb-vm" start \
	    "inst-$$" >/dev/null 2>&1 && die "the fake QEMU was meant to fail"
	grep -qF -- "-kernel $p/share/qhb/guest/vmlinuz" "$fake/args" ||
		die "installed qhb-vm ran: $(cat "$fake/args")"
	grep -qF -- "-initrd $p/share/qhb/guest/initrd.img" "$fake/args"
}

# As root, boot files where QEMU's user cannot reach them (a checkout
# under a 0700 home) are still read: QEMU is handed them as descriptors
# (a fake QEMU, run as that user, reads the kernel through the path it
# is given and records it).
private_files() {
	if [ "$uid" -ne 0 ]; then
		echo "SKIP: vm_guest.private_files: not root"
		return 0
	fi
	priv=$T_TMP/private
	mkdir -m 700 "$priv"
	cp "$guest/vmlinuz" "$guest/initrd.img" "$priv/"
	fake=$T_TMP/fake2
	mkdir -m 1777 "$fake"
	chmod 711 "$T_TMP"
	cat >"$fake/qemu" <<FAKE
#!/bin/sh
while [ \$# -gt 0 ]; do
	[ "\$1" = -kernel ] && head -c 512 "\$2" >"$fake/kernel" 2>"$fake/err"
	shift
done
exit 3
FAKE
	chmod 755 "$fake/qemu"
	QHB_QEMU="$fake/qemu" qhb-vm start --kernel "$priv/vmlinuz" \
	    --initrd "$priv/initrd.img" "priv-$$" >/dev/null 2>&1 &&
		die "the fake QEMU was meant to fail"
	head -c 512 "$priv/vmlinuz" | cmp -s - "$fake/kernel" ||
		die "QEMU's user could not read the kernel: $(cat "$fake/err")"
}

if [ ! -f "$guest/vmlinuz" ] || [ ! -f "$guest/initrd.img" ]; then
	echo "FAIL: $SUITE.guest: no demo guest in $guest (run make guest)"
	exit 1
fi
t start_wait start_wait
t ground_truth ground_truth
t list listed
t status status_json
t qmp qmp_status
t ram ram_file
t isolated isolated
t start_twice start_twice
t usage_errors usage_errors
t wait_timeout wait_timeout
t stop stop_clean
t stale stale_cleaned
t installed installed
t private_files private_files
