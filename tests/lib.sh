# Shared by the shell test suites.  A suite defines functions and runs each
# with t NAME FUNCTION: it prints "PASS: suite.NAME" when the function
# returns 0, else "FAIL: suite.NAME: " and the function's last output lines.
# Inside a function, "cmd && die" spells a must-fail case, and every
# assertion is a command that fails the function when it does not hold.

SUITE=${SUITE:-$(basename "$0" .sh)}
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/qhb-test.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT
# A suite killed by a signal (its output piped into head, Ctrl-C) still
# runs its EXIT trap, which stops its guest: dash skips that trap when a
# signal ends the shell.  Programs the suite runs keep the default actions.
trap 'exit 1' HUP INT PIPE TERM
# Programs under test: $QHB_BIN (build/bin by default) comes first in PATH.
QHB_BIN=${QHB_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}
PATH=$QHB_BIN:$PATH
export PATH

die() { echo "$*" >&2; return 1; }

# The harness's own variables start with t_, to leave suites theirs.
t() {
	t_name=$1
	shift
	t_out=$T_TMP/out.$t_name
	# Not inside "if": there, set -e would be ignored in the function.
	(set -e; "$@") >"$t_out" 2>&1
	if [ $? -eq 0 ]; then
		echo "PASS: $SUITE.$t_name"
	else
		echo "FAIL: $SUITE.$t_name: $(tail -n 8 "$t_out" | tr '\n' '|')"
	fi
}

# expect_err WANT CMD...: CMD must exit 1 and say WANT on stderr.
expect_err() {
	t_want=$1
	shift
	if "$@" >"$T_TMP/stdout" 2>"$T_TMP/stderr"; then
		echo "expected failure, got success: $*"
		return 1
	fi
	grep -qF -- "$t_want" "$T_TMP/stderr" || {
		echo "stderr lacks '$t_want': $(cat "$T_TMP/stderr")"
		return 1
	}
}

# fails WANT CMD...: CMD must exit 1 exactly (not 0, not a signal, not a
# usage error's 2) and say WANT on stderr.
fails() {
	t_want=$1
	shift
	t_rc=0
	"$@" >"$T_TMP/stdout" 2>"$T_TMP/stderr" || t_rc=$?
	[ "$t_rc" -eq 1 ] || die "exit $t_rc, not 1: $*"
	grep -qF -- "$t_want" "$T_TMP/stderr" ||
		die "stderr lacks '$t_want': $(cat "$T_TMP/stderr")"
}

# flip_byte FILE OFFSET: inverts one byte in place.  Writing a fixed byte
# instead would leave the file unchanged where it already held that byte,
# which random test data does once in 256 runs.
flip_byte() {
	t_old=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$t_old" ] || { echo "flip_byte: $1 has no byte $2"; return 1; }
	printf "\\$(printf %03o $((t_old ^ 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# boot_guest NAME [qhb-vm start options]: boots the demo guest for a suite,
# as the test SUITE.boot; the guest is stopped when the suite exits.  A
# boot that fails ends the suite.
boot_guest() {
	t_guest=$1
	shift
	trap 'qhb-vm stop "$t_guest" >/dev/null 2>&1; rm -rf "$T_TMP"' EXIT
	if ! qhb-vm start "$t_guest" --mem 128M --wait --timeout 300 "$@" \
	    >"$T_TMP/start" 2>&1; then
		echo "FAIL: $SUITE.boot: $(tail -n 5 "$T_TMP/start" | tr '\n' '|')"
		exit 1
	fi
	echo "PASS: $SUITE.boot"
}
