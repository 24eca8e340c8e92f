#!/usr/bin/env python3
"""`make bench`: its-log's ingest speed against the ceilings of its own design, in one run.

Starts a private nginx on a free loopback port with, side by side, the no-op libfcgi responder
(the FastCGI ceiling), an event-driven no-op responder that nginx keeps connections to
(tests/bench/fcgi_epoll_noop.cc: what FastCGI with keep-alive could reach), two sets of itslog
workers (durability normal and full) and, later, a set that serves the read side; drives them
with wrk (tests/bench/wrk.lua); checks that every acknowledged event is in the day file; prints
a table and writes BUILD/bench/results.json.
docs/PERFORMANCE.md explains every figure.

Environment (defaults in brackets):
  BENCH_SECONDS [8]        seconds per wrk case        BENCH_ROUNDS [3]   rounds (median)
  BENCH_MILLION [1000000]  requests before the second RSS reading
  BENCH_READ_ROWS [1000000] rows of the day file for verify, export and GET /v1/counts
  BENCH_WORKERS [2]        worker processes per set (and no-op processes)
  BENCH_NGINX_WORKERS [2]  nginx worker_processes     BENCH_WRK_THREADS [2]  wrk -t
  BENCH_WORKER_ARGS []     extra arguments for `itslog fcgi`, e.g. "--threads 8"
  BENCH_NOOP_THREADS [1]   request threads of each no-op responder
  BENCH_KEEP_CONN [0]      1: fastcgi_keep_conn on, with an upstream keepalive pool
  BENCH_PROFILE [0]        1: after the rounds, profile PUT /v1/event and PUT /v1/unique at
                           64 connections (perf record -a, strace -c of one worker) into
                           BUILD/bench/profile/
  BENCH_ONLY []            "keys": only the rounds' cases about keys made over HTTP (below)
Keys made over HTTP: a third worker set ("keys") holds KEYS_MADE keys made with POST
/v1/admin/keys before the rounds; each round measures PUT /v1/event at 64 connections with one
of them (keys_made_key_c64), with one whose rate_limit is too high to trigger
(keys_rate_limit_c64), and with the config key on the same set (keys_config_key_c64).
Every process started here is stopped by its PID when the run ends, also on failure or Ctrl-C.
"""

import argparse
import datetime
import glob
import hashlib
import http.client
import json
import os
import platform
import random
import re
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import archive_bench  # noqa: E402


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


SECONDS = env_int("BENCH_SECONDS", 8)
ROUNDS = env_int("BENCH_ROUNDS", 3)
MILLION = env_int("BENCH_MILLION", 1000000)
READ_ROWS = env_int("BENCH_READ_ROWS", 1000000)
WORKERS = env_int("BENCH_WORKERS", 2)
NGINX_WORKERS = env_int("BENCH_NGINX_WORKERS", 2)
WRK_THREADS = env_int("BENCH_WRK_THREADS", 2)
NOOP_THREADS = env_int("BENCH_NOOP_THREADS", 1)
KEEP_CONN = env_int("BENCH_KEEP_CONN", 0) == 1
PROFILE = env_int("BENCH_PROFILE", 0) == 1
WORKER_ARGS = shlex.split(os.environ.get("BENCH_WORKER_ARGS", ""))
ONLY = os.environ.get("BENCH_ONLY", "")
KEYS_MADE = 1000
BATCH_EVENTS = 1000
BATCH_CONNECTIONS = 8
UNIQUE_NAMES = 1000
READ_BATCH = 10000
ALERT_RULES = 100


class BenchError(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3] not in (b"Z", b"X")


def stop_pid(pid, timeout=5.0):
    """SIGTERM one process, wait, then SIGKILL it."""
    if not pid_alive(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.02)
        try:  # reap our own children so they do not linger as zombies
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
    if pid_alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise BenchError(f"no {field} for pid {pid}")


def memory_of(pids):
    """{pid: {"rss": KiB, "anon": KiB, "file": KiB}}: RssFile is mostly shared libraries."""
    return {str(p): {"rss": rss_kib(p), "anon": rss_kib(p, "RssAnon"),
                     "file": rss_kib(p, "RssFile")} for p in pids if pid_alive(p)}


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kib = 0
    try:
        with open("/proc/meminfo") as f:
            mem_kib = int(f.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    def version(argv):
        try:
            r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
            return r.stdout.decode("utf-8", "replace").strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "unknown"
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "mem_gib": round(mem_kib / 1048576, 1),
        "kernel": platform.release(),
        "nginx": version(["nginx", "-v"]),
        "wrk": version(["wrk", "--version"]),
        "sqlite3": version(["sqlite3", "--version"]).split(" ")[0],
    }


