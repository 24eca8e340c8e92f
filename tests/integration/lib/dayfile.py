"""Reads day files with plain sqlite3 and re-checks them against the contract
(docs/DATA-FORMAT.md): meta, dense seq, the hash chain, append-only links between tables.
Written from the contract alone, independent of the worker's code."""

import datetime
import glob
import hashlib
import os
import re
import sqlite3
import struct

FILE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})-v1\.itslog$")


def day_files(data_dir):
    """The day files in data_dir, oldest day first."""
    out = []
    for path in glob.glob(os.path.join(data_dir, "*-v1.itslog")):
        if FILE_RE.match(os.path.basename(path)):
            out.append(path)
    return sorted(out)


def connect_ro(path):
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def read_rows(path):
    """Every log row of one file, by seq, with its app and event names."""
    con = connect_ro(path)
    try:
        cur = con.execute(
            "SELECT l.seq, l.ts, e.app, e.name, l.type, l.value, l.is_unique, l.hash "
            "FROM log l JOIN events e ON e.id = l.event ORDER BY l.seq")
        day = FILE_RE.match(os.path.basename(path)).group(1)
        return [dict(day=day, seq=r[0], ts=r[1], app=r[2], event=r[3], type=r[4], value=r[5],
                     is_unique=r[6], hash=r[7]) for r in cur]
    finally:
        con.close()


def all_rows(data_dir):
    rows = []
    for path in day_files(data_dir):
        rows.extend(read_rows(path))
    return rows


def count_rows(data_dir):
    n = 0
    for path in day_files(data_dir):
        con = connect_ro(path)
        try:
            n += con.execute("SELECT count(*) FROM log").fetchone()[0]
        finally:
            con.close()
    return n


def integrity_check(path):
    con = connect_ro(path)
    try:
        return [r[0] for r in con.execute("PRAGMA integrity_check")]
    finally:
        con.close()


def _u32(n):
    return struct.pack(">I", n)


def _u64(n):
    return struct.pack(">Q", n)


def _text(value):
    """SQLite TEXT as the UTF-8 bytes the chain hashes."""
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8")


def chain_hash(prev, seq, ts, app, event, type_, value):
    """hash(seq) = SHA-256( hash(seq-1) || u64be(seq) || u64be(ts) || u32be(len app) || app
       || u32be(len event) || event || u8(type) || u8(value is NULL ? 0 : 1)
       || u32be(len value) || value )"""
    app_b = _text(app)
    event_b = _text(event)
    value_b = b"" if value is None else _text(value)
    msg = (prev + _u64(seq) + _u64(ts) + _u32(len(app_b)) + app_b + _u32(len(event_b)) + event_b
           + bytes([type_]) + bytes([0 if value is None else 1]) + _u32(len(value_b)) + value_b)
    return hashlib.sha256(msg).digest()


