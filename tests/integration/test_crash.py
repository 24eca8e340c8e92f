"""A worker killed with SIGKILL in the middle of a load: what was acknowledged is stored,
batches are all-or-nothing, the file passes integrity_check and its chain verifies, the
other workers keep serving, and freshly started workers continue the same file."""

import collections
import json
import os
import signal
import threading
import time

from lib import dayfile
from lib.base import MOUNT, StackTestCase
from lib.load import BAD_WORDS, Outcome, run_threads, send
from lib.procs import wait_pid_gone
from lib.servers import NginxStack

THREADS = 8
WORKER_THREADS = 4  # `itslog fcgi` request threads per process (its default --threads)


class CrashNginxTest(StackTestCase):
    stack_class = NginxStack
    stack_kwargs = {"workers": 4, "limits": {"max_body_bytes": 65536}}

    def test_sigkill_workers_mid_load(self):
        port, key, app = self.stack.port, self.keys.all, self.app
        stop = threading.Event()
        outcomes = [[] for _ in range(THREADS)]

        def client(i, barrier):
            barrier.wait()
            j = 0
            while not stop.is_set() and j < 5000:
                value = f"{i}-{j}"
                if j % 2:
                    vals = [f"{value}-{k}" for k in range(5)]
                    o = Outcome("batch", "k.batch", vals)
                    send(port, "POST", f"{MOUNT}/v1/log",
                         [{"event": "k.batch", "value": v, "app": app} for v in vals], key, o)
                else:
                    o = Outcome("event", "k.ev", [value])
                    send(port, "PUT", f"{MOUNT}/v1/event/{app}/k.ev", {"value": value}, key, o)
                outcomes[i].append(o)
                j += 1

        victims = self.stack.live_worker_pids()[:2]
        self.assertEqual(len(victims), 2)
        kill_times = []

        def killer(_i, barrier):
            barrier.wait()
            for pid in victims:
                time.sleep(0.7)
                kill_times.append(time.monotonic())
                os.kill(pid, signal.SIGKILL)
                self.assertTrue(wait_pid_gone(pid, 5), f"worker {pid} survived SIGKILL")
            time.sleep(1.0)
            stop.set()

        errors = run_threads(THREADS + 1, lambda i, b: killer(i, b) if i == THREADS
                             else client(i, b))
        self.assertEqual(errors, [])
        flat = [o for per in outcomes for o in per]
        self.assertGreater(len(flat), 50, "the load hardly ran")

        # Only the requests in flight in a killed worker may fail (at most one per request
        # thread of each victim), and only as 502.
        failed = [o for o in flat if not o.ok()]
        self.assertTrue(all(o.status == 502 for o in failed), failed[:10])
        self.assertLessEqual(len(failed), len(victims) * WORKER_THREADS, failed)
        for o in flat:
            self.assertFalse(any(w.encode() in o.body for w in BAD_WORDS), o)
        after_kills = [o for o in flat if o.ok() and o.t_start > kill_times[-1]]
        self.assertGreater(len(after_kills), 10, "the other workers stopped serving")
        self.assertEqual(sorted(self.stack.live_worker_pids()),
                         sorted(p for p in self.stack.worker_pids if p not in victims))

        self._check_stored(flat)

        # Fresh workers on the same (crash-recovered) file go on appending to the chain.
        self.stack.restart_workers(2)
        before = self.count()
        for n in range(20):
            self.assertNoContent(self.req("PUT", f"/v1/event/{app}/k.after", {"value": f"a{n}"}))
        self.assertEqual(self.count(), before + 20)
        self._check_files()

    def _check_stored(self, flat):
        rows = self.rows(self.app)
        stored = collections.Counter(r["value"] for r in rows)
        self.assertEqual({v: n for v, n in stored.items() if n > 1}, {},
                         "values stored more than once")
        sent_all = {v for o in flat for v in o.values}
        self.assertEqual(set(stored) - sent_all, set(), "rows nobody sent")
        acked = {v for o in flat if o.ok() for v in o.values}
        missing = acked - set(stored)
        self.assertEqual(missing, set(), "acknowledged events lost")
        for o in flat:
            if o.kind == "batch":
                present = [v in stored for v in o.values]
                self.assertIn(set(present), ({True}, {False}), f"partial batch: {o}")
                if o.ok():
                    body = json.loads(o.body)
                    self.assertEqual((body["accepted"], body["rejected"]), (5, 0), o)
        self._check_files()

    def _check_files(self):
        files = dayfile.day_files(self.stack.data_dir)
        self.assertTrue(files)
        for path in files:
            self.assertEqual(dayfile.integrity_check(path), ["ok"], path)
        self.assertChainOk()


class SignalNginxTest(StackTestCase):
    """spawn-fcgi, lighttpd and systemd stop workers with SIGTERM: a worker must exit
    promptly (after the request in hand), and the others keep serving."""
    stack_class = NginxStack
    stack_kwargs = {"workers": 2}

    def test_worker_exits_on_sigterm(self):
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/s.before"))
        pids = self.stack.live_worker_pids()
        self.assertEqual(len(pids), 2)
        t0 = time.monotonic()
        os.kill(pids[0], signal.SIGTERM)
        gone = wait_pid_gone(pids[0], 5.0)
        self.assertTrue(gone, f"worker {pids[0]} still running 5 s after SIGTERM")
        self.assertLess(time.monotonic() - t0, 5.0)
        for n in range(5):
            self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/s.after",
                                          {"value": str(n)}))
        self.assertEqual(len(self.rows(self.app)), 6)
        self.assertChainOk()
