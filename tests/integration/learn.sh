#!/bin/sh
# qhb-learn: forms learned and proven with Z3, the library reused and
# proven again, --eval on JSON states, and every learned form run natively
# on this machine's CPU against the Pixel CPU interpreter (tests/learn-native.c,
# built here): zero mismatches in registers and defined flags; the Vulkan
# interpreter against the CPU one.
. "$(dirname "$0")/../lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
lib=$T_TMP/lib.json
# A handful of forms: 32/64/16/8-bit ALU, flags, partial registers, inc
# (CF kept), shifts by cl, imul, conditions, lea, xchg; then memory:
# loads, stores, read-modify-write, base+index*8, push, pop, rep stosb,
# rep movsq, gs- and rip-relative; div (register, high byte, memory).
forms="01d8 4801d8 6601d8 00d8 ffc0 48f7d8 4839d8 85c0 0fb6c3 4863c3
d3e0 d3f8 48c1e803 480fafc3 0fc8 0f94c0 480f4cc3 488d04cb 4893 83e001 90
4c8b2f 4c892f 488b0cc3 480118 0fb610 53 5b f3aa f348a5 65488b042528000000
833dd5c8bcff00 48f7f1 f6f1 48f7742420"

learn_forms() {
	qhb-learn -q --library "$lib" --budget 30000000 --learn $forms >"$T_TMP/l"
	test "$(wc -l <"$T_TMP/l")" -eq 35
	test "$(grep -c '"status":"proven"' "$T_TMP/l")" -eq 35
	grep -q '"form":"mov rcx, \[rbx+rax\*8\]".*"microcode":\["shl.64 r19, r0, #3","add.64 r19, r19, r3","ld.64 r18, r19, #0",' "$T_TMP/l"
	grep -q '"form":"add ax, bx".*"microcode":\["add.16f r17, r0, r3","ins.16 r0, r17, #0"\]' "$T_TMP/l"
	grep -q '"z3": "4\.' "$lib"
	# a second run reuses the library
	qhb-learn -q --library "$lib" --learn 01d8 6601d8 >"$T_TMP/l2"
	test "$(grep -c '"learned":false' "$T_TMP/l2")" -eq 2
	# and it proves again
	qhb-learn -q --library "$lib" --verify >"$T_TMP/v"
	test "$(grep -c '"proven":true' "$T_TMP/v")" -eq 35
	! grep -q '"proven":false' "$T_TMP/v"
}

fallbacks() {
	qhb-learn -q --library "$lib" --learn 0fa2 >"$T_TMP/f"
	grep -q '"form":"cpuid",.*"status":"fallback".*"reason":"mnemonic not modelled"' "$T_TMP/f"
	expect_err 'falls back to QEMU' sh -c "echo '{}' | qhb-learn -q --library '$lib' --eval 0fa2"
}

eval_states() {
	printf '%s\n' '{"rax":"0xffffffff","rbx":"0x1"}' '{"rax":"0x1234","rbx":"0x10000","rflags":"0x202"}' \
		'{}' | qhb-learn -q --library "$lib" --eval 01d8 >"$T_TMP/e"
	test "$(sed -n 1p "$T_TMP/e")" = '{"rax":"0x0","rcx":"0x0","rdx":"0x0","rbx":"0x1","rsp":"0x0","rbp":"0x0","rsi":"0x0","rdi":"0x0","r8":"0x0","r9":"0x0","r10":"0x0","r11":"0x0","r12":"0x0","r13":"0x0","r14":"0x0","r15":"0x0","rflags":"0x55"}'
	sed -n 2p "$T_TMP/e" | grep -q '"rax":"0x11234".*"rflags":"0x202"'
	sed -n 3p "$T_TMP/e" | grep -q '"rax":"0x0".*"rflags":"0x44"'
	# div: quotient and remainder; #DE when the quotient is too wide
	printf '%s\n' '{"rax":"0x5","rdx":"0x3","rcx":"0x7"}' '{"rax":"0x5","rdx":"0x7","rcx":"0x7"}' |
		qhb-learn -q --library "$lib" --eval 48f7f1 >"$T_TMP/d"
	sed -n 1p "$T_TMP/d" | grep -q '"rax":"0x6db6db6db6db6db7","rcx":"0x7","rdx":"0x4",.*"rflags":"0x0"}$'
	sed -n 2p "$T_TMP/d" | grep -q '"exception":true}$'
	# partial registers: add ax, bx keeps the upper bits
	echo '{"rax":"0xaaaaaaaaaaaaffff","rbx":"0x2"}' |
		qhb-learn -q --library "$lib" --eval 6601d8 | grep -q '"rax":"0xaaaaaaaaaaaa0001"'
	# memory: a store into the window; one that leaves it is a fault
	printf '%s\n' '{"rdi":"0x1004","r13":"0x1122334455667788","mem_base":"0x1000","mem":"000102030405060708090a0b0c0d0e0f"}' \
		'{"rdi":"0x100c","r13":"0x1122334455667788","mem_base":"0x1000","mem":"000102030405060708090a0b0c0d0e0f"}' |
		qhb-learn -q --library "$lib" --eval 4c892f >"$T_TMP/m"
	sed -n 1p "$T_TMP/m" | grep -q '"mem_base":"0x1000","mem":"0001020388776655443322110c0d0e0f","fault":false}$'
	sed -n 2p "$T_TMP/m" | grep -q '"mem":"000102030405060708090a0b88776655","fault":true}$'
	# one iteration of rep movsb
	echo '{"rsi":"0x1000","rdi":"0x1008","rcx":"0x3","mem_base":"0x1000","mem":"00010203040506070809"}' |
		qhb-learn -q --library "$lib" --eval f3a4 >"$T_TMP/m"
	grep -q '"rcx":"0x2",.*"rsi":"0x1001","rdi":"0x1009",.*"mem":"00010203040506070009","fault":false}$' "$T_TMP/m"
}

