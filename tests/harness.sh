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

# Prints the summary; the exit status for the test.
summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
