"""The seed's example requests, as written: `PUT //its-log/<app>/<event>` (doubled slash,
through the /its-log/ mount, no body, no Content-Length), sent as raw request lines."""

import hashlib

from lib import http
from lib.base import ALL, StackTestCase
from lib.servers import LighttpdStack, NginxStack

GOOD = [
    "//its-log/gov.hhs.cms.bb2/api.patient.v3",
    "//its-log/gov.hhs.cms.bb2/api.patient.v2",
    "//its-log/gov.hhs.cms.bb2/app.start",
    "//its-log/gov.hhs.cms.bfd/api.search_v2",
    "//its-log/gov.hhs.cms.bfd/app.start",
]
DYNAMIC = [
    "//its-log/gov.hhs.cms.bb2/api.called.2025-12-15-11:34:23",
    "//its-log/gov.hhs.cms.bb2/api.called.2025-12-15-11:34:24",
    "//its-log/gov.hhs.cms.bb2/api.called.2025-12-15-11:34:25",
]
REPEATED = ["//its-log/gov.hhs.cms.bb2/api.called"] * 3


def split(target):
    app, event = target.split("/")[-2:]
    return app, event


class SeedTests:
    def raw_put(self, target, key=ALL):
        """Exactly the seed's line: the method and path, plus what HTTP/1.1 requires (Host)
        and, when the server wants one, the key. No body, no Content-Length."""
        if key is ALL:
            key = self.keys.all
        lines = [f"PUT {target} HTTP/1.1", f"Host: 127.0.0.1:{self.stack.port}"]
        if key is not None:
            lines.append(f"X-API-Key: {key}")
        lines.append("Connection: close")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
        return http.raw_request(self.stack.port, raw, method="PUT")

    def new_rows(self, before):
        seen = {(r["day"], r["seq"]) for r in before}
        return [r for r in self.rows() if (r["day"], r["seq"]) not in seen]

    def tearDown(self):
        if self.stack is not None and not self.start_error:
            self.assertChainOk()

    def test_seed_good_events(self):
        before = self.rows()
        for target in GOOD:
            with self.subTest(target=target):
                self.assertNoContent(self.raw_put(target))
        got = [(r["app"], r["event"], r["value"], r["is_unique"]) for r in self.new_rows(before)]
        self.assertEqual(got, [split(t) + (None, 0) for t in GOOD])

    def test_seed_repeated_event_is_one_name(self):
        before = self.rows()
        for target in REPEATED:
            self.assertNoContent(self.raw_put(target))
        new = self.new_rows(before)
        self.assertEqual([(r["app"], r["event"]) for r in new], [split(REPEATED[0])] * 3)
        from lib import dayfile
        con = dayfile.connect_ro(dayfile.day_files(self.stack.data_dir)[-1])
        try:
            n = con.execute("SELECT count(*) FROM events WHERE app = ? AND name = ?",
                            split(REPEATED[0])).fetchone()[0]
        finally:
            con.close()
        self.assertEqual(n, 1, "one event name maps to one integer")

    def test_seed_dynamic_names_are_separate_events(self):
        before = self.rows()
        for target in DYNAMIC:
            self.assertNoContent(self.raw_put(target))
        self.assertEqual([(r["app"], r["event"]) for r in self.new_rows(before)],
                         [split(t) for t in DYNAMIC])

    def test_seed_unique_sequence(self):
        before = self.rows()
        seq = ["//its-log/unique/gov.hhs.cms.bb2/auth.app.alicemedical",
               "//its-log/unique/gov.hhs.cms.bb2/auth.app.bobshealth",
               "//its-log/unique/gov.hhs.cms.bb2/auth.app.bobshealth"]
        statuses = [self.raw_put(t).status for t in seq]
        self.assertEqual(statuses, [201, 201, 200])
        self.assertEqual([(r["event"], r["is_unique"]) for r in self.new_rows(before)],
                         [("auth.app.alicemedical", 1), ("auth.app.bobshealth", 1)])

    def test_seed_salted_names(self):
        salt = hashlib.sha1(b"a uuid4 would go here").hexdigest()
        salted = f"auth.app.bobshealth:{salt}"
        hashed = "auth.app." + hashlib.sha256(f"bobshealth:{salt}".encode()).hexdigest()
        before = self.rows()
        for event in (salted, hashed):
            with self.subTest(event=event):
                self.assertEqual(self.raw_put(f"//its-log/unique/gov.hhs.cms.bb2/{event}").status,
                                 201)
                self.assertEqual(self.raw_put(f"//its-log/unique/gov.hhs.cms.bb2/{event}").status,
                                 200)
                self.assertNoContent(self.raw_put(f"//its-log/gov.hhs.cms.bb2/{event}"))
        self.assertEqual([(r["event"], r["is_unique"]) for r in self.new_rows(before)],
                         [(salted, 1), (salted, 0), (hashed, 1), (hashed, 0)])

    def test_seed_request_without_key_is_401(self):
        if not self.stack.auth_required:
            self.skipTest("auth not required on this server")
        before = self.count()
        self.assertError(self.raw_put(GOOD[0], key=None), 401, "missing_key")
        self.assertNothingStored(before)


class SeedNginxTest(SeedTests, StackTestCase):
    stack_class = NginxStack


class SeedLighttpdTest(SeedTests, StackTestCase):
    stack_class = LighttpdStack


class SeedNoAuthNginxTest(StackTestCase):
    """auth.required: false: the seed's requests work with no header at all."""
    stack_class = NginxStack
    stack_kwargs = {"auth_required": False}

    raw_put = SeedTests.raw_put
    new_rows = SeedTests.new_rows

    def test_seed_requests_without_any_key(self):
        before = self.rows()
        for target in GOOD:
            self.assertNoContent(self.raw_put(target, key=None))
        self.assertEqual(self.raw_put("//its-log/unique/gov.hhs.cms.bb2/auth.app.x",
                                      key=None).status, 201)
        self.assertEqual(self.raw_put("//its-log/unique/gov.hhs.cms.bb2/auth.app.x",
                                      key=None).status, 200)
        got = [(r["app"], r["event"]) for r in self.new_rows(before)]
        self.assertEqual(got, [split(t) for t in GOOD] + [("gov.hhs.cms.bb2", "auth.app.x")])
        self.assertChainOk()
