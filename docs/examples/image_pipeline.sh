#!/bin/sh
# An image pipeline on the device with nothing but the shell and coreutils:
# a binary PGM in, a Gaussian blur and Sobel edges on the device, a PGM out.
# usage: image_pipeline.sh IN.pgm OUT.pgm [DEVICE]   (default /dev/vgpu0)
# IN.pgm: binary 8-bit PGM ("P5", maxval 255) with its header on three
# lines and no comments: "P5", "WIDTH HEIGHT", "255".
set -eu
in=$1 out=$2 dev=${3:-/dev/vgpu0}

{ read -r magic; read -r w h; read -r maxval; } <"$in"
[ "$magic" = P5 ] && [ "$maxval" = 255 ] || {
	echo "$in: not an 8-bit binary PGM" >&2
	exit 2
}
header=$((${#magic} + 1 + ${#w} + 1 + ${#h} + 1 + ${#maxval} + 1))

# Buffers are files: the pixels go straight into device memory.
tail -c +$((header + 1)) "$in" >"$dev/mem/pgm_in"
[ "$(stat -c %s "$dev/mem/pgm_in")" = $((w * h)) ] || {
	echo "$in: expected $((w * h)) pixels" >&2
	exit 2
}
truncate -s $((w * h)) "$dev/mem/pgm_soft" "$dev/mem/pgm_edges"

exec 3<>"$dev/queue" # one context: the commands run in order
echo "gaussian_blur x=pgm_in out=pgm_soft h=$h w=$w sigma=1.5 dtype=u8" >&3
echo "sobel x=pgm_soft out=pgm_edges h=$h w=$w dtype=u8" >&3
status=0
for step in blur sobel; do
	read -r reply <&3 # e.g. "1 ok gaussian_blur 412"
	echo "$step: $reply"
	case $reply in *" err "*) status=1 ;; esac
done
exec 3>&-

if [ $status = 0 ]; then
	{ printf 'P5\n%s %s\n255\n' "$w" "$h"; cat "$dev/mem/pgm_edges"; } >"$out"
	echo "wrote $out ($w x $h)"
fi
rm -f "$dev/mem/pgm_in" "$dev/mem/pgm_soft" "$dev/mem/pgm_edges"
exit $status
