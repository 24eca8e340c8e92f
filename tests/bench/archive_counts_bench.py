#!/usr/bin/env python3
"""GET /v1/counts?day= of a shipped day against the same day kept locally, in one run: one day
file of BENCH_ARCHIVE_ROWS rows (default 1,000,000; 5 apps x 20 events, INTEGER values) built
from the contract, sealed, and
  * planted in the data_dir of one stack (nginx + one worker): the local day;
  * uploaded in the per-host layout to a real local S3 server (moto_server) read by a second
    stack with an empty archive cache: the archived day.
For each: the first answer (archived: listing, download, check against the seal, aggregation;
local: aggregation) and the median of BENCH_ARCHIVE_ROUNDS (10) warm answers after it. The
target: warm archived within 2x of warm local.

Alone: python3 tests/bench/archive_counts_bench.py --build build  (make bench runs it too)."""

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

from archive_setup import ROWS, rounds, shipped_day  # first: puts tests/integration on sys.path
from lib.readside import ReadNginxStack, day_start_us
from lib.s3 import BUCKET, boto
import test_read_hosts

ROUNDS = rounds(10)
HOST = "vm-a"


def rows_of(day, n):
    rnd = random.Random(11)
    base = day_start_us(day)
    step = 86_400_000_000 // max(n, 1)
    for i in range(n):
        yield (base + i * step, f"app{rnd.randint(0, 4)}", f"ev.{rnd.randint(0, 19)}", 1,
               str(rnd.randint(-1000, 100000)), 0)


def timed_counts(port, key, day, rounds):
    """(first ms, median of the next `rounds` ms, body of the last answer)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    times = []
    body = b""
    try:
        for _ in range(1 + rounds):
            t = time.monotonic()
            c.request("GET", f"/its-log/v1/counts?day={day}", headers={"X-API-Key": key})
            r = c.getresponse()
            body = r.read()
            times.append((time.monotonic() - t) * 1000)
            if r.status != 200:
                raise RuntimeError(f"GET /v1/counts answered {r.status}: {body[:300]!r}")
    finally:
        c.close()
    return times[0], statistics.median(times[1:]), json.loads(body)


def run(build, work):
    if shutil.which("moto_server") is None or shutil.which("nginx") is None:
        return {"skipped": "moto_server or nginx not installed"}
    day = shipped_day()
    t = time.monotonic()
    data, seal = test_read_hosts.build_shipped_file(work, day, HOST, rows_of(day, ROWS))
    build_s = time.monotonic() - t
    local = archived = None
    out = {"rows": ROWS, "bytes": len(data), "day": day, "build_file_s": build_s}
    try:
        def plant(stack):
            with open(os.path.join(stack.data_dir, f"{day}-v1.itslog"), "wb") as f:
                f.write(data)

        local = ReadNginxStack(build, work, "local", workers=1, prepare=plant)
        local.start()
        archived = test_read_hosts.ArchiveReadStack(build, work, "archived", workers=1)
        archived.start()
        base = f"{test_read_hosts.PREFIX}{day}/hosts/{HOST}/{day}-v1"
        s3 = boto(archived.moto)
        s3.put_object(Bucket=BUCKET, Key=base + ".itslog", Body=data)
        s3.put_object(Bucket=BUCKET, Key=base + ".seal.json", Body=seal)

        first, warm, body_l = timed_counts(local.port, local.keys.all, day, ROUNDS)
        out["local"] = {"first_ms": first, "warm_ms": warm}
        first, warm, body_a = timed_counts(archived.port, archived.keys.all, day, ROUNDS)
        out["archived"] = {"first_ms": first, "warm_ms": warm}
        if body_a["counts"] != body_l["counts"]:
            raise RuntimeError("the archived day's counts differ from the local day's")
        if body_a["hosts"] != [HOST] or sum(c["count"] for c in body_a["counts"]) != ROWS:
            raise RuntimeError(f"unexpected answer: hosts {body_a['hosts']}")
        out["warm_ratio"] = out["archived"]["warm_ms"] / out["local"]["warm_ms"]
        return out
    finally:
        for stack in (archived, local):
            if stack is not None:
                stack.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="archive-counts-bench-")
    try:
        out = run(os.path.abspath(args.build), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if "skipped" in out:
        print(f"archive counts: skipped ({out['skipped']})")
    else:
        print(f"archive counts: a day of {out['rows']:,} rows ({out['bytes'] / 1e6:.0f} MB)")
        for what in ("local", "archived"):
            print(f"  GET /v1/counts?day= {what:8}: first {out[what]['first_ms']:8.1f} ms, "
                  f"warm {out[what]['warm_ms']:6.2f} ms (median of {ROUNDS})")
        verdict = "ok" if out["warm_ratio"] <= 2 else "OVER the 2x target"
        print(f"  warm archived / warm local: {out['warm_ratio']:.2f} ({verdict})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
