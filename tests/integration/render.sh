#!/bin/sh
# qhb-render on volumes that qhb-hilbert makes from crafted RAM files:
# pictures checked through their pixels (the Y plane of --y4m output, read
# with od): a single lit voxel lands where the camera maths says, a slice
# stack reproduces the RAM bytes at the voxels the curve names, a
# time-lapse numbers its files; PNG headers, the PNG stream against the
# files, contact sheets, overlays, the CPU against the Vulkan path
# (lavapipe here), and clean errors.
. "$(dirname "$0")/../lib.sh"

ram=$T_TMP/r.ram
Z=1.7320508075688772    # zoom sqrt(3): one pixel a voxel, face on
# put ADDR HEXBYTES: write bytes into the RAM file
put() {
	echo "$2" | LC_ALL=C awk '{ for (i = 1; i < length($0); i += 2)
		printf "%c", 16 * index(h, substr($0, i, 1)) + index(h, substr($0, i + 1, 1)) - 17
	}' h=0123456789abcdef |
		dd of="$ram" bs=1 seek="$1" conv=notrunc 2>/dev/null
}
rm -f "$ram"
truncate -s 1M "$ram"
put 300000 ffffffff
qhb-snap -q "$ram" >"$T_TMP/lit.qsnap"
qhb-hilbert -q --cpu --color value --unit 4 --lod 3 <"$T_TMP/lit.qsnap" \
	>"$T_TMP/lit.qvol"

# A test pattern: each byte of the first 256 KiB 1 + its address mod 251.
LC_ALL=C awk 'BEGIN { for (i = 0; i < 262144; i++) printf "%c", i % 251 + 1 }' \
	>"$T_TMP/pat"
cp "$T_TMP/pat" "$T_TMP/pat.ram"
truncate -s 1M "$T_TMP/pat.ram"
qhb-snap -q "$T_TMP/pat.ram" | qhb-hilbert -q --cpu --color value --unit 1 \
	--lod 2 >"$T_TMP/pat.qvol"

qvk() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 qhb-render "$@"
}
have_vk() {
	qvk --y4m --size 8x8 <"$T_TMP/lit.qvol" 2>&1 >/dev/null |
		grep -q 'Vulkan)$'
}

# y4m_y FILE FRAME W H X Y: the Y byte of pixel X,Y in frame FRAME
y4m_y() {
	hl=$(head -n 1 "$1" | wc -c)
	fs=$((6 + $3 * $4 + 2 * (($3 + 1) / 2) * (($4 + 1) / 2)))
	od -An -tu1 -j $((hl + $2 * fs + 6 + $6 * $3 + $5)) -N1 "$1" | tr -d ' '
}
# y4m_plane FILE FRAME W H: the Y plane of a frame, one byte a line
y4m_plane() {
	hl=$(head -n 1 "$1" | wc -c)
	fs=$((6 + $3 * $4 + 2 * (($3 + 1) / 2) * (($4 + 1) / 2)))
	od -An -v -tu1 -j $((hl + $2 * fs + 6)) -N $(($3 * $4)) "$1" |
		tr -s ' ' '\n' | sed '/^$/d'
}
# y4m_frames FILE W H: how many frames, from the size (all whole)
y4m_frames() {
	hl=$(head -n 1 "$1" | wc -c)
	fs=$((6 + $2 * $3 + 2 * (($2 + 1) / 2) * (($3 + 1) / 2)))
	n=$(($(wc -c <"$1") - hl))
	test $((n % fs)) -eq 0 || die "$1: a partial frame"
	echo $((n / fs))
}
# png_size FILE: "W H" from the IHDR chunk
png_size() {
	od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4,
		$5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}