native_built() {
	test -x "$T_TMP/native" || cc -O2 -std=gnu11 -D_GNU_SOURCE -iquote "$top/common" -o "$T_TMP/native" \
		"$top/tests/learn-native.c" "$top/build/obj/libqhb.a" \
		-ljansson -lz3 -lZydis -lxxhash -lzstd -lm
}

native() {
	native_built
	"$T_TMP/native" "$lib" 400 >"$T_TMP/n"
	cat "$T_TMP/n"
	# the forms above and rep movsb of eval_states
	grep -q '^forms 36 memory 13 skipped 0 .* mismatches 0 x86sem-mismatches 0 instances [1-9][0-9]* system 0 caught 0$' "$T_TMP/n"
	# not blind: each parameterized template bound to a wrong address
	# (its parameter + 8) must be caught
	"$T_TMP/native" "$lib" 50 break-params >"$T_TMP/nb" 2>/dev/null && die "a wrong address went unnoticed"
	cat "$T_TMP/nb"
	grep -q ' mismatches [1-9][0-9]* ' "$T_TMP/nb"
}

# The Vulkan interpreter (lavapipe here) gives the CPU interpreter's
# states for every learned form, on random and edge-case states.
qvk() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 qhb-learn "$@"
}

gpu_states() {
	# every third state has its registers near a 64-byte window at
	# 0x10000 (rcx, and rax in half of them, 0 to 3), so that loads and stores land in and out
	awk 'BEGIN { srand(8); split("0 1 7f 80 ff 7fff 8000 ffffffff 80000000 7fffffffffffffff 8000000000000000 ffffffffffffffff 1f 20 3f 40", e)
		n = split("rax rcx rdx rbx rsp rbp rsi rdi r8 r9 r10 r11 r12 r13 gs_base rip", r)
		for (i = 0; i < 200; i++) { s = "{"
			for (k = 1; k <= n; k++) { v = i % 3 == 1 ? e[int(rand() * 16) + 1] : sprintf("%x%07x", int(rand() * 2^28), int(rand() * 2^28))
				if (i % 3 == 2) v = sprintf("%x", r[k] == "rcx" || (r[k] == "rax" && i % 6 == 5) ? int(rand() * 4) : r[k] == "gs_base" ? 65536 - 40 + int(rand() * 48) : r[k] == "rip" ? 65536 + 4405035 + int(rand() * 60) : 65536 + int(rand() * 72) - 8)
				s = s sprintf("\"%s\":\"0x%s\",", r[k], v) }
			m = ""; for (k = 0; k < 64; k++) m = m sprintf("%02x", int(rand() * 256))
			print s sprintf("\"rflags\":\"0x%x\",\"mem_base\":\"0x10000\",\"mem\":\"%s\"}", int(rand() * 4096), m) } }' >"$T_TMP/states"
}

# 0 when the Vulkan interpreter runs here (with library $1)
have_vulkan() {
	echo '{}' | qvk --library "$1" --eval 90 --gpu 2>&1 >/dev/null |
	    grep -q 'Vulkan)$' && return 0
	echo "no Vulkan device: skipped"
	return 1
}

# form $2 of library $1 on the states, on the CPU ($T_TMP/c) and the GPU
same_on_gpu() {
	qhb-learn -q --library "$1" --eval "$2" <"$T_TMP/states" >"$T_TMP/c"
	qvk -q --library "$1" --eval "$2" --gpu <"$T_TMP/states" >"$T_TMP/g"
	test "$(wc -l <"$T_TMP/c")" -eq 200
	cmp "$T_TMP/c" "$T_TMP/g" || die "cpu and gpu differ on $2"
}

cpu_vs_gpu() {
	have_vulkan "$lib" || return 0
	gpu_states
	for f in $forms; do
		same_on_gpu "$lib" "$f"
		# each memory form touched its window, in and out
		case $f in 4c8b2f|4c892f|488b0cc3|480118|0fb610|53|5b|f3aa|f348a5|65*|833d*|48f774*)
			grep -q '"fault":false' "$T_TMP/c" || die "$f: never in its window"
			grep -q '"fault":true' "$T_TMP/c" || die "$f: never outside" ;;
		esac
	done
	qvk -q --library "$lib" --eval 01d8 --gpu --bench 10000 | grep -q '"pixel_ips":[1-9]'
}

