#!/usr/bin/env python3
"""`itslog ship` against real local S3 servers: @20minutes/s3rver (checks SigV4 signatures)
and moto_server (AWS-style multipart ETags). What was shipped is read back with boto3, an
independent client, and checked byte for byte and against the contract (docs/DATA-FORMAT.md):
the sealed meta, the hash chain, the seal JSON. A successful run sets the last-ship gauge that
GET /metrics reports (scraped from a worker run as plain CGI). Faults come from a small HTTP proxy in front
of the server that answers 500 or holds a chosen request while the test kills `ship`.
Several hosts (own data_dir, config and host_id each; events written by real workers whose
clock faketime sets to a past day) ship the same days to one bucket: every acknowledged event
must be there, and a duplicate host_id must be a conflict that loses nothing.

Discovered by tests/integration/run.py; also runs alone:
  python3 tests/integration/test_s3_ship.py --build BUILD [-k PATTERN]
The S3 server is installed by scripts/install-s3-test-deps.sh (called here when missing)."""

import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from lib import dayfile  # noqa: E402
from lib.base import Settings  # noqa: E402
from lib.procs import free_port, read_tail  # noqa: E402
from lib.s3 import BUCKET, S3ServerTestCase, boto  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
PREFIX = "logs/"
HOST = "vm-a"  # host_id of the single-host tests

# The day file schema, taken from the contract's text (docs/DATA-FORMAT.md), not from the code.
def contract_schema():
    with open(os.path.join(ROOT, "docs", "DATA-FORMAT.md")) as f:
        m = re.search(r"```sql\n(.*?)```", f.read(), re.S)
    return m.group(1)


SCHEMA = contract_schema()
# The smallest multipart threshold the config accepts (S3's minimum part size); the files of
# the multipart tests are well above it, so that part 2 exists.
MIN_THRESHOLD = 5 << 20
ROWS_FOR_TWO_PARTS = 30000  # rows of 300-byte values: a file of 8 to 16 MiB


def today_utc():
    return datetime.datetime.now(datetime.timezone.utc).date()


def past_day(n):
    return (today_utc() - datetime.timedelta(days=n)).isoformat()


def make_day_file(data_dir, day, rows, value_bytes=20, seed=b"\0" * 32, keep_open=False):
    """Writes a day file of the contract's format in WAL mode, with a valid hash chain.
    keep_open: return the open connection too (an idle worker still holding the file)."""
    path = os.path.join(data_dir, f"{day}-v1.itslog")
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(SCHEMA)
    con.execute("BEGIN")
    for k, v in (("format", "itslog"), ("version", "1"), ("day", day), ("timezone", "UTC"),
                 ("chain_seed", seed.hex()), ("host", "test")):
        con.execute("INSERT INTO meta VALUES(?, ?)", (k, v))
    con.execute("INSERT INTO events(id, app, name) VALUES(1, 'app.test', 'ev')")
    t0 = int(datetime.datetime.fromisoformat(day + "T00:00:00+00:00").timestamp() * 1e6)
    prev = seed
    pad = "v" * value_bytes
    batch = []
    for seq in range(1, rows + 1):
        ts = t0 + seq * 1000
        value = f"{seq}:{pad}"
        h = dayfile.chain_hash(prev, seq, ts, "app.test", "ev", 3, value)
        batch.append((seq, ts, value, h))
        prev = h
        if len(batch) >= 10000:
            con.executemany("INSERT INTO log VALUES(?, ?, 1, 3, ?, 0, ?)", batch)
            batch = []
    con.executemany("INSERT INTO log VALUES(?, ?, 1, 3, ?, 0, ?)", batch)
    con.execute("COMMIT")
    if keep_open:
        return path, prev, con
    con.close()
    return path, prev


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_size(path):
    """A SQLite file's size with its WAL, if one is left."""
    wal = path + "-wal"
    return os.path.getsize(path) + (os.path.getsize(wal) if os.path.exists(wal) else 0)


METRICS_FILE = ".itslog-metrics-v2"  # the counters the workers share, and ship's last success


def local_files(data_dir):
    """The files of days in data_dir (the shared metrics file is not one)."""
    return sorted(f for f in os.listdir(data_dir) if f != METRICS_FILE)