# The voxel of address 300000 is (2,60,56) of a 64^3 box: face on it is
# pixel (2,60) and nothing else; from the side (azimuth 90, screen right
# is -z) pixel (63-56, 60).
lit_voxel() {
	qhb-hilbert --locate 300000 --ram-size 1M --unit 4 | grep -q '"voxel":\[2,60,56\]'
	for mode in --mip --composite; do
		qhb-render -q --cpu $mode --opacity 1 --y4m --azimuth 0 --elevation 0 \
			--size 64x64 --zoom $Z <"$T_TMP/lit.qvol" >"$T_TMP/f.y4m"
		test "$(y4m_y "$T_TMP/f.y4m" 0 64 64 2 60)" = 255
		test "$(y4m_plane "$T_TMP/f.y4m" 0 64 64 | grep -vc '^0$')" = 1
		qhb-render -q --cpu $mode --opacity 1 --y4m --azimuth 90 --elevation 0 \
			--size 64x64 --zoom $Z <"$T_TMP/lit.qvol" >"$T_TMP/f.y4m"
		test "$(y4m_y "$T_TMP/f.y4m" 0 64 64 7 60)" = 255
		test "$(y4m_plane "$T_TMP/f.y4m" 0 64 64 | grep -vc '^0$')" = 1
	done
	# from above (elevation 90) screen down is -z: column 2, row 63-56
	qhb-render -q --cpu --y4m --azimuth 0 --elevation 90 --size 64x64 \
		--zoom $Z <"$T_TMP/lit.qvol" >"$T_TMP/f.y4m"
	test "$(y4m_plane "$T_TMP/f.y4m" 0 64 64 | grep -vc '^0$')" = 1
	test "$(y4m_y "$T_TMP/f.y4m" 0 64 64 2 7)" = 255
}