# Trace-driven: hot blocks of a recorded loop learned, coverage measured.
trace_mode() {
	tr=$top/tests/fuzz/trace/loop-raw.qhb
	tl=$T_TMP/trace.json
	qhb-learn --library "$tl" --report "$tr" >"$T_TMP/r0"
	grep -q '"coverage":0\.0,' "$T_TMP/r0"
	grep -q '"top_uncovered":\[{"form":"add eax, 0x01","count":1000000,"lost":3000001,"reason":"not learned"}' "$T_TMP/r0"
	qhb-learn -q --library "$tl" --hot 1000 <"$tr" >"$T_TMP/l"
	grep -qx '{"hot_blocks":1,"forms":2,"learned":2,"proven":2,"fallback":0,"templates":0}' "$T_TMP/l"
	qhb-learn --library "$tl" --report <"$tr" >"$T_TMP/r1"
	grep -q '"instructions":3000004,"coverage":0\.9999976' "$T_TMP/r1"
	grep -q '"covered_instructions":2999997,' "$T_TMP/r1"
	qhb-learn -q --library "$tl" --hot 1 "$tr" >/dev/null
	qhb-learn --library "$tl" --report --top 3 "$tr" | grep -q '"coverage":1\.0,.*"top_uncovered":\[\]'
	expect_err 'qhb-learn' sh -c "head -c 100 '$tr' | qhb-learn --library '$tl' --report"
}

# Forms the same up to an address are one form: learned with one kernel
# address (or rip displacement), the same form elsewhere is found, not
# learned again, and its microcode holds that instance's address.
addresses() {
	al=$T_TMP/addr.json
	qhb-learn -q --library "$al" --learn f6817f9831b207 488b0578b41b00 \
	    48c7c700c0a382 >"$T_TMP/a0"
	test "$(grep -c '"status":"proven","learned":true' "$T_TMP/a0")" -eq 3
	qhb-learn -q --library "$al" --learn f6818067b18707 488b0510000000 \
	    48c7c70000e081 >"$T_TMP/a1"
	test "$(grep -c '"status":"proven","learned":false' "$T_TMP/a1")" -eq 3
	grep -q '"form":"test byte ptr \[rcx-0x784E9880\], 0x07".*"microcode":\["ld.8 r18, r1, #-2018416768",' "$T_TMP/a1"
	grep -q '"form":"mov rax, \[rip+0x10\]".*"microcode":\["ld.64 r18, r31, #16",' "$T_TMP/a1"
	grep -q '"ld.64 r18, r31, #P0"' "$al"
	test "$(grep -c '"form":' "$al")" -eq 3
	qhb-learn -q --library "$al" --verify >/dev/null
}

# Learning on threads: a boot's 105 forms learned on one thread and on
# two give the same library, timings aside (each entry's solver_seconds
# and synth_seconds, one line each in the file); the progress line only
# on a terminal.
strip_times() { sed -E '/"(solver|synth)_seconds"/d' "$1"; }

jobs() {
	tr=$top/tests/fuzz/learntrace/boot-hot24.qhb
	for n in 1 2; do
		qhb-learn --library "$T_TMP/j$n.json" --hot 1 --jobs $n "$tr" \
		    >"$T_TMP/j$n" 2>"$T_TMP/j$n.err"
		# stderr is a file here: no progress
		test ! -s "$T_TMP/j$n.err"
		strip_times "$T_TMP/j$n.json" >"$T_TMP/j$n.lib"
	done
	grep -qx '{"hot_blocks":24,"forms":105,"learned":105,"proven":105,"fallback":0,"templates":56}' "$T_TMP/j1"
	cmp "$T_TMP/j1" "$T_TMP/j2"
	cmp "$T_TMP/j1.lib" "$T_TMP/j2.lib"
	# on two threads again: nothing new, the library as it was
	qhb-learn -q --library "$T_TMP/j2.json" --hot 1 --jobs 2 "$tr" >"$T_TMP/j3"
	grep -qx '{"hot_blocks":24,"forms":105,"learned":0,"proven":105,"fallback":0,"templates":0}' "$T_TMP/j3"
	strip_times "$T_TMP/j2.json" | cmp - "$T_TMP/j1.lib"
	if ! command -v script >/dev/null; then
		echo "no script(1): the progress line is not checked"
		return 0
	fi
	# on a terminal (script's), the line rewritten in place, ended
	# when done; -q keeps it quiet
	script -qc "qhb-learn --library '$T_TMP/j4.json' --hot 1 --jobs 2 '$tr' >/dev/null" \
	    /dev/null >"$T_TMP/tty" </dev/null
	tr '\r' '\n' <"$T_TMP/tty" | grep -q '^qhb-learn: 105/105 forms, 2 workers, [0-9]* s *$'
	test "$(tr -cd '\r' <"$T_TMP/tty" | wc -c)" -ge 2
	script -qc "qhb-learn -q --library '$T_TMP/j4.json' --hot 1 '$tr' >/dev/null" \
	    /dev/null >"$T_TMP/tty" </dev/null
	! grep -q 'forms' "$T_TMP/tty"
}

