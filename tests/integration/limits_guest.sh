#!/bin/sh
# qhb-vm's isolation on the demo guest: a CPU limit measured against the
# same busy guest without one, a memory limit refused below the guest's
# need and the OOM killer's death reported, a task limit in status, QEMU
# unprivileged and sandboxed when started as root, and qhb-snap, qhb-query
# and qhb-trace on such a guest.  Boots the guest twice (a third time
# where /sys/fs/cgroup is cgroup2).  Needs make guest; run as root (else
# it skips).
. "$(dirname "$0")/../lib.sh"

VM=qhbl-$$-$(date +%s)
uid=$(id -u)
hz=$(getconf CLK_TCK)
QHB_AUDIT=$T_TMP/audit.jsonl
export QHB_AUDIT
BUSY="console=ttyS0 panic=-1 quiet qhb.busy"
trap 'qhb-vm stop "$VM" >/dev/null 2>&1; qhb-vm stop "$VM-v2" >/dev/null 2>&1; rm -rf "$T_TMP"' EXIT
trap 'exit 1' INT TERM

json_get() {
	python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"
}

qemu_pid() {
	qhb-vm status "$VM" >"$T_TMP/status"
	json_get "$T_TMP/status" pid
}

# The cores QEMU (pid $1) used over 10 s: its user and system time from
# /proc, not from qhb-vm.
cores_used() {
	a=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat")
	sleep 10
	b=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat")
	echo "$a $b $hz" | awk '{ printf "%.3f\n", ($2 - $1) / $3 / 10 }'
}

boot_busy() {
	# Two vCPUs, both busy, at a higher priority (which a quota does not
	# raise): the unlimited figure must not hang on the share of one
	# session of a host that other work keeps busy too (QEMU's setsid
	# gives it an autogroup of its own, which weighs as one process).
	nice -n -10 qhb-vm start --mem 128M --cpus 2 --append "$BUSY" --wait \
	    --timeout 240 "$@" "$VM"
	qhb-vm wait --timeout 30 "$VM" QHB-BUSY
	echo -10 >"/proc/$(qemu_pid)/autogroup" 2>/dev/null || true
}

# A limit that cannot hold is refused before anything of the guest exists.
refused() {
	expect_err "needs: 224 MiB (128 MiB of guest RAM + 96 MiB for QEMU)" \
	    qhb-vm start --mem 128M --mem-limit 200M "$VM"
	[ ! -e "/dev/shm/qhb-$uid-$VM.ram" ] || die "RAM file left"
	expect_err "--cpu-limit" qhb-vm start --cpu-limit 0 "$VM"
	expect_err "--pids-limit" qhb-vm start --pids-limit 0 "$VM"
	expect_err "no such user" qhb-vm start --user no-such-user-qhb "$VM"
	expect_err "is root" qhb-vm start --user root "$VM"
	grep -q '"outcome":"--mem-limit 200 MiB is below' "$QHB_AUDIT" ||
		die "refusal not audited: $(cat "$QHB_AUDIT")"
	# Without write access to the cgroup filesystem a limit is an error,
	# never a guest that runs unlimited.
	nob=$(mktemp -d /tmp/qhb-nobody.XXXXXX)
	chmod 777 "$nob"
	setpriv --reuid=65534 --regid=65534 --clear-groups env -u XDG_RUNTIME_DIR \
	    QHB_AUDIT="$nob/audit" qhb-vm start --cpu-limit 0.5 \
	    "$VM-nobody" >"$nob/out" 2>&1 && die "started unlimited"
	grep -q "cannot create the guest's cgroup" "$nob/out" ||
		die "$(cat "$nob/out")"
	[ ! -e "/dev/shm/qhb-65534-$VM-nobody.ram" ] || die "nobody's RAM left"
	rm -rf "$nob" "/tmp/qhb-65534/$VM-nobody"
}

# The busy guest without a limit uses a core.
unlimited() {
	boot_busy
	used=$(cores_used "$(qemu_pid)")
	echo "$used" >"$T_TMP/unlimited"
	echo "$SUITE: the busy guest without a limit used $used cores over 10 s" >>"$T_TMP/figures"
	qhb-vm stop "$VM"
	awk -v u="$used" 'BEGIN { exit !(u >= 0.9) }' ||
		die "unlimited guest used $used cores, expected at least 0.9"
}

