#!/bin/sh
# What a mistake looks like: every command line gets exactly one completion,
# errors included, and the context keeps working after an error.
# usage: errors.sh [DEVICE]
set -eu
dev=${1:-/dev/vgpu0}
truncate -s 4096 "$dev/mem/small" # room for 1024 f32

exec 3<>"$dev/queue"
printf '%s\n' \
	"fill buf=small value=1 n=1024" \
	"fill buf=small value=1 n=2048" \
	"fill buf=nosuch value=1 n=1" \
	"gemmm a=x" \
	"nop" >&3
for i in 1 2 3 4 5; do
	read -r reply <&3
	echo "$reply"
done
exec 3>&-
rm "$dev/mem/small"
# prints:
# 1 ok fill 12
# 2 err EINVAL: fill: buffer 'buf' holds 4096 bytes, needs 8192 (n*4)
# 3 err ENOENT: fill: buf='nosuch': no such buffer in mem/
# 4 err ENOSYS: unknown kernel 'gemmm' (ls kernels/ lists them)
# 5 ok nop 0
