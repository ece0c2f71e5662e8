#!/usr/bin/env bash
# Builds the newest libfuse3 that Debian's source packages offer into PREFIX,
# for systems whose own libfuse3 is older than vgpufs needs (3.16, for FUSE
# passthrough). The source comes from the same Debian mirror the machine
# already uses: a temporary deb-src list is built from the URI in the
# machine's own apt sources and used through private apt state, so the
# system's apt configuration is left untouched.
#
# usage: build-libfuse.sh PREFIX
set -euo pipefail

prefix=${1:?usage: build-libfuse.sh PREFIX}
here=$(cd "$(dirname "$0")" && pwd)
# Our fixes to the source (scripts/patches) and what a build did with them:
# a build made before a fix existed is made again.
patch_uring=$here/patches/libfuse-uring-submit-lock.patch
patch_exit=$here/patches/libfuse-uring-thread-exit.patch
stamp=$prefix/share/vgpufs-libfuse-patches
want_stamp="uring-submit-lock $(sha256sum "$patch_uring" | cut -c1-16)"
want_stamp+=" uring-thread-exit $(sha256sum "$patch_exit" | cut -c1-16)"
if [[ -f "$prefix/lib/pkgconfig/fuse3.pc" && -f $stamp ]] &&
	grep -q "^$want_stamp" "$stamp"; then
	exit 0
fi

mirror_uri() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f")
		[[ -n $uri ]] && { echo "${uri%/}"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/ && $i ~ /\/debian\/?$/) { print $i; exit } }' "$f")
		[[ -n $uri ]] && { echo "${uri%/}"; return; }
	done
	return 1
}

uri=$(mirror_uri) || { echo "build-libfuse: no Debian mirror found in the apt sources" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sources" "$work/lists/partial" "$work/src"

# Newest first: unstable carries FUSE-over-io_uring (3.18), trixie 3.17.
for suite in sid trixie; do
	cat >"$work/sources/src.sources" <<EOT
Types: deb-src
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
	apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/sources"
		-o "Dir::State::Lists=$work/lists" -o "APT::Sandbox::User=root" -qq)
	if apt-get "${apt_opts[@]}" update >/dev/null 2>&1 &&
		(cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only fuse3 >/dev/null 2>&1); then
		break
	fi
	rm -rf "$work/src"/* "$work/lists"/*Sources* 2>/dev/null || true
done
dsc=$(ls "$work"/src/fuse3_*.dsc 2>/dev/null | head -n1) || true
[[ -n $dsc ]] || { echo "build-libfuse: could not download the fuse3 source package" >&2; exit 1; }
dpkg-source --no-check -x "$dsc" "$work/src/fuse3" >/dev/null

cd "$work/src/fuse3"
# The io_uring reply race: patched where the source still flushes unlocked
# (a newer source that fixed it has no such loop and needs nothing).
uring_fix="not needed"
if grep -q 'io_uring_submit_and_wait(&queue->ring, 1);' lib/fuse_uring.c 2>/dev/null; then
	patch -p1 --quiet <"$patch_uring"
	uring_fix=applied
fi
# How queue threads end (cancelled in a handler; replies left unsubmitted):
# patched where the source cancels them while they serve requests.
exit_fix="not needed"
if grep -q 'pthread_cancel(queue->tid);' lib/fuse_uring.c 2>/dev/null &&
	! grep -q 'PTHREAD_CANCEL_DISABLE' lib/fuse_uring.c; then
	patch -p1 --quiet <"$patch_exit"
	exit_fix=applied
fi
meson setup build --prefix="$prefix" --libdir=lib --buildtype=release \
	-Dexamples=false -Dtests=false -Dutils=true -Duseroot=false \
	-Dinitscriptdir= -Dudevrulesdir="$prefix/lib/udev/rules.d" >/dev/null
ninja -C build install >/dev/null
mkdir -p "$(dirname "$stamp")"
echo "$want_stamp: submit lock $uring_fix, thread exit $exit_fix" >"$stamp"
echo "build-libfuse: installed libfuse $(pkg-config --modversion "$prefix/lib/pkgconfig/fuse3.pc") into $prefix"
