#!/usr/bin/env python3
"""storage: s3, end to end: two itslog workers behind nginx write each event as its own JSON
object to a local S3 server, and `itslog import-s3` turns a day of them into a day file.

Against moto_server (which honours If-None-Match: *): concurrent writers in two processes
never overwrite each other (objects == acknowledged events, every value exactly once), a
unique event is stored once across workers, an idempotency key once; with S3 down or failing
the worker answers 503 storage_unavailable with Retry-After and claims nothing it did not
store; the per-app cap on event names per day holds across two worker processes (name
markers). Against @20minutes/s3rver, which checks every SigV4 signature: the objects read back
byte for byte, a wrong secret is refused, and one worker process alone never overwrites
(s3rver ignores If-None-Match). What S3 holds is read with boto3, an independent client; the
imported day file is checked with lib/dayfile.py, written from docs/DATA-FORMAT.md.

Discovered by tests/integration/run.py; also runs alone:
  python3 tests/integration/test_s3_mode.py --build BUILD [-k PATTERN]"""

import collections
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from lib import config as cfg  # noqa: E402
from lib import dayfile, http  # noqa: E402
from lib.base import Settings  # noqa: E402
from lib.procs import free_port, read_tail  # noqa: E402
from lib.s3 import BUCKET, S3ServerTestCase, boto  # noqa: E402
from lib.servers import MOUNT, NginxStack  # noqa: E402

NUMBERED = re.compile(r"^(\d{4}-\d{2}-\d{2})/(\d{10})\.json$")
# A name marker (docs/DATA-FORMAT.md, "Storage in S3"): not an event.
MARKER = re.compile(r"/\d{4}-\d{2}-\d{2}/names/[A-Za-z0-9][A-Za-z0-9._-]*/[0-9a-f]{64}\.json$")
MEMBERS = ["time", "ts", "app", "event", "value", "type", "unique"]