# The same guest, limited, traced and unprivileged.
limited() {
	boot_busy --cpu-limit 0.5 --mem-limit 400M --pids-limit 64 \
	    --trace=policy=drop
	pid=$(qemu_pid)
	used=$(cores_used "$pid")
	echo "$SUITE: the busy guest at --cpu-limit 0.5 used $used cores over 10 s" >>"$T_TMP/figures"
	awk -v u="$used" 'BEGIN { exit !(u <= 0.55) }' ||
		die "limited guest used $used cores, expected at most 0.55"
	# status: limits, use, user
	qhb-vm status "$VM" >"$T_TMP/status"
	[ "$(json_get "$T_TMP/status" limits.pids)" = 64 ]
	[ "$(json_get "$T_TMP/status" limits.cpus)" = 0.5 ]
	[ "$(json_get "$T_TMP/status" limits.mem)" = 419430400 ]
	[ "$(json_get "$T_TMP/status" cgroup)" != none ]
	[ "$(json_get "$T_TMP/status" use.pids)" -ge 2 ]
	[ "$(json_get "$T_TMP/status" use.mem)" -gt 134217728 ]
	qhb-vm list | grep -E "^$VM [0-9]+ 128M running user=[a-z]+ cpu-limit=0.5 mem-limit=400M pids-limit=64 cpu=[0-9.]+s mem=[0-9]+M pids=[0-9]+\$"
	grep -q "\"event\":\"start\",\"guest\":\"$VM\",.*\"limits\":{\"cpus\":0.5,\"mem\":419430400,\"pids\":64}" "$QHB_AUDIT"
	if [ "$uid" -eq 0 ]; then
		quid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
		[ "$quid" -ne 0 ] || die "QEMU runs as root"
		user=$(json_get "$T_TMP/status" user)
		[ "$(id -u "$user")" = "$quid" ] || die "status user $user, uid $quid"
		grep -q "\"qemu_user\":\"$user\"" "$QHB_AUDIT"
	fi
	# the whole sandbox, root or not, and no -runas
	tr '\0' ' ' <"/proc/$pid/cmdline" >"$T_TMP/cmdline"
	grep -q -- '-sandbox on,[^ ]*elevateprivileges=deny' "$T_TMP/cmdline" ||
		die "sandbox without elevateprivileges=deny: $(cat "$T_TMP/cmdline")"
	! grep -q -- '-runas' "$T_TMP/cmdline" || die "QEMU given -runas"
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$pid/status" ||
		die "not sandboxed: $(grep Seccomp "/proc/$pid/status")"
	# nothing of it in /dev/shm is readable by others
	for f in /dev/shm/qhb-$uid-$VM.*; do
		case $(stat -c %a "$f") in
		600|640) ;;
		*) die "$f: mode $(stat -c %a "$f")" ;;
		esac
	done
	# the readers, unchanged
	qhb-snap -q --qmp "$(qhb-vm qmp-path "$VM")" --consistent=pause \
	    -o "$T_TMP/snap.qsnap"
	qhb-query ps <"$T_TMP/snap.qsnap" >"$T_TMP/ps"
	grep -q '"comm": "qhb-worker"' "$T_TMP/ps"
	timeout 20 qhb-trace -q --attach "$VM" -o "$T_TMP/attach.qhb" &
	tpid=$!
	sleep 3
	kill -INT $tpid
	wait $tpid || true
	qhb-trace --format summary "$T_TMP/attach.qhb" >"$T_TMP/sum"
	grep -q '"blocks"' "$T_TMP/sum" || die "trace: $(cat "$T_TMP/sum")"
}

# QEMU grown past its memory limit (a 256 MiB object, as a hostile guest
# could make it allocate) is killed by the OOM killer: list and status say
# so, and the RAM file and group go at once.
oom() {
	dirs=$(json_get "$T_TMP/status" ram)
	qhb-vm qmp "$VM" object-add '{"qom-type": "memory-backend-ram",
	    "id": "hog", "size": 268435456, "prealloc": true}' >/dev/null 2>&1 &&
		die "QEMU survived its memory limit"
	sleep 1
	qhb-vm list | grep -E "^$VM [0-9]+ 128M dead \(killed by the OOM killer"
	expect_err "killed by the OOM killer" qhb-vm status "$VM"
	[ ! -e "$dirs" ] || die "RAM file left"
	[ ! -e "/dev/shm/qhb-$uid-$VM.trace" ] || die "trace ring left"
	for c in cpu memory pids; do
		find /sys/fs/cgroup/$c/ -maxdepth 4 -name "qhb-vm-$VM" 2>/dev/null |
			grep -q . && die "cgroup left in $c"
	done
	qhb-vm stop "$VM"
	[ ! -e "$(dirname "$(json_get "$T_TMP/status" qmp)")" ]
}

# cgroup v2, where /sys/fs/cgroup is cgroup2 (not on the CI machines).
v2() {
	qhb-vm start --mem 128M --pids-limit 50 --cpu-limit 1.5 "$VM-v2"
	g=/sys/fs/cgroup/qhb-vm-$VM-v2
	[ "$(cat "$g/pids.max")" = 50 ]
	[ "$(cat "$g/cpu.max")" = "150000 100000" ]
	qhb-vm status "$VM-v2" >"$T_TMP/v2"
	[ "$(json_get "$T_TMP/v2" cgroup)" = v2 ]
	qhb-vm stop "$VM-v2"
	[ ! -e "$g" ] || die "$g left"
}

if [ "$uid" -ne 0 ]; then
	echo "SKIP: $SUITE: needs root (control groups, QEMU's user)"
	exit 0
fi
t refused refused
t unlimited unlimited
t limited limited
t oom oom
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] &&
    [ ! -d /run/systemd/system ]; then
	t v2 v2
else
	echo "SKIP: $SUITE.v2: /sys/fs/cgroup is not cgroup2 (or systemd runs the host)"
fi
cat "$T_TMP/figures" 2>/dev/null || true
