"""503: storage the worker cannot use answers 503 with Retry-After and the contract's error
body, stores nothing, and recovers once the cause is gone."""

import fcntl
import os
import time

from lib.base import StackTestCase, today_utc
from lib.servers import NginxStack


def retry_after(resp):
    value = resp.header("Retry-After")
    return int(value) if value is not None and value.isdigit() else None


class LockTimeoutNginxTest(StackTestCase):
    stack_class = NginxStack
    stack_kwargs = {"extra": {"lock_timeout_ms": 300}}

    def test_503_lock_timeout(self):
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/l.first"))
        day = today_utc()
        lock_path = os.path.join(self.stack.data_dir, f"{day}-v1.itslog.lock")
        self.assertTrue(os.path.exists(lock_path), "no lock file beside the day file")
        before = self.count()
        fd = os.open(lock_path, os.O_RDWR)
        try:
            # Both kinds of lock, so the test holds whichever the worker takes.
            fcntl.flock(fd, fcntl.LOCK_EX)
            fcntl.lockf(fd, fcntl.LOCK_EX)
            t0 = time.monotonic()
            r = self.req("PUT", f"/v1/event/{self.app}/l.blocked")
            elapsed = time.monotonic() - t0
            self.assertError(r, 503, "lock_timeout")
            self.assertIsNotNone(retry_after(r), f"no Retry-After: {r!r}")
            self.assertGreaterEqual(elapsed, 0.25, "answered before lock_timeout_ms")
            self.assertLess(elapsed, 5.0, "lock_timeout_ms not honoured")
            r = self.log([{"event": "l.batch", "app": self.app}])
            self.assertError(r, 503, "lock_timeout")
            self.assertIsNotNone(retry_after(r), f"no Retry-After: {r!r}")
            self.assertNothingStored(before)
        finally:
            os.close(fd)  # releases both
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/l.after"))
        self.assertEqual([r["event"] for r in self.rows(self.app)], ["l.first", "l.after"])
        self.assertChainOk()


class StorageUnavailableNginxTest(StackTestCase):
    stack_class = NginxStack

    def test_503_when_data_dir_is_unusable(self):
        data = self.stack.data_dir
        moved = data + ".moved"
        os.rename(data, moved)
        with open(data, "w") as f:
            f.write("not a directory\n")
        try:
            r = self.req("GET", "/healthz", key=None)
            self.assertStatus(r, 503)
            body = self.json_body(r)
            self.assertEqual(body.get("status"), "unavailable", r)
            self.assertIsInstance(body.get("reason"), str, r)
            self.assertIsNotNone(retry_after(r), f"no Retry-After: {r!r}")
            r = self.req("PUT", f"/v1/event/{self.app}/x.e")
            self.assertError(r, 503, "storage_unavailable")
            self.assertIsNotNone(retry_after(r), f"no Retry-After: {r!r}")
            r = self.log({"event": "x.e", "app": self.app})
            self.assertError(r, 503, "storage_unavailable")
        finally:
            os.unlink(data)
            os.rename(moved, data)
        self.assertEqual(self.count(), 0)
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/x.after"))
        self.assertStatus(self.req("GET", "/healthz", key=None), 200)
        self.assertEqual([r["event"] for r in self.rows(self.app)], ["x.after"])
        self.assertChainOk()
