"""Several workers writing the same day file at once: every acknowledged event is stored
exactly once, a unique event has one row however many racers, no 5xx, no SQLITE_BUSY."""

import collections
import json
import os
import struct
import threading

from lib import dayfile
from lib.base import MOUNT, StackTestCase
from lib.load import BAD_WORDS, Outcome, run_threads, send
from lib.servers import LighttpdStack, NginxStack

THREADS = 16
PER_THREAD = 150           # 2400 requests in all
UNIQUE_NAMES = 8


class ConcurrencyTests:
    def test_many_unique_names_one_201_each(self):
        """Racers over many names, most requests duplicates (as in the benchmark's mix): every
        name gets exactly one 201, and the 201s equal the unique rows stored."""
        port, key, app = self.stack.port, self.keys.all, self.app
        names, threads, per_thread = 18, 32, 60
        outcomes = [[] for _ in range(threads)]

        def client(i, barrier):
            barrier.wait()
            for j in range(per_thread):
                name = f"m.{(i * 7 + j * 13) % names}"
                o = Outcome("unique", name, [])
                send(port, "PUT", f"{MOUNT}/v1/unique/{app}/{name}", None, key, o)
                outcomes[i].append(o)

        self.assertEqual(run_threads(threads, client), [])
        flat = [o for per in outcomes for o in per]
        self.assertEqual([o for o in flat if o.status not in (200, 201)], [])
        created = collections.Counter(o.name for o in flat if o.status == 201)
        self.assertEqual({n: c for n, c in created.items() if c != 1}, {})
        stored = [r["event"] for r in self.rows(app) if r["is_unique"] == 1]
        self.assertEqual(sorted(created), sorted(stored))

    def test_parallel_events_and_uniques(self):
        port, key, app = self.stack.port, self.keys.all, self.app
        outcomes = [[] for _ in range(THREADS)]

        def client(i, barrier):
            barrier.wait()
            for j in range(PER_THREAD):
                value = f"{i}-{j}"
                if j % 5 == 0:  # every thread races for every unique name
                    name = f"u.{(j // 5 + i) % UNIQUE_NAMES}"
                    o = Outcome("unique", name, [])
                    send(port, "PUT", f"{MOUNT}/v1/unique/{app}/{name}", None, key, o)
                elif j % 5 == 1:
                    o = Outcome("log", "c.log", [value])
                    send(port, "POST", f"{MOUNT}/v1/log",
                         {"event": "c.log", "value": value, "app": app}, key, o)
                elif j % 5 == 2:
                    vals = [f"{value}-{k}" for k in range(3)]
                    o = Outcome("batch", "c.batch", vals)
                    send(port, "POST", f"{MOUNT}/v1/log",
                         [{"event": "c.batch", "value": v, "app": app} for v in vals], key, o)
                else:
                    name = f"c.ev{j % 3}"
                    o = Outcome("event", name, [value])
                    send(port, "PUT", f"{MOUNT}/v1/event/{app}/{name}", {"value": value}, key, o)
                outcomes[i].append(o)

        errors = run_threads(THREADS, client)
        self.assertEqual(errors, [])
        flat = [o for per in outcomes for o in per]
        self.assertEqual(len(flat), THREADS * PER_THREAD)

        # Every response: the expected status, no server error, no busy database.
        bad = [o for o in flat if o.error is not None or o.status >= 500
               or any(w.encode() in o.body for w in BAD_WORDS)]
        self.assertEqual(bad[:10], [], f"{len(bad)} failed requests")
        expected = {"unique": {200, 201}, "log": {204}, "batch": {200}, "event": {204}}
        wrong = [o for o in flat if o.status not in expected[o.kind]]
        self.assertEqual(wrong[:10], [], f"{len(wrong)} unexpected statuses")
        for o in flat:
            if o.kind == "batch":
                body = json.loads(o.body)
                self.assertEqual((body["accepted"], body["rejected"]), (3, 0), o)

        rows = self.rows(app)
        # Events: each acknowledged value exactly once, nothing else.
        sent = collections.Counter(v for o in flat if o.kind != "unique" and o.ok()
                                   for v in o.values)
        stored = collections.Counter(r["value"] for r in rows if not r["is_unique"])
        dup = {v: n for v, n in stored.items() if n > 1}
        self.assertEqual(dup, {}, "values stored more than once")
        self.assertEqual(set(stored) - set(sent), set(), "rows nobody sent")
        self.assertEqual(set(sent) - set(stored), set(), "acknowledged events missing")
        by_value = {r["value"]: r for r in rows if not r["is_unique"]}
        for o in flat:
            for v in o.values:
                self.assertEqual(by_value[v]["event"], o.name, o)

        # Uniques: one row per name, exactly one 201 among the racers, the rest point at it.
        unique_rows = collections.defaultdict(list)
        for r in rows:
            if r["is_unique"]:
                unique_rows[r["event"]].append(r)
        self.assertEqual(sorted(unique_rows), sorted(f"u.{k}" for k in range(UNIQUE_NAMES)))
        for name, rs in unique_rows.items():
            self.assertEqual(len(rs), 1, f"{name}: {len(rs)} rows")
            answers = [o for o in flat if o.kind == "unique" and o.name == name]
            created = [o for o in answers if o.status == 201]
            self.assertEqual(len(created), 1, f"{name}: {len(created)} racers got 201")
            for o in answers:
                body = json.loads(o.body)
                self.assertEqual((body.get("day"), body.get("seq")), (rs[0]["day"], rs[0]["seq"]),
                                 o)
                self.assertEqual(body.get("duplicate", False), o.status == 200, o)

        # Workers: all still alive, none complained of a busy database.
        self.assertEqual(len(self.stack.live_worker_pids()), self.stack.workers,
                         "a worker died under load")
        logs = self.server_logs()
        for w in BAD_WORDS:
            self.assertNotIn(w, logs)
        for path in dayfile.day_files(self.stack.data_dir):
            self.assertEqual(dayfile.integrity_check(path), ["ok"])
        self.assertChainOk()


    def test_log_is_copied_back_and_started_over_under_load(self):
        """The workers checkpoint the write-ahead log themselves (their own WAL hook, with the
        log synced ahead on a thread of each worker): under steady load the log is copied back
        and started over, so its file stays near the 1,000-frame checkpoint size instead of
        holding every frame of the run."""
        port, key, app = self.stack.port, self.keys.all, self.app
        threads, per_thread = 16, 250
        statuses = [[] for _ in range(threads)]

        def client(i, barrier):
            barrier.wait()
            for j in range(per_thread):
                o = Outcome("event", "wal.load", [f"{i}-{j}"])
                send(port, "PUT", f"{MOUNT}/v1/event/{app}/wal.load", {"value": f"{i}-{j}"},
                     key, o)
                statuses[i].append(o.status)

        self.assertEqual(run_threads(threads, client), [])
        self.assertEqual(collections.Counter(s for per in statuses for s in per),
                         {204: threads * per_thread})
        self.assertEqual(len(self.rows(app)), threads * per_thread)
        [path] = dayfile.day_files(self.stack.data_dir)
        with open(path + "-wal", "rb") as f:
            header = f.read(32)
        log_bytes = os.path.getsize(path + "-wal")
        # WAL header: magic, version, page size, then the checkpoint sequence, which SQLite
        # raises each time a writer starts the log over after a complete checkpoint.
        _magic, _version, page_size, restarts = struct.unpack(">IIII", header[:16])
        self.assertGreaterEqual(restarts, 1, "the log was never started over")
        # The file keeps its high-water mark: a checkpoint at 1,000 frames, plus what the
        # other workers appended while it ran.
        self.assertLessEqual(log_bytes, 32 + 2000 * (page_size + 24))
        self.assertChainOk()

    def test_cardinality_cap_under_race(self):
        # 40 new names at once against a cap of 20: exactly 20 get in, whichever they are.
        port, key, app = self.stack.port, self.keys.all, self.app
        outcomes = []
        lock = threading.Lock()

        def client(i, barrier):
            barrier.wait()
            for k in range(2):
                o = Outcome("event", f"cap.{i}.{k}", [f"{i}-{k}"])
                send(port, "PUT", f"{MOUNT}/v1/event/{app}/cap.{i}.{k}", {"value": f"{i}-{k}"},
                     key, o)
                with lock:
                    outcomes.append(o)

        self.assertEqual(run_threads(20, client), [])
        statuses = collections.Counter(o.status for o in outcomes)
        self.assertEqual(statuses, {204: 20, 422: 20}, outcomes)
        ok_names = sorted(o.name for o in outcomes if o.status == 204)
        self.assertEqual(sorted(r["event"] for r in self.rows(app)), ok_names)
        for o in outcomes:
            if o.status == 422:
                self.assertEqual(json.loads(o.body)["error"]["code"], "too_many_event_names", o)
        self.assertChainOk()

    def test_idempotency_key_race(self):
        # The same Idempotency-Key from 16 clients at once: one row, every answer 204.
        port, key, app = self.stack.port, self.keys.all, self.app
        outcomes = []
        lock = threading.Lock()

        def client(i, barrier):
            barrier.wait()
            for k in range(3):
                o = Outcome("event", "idem.race", [str(i)])
                send(port, "PUT", f"{MOUNT}/v1/event/{app}/idem.race", {"value": "same"}, key, o,
                     headers={"Idempotency-Key": f"race-{k}"})
                with lock:
                    outcomes.append(o)

        self.assertEqual(run_threads(16, client), [])
        self.assertEqual(collections.Counter(o.status for o in outcomes), {204: 48}, outcomes)
        self.assertEqual(len(self.rows(app)), 3)
        self.assertChainOk()


class ConcurrencyNginxTest(ConcurrencyTests, StackTestCase):
    stack_class = NginxStack
    stack_kwargs = {"workers": 4, "limits": {"max_body_bytes": 65536}}


class ConcurrencyLighttpdTest(ConcurrencyTests, StackTestCase):
    stack_class = LighttpdStack
    stack_kwargs = {"workers": 4, "limits": {"max_body_bytes": 65536}}
