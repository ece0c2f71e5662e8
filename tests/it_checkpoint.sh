#!/bin/bash
# vgpu checkpoint and vgpu restore against real daemons: a tree of RAM- and
# disk-tier buffers checkpointed, the daemon restarted (RAM is gone),
# restored; contents, holes, modes, owners, mtimes and directory tiers.
set -euo pipefail
source "$(dirname "$0")/harness.sh"
: "${VGPU:?path of the vgpu tool}"
command -v setfattr >/dev/null || { echo "setfattr missing: apt-get install attr"; exit 1; }
work=$(mktemp -d /tmp/vgpufs-ckpt-XXXXXX)
chmod 755 "$work"
cleanup() { stop_daemon; rm -rf "$work"; }
start() { start_daemon --vram 64M --disk "$work/disk" --disk-size 256M "$@"; trap cleanup EXIT; export VGPU_DEVICE=$mnt; m=$mnt/mem; }
mkdir "$work/disk"
start
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

check "checkpoint --help" prints "usage: vgpu checkpoint *" "$VGPU" checkpoint --help
check "restore --help" prints "usage: vgpu restore *" "$VGPU" restore --help
check "checkpoint without DIR: 2" status 2 "$VGPU" checkpoint
check "restore: too many arguments: 2" status 2 "$VGPU" restore a b
check "checkpoint: device unreachable: 3" status 3 "$VGPU" -d /nonexistent checkpoint "$work/x"

# the tree: nested directories, a disk-tier directory, a buffer moved to
# disk, sizes from 0 to 3 MiB, a sparse one, modes, another owner
mkdir -p "$m/a/b/c" "$m/keep"
setfattr -n user.vgpu.tier -v disk "$m/keep"
mkdir "$m/keep/sub" # inherits the tier
head -c 3000000 /dev/urandom >"$m/a/rand"
head -c 100 /dev/urandom >"$m/a/b/c/small"
: >"$m/a/empty"
truncate -s 8M "$m/a/b/sparse"
printf 'middle' | dd of="$m/a/b/sparse" bs=1 seek=$((5 << 20)) conv=notrunc status=none
head -c 70000 /dev/urandom >"$m/keep/sub/w"
head -c 5000 /dev/urandom >"$m/moved"
setfattr -n user.vgpu.tier -v disk "$m/moved"
"$VGPU" run "fill buf=a/b/c/small value=1.5 n=16" >/dev/null
chmod 600 "$m/a/rand"
chmod 644 "$m/a/b/c/small"
chmod 775 "$m/a/b/c"
chown 4321:4322 "$m/a/rand" "$m/a/b"
touch -d '2020-02-03 04:05:06.789' "$m/a/empty"
for f in a/rand a/b/c/small a/empty a/b/sparse keep/sub/w moved; do cp "$m/$f" "$work/orig.${f//\//_}"; done
meta() { # the metadata to compare: name, type, mode, owner, size, tier
	(cd "$1" && find . -mindepth 1 | sort | while read -r f; do
		printf '%s %s %s %s ' "$f" "$(stat -c '%F %a %u:%g' "$f")" \
			"$([ -d "$f" ] || stat -c %s "$f")" \
			"$(getfattr --only-values -n user.vgpu.tier "$f" 2>/dev/null || echo -)"
		[ -d "$f" ] && echo || stat -c %y "$f"
	done)
}
meta "$m" >"$work/meta.before"

