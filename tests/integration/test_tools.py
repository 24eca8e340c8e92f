"""The read-side command line on real day files (written by workers behind nginx, or built from
the contract): itslog verify (a good file; files tampered with the sqlite3 CLI), export (JSON
lines and CSV, exactly the rows; a million-row day in bounded memory), stats and tail."""

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import time

from lib import dayfile
from lib.base import StackTestCase, today_utc
from lib.procs import Proc, read_tail, stop_pid
from lib.readside import (APP_A, APP_B, ReadNginxStack, day_start_us, event_json, iso_micros,
                          local_host_id, run_cli, wait_for, write_day_file)

SQLITE3 = shutil.which("sqlite3")
EXPORT_LIMIT_MIB = 64


def csv_field(value):
    """RFC 4180 as docs/ANALYSIS.md promises: quoted when empty or holding , " CR LF."""
    if value == "" or any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_line(day, seq, ts, app, event, value, type_, is_unique):
    return ",".join([day, str(seq), iso_micros(ts), csv_field(app), csv_field(event),
                     "" if value is None else csv_field(value), str(type_),
                     str(is_unique)]) + "\r\n"


class ToolsNginxTest(StackTestCase):
    stack_class = ReadNginxStack
    stack_kwargs = {"workers": 2}

    TRICKY = [
        ("x.plain", "hello", 3),
        ("x.comma", "a,b", 3),
        ("x.quote", 'say "hi"', 3),
        ("x.newline", "line1\nline2\r\nline3", 3),
        ("x.unicode", "\u00e9t\u00e9 \u6f22\u5b57 \U0001f600", 3),
        ("x.empty", "", 3),
        ("x.null", None, 3),
        ("x.int", "-42", 1),
        ("x.real", "3.25", 2),
        ("x.json", '{"a":[1,2],"b":"c,d"}', 6),
        ("x.blob", "aGVsbG8=", 7),
        ("x.backslash", "C:\\path\\file", 3),
    ]

    def setUp(self):
        super().setUp()
        self.bin = self.stack.binary
        self.conf = self.stack.config_path
        self.work = os.path.join(self.stack.dir, "work-" + self._testMethodName)
        os.makedirs(self.work, exist_ok=True)

    def tearDown(self):
        if self.stack is not None and not self.start_error:
            self.assertChainOk()

    def cli(self, *args, **kw):
        return run_cli(self.bin, *args, **kw)

    def put(self, app, event, value=None, type_=None, unique=False):
        body = {}
        if value is not None:
            body["value"] = value
        if type_ is not None:
            body["type"] = type_
        r = self.req("PUT", f"/v1/{'unique' if unique else 'event'}/{app}/{event}",
                     body or None)
        self.assertIn(r.status, (201, 200) if unique else (204,), r)

    def put_tricky(self, app):
        for event, value, type_ in self.TRICKY:
            self.put(app, event, value, type_)
        self.put(app, "x.once", unique=True)

    def today_path(self):
        return os.path.join(self.stack.data_dir, f"{today_utc()}-v1.itslog")

    def copy_day_file(self, name="copy"):
        """A self-contained copy of today's file, made the documented way (sqlite3 .backup),
        under the day file's own name in a directory of its own."""
        d = os.path.join(self.work, name)
        os.makedirs(d, exist_ok=True)
        dst = os.path.join(d, os.path.basename(self.today_path()))
        r = subprocess.run([SQLITE3, "-readonly", self.today_path(), f".backup '{dst}'"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return dst

    def sqlite3(self, path, sql):
        r = subprocess.run([SQLITE3, path], input=sql, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    # verify -----------------------------------------------------------------------------------
    def test_verify_good_file_exit_0(self):
        self.put_tricky(self.app)
        problems, last = dayfile.verify_file(self.today_path())
        self.assertEqual(problems, [])
        n = dayfile.count_rows(self.stack.data_dir)
        path = self.today_path()
        # By day (through the configuration) and by path: the same report.
        for args in (("--config", self.conf, today_utc()), (path,)):
            rc, out, err = self.cli("verify", *args)
            self.assertEqual((rc, err), (0, ""), out)
            self.assertEqual(out, f"{path}: ok, {n} rows, last hash {last.hex()}\n")
        copy = self.copy_day_file()
        rc, out, _ = self.cli("verify", copy)
        self.assertEqual(rc, 0, out)
        self.assertEqual(out, f"{copy}: ok, {n} rows, last hash {last.hex()}\n")

    def tamper(self, name, sql_for):
        """A copy of today's file changed with the sqlite3 CLI. sql_for(triggers) gives the
        SQL; triggers maps a trigger's name to its CREATE statement (to put it back)."""
        copy = self.copy_day_file(name)
        con = dayfile.connect_ro(copy)
        try:
            triggers = dict(con.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
        finally:
            con.close()
        self.sqlite3(copy, sql_for(triggers))
        return copy

    def assertVerifyFails(self, path, seq, kind):
        rc, out, err = self.cli("verify", path)
        self.assertEqual(rc, 1, out + err)
        lines = out.splitlines()
        self.assertEqual(lines[-1], f"{path}: FAILED: first bad seq {seq} ({kind})", out)
        self.assertRegex(lines[0], rf"^{re.escape(path)}: {kind}: ")
        # Exactly one problem: putting the trigger back leaves the schema as it was.
        self.assertEqual(len(lines), 2, out)

    def test_verify_tampered_files_exit_1_naming_the_first_bad_seq(self):
        self.put_tricky(self.app)
        rows = dayfile.all_rows(self.stack.data_dir)
        n = len(rows)
        # Rows of this test's own app (other tests' rows may be named by idempotency keys,
        # which a deletion would also break).
        mine = [r["seq"] for r in rows if r["app"] == self.app]
        self.assertGreaterEqual(len(mine), 13)
        k = mine[len(mine) // 2]
        edit = self.tamper("edit", lambda t: (
            f"DROP TRIGGER log_no_update; UPDATE log SET value = 'tampered' WHERE seq = {k}; "
            f"{t['log_no_update']};"))
        self.assertVerifyFails(edit, k, "edited_row")
        ts = self.tamper("edit-ts", lambda t: (
            f"DROP TRIGGER log_no_update; UPDATE log SET ts = ts + 1 WHERE seq = {k - 1}; "
            f"{t['log_no_update']};"))
        self.assertVerifyFails(ts, k - 1, "edited_row")
        delete = self.tamper("delete", lambda t: (
            f"DROP TRIGGER log_no_delete; DELETE FROM log WHERE seq = {k}; "
            f"{t['log_no_delete']};"))
        self.assertVerifyFails(delete, k, "deleted_row")
        seed = self.tamper("seed", lambda t: (
            "UPDATE meta SET value = '" + "ab" * 32 + "' WHERE key = 'chain_seed';"))
        self.assertVerifyFails(seed, 1, "wrong_seed")
        # A trigger dropped and left out: the schema check names it, exit 1.
        trig = self.tamper("trigger", lambda t: "DROP TRIGGER log_no_update;")
        rc, out, _ = self.cli("verify", trig)
        self.assertEqual(rc, 1, out)
        self.assertEqual(out.splitlines()[-1], f"{trig}: FAILED (bad_schema)")
        # A row appended by hand (its hash copied from the row before): caught at that seq.
        forged = self.tamper("append", lambda t: (
            f"INSERT INTO log(seq, ts, event, type, value, is_unique, hash) "
            f"SELECT seq + 1, ts + 1, event, type, 'forged', 0, hash FROM log WHERE seq = {n};"))
        rc, out, _ = self.cli("verify", forged)
        self.assertEqual(rc, 1, out)
        self.assertRegex(out.splitlines()[-1],
                         rf"^{re.escape(forged)}: FAILED: first bad seq {n + 1} \(\w+\)$")
        # The live file itself was never touched.
        rc, out, _ = self.cli("verify", self.today_path())
        self.assertEqual(rc, 0, out)

    def test_verify_usage_and_unreadable(self):
        rc, out, err = self.cli("verify")
        self.assertEqual(rc, 2)
        self.assertIn("usage: itslog verify", err)
        missing = os.path.join(self.work, "2001-01-01-v1.itslog")
        rc, out, err = self.cli("verify", missing)
        self.assertEqual(rc, 1, out + err)
        self.assertTrue(out.startswith(f"{missing}: FAILED"), out)
        notdb = os.path.join(self.work, "2001-01-02-v1.itslog")
        with open(notdb, "w") as f:
            f.write("not a database\n" * 100)
        rc, out, err = self.cli("verify", notdb)
        self.assertEqual(rc, 1, out + err)
        rc, out, err = self.cli("verify", "--config", os.path.join(self.work, "none.yaml"),
                                today_utc())
        self.assertEqual(rc, 2, out + err)

    # export -----------------------------------------------------------------------------------
    def test_export_jsonl_is_every_row(self):
        self.put_tricky(self.app)
        self.put(APP_B, "other.app", "1")
        rows = dayfile.all_rows(self.stack.data_dir)
        rc, out, err = self.cli("export", "--config", self.conf, today_utc())
        self.assertEqual((rc, err), (0, ""))
        self.assertTrue(out.endswith("\n"))
        got = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(got, [event_json(r) for r in rows])
        # The same shape as GET /v1/events, member order included (the API names the host
        # last).
        r = self.req("GET", f"/v1/events?app={self.app}&limit=1000")
        api_events = json.loads(r.text())["events"]
        self.assertEqual(list(api_events[0].keys()),
                         ["day", "seq", "time", "app", "event", "value", "type", "is_unique",
                          "host"])
        self.assertEqual({e.pop("host") for e in api_events}, {local_host_id()})
        api = [json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in api_events]
        mine = [line for line in out.splitlines() if json.loads(line)["app"] == self.app]
        self.assertEqual([json.loads(x) for x in mine], [json.loads(x) for x in api])
        self.assertEqual(list(json.loads(mine[0]).keys()),
                         ["day", "seq", "time", "app", "event", "value", "type", "is_unique"])
        # Filters.
        rc, out, _ = self.cli("export", self.today_path(), "--app", self.app, "--event",
                              "x.comma")
        self.assertEqual(rc, 0)
        self.assertEqual([json.loads(x) for x in out.splitlines()],
                         [event_json(r) for r in rows
                          if r["app"] == self.app and r["event"] == "x.comma"])
        rc, out, _ = self.cli("export", self.today_path(), "--app", "nobody.example")
        self.assertEqual((rc, out), (0, ""))

    def test_export_csv_is_rfc4180_with_null_and_empty_apart(self):
        self.put_tricky(self.app)
        rows = dayfile.all_rows(self.stack.data_dir)
        rc, out, err = self.cli("export", "--config", self.conf, today_utc(), "--format", "csv")
        self.assertEqual((rc, err), (0, ""))
        want = "day,seq,time,app,event,value,type,is_unique\r\n" + "".join(
            csv_line(r["day"], r["seq"], r["ts"], r["app"], r["event"], r["value"], r["type"],
                     r["is_unique"]) for r in rows)
        self.assertEqual(out, want)
        # Python's csv reader gets the values back (NULL and "" both read as "" there).
        records = list(csv.reader(io.StringIO(out, newline="")))
        self.assertEqual(records[0],
                         ["day", "seq", "time", "app", "event", "value", "type", "is_unique"])
        self.assertEqual([rec[5] for rec in records[1:]],
                         ["" if r["value"] is None else r["value"] for r in rows])
        mine = {r["event"]: r for r in rows if r["app"] == self.app}
        null_line = csv_line(today_utc(), mine["x.null"]["seq"], mine["x.null"]["ts"], self.app,
                             "x.null", None, 3, 0)
        self.assertIn(f",x.null,,3,0\r\n", null_line)
        self.assertIn(null_line, out)
        self.assertIn(',x.empty,"",3,0\r\n', out)
        rc, out, _ = self.cli("export", self.today_path(), "--format", "csv", "--no-header",
                              "--event", "x.quote")
        self.assertEqual(rc, 0)
        self.assertEqual(out, csv_line(today_utc(), mine["x.quote"]["seq"], mine["x.quote"]["ts"],
                                       self.app, "x.quote", 'say "hi"', 3, 0))

    def test_export_usage(self):
        for args, code in ((("export",), 2), (("export", self.today_path(), "--format", "xml"), 2),
                           (("export", self.today_path(), "--app", ".bad"), 2),
                           (("export", self.today_path(), "extra"), 2),
                           (("export", os.path.join(self.work, "2001-01-01-v1.itslog")), 1)):
            with self.subTest(args=args):
                rc, out, err = self.cli(*args)
                self.assertEqual(rc, code, out + err)
                self.assertEqual(out, "")
                self.assertTrue(err.strip())

    def test_export_million_rows_in_bounded_memory(self):
        day = "2024-02-29"
        n = 1_000_000
        path = os.path.join(self.work, f"{day}-v1.itslog")
        base = day_start_us(day)
        names = [("big.app-1", "page.view"), ("big.app-1", "api.call"),
                 ("big.app-2", "login"), ("big.app-2", "search"), ("big.app-3", "tick")]

        def rows():
            for i in range(n):
                app, event = names[i % 5]
                k = i % 10
                if k == 0:
                    value, type_ = None, 3
                elif k < 5:
                    value, type_ = str(i), 1
                elif k < 8:
                    value, type_ = f"q{i}", 3
                elif k == 8:
                    value, type_ = f"a,b \"{i}\"", 3
                else:
                    value, type_ = "", 3
                yield (base + i * 86_000, app, event, type_, value, 1 if i < 5 else 0)

        expect = hashlib.sha256(b"day,seq,time,app,event,value,type,is_unique\r\n")

        def on_row(seq, row):
            ts, app, event, type_, value, is_unique = row
            expect.update(csv_line(day, seq, ts, app, event, value, type_,
                                   is_unique).encode())

        t0 = time.monotonic()
        count, last = write_day_file(path, day, rows(), on_row=on_row)
        built = time.monotonic() - t0
        self.assertEqual(count, n)
        # The file is a valid day file.
        t0 = time.monotonic()
        rc, out, err = self.cli("verify", path)
        verified = time.monotonic() - t0
        self.assertEqual((rc, out), (0, f"{path}: ok, {n} rows, last hash {last.hex()}\n"), err)

        # Export it to a pipe, reading as a consumer would.
        got = hashlib.sha256()
        counted = {"lines": 0, "size": 0}

        def consume(chunk):
            got.update(chunk)
            counted["lines"] += chunk.count(b"\n")  # no value of this file holds a line break
            counted["size"] += len(chunk)

        t0 = time.monotonic()
        rc, err, peak_mib = self.run_measured([self.bin, "export", path, "--format", "csv"],
                                              consume)
        exported = time.monotonic() - t0
        self.assertEqual(rc, 0, err)
        self.assertEqual(counted["lines"], n + 1, "header plus one line per row")
        self.assertEqual(got.hexdigest(), expect.hexdigest(), "the CSV differs from the rows")
        self.assertLess(peak_mib, EXPORT_LIMIT_MIB,
                        f"export of {n} rows peaked at {peak_mib:.1f} MiB")
        print(f"    million-row day: built {built:.1f} s, verified {verified:.1f} s, "
              f"CSV export {exported:.1f} s ({counted['size'] / 2**20:.0f} MiB), "
              f"export peak RSS {peak_mib:.1f} MiB", flush=True)

        # A filtered JSON-lines export streams as well.
        state = {"lines": 0, "first": None}

        def consume_jsonl(chunk):
            if state["first"] is None:
                state["first"] = chunk.split(b"\n", 1)[0]
            state["lines"] += chunk.count(b"\n")

        rc, err, peak_mib = self.run_measured([self.bin, "export", path, "--app", "big.app-3"],
                                              consume_jsonl)
        self.assertEqual(rc, 0, err)
        self.assertEqual(state["lines"], n // 5)
        self.assertEqual(json.loads(state["first"]), {
            "day": day, "seq": 5, "time": iso_micros(base + 4 * 86_000), "app": "big.app-3",
            "event": "tick", "value": "4", "type": 1, "is_unique": 1})
        self.assertLess(peak_mib, EXPORT_LIMIT_MIB)

    def run_measured(self, argv, consume):
        """Runs argv, handing its stdout to consume() in pieces; returns (exit code, stderr,
        peak RSS in MiB of argv's process alone). GNU time measures it when installed;
        otherwise the process's VmHWM (peak RSS since its exec) is sampled from /proc while
        it runs (wait4's ru_maxrss would also count this Python process, whose memory the
        child shares until it execs)."""
        gnu_time = shutil.which("time") or (
            "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None)
        rss_file = os.path.join(self.work, "measured.rss")
        if gnu_time:
            argv = [gnu_time, "-f", "%M", "-o", rss_file, *argv]
        err_path = os.path.join(self.work, "measured.err")
        with open(err_path, "wb") as err_file:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err_file)
        hwm_kib = 0

        def sample():
            try:
                with open(f"/proc/{proc.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            return int(line.split()[1])
            except OSError:
                pass
            return 0

        while True:
            if not gnu_time:
                hwm_kib = max(hwm_kib, sample())
            chunk = proc.stdout.read(1 << 20)
            if not chunk:
                break
            consume(chunk)
        rc = proc.wait(60)
        with open(err_path, errors="replace") as f:
            err = f.read()
        if gnu_time:
            with open(rss_file) as f:
                hwm_kib = int(f.read().split()[-1])
        else:
            self.assertGreater(hwm_kib, 0, "no sample of the exporter's memory")
        return rc, err, hwm_kib / 1024

    def test_live_file_while_workers_write(self):
        """verify, export and stats read one consistent snapshot of a file that two workers
        are appending to (events, unique events, idempotent retries)."""
        import threading
        stop = threading.Event()
        errors = []

        def writer(i):
            n = 0
            try:
                while not stop.is_set() and n < 400:
                    app = f"{self.app}-{i}-{n // 15}"  # a fresh app before the name cap
                    r = self.req("PUT", f"/v1/unique/{app}/u.{n % 15}", None)
                    if r.status != 201:
                        errors.append(r)
                    r = self.req("PUT", f"/v1/event/{app}/e", {"value": str(n)},
                                 headers={"Idempotency-Key": f"k{n}"})
                    if r.status != 204:
                        errors.append(r)
                    n += 1
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(3)]
        for t in threads:
            t.start()
        path = self.today_path()
        exports = []
        try:
            for round_ in range(6):
                rc, out, err = self.cli("verify", path)
                self.assertEqual(rc, 0, out + err)
                self.assertRegex(out, rf"^{re.escape(path)}: ok, \d+ rows, last hash [0-9a-f]{{64}}\n$")
                rc, out, err = self.cli("export", path)
                self.assertEqual((rc, err), (0, ""))
                exports.append([json.loads(x) for x in out.splitlines()])
                rc, out, err = self.cli("stats", path, "--json")
                self.assertEqual((rc, err), (0, ""))
                st = json.loads(out)
                self.assertEqual(st["rows"], st["last_seq"])
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        self.assertEqual(errors, [])
        final = [event_json(r) for r in dayfile.all_rows(self.stack.data_dir)]
        for rows in exports:
            # Each export is a prefix of the final file: seq dense from 1, rows unchanged.
            self.assertEqual([r["seq"] for r in rows], list(range(1, len(rows) + 1)))
            self.assertEqual(rows, final[:len(rows)])
        self.assertGreater(len(exports[-1]), len(exports[0]), "the file grew while read")

    # stats ------------------------------------------------------------------------------------
    def test_stats_json_matches_the_file(self):
        self.put_tricky(self.app)
        for i in range(5):
            self.put(self.app, "x.plain", str(i))
        rows = dayfile.all_rows(self.stack.data_dir)
        rc, out, err = self.cli("stats", "--config", self.conf, "--json", "--top", "3")
        self.assertEqual((rc, err), (0, ""))
        s = json.loads(out)
        per_app, per_event = {}, {}
        for r in rows:
            per_app[r["app"]] = per_app.get(r["app"], 0) + 1
            per_event[(r["app"], r["event"])] = per_event.get((r["app"], r["event"]), 0) + 1
        top = sorted(per_event.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        path = self.today_path()
        self.assertEqual(s["file"], path)
        self.assertEqual(s["day"], today_utc())
        self.assertEqual(s["timezone"], "UTC")
        self.assertEqual((s["rows"], s["last_seq"]), (len(rows), rows[-1]["seq"]))
        self.assertEqual(s["apps"], len(per_app))
        self.assertEqual(s["events"], len(per_event))
        self.assertEqual(s["unique_events"], sum(r["is_unique"] for r in rows))
        self.assertEqual(s["first_time"], iso_micros(rows[0]["ts"]))
        self.assertEqual(s["last_time"], iso_micros(rows[-1]["ts"]))
        self.assertEqual(s["file_bytes"], os.path.getsize(path))
        self.assertFalse(s["sealed"])
        self.assertEqual(s["per_app"], [{"app": a, "count": c} for a, c in
                                        sorted(per_app.items(), key=lambda kv: (-kv[1], kv[0]))])
        self.assertEqual(s["top_events"], [{"app": a, "event": e, "count": c}
                                           for (a, e), c in top])
        # The text form says the same numbers.
        rc, out, _ = self.cli("stats", path)
        self.assertEqual(rc, 0)
        self.assertIn(f"rows          {len(rows)}\n", out)
        self.assertIn(f"events        {len(per_event)} distinct (app, event) names\n", out)
        rc, _, err = self.cli("stats", "--top", "0", path)
        self.assertEqual(rc, 2, err)

    # tail -------------------------------------------------------------------------------------
    def test_tail_last_rows_and_follow(self):
        for i in range(6):
            self.put(self.app, "tl.e", str(i))
        rows = dayfile.all_rows(self.stack.data_dir)
        rc, out, err = self.cli("tail", "--config", self.conf, "-n", "3", "--json")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual([json.loads(x) for x in out.splitlines()],
                         [event_json(r) for r in rows[-3:]])
        rc, out, _ = self.cli("tail", "--config", self.conf, "-n", "2", "--app", self.app)
        self.assertEqual(rc, 0)
        self.assertEqual(out, "".join(f"{iso_micros(r['ts'])}  {self.app}  tl.e  {r['value']}\n"
                                      for r in rows[-2:]))
        # -f: new rows of the app as they are committed, until stopped.
        out_path = os.path.join(self.work, "tail.out")
        proc = Proc([self.bin, "tail", "--config", self.conf, "-f", "-n", "0", "--json",
                     "--app", self.app], out_path, os.path.join(self.work, "tail.err"))
        try:
            time.sleep(0.5)
            for i in range(4):
                self.put(self.app, "tl.f", str(i))
                self.put(APP_A, "tl.not-this-app")

            def lines():
                text = read_tail(out_path, 0, 1 << 20)
                got = [x for x in text.splitlines() if x.strip()]
                return got if len(got) >= 4 else None

            got = wait_for(lines, timeout=10)
            self.assertIsNotNone(got, read_tail(out_path))
            want = [event_json(r) for r in dayfile.all_rows(self.stack.data_dir)
                    if r["app"] == self.app and r["event"] == "tl.f"]
            self.assertEqual([json.loads(x) for x in got], want)
            self.assertTrue(proc.alive())
        finally:
            stop_pid(proc.pid)
        rc, _, err = self.cli("tail", "--config", self.conf, "-n", "x")
        self.assertEqual(rc, 2, err)
