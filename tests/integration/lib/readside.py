"""Helpers of the read-side tests (test_read.py, test_tools.py, test_postgres.py):

* ReadNginxStack: the nginx + spawn-fcgi stack with a config that also has read keys limited to
  some apps, an admin key and a short tail.max_seconds; an optional hook writes day files into
  data_dir before the workers start.
* SseStream: a GET /v1/tail client that reads server-sent events as they arrive.
* write_day_file: builds a day file from the contract alone (the schema as printed in
  docs/DATA-FORMAT.md, the hash chain computed here), fast enough for a million rows.
* doc_blocks: the named command blocks of a Markdown document (docs/ANALYSIS.md), so that a
  test runs exactly what the document tells people to run.
* run_cli: runs `itslog ...` and returns (exit code, stdout, stderr)."""

import hashlib
import http.client
import json
import os
import re
import socket
import sqlite3
import struct
import subprocess
import time

from . import config as cfg
from .servers import MOUNT, NginxStack

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

APP_A = cfg.APP_A
APP_B = "app-b.example"
APP_C = "app-c.example"


class ReadKeys(cfg.Keys):
    """The keys of lib/config.py plus: read_a (read, APP_A only), read_ac (read, APP_A and
    APP_C), admin (admin scope only, every app)."""

    def __init__(self):
        super().__init__()
        import secrets
        self.read_a = "ra_" + secrets.token_hex(16)
        self.read_ac = "rc_" + secrets.token_hex(16)
        self.admin = getattr(self, "admin", None) or "ad_" + secrets.token_hex(16)


