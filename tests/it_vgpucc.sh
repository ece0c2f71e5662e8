#!/bin/bash
# The vgpucc compiler tool on real files: the test kernels compile to IR
# text and binary, diagnostics and exit codes are the ones docs/compiler.md
# documents, -D, -U and -I work.
set -euo pipefail
source "$(dirname "$0")/harness.sh"
: "${VGPUCC:?path of the vgpucc tool}"
cl=$(cd "$(dirname "$0")/cl" && pwd)
dir=$(mktemp -d /tmp/vgpucc-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

# starts_with_magic FILE: the binary IR's first bytes are "VCLIR".
starts_with_magic() { [ "$(head -c 5 "$1")" = VCLIR ]; }

# usage
check "--help documents the exit codes" prints "usage: vgpucc *Exit status:*2  wrong usage" "$VGPUCC" --help
check "--version" prints "vgpucc [0-9]*.[0-9]*.[0-9]* (IR [0-9]*.[0-9]*)" "$VGPUCC" --version
check "no input file: 2" status 2 "$VGPUCC"
check "no input file: says so with the usage" says $'vgpucc: no input file\nusage: vgpucc *' "$VGPUCC"
check "two input files: 2" status 2 "$VGPUCC" "$cl/saxpy.cl" "$cl/reduce.cl"
check "an unknown option: 2" status 2 "$VGPUCC" --frobnicate "$cl/saxpy.cl"
check "an unknown short option: named" says "vgpucc: unknown option '-x'*" "$VGPUCC" -x "$cl/saxpy.cl"
check "-o without its argument: 2" status 2 "$VGPUCC" "$cl/saxpy.cl" -o

# the test kernels in the lowered subset
for kk in saxpy:saxpy reduce:reduce_sum matmul_tiled:matmul_tiled; do
	k=${kk%%:*} name=${kk#*:}
	check "$k: checks (no output, exit 0)" prints "" "$VGPUCC" "$cl/$k.cl"
	check "$k: -S prints the kernel" prints "vclir 0.2"$'\n'"kernel void @* $name(*" "$VGPUCC" -S "$cl/$k.cl"
	check "$k: -S -o writes the same text" bash -c "'$VGPUCC' -S -o $k.txt '$cl/$k.cl' && diff $k.txt <('$VGPUCC' -S '$cl/$k.cl')"
	check "$k: -o writes binary IR" bash -c "'$VGPUCC' -o $k.bin '$cl/$k.cl'"
	check "$k: which starts with the magic" starts_with_magic $k.bin
	check "$k: and names the kernel" grep -q "$name" $k.bin
done
check "-o - writes the binary to stdout" bash -c "'$VGPUCC' -o - '$cl/saxpy.cl' | cmp - saxpy.bin"

# diagnostics
printf '__kernel void k(__global float *p)\n{\n\tp[0] = missing;\n\tp[1] = 1.0f +;\n}\n' >two.cl
check "two errors: exit 1" status 1 "$VGPUCC" two.cl
check "two errors: both, as FILE:LINE:COL" says $'two.cl:4:15: error: expected an expression, found \';\'\ntwo.cl:3:9: error: use of undeclared identifier \'missing\'' "$VGPUCC" two.cl
check "an error writes no output" bash -c "! '$VGPUCC' -o two.bin two.cl 2>/dev/null && [ ! -e two.bin ]"
printf '#warning careful\n__kernel void k(__global int *p) { p[0] = 1; }\n' >warn.cl
check "a warning: exit 0" status 0 "$VGPUCC" warn.cl
check "a warning: printed" says "warn.cl:1:2: warning: #warning careful" "$VGPUCC" warn.cl
printf '__kernel void k(__global int *q)\n{\n\t__global int *a[2];\n\ta[0] = q;\n}\n' >ptrmem.cl
check "not lowered yet: exit 1" status 1 "$VGPUCC" ptrmem.cl
check "not lowered yet: named" says "ptrmem.cl:3:*: error: not lowered yet: pointers in memory*" "$VGPUCC" ptrmem.cl
printf '__kernel void k(__global int *p, __global int *q)\n{\n\tp[0] = p < q;\n}\n' >ptrcmp.cl
check "pointer comparisons: lowered" status 0 "$VGPUCC" ptrcmp.cl
check "vectors, structs, as_T, convert_T_sat: lowered" status 0 "$VGPUCC" "$cl/vector_ops.cl"

# -D and -U
printf '__kernel void k(__global float *p)\n{\n\tp[0] = SCALE;\n}\n' >scale.cl
check "-D NAME=VALUE: used" prints "*const f32 2.5*" "$VGPUCC" -S -D SCALE=2.5f scale.cl
check "-DNAME=VALUE: the same" prints "*const f32 4*" "$VGPUCC" -S -DSCALE=4.0f scale.cl
check "-D NAME: is 1" prints "*sitofp f32*" "$VGPUCC" -S -D SCALE scale.cl
check "without -D: an error" says "scale.cl:3:9: error: use of undeclared identifier 'SCALE'" "$VGPUCC" scale.cl
check "-U after -D: undefined again" status 1 "$VGPUCC" -D SCALE=1.0f -U SCALE scale.cl
check "-D after -U: defined" prints "*const f32 8*" "$VGPUCC" -S -U SCALE -D SCALE=8.0f scale.cl
printf '#ifndef __ENDIAN_LITTLE__\n#error gone\n#endif\n' >predef.cl
check "-U a predefined macro" says "predef.cl:2:2: error: #error gone" "$VGPUCC" -U __ENDIAN_LITTLE__ predef.cl
check "which is there without -U" status 0 "$VGPUCC" predef.cl
check "-D with a bad name: at <command line>" says "<command line>:*error:*" "$VGPUCC" -D 1x scale.cl

# #include
mkdir -p src inc
printf '#define SCALE 3.0f\n' >inc/scale.h
printf '#include "scale.h"\n__kernel void k(__global float *p) { p[0] = SCALE; }\n' >src/quoted.cl
printf '#include <scale.h>\n__kernel void k(__global float *p) { p[0] = SCALE; }\n' >src/angled.cl
check "\"x\" through -I" prints "*const f32 3*" "$VGPUCC" -S -I inc src/quoted.cl
check "<x> through -I" prints "*const f32 3*" "$VGPUCC" -S -I inc src/angled.cl
check "\"x\" without -I: not found" says "src/quoted.cl:1:2: error: cannot include 'scale.h': file not found*" "$VGPUCC" src/quoted.cl
printf '#define SCALE 5.0f\n' >src/scale.h
check "\"x\": the including file's directory first" prints "*const f32 5*" "$VGPUCC" -S -I inc src/quoted.cl
check "<x>: never the including file's directory" says "src/angled.cl:1:2: error: cannot include 'scale.h': file not found*" "$VGPUCC" src/angled.cl
printf '#include "../inc/deeper.h"\n' >inc/nested.h
printf '#define SCALE 6.0f\n' >inc/deeper.h
printf '#include <nested.h>\n__kernel void k(__global float *p) { p[0] = SCALE; }\n' >src/nested.cl
check "a header's \"x\": from the header's directory" prints "*const f32 6*" "$VGPUCC" -S -I inc src/nested.cl
printf '__kernel void k(__global float *p) { p[0] = SCALE; }\n' >"$dir/inc/abs.h"
printf '#define SCALE 7.0f\n#include "%s"\n' "$dir/inc/abs.h" >src/abs.cl
check "an absolute name" prints "*const f32 7*" "$VGPUCC" -S src/abs.cl
printf '#define X 1\n#error here\n' >hdr.h
printf '#include "hdr.h"\n' >err.cl
check "an error in a header: names the header" says "hdr.h:2:2: error: #error here" "$VGPUCC" err.cl

# files
check "a missing file: exit 1" status 1 "$VGPUCC" nosuch.cl
check "a missing file: says so" says "vgpucc: cannot read 'nosuch.cl': No such file or directory" "$VGPUCC" nosuch.cl
check "a directory: says so" says "vgpucc: cannot read '.': Is a directory" "$VGPUCC" .
truncate -s 17M big.cl
check "a file over 16 MiB: exit 1" status 1 "$VGPUCC" big.cl
check "a file over 16 MiB: says so" says "vgpucc: 'big.cl' is larger than 16 MiB, the most a source may hold" "$VGPUCC" big.cl
printf '#include "big.cl"\n' >bighdr.cl
check "a header over 16 MiB: refused" says "bighdr.cl:1:2: error: cannot include 'big.cl': file too large" "$VGPUCC" bighdr.cl
check "an output that cannot be written: exit 1" status 1 "$VGPUCC" -o nodir/x.bin "$cl/saxpy.cl"
check "an output that cannot be written: says so" says "vgpucc: cannot write 'nodir/x.bin': No such file or directory" "$VGPUCC" -o nodir/x.bin "$cl/saxpy.cl"

summary