# Vector forms (legacy SSE on xmm, the lanes r48..r79): the kernel's
# ChaCha20 block and string loops, learned, proven and proven again; run
# natively against the Pixel CPU (pshufb indices with bit 7 set, shift
# counts past the lane, misaligned movdqa's #GP) and shown not blind by
# breaking each; --eval with xmm lanes in the state, on the CPU and the
# GPU; VEX forms fall back with their reason.
vforms="660f6e2486 660ffec1 660fefd8 66440f6fc1 66410febc8 660f62e5
66410f3800dc 660f72d10c 66410f72f014 660f70db4e 660f6ce6 660f6f05491d2501
660f6f00 f30f6f140a 0f2900 660fd7c1 660f74c8 66480f6ec0 66480f7ec6 f30f7ec1
660f7e08 660fd400 660fef1d4c8d2501 660f72d0ff 660fd2c1 660f6cc0"

vector() {
	vl=$T_TMP/vec.json
	qhb-learn -q --library "$vl" --learn $vforms c5f9efc0 c5f877 >"$T_TMP/v"
	test "$(grep -c '"status":"proven"' "$T_TMP/v")" -eq 26
	grep -q '"form":"pshufb xmm3, xmm12".*"microcode":\["pshufb.64 r22, r72, r54","pshufb.64 r23, r73, r54","mov.64 r54, r22, r22","mov.64 r55, r23, r23"\]' "$T_TMP/v"
	grep -q '"form":"paddd xmm0, xmm1".*"microcode":\["padd.32 r48, r48, r50","padd.32 r49, r49, r51"\]' "$T_TMP/v"
	grep -q '"form":"movdqa xmm0, \[rax\]".*"sel.64 r28, r22, r22"' "$T_TMP/v"
	grep -q '"form":"vpxor xmm0, xmm0, xmm0".*"status":"fallback".*"reason":"VEX form: it zeroes the ymm upper half' "$T_TMP/v"
	grep -q '"form":"vzeroupper".*"status":"fallback"' "$T_TMP/v"
	qhb-learn -q --library "$vl" --verify >"$T_TMP/vv"
	test "$(grep -c '"proven":true' "$T_TMP/vv")" -eq 26
	! grep -q '"proven":false' "$T_TMP/vv"
	native_built
	"$T_TMP/native" "$vl" 400 >"$T_TMP/vn"
	cat "$T_TMP/vn"
	grep -q '^forms 26 memory 8 skipped 0 .* mismatches 0 x86sem-mismatches 0 instances [1-9][0-9]* system 0 caught 0$' "$T_TMP/vn"
	grep -q '^vector forms [0-9]* faults [1-9][0-9]* broken 0 caught 0$' "$T_TMP/vn"
	"$T_TMP/native" "$vl" 50 break-vector >"$T_TMP/vb" 2>/dev/null && die "a broken vector form went unnoticed"
	cat "$T_TMP/vb"
	n=$(sed -n 's/^vector forms \([0-9]*\) .*/\1/p' "$T_TMP/vb")
	grep -q "^vector forms $n faults [0-9]* broken $n caught $n\$" "$T_TMP/vb"
	# pxor and pshufb on lanes given in the state (bit 7: a zero byte)
	echo '{"r48":"0x1122334455667788","r49":"0x99aabbccddeeff00","r54":"0xffffffff00000000","r55":"0x1"}' |
		qhb-learn -q --library "$vl" --eval 660fefd8 | grep -q '"r54":"0xeeddccbb55667788","r55":"0x99aabbccddeeff01"}$'
	echo '{"r54":"0x0706050403020100","r55":"0x0f0e0d0c0b0a0908","r72":"0x8000010203040f0e","r73":"0xff7f0a0b0c0d0e0f"}' |
		qhb-learn -q --library "$vl" --eval 66410f3800dc | grep -q '"r54":"0x10203040f0e","r55":"0xf0a0b0c0d0e0f",'
	# movdqa: aligned, a load; misaligned, #GP
	m=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
	printf '{"rax":"0x1010","mem_base":"0x1000","mem":"%s"}\n{"rax":"0x1001","mem_base":"0x1000","mem":"%s"}\n' $m $m |
		qhb-learn -q --library "$vl" --eval 660f6f00 >"$T_TMP/ve"
	sed -n 1p "$T_TMP/ve" | grep -q '"r48":"0x1716151413121110","r49":"0x1f1e1d1c1b1a1918",.*"fault":false}$'
	sed -n 2p "$T_TMP/ve" | grep -q '"exception":true}$'
	if ! echo '{}' | qvk --library "$vl" --eval 90 --gpu 2>&1 >/dev/null |
	    grep -q 'Vulkan)$'; then
		echo "no Vulkan device: skipped"
		return 0
	fi
	# random and edge lanes, rax and rsi near a 64-byte window
	awk 'BEGIN { srand(9); split("0 1 1f 20 21 3f 40 7f 80 ff 8080808080808080 7fffffffffffffff ffffffffffffffff 0f0e0d0c0b0a0908 8f8e8d8c0b0a0908 ffffffff", e)
		for (i = 0; i < 200; i++) { s = "{"
			for (k = 48; k < 80; k++) s = s sprintf("\"r%d\":\"0x%s\",", k, i % 2 ? e[int(rand() * 16) + 1] : sprintf("%x%07x", int(rand() * 2^28), int(rand() * 2^28)))
			m = ""; for (k = 0; k < 64; k++) m = m sprintf("%02x", int(rand() * 256))
			print s sprintf("\"rax\":\"0x%x\",\"rsi\":\"0x%x\",\"rdx\":\"0x10000\",\"rcx\":\"0x%x\",\"mem_base\":\"0x10000\",\"mem\":\"%s\"}", 65536 + int(rand() * 56) - 4, 65536 + int(rand() * 48), int(rand() * 56), m) } }' >"$T_TMP/vs"
	for f in $vforms; do
		qhb-learn -q --library "$vl" --eval "$f" <"$T_TMP/vs" >"$T_TMP/vc"
		test "$(wc -l <"$T_TMP/vc")" -eq 200
		qvk -q --library "$vl" --eval "$f" --gpu <"$T_TMP/vs" |
		    cmp - "$T_TMP/vc" || die "cpu and gpu differ on $f"
	done
}

