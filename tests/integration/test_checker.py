"""The independent day-file checker must itself be able to fail: a file written here by the
contract's rules passes, and each kind of tampering is caught. No servers."""

import os
import shutil
import sqlite3
import tempfile
import unittest

from lib import dayfile

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events(id INTEGER PRIMARY KEY, app TEXT NOT NULL, name TEXT NOT NULL,
                    UNIQUE(app, name));
CREATE TABLE log(seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL,
                 event INTEGER NOT NULL REFERENCES events(id),
                 type INTEGER NOT NULL CHECK(type BETWEEN 1 AND 7), value TEXT,
                 is_unique INTEGER NOT NULL DEFAULT 0, hash BLOB NOT NULL);
CREATE TABLE uniques(day TEXT NOT NULL, event INTEGER NOT NULL REFERENCES events(id),
                     seq INTEGER NOT NULL, UNIQUE(day, event));
CREATE TABLE idempotency(app TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL,
                         UNIQUE(app, key));
CREATE VIEW entries AS SELECT l.seq, l.ts AS time, e.app, e.name AS event, l.value, l.type,
                              l.is_unique FROM log l JOIN events e ON e.id = l.event;
"""

DAY = "2025-12-15"
TS0 = 1765756800 * 1_000_000 + 123  # 2025-12-15T00:00:00Z


def write_day(path, day, rows, seed=b"\0" * 32, ts0=TS0):
    """rows: (app, event, type, value, is_unique). Returns the last hash."""
    con = sqlite3.connect(path)
    con.executescript(SCHEMA)
    con.executemany("INSERT INTO meta VALUES (?, ?)",
                    [("format", "itslog"), ("version", "1"), ("day", day), ("timezone", "UTC"),
                     ("chain_seed", seed.hex()), ("host", "test")])
    prev = seed
    ids = {}
    for seq, (app, event, type_, value, is_unique) in enumerate(rows, 1):
        if (app, event) not in ids:
            ids[(app, event)] = con.execute("INSERT INTO events(app, name) VALUES (?, ?)",
                                            (app, event)).lastrowid
        ts = ts0 + seq * 1000
        h = dayfile.chain_hash(prev, seq, ts, app, event, type_, value)
        con.execute("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (seq, ts, ids[(app, event)], type_, value, is_unique, h))
        if is_unique:
            con.execute("INSERT INTO uniques VALUES (?, ?, ?)", (day, ids[(app, event)], seq))
        prev = h
    con.commit()
    con.close()
    return prev


ROWS = [("gov.hhs.cms.bb2", "api.patient.v3", 3, None, 0),
        ("gov.hhs.cms.bb2", "api.called", 1, "42", 0),
        ("gov.hhs.cms.bb2", "auth.app.bobshealth", 3, "h\u00e9", 1),
        ("gov.hhs.cms.bfd", "app.start", 6, '{"a":[1,2]}', 0)]


class CheckerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="itslog-checker-")
        self.path = os.path.join(self.dir, f"{DAY}-v1.itslog")
        write_day(self.path, DAY, ROWS)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def problems(self):
        return dayfile.verify_dir(self.dir)

    def test_checker_accepts_a_file_written_by_the_contract(self):
        self.assertEqual(self.problems(), [])
        # A known vector: the first hash over fixed inputs, computed by hand here.
        import hashlib
        import struct
        msg = (b"\0" * 32 + struct.pack(">QQ", 1, 5) + struct.pack(">I", 1) + b"a"
               + struct.pack(">I", 2) + b"ev" + bytes([3, 1]) + struct.pack(">I", 1) + b"v")
        self.assertEqual(dayfile.chain_hash(b"\0" * 32, 1, 5, "a", "ev", 3, "v"),
                         hashlib.sha256(msg).digest())
        # NULL and "" differ.
        self.assertNotEqual(dayfile.chain_hash(b"\0" * 32, 1, 5, "a", "ev", 3, None),
                            dayfile.chain_hash(b"\0" * 32, 1, 5, "a", "ev", 3, ""))

    def test_checker_catches_tampering(self):
        edits = {
            "value": "UPDATE log SET value = '43' WHERE seq = 2",
            "null value": "UPDATE log SET value = '' WHERE seq = 1",
            "ts": "UPDATE log SET ts = ts + 1 WHERE seq = 3",
            "type": "UPDATE log SET type = 2 WHERE seq = 2",
            "event name": "UPDATE events SET name = 'api.patient.v4' WHERE id = 1",
            "deletion": "DELETE FROM log WHERE seq = 2",
            "reorder": "UPDATE log SET seq = CASE seq WHEN 2 THEN 3 WHEN 3 THEN 2 END "
                       "WHERE seq IN (2, 3)",
            "seed": "UPDATE meta SET value = '" + "11" * 32 + "' WHERE key = 'chain_seed'",
            "unique flag": "UPDATE log SET is_unique = 0 WHERE seq = 3",
            "meta day": "UPDATE meta SET value = '2025-12-16' WHERE key = 'day'",
        }
        clean = os.path.join(self.dir, "clean")
        shutil.copy(self.path, clean)
        for what, sql in edits.items():
            with self.subTest(tamper=what):
                shutil.copy(clean, self.path)
                con = sqlite3.connect(self.path)
                if what == "reorder":
                    con.execute("UPDATE log SET seq = -seq WHERE seq IN (2, 3)")
                    con.execute("UPDATE log SET seq = 3 WHERE seq = -2")
                    con.execute("UPDATE log SET seq = 2 WHERE seq = -3")
                else:
                    con.execute(sql)
                con.commit()
                con.close()
                self.assertNotEqual(self.problems(), [], f"{what} not detected")

    def test_checker_links_consecutive_days(self):
        last = dayfile.verify_file(self.path)[1]
        nxt = os.path.join(self.dir, "2025-12-16-v1.itslog")
        write_day(nxt, "2025-12-16", ROWS[:1], seed=b"\x22" * 32)
        self.assertNotEqual(self.problems(), [], "a wrong seed after a present day passed")
        os.unlink(nxt)
        write_day(nxt, "2025-12-16", ROWS[:1], seed=last, ts0=TS0 + 86_400_000_000)
        self.assertEqual(self.problems(), [])
        os.unlink(nxt)
        write_day(nxt, "2025-12-16", ROWS[:1], seed=last)  # ts on the 15th
        self.assertTrue(any("outside the file's day" in p for p in self.problems()))
