#!/bin/sh
# build.sh OUTDIR -- builds the demo guest that qhb-vm boots by default.
#
#   OUTDIR/vmlinuz         Debian's current cloud kernel (linux-image-*-cloud-amd64)
#   OUTDIR/config          that kernel's build configuration
#   OUTDIR/kernel-version  "package NAME", "version DEBVER", "release UNAME-R"
#   OUTDIR/initrd.img      gzip'd newc cpio: busybox-static, its applet links
#                          and tests/guest/init
#
# The kernel boots from the initramfs alone (no modules) with the console on
# ttyS0.  Work is cached: the kernel is fetched again only when apt offers a
# different version, and the initramfs is rebuilt only when busybox, init or
# this script change.  The .deb is unpacked in a temporary directory that is
# removed on exit; only the files above stay in OUTDIR.
set -eu

die() { echo "build.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: sh tests/guest/build.sh OUTDIR"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
busybox=/bin/busybox
init=$here/init
[ -x "$busybox" ] || die "$busybox missing: apt-get install busybox-static"
[ -f "$init" ] || die "$init missing"
for c in apt-get apt-cache dpkg-deb cpio gzip sha256sum; do
	command -v "$c" >/dev/null 2>&1 || die "$c not found"
done

# One build at a time per OUTDIR (make may run this once per target).
exec 9>"$out/.lock"
if command -v flock >/dev/null 2>&1; then
	flock 9
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qhb-guest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# --- the kernel --------------------------------------------------------------

# resolve: prints the versioned package that linux-image-cloud-amd64 depends
# on, e.g. linux-image-6.1.0-56-cloud-amd64, or nothing.
resolve() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: *\(linux-image-[^ ]*-cloud-amd64\)$/\1/p' |
		head -n 1
}

pkg=$(resolve)
if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
	echo "build.sh: no apt lists; running apt-get update" >&2
	apt-get update -q >/dev/null 2>&1 || true
	pkg=$(resolve)
fi
have_pkg=$(sed -n 's/^package //p' "$out/kernel-version" 2>/dev/null || true)
have_ver=$(sed -n 's/^version //p' "$out/kernel-version" 2>/dev/null || true)
if [ -z "$pkg" ]; then
	# Offline, or not root without apt lists: a cached kernel will do.
	[ -n "$have_pkg" ] && [ -f "$out/vmlinuz" ] ||
		die "cannot resolve linux-image-cloud-amd64 (apt-cache depends); run apt-get update as root"
	echo "build.sh: apt cannot resolve the kernel; keeping $have_pkg" >&2
	pkg=$have_pkg
	ver=$have_ver
else
	ver=$(apt-cache policy "$pkg" 2>/dev/null |
		sed -n 's/^ *Candidate: *//p' | head -n 1)
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no candidate version for $pkg"
fi

if [ "$pkg" != "$have_pkg" ] || [ "$ver" != "$have_ver" ] ||
    [ ! -s "$out/vmlinuz" ]; then
	echo "build.sh: fetching $pkg $ver" >&2
	(cd "$tmp" && apt-get download -q "$pkg=$ver" >/dev/null 2>&1) ||
		die "apt-get download $pkg=$ver failed"
	deb=
	for f in "$tmp"/*.deb; do
		[ -f "$f" ] && deb=$f
	done
	[ -n "$deb" ] || die "apt-get download left no .deb"
	dpkg-deb -x "$deb" "$tmp/kernel"
	rm -f "$deb"
	release=${pkg#linux-image-}
	[ -f "$tmp/kernel/boot/vmlinuz-$release" ] ||
		die "$pkg has no boot/vmlinuz-$release"
	cp "$tmp/kernel/boot/vmlinuz-$release" "$out/vmlinuz.new"
	cp "$tmp/kernel/boot/config-$release" "$out/config.new" 2>/dev/null ||
		: >"$out/config.new"
	rm -rf "$tmp/kernel"
	mv "$out/vmlinuz.new" "$out/vmlinuz"
	mv "$out/config.new" "$out/config"
	printf 'package %s\nversion %s\nrelease %s\n' "$pkg" "$ver" "$release" \
	    >"$out/kernel-version.new"
	mv "$out/kernel-version.new" "$out/kernel-version"
fi

# --- the initramfs -----------------------------------------------------------

stamp=$( (sha256sum "$busybox" "$init" "$0" | cut -d' ' -f1) | tr '\n' ' ')
if [ ! -s "$out/initrd.img" ] ||
    [ "$(cat "$out/.initrd-inputs" 2>/dev/null)" != "$stamp" ]; then
	echo "build.sh: building initrd.img" >&2
	root=$tmp/root
	mkdir -p "$root/bin" "$root/sbin" "$root/dev" "$root/proc" "$root/sys" \
	    "$root/tmp" "$root/var/log" "$root/www" "$root/etc" "$root/root"
	cp "$busybox" "$root/bin/busybox"
	for a in $("$busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
	done
	cp "$init" "$root/init"
	chmod 755 "$root/init"
	# The worker is a script so that its comm is "qhb-worker".
	cat >"$root/bin/qhb-worker" <<'EOF'
#!/bin/sh
# Keeps changing guest memory: 256 KiB of fresh random bytes in tmpfs every
# second.  Silent.  Waits with the read builtin, not sleep, so that it forks
# only head.
mkfifo /tmp/qhb-worker.fifo 2>/dev/null
while :; do
	head -c 262144 /dev/urandom >/tmp/qhb-worker.dat 2>/dev/null
	read -t 1 x <>/tmp/qhb-worker.fifo
done
EOF
	chmod 755 "$root/bin/qhb-worker"
	echo '<html><body>qhb demo guest</body></html>' >"$root/www/index.html"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	# A console node lets the kernel give init its stdio; without root,
	# init reopens /dev/console itself after mounting devtmpfs.
	mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
	(cd "$root" && find . | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -9 -n >"$out/initrd.img.new"
	mv "$out/initrd.img.new" "$out/initrd.img"
	echo "$stamp" >"$out/.initrd-inputs"
fi

# make compares these with build.sh and init: mark them current.
touch "$out/vmlinuz" "$out/initrd.img"