# Slices along z of the pattern volume (unit 1, 128x128x64): the Y byte of
# pixel (x,y) in slice z is the RAM byte at the address of voxel (x,y,z).
slice_stack() {
	qhb-render -q --slices z --y4m <"$T_TMP/pat.qvol" >"$T_TMP/s.y4m"
	head -n 1 "$T_TMP/s.y4m" | grep -q '^YUV4MPEG2 W128 H128 '
	test "$(y4m_frames "$T_TMP/s.y4m" 128 128)" -eq 64
	for v in 0,0,0 1,2,3 77,5,1 127,127,0 5,100,2 64,64,7 3,9,11 120,1,30; do
		a=$(qhb-hilbert --address $v --ram-size 1M --unit 1 |
			sed 's/.*"address":\([0-9]*\).*/\1/')
		want=0
		if [ "$a" -lt 262144 ]; then
			want=$(od -An -tu1 -j "$a" -N1 "$T_TMP/pat" | tr -d ' ')
		fi
		x=${v%%,*} z=${v##*,} y=${v#*,}; y=${y%,*}
		got=$(y4m_y "$T_TMP/s.y4m" "$z" 128 128 "$x" "$y")
		test "$got" = "$want" || die "voxel $v address $a: $got, want $want"
	done
	# PNG files: one a slice, numbered, 128x128; none left half written
	mkdir "$T_TMP/st"
	qhb-render -q --slices z -o "$T_TMP/st/s-%03d.png" <"$T_TMP/pat.qvol"
	test "$(ls "$T_TMP/st" | wc -l)" -eq 64
	test -f "$T_TMP/st/s-000.png" && test -f "$T_TMP/st/s-063.png"
	test "$(png_size "$T_TMP/st/s-017.png")" = "128 128"
	# slices along x are (y, z) pictures
	qhb-render -q --slices x -o "$T_TMP/st/x-%d.png" <"$T_TMP/pat.qvol"
	test "$(png_size "$T_TMP/st/x-127.png")" = "128 64"
	# the PNG stream is the files, back to back
	qhb-render -q --slices z <"$T_TMP/pat.qvol" >"$T_TMP/s.pngs"
	cat $(ls "$T_TMP"/st/s-*.png | sort) | cmp - "$T_TMP/s.pngs"
}

# A stream of frames: a full frame and deltas number their pictures in
# order across the stream, a turntable N views each.
time_lapse() {
	{
		cat "$T_TMP/lit.qsnap"
		put 600000 ff00ff00
		qhb-snap -q "$ram"
	} | qhb-hilbert -q --cpu --color value --unit 4 --lod 3 >"$T_TMP/two.qvol"
	mkdir "$T_TMP/tl"
	qhb-render -q --cpu --size 40x30 -o "$T_TMP/tl/vm1-%05d.png" <"$T_TMP/two.qvol"
	test "$(ls "$T_TMP/tl")" = "$(printf 'vm1-00000.png\nvm1-00001.png')"
	qhb-render -q --cpu --turntable 4 --size 128x128 --y4m --fps 12 \
		<"$T_TMP/two.qvol" >"$T_TMP/tt.y4m"
	head -n 1 "$T_TMP/tt.y4m" | grep -q '^YUV4MPEG2 W128 H128 F12:1 '
	test "$(y4m_frames "$T_TMP/tt.y4m" 128 128)" -eq 8
	# the second frame has the second voxel: more lit pixels
	a=$(y4m_plane "$T_TMP/tt.y4m" 0 128 128 | grep -vc '^0$' || true)
	b=$(y4m_plane "$T_TMP/tt.y4m" 4 128 128 | grep -vc '^0$' || true)
	test "$a" -gt 0
	test "$b" -gt "$a"
	# no pattern: each picture replaces the last, atomically
	qhb-render -q --cpu --size 40x30 -o "$T_TMP/tl/latest.png" <"$T_TMP/two.qvol"
	test "$(png_size "$T_TMP/tl/latest.png")" = "40 30"
	test "$(ls -a "$T_TMP/tl" | grep -c tmp)" -eq 0
}

# A time-lapse on Vulkan: from a file the last view of each frame is
# finished after the next frame is read (the device renders meanwhile);
# the pictures are the frames' own, in order.  From a live pipe whose next
# frame has not come, no picture waits for it: the writer sends frame 1
# only once frame 0's file is there.
gpu_time_lapse() {
	have_vk || { echo "no Vulkan device: skipped"; return 0; }
	test -f "$T_TMP/two.qvol" || die "time_lapse makes two.qvol first"
	mkdir "$T_TMP/gt"
	qvk -q --stats --size 40x30 -o "$T_TMP/gt/a-%d.png" "$T_TMP/two.qvol" \
		2>"$T_TMP/gt.err"
	grep -q 'views: 2 gpu, 0 cpu' "$T_TMP/gt.err"
	grep -q '; 2 views finished after the next frame' "$T_TMP/gt.err"
	qvk -q --size 40x30 -o "$T_TMP/gt/ref0.png" "$T_TMP/lit.qvol"
	qhb-snap -q "$ram" | qhb-hilbert -q --cpu --color value --unit 4 --lod 3 |
		qvk -q --size 40x30 -o "$T_TMP/gt/ref1.png"
	cmp "$T_TMP/gt/a-0.png" "$T_TMP/gt/ref0.png"
	cmp "$T_TMP/gt/a-1.png" "$T_TMP/gt/ref1.png"
	! cmp -s "$T_TMP/gt/ref0.png" "$T_TMP/gt/ref1.png"
	at=$(qhb-cat "$T_TMP/two.qvol" | sed -n 's/.*"frame":1,"offset":\([0-9]*\),.*/\1/p')
	test "$at" -gt 0
	{
		head -c "$at" "$T_TMP/two.qvol"
		i=0
		while [ ! -f "$T_TMP/gt/b-0.png" ] && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		[ -f "$T_TMP/gt/b-0.png" ] || : >"$T_TMP/gt/waited"
		tail -c +$((at + 1)) "$T_TMP/two.qvol"
	} | qvk -q --size 40x30 -o "$T_TMP/gt/b-%d.png"
	test ! -f "$T_TMP/gt/waited" || die "frame 0's picture waited for frame 1"
	cmp "$T_TMP/gt/b-0.png" "$T_TMP/gt/ref0.png"
	cmp "$T_TMP/gt/b-1.png" "$T_TMP/gt/ref1.png"
}

# Delta volume frames rebuild the volume: the last picture of a stream of
# deltas is the picture of the last state as a full frame.
deltas() {
	cp "$T_TMP/pat.ram" "$T_TMP/d.ram"
	qhb-snap -q --level 0 --every 100ms --count 6 "$T_TMP/d.ram" >"$T_TMP/d.qsnap" &
	pid=$!
	for i in 1 2 3; do
		head -c 9000 /dev/urandom |
			dd of="$T_TMP/d.ram" bs=4096 seek=$((i * 40)) conv=notrunc 2>/dev/null
		sleep 0.1
	done
	wait "$pid"
	qhb-hilbert -q --cpu --lod 2 --color value <"$T_TMP/d.qsnap" >"$T_TMP/d.qvol"
	test "$(qhb-cat "$T_TMP/d.qvol" | grep -c '"kind":"volume-delta"')" -eq 5
	qhb-snap -q "$T_TMP/d.ram" | qhb-hilbert -q --cpu --lod 2 --color value >"$T_TMP/e.qvol"
	for m in --mip --composite "--slices y"; do
		qhb-render -q --cpu $m --size 64x48 -o "$T_TMP/last.png" "$T_TMP/d.qvol"
		qhb-render -q --cpu $m --size 64x48 -o "$T_TMP/ref.png" "$T_TMP/e.qvol"
		cmp "$T_TMP/last.png" "$T_TMP/ref.png"
	done
	# On Vulkan the deltas go up as blocks, not whole volumes: the last
	# picture is still the full frame's, byte for byte, and less than two
	# volumes' worth went up for six frames.
	have_vk || return 0
	vb=$(($(qhb-cat "$T_TMP/e.qvol" | sed -n 's/.*"size":\([0-9]*\).*/\1/p' | head -n 1)))
	for m in --mip --composite; do
		qvk -q --stats $m --size 64x48 -o "$T_TMP/last.png" "$T_TMP/d.qvol" \
			2>"$T_TMP/st.err"
		qvk -q $m --size 64x48 -o "$T_TMP/ref.png" "$T_TMP/e.qvol"
		cmp "$T_TMP/last.png" "$T_TMP/ref.png"
		grep -q 'views: 6 gpu, 0 cpu' "$T_TMP/st.err"
		up=$(sed -n 's/.*volume upload \([0-9]*\) bytes.*/\1/p' "$T_TMP/st.err")
		test "$vb" -gt 0 && test "$up" -ge "$vb" && test "$up" -lt $((2 * vb)) ||
			die "$m: $up bytes uploaded, volume $vb bytes"
	done
}

sheet_overlays() {
	qhb-render -q --cpu --slices z --sheet 8x8 -o "$T_TMP/sheet.png" <"$T_TMP/pat.qvol"
	test "$(png_size "$T_TMP/sheet.png")" = "1024 1024"
	qhb-render -q --cpu --turntable 6 --sheet 3x2 --size 50x40 \
		-o "$T_TMP/tts.png" <"$T_TMP/lit.qvol"
	test "$(png_size "$T_TMP/tts.png")" = "150 80"
	# legend: a band below, at least 256 wide
	qhb-render -q --cpu --legend --size 100x100 -o "$T_TMP/leg.png" <"$T_TMP/pat.qvol"
	set -- $(png_size "$T_TMP/leg.png")
	test "$1" -eq 256 && test "$2" -gt 120
	# regions: a pure red outline (Cr 255) where there was none
	printf '[{"start":"0x10000","size":"0x20000","label":"kernel","color":"#ff0000"}]\n' \
		>"$T_TMP/regions.json"
	qhb-render -q --cpu --y4m --size 64x64 <"$T_TMP/pat.qvol" >"$T_TMP/a.y4m"
	qhb-render -q --cpu --y4m --size 64x64 --regions "$T_TMP/regions.json" \
		<"$T_TMP/pat.qvol" >"$T_TMP/b.y4m"
	! cmp -s "$T_TMP/a.y4m" "$T_TMP/b.y4m"
	# grey before (Cr 128), reddish Cr after
	hl=$(head -n 1 "$T_TMP/b.y4m" | wc -c)
	for f in a b; do
		od -An -v -tu1 -j $((hl + 6 + 4096 + 1024)) -N 1024 "$T_TMP/$f.y4m" |
			tr -s ' ' '\n' | sort -n | tail -n 1 >"$T_TMP/$f.max"
	done
	test "$(cat "$T_TMP/a.max")" -le 129
	test "$(cat "$T_TMP/b.max")" -ge 160
	qhb-render -q --cpu --slices z --regions "$T_TMP/regions.json" \
		-o "$T_TMP/rs-%d.png" <"$T_TMP/pat.qvol"
	test -f "$T_TMP/rs-63.png"
	# two apart with one label: both outlined, labelled once (as if one
	# of them had no label); with two labels, labelled twice
	reg2() {
		printf '[{"start":"0x10000","size":"0x8000","label":"%s","color":"#ff0000"},' "$1"
		printf '{"start":"0xc0000","size":"0x8000","label":"%s","color":"#ff0000"}]\n' "$2"
	}
	for l in ww:ww ww: :ww ww:vv; do
		reg2 "${l%:*}" "${l#*:}" >"$T_TMP/r2.json"
		qhb-render -q --cpu --size 96x96 --regions "$T_TMP/r2.json" \
			-o "$T_TMP/r2-$l.png" <"$T_TMP/pat.qvol"
	done
	cmp -s "$T_TMP/r2-ww:ww.png" "$T_TMP/r2-ww:.png" ||
		cmp -s "$T_TMP/r2-ww:ww.png" "$T_TMP/r2-:ww.png" ||
		die "two regions of one label are not labelled once"
	! cmp -s "$T_TMP/r2-ww:ww.png" "$T_TMP/r2-ww:vv.png"
	! cmp -s "$T_TMP/r2-ww:.png" "$T_TMP/r2-:ww.png"
}

# Vulkan (lavapipe) against the CPU: the same pictures within 2 levels in
# 99.5% of Y samples (rays grazing voxel edges may cross other voxels in
# 32-bit floats than in doubles; 0 to 13 of 7680 pixels differ here).
cpu_vs_vulkan() {
	have_vk || { echo "no Vulkan device: skipped"; return 0; }
	for mode in --mip --composite; do
		for cam in "--azimuth 0 --elevation 0" "--azimuth 33 --elevation 21" \
		    "--azimuth 200 --elevation -30 --perspective"; do
			qhb-render -q --cpu $mode $cam --size 96x80 --y4m \
				<"$T_TMP/pat.qvol" >"$T_TMP/c.y4m"
			qvk $mode $cam --size 96x80 --y4m <"$T_TMP/pat.qvol" \
				>"$T_TMP/g.y4m" 2>"$T_TMP/g.err"
			grep -q 'Vulkan)$' "$T_TMP/g.err"
			y4m_plane "$T_TMP/c.y4m" 0 96 80 >"$T_TMP/c.txt"
			y4m_plane "$T_TMP/g.y4m" 0 96 80 >"$T_TMP/g.txt"
			bad=$(paste "$T_TMP/c.txt" "$T_TMP/g.txt" |
				awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 2) n++ } END { print n + 0 }')
			test "$bad" -le 38 || die "$mode $cam: $bad of 7680 pixels differ"
		done
	done
}

