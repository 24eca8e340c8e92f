#!/usr/bin/env python3
"""unique_scope: bucket (docs/OPERATIONS.md, "Running several hosts"): two hosts, each with its
own data_dir, config (host_id), nginx and workers, share one bucket on moto_server (which
honours If-None-Match: *), reached through a FaultProxy that can lose or refuse requests.

Racing the same unique events from both hosts gives exactly one 201 per name, the rest 200
{"duplicate":true}; the row is stored by the host whose claim object the bucket holds, and by
no other; a repeated unique costs the winning host no S3 request. A claim whose answer was lost
is retried and recognised as the host's own (201), and so is a claim the host made before it
could store the event; another writer's claim (either storage mode) is a duplicate. S3 down:
503 with Retry-After, nothing stored, ordinary events unaffected.

Discovered by tests/integration/run.py; also runs alone:
  python3 tests/integration/test_unique_scope.py --build BUILD [-k PATTERN]"""

import collections
import datetime
import hashlib
import json
import os
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from lib import dayfile, http  # noqa: E402
from lib.base import Settings  # noqa: E402
from lib.s3 import BUCKET, S3ServerTestCase, boto  # noqa: E402
from lib.servers import MOUNT, NginxStack  # noqa: E402

HOSTS = ("vm-a", "vm-b")
PREFIX = "shared/"


def today_utc():
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def unique_key(day, app, event):
    return f"{PREFIX}{day}/unique/{hashlib.sha256(f'{app}/{event}'.encode()).hexdigest()}.json"


class HostStack(NginxStack):
    """One host: nginx + spawn-fcgi workers with day files, unique_scope: bucket."""

    description = "nginx + spawn-fcgi (unique_scope: bucket)"

    def __init__(self, build, root_dir, host_id, endpoint, key):
        s3 = {"endpoint": endpoint, "region": "us-east-1", "bucket": BUCKET, "prefix": PREFIX,
              "path_style": True, "connect_timeout_ms": 1000, "timeout_ms": 5000, "retries": 1}
        super().__init__(build, root_dir, host_id, workers=2,
                         extra={"host_id": host_id, "unique_scope": "bucket", "s3": s3})
        self.host_id = host_id
        # Credentials only from the environment, as in production.
        self._write_wrapper(self.wrapper,
                            f"env ITSLOG_S3_ACCESS_KEY_ID='{key[0]}' "
                            f"ITSLOG_S3_SECRET_ACCESS_KEY='{key[1]}' "
                            f"'{self.binary}' fcgi --config '{self.config_path}'")