check "checkpoint: into a DIR that is not empty, exit 4" status 4 "$VGPU" checkpoint "$work"
check "checkpoint: summary line" prints "checkpoint: 4 buffers, * (11388708 bytes) in * s: $work/ram" "$VGPU" checkpoint "$work/ram"
check "checkpoint --all" prints "checkpoint: 6 buffers, *" "$VGPU" checkpoint --all "$work/all"
check "checkpoint: the buffers are plain files" cmp "$m/a/rand" "$work/ram/mem/a/rand"
check "checkpoint: RAM only by default" test ! -e "$work/ram/mem/keep/sub/w" -a ! -e "$work/ram/mem/moved" -a -d "$work/ram/mem/keep/sub"
check "checkpoint: holes stay holes" test "$(du -k "$work/ram/mem/a/b/sparse" | cut -f1)" -lt 1024
check "checkpoint: modes, owners, mtimes on the copies" test "$(stat -c '%a %u %g %y' "$work/ram/mem/a/rand" "$work/ram/mem/a/empty")" = "$(stat -c '%a %u %g %y' "$m/a/rand" "$m/a/empty")"
check "checkpoint: numpy reads a copy" /usr/bin/python3 -c "
import numpy, sys
a = numpy.fromfile(sys.argv[1], dtype=numpy.float32)
assert a.shape == (25,) and (a[:16] == 1.5).all(), a" "$work/ram/mem/a/b/c/small"
check "checkpoint: the manifest lists directory tiers" grep -qx "d 755 0 0 [0-9.]* 0 disk keep" "$work/ram/manifest"

# a new daemon: the RAM tier is empty, the disk tier kept what was there
stop_daemon
start
check "restart: RAM-tier buffers are gone (directories stay)" test ! -e "$m/a/rand" -a -d "$m/a/b"
check "restart: disk-tier ones are there" cmp "$m/keep/sub/w" "$work/orig.keep_sub_w"
check "restore: a directory that is not a checkpoint, exit 4" status 4 "$VGPU" restore "$work/disk"
check "restore: and says so" says "vgpu: $work/disk/manifest: No such file or directory (not a complete checkpoint)" "$VGPU" restore "$work/disk"
check "restore --all: an existing buffer, exit 4" status 4 "$VGPU" restore "$work/all"
check "restore: and names it" says "vgpu: mem/keep/sub/w exists (--force replaces it)" "$VGPU" restore "$work/all"
check "restore: nothing restored then" test ! -e "$m/a/rand"
check "restore" prints "restore: 4 buffers, * (11388708 bytes) in * s: $work/ram" "$VGPU" restore "$work/ram"
check "restore: again, exit 4" status 4 "$VGPU" restore "$work/ram"
check "restore --force --all" prints "restore: 6 buffers, *" "$VGPU" restore --force "$work/all"
meta "$m" >"$work/meta.after"
check "restore: names, modes, owners, sizes, tiers, mtimes" diff "$work/meta.before" "$work/meta.after"
for f in a/rand a/b/c/small a/empty a/b/sparse keep/sub/w moved; do
	check "restore: the bytes of $f" cmp "$m/$f" "$work/orig.${f//\//_}"
done
check "restore: a buffer created in keep/ now is on disk" bash -c ": >'$m/keep/new' && [ \"\$(getfattr --only-values -n user.vgpu.tier '$m/keep/new')\" = disk ]"

# a corrupt manifest: refused, nothing written outside mem/
cp -r "$work/ram" "$work/bad"
echo "f 644 0 0 0.0 1 ram ../../escape" >>"$work/bad/manifest"
check "restore: a manifest path with .., exit 4" status 4 "$VGPU" restore --force "$work/bad"
check "restore: and says where" says "vgpu: $work/bad/manifest:*: not a manifest line" "$VGPU" restore --force "$work/bad"
# a copy that is a symbolic link (to a file root may read): refused
cp -r "$work/ram" "$work/sym"
ln -sf /etc/passwd "$work/sym/mem/a/rand"
check "restore: a symbolic link in the checkpoint, exit 4" says "vgpu: $work/sym/mem/a/rand: not a plain file (symbolic links are not followed)" "$VGPU" restore --force "$work/sym"
check "restore: a refused checkpoint changes nothing" cmp "$m/a/rand" "$work/orig.a_rand"
rm -r "$work/sym/mem/a"
ln -s /etc "$work/sym/mem/a"
check "restore: a symbolic link to a directory, exit 4" status 4 "$VGPU" restore --force "$work/sym"

