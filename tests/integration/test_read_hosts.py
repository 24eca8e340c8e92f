"""The read API over days that live in the bucket, shipped by several hosts: nginx, two workers
and a real moto_server (behind a fault proxy). Three hosts' files of two days are built from the
contract (docs/DATA-FORMAT.md), sealed and uploaded with boto3 in the per-host layout
<prefix>YYYY-MM-DD/hosts/<host>/YYYY-MM-DD-v1.itslog + .seal.json; the workers hold none of
them. Paging /v1/events over both days with page sizes 1 to 7 yields every event once, in
(time, host, seq) order; counts add up; a unique stored by two hosts counts once; an edited
bucket copy is refused naming the object; S3 failing half-way through a read is 503 with
Retry-After, and the same question answers once S3 is back. Needs moto_server and boto3
(scripts/install-s3-test-deps.sh)."""

import json
import os
import sqlite3
import tempfile

from lib.base import StackTestCase, today_utc
from lib.readside import (APP_A, APP_B, ReadNginxStack, day_start_us, event_json,
                          write_day_file)
from lib.s3 import BUCKET, FaultProxy, boto, start_moto
import test_archive

PREFIX = "hosts-read/"
HOSTS = ("web-a", "web-b", "web-c")


def add_days(day, n):
    import datetime
    d = datetime.date.fromisoformat(day) + datetime.timedelta(days=n)
    return d.isoformat()