class UniqueScopeBucketTest(S3ServerTestCase):
    what_starts = "the S3 server or the hosts"
    stack_class = HostStack
    stacks = []

    @classmethod
    def start_stacks(cls):
        cls.stacks = []
        for host in HOSTS:
            stack = HostStack(Settings.build, cls.root, host, cls.proxy.endpoint,
                              cls.server.key)
            cls.stacks.append(stack)
            stack.start()

    @classmethod
    def stop_stacks(cls):
        for s in cls.stacks:
            s.stop()

    @classmethod
    def start_logs(cls):
        return "\n".join(s.logs_since() for s in cls.stacks)

    def setUp(self):
        super().setUp()
        self.offsets = [s.log_offsets() for s in self.stacks]
        self.s3 = boto(self.server)
        self.app = "t." + self._testMethodName.replace("test_", "", 1).replace("_", "-")[:60]
        self.day = today_utc()

    def server_logs(self):
        return "\n".join(s.logs_since(o) for s, o in zip(self.stacks, self.offsets))

    def unique(self, host, event, headers=None):
        stack = self.stacks[host]
        hdrs = {"X-API-Key": stack.keys.all}
        hdrs.update(headers or {})
        return http.request(stack.port, "PUT", f"{MOUNT}/v1/unique/{self.app}/{event}", None,
                            hdrs, timeout=60)

    def rows(self, host, event):
        return [r for r in dayfile.all_rows(self.stacks[host].data_dir)
                if r["app"] == self.app and r["event"] == event]

    def writer_of(self, event):
        head = self.s3.head_object(Bucket=BUCKET, Key=unique_key(self.day, self.app, event))
        return head["Metadata"].get("itslog-writer")

    def assertAnswer(self, r, status, duplicate):
        self.assertEqual(r.status, status, r)
        body = r.json()
        self.assertEqual(body.get("duplicate", False), duplicate, r)
        self.assertEqual(body["day"], self.day, r)

    def test_two_hosts_racing_one_unique_give_one_201(self):
        names = [f"u.race{k}" for k in range(4)]
        results = collections.defaultdict(list)  # name -> [(host, status, body)]
        lock = threading.Lock()
        barrier = threading.Barrier(12)
        errors = []

        def client(i):
            try:
                barrier.wait(60)
                for j in range(len(names)):
                    name = names[(i + j) % len(names)]
                    r = self.unique(i % 2, name)
                    with lock:
                        results[name].append((i % 2, r.status, r.body))
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        for name in names:
            answers = results[name]
            self.assertEqual(len(answers), 12, name)
            created = [(h, s) for h, s, _ in answers if s == 201]
            self.assertEqual(len(created), 1, f"{name}: {answers}")
            for h, s, body in answers:
                self.assertIn(s, (200, 201), f"{name}: {answers}")
                if s == 200:
                    self.assertTrue(json.loads(body)["duplicate"], body)
            winner = created[0][0]
            # Stored by the winner alone, once; the bucket names the winner as the writer.
            self.assertEqual(len(self.rows(winner, name)), 1, name)
            self.assertEqual(self.rows(1 - winner, name), [], name)
            self.assertEqual(self.writer_of(name), f"host/{HOSTS[winner]}")
            obj = json.loads(self.s3.get_object(
                Bucket=BUCKET, Key=unique_key(self.day, self.app, name))["Body"].read())
            self.assertEqual((obj["app"], obj["event"], obj["unique"]), (self.app, name, True))
            # A repeated unique costs the winner no S3 request: its day file knows it.
            self.proxy.clear()
            for _ in range(4):
                self.assertAnswer(self.unique(winner, name), 200, True)
            self.assertEqual(self.proxy.seen, [], name)
        for s in self.stacks:
            self.assertEqual(dayfile.verify_dir(s.data_dir), [])

    def test_a_claim_whose_answer_was_lost_is_the_hosts_own(self):
        # moto stores the PUT, the answer never arrives; the retry meets the host's own object.
        self.proxy.add("PUT", "/unique/", "lose", count=1)
        self.assertAnswer(self.unique(0, "u.lost"), 201, False)
        self.assertEqual(len(self.rows(0, "u.lost")), 1)
        statuses = [s for m, p, s in self.proxy.statuses if m == "PUT" and "/unique/" in p]
        self.assertEqual(statuses, [200, 412])  # the lost one was stored: the retry met it
        self.assertEqual(self.writer_of("u.lost"), "host/vm-a")
        self.assertAnswer(self.unique(1, "u.lost"), 200, True)
        self.assertEqual(self.rows(1, "u.lost"), [])

        # A claim this host made before it could store the event (a worker killed in between):
        # the host's next request for it stores it.
        for host, event in ((0, "u.claimed-a"), (1, "u.claimed-b")):
            self.s3.put_object(Bucket=BUCKET, Key=unique_key(self.day, self.app, event),
                               Body=b"{}", Metadata={"itslog-writer": f"host/{HOSTS[host]}"})
            self.assertAnswer(self.unique(1 - host, event), 200, True)
            self.assertAnswer(self.unique(host, event), 201, False)
            self.assertEqual(len(self.rows(host, event)), 1)
            self.assertEqual(self.rows(1 - host, event), [])
        # Another writer's object (storage: s3 names its writer by a random token): duplicate,
        # and a retry with that writer's idempotency key is a replay (201, as the first time).
        key_hash = hashlib.sha256(f"{self.app}/order-1".encode()).hexdigest()
        self.s3.put_object(Bucket=BUCKET, Key=unique_key(self.day, self.app, "u.s3mode"),
                           Body=b"{}", Metadata={"itslog-writer": "0f" * 16 + "-0",
                                                 "itslog-idempotency": key_hash})
        self.assertAnswer(self.unique(0, "u.s3mode"), 200, True)
        self.assertAnswer(self.unique(1, "u.s3mode", {"Idempotency-Key": "order-1"}), 201, True)
        self.assertEqual(self.rows(0, "u.s3mode") + self.rows(1, "u.s3mode"), [])

    def test_s3_down_answers_503_and_stores_nothing(self):
        self.proxy.add(None, "", "drop")  # every request: the connection closes, no answer
        for host in (0, 1):
            r = self.unique(host, "u.down")
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.json()["error"]["code"], "storage_unavailable", r)
            self.assertIsNotNone(r.header("Retry-After"), r)
            self.assertEqual(self.rows(host, "u.down"), [])
            # Ordinary events need no S3.
            r = http.request(self.stacks[host].port, "PUT",
                             f"{MOUNT}/v1/event/{self.app}/plain", {"value": "x"},
                             {"X-API-Key": self.stacks[host].keys.all})
            self.assertEqual(r.status, 204, r)
        self.proxy.clear()
        self.assertAnswer(self.unique(1, "u.down"), 201, False)
        self.assertAnswer(self.unique(0, "u.down"), 200, True)
        self.assertEqual(len(self.rows(1, "u.down")), 1)


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    args, rest = parser.parse_known_args()
    Settings.build = args.build
    unittest.main(argv=[sys.argv[0]] + rest)
