#!/usr/bin/env bash
# Checks that the seed corpus has every kernel's seeds as fuzz_make_seeds
# writes them today (a kernel added without its seeds is fuzzed blind).
# Extra files in the corpus (regression inputs) are fine.
# usage: seeds_current.sh MAKE_SEEDS CORPUS
set -euo pipefail
make_seeds=$1 corpus=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/text" "$tmp/binary" "$tmp/exec"
"$make_seeds" "$tmp"
status=0
for f in "$tmp"/text/* "$tmp"/binary/* "$tmp"/exec/*; do
	rel=${f#"$tmp"/}
	if ! cmp -s "$f" "$corpus/$rel"; then
		echo "seed $rel is missing or out of date: run fuzz_make_seeds $corpus" >&2
		status=1
	fi
done
exit $status