# Templates: a form of a proven form's shape gets its microcode, the
# registers and constants mapped, proven again; the entry says where it
# came from, and it runs right.  A mapping that does not fit (the 8 of
# "and dh, 0x08" is a bit position too, in ext and ins: mapped to 0x40
# it is wrong) is refuted by Z3 and not kept; the mapping that leaves
# the bit positions as they were is proven instead.
templates() {
	tl=$T_TMP/tmpl.json
	qhb-learn -q --library "$tl" --budget 10000000 --timeout 5000 \
	    --learn c1e910 c1ea18 80e608 80e640 >"$T_TMP/t"
	test "$(grep -c '"status":"proven"' "$T_TMP/t")" -eq 4
	grep -q '"form":"shr edx, 0x18",.*"microcode":\["shr.32f r2, r2, #24"\].*"template":"shr ecx, 0x10"}$' "$T_TMP/t"
	grep -q '"template": "shr ecx, 0x10"' "$tl"
	grep -q '"form":"and dh, 0x40",.*"microcode":\["ext.8 r20, r2, #8","and.8f r17, r20, #64","ins.8 r2, r17, #8"\].*"template":"and dh, 0x08"}$' "$T_TMP/t"
	grep -q '"templates_refuted": 1' "$tl"
	echo '{"rdx":"0xffffffffaabbccdd","rflags":"0x2"}' |
		qhb-learn -q --library "$tl" --eval c1ea18 | grep -q '"rdx":"0xaa",.*"rflags":"0x80[1357]"}$'
	echo '{"rdx":"0x12345678f1f2","rflags":"0x2"}' |
		qhb-learn -q --library "$tl" --eval 80e640 | grep -q '"rdx":"0x1234567840f2",'
	qhb-learn -q --library "$tl" --verify | grep -c '"proven":true' | grep -qx 4
}

# Forms whose search spent the demo's budget (--budget 10000000) before
# the search was ordered and pruned, each proven now, and add bh, ch run.
search_budget() {
	sl=$T_TMP/search.json
	qhb-learn -q --library "$sl" --budget 10000000 --timeout 5000 \
	    --learn 0fbed0 0f4fd0 440f48ea 0f46c6 0f44ce 00ef 0fbe07 4899 >"$T_TMP/s"
	test "$(grep -c '"status":"proven"' "$T_TMP/s")" -eq 8
	grep -q '"form":"movsx edx, al",.*"microcode":\["sext.8 r2, r0, r0","mov.32 r2, r2, r2"\]' "$T_TMP/s"
	echo '{"rbx":"0xffff7f00","rcx":"0x2200"}' |
		qhb-learn -q --library "$sl" --eval 00ef | grep -q '"rbx":"0xffffa100",.*"rflags":"0x890"}$'
	# a form that writes a register as it was gets an instruction, not
	# the empty program a library runs for no form with effects
	qhb-learn -q --library "$sl" --learn 660fb7c0 >"$T_TMP/s"
	grep -q '"form":"movzx ax, ax",.*"status":"proven",.*"microcode":\["mov.64 r0, r0, r0"\]' "$T_TMP/s"
	echo '{"rax":"0x1234"}' | qhb-learn --library "$sl" --eval 660fb7c0 2>"$T_TMP/s.err" |
		grep -q '"rax":"0x1234"'
	test ! -s "$T_TMP/s.err"
}

errors() {
	expect_err 'need --library' qhb-learn --verify
	expect_err "--jobs: '0'" qhb-learn --library "$lib" --jobs 0
	expect_err "--jobs: '257'" qhb-learn --library "$lib" --jobs 257
	expect_err 'cannot use more than one' qhb-learn --library "$lib" --report --verify
	expect_err 'cannot use more than one' qhb-learn --library "$lib" --verify --eval 01d8
	expect_err 'expected up to 15 bytes in hex' qhb-learn --library "$lib" --learn 0g
	expect_err 'undecodable' qhb-learn --library "$lib" --learn 0f
	expect_err 'line 2' sh -c "printf '{}\n{\"rax\": 5}\n' | qhb-learn -q --library '$lib' --eval 01d8"
	expect_err 'mem: expected up to 65536 bytes in hex' sh -c "echo '{\"mem\": \"0g\"}' | qhb-learn -q --library '$lib' --eval 01d8"
	echo '{"qhb-microcode": 1, "forms": []}' >"$T_TMP/bad.json"
	expect_err 'bad.json: expected' qhb-learn --library "$T_TMP/bad.json" --verify
	expect_err 'stdout' sh -c "echo '{}' | qhb-learn -q --library '$lib' --eval 01d8 >/dev/full"
	qhb-learn --help | grep -q -- '--library FILE'
	qhb-learn -V | grep -q '^qhb-learn '
	qhb-learn --bogus 2>&1 | grep -q '^usage: qhb-learn'
}

