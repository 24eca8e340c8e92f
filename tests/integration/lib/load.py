"""Concurrent clients for the load tests: each request's outcome is recorded."""

import threading
import time

from . import http

BAD_WORDS = ("SQLITE_BUSY", "database is locked", "database table is locked", "lock_timeout")


class Outcome:
    __slots__ = ("kind", "name", "values", "status", "body", "t_start", "t_end", "error")

    def __init__(self, kind, name, values):
        self.kind = kind        # "event" | "unique" | "batch" | "log"
        self.name = name        # event name
        self.values = values    # the distinct values this request carried
        self.status = None
        self.body = b""
        self.t_start = 0.0
        self.t_end = 0.0
        self.error = None       # a client-side exception (connection reset, ...)

    def ok(self):
        return self.status is not None and 200 <= self.status < 300

    def __repr__(self):
        return (f"<{self.kind} {self.name} {self.values[:3]} -> {self.status} "
                f"{self.body[:200]!r} {self.error!r}>")


def send(port, method, path, body, key, outcome, headers=None):
    hdrs = {"X-API-Key": key}
    if headers:
        hdrs.update(headers)
    outcome.t_start = time.monotonic()
    try:
        r = http.request(port, method, path, body, hdrs, timeout=60)
        outcome.status = r.status
        outcome.body = r.body
    except OSError as e:
        outcome.error = e
    outcome.t_end = time.monotonic()
    return outcome


def run_threads(n, target):
    """Runs target(i, barrier) in n threads that start together; waits for them all."""
    barrier = threading.Barrier(n)
    errors = []

    def wrap(i):
        try:
            target(i, barrier)
        except BaseException as e:  # reported by the test
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    if any(t.is_alive() for t in threads):
        errors.append(RuntimeError("a load thread did not finish within 300 s"))
    return errors
