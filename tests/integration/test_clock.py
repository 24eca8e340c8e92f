"""The clock stepped back across midnight with requests in flight (issue 12). Two groups of
worker processes behind one nginx, each group with a clock of its own (libfaketime reading an
offset from a file the test rewrites): one group crosses midnight and creates the new day's
file while the other is still before it, then the clocks swap sides. The new file's chain_seed
stays the old file's last hash (itslog verify of both is clean: no wrong_seed), no request
sent after the new day's file existed lands in the old day, and every acknowledged event is
stored exactly once."""

import collections
import glob
import os
import re
import sqlite3
import subprocess
import threading
import time

from lib import dayfile
from lib.base import MOUNT, StackTestCase
from lib.load import Outcome, send
from lib.servers import NginxStack, StartError, which

GROUPS = 2             # clocks
WORKERS_PER_GROUP = 2  # processes sharing a clock
CLIENTS = 8
ACKS_PER_PHASE = 60
PHASE_TIMEOUT_S = 120


def faketime_library():
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1"))
    return found[0] if found else None


def has_rows(path):
    try:
        return os.path.exists(path) and bool(dayfile.read_rows(path))
    except sqlite3.Error:  # created, schema not yet committed
        return False


class TwoClockNginxStack(NginxStack):
    """nginx over two spawn-fcgi groups on two sockets (round robin), each group's workers
    started under libfaketime with FAKETIME_TIMESTAMP_FILE=clock-<g>: set_clock(g, t) makes
    that group's wall clock read t now and run on from there. Monotonic clocks stay real."""

    description = "nginx + two spawn-fcgi groups under libfaketime"

    @classmethod
    def missing_tools(cls):
        missing = super().missing_tools()
        if faketime_library() is None:
            missing.append("libfaketime")
        return missing

    def __init__(self, build, root_dir, name, **kw):
        super().__init__(build, root_dir, name, workers=WORKERS_PER_GROUP, **kw)
        self.upstream = "itslog_clocks"
        self.clock_files = [os.path.join(self.dir, f"clock-{g}") for g in range(GROUPS)]
        self.sockets = [os.path.join(self.dir, f"itslog-{g}.sock") for g in range(GROUPS)]
        self.wrappers = []
        lib = faketime_library()
        for g in range(GROUPS):
            self.set_clock(g, time.time())
            wrapper = os.path.join(self.dir, f"worker-{g}.sh")
            self._write_wrapper(
                wrapper,
                f"env LD_PRELOAD='{lib}' FAKETIME_TIMESTAMP_FILE='{self.clock_files[g]}' "
                f"FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 "
                f"'{self.binary}' fcgi --config '{self.config_path}'")
            self.wrappers.append(wrapper)

    def set_clock(self, group, fake_now):
        """From now on, the group's wall clock reads fake_now (seconds) and runs on."""
        path = self.clock_files[group]
        with open(path + ".tmp", "w") as f:
            f.write(f"{fake_now - time.time():+.6f}s\n")
        os.replace(path + ".tmp", path)  # libfaketime never reads half a line

    def _main_conf(self, http_body):
        servers = "".join(f"    server unix:{s};\n" for s in self.sockets)
        return super()._main_conf(f"  upstream {self.upstream} {{\n{servers}  }}\n{http_body}")

    def spawn_workers(self, n=None):
        pids = []
        for g in range(GROUPS):
            if os.path.exists(self.sockets[g]):
                os.unlink(self.sockets[g])
            r = subprocess.run([which("spawn-fcgi"), "-s", self.sockets[g], "-F",
                                str(self.workers), "--", self.wrappers[g]],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
            out = r.stdout.decode("utf-8", "replace")
            with open(os.path.join(self.dir, "spawn-fcgi.log"), "a") as f:
                f.write(out)
            got = [int(p) for p in re.findall(r"child spawned successfully: PID: (\d+)", out)]
            if r.returncode != 0 or len(got) != self.workers:
                raise StartError(f"spawn-fcgi failed (rc {r.returncode}): {out}")
            pids += got
        self.worker_pids.extend(pids)
        return pids


class ClockSteppedBackTest(StackTestCase):
    stack_class = TwoClockNginxStack

    def test_clock_stepped_back_across_midnight_keeps_the_link(self):
        stack, port, key, app = self.stack, self.stack.port, self.keys.all, self.app
        # A midnight two days ahead of the real one: no real-time file can be in the way.
        midnight = (int(time.time()) // 86400 + 2) * 86400
        old_day = time.strftime("%Y-%m-%d", time.gmtime(midnight - 1))
        new_day = time.strftime("%Y-%m-%d", time.gmtime(midnight))
        old_path = os.path.join(stack.data_dir, f"{old_day}-v1.itslog")
        new_path = os.path.join(stack.data_dir, f"{new_day}-v1.itslog")
        for g in range(GROUPS):
            stack.set_clock(g, midnight - 30)

        phase = [1]
        outcomes = collections.deque()
        acks = [0]
        lock = threading.Condition()
        stop = threading.Event()

        def client(i):
            n = 0
            while not stop.is_set():
                value = f"p{phase[0]}-c{i}-{n}"
                n += 1
                o = Outcome("log", "tick", [value])
                send(port, "POST", f"{MOUNT}/v1/log", {"app": app, "event": "tick",
                                                       "value": value, "type": 3}, key, o)
                with lock:
                    outcomes.append(o)
                    if o.ok():
                        acks[0] += 1
                    lock.notify_all()
                if o.status is None or o.status >= 500:
                    return  # reported below; no point in hammering a broken stack

        def wait_acks(count, what):
            with lock:
                target = acks[0] + count
                ok = lock.wait_for(lambda: acks[0] >= target or stop.is_set(), PHASE_TIMEOUT_S)
            self.assertTrue(ok, f"{what}: fewer than {count} acknowledged events in "
                                f"{PHASE_TIMEOUT_S}s; last outcomes {list(outcomes)[-3:]}")

        threads = [threading.Thread(target=client, args=(i,), daemon=True)
                   for i in range(CLIENTS)]
        for t in threads:
            t.start()
        try:
            # 1: both groups before midnight write the old day.
            wait_acks(ACKS_PER_PHASE, "both before midnight")
            # 2: group 1 crosses midnight and creates the new day; group 0 stays 29 s before.
            stack.set_clock(1, midnight + 30)
            deadline = time.monotonic() + PHASE_TIMEOUT_S
            while not has_rows(new_path):
                self.assertLess(time.monotonic(), deadline, "the new day's file never came")
                wait_acks(1, "waiting for the new day's first row")
            # 3: the new day has rows; from now on nothing may land in the old day, though
            # group 0's clock is still before midnight.
            phase[0] = 3
            wait_acks(ACKS_PER_PHASE, "one clock behind")
            # 4: the clocks swap sides: group 1 steps back across midnight, group 0 jumps on.
            phase[0] = 4
            stack.set_clock(1, midnight - 20)
            stack.set_clock(0, midnight + 40)
            wait_acks(ACKS_PER_PHASE, "clocks swapped")
            # 5: both step back before midnight.
            phase[0] = 5
            stack.set_clock(0, midnight - 10)
            stack.set_clock(1, midnight - 10)
            wait_acks(ACKS_PER_PHASE, "both stepped back")
        finally:
            stop.set()
            for t in threads:
                t.join(60)

        flat = list(outcomes)
        self.assertEqual([o for o in flat if o.status != 204], [], "every request a 204")
        old_rows, new_rows = dayfile.read_rows(old_path), dayfile.read_rows(new_path)
        self.assertEqual(sorted(os.path.basename(p) for p in dayfile.day_files(stack.data_dir)),
                         [f"{old_day}-v1.itslog", f"{new_day}-v1.itslog"])
        self.assertTrue(old_rows and new_rows)
        late = [r["value"] for r in old_rows if r["value"][:2] in ("p3", "p4", "p5")]
        self.assertEqual(late, [], "sent after the new day had rows, yet stored in the old day")
        self.assertEqual([r["seq"] for r in old_rows if r["ts"] >= midnight * 1_000_000], [])
        self.assertEqual([r["seq"] for r in new_rows if r["ts"] < midnight * 1_000_000], [])
        # Every acknowledged event exactly once.
        stored = collections.Counter(r["value"] for r in old_rows + new_rows)
        acked = [o.values[0] for o in flat if o.ok()]
        self.assertEqual([v for v in acked if stored[v] != 1], [])
        self.assertEqual(len(stored), len(old_rows) + len(new_rows))
        # The link, by our own checker and by itslog verify.
        self.assertEqual(dayfile.verify_dir(stack.data_dir), [])
        r = subprocess.run([stack.binary, "verify", old_path, new_path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        out = r.stdout.decode("utf-8", "replace")
        self.assertEqual(r.returncode, 0, out)
        self.assertNotIn("wrong_seed", out)
        self.assertEqual(out.count(": ok,"), 2, out)
