"""The other ways the worker is started (DEPENDENCIES.md, libfcgi): `--listen` on a unix
socket or TCP with its own `--workers` supervisor, and systemd socket activation (fd 3,
LISTEN_FDS/LISTEN_PID). spawn-fcgi (fd 0), lighttpd bin-path and plain CGI are covered by
the other files."""

import os
import signal
import time

from lib.base import StackTestCase
from lib.procs import pid_alive, wait_pid_gone
from lib.servers import NginxStack


class ModeSmoke:
    def test_serves_and_stores(self):
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/m.put", {"value": "1"}))
        self.assertNoContent(self.log({"event": "m.log", "value": "2", "app": self.app}))
        self.assertStatus(self.req("PUT", f"/v1/unique/{self.app}/m.u"), 201)
        self.assertStatus(self.req("PUT", f"/v1/unique/{self.app}/m.u"), 200)
        self.assertEqual([(r["event"], r["value"], r["is_unique"]) for r in self.rows(self.app)],
                         [("m.put", "1", 0), ("m.log", "2", 0), ("m.u", None, 1)])
        self.assertChainOk()


class ListenWorkersNginxTest(ModeSmoke, StackTestCase):
    stack_class = NginxStack
    stack_kwargs = {"mode": "listen", "workers": 2}

    def test_supervisor_forks_workers(self):
        pids = self.stack.live_worker_pids()
        self.assertEqual(len(pids), 2, f"children of the supervisor: {pids}")

    def test_supervisor_restarts_a_killed_worker(self):
        old = self.stack.live_worker_pids()
        self.assertEqual(len(old), 2)
        os.kill(old[0], signal.SIGKILL)
        self.assertTrue(wait_pid_gone(old[0], 5))
        deadline = time.monotonic() + 10
        now = []
        while time.monotonic() < deadline:
            now = self.stack.live_worker_pids()
            if len(now) == 2 and old[0] not in now:
                break
            time.sleep(0.1)
        self.assertEqual(len(now), 2, f"no replacement worker: {now}")
        self.assertNotIn(old[0], now)
        for n in range(10):
            self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/m.after",
                                          {"value": str(n)}))
        self.assertEqual(len(self.rows(self.app)), 10)
        self.assertChainOk()

    def test_zz_supervisor_sigterm_stops_everyone(self):
        # Runs last in this class (names sort): it takes the stack down.
        sup = self.stack.supervisor
        children = self.stack.live_worker_pids()
        self.assertTrue(children)
        os.kill(sup.pid, signal.SIGTERM)
        t0 = time.monotonic()
        try:
            sup.popen.wait(8)
        except Exception:
            pass
        self.assertFalse(sup.alive(), "the supervisor still runs 8 s after SIGTERM")
        left = [p for p in children if pid_alive(p)]
        self.assertEqual(left, [], "workers outlived their supervisor")
        self.assertLess(time.monotonic() - t0, 8)


class ListenTcpNginxTest(ModeSmoke, StackTestCase):
    stack_class = NginxStack
    stack_kwargs = {"mode": "listen-tcp", "workers": 1}


class SocketActivationNginxTest(ModeSmoke, StackTestCase):
    stack_class = NginxStack
    stack_kwargs = {"mode": "systemd", "workers": 1}

    def test_listen_fds_socket_is_used(self):
        pids = self.stack.live_worker_pids()
        self.assertEqual(len(pids), 1)
        fd3 = os.readlink(f"/proc/{pids[0]}/fd/3")
        self.assertTrue(fd3.startswith("socket:"), fd3)
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/m.sd"))