def iso_micros(ts):
    """The contract's "time": ISO 8601 UTC with six fraction digits."""
    t = datetime.datetime.fromtimestamp(ts // 1_000_000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ts % 1_000_000:06d}Z"


def day_start_us(day):
    d = datetime.datetime.fromisoformat(day + "T00:00:00+00:00")
    return int(d.timestamp()) * 1_000_000


def today_utc():
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class S3Stack(NginxStack):
    """nginx + spawn-fcgi workers whose config says storage: s3. The data_dir lies below a
    regular file, so nothing can be created there, not even by root: S3 mode must need no
    writable local disk."""

    description = "nginx + spawn-fcgi (storage: s3)"

    def __init__(self, build, root_dir, name, endpoint, key, prefix, workers=2, retries=1,
                 max_names=None):
        super().__init__(build, root_dir, name, workers=workers)
        blocker = os.path.join(self.dir, "not-a-directory")
        with open(blocker, "w"):
            pass
        self.data_dir = os.path.join(blocker, "data")
        self.prefix = prefix
        q = json.dumps
        lines = [
            f"data_dir: {q(self.data_dir)}",
            "timezone: UTC",
            "storage: s3",
            "log: stderr",
            "limits: {max_body_bytes: 65536, max_batch: 1000"
            + (f", max_event_names_per_app_per_day: {max_names}" if max_names else "") + "}",
            "auth:",
            "  required: true",
            "  keys:",
            "    - name: all-apps",
            f"      key_sha256: {cfg.sha256_hex(self.keys.all)}",
            "      scopes: [ingest, read]",
            "      apps: [\"*\"]",
        ] + s3_yaml(endpoint, prefix, retries)
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        # Credentials only from the environment, as in production.
        self._write_wrapper(self.wrapper,
                            f"env ITSLOG_S3_ACCESS_KEY_ID='{key[0]}' "
                            f"ITSLOG_S3_SECRET_ACCESS_KEY='{key[1]}' "
                            f"'{self.binary}' fcgi --config '{self.config_path}'")


def s3_yaml(endpoint, prefix, retries=1):
    q = json.dumps
    return [
        "s3:",
        f"  endpoint: {q(endpoint)}",
        "  region: us-east-1",
        f"  bucket: {q(BUCKET)}",
        f"  prefix: {q(prefix)}",
        "  path_style: true",
        "  connect_timeout_ms: 1000",
        "  timeout_ms: 5000",
        f"  retries: {retries}",
    ]


class S3ModeBase(S3ServerTestCase):
    server_kind = "moto"
    what_starts = "the S3 server or the stack"
    workers = 2
    stack_class = S3Stack
    stack = None

    @classmethod
    def setUpClass(cls):
        cls.stack = None
        super().setUpClass()

    @classmethod
    def start_stacks(cls):
        cls.stack = cls.make_stack("stack", cls.proxy.endpoint, cls.server.key,
                                   workers=cls.workers)

    @classmethod
    def make_stack(cls, name, endpoint, key, workers=1, retries=1):
        stack = S3Stack(Settings.build, cls.root, name, endpoint, key, f"{name}/",
                        workers=workers, retries=retries)
        try:
            stack.start()
        except Exception:
            stack.stop()
            raise
        return stack

    @classmethod
    def stop_stacks(cls):
        if cls.stack is not None:
            cls.stack.stop()

    def setUp(self):
        super().setUp()
        self.extra_stacks = []
        self.offsets = {"server": os.path.getsize(self.server.log_path),
                        "stack": self.stack.log_offsets()}
        self.outputs = []
        self.s3 = boto(self.server)
        self.app = "t." + self._testMethodName.replace("test_", "", 1).replace("_", "-")[:60]
        self.work = tempfile.mkdtemp(prefix=self._testMethodName + "-", dir=self.root)

    def tearDown(self):
        for s in self.extra_stacks:
            s.stop()

    def server_logs(self):
        out = "\n".join(self.outputs[-6:])
        if self.stack is not None:
            out += "\n" + self.stack.logs_since(self.offsets["stack"])
        for s in getattr(self, "extra_stacks", []):
            out += "\n" + s.logs_since()
        if self.server is not None:
            out += "\n-- S3 server log:\n" + self.server.log(self.offsets["server"])
        return out

    # Requests --------------------------------------------------------------------------
    def req(self, method, path, body=None, headers=None, stack=None):
        stack = stack or self.stack
        hdrs = {"X-API-Key": stack.keys.all}
        hdrs.update(headers or {})
        return http.request(stack.port, method, MOUNT + path, body, hdrs, timeout=60)

    def parallel(self, n, fn):
        """fn(i) in n threads started together; returns their results in order."""
        results = [None] * n
        errors = []
        barrier = threading.Barrier(n)

        def run(i):
            try:
                barrier.wait()
                results[i] = fn(i)
            except BaseException as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        return results

    # What S3 holds ---------------------------------------------------------------------
    def keys_under(self, prefix):
        out = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET,
                                                                        Prefix=prefix):
            out += [o["Key"] for o in page.get("Contents", [])]
        return out

    def get(self, key):
        return self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def objects(self, prefix, app=None):
        """{key: (raw bytes, parsed JSON)} of the events under prefix (name markers left
        out), optionally of one app only."""
        keys = [k for k in self.keys_under(prefix) if not MARKER.search(k)]
        out = {}
        lock = threading.Lock()

        def fetch(part):
            s3 = boto(self.server)
            for k in part:
                raw = s3.get_object(Bucket=BUCKET, Key=k)["Body"].read()
                with lock:
                    out[k] = raw
        parts = [keys[i::8] for i in range(8)]
        threads = [threading.Thread(target=fetch, args=(p,)) for p in parts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        parsed = {k: (raw, json.loads(raw)) for k, raw in out.items()}
        if app is not None:
            parsed = {k: v for k, v in parsed.items() if v[1]["app"] == app}
        return parsed

    def assertEventObject(self, key, raw, obj, stack=None):
        """The contract's object: its members in order, "time" spelling "ts", and a name that
        matches its content (day; numbered: the second of the day; unique: the hash)."""
        stack = stack or self.stack
        self.assertEqual(list(obj), MEMBERS, key)
        ts = obj["ts"]
        self.assertEqual(obj["time"], iso_micros(ts), key)
        self.assertIsInstance(obj["unique"], bool)
        rel = key[len(stack.prefix):]
        day = rel[:10]
        self.assertEqual(day, iso_micros(ts)[:10], f"{key}: not the day of its ts")
        m = NUMBERED.match(rel)
        if m:
            self.assertFalse(obj["unique"], key)
            self.assertEqual(int(m.group(2)) // 100000,
                             (ts - day_start_us(day)) // 1_000_000, f"{key}: second")
        elif "/unique/" in rel:
            self.assertTrue(obj["unique"], key)
            self.assertEqual(rel, f"{day}/unique/{sha256_hex(obj['app'] + '/' + obj['event'])}"
                                  ".json")
        else:
            self.assertRegex(rel, r"^\d{4}-\d{2}-\d{2}/idempotency/[0-9a-f]{64}\.json$")
        # What a client that writes JSON compactly would write (ASCII values only).
        if all(ord(c) < 128 for c in raw.decode()):
            self.assertEqual(raw, json.dumps(obj, separators=(",", ":")).encode(), key)

    # itslog commands -------------------------------------------------------------------
    def write_import_config(self, prefix, data_dir, endpoint=None):
        path = os.path.join(self.work, f"import-{len(self.outputs)}.yaml")
        lines = [f"data_dir: {json.dumps(data_dir)}", "timezone: UTC", "log: stderr",
                 "auth: {required: false}"] + s3_yaml(endpoint or self.server.endpoint, prefix)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def itslog(self, *args, key=None):
        key = key or self.server.key
        env = dict(os.environ, ITSLOG_S3_ACCESS_KEY_ID=key[0],
                   ITSLOG_S3_SECRET_ACCESS_KEY=key[1])
        env.pop("ITSLOG_CONFIG", None)
        r = subprocess.run([self.stack.binary, *args], capture_output=True, text=True, env=env,
                           timeout=120)
        self.outputs.append(f"$ itslog {' '.join(args)} -> exit {r.returncode}\n"
                            f"stdout:\n{r.stdout[-3000:]}stderr:\n{r.stderr[-3000:]}")
        return r


class S3ModeMotoTest(S3ModeBase):
    """Two worker processes against moto_server, which refuses a second create of a key."""
    server_kind = "moto"

    def test_concurrent_writers_never_overwrite(self):
        threads, per_thread, batch = 16, 25, 10
        app = self.app

        def client(i):
            out = []
            for j in range(per_thread):
                value = f"{i}-{j}"
                r = self.req("PUT", f"/v1/event/{app}/ev", {"value": value})
                out.append((r.status, [value], r))
            values = [f"{i}-b{k}" for k in range(batch)]
            r = self.req("POST", "/v1/log", [{"event": "ev", "value": v, "app": app}
                                             for v in values])
            out.append((r.status, values, r))
            return out

        results = [x for per in self.parallel(threads, client) for x in per]
        bad = [r for status, _, r in results if status not in (200, 204)]
        self.assertEqual(bad[:5], [], f"{len(bad)} requests failed")
        acknowledged = []
        for status, values, r in results:
            if status == 200:
                self.assertEqual(r.json(), {"accepted": batch, "rejected": 0, "duplicates": 0,
                                            "errors": []})
            acknowledged += values
        self.assertEqual(len(acknowledged), threads * (per_thread + batch))

        objects = self.objects(self.stack.prefix, app)
        stored = [obj["value"] for _, obj in objects.values()]
        self.assertEqual(len(objects), len(acknowledged), "objects != acknowledged events")
        self.assertEqual(collections.Counter(stored), collections.Counter(acknowledged),
                         "an event is missing or stored twice")
        for key, (raw, obj) in objects.items():
            self.assertRegex(key[len(self.stack.prefix):], NUMBERED)
            self.assertEventObject(key, raw, obj)
            self.assertEqual((obj["app"], obj["event"], obj["type"]), (app, "ev", 3))
        # The two processes really did race for the same names, and moved on.
        conflicts = [s for m, _, s in self.proxy.statuses if m == "PUT" and s == 412]
        self.assertGreater(len(conflicts), 0, "no writer ever met another's object")

    def test_unique_event_is_stored_once_across_workers(self):
        app = self.app
        results = self.parallel(24, lambda i: self.req("PUT", f"/v1/unique/{app}/u.once"))
        statuses = collections.Counter(r.status for r in results)
        self.assertEqual(statuses, {201: 1, 200: 23}, results[:3])
        day = today_utc()
        for r in results:
            body = r.json()
            self.assertEqual(body["day"], day)
            self.assertEqual(body.get("duplicate", False), r.status == 200)
        objects = self.objects(self.stack.prefix, app)
        self.assertEqual(list(objects), [f"{self.stack.prefix}{day}/unique/"
                                         f"{sha256_hex(app + '/u.once')}.json"])
        for key, (raw, obj) in objects.items():
            self.assertEventObject(key, raw, obj)
            self.assertIsNone(obj["value"])

        # A retry with the same Idempotency-Key answers as the first time; another key does not.
        first = self.req("PUT", f"/v1/unique/{app}/u.retry", headers={"Idempotency-Key": "r1"})
        self.assertEqual(first.status, 201, first)
        again = self.req("PUT", f"/v1/unique/{app}/u.retry", headers={"Idempotency-Key": "r1"})
        self.assertEqual((again.status, again.json()["duplicate"]), (201, True), again)
        other = self.req("PUT", f"/v1/unique/{app}/u.retry", headers={"Idempotency-Key": "r2"})
        self.assertEqual((other.status, other.json()["duplicate"]), (200, True), other)

    def test_idempotency_key_is_stored_once_across_workers(self):
        app = self.app
        results = self.parallel(16, lambda i: self.req(
            "POST", "/v1/log", {"event": "paid", "value": str(i), "app": app},
            headers={"Idempotency-Key": "order-17"}))
        self.assertEqual([r.status for r in results], [204] * 16, results[:3])
        objects = self.objects(self.stack.prefix, app)
        day = today_utc()
        self.assertEqual(list(objects), [f"{self.stack.prefix}{day}/idempotency/"
                                         f"{sha256_hex(app + '/order-17')}.json"])
        for key, (raw, obj) in objects.items():
            self.assertEventObject(key, raw, obj)
            self.assertIn(obj["value"], {str(i) for i in range(16)})
        # Written once: every other PUT of that name was refused, none replaced it.
        name = sha256_hex(app + "/order-17")
        puts = collections.Counter(s for m, p, s in self.proxy.statuses if m == "PUT" and name in p)
        self.assertEqual(puts, {200: 1, 412: 15})

    def test_s3_down_answers_503_and_claims_nothing(self):
        app = self.app
        before = len(self.keys_under(self.stack.prefix))
        self.proxy.add(None, "", "drop")  # every request: the connection closes, no answer
        singles = [
            self.req("PUT", f"/v1/event/{app}/ev", {"value": "lost"}),
            self.req("POST", "/v1/log", {"event": "ev", "value": "lost", "app": app}),
            self.req("POST", "/v1/log", [{"event": "ev", "value": f"lost{k}", "app": app}
                                         for k in range(5)]),
            self.req("PUT", f"/v1/unique/{app}/u.down"),
        ]
        for r in singles:
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.json()["error"]["code"], "storage_unavailable", r)
            self.assertIsNotNone(r.header("Retry-After"), r)
        health = self.req("GET", "/healthz")
        self.assertEqual(health.status, 503, health)
        self.assertEqual(health.json()["reason"], "storage_unavailable")
        self.assertIsNotNone(health.header("Retry-After"))
        self.proxy.clear()
        self.assertEqual(len(self.keys_under(self.stack.prefix)), before, "something was stored")

        # Back up: the same requests succeed, and the unique event is new.
        self.assertEqual(self.req("GET", "/healthz").status, 200)
        self.assertEqual(self.req("PUT", f"/v1/event/{app}/ev", {"value": "kept"}).status, 204)
        self.assertEqual(self.req("PUT", f"/v1/unique/{app}/u.down").status, 201)

        # S3 fails part-way through a batch: exactly the events it stored are accepted. (In a
        # second of its own, so that no PUT meets the other worker's object of the same name.)
        # The name is known first, so that every PUT below is an event's, not its marker's.
        self.assertEqual(self.req("PUT", f"/v1/event/{app}/part", {"value": "warm"}).status, 204)
        time.sleep(1.1)
        self.proxy.add("PUT", "", "500", after=3)
        values = [f"part{k}" for k in range(10)]
        r = self.req("POST", "/v1/log", [{"event": "part", "value": v, "app": app}
                                         for v in values])
        self.proxy.clear()
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual((body["accepted"], body["rejected"]), (3, 7), body)
        failed = {e["index"] for e in body["errors"]}
        for e in body["errors"]:
            self.assertEqual(e["error"]["code"], "storage_unavailable", e)
        claimed = sorted(v for i, v in enumerate(values) if i not in failed)
        stored = sorted(obj["value"] for _, obj in self.objects(self.stack.prefix, app).values()
                        if obj["event"] == "part" and obj["value"] != "warm")
        self.assertEqual(stored, claimed)

    def test_a_retried_put_whose_answer_was_lost_is_not_stored_twice(self):
        # S3 stores the first attempt, but its answer never arrives; the client's retry then
        # meets its own object (412), and must know it as its own.
        app = self.app
        self.proxy.add("PUT", "/unique/", "lose", count=1)
        r = self.req("PUT", f"/v1/unique/{app}/u.lost")
        self.assertEqual(r.status, 201, r)  # the first time today, not a duplicate
        self.proxy.add("PUT", ".json", "lose", count=1)
        r = self.req("PUT", f"/v1/event/{app}/ev", {"value": "lost-answer"})
        self.assertEqual(r.status, 204, r)
        self.proxy.clear()
        objects = self.objects(self.stack.prefix, app)
        self.assertEqual(sorted((o["event"], o["value"]) for _, o in objects.values()),
                         [("ev", "lost-answer"), ("u.lost", None)])

    def test_unreachable_endpoint_answers_503(self):
        dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        stack = self.make_stack("dead", dead, self.server.key)
        self.extra_stacks.append(stack)
        r = self.req("PUT", f"/v1/event/{self.app}/ev", {"value": "x"}, stack=stack)
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.json()["error"]["code"], "storage_unavailable")
        self.assertEqual(r.header("Retry-After"), "1")
        h = self.req("GET", "/healthz", stack=stack)
        self.assertEqual(h.status, 503, h)
        self.assertIn("s3_unavailable", read_tail(stack.worker_stderr))

    def cap_stacks(self, name, cap):
        """Two stacks of one worker process each, writing the same prefix with a cap of
        `cap` names per app and day: two processes as on two hosts."""
        prefix = f"{name}-{self._testMethodName}/"
        stacks = []
        for i in range(2):
            stack = S3Stack(Settings.build, self.root, f"{name}{i}", self.proxy.endpoint,
                            self.server.key, prefix, workers=1, max_names=cap)
            self.extra_stacks.append(stack)
            stack.start()
            stacks.append(stack)
        return stacks

    def assertTooManyNames(self, r):
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.json()["error"]["code"], "too_many_event_names", r)
        self.assertEqual(r.json()["error"]["field"], "event", r)

    def test_event_name_cap_holds_across_two_processes(self):
        a, b = self.cap_stacks("cap", 3)
        app, day = self.app, today_utc()
        put = lambda stack, name: self.req("PUT", f"/v1/event/{app}/{name}",  # noqa: E731
                                           {"value": name}, stack=stack)
        self.assertEqual(put(a, "n1").status, 204)
        self.assertEqual(put(a, "n2").status, 204)
        self.assertEqual(put(b, "n3").status, 204)  # b counts a's two names first
        self.assertTooManyNames(put(a, "n4"))  # a learns of b's name
        self.assertTooManyNames(put(b, "n4"))
        self.assertTooManyNames(put(b, "n5"))
        self.assertTooManyNames(self.req("PUT", f"/v1/unique/{app}/n6", stack=a))
        # Known names still work, in every form, in both processes.
        self.assertEqual(put(a, "n3").status, 204)
        self.assertEqual(put(b, "n1").status, 204)
        self.assertEqual(self.req("PUT", f"/v1/unique/{app}/n2", stack=b).status, 201)
        r = self.req("POST", "/v1/log", [{"event": n, "value": n, "app": app}
                                         for n in ("n1", "n7", "n2")], stack=a)
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual((body["accepted"], body["rejected"]), (2, 1), body)
        self.assertEqual(body["errors"][0]["index"], 1, body)
        self.assertEqual(body["errors"][0]["error"]["code"], "too_many_event_names", body)
        self.assertEqual(body["errors"][0]["error"]["field"], "event", body)
        # The cap is per app.
        self.assertEqual(self.req("PUT", f"/v1/event/{app}.other/n4", stack=a).status, 204)

        # A known name costs no request but its event's PUT.
        self.proxy.clear()
        self.assertEqual(put(a, "n2").status, 204)
        self.assertEqual([m for m, _ in self.proxy.seen], ["PUT"], self.proxy.seen)

        # S3 holds one marker per admitted name, and the events of admitted names only.
        prefix = a.prefix
        markers = self.keys_under(f"{prefix}{day}/names/{app}/")
        self.assertEqual(sorted(markers), sorted(f"{prefix}{day}/names/{app}/"
                                                 f"{sha256_hex(app + '/' + n)}.json"
                                                 for n in ("n1", "n2", "n3")))
        for key in markers:
            body = json.loads(self.get(key))
            self.assertEqual(body["app"], app)
            self.assertEqual(key.rsplit("/", 1)[1], sha256_hex(app + "/" + body["event"]) + ".json")
        events = collections.Counter(o["event"] for _, o in self.objects(prefix, app).values())
        self.assertEqual(events, {"n1": 3, "n2": 4, "n3": 2})

        # import-s3 takes the events and leaves the markers out.
        data_dir = os.path.join(self.work, "data")
        os.makedirs(data_dir)
        r = self.itslog("import-s3", day, "--config", self.write_import_config(prefix, data_dir))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("skipped", r.stderr)
        rows = dayfile.read_rows(os.path.join(data_dir, f"{day}-v1.itslog"))
        self.assertEqual(collections.Counter((x["app"], x["event"]) for x in rows),
                         {(app, "n1"): 3, (app, "n2"): 4, (app, "n3"): 2,
                          (app + ".other", "n4"): 1})

    def test_event_name_cap_racing_processes_overshoot_by_at_most_one_each(self):
        # docs/DATA-FORMAT.md: with P processes admitting new names at the same instant, an
        # app ends with at most cap + P - 1 names; here P = 2.
        stacks = self.cap_stacks("race", 3)
        app = self.app
        results = self.parallel(12, lambda i: self.req(
            "PUT", f"/v1/event/{app}/r{i}", {"value": str(i)}, stack=stacks[i % 2]))
        statuses = collections.Counter(r.status for r in results)
        self.assertEqual(set(statuses), {204, 422}, results)
        self.assertIn(statuses[204], (3, 4), statuses)
        for r in results:
            if r.status == 422:
                self.assertTooManyNames(r)
        admitted = {f"r{i}" for i, r in enumerate(results) if r.status == 204}
        markers = self.keys_under(f"{stacks[0].prefix}{today_utc()}/names/{app}/")
        self.assertEqual(sorted(markers),
                         sorted(f"{stacks[0].prefix}{today_utc()}/names/{app}/"
                                f"{sha256_hex(app + '/' + n)}.json" for n in admitted))
        stored = {o["event"] for _, o in self.objects(stacks[0].prefix, app).values()}
        self.assertEqual(stored, admitted)

    def test_import_s3_writes_a_day_file_that_verifies(self):
        app = self.app
        sent = [  # (type, value as sent, value as stored)
            (1, "42", "42"), (2, "-3.5e2", "-3.5e2"), (3, "h\u00e9llo \u2603 \"q\"\n\u0000",
                                                        "h\u00e9llo \u2603 \"q\"\n\u0000"),
            (4, "2025-03-01", "2025-03-01"), (5, "2025-03-01T12:00:00Z", "2025-03-01T12:00:00Z"),
            (6, {"a": [1, 2.5, None]}, '{"a":[1,2.5,null]}'), (7, "aGk=", "aGk="),
            (3, None, None),
        ]
        for t, v, _ in sent:
            body = {"event": f"type{t}", "type": t, "app": app}
            if v is not None:
                body["value"] = v
            r = self.req("POST", "/v1/log", body)
            self.assertEqual(r.status, 204, r)
        self.assertEqual(self.req("PUT", f"/v1/unique/{app}/u.imp").status, 201)
        r = self.req("POST", "/v1/log", {"event": "idem", "value": "once", "app": app},
                     headers={"Idempotency-Key": "imp-1"})
        self.assertEqual(r.status, 204, r)
        day = today_utc()
        all_objects = self.objects(f"{self.stack.prefix}{day}/")

        data_dir = os.path.join(self.work, "data")
        os.makedirs(data_dir)
        config = self.write_import_config(self.stack.prefix, data_dir)
        markers = [k for k in self.keys_under(f"{self.stack.prefix}{day}/names/{app}/")]
        names = {f"type{t}" for t, _, _ in sent} | {"u.imp", "idem"}
        self.assertEqual(len(markers), len(names), markers)  # one per name of the app
        r = self.itslog("import-s3", day, "--config", config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, rf"^{day}: imported {len(all_objects)} events ")
        self.assertNotIn("skipped", r.stderr)  # name markers are left out quietly
        path = os.path.join(data_dir, f"{day}-v1.itslog")
        self.assertEqual(sorted(os.listdir(data_dir)), [f"{day}-v1.itslog",
                                                        f"{day}-v1.itslog.lock"])

        # The contract's checks, by a reader written from the contract.
        problems, _ = dayfile.verify_file(path)
        self.assertEqual(problems, [])
        rows = dayfile.read_rows(path)
        self.assertEqual(len(rows), len(all_objects))
        self.assertEqual([r["ts"] for r in rows], sorted(o["ts"] for _, o in
                                                         all_objects.values()))
        mine = [(r["event"], r["type"], r["value"], r["is_unique"]) for r in rows
                if r["app"] == app]
        want = [(f"type{t}", t, stored, 0) for t, _, stored in sent]
        want += [("u.imp", 3, None, 1), ("idem", 3, "once", 0)]
        self.assertEqual(mine, want)
        # The tools work on it.
        self.assertEqual(self.itslog("verify", day, "--config", config).returncode, 0)
        r = self.itslog("export", day, "--config", config, "--app", app)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout.splitlines()), len(want))

        # Again: the file is there, so nothing is touched.
        before = open(path, "rb").read()
        r = self.itslog("import-s3", day, "--config", config)
        self.assertEqual(r.returncode, 1)
        self.assertIn("day_file_exists", r.stderr)
        self.assertEqual(open(path, "rb").read(), before)
        # An import that stopped half-way leaves its marker: the next run starts over.
        open(path + ".importing", "w").close()
        with open(path, "r+b") as f:
            f.truncate(4096)
        r = self.itslog("import-s3", day, "--config", config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(path + ".importing"))
        self.assertEqual(dayfile.verify_file(path)[0], [])
        self.assertEqual(len(dayfile.read_rows(path)), len(all_objects))

    def test_import_s3_reads_objects_other_tools_wrote_and_refuses_bad_ones(self):
        day = "2025-03-01"
        prefix = f"planted-{self._testMethodName}/"
        t0 = day_start_us(day) + 5 * 1_000_000 + 17
        good = {"time": iso_micros(t0), "ts": t0, "app": "other.tool", "event": "e",
                "value": "v", "type": 3, "unique": False}
        self.s3.put_object(Bucket=BUCKET, Key=f"{prefix}{day}/0000500000.json",
                           Body=json.dumps(good).encode())
        self.s3.put_object(Bucket=BUCKET, Key=f"{prefix}{day}/README.txt", Body=b"notes")
        data_dir = os.path.join(self.work, "data")
        os.makedirs(data_dir)
        config = self.write_import_config(prefix, data_dir)
        r = self.itslog("import-s3", day, "--config", config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("README.txt: not an event object's name", r.stderr)
        rows = dayfile.read_rows(os.path.join(data_dir, f"{day}-v1.itslog"))
        self.assertEqual([(x["ts"], x["app"], x["event"], x["value"]) for x in rows],
                         [(t0, "other.tool", "e", "v")])

        cases = [
            ("0000600000.json", b"{not json"),
            ("0000600000.json", json.dumps(dict(good, ts=t0 + 1)).encode()),  # time != ts
            ("0000900000.json", json.dumps(good).encode()),  # name's second != ts's
            ("0000600000.json", json.dumps(dict(good, value=5)).encode()),
            ("0000600000.json", json.dumps(dict(good, type=1, value="x")).encode()),
            ("0000600000.json", json.dumps(dict(good, extra=1)).encode()),
            (f"unique/{sha256_hex('other.tool/x')}.json",
             json.dumps(dict(good, unique=True)).encode()),  # hash of another event
        ]
        for i, (name, body) in enumerate(cases):
            with self.subTest(case=i):
                p = f"{prefix}bad{i}/"
                self.s3.put_object(Bucket=BUCKET, Key=f"{p}{day}/0000500000.json",
                                   Body=json.dumps(good).encode())
                self.s3.put_object(Bucket=BUCKET, Key=f"{p}{day}/{name}", Body=body)
                d = os.path.join(self.work, f"bad{i}")
                os.makedirs(d)
                r = self.itslog("import-s3", day, "--config", self.write_import_config(p, d))
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("invalid_event_object", r.stderr)
                self.assertIn(name, r.stderr)
                self.assertEqual(os.listdir(d), [], "a failed import left files")

        r = self.itslog("import-s3", "2025-03-02", "--config", config)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no_events", r.stderr)


class S3ModeS3rverTest(S3ModeBase):
    """One worker process against @20minutes/s3rver, which checks every SigV4 signature but
    ignores If-None-Match: what its-log guarantees there (docs/OPERATIONS.md)."""
    server_kind = "s3rver"
    workers = 1

    def test_signed_objects_read_back_byte_for_byte(self):
        app = self.app
        r = self.req("PUT", f"/v1/event/{app}/signed", {"value": "v1"})
        self.assertEqual(r.status, 204, r)
        (key, (raw, obj)), = self.objects(self.stack.prefix, app).items()
        ts = obj["ts"]
        want = (f'{{"time":"{iso_micros(ts)}","ts":{ts},"app":"{app}","event":"signed",'
                f'"value":"v1","type":3,"unique":false}}').encode()
        self.assertEqual(raw, want)
        self.assertEventObject(key, raw, obj)
        self.assertEqual(self.req("GET", "/healthz").status, 200)

    def test_wrong_secret_is_refused(self):
        stack = self.make_stack("wrong", self.server.endpoint, ("S3RVER", "not-the-secret"))
        self.extra_stacks.append(stack)
        r = self.req("PUT", f"/v1/event/{self.app}/ev", {"value": "x"}, stack=stack)
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.json()["error"]["code"], "storage_unavailable")
        self.assertNotIn("not-the-secret", r.text())
        self.assertEqual(self.keys_under(stack.prefix), [])
        log = read_tail(stack.worker_stderr)
        self.assertIn("s3_auth_failed", log)
        self.assertNotIn("not-the-secret", log)

    def test_one_process_never_overwrites_without_if_none_match(self):
        app = self.app
        results = self.parallel(12, lambda i: [
            self.req("PUT", f"/v1/event/{app}/ev", {"value": f"{i}-{j}"}).status
            for j in range(20)])
        self.assertEqual([s for per in results for s in per], [204] * 240)
        stored = [o["value"] for _, o in self.objects(self.stack.prefix, app).values()]
        self.assertEqual(sorted(stored), sorted(f"{i}-{j}" for i in range(12) for j in range(20)))

    def test_import_s3_from_a_signing_server(self):
        app = self.app
        for k in range(30):
            self.assertEqual(self.req("PUT", f"/v1/event/{app}/ev", {"value": str(k)}).status,
                             204)
        day = today_utc()
        n = len(self.objects(f"{self.stack.prefix}{day}/"))
        data_dir = os.path.join(self.work, "data")
        os.makedirs(data_dir)
        config = self.write_import_config(self.stack.prefix, data_dir)
        r = self.itslog("import-s3", day, "--config", config)
        self.assertEqual(r.returncode, 0, r.stderr)
        path = os.path.join(data_dir, f"{day}-v1.itslog")
        self.assertEqual(dayfile.verify_file(path)[0], [])
        rows = [x for x in dayfile.read_rows(path) if x["app"] == app]
        self.assertEqual([x["value"] for x in rows], [str(k) for k in range(30)])
        self.assertEqual(len(dayfile.read_rows(path)), n)
        other = os.path.join(self.work, "other")
        os.makedirs(other)
        r = self.itslog("import-s3", day, "--config", self.write_import_config(
            self.stack.prefix, other), key=("S3RVER", "wrong"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("s3_auth_failed", r.stderr)
        self.assertEqual(os.listdir(other), [])


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("-k", action="append", default=[])
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    Settings.build = args.build
    argv = [sys.argv[0]] + (["-v"] if args.verbose else [])
    for k in args.k:
        argv += ["-k", k]
    prog = unittest.main(argv=argv, exit=False)
    r = prog.result
    failed = len(r.failures) + len(r.errors)
    print(f"{r.testsRun - failed - len(r.skipped)} passed, {failed} failed, "
          f"{len(r.skipped)} skipped")
    return 0 if r.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
