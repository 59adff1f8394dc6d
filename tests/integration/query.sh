#!/bin/sh
# qhb-query without a guest: usage, the forms it knows, clean errors on
# RAM that holds no kernel (zeros, noise) and on bad streams, the audit log.
. "$(dirname "$0")/../lib.sh"

QHB_AUDIT=$T_TMP/audit.jsonl
export QHB_AUDIT

usage_and_help() {
	qhb-query --help | grep -q '^usage: qhb-query'
	qhb-query -V | grep -q '^qhb-query '
	expect_err "usage: qhb-query" qhb-query
	expect_err "usage: qhb-query" qhb-query --bogus ps
	expect_err "unknown question 'frobnicate'" qhb-query --ram /dev/null frobnicate
	grep -q "banner, ps, maps PID" "$T_TMP/stderr"
	expect_err "unknown question 'maps'" qhb-query --ram /dev/null maps
	expect_err "cannot use more than one" qhb-query --system-map a --vmlinux b ps
	expect_err "--jsonl is for a stream" qhb-query --jsonl --ram x ps
}

no_kernel() {
	head -c 4194304 /dev/zero >"$T_TMP/zero.ram"
	expect_err "qhb-query: $T_TMP/zero.ram: no vmcoreinfo in RAM" \
	    qhb-query --ram "$T_TMP/zero.ram" ps
	head -c 4194304 /dev/urandom >"$T_TMP/noise.ram"
	expect_err "no vmcoreinfo" qhb-query --ram "$T_TMP/noise.ram" banner
	# vmcoreinfo text whose page tables do not map the kernel
	{ printf 'OSRELEASE=6.1.0\nSYMBOL(init_top_pgt)=ffffffff82a10000\n'
	  printf 'NUMBER(phys_base)=0\nKERNELOFFSET=0\nSYMBOL(_stext)=ffffffff81000000\n'
	  head -c 8192 /dev/zero; } >"$T_TMP/fake.ram"
	truncate -s 64M "$T_TMP/fake.ram"
	expect_err "no vmcoreinfo" qhb-query --ram "$T_TMP/fake.ram" ps
	expect_err "qhb-query: $T_TMP/missing: cannot open RAM file" \
	    qhb-query --ram "$T_TMP/missing" ps
}

bad_streams() {
	expect_err "no snapshot frame" qhb-query ps </dev/null
	printf 'QHB1garbage' >"$T_TMP/bad"
	expect_err "qhb-query: <stdin>" qhb-query ps <"$T_TMP/bad"
	qhb-snap -q --level 0 "$T_TMP/zero.ram" >"$T_TMP/z.qsnap"
	expect_err "qhb-query: <stdin>: no vmcoreinfo" qhb-query ps <"$T_TMP/z.qsnap"
	expect_err "no vmcoreinfo" qhb-query --jsonl ps <"$T_TMP/z.qsnap"
}

audited() {
	rm -f "$QHB_AUDIT"
	qhb-query --ram "$T_TMP/zero.ram" banner 2>/dev/null && die "no kernel"
	test "$(wc -l <"$QHB_AUDIT")" -eq 1
	jq -e '.args[-1] == "banner" and .source == "'"$T_TMP/zero.ram"'" and
	    (.outcome | test("no vmcoreinfo")) and (.ram_xxh3 | length) == 16 and
	    (.time | test("^20[0-9-]+T"))' "$QHB_AUDIT" >/dev/null
	# an audit log that cannot be written stops the query before it starts
	QHB_AUDIT=/proc/nonexistent/audit.jsonl
	expect_err "audit log" qhb-query --ram "$T_TMP/zero.ram" ps
}

output_errors() {
	expect_err "qhb-query" sh -c 'qhb-query --ram "$1" ps >/dev/full' sh \
	    "$T_TMP/zero.ram"
}

t usage_and_help usage_and_help
t no_kernel no_kernel
t bad_streams bad_streams
t audited audited
t output_errors output_errors