# a user who cannot read a buffer (another's, or their own 0200): fails,
# names it; --from a subtree of their own works
mkdir "$m/nob" "$work/u"
chown nobody "$work/u" "$m/nob"
as_nobody bash -c "head -c 4096 /dev/urandom >'$m/nob/x' && : >'$m/nob/wo' && chmod 200 '$m/nob/wo'"
check "checkpoint as a user: a buffer they cannot read, exit 4" status 4 as_nobody "$VGPU" checkpoint "$work/u/n1"
check "checkpoint as a user: names it" says "vgpu: $m/a/rand: Permission denied*vgpu: the checkpoint in $work/u/n1b is incomplete (it has no manifest): remove it" as_nobody "$VGPU" checkpoint "$work/u/n1b"
check "checkpoint as a user: no manifest" test ! -e "$work/u/n1/manifest"
check "checkpoint --from as a user: their 0200 buffer, exit 4" says "vgpu: $m/nob/wo: Permission denied*" as_nobody "$VGPU" checkpoint --from nob "$work/u/n3"
as_nobody chmod 600 "$m/nob/wo"
check "checkpoint --from as a user" prints "checkpoint: 2 buffers, *" as_nobody "$VGPU" checkpoint --from nob "$work/u/n2"
check "checkpoint --from: only that subtree" test "$(grep -c . "$work/u/n2/manifest")" = 4
rm -r "$m/nob"
check "restore as a user: their subtree" prints "restore: 2 buffers, *" as_nobody "$VGPU" restore "$work/u/n2"
check "restore as a user: bytes and owner" test "$(stat -c %U "$m/nob/x")" = nobody -a "$(cmp "$m/nob/x" "$work/u/n2/mem/nob/x" && echo same)" = same

check "checkpoint --from a nested directory" prints "checkpoint: 2 buffers, *" "$VGPU" checkpoint --from a/b/ "$work/nested"
check "checkpoint --from: its parents are there too" cmp "$work/nested/mem/a/b/c/small" "$work/orig.a_b_c_small"
rm -r "$m/a/b"
check "restore --from's checkpoint" prints "restore: 2 buffers, *" "$VGPU" restore "$work/nested"
check "restore: its bytes" cmp "$m/a/b/sparse" "$work/orig.a_b_sparse"
check "checkpoint --from ..: 2" status 2 "$VGPU" checkpoint --from ../x "$work/n4"

# docs/examples/checkpoint.sh, with this build's vgpu
mkdir "$work/bin" && ln -s "$VGPU" "$work/bin/vgpu"
want_example="1 ok fill *
checkpoint: 1 buffers, 4.0M (4194304 bytes) in * s: $work/ex
\[0.5 0.5 0.5\]
restore: 1 buffers, 4.0M (4194304 bytes) in * s: $work/ex
600 $m/run1/weights"
check "docs/examples/checkpoint.sh" prints "$want_example" env PATH="$work/bin:$PATH" sh "$(dirname "$0")/../docs/examples/checkpoint.sh" "$work/ex" "$mnt"

# a full file system under DIR: exit 4, no manifest
mkdir "$work/tiny"
if mount -t tmpfs -o size=1M tmpfs "$work/tiny" 2>/dev/null; then
	check "checkpoint: ENOSPC in DIR, exit 4" status 4 "$VGPU" checkpoint "$work/tiny/c"
	check "checkpoint: and says so" says "*No space left on device*" "$VGPU" checkpoint "$work/tiny/d"
	check "checkpoint: ENOSPC leaves no manifest" test ! -e "$work/tiny/c/manifest"
	umount "$work/tiny"
fi

# a device with less RAM than the checkpoint: the rest spills to disk
stop_daemon
mkdir "$work/disk2"
start_daemon --vram 2M --disk "$work/disk2" --disk-size 64M
trap cleanup EXIT
export VGPU_DEVICE=$mnt m=$mnt/mem
check "restore into 2M of RAM" prints "restore: 4 buffers, *" "$VGPU" restore "$work/ram"
check "restore: what did not fit went to disk" test "$(getfattr --only-values -n user.vgpu.tier "$m/a/b/sparse")" = disk
check "restore: the bytes of the spilled buffer" cmp "$m/a/b/sparse" "$work/orig.a_b_sparse"
dir_meta() { echo $(getfattr --only-values -n user.vgpu.tier "$m/keep/sub") $(stat -c '%a %u:%g' "$m/a/b/c" "$m/a/b"); }
check "restore on a new disk: directory tiers, modes, owners" prints "disk 775 0:0 755 4321:4322" dir_meta
summary
