# Sourced by the shell tests: the real daemon on a fresh mount point, and
# named checks counted into a summary.
: "${VGPUFSD:?path of the daemon}"

# Starts vgpufsd with the extra options "$@" on a new $mnt; stopped at exit.
start_daemon() {
	mnt=$(mktemp -d /tmp/vgpufs-shell-XXXXXX)
	"$VGPUFSD" --foreground --log-level warning "$@" "$mnt" &
	pid=$!
	trap stop_daemon EXIT
	for _ in $(seq 500); do [ -e "$mnt/info" ] && break; sleep 0.01; done
}

stop_daemon() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	umount -l "$mnt" 2>/dev/null || true # only if the daemon died badly
	rmdir "$mnt" 2>/dev/null || true
}

passed=0 failed=0
check() { # NAME COMMAND...: passes when COMMAND succeeds
	local name=$1; shift
	if out=$("$@" 2>&1); then
		passed=$((passed + 1)); echo "ok: $name"
	else
		failed=$((failed + 1)); echo "FAIL: $name"; echo "$out" | sed 's/^/    /'
	fi
}

# status NUMBER COMMAND...: passes when COMMAND exits with NUMBER
status() {
	local want=$1 rc=0; shift
	"$@" >/dev/null 2>&1 || rc=$?
	[ "$rc" = "$want" ] || { echo "exit $rc, want $want: $*"; return 1; }
}
# prints GLOB COMMAND...: passes when COMMAND's stdout matches GLOB
prints() {
	local want=$1 got; shift
	got=$("$@" 2>/dev/null) || true
	[[ $got == $want ]] || { echo "got: $got"; echo "want: $want"; return 1; }
}
# says GLOB COMMAND...: passes when COMMAND's stderr matches GLOB
says() {
	local want=$1 got; shift
	got=$("$@" 2>&1 >/dev/null) || true
	[[ $got == $want ]] || { echo "got: $got"; echo "want: $want"; return 1; }
}

# Prints the summary; the exit status for the test.
summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
