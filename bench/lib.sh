# Shared by the benchmarks in bench/.  A benchmark sets $work (a scratch
# folder) and $reps (runs per figure) before it times anything.

now() { date +%s%N; }

# median_ms CMD...: the median wall time of $reps runs of CMD (its output
# discarded), in milliseconds.
median_ms() {
	i=0
	: >"$work/times"
	while [ $i -lt "$reps" ]; do
		t0=$(now)
		"$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
		t1=$(now)
		echo $(( (t1 - t0) / 1000 )) >>"$work/times"
		i=$((i + 1))
	done
	sort -n "$work/times" |
		awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1000 }'
}

# median: the median of the numbers on standard input, one a line.
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# ratio A B [DIGITS]: A / B.
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { printf "%.*f", d, a / b }'; }

# goal RATIO LIMIT: "met" when RATIO <= LIMIT.
goal() { awk -v r="$1" -v g="$2" 'BEGIN { print (r <= g) ? "met" : "NOT met" }'; }

machine() {
	echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
}
