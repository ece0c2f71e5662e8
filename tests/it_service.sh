#!/bin/bash
# vgpufsd as systemd runs it: the installed unit passes systemd-analyze
# verify, and its ExecStart line, run by hand under the unit's capability
# bounding set, no_new_privs and MemoryDenyWriteExecute (as prctl MDWE),
# with NOTIFY_SOCKET and WATCHDOG_USEC set, serves a device, tells READY=1
# only once the mount answers, pings the watchdog while it serves and not
# while it is stopped or its workers are busy, and logs with levels.
# (PID 1 here is not systemd, so the unit itself cannot be started.)
set -euo pipefail
source "$(dirname "$0")/harness.sh"
: "${VGPU:?path of the vgpu tool}" "${VGPU_BUILD_DIR:?build directory}" "${VGPUFS_DOCS:?docs}"
here=$(cd "$(dirname "$0")" && pwd)
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing: apt-get install systemd"; exit 1; }
command -v setpriv >/dev/null || { echo "setpriv missing: apt-get install util-linux"; exit 1; }

work=$(mktemp -d /tmp/vgpufs-service-XXXXXX)
index=t$$ # the instance: mounts /dev/vgpu$index
dev=/dev/vgpu$index
pid='' listener=''
cleanup() {
	[ -z "$pid" ] || { kill -CONT "$pid"; kill "$pid"; wait "$pid"; } 2>/dev/null || true
	[ -z "$listener" ] || { kill "$listener"; wait "$listener"; } 2>/dev/null || true
	umount -l "$dev" 2>/dev/null || true
	rmdir "$dev" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# --- the unit, installed
prefix=$work/prefix
cmake --install "$VGPU_BUILD_DIR" --prefix "$prefix" >/dev/null
unit=$prefix/lib/systemd/system/vgpufsd@.service
check "the unit is installed" test -f "$unit"
check "the example configuration is installed" test -f "$prefix/share/doc/vgpufs/examples/vgpu.conf.example"
check "ExecStart names the installed daemon" grep -q "^ExecStart=$prefix/sbin/vgpufsd --foreground " "$unit"
verify() { # UNITFILE: verify passes and has nothing to say (unknown keys only warn)
	local out
	out=$(systemd-analyze verify "$1" 2>&1) && [ -z "$out" ] || { echo "$out"; return 1; }
}
mkdir "$work/units"
ln -s "$unit" "$work/units/vgpufsd@$index.service" # an instance of the template
check "systemd-analyze verify: the template" verify "$unit"
check "systemd-analyze verify: an instance" verify "$work/units/vgpufsd@$index.service"
sed 's/^WatchdogSec=.*/WatchdogSek=30/' "$unit" > "$work/units/broken@$index.service"
check "systemd-analyze verify: a misspelt key is caught" bash -c "! systemd-analyze verify '$work/units/broken@$index.service' 2>/dev/null | grep -q . && systemd-analyze verify '$work/units/broken@$index.service' 2>&1 | grep -q WatchdogSek"
check "the unit has a watchdog and restarts" bash -c "grep -q '^WatchdogSec=' '$unit' && grep -q '^Restart=on-failure' '$unit' && grep -q '^Type=notify' '$unit'"
check "no option that hides the mount from the host" bash -c "! grep -E '^(ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|PrivateMounts|ProtectKernelTunables|ProtectKernelModules|ProtectKernelLogs|ProtectControlGroups|ProtectProc|ProcSubset|ReadWritePaths|ReadOnlyPaths|InaccessiblePaths|TemporaryFileSystem|BindPaths|BindReadOnlyPaths|MountFlags)=' '$unit'"

# --- its ExecStart line, by hand: %i expanded, the config directory moved
# to a temporary one, under the unit's restrictions.
exec_line() {
	sed -n 's/^ExecStart=//p' "$unit" | sed "s|%i|$index|g; s|/etc/vgpufs/|$work/etc/|g"
}
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
mkdir "$work/etc"
# shellcheck disable=SC2046
start_service() { # LOGFILE WATCHDOG_USEC: starts it with a notify listener
	rm -f "$work/notify"
	/usr/bin/python3 "$here/notify_listen.py" "$work/notify" "$dev" > "$work/listen.log" &
	listener=$!
	for _ in $(seq 200); do [ -S "$work/notify" ] && break; sleep 0.01; done
	NOTIFY_SOCKET=$work/notify WATCHDOG_USEC=$2 setpriv --bounding-set "-all,$caps" --inh-caps -all --no-new-privs \
		/usr/bin/python3 -c 'import ctypes, os, sys
# PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN: what MemoryDenyWriteExecute= forbids
if ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) != 0: sys.exit("prctl(PR_SET_MDWE) failed")
os.execv(sys.argv[1], sys.argv[1:])' $(exec_line) 2> "$1" &
	pid=$!
	for _ in $(seq 500); do grep -q READY=1 "$work/listen.log" && break; sleep 0.01; done
}
stop_service() {
	kill -CONT "$pid" 2>/dev/null || true
	kill "$pid"
	local rc=0
	wait "$pid" || rc=$?
	pid=''
	sleep 0.2 # the listener prints STOPPING=1
	kill "$listener"; wait "$listener" 2>/dev/null || true
	listener=''
	return $rc
}
exited_0() { # RUN RC LOG: the exit status, and the log's end when it is not 0
	check "$1: exits 0 on SIGTERM (got $2)" test "$2" = 0
	[ "$2" = 0 ] || tail -n 20 "$3"
}
contains() { [[ $2 == *"$1"* ]] || { echo "got: $2"; return 1; }; }
pings() { grep -c 'WATCHDOG=1' "$work/listen.log" || true; }
answers() { "$VGPU" -d "$dev" status -q -t 5; }