class Run:
    """Everything one `make bench` starts; stop() ends it all by PID."""

    def __init__(self, build):
        self.build = build
        self.itslog = os.path.abspath(os.path.join(build, "itslog"))
        self.bin_dir = os.path.abspath(os.path.join(build, "bench", "bin"))
        self.out_dir = os.path.abspath(os.path.join(build, "bench"))
        self.dir = os.path.join(self.out_dir, "run")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.pids = []  # every long-lived process, stopped in reverse order
        self.nginx = None
        self.port = free_port()
        self.key = "bench_" + secrets.token_hex(24)
        self.admin_key = "benchadmin_" + secrets.token_hex(24)
        self.made_key = None        # a key made over HTTP among KEYS_MADE (keys_made_keys)
        self.rate_limited_key = None  # one made with a rate_limit too high to trigger
        self.access_log = os.path.join(self.dir, "nginx", "access.log")
        self.failures = []
        self.warnings = []
        self.sets = {}  # name -> {"socket", "pids", "data_dir", "config"}

    # --- processes ---------------------------------------------------------------------------
    def stop(self):
        if self.nginx is not None:
            stop_pid(self.nginx.pid)
            try:
                self.nginx.wait(5)
            except subprocess.TimeoutExpired:
                pass
        for pid in reversed(self.pids):
            stop_pid(pid)

    def write_config(self, name, durability):
        data_dir = os.path.join(self.dir, "data-" + name)
        os.makedirs(data_dir, exist_ok=True)
        path = os.path.join(self.dir, name + ".yaml")
        key_hash = hashlib.sha256(self.key.encode()).hexdigest()
        admin_hash = hashlib.sha256(self.admin_key.encode()).hexdigest()
        with open(path, "w") as f:
            f.write(f"""# written by tests/bench/bench.py
data_dir: {json.dumps(data_dir)}
timezone: UTC
durability: {durability}
storage: sqlite
log: stderr
limits:
  max_body_bytes: 1048576
  max_batch: {max(BATCH_EVENTS, READ_BATCH)}
  max_event_names_per_app_per_day: 10000
auth:
  required: true
  keys:
    - name: bench
      key_sha256: {key_hash}
      scopes: [ingest, read, admin]
      apps: ["*"]
    - name: bench-admin
      key_sha256: {admin_hash}
      scopes: [admin]
      apps: ["*"]
alerts:
  interval_seconds: 1
""")
        return path, data_dir

    def spawn(self, name, argv, data_dir=None, config=None):
        """Starts WORKERS processes of argv on a fresh unix socket with spawn-fcgi -F."""
        sock = os.path.join(self.dir, name + ".sock")
        stderr_path = os.path.join(self.dir, name + ".stderr.log")
        wrapper = os.path.join(self.dir, name + ".sh")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec 2>>" + shlex.quote(stderr_path) + "\nexec " +
                    " ".join(shlex.quote(a) for a in argv) + "\n")
        os.chmod(wrapper, 0o755)
        r = subprocess.run(["spawn-fcgi", "-s", sock, "-M", "0666", "-F", str(WORKERS), "--",
                            wrapper], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30)
        out = r.stdout.decode("utf-8", "replace")
        pids = [int(p) for p in re.findall(r"child spawned successfully: PID: (\d+)", out)]
        self.pids.extend(pids)
        if r.returncode != 0 or len(pids) != WORKERS:
            raise BenchError(f"spawn-fcgi for {name} failed (rc {r.returncode}): {out}")
        time.sleep(0.3)
        dead = [p for p in pids if not pid_alive(p)]
        if dead:
            raise BenchError(f"{name}: processes {dead} exited at once:\n" +
                             tail(stderr_path))
        self.sets[name] = {"socket": sock, "pids": pids, "data_dir": data_dir,
                           "config": config, "stderr": stderr_path}
        return pids

    def start_worker_set(self, name, durability):
        config, data_dir = self.write_config(name, durability)
        argv = [self.itslog, "fcgi", "--config", config] + WORKER_ARGS
        return self.spawn(name, argv, data_dir, config)

    def nginx_conf(self):
        d = os.path.join(self.dir, "nginx")
        os.makedirs(d, exist_ok=True)
        user = "user root root;\n" if os.geteuid() == 0 else ""
        upstreams = []
        locations = []
        for name, mount in (("noop", "/noop"), ("noop_early", "/noop-early"),
                            ("noop_epoll", "/noop-epoll"), ("normal", "/its-log"),
                            ("full", "/full/its-log"), ("read", "/read/its-log"),
                            ("keys", "/keys/its-log")):
            sock = os.path.join(self.dir, name + ".sock")
            # The event-driven no-op is measured with keep-alive always: that is its point.
            keep_this = KEEP_CONN or name == "noop_epoll"
            keep = "fastcgi_keep_conn on;" if keep_this else "fastcgi_keep_conn off;"
            ka = f"keepalive {4 * WORKERS};" if keep_this else ""
            upstreams.append(f"  upstream up_{name} {{ server unix:{sock}; {ka} }}")
            locations.append(f"""    location {mount}/ {{
      fastcgi_split_path_info ^({re.escape(mount)})(/.*)$;
      fastcgi_param SCRIPT_NAME $fastcgi_script_name;
      fastcgi_param PATH_INFO $fastcgi_path_info;
      fastcgi_param SCRIPT_FILENAME "";
      fastcgi_param REQUEST_METHOD $request_method;
      fastcgi_param CONTENT_TYPE $content_type;
      fastcgi_param CONTENT_LENGTH $content_length;
      fastcgi_param QUERY_STRING $query_string;
      fastcgi_param REQUEST_URI $request_uri;
      fastcgi_param DOCUMENT_URI $document_uri;
      fastcgi_param SERVER_PROTOCOL $server_protocol;
      fastcgi_param GATEWAY_INTERFACE CGI/1.1;
      fastcgi_param SERVER_SOFTWARE nginx;
      fastcgi_param REMOTE_ADDR $remote_addr;
      fastcgi_param REMOTE_PORT $remote_port;
      fastcgi_param SERVER_ADDR $server_addr;
      fastcgi_param SERVER_PORT $server_port;
      fastcgi_param SERVER_NAME $server_name;
      fastcgi_param HTTP_AUTHORIZATION $http_authorization;
      fastcgi_ignore_client_abort on;
      fastcgi_read_timeout 120s;
      {keep}
      fastcgi_pass up_{name};
    }}""")
        nl = "\n"
        return f"""daemon off;
master_process on;
worker_processes {NGINX_WORKERS};
{user}pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  log_format bench '$upstream_status';
  access_log {self.access_log} bench buffer=64k flush=1s;
  client_body_temp_path {d}/client_body_temp;
  proxy_temp_path {d}/proxy_temp;
  fastcgi_temp_path {d}/fastcgi_temp;
  uwsgi_temp_path {d}/uwsgi_temp;
  scgi_temp_path {d}/scgi_temp;
  client_max_body_size 16m;
  client_body_buffer_size 2m;
  keepalive_requests 1000000;
{nl.join(upstreams)}
  server {{
    listen 127.0.0.1:{self.port} backlog=4096;
    server_name localhost;
    location = /204 {{ return 204; }}
{nl.join(locations)}
  }}
}}
"""

    def start_nginx(self):
        d = os.path.join(self.dir, "nginx")
        conf = os.path.join(d, "nginx.conf")
        os.makedirs(d, exist_ok=True)
        with open(conf, "w") as f:
            f.write(self.nginx_conf())
        out = open(os.path.join(d, "stdout.log"), "ab")
        self.nginx = subprocess.Popen(["nginx", "-p", d, "-e", os.path.join(d, "error.log"),
                                       "-c", conf], stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.STDOUT)
        out.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.nginx.poll() is not None:
                raise BenchError("nginx exited:\n" + tail(os.path.join(d, "error.log")))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise BenchError("nginx did not start")

    def make_keys(self, n):
        """Makes n keys over HTTP on the "keys" set; the request's keys are among them."""
        admin = {"Authorization": "Bearer " + self.admin_key, "Content-Type": "application/json"}
        made = []
        for i in range(n):
            body = {"name": f"bench-{i}", "scopes": ["ingest"], "apps": ["*"]}
            if i == n // 2:
                body["rate_limit"] = 1000000  # far above what this machine can send
            st, out = self.http("POST", "/keys/its-log/v1/admin/keys", json.dumps(body), admin)
            if st != 201:
                raise BenchError(f"POST /v1/admin/keys answered {st}: {out[:300]!r}")
            made.append(json.loads(out)["key"])
        self.made_key = made[n // 3]
        self.rate_limited_key = made[n // 2]

    # --- HTTP ----------------------------------------------------------------------------------
    def http(self, method, path, body=None, headers=None, timeout=60):
        h = {"Authorization": "Bearer " + self.key}
        h.update(headers or {})
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    # --- wrk -----------------------------------------------------------------------------------
    def wrk(self, connections, seconds, env):
        e = dict(os.environ)
        for k in list(e):
            if k.startswith("BENCH_") and k not in ("BENCH_SECONDS",):
                del e[k]
        e["BENCH_KEY"] = self.key
        e.update({k: str(v) for k, v in env.items()})
        argv = ["wrk", "-t", str(min(WRK_THREADS, connections)), "-c", str(connections),
                "-d", f"{seconds}s", "--timeout", "10s", "--latency",
                "-s", os.path.join(HERE, "wrk.lua"), f"http://127.0.0.1:{self.port}/"]
        r = subprocess.run(argv, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=seconds + 60)
        out = r.stdout.decode("utf-8", "replace")
        m = re.search(r"^BENCH_RESULT (.*)$", out, re.M)
        if r.returncode != 0 or not m:
            raise BenchError(f"wrk failed (rc {r.returncode}):\n{out}")
        res = json.loads(m.group(1))
        secs = res["duration_us"] / 1e6
        res["rps"] = res["requests"] / secs if secs > 0 else 0.0
        res["p50_ms"] = res["latency_us"]["p50"] / 1000
        res["p99_ms"] = res["latency_us"]["p99"] / 1000
        res["ok"] = sum(v for k, v in res["statuses"].items() if k.startswith("2"))
        res["connections"] = connections
        return res

    def access_log_offset(self):
        try:
            return os.path.getsize(self.access_log)
        except OSError:
            return 0

    def server_statuses(self, offset):
        """Upstream statuses nginx logged since offset: {"204": n, ...}."""
        counts = {}
        try:
            with open(self.access_log, "rb") as f:
                f.seek(offset)
                data = f.read()
        except OSError:
            return counts
        for line in data.decode("ascii", "replace").splitlines():
            s = line.strip().split(",")[-1].strip() or "-"
            counts[s] = counts.get(s, 0) + 1
        return counts


def tail(path, n=4000):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - n))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return "(no log)"