# The system forms: rflags whole, the selectors, swapgs, the environment
# input r39 (rdtsc's TSC, in's port value), each with its fault.
sysforms="fa fb 0f01ca 0f01cb fc fd 9c 9d 8cd0 8cc8 668cd0 488cc8 0f01f8 0f31
e442 ec 66ed ed"
# sys_eval HEX STATE...: the states HEX's microcode computes, in $T_TMP/t
sys_eval() {
	f=$1
	shift
	printf '%s\n' "$@" | qhb-learn -q --library "$slib" --eval "$f" >"$T_TMP/t"
}

system_forms() {
	slib=$T_TMP/sys.json
	qhb-learn -q --library "$slib" --learn $sysforms >"$T_TMP/s"
	test "$(grep -c '"status":"proven"' "$T_TMP/s")" -eq 18
	grep -q '"form":"mov eax, ss".*"microcode":\["mov.16 r0, r34, r34"\]' "$T_TMP/s"
	# rdtsc: edx:eax from r39 at ring 0, upper halves 0; at ring 3
	# (CR4.TSD unknown) a fault
	sys_eval 0f31 '{"env":"0x1122334455667788","cs":"0x10","rax":"0xffffffffffffffff","rdx":"0xffffffffffffffff"}' \
		'{"env":"0x5","cs":"0x33"}'
	test "$(sed -n 1p "$T_TMP/t")" = '{"rax":"0x55667788","rcx":"0x0","rdx":"0x11223344","rbx":"0x0","rsp":"0x0","rbp":"0x0","rsi":"0x0","rdi":"0x0","r8":"0x0","r9":"0x0","r10":"0x0","r11":"0x0","r12":"0x0","r13":"0x0","r14":"0x0","r15":"0x0","rflags":"0x0","cs":"0x10","env":"0x1122334455667788"}'
	sed -n 2p "$T_TMP/t" | grep -q '"exception":true}$'
	# in al, 0x42: the port's value at CPL <= IOPL, a fault above
	sys_eval e442 '{"env":"0xab","cs":"0x33","rflags":"0x3202","rax":"0x1234"}' '{"env":"0xab","cs":"0x33","rflags":"0x202"}'
	grep -q '^{"rax":"0x12ab",.*"rflags":"0x3202","cs":"0x33","env":"0xab"}$' "$T_TMP/t"
	grep -q '"rflags":"0x202","cs":"0x33","env":"0xab","exception":true}$' "$T_TMP/t"
	# popfq at ring 3, IOPL 0: IF and IOPL kept, RF cleared, the rest
	# popped; at ring 0 IF and IOPL popped too
	sys_eval 9d '{"rsp":"0x1000","rflags":"0x202","cs":"0x33","mem_base":"0x1000","mem":"d5ff370000000000"}' \
		'{"rsp":"0x1000","rflags":"0x202","cs":"0x10","mem_base":"0x1000","mem":"d5ff370000000000"}'
	grep -q '"rsp":"0x1008",.*"rflags":"0x244fd7","cs":"0x33",' "$T_TMP/t"
	grep -q '"rsp":"0x1008",.*"rflags":"0x247fd7","cs":"0x10",' "$T_TMP/t"
	# swapgs exchanges the gs bases at ring 0
	sys_eval 0f01f8 '{"cs":"0x10","gs_base":"0x1","kernel_gs_base":"0xffff888000000000"}'
	grep -q '"gs_base":"0xffff888000000000","cs":"0x10","kernel_gs_base":"0x1"}$' "$T_TMP/t"
	# this CPU agrees, faults included; and the check is not blind: each
	# program without its last instruction must be caught
	native_built
	"$T_TMP/native" "$slib" 300 >"$T_TMP/sn"
	cat "$T_TMP/sn"
	grep -q '^forms 18 memory 2 skipped 0 .* mismatches 0 x86sem-mismatches 0 instances 0 system 18 caught 0$' "$T_TMP/sn"
	"$T_TMP/native" "$slib" 30 break-system >"$T_TMP/snb" 2>/dev/null && die "a broken system form went unnoticed"
	cat "$T_TMP/snb"
	grep -q ' system 18 caught 18$' "$T_TMP/snb"
	# the Vulkan interpreter gives the same states, the registers beyond
	# r31 included
	if echo '{}' | qvk --library "$slib" --eval 90 --gpu 2>&1 >/dev/null | grep -q 'Vulkan)$'; then
		awk 'BEGIN { srand(5); n = split("rax rcx rdx rsp gs_base es cs ss ds fs gs kernel_gs_base env r40 r48 r63 r79", r)
			for (i = 0; i < 100; i++) { s = "{"
				for (k = 1; k <= n; k++) { v = sprintf("%x%07x", int(rand() * 2^28), int(rand() * 2^28))
					if (r[k] == "cs") v = i % 2 ? "33" : "10"
					if (r[k] == "rsp") v = sprintf("%x", 4096 + 8 * int(rand() * 8))
					s = s sprintf("\"%s\":\"0x%s\",", r[k], v) }
				m = ""; for (k = 0; k < 64; k++) m = m sprintf("%02x", int(rand() * 256))
				print s sprintf("\"rflags\":\"0x%x\",\"mem_base\":\"0x1000\",\"mem\":\"%s\"}", 2 + int(rand() * 2^22), m) } }' >"$T_TMP/ss"
		for f in $sysforms; do
			qhb-learn -q --library "$slib" --eval "$f" <"$T_TMP/ss" >"$T_TMP/c"
			qvk -q --library "$slib" --eval "$f" --gpu <"$T_TMP/ss" >"$T_TMP/g"
			test "$(wc -l <"$T_TMP/c")" -eq 100
			cmp "$T_TMP/c" "$T_TMP/g" || die "cpu and gpu differ on $f"
		done
	fi
}

