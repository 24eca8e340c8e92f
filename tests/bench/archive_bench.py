#!/usr/bin/env python3
"""The archive read path against a real local S3 server (moto_server), in one run:
  * download-and-check: `itslog export DAY --app none` with an empty archive cache (one LIST
    round, the seal, the file in ranged GETs, its SHA-256, its chain against the seal; the
    export itself then matches no row) against `aws s3 cp` of the same object from the same
    server: the ratio is awscli's time over ours (>= 0.8 is the target);
  * `itslog export DAY` of the cached day to /dev/null: entries per second (>= 1,000,000).
A shipped day of BENCH_ARCHIVE_ROWS rows (default 1,000,000) is written with plain SQLite in
the contract's format and planted in the per-host layout. Medians of BENCH_ARCHIVE_ROUNDS (3).

Alone: python3 tests/bench/archive_bench.py --build build  (make bench runs it too)."""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from archive_setup import ROWS, rounds, shipped_day  # first: puts tests/integration on sys.path
from lib.s3 import BUCKET, boto, start_moto
import test_archive

ROUNDS = rounds(3)
PREFIX = "bench/"


def cpu_of_children():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def timed(argv, env, stdout=subprocess.DEVNULL):
    """(wall seconds, CPU seconds of the process) of one run."""
    t, c = time.monotonic(), cpu_of_children()
    r = subprocess.run(argv, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True)
    elapsed, cpu = time.monotonic() - t, cpu_of_children() - c
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {r.returncode}: {r.stderr[-2000:]}")
    return elapsed, cpu


def run(build, work):
    itslog = os.path.join(build, "itslog")
    if shutil.which("moto_server") is None or shutil.which("aws") is None:
        return {"skipped": "moto_server or aws not installed"}
    server = start_moto(work)
    try:
        day = shipped_day()
        src = os.path.join(work, "host")
        path, final = test_archive.sealed_day_file(src, day, ROWS, "vm-a", value_bytes=20)
        size = os.path.getsize(path)
        base = f"{PREFIX}{day}/hosts/vm-a/{day}-v1"
        s3 = boto(server)
        s3.upload_file(path, BUCKET, base + ".itslog")
        s3.put_object(Bucket=BUCKET, Key=base + ".seal.json",
                      Body=test_archive.seal_json(path, day, "vm-a", ROWS, final).encode())
        data_dir = os.path.join(work, "data")
        cache = os.path.join(work, "cache")
        os.makedirs(data_dir, exist_ok=True)
        config = os.path.join(work, "itslog.yaml")
        with open(config, "w") as f:
            f.write(f"data_dir: {json.dumps(data_dir)}\nlog: stderr\nauth: {{required: false}}\n"
                    f"s3: {{endpoint: {json.dumps(server.endpoint)}, bucket: {BUCKET}, "
                    f"prefix: {json.dumps(PREFIX)}, path_style: true}}\n"
                    f"archive: {{cache_dir: {json.dumps(cache)}}}\n")
        env = dict(os.environ)
        env["ITSLOG_S3_ACCESS_KEY_ID"], env["ITSLOG_S3_SECRET_ACCESS_KEY"] = server.key
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = server.key
        env["AWS_DEFAULT_REGION"] = "us-east-1"
        env.pop("ITSLOG_CONFIG", None)
        aws_cmd = ["aws", "--endpoint-url", server.endpoint, "s3", "cp",
                   f"s3://{BUCKET}/{base}.itslog", os.path.join(work, "aws-copy"),
                   "--only-show-errors"]
        fetch_cmd = [itslog, "export", day, "--app", "none", "--config", config]
        export_cmd = [itslog, "export", day, "--config", config]
        aws_s, ours_s, export_s = [], [], []
        for _ in range(ROUNDS):
            aws_s.append(timed(aws_cmd, env))
            os.remove(os.path.join(work, "aws-copy"))
            shutil.rmtree(cache, ignore_errors=True)
            ours_s.append(timed(fetch_cmd, env))
        for _ in range(ROUNDS):
            export_s.append(timed(export_cmd, env))
        aws_m, ours_m, export_m = (statistics.median(w for w, _ in x)
                                   for x in (aws_s, ours_s, export_s))
        export_cpu = statistics.median(c for _, c in export_s)
        return {
            "rows": ROWS,
            "file_bytes": size,
            "aws_s3_cp_s": aws_m,
            "download_and_check_s": ours_m,
            "download_and_check_vs_awscli": aws_m / ours_m,
            "download_and_check_mb_per_s": size / ours_m / 1e6,
            "aws_s3_cp_mb_per_s": size / aws_m / 1e6,
            "export_cached_s": export_m,
            "export_cached_entries_per_s": ROWS / export_m,
            # On a machine busy with other work the wall clock mostly measures waiting for a
            # core: entries per CPU second is what the code costs.
            "export_cached_cpu_s": export_cpu,
            "export_cached_entries_per_cpu_s": ROWS / export_cpu if export_cpu > 0 else None,
            "load_average": os.getloadavg()[0],
            "commands": {"baseline": " ".join(aws_cmd), "ours": " ".join(fetch_cmd),
                         "export": " ".join(export_cmd) + " > /dev/null"},
        }
    finally:
        server.stop()


def run_in_temp(build):
    work = tempfile.mkdtemp(prefix="itslog-archive-bench-")
    try:
        return run(build, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(r):
    """The bench's lines for the table of make bench."""
    if "skipped" in r:
        return f"archive: skipped ({r['skipped']})"
    return "\n".join([
        f"archive, a shipped day of {r['rows']:,} rows ({r['file_bytes'] / 1e6:.0f} MB):",
        f"  download and check / aws s3 cp        {r['download_and_check_vs_awscli']:>10.2f}x"
        f"  ({r['download_and_check_s']:.2f} s against {r['aws_s3_cp_s']:.2f} s; target >= 0.8)",
        f"  export of the cached day (entries/s)  {r['export_cached_entries_per_s']:>10,.0f}"
        f"  ({r['export_cached_entries_per_cpu_s'] or 0:,.0f} per CPU second; target >= 1,000,000)",
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    r = run_in_temp(args.build)
    print(json.dumps(r, indent=2))
    print(table(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