def day_files(data_dir):
    return sorted(glob.glob(os.path.join(data_dir, "*-v1.itslog")))


def count_rows(data_dir, app):
    """(rows in log, rows in uniques) of app over every day file, read by plain SQLite."""
    rows = uniq = 0
    for path in day_files(data_dir):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            rows += db.execute("SELECT count(*) FROM log JOIN events ON events.id = log.event "
                               "WHERE events.app = ?", (app,)).fetchone()[0]
            uniq += db.execute("SELECT count(*) FROM uniques JOIN events ON events.id = "
                               "uniques.event WHERE events.app = ?", (app,)).fetchone()[0]
        finally:
            db.close()
    return rows, uniq


def total_rows(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute("SELECT count(*) FROM log").fetchone()[0]
    finally:
        db.close()


class Bench:
    def __init__(self, run):
        self.run = run
        self.results = {}  # case name -> list of per-round dicts
        self.normal_requests = 0  # requests answered by the normal worker set

    # --- cases ---------------------------------------------------------------------------------
    def settle(self, offset, data_dir, app, max_wait=20.0):
        """Waits until nginx's access log and the app's rows stop changing (in-flight requests
        finished, the log buffer flushed); returns (statuses, rows, uniques)."""
        last = None
        stable_since = time.monotonic()
        deadline = time.monotonic() + max_wait
        time.sleep(1.2)  # access_log flush=1s
        while True:
            statuses = self.run.server_statuses(offset)
            rows, uniq = count_rows(data_dir, app) if data_dir else (0, 0)
            now = (tuple(sorted(statuses.items())), rows, uniq)
            if now != last:
                last = now
                stable_since = time.monotonic()
            elif time.monotonic() - stable_since >= 1.0:
                return statuses, rows, uniq
            if time.monotonic() > deadline:
                return statuses, rows, uniq
            time.sleep(0.25)

    def fail(self, msg):
        log("  !! " + msg)
        self.run.failures.append(msg)

    def case(self, name, connections, env, set_name=None, app=None, kind="single",
             seconds=None):
        """One wrk run plus, for itslog cases, the check that stored rows match the 2xx."""
        run = self.run
        offset = run.access_log_offset()
        res = run.wrk(connections, seconds or SECONDS, env)
        data_dir = run.sets[set_name]["data_dir"] if set_name else None
        srv, rows, uniq = self.settle(offset, data_dir, app)
        res["server_statuses"] = srv
        srv_total = sum(srv.values())
        if set_name == "normal":
            self.normal_requests += srv_total
        bad = {k: v for k, v in res["statuses"].items() if not k.startswith("2")}
        errs = {k: v for k, v in res["errors"].items() if v and k != "status"}
        if bad or errs:
            self.fail(f"{name}: non-2xx responses {bad} / socket errors {errs}")
        if set_name:
            res["rows"] = rows
            srv_ok = sum(v for k, v in srv.items() if k.startswith("2"))
            if kind == "single":
                # Exact: every 2xx a worker sent (nginx logged it, also for requests wrk gave
                # up on at the end) has its row, and no row lacks its 2xx.
                if rows != srv_ok:
                    self.fail(f"{name}: {rows} rows stored but the workers acknowledged "
                              f"{srv_ok} requests")
                # What the client saw: each 2xx wrk counted is stored; at most `connections`
                # more rows, the requests in flight when wrk stopped.
                if not res["ok"] <= rows <= res["ok"] + connections:
                    self.fail(f"{name}: {rows} rows stored, wrk counted {res['ok']} 2xx "
                              f"({connections} connections)")
            elif kind == "unique":
                created = srv.get("201", 0)
                res["created"] = created
                res["duplicates"] = srv.get("200", 0)
                if rows != created or uniq != created:
                    self.fail(f"{name}: {rows} rows and {uniq} uniques stored, but {created} "
                              f"answered 201")
                if created > UNIQUE_NAMES:
                    self.fail(f"{name}: {created} unique events created from "
                              f"{UNIQUE_NAMES} names")
            elif kind == "batch":
                srv_batches = srv.get("200", 0)
                res["events"] = res["accepted"]
                res["events_per_s"] = res["accepted"] / (res["duration_us"] / 1e6)
                if rows != srv_batches * BATCH_EVENTS:
                    self.fail(f"{name}: {rows} rows stored for {srv_batches} acknowledged "
                              f"batches of {BATCH_EVENTS}")
                if res["accepted"] != res["ok"] * BATCH_EVENTS:
                    self.fail(f"{name}: responses accepted {res['accepted']} events in "
                              f"{res['ok']} batches of {BATCH_EVENTS}")
        self.results.setdefault(name, []).append(res)
        extra = ""
        if kind == "batch":
            extra = f"  {res['events_per_s']:,.0f} events/s"
        if set_name:
            extra += f"  rows {res['rows']:,}"
        log(f"  {name:<22} {res['rps']:>10,.0f} req/s  p50 {res['p50_ms']:6.2f} ms  "
            f"p99 {res['p99_ms']:7.2f} ms{extra}")
        return res

    def single_env(self, mount, method, app, event="click"):
        if method == "PUT":
            return {"BENCH_METHOD": "PUT", "BENCH_PATH": f"{mount}/v1/event/{app}/{event}",
                    "BENCH_BODY": '{"value":"123","type":1}'}
        return {"BENCH_METHOD": "POST", "BENCH_PATH": f"{mount}/v1/log",
                "BENCH_BODY": json.dumps({"event": event, "value": "123", "type": 1,
                                          "app": app}, separators=(",", ":"))}

    def batch_body(self, app, n, seed=0, file_name=None):
        rnd = random.Random(seed)
        lines = []
        for i in range(n):
            lines.append(json.dumps({"app": app, "event": f"batch.e{i % 10}",
                                     "value": str(rnd.randint(0, 1000000)), "type": 1},
                                    separators=(",", ":")))
        body = "\n".join(lines) + "\n"
        if file_name:
            path = os.path.join(self.run.dir, file_name)
            with open(path, "w") as f:
                f.write(body)
            return path
        return body

    def keys_cases(self, r):
        """PUT /v1/event at 64 connections on the "keys" set: the config key, a key made over
        HTTP among KEYS_MADE, and a made key with a rate limit that does not trigger."""
        run = self.run
        cases = [("keys_config_key_c64", run.key), ("keys_made_key_c64", run.made_key),
                 ("keys_rate_limit_c64", run.rate_limited_key)]
        # Each round starts with another case, so that none is always first or last.
        shift = (r - 1) % len(cases)
        for name, key in cases[shift:] + cases[:shift]:
            app = f"{name}-r{r}"
            env = self.single_env("/keys/its-log", "PUT", app)
            env["BENCH_KEY"] = key
            self.case(name, 64, env, "keys", app)

    def round(self, r):
        log(f"round {r}/{ROUNDS}")
        if ONLY == "keys":
            app = f"put64-r{r}"
            self.case("put_event_c64", 64, self.single_env("/its-log", "PUT", app), "normal", app)
            self.keys_cases(r)
            return
        ceiling_body = '{"value":"123","type":1}'
        for c in (16, 64):
            self.case(f"nginx_204_c{c}", c, {"BENCH_METHOD": "PUT", "BENCH_PATH": "/204",
                                              "BENCH_BODY": ceiling_body})
            self.case(f"fcgi_noop_c{c}", c, {"BENCH_METHOD": "PUT",
                                              "BENCH_PATH": "/noop/v1/event/app/click",
                                              "BENCH_BODY": ceiling_body})
            self.case(f"fcgi_noop_early_close_c{c}", c,
                      {"BENCH_METHOD": "PUT", "BENCH_PATH": "/noop-early/v1/event/app/click",
                       "BENCH_BODY": ceiling_body})
            self.case(f"fcgi_epoll_keepalive_c{c}", c,
                      {"BENCH_METHOD": "PUT", "BENCH_PATH": "/noop-epoll/v1/event/app/click",
                       "BENCH_BODY": ceiling_body})
            for method in ("PUT", "POST"):
                app = f"{method.lower()}{c}-r{r}"
                self.case(f"{method.lower()}_event_c{c}", c,
                          self.single_env("/its-log", method, app), "normal", app)
        for method in ("PUT", "POST"):
            app = f"full-{method.lower()}64-r{r}"
            self.case(f"full_{method.lower()}_event_c64", 64,
                      self.single_env("/full/its-log", method, app), "full", app)
        app = f"unique-r{r}"
        self.case("unique_c64", 64, {"BENCH_METHOD": "PUT",
                                     "BENCH_PATH": f"/its-log/v1/unique/{app}",
                                     "BENCH_UNIQUE_NAMES": UNIQUE_NAMES}, "normal", app,
                  kind="unique")
        app = f"batch-r{r}"
        body = self.batch_body(app, BATCH_EVENTS, seed=r, file_name=f"batch-r{r}.ndjson")
        self.case(f"batch_{BATCH_EVENTS}_c{BATCH_CONNECTIONS}", BATCH_CONNECTIONS,
                  {"BENCH_METHOD": "POST", "BENCH_PATH": "/its-log/v1/log",
                   "BENCH_BODY_FILE": body, "BENCH_CTYPE": "application/x-ndjson",
                   "BENCH_SUM_ACCEPTED": 1}, "normal", app, kind="batch")
        self.keys_cases(r)

    def warm_up(self):
        log("warm-up")
        secs = max(1, min(3, SECONDS))
        self.case("warmup_noop", 64, {"BENCH_METHOD": "PUT",
                                      "BENCH_PATH": "/noop/v1/event/app/click"}, seconds=secs)
        for set_name, mount in (("normal", "/its-log"), ("full", "/full/its-log"),
                                ("keys", "/keys/its-log")):
            app = f"warmup-{set_name}"
            self.case(f"warmup_{set_name}", 64, self.single_env(mount, "PUT", app), set_name,
                      app, seconds=secs)

    # --- the raw SQLite ceiling ------------------------------------------------------------------
    def raw_sqlite(self, schema_path, rows):
        db = os.path.join(self.run.dir, "raw.sqlite")
        out = []
        for _ in range(ROUNDS):
            r = subprocess.run([os.path.join(self.run.bin_dir, "raw_sqlite"), schema_path, db,
                                str(rows), str(BATCH_EVENTS), "10", "normal"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
            if r.returncode != 0:
                raise BenchError("raw_sqlite failed: " + r.stderr.decode())
            out.append(json.loads(r.stdout))
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.unlink(db + suffix)
                except OSError:
                    pass
        return out

    def dump_schema(self, data_dir):
        files = day_files(data_dir)
        if not files:
            raise BenchError(f"no day file in {data_dir}")
        path = os.path.join(self.run.dir, "schema.sql")
        db = sqlite3.connect(f"file:{files[0]}?mode=ro", uri=True)
        try:
            sql = [row[0] for row in db.execute(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE "
                "'sqlite_%' ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 "
                "WHEN 'view' THEN 2 ELSE 3 END, rowid")]
        finally:
            db.close()
        with open(path, "w") as f:
            f.write(";\n".join(sql) + ";\n")
        return path

    # --- memory ----------------------------------------------------------------------------------
    def million(self):
        """Drives PUT /v1/event at 64 connections until the normal workers have answered
        MILLION requests in all, then reads their RSS."""
        run = self.run
        pids = run.sets["normal"]["pids"]
        done = self.normal_requests
        log(f"memory: {done:,} requests so far; driving the normal workers to {MILLION:,}")
        rps = median([x["rps"] for x in self.results.get("put_event_c64", [])]) or 5000
        i = 0
        while done < MILLION:
            i += 1
            secs = int(min(60, max(2, (MILLION - done) / rps + 1)))
            app = f"million-{i}"
            res = self.case(f"million_put_c64", 64, self.single_env("/its-log", "PUT", app),
                            "normal", app, seconds=secs)
            rps = max(res["rps"], 100)
            done = self.normal_requests
        rss = memory_of(pids)
        log(f"  after {done:,} requests: {rss} KiB")
        return done, rss

    # --- profiles --------------------------------------------------------------------------------
    def profile(self):
        """perf record -a -g over a PUT /v1/event and a PUT /v1/unique case, and strace -c of
        one worker over another PUT case; reports in BUILD/bench/profile/."""
        run = self.run
        d = os.path.join(run.out_dir, "profile")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        pids = run.sets["normal"]["pids"]
        secs = max(3, min(SECONDS, 8))
        log("profile")
        cases = (("put", self.single_env("/its-log", "PUT", "profile-put"), "profile-put",
                  "single"),
                 ("unique", {"BENCH_METHOD": "PUT", "BENCH_PATH": "/its-log/v1/unique/prof-u",
                             "BENCH_UNIQUE_NAMES": UNIQUE_NAMES}, "prof-u", "unique"))
        for name, env, app, kind in cases:
            data = os.path.join(d, f"perf-{name}.data")
            try:
                p = subprocess.Popen(["perf", "record", "-a", "-g", "-o", data, "--", "sleep",
                                      str(secs)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            except OSError as e:
                run.warnings.append(f"perf not available: {e}")
                return
            self.case(f"profile_{name}_c64", 64, env, "normal", app, kind=kind, seconds=secs)
            p.wait()
            for sort, extra, suffix in (("comm,dso", [], "by-process"),
                                        ("sym", ["--comm", "itslog"], "itslog-symbols")):
                with open(os.path.join(d, f"perf-{name}-{suffix}.txt"), "w") as f:
                    subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio",
                                    "-g", "none", "--sort", sort, "--percent-limit", "0.3"] +
                                   extra, stdout=f, stderr=subprocess.DEVNULL)
        out = os.path.join(d, "strace-put-one-worker.txt")
        if shutil.which("strace"):
            p = subprocess.Popen(["strace", "-c", "-f", "-o", out, "-p", str(pids[0])],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            self.case("profile_put_strace_c64", 64,
                      self.single_env("/its-log", "PUT", "profile-strace"), "normal",
                      "profile-strace", seconds=secs)
            p.send_signal(signal.SIGINT)
            p.wait(30)
        log(f"  reports in {d}")

    # --- read side -------------------------------------------------------------------------------
    def read_side(self):
        run = self.run
        help_text = subprocess.run([run.itslog, "--help"], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT).stdout.decode()
        commands = set(re.findall(r"^  (\S+) ", help_text, re.M))
        has_verify = "verify" in commands
        has_export = "export" in commands
        out = {"verify": None, "export_jsonl": None, "export_csv": None, "counts_day_ms": None,
               "rows": 0}
        run.start_worker_set("read", "normal")
        # A day of READ_ROWS rows: 5 apps x 20 events, INTEGER values (so counts has sums),
        # written through the workers in batches of READ_BATCH.
        bodies = []
        rnd = random.Random(7)
        for b in range(8):
            lines = []
            for i in range(READ_BATCH):
                app = f"read-app{rnd.randint(0, 4)}"
                lines.append(json.dumps({"app": app, "event": f"ev.{rnd.randint(0, 19)}",
                                         "value": str(rnd.randint(-1000, 100000)), "type": 1},
                                        separators=(",", ":")))
            bodies.append(("\n".join(lines) + "\n").encode())
        n_batches = (READ_ROWS + READ_BATCH - 1) // READ_BATCH
        log(f"read side: writing {n_batches * READ_BATCH:,} rows through the workers")
        errors = []
        t0 = time.monotonic()

        def writer(indices):
            c = http.client.HTTPConnection("127.0.0.1", run.port, timeout=120)
            try:
                for i in indices:
                    c.request("POST", "/read/its-log/v1/log", body=bodies[i % len(bodies)],
                              headers={"Authorization": "Bearer " + run.key,
                                       "Content-Type": "application/x-ndjson"})
                    r = c.getresponse()
                    data = r.read()
                    if r.status != 200 or f'"accepted":{READ_BATCH},'.encode() not in data:
                        errors.append(f"{r.status} {data[:200]!r}")
                        return
            finally:
                c.close()

        ths = [threading.Thread(target=writer, args=(range(k, n_batches, 4),))
               for k in range(4)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        write_s = time.monotonic() - t0
        if errors:
            raise BenchError("writing the read-side day file failed: " + errors[0])
        files = day_files(run.sets["read"]["data_dir"])
        day_file = max(files, key=os.path.getsize)
        rows = total_rows(day_file)
        out["rows"] = rows
        out["day_file"] = os.path.basename(day_file)
        out["write_events_per_s"] = rows / write_s
        log(f"  {rows:,} rows in {out['day_file']} ({rows / write_s:,.0f} events/s, "
            f"{os.path.getsize(day_file) / 1e6:.0f} MB)")
        if len(files) > 1:
            run.warnings.append("the read-side rows went to more than one day file (midnight); "
                                "figures use the largest")
        day = os.path.basename(day_file)[:10]

        def timed(argv, count_lines=False):
            t = time.monotonic()
            p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            lines = 0
            tail_bytes = b""
            while True:
                chunk = p.stdout.read(1 << 20)
                if not chunk:
                    break
                if count_lines:
                    lines += chunk.count(b"\n")
                else:
                    tail_bytes = (tail_bytes + chunk)[-4000:]
            err = p.stderr.read()
            rc = p.wait()
            return time.monotonic() - t, rc, lines, (tail_bytes + err).decode("utf-8", "replace")

        if has_verify:
            secs = []
            for _ in range(ROUNDS):
                s, rc, _, text = timed([run.itslog, "verify", day_file])
                if rc != 0:
                    self.fail(f"itslog verify exited {rc} on a file the workers wrote: "
                              f"{text[-500:]}")
                    break
                secs.append(s)
            if secs:
                out["verify"] = {"seconds": secs, "entries_per_s": rows / median(secs)}
                log(f"  verify: {median(secs):.3f} s, {rows / median(secs):,.0f} entries/s")
        if has_export:
            for fmt in ("jsonl", "csv"):
                secs = []
                for _ in range(ROUNDS):
                    s, rc, lines, text = timed([run.itslog, "export", day_file, "--format", fmt],
                                               count_lines=True)
                    want = rows + (1 if fmt == "csv" else 0)
                    if rc != 0 or lines != want:
                        self.fail(f"itslog export --format {fmt}: exit {rc}, {lines} lines for "
                                  f"{rows} rows: {text[-500:]}")
                        break
                    secs.append(s)
                if secs:
                    out["export_" + fmt] = {"seconds": secs,
                                            "entries_per_s": rows / median(secs)}
                    log(f"  export {fmt}: {median(secs):.3f} s, "
                        f"{rows / median(secs):,.0f} entries/s")
        # GET /v1/counts on that day, over one keep-alive connection: the first (cold) and
        # the median of the next ones.
        path = f"/read/its-log/v1/counts?day={day}"
        c = http.client.HTTPConnection("127.0.0.1", run.port, timeout=120)
        try:
            times = []
            status = None
            for i in range(1 + 5):
                t = time.monotonic()
                c.request("GET", path, headers={"Authorization": "Bearer " + run.key})
                r = c.getresponse()
                body = r.read()
                times.append((time.monotonic() - t) * 1000)
                status = r.status
                if status != 200:
                    break
        finally:
            c.close()
        if status == 200:
            out["counts_day_ms"] = median(times[1:])
            out["counts_day_first_ms"] = times[0]
            out["counts_bytes"] = len(body)
            log(f"  GET /v1/counts?day={day}: {out['counts_day_ms']:.1f} ms "
                f"(first {times[0]:.1f} ms)")
        elif status in (404, 405):
            out["counts_status"] = status
            log(f"  GET /v1/counts: {status} (not there yet): n/a")
        else:
            out["counts_status"] = status
            self.fail(f"GET /v1/counts answered {status}: {body[:300]!r}")
        return out

    # --- alerts --------------------------------------------------------------------------------
    def alert_rules(self, mount, apps, events, n=ALERT_RULES):
        """n rules over apps x events through the API: mixed aggregates, windows of 1 to 60
        minutes, thresholds that never fire (the pass, not the notifications, is measured)."""
        aggs = ["count", "count", "count", "avg", "max", "sum"]
        for i in range(n):
            rule = {"name": f"bench {i}", "query": {"app": apps[i % len(apps)]},
                    "aggregate": aggs[i % len(aggs)], "threshold": 1e12,
                    "window_seconds": 60 * (1 + (i * 7) % 60)}
            if i % 10 != 9:  # one rule in ten watches every event of its app
                rule["query"]["event"] = events[i % len(events)]
            st, body = self.run.http("POST", f"{mount}/v1/alerts/rules", json.dumps(rule),
                                     {"Authorization": "Bearer " + self.run.key,
                                      "Content-Type": "application/json"})
            if st != 201:
                raise BenchError(f"POST /v1/alerts/rules answered {st}: {body[:300]!r}")

    def alerts_side(self, read):
        """One evaluation pass of ALERT_RULES rules over the read side's day, and single-event
        ingest with `itslog alerts` evaluating every second against the same without it."""
        run = self.run
        out = {"pass_ms": None, "pass_ms_rounds": [], "rules": ALERT_RULES,
               "rows": read.get("rows")}
        help_text = subprocess.run([run.itslog, "--help"], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT).stdout.decode()
        if not re.search(r"^  alerts ", help_text, re.M):
            log("alerts: not in this build: n/a")
            return out
        # Rules of the normal set first: their POSTs are settled long before the wrk cases.
        normal = run.sets["normal"]
        # They watch the apps the "with" cases ingest into, so that each pass reads new rows.
        self.alert_rules("/its-log", [f"alerts-on-r{r}" for r in range(1, ROUNDS + 1)],
                         ["click", "other"])
        log(f"alerts: passes of {ALERT_RULES} rules over {read.get('rows', 0):,} rows")
        self.alert_rules("/read/its-log", [f"read-app{i}" for i in range(5)],
                         [f"ev.{i}" for i in range(20)])
        read_set = run.sets["read"]
        control = os.path.join(read_set["data_dir"], "control.sqlite")

        def counters():
            with sqlite3.connect(f"file:{control}?mode=ro", uri=True) as db:
                return dict(db.execute("SELECT name, value FROM alert_counters").fetchall())

        # The service evaluates every second; the first pass reads every row of the watched
        # events into memory (cold), the next ones only what is new (warm, as in service).
        proc = subprocess.Popen([run.itslog, "alerts", "--config", read_set["config"]],
                                stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(run.dir, "alerts.stderr.log"), "ab"))
        run.pids.append(proc.pid)
        try:
            seen = 0
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and len(out["pass_ms_rounds"]) < ROUNDS + 1:
                c = counters() if os.path.exists(control) else {}
                if c.get("evaluations_total", 0) > seen:
                    seen = c["evaluations_total"]
                    out["pass_ms_rounds"].append(c["evaluation_micros_last"] / 1000)
                time.sleep(0.2)
        finally:
            stop_pid(proc.pid)
            proc.wait(10)
            run.pids.remove(proc.pid)
        if len(out["pass_ms_rounds"]) < 2:
            self.fail(f"itslog alerts ran {len(out['pass_ms_rounds'])} passes in 120 s")
            return out
        out["first_pass_ms"] = out["pass_ms_rounds"][0]
        out["pass_ms"] = median(out["pass_ms_rounds"][1:])
        log(f"  pass: {out['pass_ms']:.1f} ms warm, {out['first_pass_ms']:.1f} ms the first "
            f"(rounds {out['pass_ms_rounds']})")

        log("alerts: single-event ingest without and with `itslog alerts` every second")
        without, with_service = [], []
        for r in range(1, ROUNDS + 1):
            app = f"alerts-off-r{r}"
            without.append(self.case("put_event_c64_no_alerts", 64,
                                     self.single_env("/its-log", "PUT", app), "normal", app))
            proc = subprocess.Popen([run.itslog, "alerts", "--config", normal["config"]],
                                    stdout=subprocess.DEVNULL,
                                    stderr=open(os.path.join(run.dir, "alerts.stderr.log"), "ab"))
            run.pids.append(proc.pid)
            try:
                time.sleep(1.5)
                app = f"alerts-on-r{r}"
                with_service.append(self.case("put_event_c64_alerts", 64,
                                              self.single_env("/its-log", "PUT", app), "normal",
                                              app))
            finally:
                stop_pid(proc.pid)
                proc.wait(10)
                run.pids.remove(proc.pid)
        out["ingest_without_rps"] = median([x["rps"] for x in without])
        out["ingest_with_rps"] = median([x["rps"] for x in with_service])
        out["ingest_with_vs_without"] = ratio(out["ingest_with_rps"], out["ingest_without_rps"])
        log(f"  with / without: {fmt_num(out['ingest_with_vs_without'], '.3f')}")
        return out


def fmt_num(v, spec=",.0f"):
    return "n/a" if v is None else format(v, spec)


def ratio(a, b):
    return a / b if a is not None and b else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    args = ap.parse_args()

    for tool in ("wrk", "nginx", "spawn-fcgi"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} not found (scripts/install-deps.sh installs it)")
    run = Run(args.build)
    for exe in (run.itslog, os.path.join(run.bin_dir, "fcgi_noop"),
                os.path.join(run.bin_dir, "fcgi_epoll_noop"),
                os.path.join(run.bin_dir, "raw_sqlite")):
        if not os.access(exe, os.X_OK):
            sys.exit(f"bench: {exe} missing: run `make bench` (scripts/bench.sh builds it)")

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    started = datetime.datetime.now(datetime.timezone.utc)
    bench = Bench(run)
    info = machine()
    results = {}
    rc = 0
    try:
        log(f"its-log bench: {info['nproc']} cores ({info['cpu_model']}), "
            f"{SECONDS}s x {ROUNDS} rounds, {WORKERS} workers, nginx workers {NGINX_WORKERS}, "
            f"wrk -t{WRK_THREADS}, keep_conn {'on' if KEEP_CONN else 'off'}, "
            f"worker args {WORKER_ARGS or '(none)'}")
        run.spawn("noop", [os.path.join(run.bin_dir, "fcgi_noop"), str(NOOP_THREADS)])
        run.spawn("noop_early", [os.path.join(run.bin_dir, "fcgi_noop"), str(NOOP_THREADS),
                                 "early-close"])
        run.spawn("noop_epoll", [os.path.join(run.bin_dir, "fcgi_epoll_noop")])
        run.start_worker_set("normal", "normal")
        run.start_worker_set("full", "full")
        run.start_worker_set("keys", "normal")
        run.start_nginx()
        st, body = run.http("GET", "/its-log/healthz")
        if st != 200:
            raise BenchError(f"GET /its-log/healthz answered {st}: {body[:300]!r}\n" +
                             tail(run.sets["normal"]["stderr"]))
        version = json.loads(body).get("version")
        log(f"making {KEYS_MADE} keys over HTTP")
        t0 = time.monotonic()
        run.make_keys(KEYS_MADE)
        log(f"  {KEYS_MADE / (time.monotonic() - t0):,.0f} keys/s")
        bench.warm_up()
        rss_warm = memory_of(run.sets["normal"]["pids"])
        log(f"  memory after warm-up: {rss_warm} KiB")
        for r in range(1, ROUNDS + 1):
            bench.round(r)
        if ONLY == "keys":
            raise KeysOnlyDone()
        schema = bench.dump_schema(run.sets["normal"]["data_dir"])
        log("raw SQLite, 1,000 rows per transaction")
        raw = bench.raw_sqlite(schema, 1000000 if READ_ROWS >= 1000000 else max(100000,
                                                                                  READ_ROWS))
        for x in raw:
            log(f"  {x['rows_per_s']:,.0f} rows/s")
        done_requests, rss_million = bench.million()
        if PROFILE:
            bench.profile()
        read = bench.read_side()
        alerts = bench.alerts_side(read)
        results = summarise(bench, info, version, rss_warm, rss_million, done_requests, raw,
                            read, started)
        results["alerts"] = alerts
        results["table"] += (
            f"\n  {'alert pass, 100 rules, 1M rows < 100 ms':<38}"
            f"{fmt_num(alerts['pass_ms'], '.1f'):>14}  "
            f"{'n/a' if alerts['pass_ms'] is None else ('met' if alerts['pass_ms'] < 100 else 'NOT met')}"
            f"\n  {'ingest with alerts >= 0.95 x without':<38}"
            f"{fmt_num(alerts.get('ingest_with_vs_without'), '.3f'):>14}  "
            f"{'n/a' if alerts.get('ingest_with_vs_without') is None else ('met' if alerts['ingest_with_vs_without'] >= 0.95 else 'NOT met')}")
        if os.environ.get("BENCH_ARCHIVE", "1") != "0":
            log("archive: a shipped day fetched, checked and exported (tests/bench/archive_bench.py)")
            results["archive"] = archive_bench.run_in_temp(args.build)
            results["table"] += "\n\n" + archive_bench.table(results["archive"])
    except KeysOnlyDone:
        results = summarise_keys(bench, info, started)
    except KeyboardInterrupt as e:
        log(f"bench: interrupted ({e})")
        rc = 130
    except BenchError as e:
        log(f"bench: {e}")
        run.failures.append(str(e))
        rc = 1
    finally:
        run.stop()
    if rc == 130:
        return rc
    os.makedirs(run.out_dir, exist_ok=True)
    results["failures"] = run.failures
    results["warnings"] = run.warnings
    results["ok"] = not run.failures
    path = os.path.join(run.out_dir, "results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2, sort_keys=False)
        f.write("\n")
    if "table" in results:
        with open(os.path.join(run.out_dir, "results.txt"), "w") as f:
            f.write(results["table"] + "\n")
        print()
        print(results["table"])
    print(f"\nresults: {path}")
    for w in run.warnings:
        print("warning: " + w)
    if run.failures:
        print("\nBENCH FAILED:")
        for f in run.failures:
            print("  - " + f)
        return 1
    return 0


class KeysOnlyDone(Exception):
    """BENCH_ONLY=keys: the rounds are all there is."""


def keys_ratios(res):
    """The medians and ratios of the cases about keys made over HTTP."""
    def med(case):
        return median([x.get("rps") for x in res.get(case, [])])
    m = {"keys_config_key_rps": med("keys_config_key_c64"),
         "keys_made_key_rps": med("keys_made_key_c64"),
         "keys_rate_limit_rps": med("keys_rate_limit_c64"),
         "keys_normal_config_key_rps": med("put_event_c64")}
    m["made_key_vs_config_key"] = ratio(m["keys_made_key_rps"], m["keys_config_key_rps"])
    m["rate_limit_vs_config_key"] = ratio(m["keys_rate_limit_rps"], m["keys_config_key_rps"])

    def paired(case):
        # The median of each round's own ratio: steadier on a busy machine than a ratio of
        # medians, as both cases of a round met the same load.
        pairs = zip(res.get(case, []), res.get("keys_config_key_c64", []))
        return median([ratio(a.get("rps"), b.get("rps")) for a, b in pairs])
    m["made_key_vs_config_key_paired"] = paired("keys_made_key_c64")
    m["rate_limit_vs_config_key_paired"] = paired("keys_rate_limit_c64")
    m["made_key_vs_set_without_made_keys"] = ratio(m["keys_made_key_rps"],
                                                   m["keys_normal_config_key_rps"])
    return m


def summarise_keys(bench, info, started):
    m = keys_ratios(bench.results)
    lines = [f"keys made over HTTP: {KEYS_MADE}; PUT /v1/event, 64 connections, "
             f"{SECONDS}s x {ROUNDS} rounds, medians"]
    for k, v in m.items():
        lines.append(f"  {k:<36} {fmt_num(v, ',.3f' if 'vs' in k else ',.0f')}")
    return {"date": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "machine": info, "only": "keys",
            **m, "cases": bench.results, "table": "\n".join(lines)}


def summarise(bench, info, version, rss_warm, rss_million, done_requests, raw, read, started):
    res = bench.results

    def med(case, field="rps"):
        return median([x.get(field) for x in res.get(case, [])])

    out = {
        "date": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "itslog_version": version,
        "machine": info,
        "settings": {"seconds": SECONDS, "rounds": ROUNDS, "workers": WORKERS,
                     "nginx_workers": NGINX_WORKERS, "wrk_threads": WRK_THREADS,
                     "worker_args": WORKER_ARGS, "noop_threads": NOOP_THREADS,
                     "fastcgi_keep_conn": KEEP_CONN, "million": MILLION,
                     "read_rows": READ_ROWS, "batch_events": BATCH_EVENTS,
                     "batch_connections": BATCH_CONNECTIONS, "unique_names": UNIQUE_NAMES},
    }
    m = {}
    m["nginx_204_rps"] = med("nginx_204_c64")
    m["fcgi_noop_rps"] = med("fcgi_noop_c64")
    m["fcgi_noop_early_close_rps"] = med("fcgi_noop_early_close_c64")
    m["fcgi_epoll_keepalive_rps"] = med("fcgi_epoll_keepalive_c64")
    m["single_ingest_rps"] = med("put_event_c64")
    m["single_ingest_p50_ms"] = med("put_event_c64", "p50_ms")
    m["single_ingest_p99_ms"] = med("put_event_c64", "p99_ms")
    m["unique_rps"] = med("unique_c64")
    batch_case = f"batch_{BATCH_EVENTS}_c{BATCH_CONNECTIONS}"
    m["batch_events_per_s"] = med(batch_case, "events_per_s")
    m["raw_sqlite_batch_rows_per_s"] = median([x["rows_per_s"] for x in raw])
    m["verify_entries_per_s"] = read["verify"]["entries_per_s"] if read["verify"] else None
    m["export_entries_per_s"] = (read["export_jsonl"]["entries_per_s"]
                                 if read["export_jsonl"] else None)
    m["export_csv_entries_per_s"] = (read["export_csv"]["entries_per_s"]
                                     if read["export_csv"] else None)
    m["counts_day_ms"] = read["counts_day_ms"]
    m["worker_rss_kib"] = max(x["rss"] for x in rss_million.values()) if rss_million else None
    m["worker_rss_anon_kib"] = (max(x["anon"] for x in rss_million.values())
                                if rss_million else None)
    m["worker_rss_warm_kib"] = max(x["rss"] for x in rss_warm.values()) if rss_warm else None
    m["single_ingest_vs_fcgi_noop"] = ratio(m["single_ingest_rps"], m["fcgi_noop_rps"])
    m["single_ingest_vs_nginx_204"] = ratio(m["single_ingest_rps"], m["nginx_204_rps"])
    m["fcgi_noop_vs_nginx_204"] = ratio(m["fcgi_noop_rps"], m["nginx_204_rps"])
    m["fcgi_epoll_keepalive_vs_nginx_204"] = ratio(m["fcgi_epoll_keepalive_rps"],
                                                   m["nginx_204_rps"])
    m["single_ingest_vs_fcgi_noop_early_close"] = ratio(m["single_ingest_rps"],
                                                        m["fcgi_noop_early_close_rps"])
    m["batch_vs_raw_sqlite"] = ratio(m["batch_events_per_s"], m["raw_sqlite_batch_rows_per_s"])
    out.update(m)
    out.update(keys_ratios(res))

    cases = {}
    order = ["nginx_204_c16", "fcgi_noop_c16", "fcgi_noop_early_close_c16",
             "fcgi_epoll_keepalive_c16", "put_event_c16", "post_event_c16",
             "nginx_204_c64", "fcgi_noop_c64", "fcgi_noop_early_close_c64",
             "fcgi_epoll_keepalive_c64", "put_event_c64", "post_event_c64",
             "full_put_event_c64", "full_post_event_c64", "unique_c64", batch_case]
    for name in order + [n for n in res if n not in order]:
        if name not in res:
            continue
        runs = res[name]
        c = {"rps": med(name), "p50_ms": med(name, "p50_ms"), "p99_ms": med(name, "p99_ms"),
             "connections": runs[0]["connections"], "rounds": len(runs),
             "rps_rounds": [x["rps"] for x in runs],
             "p99_ms_rounds": [x["p99_ms"] for x in runs],
             "statuses": [x["statuses"] for x in runs],
             "server_statuses": [x["server_statuses"] for x in runs]}
        if "rows" in runs[0]:
            c["rows"] = [x["rows"] for x in runs]
        if name == batch_case:
            c["events_per_s"] = med(name, "events_per_s")
        conn = runs[0]["connections"]
        for ceil in ("nginx_204", "fcgi_noop"):
            base = med(f"{ceil}_c{conn}")
            if base and not name.startswith(("nginx_204", "warmup", "million")):
                if not (name.startswith("fcgi_") and ceil == "fcgi_noop"):
                    c[f"vs_{ceil}"] = ratio(c["rps"], base)
        cases[name] = c
    out["cases"] = cases
    out["memory"] = {"rss_after_warmup_kib": rss_warm, "rss_after_million_kib": rss_million,
                     "requests_before_second_reading": done_requests}
    out["raw_sqlite"] = raw
    out["read_side"] = read

    # The table.
    lines = [f"its-log bench {out['date']}  itslog {version}  {info['nproc']} cores, "
             f"{info['cpu_model']}",
             f"{SECONDS}s per case, median of {ROUNDS} rounds; {WORKERS} workers "
             f"{' '.join(WORKER_ARGS)}; nginx {NGINX_WORKERS} workers; wrk -t{WRK_THREADS}; "
             f"fastcgi_keep_conn {'on' if KEEP_CONN else 'off'}", ""]
    lines.append(f"{'case':<27}{'conns':>6}{'req/s':>11}{'p50 ms':>9}{'p99 ms':>9}"
                 f"{'vs noop':>9}{'vs nginx':>9}")
    for name in order:
        if name not in cases:
            continue
        c = cases[name]
        lines.append(f"{name:<27}{c['connections']:>6}{c['rps']:>11,.0f}{c['p50_ms']:>9.2f}"
                     f"{c['p99_ms']:>9.2f}{fmt_num(c.get('vs_fcgi_noop'), '.2f'):>9}"
                     f"{fmt_num(c.get('vs_nginx_204'), '.2f'):>9}")
    lines.append("")
    lines.append(f"{'batch ingest (events/s)':<40}{fmt_num(m['batch_events_per_s']):>14}")
    lines.append(f"{'raw SQLite, 1,000 rows/tx (rows/s)':<40}"
                 f"{fmt_num(m['raw_sqlite_batch_rows_per_s']):>14}")
    lines.append(f"{'  batch / raw SQLite':<40}{fmt_num(m['batch_vs_raw_sqlite'], '.2f'):>14}")
    lines.append(f"{'verify (entries/s, ' + format(read['rows'], ',') + ' rows)':<40}"
                 f"{fmt_num(m['verify_entries_per_s']):>14}")
    lines.append(f"{'export jsonl (entries/s)':<40}{fmt_num(m['export_entries_per_s']):>14}")
    lines.append(f"{'export csv (entries/s)':<40}{fmt_num(m['export_csv_entries_per_s']):>14}")
    lines.append(f"{'GET /v1/counts?day= (ms)':<40}{fmt_num(m['counts_day_ms'], '.1f'):>14}")
    lines.append(f"{'worker RSS after warm-up (KiB)':<40}{fmt_num(m['worker_rss_warm_kib']):>14}")
    lines.append(f"{'worker RSS after ' + format(done_requests, ',') + ' req (KiB)':<40}"
                 f"{fmt_num(m['worker_rss_kib']):>14}")
    lines.append(f"{'  of which anonymous (heap, stacks)':<40}"
                 f"{fmt_num(m['worker_rss_anon_kib']):>14}")
    lines.append("")
    targets = [
        ("single ingest >= 0.9 x fcgi no-op", m["single_ingest_vs_fcgi_noop"], 0.9),
        ("single ingest >= 0.25 x nginx 204", m["single_ingest_vs_nginx_204"], 0.25),
        ("batch >= 0.3 x raw SQLite", m["batch_vs_raw_sqlite"], 0.3),
        ("verify >= 1,000,000 entries/s", m["verify_entries_per_s"], 1e6),
        ("export >= 1,000,000 entries/s", m["export_entries_per_s"], 1e6),
    ]
    lines.append(f"{'  single / no-op closing early':<40}"
                 f"{fmt_num(m['single_ingest_vs_fcgi_noop_early_close'], '.2f'):>14}")
    lines.append("")
    lines.append("targets (issue 5):")
    for label, v, want in targets:
        state = "n/a" if v is None else ("met" if v >= want else "NOT met")
        shown = fmt_num(v, ".2f" if want < 10 else ",.0f")
        lines.append(f"  {label:<38}{shown:>14}  {state}")
    p99 = m["single_ingest_p99_ms"]
    lines.append(f"  {'p99 <= 10 ms at 64 connections':<38}{fmt_num(p99, '.2f'):>14}  "
                 f"{'n/a' if p99 is None else ('met' if p99 <= 10 else 'NOT met')}")
    rss = m["worker_rss_kib"]
    lines.append(f"  {'worker RSS <= 10 MiB':<38}{fmt_num(rss):>14}  "
                 f"{'n/a' if rss is None else ('met' if rss <= 10240 else 'NOT met')}")
    cm = m["counts_day_ms"]
    lines.append(f"  {'GET /v1/counts day < 100 ms':<38}{fmt_num(cm, '.1f'):>14}  "
                 f"{'n/a' if cm is None else ('met' if cm < 100 else 'NOT met')}")
    k = keys_ratios(res)
    for label, v in (("made key (1 of 1,000) >= 0.97 x config", "made_key_vs_config_key_paired"),
                     ("rate-limited key >= 0.97 x config", "rate_limit_vs_config_key_paired")):
        state = "n/a" if k[v] is None else ("met" if k[v] >= 0.97 else "NOT met")
        lines.append(f"  {label:<38}{fmt_num(k[v], '.3f'):>14}  {state}")
    out["table"] = "\n".join(lines)
    return out


if __name__ == "__main__":
    sys.exit(main())