# rgb_diff REF GOT W: compares two raw rgb24 pictures of width W; prints
# "MEAN MAX IMAX": the mean and largest difference of a channel over all
# pixels, and the largest over the pixels whose 3x3 neighbourhood in REF
# is one colour (away from edges, where 4:2:0 chroma and a codec's blocks
# blur).
rgb_diff() {
	for f in "$1" "$2"; do
		od -An -v -tu1 "$f" | tr -s ' ' '\n' | sed '/^$/d' >"$f.txt"
	done
	paste "$1.txt" "$2.txt" | awk -v W="$3" '
	{ r[NR - 1] = $1; g[NR - 1] = $2 }
	END {
		n = NR / 3; H = n / W
		for (p = 0; p < n; p++) {
			x = p % W; y = int(p / W); in_ = x > 0 && y > 0 && x < W - 1 && y < H - 1
			for (dy = -1; dy <= 1 && in_; dy++)
				for (dx = -1; dx <= 1 && in_; dx++) {
					q = p + dy * W + dx
					for (c = 0; c < 3; c++)
						if (r[3 * q + c] != r[3 * p + c]) in_ = 0
				}
			for (c = 0; c < 3; c++) {
				d = r[3 * p + c] - g[3 * p + c]; if (d < 0) d = -d
				sum += d; if (d > max) max = d
				if (in_ && d > imax) imax = d
			}
			ni += in_
		}
		if (ni < n / 4) { print "too few flat pixels: " ni; exit 1 }
		printf "%.2f %d %d\n", sum / (3 * n), max, imax
	}'
}