def host_rows(day, host_index):
    """One host's rows of a day: every host logs at some of the same microseconds (ties
    between hosts), some twice in one microsecond (ties within a host), and a unique
    (APP_A, "signup") that web-a and web-b both stored."""
    base = day_start_us(day) + 3600 * 1_000_000
    rows = []
    for i in range(9 + host_index):
        ts = base + (i // 2) * 1000 + (host_index if i % 3 == 0 else 0)
        app = (APP_A, APP_B)[(i + host_index) % 2]
        rows.append((ts, app, f"h.e{i % 3}", 1, str(10 * host_index + i), 0))
    if host_index in (0, 1):
        rows.append((base + 50_000 + host_index, APP_A, "signup", 3, None, 1))
    rows.sort(key=lambda r: r[0])  # ts never decreases along seq
    return rows


def build_shipped_file(work, day, host, rows, edit=False):
    """A sealed day file of host and its seal document, as `itslog ship` publishes them.
    edit: change a value after sealing (the file then fails its seal's SHA-256)."""
    path = os.path.join(work, f"{host}-{day}-v1.itslog")
    n, last = write_day_file(path, day, rows, host=host)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.executemany("INSERT INTO meta(key, value) VALUES(?, ?)",
                        [("sealed_at", f"{day}T23:59:59.000000Z"), ("rows", str(n)),
                         ("final_hash", last.hex())])
    finally:
        con.close()
    seal = test_archive.seal_json(path, day, host, n, last).encode()
    if edit:
        con = sqlite3.connect(path, isolation_level=None)
        try:
            names = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'log'")]
            for t in names:
                con.execute(f"DROP TRIGGER {t}")
            con.execute("UPDATE log SET value = '999999' WHERE seq = 2")
        finally:
            con.close()
    with open(path, "rb") as f:
        return f.read(), seal


class ArchiveReadStack(ReadNginxStack):
    """ReadNginxStack whose workers read the archive from moto_server through a FaultProxy."""

    tools = ReadNginxStack.tools + ("moto_server",)

    def __init__(self, build, root_dir, name, **kw):
        super().__init__(build, root_dir, name, **kw)
        self.moto = start_moto(self.dir)
        self.proxy = FaultProxy(int(self.moto.endpoint.rsplit(":", 1)[1]))
        self.log_files.append(self.moto.log_path)
        with open(self.config_path, "a") as f:
            f.write("\n".join([
                "s3:",
                f"  endpoint: {json.dumps(self.proxy.endpoint)}",
                "  region: us-east-1",
                f"  bucket: {json.dumps(BUCKET)}",
                f"  prefix: {json.dumps(PREFIX)}",
                "  path_style: true",
                "  connect_timeout_ms: 1000",
                "  timeout_ms: 3000",
                "  retries: 1",
                "archive:",
                f"  cache_dir: {json.dumps(os.path.join(self.dir, 'archive'))}",
            ]) + "\n")
        # The workers find the credentials where ship and the worker look for them.
        with open(self.wrapper) as f:
            script = f.read()
        script = script.replace(
            "#!/bin/sh\n",
            "#!/bin/sh\nexport ITSLOG_S3_ACCESS_KEY_ID=%s ITSLOG_S3_SECRET_ACCESS_KEY=%s\n"
            % self.moto.key, 1)
        with open(self.wrapper, "w") as f:
            f.write(script)

    def stop(self):
        try:
            super().stop()
        finally:
            self.proxy.stop()
            self.moto.stop()


class ReadHostsNginxTest(StackTestCase):
    stack_class = ArchiveReadStack
    stack_kwargs = {"workers": 2}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.stack is None or cls.start_error:
            return
        today = today_utc()
        cls.days = [add_days(today, -2), add_days(today, -1)]
        cls.corrupt_day = add_days(today, -3)
        cls.flaky_day = add_days(today, -4)
        cls.expected = []  # (day, ts, host, seq, event json)
        s3 = boto(cls.stack.moto)
        work = tempfile.mkdtemp(dir=cls.stack.dir)
        for day in cls.days + [cls.corrupt_day, cls.flaky_day]:
            for i, host in enumerate(HOSTS):
                rows = host_rows(day, i)
                edit = day == cls.corrupt_day and host == "web-b"
                data, seal = build_shipped_file(work, day, host, rows, edit=edit)
                key = f"{PREFIX}{day}/hosts/{host}/{day}-v1.itslog"
                s3.put_object(Bucket=BUCKET, Key=key, Body=data)
                s3.put_object(Bucket=BUCKET, Key=key[:-len(".itslog")] + ".seal.json",
                              Body=seal)
                if day in cls.days:
                    for seq, r in enumerate(rows, 1):
                        row = {"day": day, "seq": seq, "ts": r[0], "app": r[1], "event": r[2],
                               "type": r[3], "value": r[4], "is_unique": r[5]}
                        cls.expected.append((day, r[0], host, seq, event_json(row, host)))
        cls.expected.sort(key=lambda e: e[:4])

    def get(self, path, key=None):
        return self.req("GET", path, key=self.keys.all if key is None else key)

    def get_json(self, path, key=None):
        r = self.get(path, key)
        self.assertStatus(r, 200, path)
        return self.json_body(r)

    def test_events_of_three_hosts_over_two_days_in_pages_of_1_to_7(self):
        want = [e[4] for e in self.expected]
        self.assertEqual(len(want), 2 * (9 + 10 + 11 + 2))
        query = f"since={self.days[0]}&until={add_days(self.days[1], 1)}"
        for limit in range(1, 8):
            with self.subTest(limit=limit):
                got, after, pages = [], None, 0
                while True:
                    body = self.get_json(f"/v1/events?{query}&limit={limit}"
                                         + (f"&after={after}" if after else ""))
                    pages += 1
                    self.assertEqual(body["hosts"], list(HOSTS))
                    got += body["events"]
                    after = body["next"]
                    if after is None:
                        break
                    self.assertEqual(len(body["events"]), limit)
                    self.assertLess(pages, 200)
                self.assertEqual(got, want)
                self.assertEqual(pages, -(-len(want) // limit))
        # One app, through the same merge.
        body = self.get_json(f"/v1/events?{query}&app={APP_B}&limit=1000")
        self.assertEqual(body["events"], [e for e in want if e["app"] == APP_B])

    def test_one_event_of_a_shipped_host(self):
        day, _, host, seq, event = self.expected[5]
        self.assertEqual(self.get_json(f"/v1/events/{day}/{host}/{seq}"), event)
        self.assertError(self.get(f"/v1/events/{day}/web-z/1"), 404, "not_found")
        # This host shipped nothing that day: its own form finds nothing.
        self.assertError(self.get(f"/v1/events/{day}/1"), 404, "not_found")

    def test_counts_add_up_and_a_unique_of_two_hosts_counts_once(self):
        day = self.days[1]
        body = self.get_json(f"/v1/counts?day={day}&app={APP_A}")
        self.assertEqual(body["hosts"], list(HOSTS))
        want = {}
        for d, _, _, _, e in self.expected:
            if d == day and e["app"] == APP_A:
                c = want.setdefault(e["event"], [0, []])
                c[0] += 1
                if e["type"] == 1:
                    c[1].append(int(e["value"]))
        got = {c["event"]: c for c in body["counts"]}
        self.assertEqual(set(got), set(want))
        for name, (count, values) in want.items():
            self.assertEqual(got[name]["count"], count, name)
            if values:
                self.assertEqual((got[name]["sum"], got[name]["min"], got[name]["max"]),
                                 (sum(values), min(values), max(values)), name)
        self.assertEqual(got["signup"]["count"], 2)  # two rows, one per host
        uniques = self.get_json(f"/v1/uniques?from={day}&to={day}")
        self.assertEqual(uniques["days"], [
            {"day": day, "count": 1,
             "apps": [{"app": APP_A, "count": 1, "events": ["signup"]}]}])
        self.assertEqual(uniques["hosts"], list(HOSTS))

    def test_an_edited_bucket_copy_is_refused_naming_the_object(self):
        for path in (f"/v1/counts?day={self.corrupt_day}",
                     f"/v1/events?day={self.corrupt_day}"):
            r = self.get(path)
            self.assertError(r, 500, "archive_corrupt")
            message = self.json_body(r)["error"]["message"]
            self.assertIn(f"{PREFIX}{self.corrupt_day}/hosts/web-b/", message)
            self.assertNotIn(self.stack.dir, message)

    def test_s3_failing_half_way_through_a_read_is_503_then_answers(self):
        day = self.flaky_day
        # The listing and the first host's file come through; every request for web-b's
        # file is cut off.
        self.stack.proxy.add("GET", f"{day}/hosts/web-b/{day}-v1.itslog", "drop")
        try:
            r = self.get(f"/v1/counts?day={day}")
            self.assertError(r, 503, "s3_unavailable")
            self.assertTrue(r.header("Retry-After"), r)
            self.assertError(self.get(f"/v1/events?day={day}"), 503, "s3_unavailable")
        finally:
            self.stack.proxy.clear()
        body = self.get_json(f"/v1/counts?day={day}")
        self.assertEqual(body["hosts"], list(HOSTS))
        self.assertEqual(sum(c["count"] for c in body["counts"]), 9 + 10 + 11 + 2)