# Tests --------------------------------------------------------------------------------------
class ShipTestBase(S3ServerTestCase):
    server_kind = "s3rver"

    @classmethod
    def missing(cls):
        probe = subprocess.run([cls.binary, "ship", "--help"], capture_output=True, text=True)
        if probe.returncode != 0:
            return f"{cls.binary} has no ship command"
        return None

    def setUp(self):
        super().setUp()
        self._log_offset = os.path.getsize(self.server.log_path)
        self.outputs = []
        name = self._testMethodName
        self.work = tempfile.mkdtemp(prefix=name + "-", dir=self.root)
        self.data_dir = os.path.join(self.work, "data")
        os.makedirs(self.data_dir)
        # A prefix of its own per test, so that tests never see each other's objects.
        self.prefix = f"{PREFIX}{name}/"
        self.s3 = boto(self.server)

    def server_logs(self):
        out = "\n".join(self.outputs[-6:])
        if self.server is not None:
            out += "\n-- S3 server log:\n" + self.server.log(self._log_offset)
        return out

    # Running ship ---------------------------------------------------------------------
    def write_config(self, endpoint=None, bucket=BUCKET, delete_local=True,
                     threshold=64 << 20, retries=1, timeout_ms=20000, host=HOST,
                     data_dir=None, name="itslog.yaml"):
        path = os.path.join(self.work, name)
        lines = [
            f"data_dir: {json.dumps(data_dir or self.data_dir)}",
            f"host_id: {json.dumps(host)}",
            "timezone: UTC",
            "log: stderr",
            "auth: {required: false}",
            "s3:",
            f"  endpoint: {json.dumps(endpoint or self.server.endpoint)}",
            "  region: us-east-1",
            f"  bucket: {json.dumps(bucket)}",
            f"  prefix: {json.dumps(self.prefix)}",
            "  path_style: true",
            "  connect_timeout_ms: 2000",
            f"  timeout_ms: {timeout_ms}",
            f"  retries: {retries}",
            "ship:",
            f"  delete_local: {'true' if delete_local else 'false'}",
            f"  multipart_threshold_bytes: {threshold}",
        ]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def ship_env(self, key=None):
        env = dict(os.environ)
        key = key or self.server.key
        env["ITSLOG_S3_ACCESS_KEY_ID"] = key[0]
        env["ITSLOG_S3_SECRET_ACCESS_KEY"] = key[1]
        env.pop("ITSLOG_CONFIG", None)
        return env

    def ship(self, config, *extra, key=None, timeout=120):
        r = subprocess.run([self.binary, "ship", "--config", config, *extra],
                           capture_output=True, text=True, env=self.ship_env(key),
                           timeout=timeout)
        self.outputs.append(f"$ itslog ship {' '.join(extra)} -> exit {r.returncode}\n"
                            f"stdout:\n{r.stdout}stderr:\n{r.stderr}")
        return r

    def start_ship(self, config, key=None):
        out = open(os.path.join(self.work, "ship.out"), "ab")
        p = subprocess.Popen([self.binary, "ship", "--config", config], stdout=out,
                             stderr=subprocess.STDOUT, env=self.ship_env(key))
        out.close()
        return p

    def scrape_metrics(self, config):
        """GET /metrics from a worker that serves one request as plain CGI: the gauges
        every worker of the data_dir reports."""
        env = dict(os.environ, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="GET",
                   SCRIPT_NAME="/its-log", PATH_INFO="/metrics", SERVER_PROTOCOL="HTTP/1.1")
        env.pop("ITSLOG_CONFIG", None)
        r = subprocess.run([self.binary, "fcgi", "--config", config], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, env=env, timeout=60)
        self.outputs.append(f"$ itslog fcgi (CGI GET /metrics) -> exit {r.returncode}\n"
                            f"stdout:\n{r.stdout[-3000:]}stderr:\n{r.stderr[-3000:]}")
        head, _, body = r.stdout.replace("\r\n", "\n").partition("\n\n")
        self.assertTrue(head.startswith("Status: 200"), r.stdout[:500] + r.stderr)
        return body

    def last_ship_gauge(self, config):
        m = re.search(r"^itslog_last_ship_timestamp_seconds (\d+)$", self.scrape_metrics(config),
                      re.M)
        return int(m.group(1)) if m else None

    # Checking what S3 holds -------------------------------------------------------------
    def key(self, day, suffix="-v1.itslog", host=HOST, legacy=False):
        """The object of a day (docs/DATA-FORMAT.md, "Shipped days"): in its host's folder,
        or in the first layout."""
        if legacy:
            return f"{self.prefix}{day}{suffix}"
        return f"{self.prefix}{day}/hosts/{host}/{day}{suffix}"

    def keys_of_day(self, day):
        return sorted(o["Key"] for o in self.s3.list_objects_v2(
            Bucket=BUCKET, Prefix=f"{self.prefix}{day}").get("Contents", []))

    def download(self, day, suffix="-v1.itslog", host=HOST, legacy=False):
        # Under the day file's own name: the checker reads the day from it.
        folder = os.path.join(self.work, "downloaded", "legacy" if legacy else host)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{day}{suffix}")
        obj = self.s3.get_object(Bucket=BUCKET, Key=self.key(day, suffix, host, legacy))
        with open(path, "wb") as f:
            f.write(obj["Body"].read())
        return path

    def assert_not_in_s3(self, day):
        self.assertEqual(self.keys_of_day(day), [], f"{day} should not be in S3")

    def assert_shipped(self, day, rows, last_hash, local_copy=None, host=HOST, legacy=False):
        """The object and its seal in S3 prove the day: a sealed, self-contained file whose
        chain verifies, with the seal's host, rows, final hash and file SHA-256."""
        path = self.download(day, host=host, legacy=legacy)
        with open(self.download(day, "-v1.seal.json", host=host, legacy=legacy)) as f:
            seal = json.load(f)
        if legacy:  # the first layout's seal has no host
            self.assertEqual(set(seal), {"day", "rows", "final_hash", "file_sha256"})
        else:
            self.assertEqual(set(seal), {"day", "host", "rows", "final_hash", "file_sha256"})
            self.assertEqual(seal["host"], host)
        self.assertEqual(seal["day"], day)
        self.assertEqual(seal["rows"], rows)
        self.assertEqual(seal["final_hash"], last_hash.hex())
        self.assertEqual(seal["file_sha256"], sha256_file(path))
        if local_copy is not None:
            with open(local_copy, "rb") as a, open(path, "rb") as b:
                self.assertTrue(a.read() == b.read(), "S3 copy differs from the local file")
        # One self-contained file: no WAL needed, so it opens read-only from a bare copy.
        with open(path, "rb") as f:
            header = f.read(100)
        self.assertEqual(header[:16], b"SQLite format 3\0")
        self.assertEqual((header[18], header[19]), (1, 1), "not out of WAL mode")
        problems, final = dayfile.verify_file(path)
        self.assertEqual(problems, [])
        self.assertEqual(final, last_hash)
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        meta = dict(con.execute("SELECT key, value FROM meta"))
        n = con.execute("SELECT count(*) FROM log").fetchone()[0]
        con.close()
        self.assertEqual(n, rows)
        self.assertEqual(meta.get("rows"), str(rows))
        self.assertEqual(meta.get("final_hash"), last_hash.hex())
        self.assertIn("sealed_at", meta)
        return path

    def assert_local_intact(self, path, rows):
        self.assertTrue(os.path.exists(path), f"{path} was removed")
        problems, _ = dayfile.verify_file(path)
        self.assertEqual(problems, [])
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.assertEqual(con.execute("SELECT count(*) FROM log").fetchone()[0], rows)
        con.close()


