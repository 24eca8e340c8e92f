"""Ports, temporary directories and processes: everything started here is stopped by its PID."""

import os
import signal
import socket
import subprocess
import time


def free_port():
    """A loopback TCP port that was free a moment ago (bind to port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pid_alive(pid):
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    # The state follows the parenthesised command name, which may itself contain ')'.
    state = stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3]
    return state not in (b"Z", b"X")


def pid_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def wait_pid_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.02)
    return not pid_alive(pid)


def stop_pid(pid, timeout=5.0, sig=signal.SIGTERM):
    """Stops one process by PID: sig, wait up to timeout, then SIGKILL."""
    return stop_pids([pid], timeout, sig)


def stop_pids(pids, timeout=5.0, sig=signal.SIGTERM):
    """Stops processes by PID, all at once: sig to each, wait up to timeout for them all,
    then SIGKILL to those still there. Returns the PIDs that needed SIGKILL."""
    live = []
    for pid in pids:
        if pid_alive(pid):
            try:
                os.kill(pid, sig)
                live.append(pid)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + timeout
    while live and time.monotonic() < deadline:
        live = [p for p in live if pid_alive(p)]
        if live:
            time.sleep(0.02)
    killed = []
    for pid in live:
        try:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        except ProcessLookupError:
            pass
    for pid in killed:
        wait_pid_gone(pid, 5.0)
    return killed


class Proc:
    """A child process started by the tests, output to files, stopped by PID."""

    def __init__(self, argv, stdout_path, stderr_path=None, env=None, cwd=None, pass_fds=()):
        self.argv = list(argv)
        self.stdout_path = stdout_path
        self.stderr_path = stderr_path or stdout_path
        out = open(stdout_path, "ab")
        err = out if self.stderr_path == stdout_path else open(self.stderr_path, "ab")
        try:
            self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=err, env=env, cwd=cwd, pass_fds=pass_fds)
        finally:
            out.close()
            if err is not out:
                err.close()
        self.pid = self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def stop(self, timeout=5.0, sig=signal.SIGTERM):
        if self.popen.poll() is not None:
            return self.popen.returncode
        try:
            self.popen.send_signal(sig)
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait(5)


def read_tail(path, offset=0, max_bytes=6000):
    """The text of path from offset on, at most its last max_bytes."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            end = f.tell()
            start = max(offset, end - max_bytes)
            f.seek(start)
            data = f.read()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace")
    if start > offset:
        text = "[...]\n" + text
    return text


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def children_of(ppid):
    """PIDs of the live processes whose parent is ppid."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rindex(b")") + 2:].split()
        if len(rest) > 1 and int(rest[1]) == ppid and rest[0] not in (b"Z", b"X"):
            out.append(int(name))
    return sorted(out)