# Run 1: no config file (it is optional), the default log level, a 1 s
# watchdog.
start_service "$work/log1" 1000000
check "READY=1 arrives" grep -q "READY=1" "$work/listen.log"
check "READY=1 only once the mount answers" grep -qx "ready-check: ok" "$work/listen.log"
check "STATUS= says what it serves" grep -q "STATUS=serving $dev, 0 contexts, [0-9]* workers" "$work/listen.log"
check "the mount is visible and answers" answers
before=$(pings); sleep 2.2; after=$(pings)
check "WATCHDOG=1 every half interval (4 in 2.2 s, got $((after - before)))" test $((after - before)) -ge 3 -a $((after - before)) -le 6
check "docs/examples/gemm.sh (OpenBLAS) runs under the unit's restrictions" sh "$VGPUFS_DOCS/examples/gemm.sh" "$dev"
check "docs/examples/fft_numpy.py (FFTW) runs under the unit's restrictions" /usr/bin/python3 "$VGPUFS_DOCS/examples/fft_numpy.py" "$dev"
check "vgpu status: 0 while it serves" answers
kill -STOP "$pid"
sleep 0.7 # a ping already on its way may still land
before=$(pings); sleep 1.5; after=$(pings)
check "no WATCHDOG=1 while the daemon is stopped" test "$before" = "$after"
said=$("$VGPU" -d "$dev" status -t 0.5 2>&1) && rc=0 || rc=$?
check "vgpu status: 3 when the daemon does not answer (got $rc)" test "$rc" = 3
check "vgpu status: and says why" contains "$dev: no answer within 0.5 s" "$said"
kill -CONT "$pid"
sleep 1.5
check "pings again once it runs" test "$(pings)" -gt "$after"
rc=0; stop_service || rc=$?
exited_0 "run 1" "$rc" "$work/log1"
check "STOPPING=1 arrives" grep -q "STOPPING=1" "$work/listen.log"
check "nothing after STOPPING=1" bash -c "! sed -n '/STOPPING=1/,\$p' '$work/listen.log' | tail -n +2 | grep -q ."
said=$("$VGPU" -d "$dev" status 2>&1) && rc=0 || rc=$?
check "vgpu status: 3 when nothing is mounted (got $rc)" test "$rc" = 3
check "vgpu status: and says why" contains "vgpu: $dev" "$said"
check "log lines carry a level: <N>vgpufsd:" bash -c "! grep -qv '^<[0-7]>vgpufsd: ' '$work/log1' && grep -q '^<6>vgpufsd: serving' '$work/log1'"
check "no debug lines at the default level" bash -c "! grep -q '^<7>' '$work/log1'"

# Run 2: a config file (one worker, debug log) and a 0.1 s watchdog; a
# softmax over one row of 16M elements keeps the one worker in a single
# tile (a row is not cut; a gemm is, into steps of a few ms, between which
# the heartbeat is answered) for longer than the 50 ms the heartbeat may
# take, so the pings stop meanwhile.
printf 'workers = 1\nlog-level = debug # the config file is read\n' > "$work/etc/vgpu$index.conf"
start_service "$work/log2" 100000
check "config file: one worker" grep -q "STATUS=serving $dev, 0 contexts, 1 workers" "$work/listen.log"
check "config file: debug lines appear with log-level = debug" grep -q '^<7>vgpufsd: ' "$work/log2"
n=$((16 << 20))
for m in X Y; do truncate -s $((n * 4)) "$dev/mem/$m"; done
long_rows() { # four long single-tile commands; waits for their completions
	exec 3<>"$dev/queue"
	local i reply
	for i in 1 2 3 4; do echo "log_softmax x=X out=Y rows=1 cols=$n" >&3; done
	for i in 1 2 3 4; do
		read -r reply <&3
		[[ $reply == "$i ok log_softmax "* ]] || { echo "$reply"; return 1; }
	done
	exec 3>&-
}
check "softmax rows of 16M elements on one worker" timeout 200 bash -c "$(declare -f long_rows); dev=$dev n=$n long_rows"
sleep 0.3 # the next probe
check "the pings stop while no worker answers (the log says so)" grep -q "watchdog: $dev does not answer (no worker answered)" "$work/log2"
check "and it says when it answers again" grep -q "watchdog: $dev answers again" "$work/log2"
rc=0; stop_service || rc=$?
exited_0 "run 2" "$rc" "$work/log2"
summary