# The forms with fixed programs of their own: push/pop of memory (pop's
# address after rsp is incremented: pop [rsp+8]), leave, xadd, bts/btr/btc,
# bt of memory by a register (its offset beyond the operand, a rip-relative
# parameter), cmpxchg16b (gs, a displacement); proven, proven again, run
# natively (edge and misaligned states included), and the check not blind:
# each program without its last instruction is caught.
hforms="ff37 ff7728 65ff342514600000 8f07 8f442408 c9 480fc107 f0480fc107
480fc1c3 0fc1d8 66410fc1c0 490fa38628020000 480fa308 480fa305dbcfbf01
480fab4500 0fab08 480fb3c2 480fbaf00c 480fba70c00c 480fba2800 0fbae805
0fbbc8 480fbbca 65480fc70f 480fc74e20"

hd_forms() {
	hl=$T_TMP/hd.json
	qhb-learn -q --library "$hl" --learn $hforms >"$T_TMP/h"
	test "$(wc -l <"$T_TMP/h")" -eq 25
	test "$(grep -c '"status":"proven"' "$T_TMP/h")" -eq 25
	grep -q '"form":"pop \[rsp+0x08\]".*"microcode":\["ld.64 r18, r4, #0","add.64 r4, r4, #8","add.64 r19, r4, #8","st.64 r19, r18, #0"\]' "$T_TMP/h"
	grep -q '"form":"cmpxchg16b gs:\[rdi\]".*"microcode":\["add.64 r19, r30, r7","and.64f:08 r20, r19, #15","cc.8 r21, r0, #5","sel.64 r28, r21, r21",' "$T_TMP/h"
	grep -q '"add.64 r19, r31, #P0"' "$hl"
	qhb-learn -q --library "$hl" --verify >"$T_TMP/hv"
	test "$(grep -c '"proven":true' "$T_TMP/hv")" -eq 25
	# bt [rax], rcx: bit 0x47 is bit 7 of the next qword; -1 is bit
	# 63 of the one before, outside the window
	printf '%s
' '{"rax":"0x1000","rcx":"0x47","rflags":"0x2","mem_base":"0x1000","mem":"00000000000000008000000000000000"}' \
		'{"rax":"0x1000","rcx":"0xffffffffffffffff","rflags":"0x3","mem_base":"0x1000","mem":"00000000000000008000000000000000"}' |
		qhb-learn -q --library "$hl" --eval 480fa308 >"$T_TMP/he"
	sed -n 1p "$T_TMP/he" | grep -q '"rflags":"0x3",.*"fault":false}$'
	sed -n 2p "$T_TMP/he" | grep -q '"fault":true}$'
	# pop [rdi]: [rsp] to [rdi], rsp up 8
	echo '{"rsp":"0x1000","rdi":"0x1008","mem_base":"0x1000","mem":"11223344556677880000000000000000"}' |
		qhb-learn -q --library "$hl" --eval 8f07 >"$T_TMP/he"
	grep -q '"rsp":"0x1008",.*"mem":"11223344556677881122334455667788","fault":false}$' "$T_TMP/he"
	# cmpxchg16b: equal (ZF, rcx:rbx stored), different (loaded into
	# rdx:rax), misaligned (#GP, the fault register: exception)
	m=000102030405060708090a0b0c0d0e0f
	printf '%s
' "{\"rax\":\"0x0706050403020100\",\"rdx\":\"0x0f0e0d0c0b0a0908\",\"rbx\":\"0x1\",\"rcx\":\"0x2\",\"rsi\":\"0xfe0\",\"rflags\":\"0x2\",\"mem_base\":\"0x1000\",\"mem\":\"$m\"}" \
		"{\"rax\":\"0x5\",\"rsi\":\"0xfe0\",\"rflags\":\"0x42\",\"mem_base\":\"0x1000\",\"mem\":\"$m\"}" \
		"{\"rsi\":\"0xfe8\",\"mem_base\":\"0x1000\",\"mem\":\"$m\"}" |
		qhb-learn -q --library "$hl" --eval 480fc74e20 >"$T_TMP/hc"
	sed -n 1p "$T_TMP/hc" | grep -q '"rflags":"0x42",.*"mem":"01000000000000000200000000000000","fault":false}$'
	sed -n 2p "$T_TMP/hc" | grep -q '"rax":"0x706050403020100","rcx":"0x0","rdx":"0xf0e0d0c0b0a0908",.*"rflags":"0x2",.*"mem":"'$m'","fault":false}$'
	sed -n 3p "$T_TMP/hc" | grep -q '"exception":true}$'
	native_built || return 1
	"$T_TMP/native" "$hl" 200 >"$T_TMP/hn"
	cat "$T_TMP/hn"
	grep -q '^forms 25 memory 17 skipped 0 .* mismatches 0 x86sem-mismatches 0 instances [1-9][0-9]* system 0 caught 0$' "$T_TMP/hn"
	"$T_TMP/native" "$hl" 20 break-new >"$T_TMP/hb" 2>/dev/null && die "a broken program went unnoticed"
	cat "$T_TMP/hb"
	grep -q ' mismatches [1-9][0-9]* ' "$T_TMP/hb"
}

