#!/usr/bin/env python3
"""`itslog ship` against real local S3 servers: @20minutes/s3rver (checks SigV4 signatures)
and moto_server (AWS-style multipart ETags). What was shipped is read back with boto3, an
independent client, and checked byte for byte and against the contract (docs/DATA-FORMAT.md):
the sealed meta, the hash chain, the seal JSON. A successful run sets the last-ship gauge that
GET /metrics reports (scraped from a worker run as plain CGI). Faults come from a small HTTP proxy in front
of the server that answers 500 or holds a chosen request while the test kills `ship`.

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
from lib.s3 import (BUCKET, FaultProxy, boto, s3rver_missing, start_moto,  # noqa: E402
                    start_s3rver)

ROOT = os.path.dirname(os.path.dirname(HERE))
PREFIX = "logs/"

# The day file schema, taken from the contract's text (docs/DATA-FORMAT.md), not from the code.
def contract_schema():
    with open(os.path.join(ROOT, "docs", "DATA-FORMAT.md")) as f:
        m = re.search(r"```sql\n(.*?)```", f.read(), re.S)
    return m.group(1)


SCHEMA = contract_schema()
# The smallest multipart threshold the config accepts (S3's minimum part size); the files of
# the multipart tests are well above it, so that part 2 exists.
MIN_THRESHOLD = 5 << 20


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


METRICS_FILE = ".itslog-metrics-v1"  # the counters the workers share, and ship's last success


def local_files(data_dir):
    """The files of days in data_dir (the shared metrics file is not one)."""
    return sorted(f for f in os.listdir(data_dir) if f != METRICS_FILE)


# Tests --------------------------------------------------------------------------------------
class ShipTestBase(unittest.TestCase):
    server_kind = "s3rver"
    server = None
    start_error = None
    skip_reason = None

    @classmethod
    def setUpClass(cls):
        cls.server = None
        cls.start_error = None
        cls.skip_reason = None
        cls.binary = os.path.join(Settings.build, "itslog")
        cls.root = tempfile.mkdtemp(prefix=f"itslog-{cls.__name__}-",
                                    dir=Settings.root_dir or None)
        if cls.server_kind == "s3rver":
            cls.skip_reason = s3rver_missing()
        elif shutil.which("moto_server") is None:
            cls.skip_reason = "moto_server not installed"
        if cls.skip_reason:
            return
        probe = subprocess.run([cls.binary, "ship", "--help"], capture_output=True, text=True)
        if probe.returncode != 0:
            cls.skip_reason = f"{cls.binary} has no ship command"
            return
        try:
            cls.server = (start_s3rver(cls.root) if cls.server_kind == "s3rver"
                          else start_moto(cls.root))
            cls.proxy = FaultProxy(int(cls.server.endpoint.rsplit(":", 1)[1]))
        except Exception as e:  # reported by every test of the class
            cls.start_error = f"{e}"
            if cls.server is not None:
                cls.start_error += "\n" + cls.server.log()
                cls.server.stop()
                cls.server = None

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "proxy", None) is not None and cls.server is not None:
            cls.proxy.stop()
        if cls.server is not None:
            cls.server.stop()
        if not Settings.root_dir:
            shutil.rmtree(cls.root, ignore_errors=True)

    def setUp(self):
        if self.skip_reason:
            self.skipTest(self.skip_reason)
        if self.start_error:
            self.fail("the S3 server did not start:\n" + self.start_error)
        self.proxy.clear()
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
                     threshold=64 << 20, retries=1, timeout_ms=20000):
        path = os.path.join(self.work, "itslog.yaml")
        lines = [
            f"data_dir: {json.dumps(self.data_dir)}",
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
    def key(self, day, suffix="-v1.itslog"):
        return f"{self.prefix}{day}{suffix}"

    def download(self, day, suffix="-v1.itslog"):
        # Under the day file's own name: the checker reads the day from it.
        folder = os.path.join(self.work, "downloaded")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{day}{suffix}")
        obj = self.s3.get_object(Bucket=BUCKET, Key=self.key(day, suffix))
        with open(path, "wb") as f:
            f.write(obj["Body"].read())
        return path

    def assert_not_in_s3(self, day):
        keys = [o["Key"] for o in self.s3.list_objects_v2(
            Bucket=BUCKET, Prefix=self.key(day, "")).get("Contents", [])]
        self.assertEqual(keys, [], f"{day} should not be in S3")

    def assert_shipped(self, day, rows, last_hash, local_copy=None):
        """The object and its seal in S3 prove the day: a sealed, self-contained file whose
        chain verifies, with the seal's rows, final hash and file SHA-256."""
        path = self.download(day)
        with open(self.download(day, "-v1.seal.json")) as f:
            seal = json.load(f)
        self.assertEqual(set(seal), {"day", "rows", "final_hash", "file_sha256"})
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

    def test_killed_at_each_step_a_rerun_finishes(self):
        # (method, what the path contains): the request held while ship is killed.
        steps = [
            ("HEAD", "-v1.itslog"),            # sealed, nothing uploaded yet
            ("PUT", "partNumber=2&"),          # in the middle of the multipart upload
            ("POST", "?uploadId="),            # all parts sent, not completed
            ("PUT", "-v1.seal.json"),          # file proven, seal not written
            ("HEAD", "-v1.seal.json"),         # seal written, not proven, nothing removed
        ]
        for method, match in steps:
            with self.subTest(step=f"{method} {match}"):
                self.proxy.clear()
                data_dir = os.path.join(self.work, f"data-{len(self.outputs)}")
                os.makedirs(data_dir)
                self.data_dir = data_dir
                self.prefix = f"{PREFIX}{self._testMethodName}/{len(self.outputs)}/"
                day = past_day(1)
                path, last = make_day_file(data_dir, day, rows=60000, value_bytes=300)
                config = self.write_config(endpoint=self.proxy.endpoint, threshold=MIN_THRESHOLD)
                # The first HEAD of the file is the existence check; hold the second one
                # (the proof) only for the HEAD step's later variant.
                rule = self.proxy.add(method, match, "hold", count=1)
                p = self.start_ship(config)
                # Until the request arrives, or ship ends without sending it (a failure).
                deadline = time.monotonic() + 30
                arrived = False
                while not arrived and p.poll() is None and time.monotonic() < deadline:
                    arrived = rule["arrived"].wait(0.1)
                os.kill(p.pid, signal.SIGKILL)
                p.wait(10)
                self.outputs.append(read_tail(os.path.join(self.work, "ship.out")))
                self.assertTrue(arrived, f"ship never sent {method} {match}")
                self.proxy.clear()
                self.assert_local_intact(path, 60000)
                r = self.ship(config)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assert_shipped(day, 60000, last)
                self.assertEqual(local_files(data_dir), [])

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
