"""The analysis roads of docs/ANALYSIS.md, run exactly as documented: day files (two earlier
days built from the contract, and today's written by workers behind nginx) loaded into a
private PostgreSQL cluster with `itslog export --format csv` + psql \\copy, and with sqlite3
-csv; the documented queries; sqlite3 on a day file; a .backup copy; Datasette when installed.
Every figure is compared with the day files read back with Python's sqlite3.

Skipped, with the reason, when PostgreSQL's server binaries are missing
(scripts/install-deps.sh installs the Debian package postgresql)."""

import csv
import io
import os
import re
import shutil
import subprocess
import time
import traceback
from decimal import Decimal

from lib import dayfile, http
from lib.base import StackTestCase, today_utc
from lib.pgcluster import PgCluster, missing_reason
from lib.procs import Proc, free_port, read_tail, stop_pid
from lib.readside import (APP_A, APP_B, ReadNginxStack, day_start_us, doc_blocks, run_cli,
                          write_day_file)

DOC = "docs/ANALYSIS.md"


def add_days(day, n):
    import datetime
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=n)).isoformat()


EARLIER_VALUES = [
    ("page.view", 3, None), ("page.view", 3, "/home"), ("load_ms", 1, "183"),
    ("load_ms", 1, "-7"), ("ratio", 2, "0.25"), ("ratio", 2, "1e-3"), ("note", 3, "a,b"),
    ("note", 3, 'quo"te'), ("note", 3, "multi\nline\r\nvalue"), ("note", 3, ""),
    ("note", 3, "caf\u00e9 \u6f22 \U0001f600"), ("signup", 6, '{"plan":"pro","seats":3}'),
    ("signup", 6, '{"plan":"free"}'), ("when", 4, "2025-12-01"),
    ("at", 5, "2025-12-01T10:30:00.25+01:00"), ("blob", 7, "aGVsbG8="),
]


def earlier_rows(day, salt):
    """A few dozen rows of day for two apps, with unique events; ts spread over the day."""
    base = day_start_us(day)
    out = []
    i = 0
    for rep in range(3 + salt):
        for event, type_, value in EARLIER_VALUES:
            app = APP_A if (i + salt) % 3 else APP_B
            out.append((base + 1_000_000 * (37 * i + 11) + i, app, event, type_, value, 0))
            i += 1
    out.append((base + 80_000_000_000, APP_A, "auth.client-1", 3, None, 1))
    out.append((base + 80_000_000_001, APP_B, "auth.client-2", 3, None, 1))
    return out


def prepare_earlier_days(stack):
    """Writes the two days before today, chained to each other, before the workers start (so
    that today's file chains from yesterday's)."""
    today = today_utc()
    seed = b"\0" * 32
    for back, salt in ((2, 0), (1, 1)):
        day = add_days(today, -back)
        path = os.path.join(stack.data_dir, f"{day}-v1.itslog")
        _, seed = write_day_file(path, day, earlier_rows(day, salt), seed=seed)


