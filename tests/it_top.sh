#!/bin/bash
# vgpufs-top against a real daemon: batch mode's lines, and the full screen
# for real in tmux (keys sent, the screen read back with capture-pane),
# including the daemon dying under it.
set -euo pipefail
source "$(dirname "$0")/harness.sh"
: "${VGPUFS_TOP:?path of vgpufs-top}"
command -v tmux >/dev/null || { echo "tmux is not installed (scripts/install-deps.sh)"; exit 1; }
start_daemon --vram 64M --workers 2
work=$(mktemp -d /tmp/vgpufs-top-test-XXXXXX)
tm=(tmux -S "$work/tmux" -f /dev/null) # a server of our own, its socket in $work
loads=()
cleanup() {
	"${tm[@]}" kill-server 2>/dev/null || true
	((${#loads[@]})) && kill "${loads[@]}" 2>/dev/null || true
	stop_daemon
	rm -rf "$work"
}
trap cleanup EXIT

# Two clients under names of their own: one keeps both workers busy with
# gemms and owns a 1 MiB buffer it created itself; one only waits.
cp /bin/bash "$work/vgpu-load"
cp /bin/bash "$work/vgpu-idle"
start_load() {
	truncate -s 1M "$mnt/mem/A" "$mnt/mem/B" "$mnt/mem/C"
	"$work/vgpu-load" -c 'printf "%*s" 1048576 "" >"$1/mem/L"
		exec 3<>"$1/queue"
		while :; do
			for i in 1 2 3 4; do echo "gemm a=A b=B c=C m=512 n=512 k=512" >&3; done
			for i in 1 2 3 4; do read -r r <&3 || exit; done
		done' load "$mnt" 2>/dev/null &
	loadpid=$!
	"$work/vgpu-idle" -c 'exec 3<>"$1/queue"; read -r r <&3' idle "$mnt" 2>/dev/null &
	idlepid=$!
	loads+=("$loadpid" "$idlepid")
}
start_load

# --- usage ---------------------------------------------------------------
check "--help" prints "usage: vgpufs-top *Keys: q quit*" "$VGPUFS_TOP" --help
check "--version" prints "vgpufs-top 0.1.0" "$VGPUFS_TOP" --version
check "a bad delay: 2" status 2 "$VGPUFS_TOP" -b -d 0 "$mnt"
check "a bad count: 2" status 2 "$VGPUFS_TOP" -b -n x "$mnt"
check "a bad sort column: 2" status 2 "$VGPUFS_TOP" -b -s nosuch "$mnt"
check "two devices: 2" status 2 "$VGPUFS_TOP" -b "$mnt" "$mnt"
check "not a terminal without -b: 2" status 2 "$VGPUFS_TOP" "$mnt" </dev/null
check "not a terminal: says so" says "vgpufs-top: not a terminal: use -b*" "$VGPUFS_TOP" "$mnt" </dev/null
check "batch: no device there, exit 1" status 1 "$VGPUFS_TOP" -b -n 1 "$work"
check "batch: and says why" says "vgpufs-top: $work: not a vgpufs device (is vgpufsd running?)" "$VGPUFS_TOP" -b -n 1 "$work"

# --- batch mode ------------------------------------------------------------
sleep 0.5 # the load is under way
batch=$("$VGPUFS_TOP" -b -n 2 -d 0.5 "$mnt")
second=$(awk '/^vgpufs-top - /{n++} n == 2' <<<"$batch")
has() { grep -Eq -- "$1" <<<"$2" || { echo "no line matches: $1"; echo "$2"; return 1; }; }
check "batch: two refreshes" test "$(grep -c "^vgpufs-top - $mnt - [0-9:]* up [0-9:]*, vgpufsd 0.1.0$" <<<"$batch")" = 2
check "batch: the workers" has '^Workers: 2, [0-9.]+% busy$' "$batch"
check "batch: worker lines" has '^Worker 1: [0-9.]+% busy, running [a-z-]+$' "$batch"
check "batch: the workload keeps them busy" has '^Workers: 2, ([1-9][0-9]|100)\.[0-9]% busy$' "$second"
check "batch: the memory tier" has '^Tier ram: [0-9]+ of 67108864 bytes used \([0-9.]+%\)$' "$batch"
check "batch: rates" has '^Rates: [1-9][0-9.]* commands/s, 0.0 failed/s, [0-9.]+ GFLOP/s, [0-9.]+ GB/s$' "$second"
check "batch: the table's header" has '^ +PID USER +CTX +QUEUED INFLIGHT RUNNING +GPU% +TIME +MEM COMMAND$' "$batch"
check "batch: the load's row: pid, user, 1 context, busy, 1 MiB it created" \
	has "^ +$loadpid root +1 +[0-9]+ +[0-9]+ [a-z-]+ +[1-9][0-9.]* +[0-9.]+ +1048576 vgpu-load$" "$second"
check "batch: the idle one's row" has "^ +$idlepid root +1 +0 +0 - +0.0 +0.000 +0 vgpu-idle$" "$batch"
rows=$(grep -E ' vgpu-(load|idle)$' <<<"$second" | awk '{print $NF}' | tr '\n' ' ')
check "batch: sorted by GPU%, busiest first" test "$rows" = "vgpu-load vgpu-idle "
rows=$("$VGPUFS_TOP" -b -n 1 -s pid "$mnt" | grep -E ' vgpu-(load|idle)$' | awk '{print $1}' | tr '\n' ' ')
check "batch: -s pid sorts by pid" test "$rows" = "$loadpid $idlepid "
rows=$("$VGPUFS_TOP" -b -n 1 -s pid -r "$mnt" | grep -E ' vgpu-(load|idle)$' | awk '{print $1}' | tr '\n' ' ')
check "batch: -r reverses" test "$rows" = "$idlepid $loadpid "

# a user's kernel by program and kernel: two launches, one out of bounds
printf '__kernel void twice(__global float *x) { x[get_global_id(0)] *= 2.0f; }\n' >"$mnt/mem/twice.cl"
truncate -s 4K "$mnt/mem/tw"
exec 4<>"$mnt/queue"
echo 'launch prog=twice.cl kernel=twice global=1024 x=tw' >&4
read -r r <&4
echo 'launch prog=twice.cl kernel=twice global=2048 x=tw' >&4
read -r r <&4
exec 4>&-
check "batch: a user's kernel, its launches and failures" \
	has '^User kernel twice.cl:twice uid 0: 2 launches, 1 failed, [0-9]+\.[0-9]{6} seconds, [1-9][0-9]* bytes$' "$("$VGPUFS_TOP" -b -n 1 "$mnt")"

# --- the full screen in tmux ------------------------------------------------
screen() { "${tm[@]}" capture-pane -p -t top; }
# shows PATTERN: passes when the screen has a line matching PATTERN (ERE)
# within 5 s
shows() {
	for _ in $(seq 50); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	echo "no line matches: $1"; screen; return 1
}
# lacks PATTERN: passes when no line matches PATTERN within 5 s
lacks() {
	for _ in $(seq 50); do
		screen | grep -Eq -- "$1" || return 0
		sleep 0.1
	done
	echo "a line matches: $1"; screen; return 1
}
alive() { # the program still runs (it has not exited, nor crashed)
	[ ! -e "$work/status" ] || { echo "it exited: $(cat "$work/status")"; return 1; }
	"${tm[@]}" has-session -t top
}
# The screen in a tmux session "top"; its exit status goes to $work/status.
start_screen() { # [OPTIONS]: -d 0.3 unless given
	"${tm[@]}" kill-session -t top 2>/dev/null || true
	rm -f "$work/status"
	"${tm[@]}" new-session -d -s top -x 120 -y 40 \
		"TERM=xterm-256color '$VGPUFS_TOP' ${*:--d 0.3} '$mnt'; echo \$? >'$work/status'; sleep 60"
}
exited() { # STATUS: the program exits with STATUS within 2 s
	for _ in $(seq 20); do [ -e "$work/status" ] && break; sleep 0.1; done
	[ "$(cat "$work/status" 2>/dev/null)" = "$1" ] || { echo "status: $(cat "$work/status" 2>&1)"; return 1; }
}
# A session that outlives the screen's, so that the server never exits
# between two of them (a client could meet the one on its way out).
"${tm[@]}" new-session -d -s keep "sleep 600"
start_screen
check "screen: the header" shows "^ vgpufs-top 0\.1\.0  $mnt  vgpufsd 0\.1\.0  up [0-9:]+  2 workers +[0-9:]+ ?$"
check "screen: worker meters, busy" shows '^ +0\[\|+.* gemm +[0-9.]+%\]$'
check "screen: the second worker" shows '^ +1\[.*%\]$'
check "screen: the memory meter" shows '^ ram\[\|* +[0-9.]+M/64M\]$'
check "screen: the summary" shows '^ Util [0-9.]+%  Commands [0-9.]+/s  Failed 0.0/s  [0-9.]+ GFLOP/s'
check "screen: users' kernels" shows '^ User kernels:  twice\.cl:twice 2 \(1 failed, [0-9]+\.[0-9]{2} s\)$'
check "screen: graphs of utilization and commands" shows '^Utilization [0-9.]+% \(of 100%\) +Commands/s [0-9.]+k? \(max'
check "screen: graphs of GFLOP/s and memory" shows '^GFLOP/s [0-9.]+ \(max [0-9.]+\) +Memory [0-9.]+M \(of 64M\)$'
check "screen: the table's header" shows '^ +PID USER +CTX +QUEUED INFLIGHT RUNNING +GPU% +TIME +MEM COMMAND$'
check "screen: the load's row" shows "^ +$loadpid root +1 +[0-9]+ +[0-9]+ [a-z-]+ +[1-9][0-9.]* +[0-9]+:[0-9.]+ +1\.0M vgpu-load$"
check "screen: the idle one's row" shows "^ +$idlepid root +1 +0 +0 - +0\.0 +0:00\.00 +0 vgpu-idle$"
check "screen: the key line" shows '^ q Quit  h Help  p Pause  s/</> Sort: GPU% desc  r Reverse$'
check "screen: exactly 40 lines" test "$(screen | wc -l)" = 40
colours() { "${tm[@]}" capture-pane -p -e -t top | grep -q $'\e\\[3[1-6]m'; }
check "screen: in colour" colours
order() { screen | grep -E ' vgpu-(load|idle)$' | awk '{print $NF}' | tr '\n' ' '; }
check "screen: busiest first" test "$(order)" = "vgpu-load vgpu-idle "

# sorting
"${tm[@]}" send-keys -t top s
check "s: sorts by the next column" shows 'Sort: TIME desc'
"${tm[@]}" send-keys -t top '<' '<' '<' '<' '<' '<' '<'
check "<: back through the columns to PID" shows 'Sort: PID asc'
check "sorted by pid" test "$(order)" = "vgpu-load vgpu-idle "
"${tm[@]}" send-keys -t top r
check "r: reverses" shows 'Sort: PID desc'
check "reverse order of pids" test "$(order)" = "vgpu-idle vgpu-load "
"${tm[@]}" send-keys -t top r '>' '>' '>' '>' '>' '>'
check "> back to GPU%" shows 'Sort: GPU% desc'

# help
"${tm[@]}" send-keys -t top h
check "h: the help" shows 'this help; any key closes it'
check "the help lists pause" shows 'p space +pause / resume'
"${tm[@]}" resize-window -t top -x 100 -y 35
sleep 0.6 # a refresh or two
check "the help stays through a resize" shows 'this help; any key closes it'
"${tm[@]}" resize-window -t top -x 120 -y 40
"${tm[@]}" send-keys -t top x
check "any key closes the help" lacks 'any key closes it'
check "and the table is back" shows ' vgpu-load$'
"${tm[@]}" send-keys -t top '?'
check "?: the help too" shows 'this help; any key closes it'
"${tm[@]}" send-keys -t top Escape
check "closed again" lacks 'any key closes it'

# pause: nothing changes until resumed
"${tm[@]}" send-keys -t top p
check "p: paused" shows '\[PAUSED\]$'
check "the key line offers to resume" shows ' p Resume '
first=$(screen | sed -n 2,5p)
sleep 1
check "paused: the meters stand still" test "$(screen | sed -n 2,5p)" = "$first"
"${tm[@]}" send-keys -t top Space
check "space: resumed" lacks 'PAUSED'

# resize
"${tm[@]}" resize-window -t top -x 80 -y 24
# tmux clips the old screen to the new size at once, so the header is there
# before the program has redrawn: wait for the key line on the new last line.
last_line() { # N: the key line is line N within 5 s
	for _ in $(seq 50); do
		[[ $(screen | sed -n "${1}p") == " q Quit  h Help"* ]] && return 0
		sleep 0.1
	done
	screen; return 1
}
check "resize: the key line on the last line" last_line 24
check "resize: the header" shows '^ vgpufs-top 0\.1\.0  '
check "resize: 24 lines" test "$(screen | wc -l)" = 24
check "resize: none wider than 80" test "$(screen | LC_ALL=C.UTF-8 wc -L)" -le 80
check "resize: the table" shows "^ +$loadpid root "

"${tm[@]}" resize-window -t top -x 30 -y 6
check "resize: too small says so" shows '^terminal too small'
"${tm[@]}" resize-window -t top -x 120 -y 40
check "resize: back to full size" shows "^ +$loadpid root .* vgpu-load$"
check "resize: still running" alive

# a stopped daemon blocks reads: the screen says so and keeps answering keys
kill -STOP "$pid"
check "daemon stopped: the screen says so" shows "^ +$mnt: no answer for [0-9]+ s \(is vgpufsd stopped\?\)$"
"${tm[@]}" send-keys -t top h
check "daemon stopped: keys still work" shows 'this help; any key closes it'
"${tm[@]}" send-keys -t top x
check "daemon stopped: the help closes" lacks 'any key closes it'
"${tm[@]}" send-keys -t top q
check "daemon stopped: q quits at once, status 0" exited 0
kill -CONT "$pid"
start_screen
check "daemon continued: the view is back" shows "^ +$loadpid root .* vgpu-load$"
check "daemon continued: still running" alive

# the daemon dies under it: a message, no crash, and it comes back
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
check "daemon killed: the screen says so" shows "^ +$mnt: the device's daemon is gone \(is vgpufsd running\?\)$"
check "daemon killed: and retries" shows 'retrying every 0\.3 s; q quits'
check "daemon killed: still running" alive
umount -l "$mnt"
check "unmounted: not a vgpufs device" shows "^ +$mnt: not a vgpufs device \(is vgpufsd running\?\)$"
"${tm[@]}" send-keys -t top h
check "help without a device" shows 'this help; any key closes it'
"${tm[@]}" send-keys -t top x
check "unmounted: still running" alive
"$VGPUFSD" --foreground --log-level warning --vram 64M --workers 2 "$mnt" &
pid=$!
check "a new daemon: found again" shows "^ vgpufs-top 0\.1\.0  $mnt  vgpufsd 0\.1\.0  up "
check "a new daemon: its meters" shows '^ ram\[ +0/64M\]$'

# q quits with status 0
"${tm[@]}" send-keys -t top q
check "q: exits 0" exited 0
start_screen -n 3 -d 0.2
check "-n 3: exits after 3 refreshes" exited 0

# batch mode when the device goes away: a message and status 1
"$VGPUFS_TOP" -b -d 0.2 "$mnt" >"$work/batch.out" 2>"$work/batch.err" &
top=$!
sleep 0.5
stop_daemon
rc=0
wait "$top" || rc=$?
check "batch: the device went away, exit 1" test "$rc" = 1
check "batch: and says why" grep -Eq "^vgpufs-top: $mnt: (not a vgpufs device|the device's daemon is gone) \(is vgpufsd running\?\)$" "$work/batch.err"
check "batch: after printing refreshes" grep -q "^vgpufs-top - $mnt - " "$work/batch.out"

summary
