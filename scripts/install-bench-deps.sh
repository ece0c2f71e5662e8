#!/usr/bin/env bash
# Installs what bench/bench_kernels compares against besides OpenBLAS: an
# OpenCL CPU platform (PoCL) and the OpenCL headers, so that the next build
# includes the OpenCL comparison. Not needed to build, test or run vgpufs.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends pocl-opencl-icd \
	ocl-icd-opencl-dev opencl-headers