def verify_file(path, expected_seed=None):
    """Checks one day file. Returns (problems, last_hash). expected_seed: bytes the chain
    must start from (the previous day's last hash), or None to accept meta.chain_seed as is."""
    problems = []
    name = os.path.basename(path)
    m = FILE_RE.match(name)
    if not m:
        return [f"{name}: not a day file name"], None
    day = m.group(1)
    ic = integrity_check(path)
    if ic != ["ok"]:
        problems.append(f"{name}: PRAGMA integrity_check: {ic[:5]}")
    con = connect_ro(path)
    try:
        # SQLite TEXT comes back as bytes so that the hash sees exactly what is stored.
        con.text_factory = bytes
        meta = {k.decode(): v.decode() for k, v in con.execute("SELECT key, value FROM meta")}
        for key, want in (("format", "itslog"), ("version", "1"), ("day", day)):
            if meta.get(key) != want:
                problems.append(f"{name}: meta.{key} = {meta.get(key)!r}, want {want!r}")
        for key in ("timezone", "chain_seed", "host"):
            if key not in meta:
                problems.append(f"{name}: meta.{key} missing")
        seed_hex = meta.get("chain_seed", "")
        try:
            seed = bytes.fromhex(seed_hex)
        except ValueError:
            seed = b""
        if len(seed) != 32:
            problems.append(f"{name}: meta.chain_seed {seed_hex!r} is not 32 bytes of hex")
            seed = b"\0" * 32
        if expected_seed is not None and seed != expected_seed:
            problems.append(f"{name}: meta.chain_seed {seed.hex()} != previous day's last hash "
                            f"{expected_seed.hex()}")

        rows = con.execute(
            "SELECT l.seq, l.ts, e.app, e.name, l.type, l.value, l.is_unique, l.hash, "
            "typeof(l.value) FROM log l LEFT JOIN events e ON e.id = l.event "
            "ORDER BY l.seq").fetchall()
        prev = seed
        lo, hi = _day_bounds_us(day, meta.get("timezone", "UTC"))
        for i, (seq, ts, app, event, type_, value, is_unique, h, vtype) in enumerate(rows):
            if seq != i + 1:
                problems.append(f"{name}: seq {seq} at position {i + 1}: not dense from 1")
                break
            if app is None:
                problems.append(f"{name}: seq {seq}: event id not in events table")
                break
            if vtype not in (b"text", b"null"):
                problems.append(f"{name}: seq {seq}: value stored as {vtype.decode()}, not TEXT")
            if not isinstance(h, bytes) or len(h) != 32:
                problems.append(f"{name}: seq {seq}: hash is not a 32-byte blob")
                break
            if not 1 <= type_ <= 7:
                problems.append(f"{name}: seq {seq}: type {type_}")
            if is_unique not in (0, 1):
                problems.append(f"{name}: seq {seq}: is_unique {is_unique}")
            if lo is not None and not lo <= ts < hi:
                problems.append(f"{name}: seq {seq}: ts {ts} outside the file's day")
            want = chain_hash(prev, seq, ts, app, event, type_, value)
            if want != h:
                problems.append(f"{name}: seq {seq}: hash mismatch (chain broken)")
                break
            prev = h
        last = prev

        # uniques and idempotency point at real rows; unique rows are marked.
        by_seq = {r[0]: r for r in rows}
        for uday, ev, useq in con.execute("SELECT day, event, seq FROM uniques"):
            row = by_seq.get(useq)
            if row is None:
                problems.append(f"{name}: uniques row for seq {useq}: no such log row")
            elif row[6] != 1:
                problems.append(f"{name}: uniques row for seq {useq}: log row not is_unique")
            if uday.decode() != day:
                problems.append(f"{name}: uniques.day {uday!r} in the file of {day}")
        n_unique = sum(1 for r in rows if r[6] == 1)
        n_uniques = con.execute("SELECT count(*) FROM uniques").fetchone()[0]
        if n_unique != n_uniques:
            problems.append(f"{name}: {n_unique} is_unique rows but {n_uniques} uniques rows")
        for app, key, iseq in con.execute("SELECT app, key, seq FROM idempotency"):
            row = by_seq.get(iseq)
            if row is None:
                problems.append(f"{name}: idempotency key {key!r}: seq {iseq} not in log")
            elif row[2] != app:
                problems.append(f"{name}: idempotency key {key!r}: app {app!r} but row's app "
                                f"{row[2]!r}")
        # The readable view exists and has every row.
        n_view = con.execute("SELECT count(*) FROM entries").fetchone()[0]
        if n_view != len(rows):
            problems.append(f"{name}: entries view has {n_view} rows, log has {len(rows)}")
    finally:
        con.close()
    return problems, last


def verify_dir(data_dir):
    """Checks every day file in data_dir; consecutive days must chain."""
    problems = []
    prev_day = None
    prev_last = None
    for path in day_files(data_dir):
        day = FILE_RE.match(os.path.basename(path)).group(1)
        expected = None
        if prev_day is not None and _next_day(prev_day) == day:
            expected = prev_last
        p, last = verify_file(path, expected)
        problems.extend(p)
        prev_day, prev_last = day, last
    return problems


def _next_day(day):
    d = datetime.date.fromisoformat(day) + datetime.timedelta(days=1)
    return d.isoformat()


def _day_bounds_us(day, tz):
    """[start, end) of a UTC day in microseconds; None for other zones (not checked)."""
    if tz not in ("UTC", "Etc/UTC"):
        return None, None
    start = datetime.datetime.fromisoformat(day).replace(tzinfo=datetime.timezone.utc)
    lo = int(start.timestamp()) * 1_000_000
    return lo, lo + 86_400 * 1_000_000
