#!/bin/sh
# Checks that the Debian 12 packages qhb needs are installed.  As root it
# installs the missing ones; otherwise it prints the apt-get line to run and
# fails, so that make stops before a confusing compiler error.
#
#   sh tests/deps.sh          what building and running qhb needs
#   sh tests/deps.sh check    that, and what only the tests use: a browser
#                             for the demo page, ffmpeg for the video
#                             stream, GNU parallel for the examples
set -u
PKGS="build-essential clang libzstd-dev libxxhash-dev libjansson-dev zstd
qemu-system-x86 qemu-user busybox-static cpio mandoc socat libvulkan-dev glslc
mesa-vulkan-drivers libzydis-dev libz3-dev libelf-dev libpng-dev valgrind"
[ "${1:-}" = check ] && PKGS="$PKGS chromium ffmpeg parallel jq xxd file"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "qhb: missing Debian packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "qhb: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || { echo "qhb: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	{ echo "qhb: apt-get install$missing failed" >&2; exit 1; }
