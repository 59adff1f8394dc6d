#!/bin/sh
# Runs every benchmark in bench/.
set -e
for b in "$(dirname "$0")"/*.sh; do
	case $b in */run.sh|*/lib.sh) continue ;; esac
	echo "== $(basename "$b")"
	sh "$b"
done
