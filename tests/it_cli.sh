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
for c in run info ls status trace; do
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
# trace
check "trace: bad seconds, exit 2" status 2 "$VGPU" trace --seconds 0
check "trace: too many arguments, exit 2" status 2 "$VGPU" trace "$mnt" "$mnt"
check "trace: device unreachable, exit 3" status 3 "$VGPU" trace -s 0.1 /nonexistent/vgpu
check "trace: an unwritable FILE, exit 4" status 4 "$VGPU" trace -s 0.1 -o /nonexistent/f.json
tmp=$(mktemp -d)
# a program whose name needs escaping in JSON: a quote, a backslash, a byte
# that is not UTF-8, a UTF-8 letter
weird=$'q"\\\xff\xc3\xa9<'
cp /bin/bash "$tmp/$weird"
truncate -s 1M "$mnt/mem/ta" "$mnt/mem/tb" "$mnt/mem/tc"
"$VGPU" trace --seconds 2 -o "$tmp/f.json" &
tpid=$!
sleep 0.5
"$tmp/$weird" -c "exec 3<>'$mnt/queue'
for i in 1 2 3; do
	echo 'gemm a=ta b=tb c=tc m=256 n=256 k=256' >&3; echo nop >&3
done
for i in 1 2 3 4 5 6; do read -r r <&3; done"
"$VGPU" run 'fill buf=ta value=1 n=262144' 'fill buf=nosuch value=1 n=1' >/dev/null || true
# a program compiled, then found compiled
echo '__kernel void k(__global float *p) { p[get_global_id(0)] = 1; }' >"$mnt/mem/k.cl"
"$VGPU" run 'build prog=k.cl' 'build prog=k.cl' >/dev/null
trc=0
wait "$tpid" || trc=$?
check "trace: exit 0" test "$trc" = 0
read -r -d '' check_json <<'PY' || true
import json, sys
ev = json.load(open(sys.argv[1], encoding="utf-8"))["traceEvents"]
workers = int(sys.argv[2])
meta = {(e["pid"], e["tid"], e["name"]): e["args"] for e in ev if e["ph"] == "M"}
assert meta[(1, 0, "process_name")]["name"] == "workers", meta
assert meta[(2, 0, "process_name")]["name"] == "contexts", meta
for w in range(workers):
    assert meta[(1, w, "thread_name")]["name"] == "worker %d" % w, meta
xs = [e for e in ev if e["ph"] == "X"]
used = {e["tid"] for e in xs if e["pid"] == 1}
assert used and max(used) < workers, used
ctxs = {t: a["name"] for (p, t, n), a in meta.items()
        if p == 2 and n == "thread_name"}
assert len(ctxs) >= 3, ctxs  # the odd shell's, and one per line of vgpu run
for t in ctxs:
    assert any(e["pid"] == 2 and e["tid"] == t for e in xs), ctxs[t]
odd = [n for n in ctxs.values() if 'q"\\' in n]
assert odd and "\ufffd\u00e9<" in odd[0], ctxs
assert {"gemm", "nop", "fill"} <= {e["name"] for e in xs if e["pid"] == 2}
assert {"gemm", "fill"} <= {e["name"] for e in xs if e["pid"] == 1} <= {"gemm", "fill", "build"}
assert any(e["args"]["status"] == "ENOENT" and "nosuch" in e["args"]["msg"]
           for e in xs if e["pid"] == 2)
assert meta[(3, 0, "process_name")]["name"] == "compiles", meta
comp = [e for e in xs if e["pid"] == 3]
assert [e["name"] for e in comp] == ["compile k.cl"], comp
assert comp[0]["dur"] > 0 and comp[0]["args"]["status"] == "ok", comp
assert comp[0]["args"]["command"] == "build", comp
hits = [e for e in ev if e["ph"] == "i" and e["pid"] == 3]
assert [e["name"] for e in hits] == ["cached k.cl"], hits
assert hits[0]["ts"] >= comp[0]["ts"] + comp[0]["dur"], (hits, comp)
for e in comp + hits:  # on a track named as the context
    assert meta[(3, e["tid"], "thread_name")]["name"] == ctxs[e["tid"]], e
for track in {(e["pid"], e["tid"]) for e in xs}:  # spans never overlap
    s = sorted((e["ts"], e["ts"] + e["dur"]) for e in xs
               if (e["pid"], e["tid"]) == track)
    for a, b in zip(s, s[1:]):
        assert b[0] > a[1], (track, a, b)
PY
check "trace: JSON with a track per worker and per context" /usr/bin/python3 -c "$check_json" "$tmp/f.json" "$("$VGPU" info workers)"
check "trace -o -: JSON on stdout" bash -c "'$VGPU' trace -s 0.2 -o - | /usr/bin/python3 -c 'import json, sys; json.load(sys.stdin)'"
check "trace: Ctrl-C ends it early, with the JSON" bash -c "timeout --preserve-status -s INT 0.5 '$VGPU' trace -s 30 -o '$tmp/int.json' && /usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' '$tmp/int.json'"
rm -rf "$tmp"

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