# The forms of the new Pixel CPU ops (ctz, clz, popcnt, mulhu, mulhs, divs,
# rems): tzcnt, lzcnt, popcnt, bsf, bsr, one-operand mul and imul, idiv; learned,
# proven, run natively, evaluated on known states (a zero source, #DE),
# and the Vulkan interpreter gives the CPU one's states.
hops="f30fbcc0 f3480fbcc9 66f30fbcc0 f3480fbdc1 f30fbdc8 f3480fb8c1 f30fb807
49f7e1 48f7e9 f7e1 66f7e9 48f7ff f7f9 66f7f9 48f77f08 0fbcc1 480fbdc8 660fbdc1
480fbc07"

hd_ops() {
	ol=$T_TMP/ops.json
	qhb-learn -q --library "$ol" --learn $hops >"$T_TMP/o"
	test "$(grep -c '"status":"proven"' "$T_TMP/o")" -eq 19
	grep -q '"form":"tzcnt eax, eax".*"microcode":\["ctz.32f r17, r0, r0","mov.32 r0, r17, r17"\]' "$T_TMP/o"
	grep -q '"form":"mul r9".*"microcode":\["mulhu.64f:21 r20, r0, r9",' "$T_TMP/o"
	grep -q '"form":"idiv rdi".*"divs.64 r20, r0, r7",.*"rems.64 r21, r0, r7",' "$T_TMP/o"
	# (form, state, the line --eval must print) in turn: tzcnt of 0 is
	# 32 and CF, of 8 it is 3; mul r9: 2^63 * 4 = 2:0, CF and OF; idiv
	# rdi: -7 / 2 = -3 rest -1, and 2^64 + 1 does not fit (#DE); bsr rcx,
	# rax: 63 for the top bit (ZF 0), and of 0 the fault register
	# (undefined in x86: the machine runs it)
	while read -r f st want; do
		echo "$st" | qhb-learn -q --library "$ol" --eval "$f" | grep -q "$want" ||
			die "$f on $st: not $want"
	done <<'STATES'
f30fbcc0 {} ^{"rax":"0x20",.*"rflags":"0x1"}$
f30fbcc0 {"rax":"0x8"} ^{"rax":"0x3",.*"rflags":"0x0"}$
49f7e1 {"rax":"0x8000000000000000","r9":"0x4"} ^{"rax":"0x0","rcx":"0x0","rdx":"0x2",.*"rflags":"0x801"}$
48f7ff {"rax":"0xfffffffffffffff9","rdx":"0xffffffffffffffff","rdi":"0x2"} ^{"rax":"0xfffffffffffffffd","rcx":"0x0","rdx":"0xffffffffffffffff",
48f7ff {"rax":"0x1","rdx":"0x1","rdi":"0x1"} "exception":true}$
480fbdc8 {"rax":"0x8000000000000001","rflags":"0x40"} ^{"rax":"0x8000000000000001","rcx":"0x3f",.*"rflags":"0x0"}$
480fbdc8 {} "exception":true}$
STATES
	native_built || return 1
	"$T_TMP/native" "$ol" 400 >"$T_TMP/on"
	cat "$T_TMP/on"
	grep -q '^forms 19 memory 3 skipped 0 .* mismatches 0 x86sem-mismatches 0 ' "$T_TMP/on"
	have_vulkan "$ol" || return 0
	gpu_states
	for f in $hops; do
		same_on_gpu "$ol" "$f"
		# idiv: states that fault and states that do not
		case $f in *f7f*|*f77f*)
			grep -q '"exception":true' "$T_TMP/c" || die "$f: never #DE"
			grep -vq '"exception":true' "$T_TMP/c" || die "$f: always #DE" ;;
		esac
	done
}

t learn_forms learn_forms
t fallbacks fallbacks
t eval_states eval_states
t native native
t hd_forms hd_forms
t hd_ops hd_ops
t cpu_vs_gpu cpu_vs_gpu
t trace_mode trace_mode
t addresses addresses
t jobs jobs
t vector vector
t templates templates
t search_budget search_budget
t errors errors
t system_forms system_forms