def write_read_config(path, data_dir, keys, tail_max_seconds=3, limits=None):
    lim = dict(cfg.DEFAULT_LIMITS)
    lim.update(limits or {})
    q = json.dumps
    key_rows = [
        ("ingest-a", keys.ingest_a, "ingest", [APP_A]),
        ("all-apps", keys.all, "ingest, read", ["*"]),
        ("read-only", keys.read, "read", ["*"]),
        ("admin", keys.admin, "admin", ["*"]),
        ("read-a", keys.read_a, "read", [APP_A]),
        ("read-ac", keys.read_ac, "read", [APP_A, APP_C]),
    ]
    lines = [f"data_dir: {q(data_dir)}", "timezone: UTC", "durability: normal",
             "storage: sqlite", "log: stderr", "limits:"]
    lines += [f"  {k}: {v}" for k, v in lim.items()]
    lines += ["tail:", f"  max_seconds: {tail_max_seconds}", "auth:", "  required: true",
              "  keys:"]
    for name, raw, scopes, apps in key_rows:
        lines += [f"    - name: {name}", f"      key_sha256: {cfg.sha256_hex(raw)}",
                  f"      scopes: [{scopes}]",
                  f"      apps: [{', '.join(q(a) for a in apps)}]"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class ReadNginxStack(NginxStack):
    """NginxStack (spawn-fcgi, 2 workers by default) with the read-side config. prepare, when
    given, is called with the stack before any worker starts (e.g. to write earlier days)."""

    def __init__(self, build, root_dir, name, workers=2, tail_max_seconds=3, prepare=None,
                 **kw):
        super().__init__(build, root_dir, name, workers=workers, **kw)
        self.keys = ReadKeys()
        self.tail_max_seconds = tail_max_seconds
        self.prepare = prepare
        write_read_config(self.config_path, self.data_dir, self.keys, tail_max_seconds)

    def start(self):
        if self.prepare is not None:
            self.prepare(self)
        super().start()


# Server-sent events ---------------------------------------------------------------------------
class SseStream:
    """One GET of an event stream: the request is sent at once, the response read when first
    asked for (a server may hold the headers back until it has events). next_block() returns
    each block as a dict {"id": str|None, "data": str|None, "comments": [..],
    "retry": str|None}."""

    def __init__(self, port, path, headers=None, timeout=15.0):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        hdrs = {"Accept": "text/event-stream"}
        hdrs.update(headers or {})
        self.conn.request("GET", path, headers=hdrs)
        self.resp = None
        self.status = None
        self.headers = []
        self._buf = b""
        self.eof = False

    def response(self):
        """Waits for the status line and headers."""
        if self.resp is None:
            self.resp = self.conn.getresponse()
            self.status = self.resp.status
            self.headers = self.resp.getheaders()
        return self.resp

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def read_body(self):
        return self.response().read()

    def next_block(self):
        """The next block, or None at the end of the stream. Raises socket.timeout."""
        while True:
            m = re.search(rb"\r?\n\r?\n", self._buf)
            if m:
                raw, self._buf = self._buf[:m.start()], self._buf[m.end():]
                return self._parse(raw.decode("utf-8"))
            if self.eof:
                if self._buf.strip():
                    raw, self._buf = self._buf, b""
                    return self._parse(raw.decode("utf-8"))
                return None
            chunk = self.response().read1(65536)
            if not chunk:
                self.eof = True
            self._buf += chunk

    @staticmethod
    def _parse(text):
        block = {"id": None, "data": None, "comments": [], "retry": None}
        for line in re.split(r"\r?\n", text):
            if line.startswith(":"):
                block["comments"].append(line[1:].strip())
                continue
            field, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if field == "data":
                block["data"] = value if block["data"] is None else block["data"] + "\n" + value
            elif field in ("id", "retry"):
                block[field] = value
        return block

    def close(self):
        try:
            self.conn.close()
        except OSError:
            pass


# Day files from the contract ------------------------------------------------------------------
def schema_sql_from_docs():
    """The CREATE statements of the "## Schema" section of docs/DATA-FORMAT.md."""
    with open(os.path.join(REPO, "docs", "DATA-FORMAT.md"), encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("## Schema"):]
    m = re.search(r"```sql\n(.*?)```", section, re.S)
    return m.group(1)


def _u32(n):
    return struct.pack(">I", n)


def write_day_file(path, day, rows, seed=b"\0" * 32, timezone="UTC", host="integration-test",
                   on_row=None):
    """Writes a day file for day from rows: an iterable of (ts, app, event, type, value,
    is_unique). Returns (row count, last hash). on_row(seq, row), when given, sees each row
    as it is written (to build expected output on the way)."""
    if os.path.exists(path):
        os.unlink(path)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        # The index is built after the rows (faster), from the same statement.
        schema = schema_sql_from_docs()
        index = re.search(r"CREATE INDEX [^;]*;", schema).group(0)
        con.executescript("BEGIN;" + schema.replace(index, "") + "COMMIT;")
        con.execute("BEGIN")
        con.executemany("INSERT INTO meta(key, value) VALUES(?, ?)",
                        [("format", "itslog"), ("version", "1"), ("day", day),
                         ("timezone", timezone), ("chain_seed", seed.hex()), ("host", host)])
        ids = {}
        uniques = []
        state = {"prev": seed, "n": 0}
        pack = struct.Struct(">QQI").pack
        pack_tv = struct.Struct(">BBI").pack
        sha = hashlib.sha256

        def gen():
            prev = state["prev"]
            seq = 0
            for row in rows:
                ts, app, event, type_, value, is_unique = row
                seq += 1
                key = (app, event)
                eid = ids.get(key)
                if eid is None:
                    eid = len(ids) + 1
                    ids[key] = eid
                    con.execute("INSERT INTO events(id, app, name) VALUES(?, ?, ?)",
                                (eid, app, event))
                a = app.encode()
                e = event.encode()
                v = b"" if value is None else value.encode()
                prev = sha(prev + pack(seq, ts, len(a)) + a + _u32(len(e)) + e
                           + pack_tv(type_, value is not None, len(v)) + v).digest()
                if is_unique:
                    uniques.append((day, eid, seq))
                if on_row is not None:
                    on_row(seq, row)
                yield (seq, ts, eid, type_, value, 1 if is_unique else 0, prev)
            state["prev"] = prev
            state["n"] = seq

        con.executemany("INSERT INTO log(seq, ts, event, type, value, is_unique, hash) "
                        "VALUES(?, ?, ?, ?, ?, ?, ?)", gen())
        con.executemany("INSERT INTO uniques(day, event, seq) VALUES(?, ?, ?)", uniques)
        con.execute(index)
        con.execute("COMMIT")
        con.execute("PRAGMA journal_mode=DELETE")
    finally:
        con.close()
    return state["n"], state["prev"]


def day_start_us(day):
    import calendar
    y, m, d = (int(x) for x in day.split("-"))
    return calendar.timegm((y, m, d, 0, 0, 0)) * 1_000_000


def iso_micros(ts):
    """ts (microseconds, UTC) as the API and the entries view write it."""
    secs, micros = divmod(ts, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{micros:06d}Z"


def local_host_id():
    """The host a worker names its own files by when the config sets none: the machine's
    hostname, lower-cased."""
    return socket.gethostname().lower() or "localhost"


def event_json(row, host=None):
    """A day-file row (lib.dayfile) as export shows it; with host, as the read API and tail
    show it (they name the host whose file holds the event)."""
    out = {"day": row["day"]}
    if host is not None:
        out["host"] = host
    out.update({"seq": row["seq"], "time": iso_micros(row["ts"]),
                "app": row["app"], "event": row["event"], "value": row["value"],
                "type": row["type"], "is_unique": row["is_unique"]})
    return out


# Documented commands --------------------------------------------------------------------------
def doc_blocks(relpath):
    """{name: code} of the fenced blocks preceded by a line `<!-- test: NAME -->`."""
    with open(os.path.join(REPO, relpath), encoding="utf-8") as f:
        text = f.read()
    out = {}
    for m in re.finditer(r"<!-- test: ([a-z0-9-]+) -->\s*\n```[a-z]*\n(.*?)```", text, re.S):
        out[m.group(1)] = m.group(2)
    return out


# The command line -----------------------------------------------------------------------------
def run_cli(binary, *args, timeout=120, env=None, stdin=None):
    r = subprocess.run([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=env, stdin=stdin if stdin is not None
                       else subprocess.DEVNULL)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def wait_for(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(interval)
    return predicate()


__all__ = ["APP_A", "APP_B", "APP_C", "MOUNT", "ReadKeys", "ReadNginxStack", "SseStream",
           "write_day_file", "day_start_us", "iso_micros", "event_json", "doc_blocks", "run_cli",
           "wait_for"]