# --y4m into ffmpeg, as the manual's example pipes it: the header says
# full-range (JPEG) 4:2:0 and ffmpeg reads it so; the video has every
# frame at the size and rate asked; frames decoded back to RGB have the
# colours of the PNG pictures.  RAM in four colours (r, g, b of each
# 4-byte voxel), so slices are flat areas with edges on even pixels:
# straight from y4m every channel is within 3 levels (YUV rounding);
# through H.264 (libx264 at ffmpeg's defaults) within 3 on average and
# 12 away from edges.
y4m_ffmpeg() {
	command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null ||
		die "ffmpeg is not installed (sh tests/deps.sh check)"
	LC_ALL=C awk 'BEGIN { split("230 40 40 40 200 60 50 60 220 240 220 60", c, " ")
		for (q = 0; q < 4; q++) {
			s = sprintf("%c%c%c%c", c[3 * q + 1], c[3 * q + 2], c[3 * q + 3], 1)
			for (i = 0; i < 65536; i++) printf "%s", s
		} }' >"$T_TMP/q.ram"
	qhb-snap -q "$T_TMP/q.ram" | qhb-hilbert -q --cpu --color value --unit 4 \
		--lod 2 >"$T_TMP/q.qvol"
	qhb-render -q --cpu --slices z --y4m --fps 12 <"$T_TMP/q.qvol" >"$T_TMP/q.y4m"
	head -n 1 "$T_TMP/q.y4m" |
		grep -qx 'YUV4MPEG2 W64 H64 F12:1 Ip A1:1 C420jpeg XCOLORRANGE=FULL'
	mkdir "$T_TMP/qref"
	qhb-render -q --cpu --slices z -o "$T_TMP/qref/%02d.png" <"$T_TMP/q.qvol"
	(cd "$T_TMP" && qhb-render -q --cpu --slices z --y4m --fps 12 <q.qvol |
		ffmpeg -v error -nostdin -i - q.mp4) || die "ffmpeg failed"
	for f in q.y4m q.mp4; do
		ffprobe -v error -count_frames -select_streams v:0 -show_entries \
			stream=width,height,r_frame_rate,nb_read_frames,color_range \
			-of default=nw=1 "$T_TMP/$f" | sort | tr '\n' ' ' >"$T_TMP/probe"
		test "$(cat "$T_TMP/probe")" = "color_range=pc height=64 nb_read_frames=64 r_frame_rate=12/1 width=64 " ||
			die "$f: $(cat "$T_TMP/probe")"
	done
	for n in 9 20 45; do
		ffmpeg -v error -nostdin -i "$T_TMP/qref/$(printf %02d "$n").png" \
			-f rawvideo -pix_fmt rgb24 - >"$T_TMP/ref.rgb"
		# the colours are there: not a test of one flat colour
		test "$(od -An -v -tu1 -w3 "$T_TMP/ref.rgb" | sort -u | wc -l)" -ge 3 ||
			die "frame $n: fewer than 3 colours"
		for f in q.y4m q.mp4; do
			ffmpeg -v error -nostdin -i "$T_TMP/$f" -vf "select=eq(n\,$n)" \
				-frames:v 1 -f rawvideo -pix_fmt rgb24 - >"$T_TMP/got.rgb"
			test "$(wc -c <"$T_TMP/got.rgb")" -eq 12288 || die "$f frame $n: not decoded"
			set -- $(rgb_diff "$T_TMP/ref.rgb" "$T_TMP/got.rgb" 64) ||
				die "$f frame $n: $*"
			case $f in
			*.y4m) test "$2" -le 3 || die "$f frame $n: mean $1, max $2" ;;
			*) awk -v m="$1" 'BEGIN { exit !(m <= 3) }' && test "$3" -le 12 ||
				die "$f frame $n: mean $1, max $2, $3 away from edges" ;;
			esac
		done
	done
}

