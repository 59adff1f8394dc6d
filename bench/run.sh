#!/bin/sh
# Runs every benchmark in bench/.  The diagnoses (*-diag.sh: where a GPU
# pass's time goes, on an H100) are run by hand.
set -e
for b in "$(dirname "$0")"/*.sh; do
	case $b in */run.sh|*/lib.sh|*-diag.sh) continue ;; esac
	echo "== $(basename "$b")"
	sh "$b"
done
