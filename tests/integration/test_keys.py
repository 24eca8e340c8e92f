"""Keys made, listed and revoked over HTTP and with `itslog keys`, through a real nginx in front
of several worker processes, each of which can also be reached on its own (/w<i>/its-log/):
a new key works on every worker at once, a revoked one is refused by every worker within a
second, expiry, the scope matrix of the admin routes, a rate limit counted across processes,
bad input for every field, and no key in clear in the control database."""

import datetime
import json
import os
import subprocess
import threading
import time

from lib import http
from lib.base import MOUNT, NO_KEY, StackTestCase
from lib.load import Outcome, run_threads, send
from lib.procs import Proc
from lib.servers import NginxStack, StartError

WORKERS = 3
KEY_MEMBERS = {"id", "name", "scopes", "apps", "rate_limit", "expires_at", "created_at",
               "last_used_at", "source"}


class PinnedNginxStack(NginxStack):
    """nginx in front of WORKERS single-process workers, each on its own socket: /its-log/
    goes to any of them (round robin), /w<i>/its-log/ to worker i only."""

    description = "nginx + pinned workers"

    def __init__(self, build, root_dir, name, **kw):
        super().__init__(build, root_dir, name, workers=WORKERS, mode="pinned", **kw)
        self.sockets = [os.path.join(self.dir, f"w{i}.sock") for i in range(WORKERS)]
        self.upstream = "itslog_all"
        self.procs = []

    def _conf(self):
        base = super()._conf()
        start = base.index("    location /its-log/ {")
        end = base.index("    }\n", start) + len("    }\n")
        location = base[start:end]
        pinned = "".join(
            location.replace("location /its-log/", f"location /w{i}/its-log/")
                    .replace("^(/its-log)(/.*)$", f"^(/w{i}/its-log)(/.*)$")
                    .replace("fastcgi_pass itslog_all;", f"fastcgi_pass unix:{sock};")
            for i, sock in enumerate(self.sockets))
        upstream = ("  upstream itslog_all {\n"
                    + "".join(f"    server unix:{s};\n" for s in self.sockets) + "  }\n")
        conf = base[:end] + pinned + base[end:]
        return conf.replace("  server {", upstream + "  server {", 1)

    def start_itslog_listener(self):
        for sock in self.sockets:
            if os.path.exists(sock):
                os.unlink(sock)
            self.procs.append(Proc([self.binary, "fcgi", "--config", self.config_path,
                                    "--listen", sock], os.path.join(self.dir, "worker.stdout"),
                                   self.worker_stderr))
        self.worker_pids = [p.pid for p in self.procs]
        deadline = time.monotonic() + 15
        while not all(os.path.exists(s) for s in self.sockets):
            if time.monotonic() > deadline or not all(p.alive() for p in self.procs):
                raise StartError(f"workers did not listen\n{self.logs_since()}")
            time.sleep(0.05)

    def live_worker_pids(self):
        return [p.pid for p in self.procs if p.alive()]