# A write error while views are in flight on Vulkan: they are waited for
# and dropped, and the error is reported (exit 1), no crash.
gpu_errors() {
	have_vk || { echo "no Vulkan device: skipped"; return 0; }
	expect_err 'No space left' sh -c "ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0 \
		qhb-render --turntable 300 --size 8x8 --y4m <'$T_TMP/lit.qvol' >/dev/full"
}

errors() {
	expect_err 'no volume frame' sh -c "qhb-render --cpu <'$T_TMP/lit.qsnap' >/dev/null"
	expect_err 'expected one %d' qhb-render --cpu -o 'x-%s.png' "$T_TMP/lit.qvol"
	expect_err 'more than one %d' qhb-render --cpu -o '%d-%d.png' "$T_TMP/lit.qvol"
	expect_err 'cannot use more than one of' qhb-render --mip --composite "$T_TMP/lit.qvol"
	expect_err 'expected x, y or z' qhb-render --slices w "$T_TMP/lit.qvol"
	expect_err 'expected AxB' qhb-render --size 0x5 "$T_TMP/lit.qvol"
	expect_err 'expected #rrggbb' qhb-render --background pink "$T_TMP/lit.qvol"
	expect_err 'cannot use --y4m with -o' qhb-render --y4m -o a.png "$T_TMP/lit.qvol"
	expect_err "$T_TMP/nope" qhb-render --cpu "$T_TMP/nope"
	head -c $(($(wc -c <"$T_TMP/lit.qvol") - 100)) "$T_TMP/lit.qvol" >"$T_TMP/trunc.qvol"
	expect_err 'qhb-render: ' sh -c "qhb-render --cpu <'$T_TMP/trunc.qvol' >/dev/null"
	expect_err 'No space left' sh -c "qhb-render --cpu --size 8x8 <'$T_TMP/lit.qvol' >/dev/full"
	expect_err 'qhb-render: ' qhb-render --cpu -o "$T_TMP/nodir/x-%d.png" "$T_TMP/lit.qvol"
	qhb-render --help | grep -q -- '--turntable'
	qhb-render -V | grep -q '^qhb-render '
	qhb-render --bogus 2>&1 | grep -q '^usage: qhb-render' && true
	! qhb-render --bogus 2>/dev/null
}

t lit_voxel lit_voxel
t slice_stack slice_stack
t time_lapse time_lapse
t gpu_time_lapse gpu_time_lapse
t deltas deltas
t sheet_overlays sheet_overlays
t cpu_vs_vulkan cpu_vs_vulkan
t y4m_ffmpeg y4m_ffmpeg
t errors errors
t gpu_errors gpu_errors
