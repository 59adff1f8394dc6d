#!/bin/sh
# Bad option values, program by program: each ends with exit 1 and a
# message that names the option and quotes what was wrong, before the
# program opens, creates or starts anything.  NaN, infinities, fractions
# for counts, minus signs for unsigned numbers, empty strings, overflow,
# and empty output names (-o '').
. "$(dirname "$0")/../lib.sh"

# refused WANT CMD...: CMD exits 1 and says "PROGRAM: WANT" on stderr
# (lib.sh's fails).
refused() {
	t_want=$1
	shift
	fails "$1: $t_want" "$@"
}

lib=$T_TMP/L

learn() {
	refused "--bench: 'nan': expected a whole number from 1 to" \
		qhb-learn --library "$lib" --bench nan --eval 01d8
	refused "--hot: '1.5': expected a whole number from 1 to" \
		qhb-learn --library "$lib" --hot 1.5
	refused "--max-len: 'nan': expected a whole number from 1 to" \
		qhb-learn --library "$lib" --max-len nan --learn 01d8
	refused "--top: '-4': expected a whole number from 0 to 100000" \
		qhb-learn --library "$lib" --report --top -4
	refused "--budget: '4e8': expected a whole number" \
		qhb-learn --library "$lib" --budget 4e8 --learn 01d8
	refused "--timeout: 'inf': expected a whole number from 1 to 3600000" \
		qhb-learn --library "$lib" --timeout inf --learn 01d8
	refused "--bench: '': expected a whole number" \
		qhb-learn --library "$lib" --bench '' --eval 01d8
	refused "--hot: '18446744073709551616': expected a whole number" \
		qhb-learn --library "$lib" --hot 18446744073709551616
	# Nothing was written: the library is created only by a run that
	# got past its options.
	[ ! -e "$lib" ]
}

hilbert() {
	refused "--unit: '-4': expected a size" qhb-hilbert --unit -4
	refused "--unit: '': expected a size" qhb-hilbert --unit ''
	refused "--dim: '2.5': expected a whole number from 2 to 3" \
		qhb-hilbert --dim 2.5
	refused "--lod: '-1': expected a whole number" qhb-hilbert --lod -1
	refused "--level: 'nan': expected a whole number from 0 to 22" \
		qhb-hilbert --level nan
	refused "--ram-size: '1.5G': expected a size" \
		qhb-hilbert --locate 0 --ram-size 1.5G
	refused "--order: '99999999999999999999': expected a whole number" \
		qhb-hilbert --map --order 99999999999999999999
	refused "--locate: '-4096': expected an address" \
		qhb-hilbert --locate -4096 --ram-size 8M
	refused "--locate: 'nan': expected an address" \
		qhb-hilbert --locate nan --ram-size 8M
	refused "--address: '-1' in '-1,2,3': expected X,Y,Z" \
		qhb-hilbert --address -1,2,3 --ram-size 8M
	refused "-o: empty file name" qhb-hilbert -o ''
	# The accepted forms of --locate: decimal, 0x and a size.
	qhb-hilbert --locate 0x100000 --ram-size 8M >"$T_TMP/a"
	qhb-hilbert --locate 1M --ram-size 8M >"$T_TMP/b"
	qhb-hilbert --locate 1048576 --ram-size 8M | cmp - "$T_TMP/a"
	cmp "$T_TMP/a" "$T_TMP/b"
}

render() {
	refused "--size: '-5' in '-5x5': expected AxB" qhb-render --size -5x5
	refused "--size: '1.5' in '5x1.5': expected AxB" qhb-render --size 5x1.5
	refused "--sheet: '4': expected AxB" qhb-render --sheet 4
	refused "--azimuth: 'nan': expected a number from -3600 to 3600" \
		qhb-render --azimuth nan
	refused "--elevation: 'inf': expected a number from -90 to 90" \
		qhb-render --elevation inf
	refused "--zoom: '0x1p3': expected a number" qhb-render --zoom 0x1p3
	refused "--opacity: '': expected a number" qhb-render --opacity ''
	refused "--turntable: '1.5': expected a whole number" \
		qhb-render --turntable 1.5
	refused "--fps: '-25': expected a whole number from 1 to 1000" \
		qhb-render --fps -25
	refused "--level: '10': expected a whole number from 0 to 9" \
		qhb-render --level 10
	refused "--threads: ' 4': expected a whole number" \
		qhb-render --threads ' 4'
	refused "--background: '#12345': expected #rrggbb" \
		qhb-render --background '#12345'
	refused "-o: empty file name" qhb-render -o ''
}

snap() {
	refused "--count: '1.5': expected a whole number" \
		qhb-snap --every 1s --count 1.5 /dev/null
	refused "--keyframe: '-1': expected a whole number" \
		qhb-snap --every 1s --keyframe -1 /dev/null
	refused "--every: 'nan': expected a duration" \
		qhb-snap --every nan /dev/null
	refused "--every: '0x10': expected a duration" \
		qhb-snap --every 0x10 /dev/null
	refused "--level: '-1': expected a whole number from 0 to 22" \
		qhb-snap --level -1 /dev/null
	refused "--threads: 'inf': expected a whole number" \
		qhb-snap --threads inf /dev/null
	refused "--verify-rounds: '0': expected a whole number from 1 to 1000" \
		qhb-snap --verify-rounds 0 /dev/null
	refused "-o: empty file name" qhb-snap -o '' /dev/null
}

trace() {
	refused "--limit: '-1': expected a whole number" \
		qhb-trace --format hotblocks --limit -1
	refused "--level: '1.5': expected a whole number from 0 to 19" \
		qhb-trace --level 1.5 -- true
	refused "--ring-size: expected a power of two" \
		qhb-trace --ring-size -64K -- true
	refused "-o: empty file name" qhb-trace -o '' --format text
}

cat_() {
	refused "-o: empty file name" qhb-cat --raw -o ''
	refused "--nrrd: empty file name" qhb-cat --nrrd ''
}

vm() {
	refused "--cpus: '1.5': expected a whole number from 1 to 256" \
		qhb-vm start --cpus 1.5 never-started
	refused "--cpus: '-4': expected a whole number from 1 to 256" \
		qhb-vm start --cpus -4 never-started
	refused "--timeout: 'nan': expected a whole number from 1 to 86400" \
		qhb-vm wait --timeout nan never-started
	refused "--mem: 'nan': expected a size" \
		qhb-vm start --mem nan never-started
	[ -z "$(qhb-vm list | grep never-started)" ]
}

t learn learn
t hilbert hilbert
t render render
t snap snap
t trace trace
t cat cat_
t vm vm
