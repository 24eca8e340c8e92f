#!/usr/bin/env python3
"""Days that are no longer local: `itslog export|verify|stats DAY` read every host's shipped
file through the archive cache (archive/day_files.h) from a real moto_server. The shipped
objects are planted with boto3 in the contract's layout (docs/DATA-FORMAT.md) from day files
written here with plain SQLite, so that nothing of its-log's own writing is trusted; faults
come from the FaultProxy in front of the server.

Discovered by tests/integration/run.py; also runs alone:
  python3 tests/integration/test_archive.py --build BUILD [-k PATTERN]"""

import datetime
import glob
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from lib.s3 import BUCKET, S3ServerTestCase, boto  # noqa: E402
import test_s3_ship as ship  # noqa: E402


def past_day(n):
    return (datetime.datetime.now(datetime.timezone.utc).date()
            - datetime.timedelta(days=n)).isoformat()


def sealed_day_file(directory, day, rows, host, seed=b"\0" * 32, value_bytes=20):
    """A closed day file as `itslog ship` leaves it: the contract's schema and chain, meta with
    host and the seal, out of WAL mode. Returns (path, final_hash bytes)."""
    os.makedirs(directory, exist_ok=True)
    path, last = ship.make_day_file(directory, day, rows, value_bytes=value_bytes, seed=seed)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("UPDATE meta SET value = ? WHERE key = 'host'", (host,))
    for k, v in (("sealed_at", day + "T23:59:59.000000Z"), ("rows", str(rows)),
                 ("final_hash", last.hex())):
        con.execute("INSERT INTO meta VALUES(?, ?)", (k, v))
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    return path, last


def seal_json(path, day, host, rows, final):
    return json.dumps({"day": day, "host": host, "rows": rows, "final_hash": final.hex(),
                       "file_sha256": ship.sha256_file(path)}) + "\n"


