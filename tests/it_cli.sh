#!/bin/bash
# The vgpu command line tool against a real daemon: outputs and the exit
# codes that docs/cli.md documents.
set -euo pipefail
source "$(dirname "$0")/harness.sh"
: "${VGPU:?path of the vgpu tool}"
start_daemon --vram 64M
export VGPU_DEVICE=$mnt

# usage
check "--help exits 0 and documents the exit codes" prints "*Exit status:*3  device unreachable*" "$VGPU" --help
for c in run info ls status; do
	check "$c --help" prints "usage: vgpu $c *" "$VGPU" "$c" --help
done
check "--version" prints "vgpu 0.1.0" "$VGPU" --version
check "no command: 2" status 2 "$VGPU"
check "unknown command: 2" status 2 "$VGPU" frobnicate
check "unknown option: 2" status 2 "$VGPU" --frobnicate
check "unknown subcommand option: 2" status 2 "$VGPU" ls --frobnicate
check "run without a line: 2" status 2 "$VGPU" run
check "run with only a comment: 2" status 2 "$VGPU" run '# nothing'
check "status with a bad timeout: 2" status 2 "$VGPU" status -t zero

# run
truncate -s 4096 "$mnt/mem/x"
check "run prints the completion" prints "1 ok fill [0-9]*" "$VGPU" run "fill buf=x value=2 n=1024"
check "the command ran" bash -c "[ \"\$(od -An -tf4 -j4092 -N4 '$mnt/mem/x' | tr -d ' ')\" = 2 ]"
check "run: a failing command exits 1" status 1 "$VGPU" run "fill buf=x value=2 n=2048"
check "run: and prints its error completion" prints "1 err EINVAL: fill: buffer 'buf' holds 4096 bytes, needs 8192 (n*4)" "$VGPU" run "fill buf=x value=2 n=2048"
check "run: an unknown kernel" prints "1 err ENOSYS: unknown kernel 'gemmm'*" "$VGPU" run gemmm
check "run: several lines, each on its own context" prints $'1 ok nop 0\n1 err ENOENT: *\n1 ok nop 0' "$VGPU" run nop "fill buf=nosuch value=1 n=1" nop
check "run: one failure among several exits 1" status 1 "$VGPU" run nop "fill buf=nosuch value=1 n=1" nop
check "run: -d after the command" prints "1 ok nop 0" env -u VGPU_DEVICE "$VGPU" run -d "$mnt" nop

# info
check "info prints the info file" prints "*protocol: 1*kernels: nop fill*" "$VGPU" info
check "info KEY prints the value" prints "67108864" "$VGPU" info tier.ram.capacity
check "info: an unknown key exits 4" status 4 "$VGPU" info nosuch
check "info: and says so" says "vgpu: info has no key 'nosuch'" "$VGPU" info nosuch
check "info: -d before the command" prints "1" env -u VGPU_DEVICE "$VGPU" -d "$mnt" info protocol

# ls
mkdir "$mnt/mem/run1"
truncate -s 5M "$mnt/mem/run1/weights"
chmod 600 "$mnt/mem/run1/weights"
chown 4321:4322 "$mnt/mem/x"
want_ls="NAME             SIZE  TIER  OWNER  GROUP  MODE
run1/               -  -     root   root   drwxr-xr-x
run1/weights  5242880  ram   root   root   -rw-------
x                4096  ram   4321   4322   -rw-r--r--"
check "ls lists buffers recursively" prints "$want_ls" "$VGPU" ls
check "ls -H: human sizes" prints "*run1/weights  5.0M  ram *x             4.0K  ram   4321*" "$VGPU" ls -H
check "ls -n: numeric owners" prints "*run1/               -  -     0      0      drwx*" "$VGPU" ls -n
check "ls DIR" prints $'NAME             SIZE  TIER  OWNER  GROUP  MODE\nrun1/weights  5242880  ram   root   root   -rw-------' "$VGPU" ls run1
check "ls: a missing DIR exits 4" status 4 "$VGPU" ls nosuch
check "ls: and prints no table" prints "" "$VGPU" ls nosuch
check "ls: a DIR outside mem/ is refused" status 4 "$VGPU" ls ../

# status
check "status: ok, exit 0" prints "$(basename "$mnt"): ok, 0.1.0, * workers, nop in * us, ram * of 64M used" "$VGPU" status
check "status -q prints nothing" prints "" "$VGPU" status -q
check "status -q exits 0" status 0 "$VGPU" status -q
plain=$(mktemp -d)
check "status: not a device, exit 3" status 3 "$VGPU" -d "$plain" status
check "status: and says so" says "vgpu: $plain is not a vgpufs device*" "$VGPU" -d "$plain" status
rmdir "$plain"
check "status: no such path, exit 3" status 3 "$VGPU" -d /nonexistent/vgpu status
check "run: device unreachable, exit 3" status 3 "$VGPU" -d /nonexistent/vgpu run nop
check "ls: device unreachable, exit 3" status 3 "$VGPU" -d /nonexistent/vgpu ls
# a daemon that does not answer (stopped): status gives up in time
kill -STOP "$pid"
check "status: a hung daemon, exit 3 after the timeout" status 3 timeout 10 "$VGPU" status -t 0.3
check "status: and says so" says "vgpu: $mnt: no answer within 0.3 s" timeout 10 "$VGPU" status -t 0.3
kill -CONT "$pid"
check "status: answers again" status 0 "$VGPU" status
# a daemon that is gone (killed): a stale mount
stop_daemon
start_daemon --vram 16M
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
check "status: a dead daemon, exit 3" status 3 "$VGPU" -d "$mnt" status
check "status: and says so" says "vgpu: $mnt: *" "$VGPU" -d "$mnt" status
summary
