#!/usr/bin/python3
"""The service manager's end of sd_notify, for it_service.sh.

notify_listen.py SOCKET MOUNTPOINT: binds the datagram socket SOCKET and
prints every message it receives, one line per message ("|" for newlines),
each prefixed by the seconds since it started. When a message holds
READY=1 it checks, before reading on, that MOUNTPOINT is a vgpufs mount
that answers, and prints "ready-check: ok" or "ready-check: REASON".
Ends on SIGTERM.
"""
import os
import signal
import socket
import subprocess
import sys
import time

path, mnt = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
t0 = time.monotonic()
print("listening", flush=True)


def ready_check():
    with open("/proc/self/mountinfo") as f:
        mounted = any(line.split()[4] == mnt and " fuse.vgpufs " in line for line in f)
    if not mounted:
        return "no vgpufs mount on " + mnt
    # In a child: a mount that does not answer would block us for good.
    try:
        r = subprocess.run(["cat", os.path.join(mnt, "info")], capture_output=True, timeout=2)
    except subprocess.TimeoutExpired:
        return "info did not answer within 2 s"
    return "ok" if r.returncode == 0 and r.stdout else "info unreadable"


while True:
    msg = sock.recv(4096).decode(errors="replace")
    print("%.3f %s" % (time.monotonic() - t0, msg.replace("\n", "|")), flush=True)
    if "READY=1" in msg.split("\n"):
        print("ready-check: " + ready_check(), flush=True)
