#!/bin/sh
# Conway's Game of Life on the device, from the shell: the kernels of
# life.cl step a board held in two mem/ buffers, taking turns (each step
# reads one and writes the other), and every K-th generation is written out
# as a PGM image with cat. No tool but the shell's.
#
# usage: life.sh [-n STEPS] [-k K] [-s WxH] [DEVICE [OUTDIR [START.pgm]]]
#   STEPS  generations to run (default 100)
#   K      a frame every K generations (default 1; at most 1000)
#   WxH    the size of a random start board (default 256x256)
#   DEVICE the device's mount point (default /dev/vgpu0)
#   OUTDIR where frame-0000.pgm (the start), frame-K.pgm, ... go
#          (default ./life)
#   START  a binary PGM ("P5", maxval 255, no comments) whose pixels of 128
#          and more are live cells; its size is the board's. Without one
#          the board starts random.
# Then, e.g.: convert -delay 5 -scale 400% life/frame-*.pgm life.gif
set -eu
steps=100 every=1 size=256x256
while getopts n:k:s: opt; do
	case $opt in
	n) steps=$OPTARG ;;
	k) every=$OPTARG ;;
	s) size=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
dev=${1:-/dev/vgpu0} out=${2:-life} start=${3:-}
here=$(dirname "$0")
[ "$every" -ge 1 ] && [ "$every" -le 1000 ] || { echo "life.sh: -k: 1 to 1000" >&2; exit 2; }
mem=$dev/mem
a=life-$$-a b=life-$$-b # this run's two boards
trap 'rm -f "$mem/life.cl" "$mem/$a" "$mem/$b"' EXIT
mkdir -p "$out"

if [ -n "$start" ]; then
	set -- $(head -n 3 "$start") # P5 W H 255
	[ "$#" = 4 ] && [ "$1" = P5 ] && [ "$4" = 255 ] ||
		{ echo "life.sh: $start: not a P5 image of maxval 255 without comments" >&2; exit 2; }
	w=$2 h=$3
	# the pixels follow the header's three lines
	tail -c +$(($(head -n 3 "$start" | wc -c) + 1)) "$start" >"$mem/$b"
else
	w=${size%x*} h=${size#*x}
	head -c $((w * h)) /dev/urandom >"$mem/$b"
fi
[ "$(wc -c <"$mem/$b")" -eq $((w * h)) ] || { echo "life.sh: the start has not $w x $h pixels" >&2; exit 2; }
cp "$here/life.cl" "$mem/life.cl" # a program is a buffer
truncate -s $((w * h)) "$mem/$a"

frame() { # GENERATION BOARD: the board as OUTDIR/frame-GENERATION.pgm
	{
		printf 'P5\n%d %d\n255\n' "$w" "$h"
		cat "$mem/$2"
	} >"$(printf '%s/frame-%04d.pgm' "$out" "$1")"
}
replies() { # N: reads N completions; stops at the first error
	i=0
	while [ "$i" -lt "$1" ]; do
		read -r reply <&3
		case $reply in *" err "*) echo "life.sh: $reply" >&2; exit 1 ;; esac
		i=$((i + 1))
	done
}

exec 3<>"$dev/queue" # one context: its commands run in order
echo "launch prog=life.cl kernel=life_start global=$w,$h image=$b board=$a w=$w h=$h" >&3
replies 1
frame 0 "$a"
gen=0 cur=$a next=$b
while [ "$gen" -lt "$steps" ]; do
	n=$((steps - gen < every ? steps - gen : every))
	i=0
	while [ "$i" -lt "$n" ]; do # K steps queued at once, then their replies
		echo "launch prog=life.cl kernel=life_step global=$w,$h src=$cur dst=$next w=$w h=$h" >&3
		t=$cur cur=$next next=$t i=$((i + 1))
	done
	replies "$n"
	gen=$((gen + n))
	frame "$gen" "$cur"
done
exec 3>&-
echo "life.sh: $steps generations of a $w x $h board, frames in $out/"