class PostgresAnalysisTest(StackTestCase):
    stack_class = ReadNginxStack
    stack_kwargs = {"workers": 2, "prepare": prepare_earlier_days}
    pg = None
    pg_skip = None
    pg_error = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pg = None
        cls.pg_error = None
        cls.pg_skip = missing_reason()
        if cls.pg_skip or cls.stack is None:
            return
        try:
            cls.pg = PgCluster()
            cls.pg.start()
        except Exception:
            cls.pg_error = traceback.format_exc()

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.pg is not None:
                cls.pg.stop()
        finally:
            super().tearDownClass()

    def setUp(self):
        super().setUp()
        if self.pg_skip:
            self.skipTest(self.pg_skip)
        if self.pg_error:
            self.fail("the PostgreSQL cluster did not start:\n" + self.pg_error)
        self.blocks = doc_blocks(DOC)
        self.work = os.path.join(self.stack.dir, "work-" + self._testMethodName)
        os.makedirs(self.work, exist_ok=True)
        self.seed_today()

    def tearDown(self):
        if self.stack is not None and not self.start_error:
            self.assertChainOk()

    def server_logs(self):
        logs = super().server_logs()
        if self.pg is not None:
            logs += "\n--- postgres server.log ---\n" + self.pg.log_text()
        return logs

    # Helpers --------------------------------------------------------------------------------
    def seed_today(self):
        """Today's events, through nginx, once per class."""
        if getattr(type(self), "_seeded", False):
            return
        for event, type_, value in EARLIER_VALUES:
            body = {"type": type_}
            if value is not None:
                body["value"] = value
            r = self.req("PUT", f"/v1/event/{APP_A}/{event}", body)
            self.assertStatus(r, 204)
        self.assertStatus(self.req("PUT", f"/v1/unique/{APP_B}/auth.client-9"), 201)
        r = self.log([{"app": APP_B, "event": "batch.e", "value": str(i), "type": 1}
                      for i in range(20)])
        self.assertStatus(r, 200)
        type(self)._seeded = True

    def env(self):
        env = self.pg.env()
        env["PATH"] = os.path.dirname(self.stack.binary) + os.pathsep + env.get("PATH", "")
        env["DATA_DIR"] = self.stack.data_dir
        env["DAY"] = today_utc()
        env.pop("ITSLOG_CONFIG", None)
        return env

    def run_block(self, name, timeout=120):
        """Runs the documented block `name` with bash (-e, pipefail) in this test's work dir."""
        self.assertIn(name, self.blocks, f"{DOC} has no block marked <!-- test: {name} -->")
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", self.blocks[name]],
                           cwd=self.work, env=self.env(), capture_output=True, text=True,
                           timeout=timeout)
        self.assertEqual(r.returncode, 0, f"block {name} failed:\n{r.stdout}\n{r.stderr}")
        # psql's NOTICEs (CREATE ... IF NOT EXISTS of what exists) are fine; nothing else.
        complaints = [x for x in r.stderr.splitlines() if not x.startswith("NOTICE:")]
        self.assertEqual(complaints, [], f"block {name} complained")
        return r.stdout

    def file_rows(self):
        return dayfile.all_rows(self.stack.data_dir)

    def pg_rows(self):
        """Every row of itslog_events, read back through COPY ... CSV (values may hold any
        character), with value NULL told apart from ''."""
        r = subprocess.run(
            ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-c",
             "COPY (SELECT day, seq, (extract(epoch FROM time) * 1000000)::bigint, app, event, "
             "value, value IS NULL, type, is_unique FROM itslog_events ORDER BY day, seq) "
             "TO STDOUT WITH (FORMAT csv)"],
            env=self.pg.env(), capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = []
        for rec in csv.reader(io.StringIO(r.stdout.decode("utf-8"), newline="")):
            day, seq, ts, app, event, value, is_null, type_, is_unique = rec
            out.append(dict(day=day, seq=int(seq), ts=int(ts), app=app, event=event,
                            value=None if is_null == "t" else value, type=int(type_),
                            is_unique=1 if is_unique == "t" else 0))
        return out

    def assertTableEqualsFiles(self):
        want = [{k: r[k] for k in ("day", "seq", "ts", "app", "event", "value", "type",
                                   "is_unique")} for r in self.file_rows()]
        got = self.pg_rows()
        self.assertEqual(len(got), len(want))
        self.assertEqual(got, want)
        # Counts per day and event, as the task of loading promises.
        counts = {}
        for r in want:
            counts[(r["day"], r["app"], r["event"])] = counts.get(
                (r["day"], r["app"], r["event"]), 0) + 1
        pg_counts = {(d, a, e): int(n) for d, a, e, n in self.pg.psql(
            "SELECT day, app, event, count(*) FROM itslog_events GROUP BY 1, 2, 3")}
        self.assertEqual(pg_counts, counts)
        days = sorted({r["day"] for r in want})
        self.assertEqual(days, [add_days(today_utc(), -2), add_days(today_utc(), -1), today_utc()])

    def fresh_table(self):
        self.run_block("postgres-schema")
        self.pg.psql("TRUNCATE itslog_events")

    # Tests ----------------------------------------------------------------------------------
    def test_load_with_itslog_export_and_psql_copy(self):
        self.fresh_table()
        self.run_block("postgres-load")
        self.assertTableEqualsFiles()
        self.assertEqual(sorted(os.listdir(self.work)), [], "the CSV files are removed")
        # Loading again replaces each day: nothing is counted twice.
        self.run_block("postgres-schema")
        self.run_block("postgres-load")
        self.assertTableEqualsFiles()
        # Today's file grows; the next run brings the new rows.
        self.assertStatus(self.req("PUT", f"/v1/event/{APP_A}/late.event"), 204)
        self.run_block("postgres-load")
        self.assertTableEqualsFiles()

    def test_load_with_sqlite3_csv_equals_itslog_export(self):
        self.fresh_table()
        self.run_block("postgres-load-sqlite3")
        self.assertTableEqualsFiles()
        self.pg.psql("TRUNCATE itslog_events")
        self.run_block("postgres-load")
        self.assertTableEqualsFiles()

    def test_documented_queries(self):
        self.fresh_table()
        self.run_block("postgres-load")
        rows = self.file_rows()
        sql = self.blocks["postgres-queries"]
        statements = [s.strip() for s in sql.split(";") if s.strip()]
        self.assertEqual(len(statements), 5)
        results = []
        for st in statements:
            results.append(self.pg.psql(st))
        # 1: events per day, app and name.
        counts = {}
        for r in rows:
            k = (r["day"], r["app"], r["event"])
            counts[k] = counts.get(k, 0) + 1
        self.assertEqual(results[0], [[d, a, e, str(n)] for (d, a, e), n in sorted(counts.items())])
        # 2: numbers (exact decimal arithmetic on the stored text).
        nums = {}
        for r in rows:
            if r["type"] in (1, 2) and r["value"] is not None:
                nums.setdefault((r["day"], r["app"], r["event"]), []).append(Decimal(r["value"]))
        self.assertEqual(len(results[1]), len(nums))
        for got, ((d, a, e), vals) in zip(results[1], sorted(nums.items())):
            self.assertEqual(got[:4], [d, a, e, str(len(vals))])
            self.assertEqual(Decimal(got[4]), sum(vals))
            self.assertEqual(Decimal(got[5]),
                             (sum(vals) / len(vals)).quantize(Decimal("0.000001")))
            self.assertEqual(Decimal(got[6]), max(vals))
        # 3: unique events per day and app.
        uniq = {}
        for r in rows:
            if r["is_unique"]:
                uniq[(r["day"], r["app"])] = uniq.get((r["day"], r["app"]), 0) + 1
        self.assertEqual(results[2], [[d, a, str(n)] for (d, a), n in sorted(uniq.items())])
        # 4: per hour over the last week: every row of the three days is within it.
        hourly = {}
        for r in rows:
            h = time.strftime("%Y-%m-%d %H:00:00+00", time.gmtime(r["ts"] // 1_000_000))
            hourly[(h, r["app"], r["event"])] = hourly.get((h, r["app"], r["event"]), 0) + 1
        self.assertEqual(sum(int(x[3]) for x in results[3]), len(rows))
        self.assertEqual({(h, a, e): int(n) for h, a, e, n in results[3]}, hourly)
        # 5: JSONB member.
        plans = {}
        for r in rows:
            if r["type"] == 6 and r["event"] == "signup":
                import json
                p = json.loads(r["value"]).get("plan")
                plans[p] = plans.get(p, 0) + 1
        self.assertEqual(results[4], [[p, str(n)] for p, n in sorted(plans.items())])

    def test_sqlite3_counts_on_a_day_file(self):
        out = self.run_block("sqlite3-counts")
        counts = {}
        for r in self.file_rows():
            if r["day"] == today_utc():
                counts[(r["app"], r["event"])] = counts.get((r["app"], r["event"]), 0) + 1
        self.assertEqual(out, "".join(f"{a}|{e}|{n}\n" for (a, e), n in sorted(counts.items())))

    def test_sqlite3_backup_copy_verifies(self):
        out = self.run_block("sqlite3-backup")
        copy = os.path.join(self.work, f"{today_utc()}-v1.itslog")
        n = len([r for r in self.file_rows() if r["day"] == today_utc()])
        self.assertRegex(out, rf"^{re.escape(today_utc())}-v1\.itslog: ok, {n} rows, last hash "
                              r"[0-9a-f]{64}\n$")
        self.assertEqual(dayfile.read_rows(copy),
                         [r for r in self.file_rows() if r["day"] == today_utc()])
        self.assertEqual(sorted(os.listdir(self.work)), [os.path.basename(copy)],
                         "one self-contained file, nothing beside it after reading")

    def test_datasette_serves_a_copy(self):
        if shutil.which("datasette") is None:
            self.skipTest("datasette not installed (pipx install datasette; not in Debian)")
        self.run_block("sqlite3-backup")
        port = free_port()
        env = self.env()
        env["PORT"] = str(port)
        log = os.path.join(self.work, "datasette.log")
        proc = Proc(["bash", "-c", "exec " + self.blocks["datasette"].strip()], log, env=env,
                    cwd=self.work)
        try:
            deadline = time.monotonic() + 30
            r = None
            while time.monotonic() < deadline:
                try:
                    r = http.request(port, "GET", f"/{today_utc()}-v1/entries.json?_shape=array"
                                                  "&_size=max", timeout=5)
                    if r.status == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.3)
            self.assertIsNotNone(r, read_tail(log))
            self.assertEqual(r.status, 200, read_tail(log))
            n = len([x for x in self.file_rows() if x["day"] == today_utc()])
            self.assertEqual(len(r.json()), n)
        finally:
            stop_pid(proc.pid)

    def test_earlier_days_chain_into_today(self):
        # The files built from the contract are accepted by the worker (today's file took its
        # chain_seed from yesterday's last hash) and by itslog verify.
        problems = dayfile.verify_dir(self.stack.data_dir)
        self.assertEqual(problems, [])
        for back in (2, 1, 0):
            day = add_days(today_utc(), -back)
            rc, out, err = run_cli(self.stack.binary, "verify", "--config",
                                   self.stack.config_path, day)
            self.assertEqual(rc, 0, out + err)
        _, yesterday_last = dayfile.verify_file(
            os.path.join(self.stack.data_dir, f"{add_days(today_utc(), -1)}-v1.itslog"))
        con = dayfile.connect_ro(os.path.join(self.stack.data_dir, f"{today_utc()}-v1.itslog"))
        try:
            seed = con.execute("SELECT value FROM meta WHERE key = 'chain_seed'").fetchone()[0]
        finally:
            con.close()
        self.assertEqual(seed, yesterday_last.hex())