class ArchiveTest(S3ServerTestCase):
    server_kind = "moto"

    def setUp(self):
        super().setUp()
        self.work = tempfile.mkdtemp(prefix=self._testMethodName + "-", dir=self.root)
        self.data_dir = os.path.join(self.work, "data")
        os.makedirs(self.data_dir)
        self.cache_dir = os.path.join(self.work, "cache")
        self.prefix = f"archive/{self._testMethodName}/"
        self.s3 = boto(self.server)
        self.outputs = []

    def server_logs(self):
        return "\n".join(self.outputs[-6:]) + "\n-- S3:\n" + self.server.log()

    # Helpers ---------------------------------------------------------------------------
    def config(self, endpoint=None, cache_max_bytes=1 << 30, storage="sqlite", retries=1,
               data_dir=None, host_id=None):
        path = os.path.join(self.work, f"itslog-{host_id}.yaml" if host_id else "itslog.yaml")
        with open(path, "w") as f:
            f.write("\n".join([
                f"data_dir: {json.dumps(data_dir or self.data_dir)}",
                *([f"host_id: {host_id}"] if host_id else []),
                "log: stderr",
                f"storage: {storage}",
                "auth: {required: false}",
                "s3:",
                f"  endpoint: {json.dumps(endpoint or self.proxy.endpoint)}",
                f"  bucket: {BUCKET}",
                f"  prefix: {json.dumps(self.prefix)}",
                "  path_style: true",
                "  connect_timeout_ms: 2000",
                "  timeout_ms: 20000",
                f"  retries: {retries}",
                "archive:",
                f"  cache_dir: {json.dumps(self.cache_dir)}",
                f"  cache_max_bytes: {cache_max_bytes}",
            ]) + "\n")
        return path

    def itslog(self, *args, config=None, timeout=120):
        env = dict(os.environ)
        env["ITSLOG_S3_ACCESS_KEY_ID"], env["ITSLOG_S3_SECRET_ACCESS_KEY"] = self.server.key
        env.pop("ITSLOG_CONFIG", None)
        r = subprocess.run([self.binary, *args, "--config", config or self.config()],
                           capture_output=True, text=True, env=env, timeout=timeout)
        self.outputs.append(f"$ itslog {' '.join(args)} -> {r.returncode}\n{r.stdout[-2000:]}"
                            f"\nstderr:\n{r.stderr}")
        return r

    def ship_host(self, day, host, rows, seed=b"\0" * 32, value_bytes=20, layout="hosts"):
        """Plants host's sealed file of day and its seal in the bucket. Returns (final hash,
        file key, local copy)."""
        src = os.path.join(self.work, "hosts", host)
        path, final = sealed_day_file(src, day, rows, host, seed, value_bytes)
        if layout == "hosts":
            base = f"{self.prefix}{day}/hosts/{host}/{day}-v1"
        else:
            base = f"{self.prefix}{day}-v1"
        with open(path, "rb") as f:
            self.s3.put_object(Bucket=BUCKET, Key=base + ".itslog", Body=f.read())
        self.s3.put_object(Bucket=BUCKET, Key=base + ".seal.json",
                           Body=seal_json(path, day, host, rows, final).encode())
        return final, base + ".itslog", path

    def cached(self):
        return sorted(os.path.relpath(p, self.cache_dir)
                      for p in glob.glob(os.path.join(self.cache_dir, "*", "*.itslog")))

    def leftovers(self):
        return sorted(os.path.relpath(p, self.cache_dir)
                      for p in glob.glob(os.path.join(self.cache_dir, "*", "*.part*")))

    def export_rows(self, day, **kw):
        r = self.itslog("export", day, **kw)
        self.assertEqual(r.returncode, 0, self.server_logs())
        return [json.loads(line) for line in r.stdout.splitlines()]

    def lists(self):
        return [p for m, p in self.proxy.seen if m == "GET" and "list-type=2" in p]

    # Tests -----------------------------------------------------------------------------
    def test_export_verify_stats_of_a_day_shipped_by_two_hosts(self):
        day = past_day(3)
        self.ship_host(day, "vm-a", 5)
        self.ship_host(day, "vm-b", 7)
        rows = self.export_rows(day)
        self.assertEqual(len(rows), 12)
        by_host = {}
        for row in rows:
            by_host.setdefault(row["host"], []).append(row["seq"])
        self.assertEqual(by_host, {"vm-a": [1, 2, 3, 4, 5], "vm-b": [1, 2, 3, 4, 5, 6, 7]})
        # One log in the read API's order: time (here seq * 1 ms in both files), host, seq.
        self.assertEqual([(r["host"], r["seq"]) for r in rows],
                         [(h, n) for n in range(1, 6) for h in ("vm-a", "vm-b")]
                         + [("vm-b", 6), ("vm-b", 7)])
        self.assertEqual(rows, sorted(rows, key=lambda r: (r["time"], r["host"], r["seq"])))
        self.assertTrue(all(r["day"] == day and r["app"] == "app.test" for r in rows))
        # Checked against each seal, rows re-read by another road (plain SQLite).
        for host, n in (("vm-a", 5), ("vm-b", 7)):
            cached = os.path.join(self.cache_dir, day, f"h.{host}.itslog")
            con = sqlite3.connect(f"file:{cached}?mode=ro", uri=True)
            self.assertEqual(con.execute("SELECT count(*) FROM log").fetchone()[0], n)
            con.close()
        r = self.itslog("verify", day)
        self.assertEqual(r.returncode, 0, self.server_logs())
        self.assertIn(f"{day}/hosts/vm-a/{day}-v1.itslog (host vm-a): ok, 5 rows", r.stdout)
        self.assertIn(f"(host vm-b): ok, 7 rows", r.stdout)
        self.assertIn("matches the seal", r.stdout)
        r = self.itslog("stats", day, "--json")
        self.assertEqual(r.returncode, 0, self.server_logs())
        stats = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual([(s["host"], s["rows"]) for s in stats], [("vm-a", 5), ("vm-b", 7)])
        r = self.itslog("export", day, "--format", "csv")
        self.assertEqual(r.returncode, 0)
        lines = r.stdout.splitlines()  # text mode reads CRLF as a newline
        self.assertEqual(lines[0], "day,seq,time,app,event,value,type,is_unique,host")
        self.assertEqual(len([x for x in lines[1:] if x]), 12)
        self.assertTrue(lines[1].endswith(",vm-a"))
        self.assertTrue(lines[2].endswith(",vm-b"))

    def test_days_shipped_by_itslog_ship_from_two_hosts_read_from_a_third(self):
        day = past_day(2)
        for host, rows in (("vm-a", 5), ("vm-b", 7)):
            data = os.path.join(self.work, host)
            os.makedirs(data)
            ship.make_day_file(data, day, rows)
            r = self.itslog("ship", config=self.config(data_dir=data, host_id=host))
            self.assertEqual(r.returncode, 0, self.server_logs())
            self.assertEqual(ship.local_files(data), [])  # shipped, then removed
        reader = self.config(host_id="vm-c")
        rows = self.export_rows(day, config=reader)
        self.assertEqual(sorted((r["host"], r["seq"]) for r in rows),
                         [("vm-a", i) for i in range(1, 6)] + [("vm-b", i) for i in range(1, 8)])
        r = self.itslog("verify", day, config=reader)
        self.assertEqual(r.returncode, 0, self.server_logs())
        self.assertEqual(r.stdout.count("matches the seal"), 2, r.stdout)

    def test_a_past_days_listing_is_remembered(self):
        day = past_day(10)
        self.ship_host(day, "vm-a", 3)
        self.export_rows(day)
        self.assertGreater(len(self.lists()), 0)
        self.proxy.clear()
        self.assertEqual(len(self.export_rows(day)), 3)
        self.assertEqual(self.lists(), [], "a second read of a past day listed S3 again")
        self.assertEqual([p for m, p in self.proxy.seen if m == "GET"], [],
                         "a cached file was fetched again")
        # Cached files and a remembered listing answer without S3.
        dead = self.config(endpoint="http://127.0.0.1:9")
        self.assertEqual(len(self.export_rows(day, config=dead)), 3)

    def test_local_and_shipped_copy_of_this_host_count_once(self):
        day = past_day(4)
        # This host's day, shipped in the first layout (before hosts had ids) and kept locally
        # (delete_local: false).
        _, _, path = self.ship_host(day, "vm-old", 4, layout="first")
        local = os.path.join(self.data_dir, f"{day}-v1.itslog")
        shutil.copy(path, local)
        self.ship_host(day, "vm-b", 2)
        rows = self.export_rows(day)
        self.assertEqual(len(rows), 6, rows)
        hosts = sorted({r["host"] for r in rows})
        self.assertEqual(len(hosts), 2, hosts)
        self.assertIn("vm-b", hosts)
        # Removed locally, the first-layout copy is read in its place, named by its meta.host.
        os.remove(local)
        rows = self.export_rows(day)
        self.assertEqual(sorted((r["host"], r["seq"]) for r in rows),
                         [("vm-b", 1), ("vm-b", 2)] + [("vm-old", i) for i in range(1, 5)])

    def test_verify_checks_each_hosts_link_to_its_previous_day(self):
        d1, d2 = past_day(6), past_day(5)
        final_a, _, _ = self.ship_host(d1, "vm-a", 3)
        self.ship_host(d2, "vm-a", 2, seed=final_a)
        self.ship_host(d1, "vm-b", 3)
        self.ship_host(d2, "vm-b", 2, seed=b"\x07" * 32)  # not vm-b's last hash of d1
        r = self.itslog("verify", d2)
        self.assertEqual(r.returncode, 1, self.server_logs())
        self.assertRegex(r.stdout, rf"\(host vm-a\): ok, 2 rows.*linked to {d1}")
        self.assertIn("(host vm-b): wrong_seed", r.stdout)

    def test_an_edited_bucket_copy_is_refused_and_never_cached(self):
        day = past_day(3)
        _, key, path = self.ship_host(day, "vm-a", 50)
        self.ship_host(day, "vm-b", 5)
        # An edit that keeps the seal: the file's SHA-256 no longer matches.
        con = sqlite3.connect(path)
        con.execute("DROP TRIGGER IF EXISTS log_no_update")
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                   " AND tbl_name = 'log'").fetchall():
            con.execute(f'DROP TRIGGER "{name}"')
        con.execute("UPDATE log SET value = 'forged' WHERE seq = 7")
        con.commit()
        con.close()
        with open(path, "rb") as f:
            self.s3.put_object(Bucket=BUCKET, Key=key, Body=f.read())
        for cmd in ("export", "verify", "stats"):
            r = self.itslog(cmd, day)
            self.assertEqual(r.returncode, 1, self.server_logs())
            self.assertIn("archive_corrupt", r.stderr)
            self.assertIn(f"s3://{BUCKET}/{key}", r.stderr)
            self.assertIn("SHA-256", r.stderr)
            self.assertNotIn("h.vm-a.itslog", self.cached())
            self.assertEqual(self.leftovers(), [])
        # The seal rewritten to the edited file's SHA-256: the chain still gives it away.
        seal_key = key.replace(".itslog", ".seal.json")
        seal = json.loads(self.s3.get_object(Bucket=BUCKET, Key=seal_key)["Body"].read())
        seal["file_sha256"] = ship.sha256_file(path)
        self.s3.put_object(Bucket=BUCKET, Key=seal_key, Body=json.dumps(seal).encode())
        r = self.itslog("export", day)
        self.assertEqual(r.returncode, 1)
        self.assertIn("archive_corrupt", r.stderr)
        self.assertIn("edited_row", r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertNotIn("h.vm-a.itslog", self.cached())

    def test_s3_stopped_half_way_through_a_read(self):
        day = past_day(3)
        # Two ranged GETs of 8 MiB and more for vm-a's file.
        _, key, _ = self.ship_host(day, "vm-a", 70000, value_bytes=200)
        self.assertGreater(self.s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"], 9 << 20)
        # The listing and the seal come through, then the file's answers stop.
        self.proxy.add("GET", f"hosts/vm-a/{day}-v1.itslog", "drop", after=1)
        r = self.itslog("export", day)
        self.assertEqual(r.returncode, 1, self.server_logs())
        self.assertIn("S3 cannot be read", r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual(self.cached(), [])
        self.assertEqual(self.leftovers(), [])
        # Nothing listens at all: the same, also for verify and stats.
        dead = self.config(endpoint="http://127.0.0.1:9")
        shutil.rmtree(self.cache_dir, ignore_errors=True)
        for cmd in ("export", "verify", "stats"):
            r = self.itslog(cmd, day, config=dead)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("S3 cannot be read", r.stderr)
        # S3 back: the day reads whole.
        self.proxy.clear()
        self.assertEqual(len(self.export_rows(day)), 70000)
        self.assertEqual(self.leftovers(), [])

    def test_readers_of_the_same_day_download_it_once(self):
        day = past_day(9)
        _, key, _ = self.ship_host(day, "vm-a", 20000)
        config = self.config()
        # The first GET of the file is held until every reader has listed the day (4 LISTs
        # each), so that the others reach the file while its download is still under way.
        held = self.proxy.add("GET", key, "hold", count=1)
        results = []

        def read():
            results.append(self.itslog("export", day, config=config))

        threads = [threading.Thread(target=read) for _ in range(3)]
        for t in threads:
            t.start()
        self.assertTrue(held["arrived"].wait(60), self.server_logs())
        deadline = time.monotonic() + 60
        while len(self.lists()) < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(len(self.lists()), 12)
        held["release"].set()  # the held request fails; its reader retries it
        for t in threads:
            t.join()
        for r in results:
            self.assertEqual(r.returncode, 0, self.server_logs())
            self.assertEqual(len(r.stdout.splitlines()), 20000)
        # What reached the server: one ranged GET of the file (it is < 8 MiB), not one per
        # reader.
        served = [p for m, p, _ in self.proxy.statuses if m == "GET" and p.endswith(key)]
        self.assertEqual(len(served), 1, served)

    def test_a_cache_smaller_than_one_days_files(self):
        d1, d2 = past_day(8), past_day(7)
        for day in (d1, d2):
            self.ship_host(day, "vm-a", 3000)
            self.ship_host(day, "vm-b", 2000)
        one_file = os.path.getsize(os.path.join(self.work, "hosts", "vm-b", f"{d1}-v1.itslog"))
        config = self.config(cache_max_bytes=one_file)
        want = {d1: 5000, d2: 5000}
        # Readers of both days at once, several times: each day's files stay while read, the
        # other's are evicted around them; every answer is whole.
        for _ in range(3):
            results = {}

            def read(day):
                results[day] = self.itslog("export", day, config=config)

            threads = [threading.Thread(target=read, args=(d,)) for d in (d1, d2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for day, r in results.items():
                self.assertEqual(r.returncode, 0, self.server_logs())
                rows = [json.loads(x) for x in r.stdout.splitlines()]
                self.assertEqual(len(rows), want[day])
                self.assertEqual(len({(x["host"], x["seq"]) for x in rows}), want[day])
        # Released, the bound holds again after the next fetch.
        shutil.rmtree(os.path.join(self.cache_dir, d2))
        self.export_rows(d2, config=config)
        total = sum(os.path.getsize(os.path.join(self.cache_dir, p)) for p in self.cached())
        self.assertLessEqual(len(self.cached()), 2)
        self.assertGreater(total, 0)

    def test_a_storage_s3_day_is_imported_into_the_cache(self):
        day = past_day(3)
        t0 = int(datetime.datetime.fromisoformat(day + "T00:00:05+00:00").timestamp() * 1e6)
        for i in range(3):
            ts = t0 + i * 1_000_000
            obj = {"time": datetime.datetime.fromtimestamp(ts / 1e6, datetime.timezone.utc)
                   .strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "ts": ts, "app": "s3.app",
                   "event": "e", "value": str(i), "type": 1, "unique": False}
            n = (5 + i) * 100000
            self.s3.put_object(Bucket=BUCKET, Key=f"{self.prefix}{day}/{n:010d}.json",
                               Body=json.dumps(obj).encode())
        self.ship_host(day, "vm-a", 2)
        rows = self.export_rows(day, config=self.config(storage="s3"))
        self.assertEqual(sorted((r["host"], r["value"]) for r in rows),
                         [("_s3", "0"), ("_s3", "1"), ("_s3", "2"), ("vm-a", "1:" + "v" * 20),
                          ("vm-a", "2:" + "v" * 20)])
        r = self.itslog("verify", day, config=self.config(storage="s3"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    sys.exit(ship.main())
