#!/usr/bin/env bash
# Installs the Debian packages vgpufs builds, tests and benchmarks with.
# Run as root on Debian 12 (bookworm) or newer.
set -euo pipefail

packages=(
	build-essential cmake pkg-config meson ninja-build dpkg-dev
	fuse3 libfuse3-dev liburing-dev libnuma-dev
	libopenblas-pthread-dev libfftw3-dev
	check libncurses-dev libsystemd-dev
	python3-numpy util-linux procps
	python3-pytest python3-pip python3-setuptools # python/: the vgpu package
	python3-torch # python/tests: the GPT against PyTorch (test-only)
	tmux # tests/it_top.sh drives vgpufs-top in it
	systemd # systemd-analyze: the tests verify the unit with it
	attr # setfattr, getfattr: the tier example of docs/file-tree.md
	prometheus # promtool: the tests check the metrics file with it
	clang libclang-rt-14-dev # libFuzzer: scripts/fuzz.sh
	llvm-19-dev # jit/: the code generator (LLVM 19, the C API)
)
# Skip apt entirely when everything is already there (a second run is fast).
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