def iso_in(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class KeysNginxTest(StackTestCase):
    stack_class = PinnedNginxStack

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.stack is None or cls.start_error:
            return
        # The first key of a data_dir creates the keys file; a worker that found none looks
        # again within 100 ms. Every worker must take the first key within a second.
        r = http.request(cls.stack.port, "POST", MOUNT + "/v1/admin/keys",
                         {"name": "first", "scopes": ["ingest"], "apps": ["*"]},
                         {"X-API-Key": cls.stack.keys.admin})
        key = json.loads(r.body)["key"] if r.status == 201 else None
        deadline = time.monotonic() + 1.0
        for i in range(WORKERS):
            while key is not None:
                r = http.request(cls.stack.port, "PUT", f"/w{i}{MOUNT}/v1/event/first/e", None,
                                 {"X-API-Key": key})
                if r.status == 204 or time.monotonic() > deadline:
                    break
        if key is None or r.status != 204:
            cls.start_error = (f"the first key made was not taken by every worker within a "
                               f"second: {r!r}\n{cls.stack.logs_since()}")

    # Helpers ----------------------------------------------------------------------------
    def admin(self, method, path, body=None, key=None):
        return self.req(method, path, body, key=key or self.keys.admin)

    def make_key(self, **fields):
        body = {"name": fields.pop("name", self.app[:40] + "-" + os.urandom(3).hex()),
                "scopes": ["ingest"], "apps": [self.app]}
        body.update(fields)
        r = self.admin("POST", "/v1/admin/keys", body)
        self.assertStatus(r, 201)
        made = self.json_body(r)
        self.assertEqual(set(made), KEY_MEMBERS | {"key"}, made)
        self.assertEqual(made["source"], "api")
        self.assertEqual(r.header("Cache-Control"), "no-store")
        return made

    def on_worker(self, i, method, path, body=None, key=None):
        return self.req(method, path, body, key=key, mount=f"/w{i}{MOUNT}")

    def put_on_each_worker(self, key, event="e"):
        return [self.on_worker(i, "PUT", f"/v1/event/{self.app}/{event}", key=key)
                for i in range(WORKERS)]

    def cli(self, *args):
        return subprocess.run([self.stack.binary, "keys", *args, "--config",
                               self.stack.config_path], capture_output=True, text=True,
                              timeout=30)

    def listed(self):
        r = self.admin("GET", "/v1/admin/keys")
        self.assertStatus(r, 200)
        body = self.json_body(r)
        self.assertEqual(set(body), {"keys"})
        return {k["id"]: k for k in body["keys"]}

    def wait_refused_everywhere(self, key, within=1.0):
        """Every worker answers 401 for key; fails unless each does within `within` s."""
        deadline = time.monotonic() + within
        pending = set(range(WORKERS))
        while pending:
            for i in sorted(pending):
                r = self.on_worker(i, "PUT", f"/v1/event/{self.app}/after", key=key)
                if r.status == 401:
                    self.assertError(r, 401, "unknown_key")
                    pending.discard(i)
                else:
                    self.assertStatus(r, 204)
            if pending and time.monotonic() > deadline:
                self.fail(f"workers {sorted(pending)} still accept the revoked key after "
                          f"{within}s")

    # Tests ------------------------------------------------------------------------------
    def test_key_made_over_http_works_on_every_worker_at_once(self):
        made = self.make_key(scopes=["ingest", "read"])
        self.assertTrue(made["id"].startswith("key_"))
        self.assertGreaterEqual(len(made["key"]) - len("itslog_"), 32)  # >= 128 random bits
        self.assertEqual(made["scopes"], ["ingest", "read"])
        self.assertEqual(made["apps"], [self.app])
        self.assertIsNone(made["rate_limit"])
        self.assertIsNone(made["expires_at"])
        self.assertIsNone(made["last_used_at"])
        for i, r in enumerate(self.put_on_each_worker(made["key"])):
            self.assertStatus(r, 204, f"worker {i}")
        self.assertEqual(len(self.rows(self.app)), WORKERS)
        r = self.on_worker(0, "GET", f"/v1/events?app={self.app}", key=made["key"])
        self.assertStatus(r, 200)
        self.assertEqual(len(self.json_body(r)["events"]), WORKERS)
        # Bearer works as for config keys; the key's apps hold.
        r = self.req("PUT", "/v1/event/other.app/e", key=made["key"], bearer=True)
        self.assertError(r, 403, "app_not_allowed")
        # Its use is recorded (at most once a minute per worker).
        used = self.listed()[made["id"]]["last_used_at"]
        self.assertIsNotNone(used)

    def test_revoked_key_is_refused_by_every_worker_within_a_second(self):
        made = self.make_key()
        for i, r in enumerate(self.put_on_each_worker(made["key"])):
            self.assertStatus(r, 204, f"worker {i}")
        r = self.admin("DELETE", f"/v1/admin/keys/{made['id']}")
        self.assertStatus(r, 204)
        self.assertEqual(r.body, b"")
        self.wait_refused_everywhere(made["key"])
        self.assertNotIn(made["id"], self.listed())
        self.assertError(self.admin("DELETE", f"/v1/admin/keys/{made['id']}"), 404,
                         "key_not_found")
        self.assertEqual(len(self.rows(self.app, "after")), 0)

    def test_cli_keys_add_list_revoke_while_workers_run(self):
        name = "cli-" + os.urandom(3).hex()
        out = self.cli("add", "--name", name, "--scopes", "ingest", "--apps", self.app,
                       "--rate-limit", "1000")
        self.assertEqual(out.returncode, 0, out.stderr)
        key = out.stdout.strip()
        self.assertTrue(key.startswith("itslog_"), out.stdout)
        self.assertNotIn(key, out.stderr)
        for i, r in enumerate(self.put_on_each_worker(key)):
            self.assertStatus(r, 204, f"worker {i}")
        out = self.cli("list", "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        keys = {k["name"]: k for k in json.loads(out.stdout)["keys"]}
        self.assertNotIn(key, out.stdout)
        self.assertEqual(keys[name]["source"], "api")
        self.assertEqual(keys[name]["rate_limit"], 1000)
        self.assertEqual(keys["admin"]["source"], "config")
        self.assertIn(keys[name]["id"], self.listed())  # the same keys over HTTP
        table = self.cli("list")
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertIn(name, table.stdout)
        out = self.cli("revoke", keys[name]["id"])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.wait_refused_everywhere(key)
        out = self.cli("revoke", keys[name]["id"])
        self.assertEqual(out.returncode, 1, out.stderr)
        out = self.cli("revoke", "config:admin")
        self.assertEqual(out.returncode, 1)
        self.assertIn("configuration", out.stderr)
        out = self.cli("add", "--name", "x", "--scopes", "root", "--apps", "*")
        self.assertEqual(out.returncode, 2)
        self.assertIn("unknown scope", out.stderr)

    def test_expired_key_is_401_from_its_expiry_on(self):
        expires = time.time() + 2.0
        at = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc)
        sent = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        made = self.make_key(expires_at=sent)
        self.assertEqual(made["expires_at"], sent)
        for i, r in enumerate(self.put_on_each_worker(made["key"])):
            self.assertStatus(r, 204, f"worker {i}")
        while time.time() < expires + 0.05:
            time.sleep(0.05)  # waiting for the wall clock to pass the expiry, not for a server
        for i in range(WORKERS):
            r = self.on_worker(i, "PUT", f"/v1/event/{self.app}/late", key=made["key"])
            self.assertError(r, 401, "expired_key")
        self.assertEqual(len(self.rows(self.app, "late")), 0)
        self.assertIn(made["id"], self.listed())  # listed until revoked

    def test_scope_matrix_only_admin_manages_keys(self):
        made_ingest = self.make_key(scopes=["ingest"], apps=["*"])
        made_read = self.make_key(scopes=["read"], apps=["*"])
        made_admin = self.make_key(scopes=["admin"], apps=["*"])
        made_incidents = self.make_key(scopes=["incidents", "read", "ingest"], apps=["*"])
        victim = self.make_key()
        body = {"name": "never-" + os.urandom(3).hex(), "scopes": ["read"], "apps": ["*"]}
        routes = [("GET", "/v1/admin/keys", None), ("POST", "/v1/admin/keys", body),
                  ("DELETE", f"/v1/admin/keys/{victim['id']}", None)]
        forbidden = [self.keys.ingest_a, self.keys.all, self.keys.read, made_ingest["key"],
                     made_read["key"], made_incidents["key"]]
        for method, path, b in routes:
            for key in forbidden:
                self.assertError(self.req(method, path, b, key=key), 403, "missing_scope")
            self.assertError(self.req(method, path, b, key=NO_KEY), 401, "missing_key")
            self.assertError(self.req(method, path, b, key=self.keys.unknown), 401,
                             "unknown_key")
        self.assertIn(victim["id"], self.listed())
        self.assertNotIn(body["name"], [k["name"] for k in self.listed().values()])
        # A made admin key manages keys; made keys keep to their own scopes elsewhere.
        r = self.req("GET", "/v1/admin/keys", key=made_admin["key"])
        self.assertStatus(r, 200)
        r = self.req("DELETE", f"/v1/admin/keys/{victim['id']}", key=made_admin["key"])
        self.assertStatus(r, 204)
        self.assertError(self.req("GET", f"/v1/events?app={self.app}", key=made_ingest["key"]),
                         403, "missing_scope")
        self.assertError(self.req("PUT", f"/v1/event/{self.app}/e", key=made_read["key"]), 403,
                         "missing_scope")
        self.assertStatus(self.req("GET", f"/v1/events?app={self.app}", key=made_read["key"]),
                          200)
        self.assertError(self.req("PUT", "/v1/admin/keys", key=self.keys.admin), 405)
        self.assertError(self.req("GET", f"/v1/admin/keys/{victim['id']}", key=self.keys.admin),
                         405)

    def test_list_shows_config_keys_read_only_and_never_a_secret(self):
        made = self.make_key(rate_limit=5, expires_at=iso_in(3600))
        r = self.admin("GET", "/v1/admin/keys")
        self.assertNotIn(made["key"].encode(), r.body)
        listed = self.listed()
        for k in listed.values():
            self.assertEqual(set(k), KEY_MEMBERS, k)
        config = {k["name"]: k for k in listed.values() if k["source"] == "config"}
        self.assertEqual(set(config), {"ingest-a", "all-apps", "read-only", "admin"})
        self.assertEqual(config["admin"]["id"], "config:admin")
        self.assertEqual(config["all-apps"]["scopes"], ["ingest", "read"])
        self.assertEqual(config["all-apps"]["apps"], ["*"])
        mine = listed[made["id"]]
        self.assertEqual(mine["rate_limit"], 5)
        self.assertEqual((mine["name"], mine["scopes"], mine["apps"]),
                         (made["name"], ["ingest"], [self.app]))
        err = self.assertError(self.admin("DELETE", "/v1/admin/keys/config:admin"), 409,
                               "config_key")
        self.assertIn("configuration", err["message"])
        self.assertStatus(self.req("GET", "/v1/admin/keys", key=self.keys.admin), 200)

    def test_rate_limit_holds_across_processes_and_rows_equal_accepted(self):
        rate = 20
        made = self.make_key(rate_limit=rate)
        key, app = made["key"], self.app
        threads, duration = 9, 2.0
        outcomes = [[] for _ in range(threads)]
        t = {}

        def client(i, barrier):
            barrier.wait()
            t.setdefault("start", time.monotonic())
            while time.monotonic() - t["start"] < duration:
                o = Outcome("event", "r", [])
                send(self.stack.port, "PUT", f"/w{i % WORKERS}{MOUNT}/v1/event/{app}/r", None,
                     key, o)
                outcomes[i].append(o)

        self.assertEqual(run_threads(threads, client), [])
        flat = [o for per in outcomes for o in per]
        elapsed = max(o.t_end for o in flat) - t["start"]
        accepted = [o for o in flat if o.status == 204]
        limited = [o for o in flat if o.status == 429]
        self.assertEqual([o for o in flat if o.status not in (204, 429)][:5], [])
        self.assertLessEqual(len(accepted), rate * elapsed + rate,
                             f"{len(accepted)} accepted in {elapsed:.2f}s")
        self.assertGreaterEqual(len(accepted), rate)  # the burst at least
        self.assertGreater(len(limited), 0)
        body = json.loads(limited[0].body)
        self.assertEqual(body["error"]["code"], "rate_limited")
        self.assertEqual(len(self.rows(app, "r")), len(accepted))
        r = self.req("PUT", f"/v1/event/{app}/r", key=key)
        if r.status == 429:
            self.assertEqual(r.header("Retry-After"), "1")
        # Counted in /metrics by reason (every worker shares the counters).
        metrics = self.req("GET", "/metrics", key=self.keys.admin).text()
        line = [ln for ln in metrics.splitlines()
                if ln.startswith('itslog_events_rejected_total{reason="rate_limited"}')]
        self.assertEqual(len(line), 1, metrics[:2000])
        self.assertGreaterEqual(int(line[0].split()[-1]), len(limited))

    def test_bad_input_for_every_field_is_400_naming_it(self):
        good = {"name": "n-" + os.urandom(3).hex(), "scopes": ["read"], "apps": ["*"]}
        cases = [
            ({"scopes": ["read"], "apps": ["*"]}, "missing_field", "name"),
            ({"name": "a", "apps": ["*"]}, "missing_field", "scopes"),
            ({"name": "a", "scopes": ["read"]}, "missing_field", "apps"),
            (dict(good, name=""), "invalid_key_name", "name"),
            (dict(good, name=7), "invalid_key_name", "name"),
            (dict(good, name="<img src=x onerror=alert(1)>"), "invalid_key_name", "name"),
            (dict(good, name="x" * 129), "invalid_key_name", "name"),
            (dict(good, scopes="admin"), "invalid_scopes", "scopes"),
            (dict(good, scopes=[]), "invalid_scopes", "scopes"),
            (dict(good, scopes=["root"]), "invalid_scopes", "scopes"),
            (dict(good, scopes=["read", "read"]), "invalid_scopes", "scopes"),
            (dict(good, apps=[]), "invalid_apps", "apps"),
            (dict(good, apps=["*", "a"]), "invalid_apps", "apps"),
            (dict(good, apps=["../etc"]), "invalid_apps", "apps"),
            (dict(good, apps=[1]), "invalid_apps", "apps"),
            (dict(good, rate_limit=0), "invalid_rate_limit", "rate_limit"),
            (dict(good, rate_limit=-1), "invalid_rate_limit", "rate_limit"),
            (dict(good, rate_limit=2.5), "invalid_rate_limit", "rate_limit"),
            (dict(good, rate_limit="10"), "invalid_rate_limit", "rate_limit"),
            (dict(good, rate_limit=10 ** 7), "invalid_rate_limit", "rate_limit"),
            (dict(good, expires_at="soon"), "invalid_expires_at", "expires_at"),
            (dict(good, expires_at=12345), "invalid_expires_at", "expires_at"),
            (dict(good, expires_at=iso_in(-60)), "invalid_expires_at", "expires_at"),
            (dict(good, key="itslog_mine"), "unknown_field", "key"),
        ]
        for body, code, field in cases:
            r = self.admin("POST", "/v1/admin/keys", body)
            self.assertError(r, 400, code, field)
        for raw, code in (("", "empty_body"), ("{", "invalid_json"), ("[]", "invalid_json"),
                          ('{"name":"a","name":"b"}', "invalid_json")):
            self.assertError(self.admin("POST", "/v1/admin/keys", raw), 400, code)
        self.assertError(self.admin("POST", "/v1/admin/keys", "x" * 5000), 413,
                         "body_too_large")
        r = self.admin("POST", "/v1/admin/keys", dict(good, name="admin"))
        self.assertError(r, 409, "name_taken", "name")
        made = self.make_key(name=good["name"])
        self.assertError(self.admin("POST", "/v1/admin/keys", good), 409, "name_taken", "name")
        self.assertError(self.admin("DELETE", "/v1/admin/keys/key_ffff"), 404, "key_not_found")
        self.assertError(self.admin("DELETE", "/v1/admin/keys/config:nobody"), 404,
                         "key_not_found")
        names = [k["name"] for k in self.listed().values()]
        self.assertEqual(names.count(made["name"]), 1)
        self.assertNotIn("a", names)

    def test_control_database_never_holds_a_key_in_clear(self):
        made = [self.make_key() for _ in range(5)]
        for m in made:
            self.assertStatus(self.req("PUT", f"/v1/event/{self.app}/e", key=m["key"]), 204)
        files = ["control.sqlite", "control.sqlite-wal", ".itslog-keys-v1"]
        data = b"".join(open(os.path.join(self.stack.data_dir, f), "rb").read()
                        for f in files if os.path.exists(os.path.join(self.stack.data_dir, f)))
        self.assertTrue(os.path.exists(os.path.join(self.stack.data_dir, "control.sqlite")))
        import hashlib
        found_hashes = 0
        for m in made:
            secret = m["key"].encode()
            self.assertNotIn(secret, data)
            self.assertNotIn(secret[len("itslog_"):][:24], data)  # nor a part of it
            found_hashes += hashlib.sha256(secret).digest() in data
        self.assertEqual(found_hashes, len(made))  # what is stored is the hash
        for log in self.stack.log_files:
            if os.path.exists(log):
                text = open(log, "rb").read()
                for m in made:
                    self.assertNotIn(m["key"].encode(), text, log)