class ShipS3rverTest(ShipTestBase):
    """Against @20minutes/s3rver, which checks every SigV4 signature."""

    def test_catch_up_ships_every_closed_day_and_never_today(self):
        days = [past_day(n) for n in (5, 3, 1)]
        made = {d: make_day_file(self.data_dir, d, rows=50 + i * 100)
                for i, d in enumerate(days)}
        today = today_utc().isoformat()
        today_path, _ = make_day_file(self.data_dir, today, rows=7)
        before_today = sha256_file(today_path)
        r = self.ship(self.write_config())
        self.assertEqual(r.returncode, 0, r.stderr)
        for i, d in enumerate(days):
            self.assertIn(f"{d}: shipped", r.stdout)
            self.assert_shipped(d, 50 + i * 100, made[d][1])
        self.assert_not_in_s3(today)
        self.assertEqual(local_files(self.data_dir), [os.path.basename(today_path)])
        self.assertEqual(sha256_file(today_path), before_today)
        # Nothing left to do: a second run is a quiet success.
        r = self.ship(self.write_config())
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_a_successful_ship_sets_the_last_ship_gauge_of_metrics(self):
        day = past_day(1)
        make_day_file(self.data_dir, day, rows=5)
        config = self.write_config()
        self.assertIsNone(self.last_ship_gauge(config))
        # A failed ship records nothing.
        r = self.ship(self.write_config(endpoint=f"http://127.0.0.1:{free_port()}"))
        self.assertEqual(r.returncode, 1)
        self.assertIsNone(self.last_ship_gauge(config))

        config = self.write_config()  # the same file, the working endpoint again
        start = int(time.time())
        r = self.ship(config)
        end = int(time.time())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"{day}: shipped", r.stdout)
        first = self.last_ship_gauge(config)
        self.assertIsNotNone(first, "no itslog_last_ship_timestamp_seconds after a ship")
        self.assertTrue(start <= first <= end, (start, first, end))
        # Nothing left to ship is a success too: every closed day is in the bucket.
        time.sleep(1.1)
        r = self.ship(config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(self.last_ship_gauge(config), first)

        # A metrics file that cannot be used does not fail the ship.
        os.unlink(os.path.join(self.data_dir, METRICS_FILE))
        with open(os.path.join(self.data_dir, METRICS_FILE), "w") as f:
            f.write("not a metrics file")
        day2 = past_day(2)
        make_day_file(self.data_dir, day2, rows=3)
        r = self.ship(config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"{day2}: shipped", r.stdout)
        self.assertIn("not recorded for /metrics", r.stderr)

    def test_day_option_refuses_today_and_keeps_the_file(self):
        today = today_utc().isoformat()
        path, _ = make_day_file(self.data_dir, today, rows=3)
        r = self.ship(self.write_config(), "--day", today)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not over yet", r.stderr)
        self.assert_local_intact(path, 3)
        self.assert_not_in_s3(today)

    def test_multipart_upload_is_byte_for_byte_and_idempotent(self):
        day = past_day(2)
        path, last = make_day_file(self.data_dir, day, rows=60000, value_bytes=300)
        self.assertGreater(file_size(path), 16 << 20)
        config = self.write_config(delete_local=False, threshold=MIN_THRESHOLD)
        r = self.ship(config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"uploaded in [0-9]+ parts")
        self.assert_shipped(day, 60000, last, local_copy=path)
        self.assertTrue(os.path.exists(path + ".shipped"))
        # Again: nothing is uploaded, the file stays as it is.
        before = sha256_file(path)
        r = self.ship(config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("already shipped", r.stdout)
        # --day checks S3 again and finds the identical copy.
        r = self.ship(config, "--day", day)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("already there", r.stdout)
        self.assertEqual(sha256_file(path), before)

    def test_s3_down_keeps_the_local_file(self):
        day = past_day(1)
        path, _ = make_day_file(self.data_dir, day, rows=20)
        dead = f"http://127.0.0.1:{free_port()}"
        r = self.ship(self.write_config(endpoint=dead))
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{day}: failed: s3_unavailable", r.stderr)
        self.assert_local_intact(path, 20)

    def test_wrong_credentials_keep_the_local_file(self):
        day = past_day(1)
        path, _ = make_day_file(self.data_dir, day, rows=20)
        r = self.ship(self.write_config(), key=("S3RVER", "not-the-secret"))
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{day}: failed: s3_auth_failed", r.stderr)
        self.assertNotIn("not-the-secret", r.stderr + r.stdout)
        self.assert_local_intact(path, 20)
        self.assert_not_in_s3(day)

    def test_wrong_bucket_keeps_the_local_file(self):
        days = [past_day(2), past_day(1)]
        paths = [make_day_file(self.data_dir, d, rows=20)[0] for d in days]
        r = self.ship(self.write_config(bucket="no-such-bucket"))
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{days[0]}: failed: s3_no_such_bucket", r.stderr)
        # The same failure would repeat for every day: the rest are not attempted.
        self.assertIn(f"{days[1]}: failed: not attempted after the failure above", r.stderr)
        for p in paths:
            self.assert_local_intact(p, 20)

    def test_bad_config_exits_2(self):
        make_day_file(self.data_dir, past_day(1), rows=1)
        env_key = ("", "")
        r = self.ship(self.write_config(), key=env_key)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("ITSLOG_S3_ACCESS_KEY_ID", r.stderr)
        r = self.ship(self.write_config(bucket="Bad_Bucket!"))
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_500_in_the_middle_of_a_multipart_upload_keeps_the_file(self):
        day = past_day(1)
        path, last = make_day_file(self.data_dir, day, rows=60000, value_bytes=300)
        self.proxy.add("PUT", "partNumber=2&", "500")  # every attempt of part 2 fails
        config = self.write_config(endpoint=self.proxy.endpoint, threshold=MIN_THRESHOLD,
                                   retries=1)
        r = self.ship(config)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{day}: failed: s3_unavailable", r.stderr)
        self.assertIn("HTTP 500", r.stderr)
        self.assert_local_intact(path, 60000)
        self.assert_not_in_s3(day)
        self.proxy.clear()
        r = self.ship(config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_shipped(day, 60000, last)
        self.assertFalse(os.path.exists(path))

    def test_a_transient_500_is_retried(self):
        day = past_day(1)
        _, last = make_day_file(self.data_dir, day, rows=100)
        self.proxy.add("PUT", "-v1.itslog", "500", count=1)
        r = self.ship(self.write_config(endpoint=self.proxy.endpoint, retries=2))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("retrying", r.stderr)
        self.assert_shipped(day, 100, last)

    def day_file_copy(self, day, rows, value_bytes=300):
        """make_day_file's file in self.data_dir, made once per test and copied after."""
        cache = os.path.join(self.work, f"template-{rows}")
        os.makedirs(cache, exist_ok=True)
        template = os.path.join(cache, f"{day}-v1.itslog")
        if not os.path.exists(template):
            _, last = make_day_file(cache, day, rows=rows, value_bytes=value_bytes)
            with open(template + ".last", "w") as f:
                f.write(last.hex())
        self.assertFalse(os.path.exists(template + "-wal"))
        path = os.path.join(self.data_dir, f"{day}-v1.itslog")
        shutil.copyfile(template, path)
        with open(template + ".last") as f:
            return path, bytes.fromhex(f.read())

    def kill_at_steps(self, steps, prepare, check, rows):
        """For each step (method, what the path contains, matches to let through first): a
        fresh data_dir and prefix, prepare(day) -> (path, last, config) with a file of rows,
        `ship` killed while that request is held, then a rerun that must finish;
        check(day, last)."""
        for method, match, after in steps:
            with self.subTest(step=f"{method} {match} after {after}"):
                self.proxy.clear()
                data_dir = os.path.join(self.work, f"data-{len(self.outputs)}")
                os.makedirs(data_dir)
                self.data_dir = data_dir
                self.prefix = f"{PREFIX}{self._testMethodName}/{len(self.outputs)}/"
                day = past_day(1)
                path, last, config = prepare(day)
                rule = self.proxy.add(method, match, "hold", count=1, after=after)
                p = self.start_ship(config)
                # Until the request arrives, or ship ends without sending it (a failure).
                deadline = time.monotonic() + 60
                arrived = False
                while not arrived and p.poll() is None and time.monotonic() < deadline:
                    arrived = rule["arrived"].wait(0.1)
                os.kill(p.pid, signal.SIGKILL)
                p.wait(10)
                self.outputs.append(read_tail(os.path.join(self.work, "ship.out")))
                self.assertTrue(arrived, f"ship never sent {method} {match}")
                self.proxy.clear()
                self.assert_local_intact(path, rows)
                r = self.ship(config)
                self.assertEqual(r.returncode, 0, r.stderr)
                check(day, last)
                self.assertEqual(local_files(data_dir), [])

    def test_killed_at_each_step_a_rerun_finishes(self):
        def prepare(day):
            # Two parts of 8 MiB: the smallest file with a part 2.
            path, last = self.day_file_copy(day, rows=ROWS_FOR_TWO_PARTS)
            self.assertGreater(os.path.getsize(path), 8 << 20)
            config = self.write_config(endpoint=self.proxy.endpoint, threshold=MIN_THRESHOLD)
            return path, last, config

        def check(day, last):
            self.assert_shipped(day, ROWS_FOR_TWO_PARTS, last)
            self.assertEqual(len(self.keys_of_day(day)), 2, self.keys_of_day(day))

        # (method, what the path contains, matches let through): the request held while ship
        # is killed.
        self.kill_at_steps([
            ("HEAD", f"{past_day(1)}-v1.itslog", 0),  # sealed, the first layout looked at
            ("HEAD", "/hosts/", 0),                   # nothing uploaded yet
            ("PUT", "partNumber=2&", 0),              # in the middle of the multipart upload
            ("POST", "?uploadId=", 0),                # all parts sent, not completed
            ("HEAD", "/hosts/", 1),                   # completed, not proven
            ("PUT", "-v1.seal.json", 0),              # file proven, seal not written
            ("HEAD", "-v1.seal.json", 1),             # seal written, not proven, nothing removed
        ], prepare, check, rows=ROWS_FOR_TWO_PARTS)

    def test_killed_at_each_step_of_a_day_begun_in_the_first_layout_a_rerun_finishes(self):
        # An earlier version uploaded the day file to the first layout and was stopped before
        # the seal; the local file was kept. This version finishes the day there.
        def prepare(day):
            path, last = self.day_file_copy(day, rows=2000)
            self.seal_in_place(path)
            with open(path, "rb") as f:
                body = f.read()
            self.s3.put_object(Bucket=BUCKET, Key=self.key(day, legacy=True), Body=body,
                               Metadata={"itslog-sha256": hashlib.sha256(body).hexdigest()})
            config = self.write_config(endpoint=self.proxy.endpoint, threshold=MIN_THRESHOLD)
            return path, last, config

        def check(day, last):
            self.assert_shipped(day, 2000, last, legacy=True)
            self.assertEqual(self.keys_of_day(day), [self.key(day, legacy=True),
                                                     self.key(day, "-v1.seal.json", legacy=True)])

        self.kill_at_steps([
            ("HEAD", f"{past_day(1)}-v1.itslog", 0),   # the first layout looked at
            ("HEAD", f"{past_day(1)}-v1.itslog", 1),   # looked at again, create-only
            ("HEAD", "-v1.seal.json", 0),              # the seal looked for
            ("PUT", "-v1.seal.json", 0),               # the seal being written
            ("HEAD", "-v1.seal.json", 1),              # seal written, not proven
        ], prepare, check, rows=2000)

    def seal_in_place(self, path):
        """Seals a day file as ship does (checkpoint, meta, out of WAL) without shipping it:
        `itslog ship` with delete_local off into a scratch prefix."""
        prefix, self.prefix = self.prefix, self.prefix + "scratch/"
        try:
            r = self.ship(self.write_config(delete_local=False, name="seal.yaml"))
            self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            self.prefix = prefix
        os.unlink(path + ".shipped")

    def test_leftovers_of_an_interrupted_removal_are_cleaned_up(self):
        day = past_day(1)
        path, last = make_day_file(self.data_dir, day, rows=10)
        config = self.write_config(delete_local=False)
        self.assertEqual(self.ship(config).returncode, 0)
        # As if the removal had stopped after the day file itself.
        os.unlink(path)
        open(path + ".lock", "w").close()
        r = self.ship(self.write_config(delete_local=True))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(local_files(self.data_dir), [])
        self.assert_shipped(day, 10, last)

    def test_a_file_an_idle_worker_holds_open_still_ships(self):
        day = past_day(1)
        path, last, con = make_day_file(self.data_dir, day, rows=500, keep_open=True)
        try:
            con.execute("SELECT count(*) FROM log").fetchone()  # idle, like a worker
            r = self.ship(self.write_config(delete_local=False))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("stays in WAL mode", r.stdout)
            path_s3 = self.download(day)
            with open(path_s3, "rb") as f:
                header = f.read(100)
            self.assertEqual((header[18], header[19]), (2, 2))
            problems, final = dayfile.verify_file(path_s3)
            self.assertEqual((problems, final), ([], last))
            with open(self.download(day, "-v1.seal.json")) as f:
                self.assertEqual(json.load(f)["file_sha256"], sha256_file(path_s3))
        finally:
            con.close()


class ShipMotoTest(ShipTestBase):
    """Against moto_server, whose multipart ETags are AWS's (MD5 of the parts' MD5s)."""
    server_kind = "moto"

    def test_multipart_with_aws_style_etag_is_byte_for_byte(self):
        day = past_day(1)
        path, last = make_day_file(self.data_dir, day, rows=60000, value_bytes=300)
        r = self.ship(self.write_config(delete_local=False, threshold=MIN_THRESHOLD))
        self.assertEqual(r.returncode, 0, r.stderr)
        head = self.s3.head_object(Bucket=BUCKET, Key=self.key(day))
        self.assertRegex(head["ETag"], r'^"[0-9a-f]{32}-[0-9]+"$')
        self.assert_shipped(day, 60000, last, local_copy=path)

    def test_single_put_is_byte_for_byte(self):
        day = past_day(1)
        path, last = make_day_file(self.data_dir, day, rows=300)
        r = self.ship(self.write_config(delete_local=False))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_shipped(day, 300, last, local_copy=path)


class SeveralHostsTests:
    """Hosts with their own data_dir and config (a different host_id each) shipping the same
    days to one bucket and prefix (docs/OPERATIONS.md, "Running several hosts"). Events go in
    through real workers (plain CGI, the clock set by faketime to a past day); every event a
    worker acknowledged must be in the bucket, read back with boto3 and plain SQLite."""

    APP = "app.hosts"

    def post_events(self, config, day, values):
        """POSTs an NDJSON batch to a worker run as CGI on `day` (faketime); returns the
        values the worker acknowledged (accepted, not duplicates)."""
        body = "\n".join(json.dumps({"event": "ev", "app": self.APP, "value": v})
                         for v in values).encode()
        env = dict(os.environ, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="POST",
                   SCRIPT_NAME="/its-log", PATH_INFO="/v1/log", SERVER_PROTOCOL="HTTP/1.1",
                   CONTENT_TYPE="application/x-ndjson", CONTENT_LENGTH=str(len(body)))
        env.pop("ITSLOG_CONFIG", None)
        r = subprocess.run(["faketime", "-f", f"@{day} 12:00:00", self.binary, "fcgi",
                            "--config", config], input=body, capture_output=True, env=env,
                           timeout=60)
        out = r.stdout.decode(errors="replace").replace("\r\n", "\n")
        head, _, reply = out.partition("\n\n")
        self.assertTrue(head.startswith("Status: 200"), out + r.stderr.decode(errors="replace"))
        reply = json.loads(reply)
        self.assertEqual((reply["accepted"], reply["rejected"], reply["duplicates"]),
                         (len(values), 0, 0), reply)
        return list(values)

    def make_host(self, host, host_id=None, delete_local=True):
        data_dir = os.path.join(self.work, f"data-{host}")
        os.makedirs(data_dir)
        config = self.write_config(data_dir=data_dir, host=host_id or host,
                                   delete_local=delete_local, name=f"{host}.yaml")
        return data_dir, config

    def values_in_object(self, day, host):
        """(meta.host, the values of the day's rows) of a host's shipped file, read with
        plain SQLite after its chain and seal are checked."""
        path = self.download(day, host=host)
        with open(self.download(day, "-v1.seal.json", host=host)) as f:
            seal = json.load(f)
        self.assertEqual((seal["day"], seal["host"]), (day, host))
        self.assertEqual(seal["file_sha256"], sha256_file(path))
        problems, final = dayfile.verify_file(path)
        self.assertEqual(problems, [])
        self.assertEqual(seal["final_hash"], final.hex())
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        meta = dict(con.execute("SELECT key, value FROM meta"))
        values = [v for (v,) in con.execute(
            "SELECT l.value FROM log l JOIN events e ON e.id = l.event "
            "WHERE e.app = ? ORDER BY l.seq", (self.APP,))]
        con.close()
        self.assertEqual(seal["rows"], len(values))
        return meta.get("host"), values

    def ship_hosts(self, n):
        hosts = ["vm-a", "vm-b", "vm-c"][:n]
        days = [past_day(3), past_day(2)]
        # A day shipped by an earlier version in the first layout: it must stay as it is.
        old = b"shipped before hosts had folders"
        self.s3.put_object(Bucket=BUCKET, Key=self.key(days[0], legacy=True), Body=old)
        acknowledged = {}
        configs = {}
        for i, host in enumerate(hosts):
            data_dir, configs[host] = self.make_host(host)
            for j, day in enumerate(days):
                values = [f"{host}/{day}/{k}" for k in range(3 + i + j)]
                acknowledged[(host, day)] = self.post_events(configs[host], day, values)
        for host in hosts:
            r = self.ship(configs[host])
            self.assertEqual(r.returncode, 0, r.stderr)
            for day in days:
                self.assertIn(f"{day}: shipped to s3://{BUCKET}/{self.key(day, host=host)}",
                              r.stdout)
            self.assertEqual(local_files(os.path.join(self.work, f"data-{host}")), [])
        for day in days:
            expected = [self.key(day, sfx, host=h) for h in hosts
                        for sfx in ("-v1.itslog", "-v1.seal.json")]
            if day == days[0]:
                expected.append(self.key(day, legacy=True))
            self.assertEqual(self.keys_of_day(day), sorted(expected))
            for host in hosts:
                meta_host, values = self.values_in_object(day, host)
                self.assertEqual(meta_host, host)
                self.assertEqual(values, acknowledged[(host, day)])
        obj = self.s3.get_object(Bucket=BUCKET, Key=self.key(days[0], legacy=True))
        self.assertEqual(obj["Body"].read(), old)
        # Again: every day is in the bucket, nothing to do.
        for host in hosts:
            r = self.ship(configs[host])
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_two_hosts_ship_the_same_days_and_every_event_is_in_the_bucket(self):
        self.ship_hosts(2)

    def test_three_hosts_ship_the_same_days_and_every_event_is_in_the_bucket(self):
        self.ship_hosts(3)

    def test_a_duplicate_host_id_is_a_conflict_that_loses_nothing(self):
        day = past_day(1)
        dir_a, config_a = self.make_host("a", host_id="vm-dup")
        dir_b, config_b = self.make_host("b", host_id="vm-dup")
        values_a = self.post_events(config_a, day, [f"a/{k}" for k in range(5)])
        values_b = self.post_events(config_b, day, [f"b/{k}" for k in range(7)])
        r = self.ship(config_a)
        self.assertEqual(r.returncode, 0, r.stderr)
        path_b = os.path.join(dir_b, f"{day}-v1.itslog")
        r = self.ship(config_b)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        key = self.key(day, host="vm-dup")
        self.assertIn(f"{day}: failed: ship_conflict: {path_b} cannot ship", r.stderr)
        self.assertIn(f"s3://{BUCKET}/{key} already holds another object", r.stderr)
        self.assert_local_intact(path_b, 7)
        # The bucket still holds the first host's file, and only it.
        self.assertEqual(self.values_in_object(day, "vm-dup"), ("vm-dup", values_a))
        self.assertEqual(self.keys_of_day(day), [key, self.key(day, "-v1.seal.json",
                                                               host="vm-dup")])
        # Again: the same refusal, nothing changed.
        r = self.ship(config_b)
        self.assertEqual(r.returncode, 1)
        self.assert_local_intact(path_b, 7)
        # Given a host_id of its own, the second host ships, and both hosts' events are there.
        config_b = self.write_config(data_dir=dir_b, host="vm-b", name="b.yaml")
        r = self.ship(config_b)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.values_in_object(day, "vm-b"), ("vm-dup", values_b))
        self.assertEqual(self.values_in_object(day, "vm-dup"), ("vm-dup", values_a))

    def test_another_hosts_object_appearing_after_the_look_is_not_replaced(self):
        # The second host's HEAD saw nothing (answered 404 by the proxy, as if it had run just
        # before the first host's upload): the create-only upload itself must refuse. A server
        # that ignores If-None-Match (s3rver) cannot: that is the documented race.
        for multipart in (False, True) if self.honours_if_none_match else (False,):
            with self.subTest(multipart=multipart):
                self.proxy.clear()
                day = past_day(4 if multipart else 5)
                dir_a, dir_b = (os.path.join(self.work, f"data-{h}{day}") for h in "ab")
                os.makedirs(dir_a)
                os.makedirs(dir_b)
                rows = 20000 if multipart else 10
                make_day_file(dir_b, day, rows=rows, value_bytes=300)
                make_day_file(dir_a, day, rows=rows + 1, value_bytes=300)
                r = self.ship(self.write_config(data_dir=dir_a, host="vm-dup",
                                                threshold=MIN_THRESHOLD, name="a.yaml"))
                self.assertEqual(r.returncode, 0, r.stderr)
                first = self.s3.get_object(Bucket=BUCKET,
                                           Key=self.key(day, host="vm-dup"))["Body"].read()
                self.proxy.add("HEAD", f"/hosts/vm-dup/{day}-v1.itslog", "404", count=1)
                config_b = self.write_config(endpoint=self.proxy.endpoint, data_dir=dir_b,
                                             host="vm-dup", threshold=MIN_THRESHOLD,
                                             name="b.yaml")
                r = self.ship(config_b)
                now = self.s3.get_object(Bucket=BUCKET,
                                         Key=self.key(day, host="vm-dup"))["Body"].read()
                if not self.honours_if_none_match:
                    self.assertNotEqual(now, first, "s3rver now honours If-None-Match")
                    continue
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn("ship_conflict", r.stderr)
                self.assertTrue(now == first, "the first host's file was replaced")
                self.assert_local_intact(os.path.join(dir_b, f"{day}-v1.itslog"), rows)
                sent = [p for (m, p) in self.proxy.seen if m in ("PUT", "POST")]
                self.assertTrue(sent, "no upload was tried")


class SeveralHostsMotoTest(SeveralHostsTests, ShipTestBase):
    """moto honours If-None-Match: * (412)."""
    server_kind = "moto"
    honours_if_none_match = True


class SeveralHostsS3rverTest(SeveralHostsTests, ShipTestBase):
    """s3rver ignores If-None-Match: the HEAD before each upload is what refuses."""
    server_kind = "s3rver"
    honours_if_none_match = False


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
