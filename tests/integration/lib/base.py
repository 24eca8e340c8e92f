"""TestCase base: one private server stack per test class, request helpers, error-shape and
day-file assertions. On failure the runner prints server_logs() (what the servers and
workers wrote while the test ran)."""

import json
import os
import re
import time
import traceback
import unittest

from . import dayfile, http
from .config import APP_A
from .servers import MOUNT


class Settings:
    """Filled in by run.py."""
    build = "build"
    root_dir = None


ALL = object()  # default key: the all-apps ingest+read key
NO_KEY = None

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


class StackTestCase(unittest.TestCase):
    stack_class = None    # a servers.Stack subclass
    stack_kwargs = {}
    stack = None
    start_error = None
    skip_reason = None

    @classmethod
    def setUpClass(cls):
        cls.stack = None
        cls.start_error = None
        cls.skip_reason = None
        missing = cls.stack_class.missing_tools()
        if missing:
            cls.skip_reason = f"not installed: {', '.join(missing)}"
            return
        try:
            cls.stack = cls.stack_class(Settings.build, Settings.root_dir, cls.__name__,
                                        **cls.stack_kwargs)
            cls.stack.start()
        except Exception:  # reported by every test of the class, with the logs
            cls.start_error = traceback.format_exc()
            if cls.stack is not None:
                cls.start_error += "\n" + cls.stack.logs_since()

    @classmethod
    def tearDownClass(cls):
        if cls.stack is not None:
            cls.stack.stop()

    def setUp(self):
        if self.skip_reason:
            self.skipTest(self.skip_reason)
        if self.start_error:
            self.fail("the server stack did not start:\n" + self.start_error)
        self._log_offsets = self.stack.log_offsets()
        self.t0_us = int(time.time() * 1e6)
        # An app of its own per test, so that per-app caps and counts don't interfere.
        name = self._testMethodName.replace("test_", "", 1).replace("_", "-")
        self.app = ("t." + name)[:100]

    def server_logs(self):
        if self.stack is None:
            return ""
        return self.stack.logs_since(getattr(self, "_log_offsets", None))

    # Requests ---------------------------------------------------------------------------
    @property
    def keys(self):
        return self.stack.keys

    def req(self, method, path, body=None, key=ALL, headers=None, bearer=False, mount=MOUNT):
        """A request to <mount><path>; key ALL (default) is the all-apps key, None sends
        none. The API key goes in X-API-Key, or as Authorization: Bearer when bearer."""
        hdrs = dict(headers or {})
        if key is ALL:
            key = self.keys.all
        if key is not None:
            if bearer:
                hdrs["Authorization"] = f"Bearer {key}"
            else:
                hdrs["X-API-Key"] = key
        return http.request(self.stack.port, method, mount + path, body, hdrs)

    def log(self, body, **kw):
        return self.req("POST", "/v1/log", body, **kw)

    # Assertions -------------------------------------------------------------------------
    def assertStatus(self, resp, status, msg=""):
        self.assertEqual(resp.status, status, f"{msg} response: {resp!r}")

    def assertNoContent(self, resp):
        self.assertStatus(resp, 204)
        self.assertEqual(resp.body, b"", f"204 with a body: {resp!r}")

    def json_body(self, resp):
        ctype = resp.header("Content-Type", "")
        self.assertTrue(ctype.startswith("application/json"),
                        f"Content-Type {ctype!r} is not JSON: {resp!r}")
        try:
            return resp.json()
        except ValueError as e:
            self.fail(f"body is not JSON ({e}): {resp!r}")

    def assertErrorObject(self, err, code=None, field=ALL, where="error"):
        """err is the inner {"code","message"[,"field"]} object."""
        self.assertIsInstance(err, dict, f"{where}: {err!r}")
        extra = set(err) - {"code", "message", "field"}
        self.assertFalse(extra, f"{where}: unexpected members {extra}: {err!r}")
        self.assertIsInstance(err.get("code"), str, f"{where}: code: {err!r}")
        self.assertRegex(err["code"], SNAKE, f"{where}: code not snake_case: {err!r}")
        self.assertIsInstance(err.get("message"), str, f"{where}: message: {err!r}")
        self.assertTrue(err["message"].strip(), f"{where}: empty message: {err!r}")
        if "field" in err:
            self.assertIsInstance(err["field"], str, f"{where}: field: {err!r}")
            self.assertTrue(err["field"], f"{where}: field present but empty: {err!r}")
        if code is not None:
            self.assertEqual(err["code"], code, f"{where}: {err!r}")
        if field is not ALL:
            self.assertEqual(err.get("field"), field, f"{where}: field: {err!r}")

    def assertError(self, resp, status, code=None, field=ALL):
        """status, and the contract's body {"error":{"code","message"[,"field"]}}."""
        self.assertStatus(resp, status)
        body = self.json_body(resp)
        self.assertIsInstance(body, dict, f"error body: {resp!r}")
        self.assertEqual(set(body), {"error"}, f"error body members: {resp!r}")
        self.assertErrorObject(body["error"], code, field, where=f"{resp!r}")
        return body["error"]

    def assertNothingStored(self, before, what=""):
        self.assertEqual(self.count(), before, f"rows were stored by a rejected request {what}")

    # Day files --------------------------------------------------------------------------
    def count(self):
        return dayfile.count_rows(self.stack.data_dir)

    def rows(self, app=None, event=None):
        rows = dayfile.all_rows(self.stack.data_dir)
        if app is not None:
            rows = [r for r in rows if r["app"] == app]
        if event is not None:
            rows = [r for r in rows if r["event"] == event]
        return rows

    def assertRow(self, row, app, event, type_=3, value=None, is_unique=0):
        got = {k: row[k] for k in ("app", "event", "type", "value", "is_unique")}
        want = dict(app=app, event=event, type=type_, value=value, is_unique=is_unique)
        self.assertEqual(got, want, f"row seq {row['seq']} of {row['day']}")
        now = int(time.time() * 1e6)
        self.assertTrue(self.t0_us - 2_000_000 <= row["ts"] <= now + 2_000_000,
                        f"ts {row['ts']} not within this test's run [{self.t0_us}, {now}]")
        day = time.strftime("%Y-%m-%d", time.gmtime(row["ts"] / 1e6))
        self.assertEqual(day, row["day"], "the row's file is not the UTC day of its ts")

    def assertChainOk(self):
        problems = dayfile.verify_dir(self.stack.data_dir)
        self.assertEqual(problems, [], "day file check failed")


def today_utc():
    return time.strftime("%Y-%m-%d", time.gmtime())


__all__ = ["StackTestCase", "Settings", "ALL", "NO_KEY", "APP_A", "MOUNT", "today_utc",
           "dayfile", "http", "json", "os"]
