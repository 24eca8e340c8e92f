"""The ingest API through nginx and lighttpd (FastCGI): every endpoint, every error status,
and what lands in the day file (read back with sqlite3, chain re-checked after each test)."""

import base64
import json
import sqlite3
import tempfile
import os

from lib import dayfile, http
from lib.base import APP_A, MOUNT, StackTestCase, today_utc
from lib.servers import LighttpdStack, NginxStack


class ApiTests:
    """Mixed into one TestCase per web server."""

    def tearDown(self):
        # Whatever a test sent, the files must still verify.
        if self.stack is not None and not self.start_error:
            self.assertChainOk()

    # Health ------------------------------------------------------------------------------
    def test_healthz_without_key(self):
        r = self.req("GET", "/healthz", key=None)
        self.assertStatus(r, 200)
        body = self.json_body(r)
        self.assertEqual(body.get("status"), "ok", r)
        self.assertIsInstance(body.get("version"), str, r)
        self.assertTrue(body["version"], r)
        self.assertIsInstance(body.get("today_file"), str, r)
        self.assertIn(today_utc(), body["today_file"], r)
        self.assertIsInstance(body.get("free_bytes"), int, r)
        self.assertGreater(body["free_bytes"], 0, r)
        r = self.req("HEAD", "/healthz", key=None)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"")

    def scrape(self):
        """GET /metrics with the admin key: {series: value} of the samples; checks the format."""
        r = self.req("GET", "/metrics", key=self.keys.admin)
        self.assertStatus(r, 200)
        self.assertTrue((r.header("Content-Type") or "").startswith("text/plain"), r)
        samples = {}
        for line in r.text().splitlines():
            if not line or line.startswith("#"):
                self.assertRegex(line, r"^(|# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*)$")
                continue
            self.assertRegex(line, r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfNa]+$',
                             "not a Prometheus sample line")
            series, value = line.rsplit(" ", 1)
            samples[series] = float(value)
        return samples

    def test_metrics_prometheus_text(self):
        before = self.scrape()
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/m.e"))
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/m.e"))
        self.assertError(self.req("PUT", f"/v1/event/{self.app}/.bad"), 400)
        after = self.scrape()
        self.assertEqual(after["itslog_events_accepted_total"]
                         - before["itslog_events_accepted_total"], 2)
        bad = 'itslog_events_rejected_total{reason="invalid_event_name"}'
        self.assertEqual(after[bad] - before[bad], 1)
        self.assertIn('itslog_http_request_duration_seconds_bucket{route="event",le="+Inf"}',
                      after)
        # /metrics needs the admin scope; without a key it is 401.
        self.assertError(self.req("GET", "/metrics"), 403, "missing_scope")
        self.assertError(self.req("GET", "/metrics", key=None), 401, "missing_key")

    # POST /v1/log --------------------------------------------------------------------------
    def test_log_single_204(self):
        before = self.count()
        self.assertNoContent(self.log({"event": "e.single", "value": "hello", "app": self.app}))
        self.assertEqual(self.count(), before + 1)
        rows = self.rows(self.app)
        self.assertEqual(len(rows), 1)
        self.assertRow(rows[0], self.app, "e.single", 3, "hello")

    def test_log_single_bearer_key(self):
        r = self.log({"event": "e.bearer", "app": self.app}, bearer=True)
        self.assertNoContent(r)
        rows = self.rows(self.app)
        self.assertEqual(len(rows), 1)
        self.assertRow(rows[0], self.app, "e.bearer", 3, None)

    def test_log_app_defaults_to_keys_single_app(self):
        self.assertNoContent(self.log({"event": "e.keyapp", "value": "v"},
                                      key=self.keys.ingest_a))
        rows = self.rows(APP_A, "e.keyapp")
        self.assertEqual(len(rows), 1)
        self.assertRow(rows[0], APP_A, "e.keyapp", 3, "v")

    def test_log_app_defaults_to_default(self):
        self.assertNoContent(self.log({"event": "e.defaultapp", "value": "v"}))
        rows = self.rows("default", "e.defaultapp")
        self.assertEqual(len(rows), 1)
        self.assertRow(rows[0], "default", "e.defaultapp", 3, "v")

    def assertBatchBody(self, r, accepted, rejected, duplicates, error_indexes):
        self.assertStatus(r, 200)
        body = self.json_body(r)
        self.assertEqual(set(body), {"accepted", "rejected", "duplicates", "errors"}, r)
        self.assertEqual((body["accepted"], body["rejected"], body["duplicates"]),
                         (accepted, rejected, duplicates), r)
        self.assertIsInstance(body["errors"], list, r)
        self.assertEqual([e.get("index") for e in body["errors"]], error_indexes, r)
        for e in body["errors"]:
            self.assertEqual(set(e), {"index", "error"}, r)
            self.assertErrorObject(e["error"], where=f"{r!r}")
        return body

    def test_log_array_batch_200(self):
        before = self.count()
        items = [{"event": "b.one", "value": "1", "app": self.app},
                 {"event": "b.two", "value": "22", "type": 1, "app": self.app},
                 {"event": "b.three", "app": self.app},
                 {"event": "bad name", "value": "x", "app": self.app}]
        body = self.assertBatchBody(self.log(items), 3, 1, 0, [3])
        self.assertErrorObject(body["errors"][0]["error"], "invalid_event_name", "event")
        self.assertEqual(self.count(), before + 3)
        rows = self.rows(self.app)
        self.assertEqual(len(rows), 3)
        self.assertRow(rows[0], self.app, "b.one", 3, "1")
        self.assertRow(rows[1], self.app, "b.two", 1, "22")
        self.assertRow(rows[2], self.app, "b.three", 3, None)
        # One transaction: consecutive seqs in one file.
        self.assertEqual([r["seq"] - rows[0]["seq"] for r in rows], [0, 1, 2])
        self.assertEqual({r["day"] for r in rows}, {rows[0]["day"]})

    def test_log_ndjson_batch_200(self):
        before = self.count()
        lines = [json.dumps({"event": "n.one", "value": "a", "app": self.app}),
                 json.dumps({"event": "n.two", "value": "b", "app": self.app}),
                 '{"event": "n.broken", ',
                 json.dumps({"event": "n.three", "value": "c", "app": self.app})]
        r = self.log("\n".join(lines) + "\n",
                     headers={"Content-Type": "application/x-ndjson"})
        body = self.assertBatchBody(r, 3, 1, 0, [2])
        self.assertErrorObject(body["errors"][0]["error"], "invalid_json")
        self.assertEqual(self.count(), before + 3)
        rows = self.rows(self.app)
        self.assertEqual([(x["event"], x["value"]) for x in rows],
                         [("n.one", "a"), ("n.two", "b"), ("n.three", "c")])

    def test_log_ndjson_with_charset(self):
        lines = [json.dumps({"event": "n.cs", "value": str(i), "app": self.app}) for i in range(2)]
        r = self.log("\n".join(lines),
                     headers={"Content-Type": "application/x-ndjson; charset=utf-8"})
        self.assertBatchBody(r, 2, 0, 0, [])
        self.assertEqual([x["value"] for x in self.rows(self.app)], ["0", "1"])

    def test_chunked_request_body(self):
        # Clients that stream send Transfer-Encoding: chunked; the web server buffers it.
        body = json.dumps([{"event": "c.chunked", "value": str(i), "app": self.app}
                           for i in range(3)]).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 20]), body[i:i + 20])
                          for i in range(0, len(body), 20)) + b"0\r\n\r\n"
        raw = (f"POST {MOUNT}/v1/log HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"X-API-Key: {self.keys.all}\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode() + chunks
        r = http.raw_request(self.stack.port, raw, method="POST")
        self.assertBatchBody(r, 3, 0, 0, [])
        self.assertEqual([x["value"] for x in self.rows(self.app)], ["0", "1", "2"])
        # Over max_body_bytes when chunked, too.
        big = json.dumps({"event": "c.chunked", "value": "x" * 6000, "app": self.app}).encode()
        raw = (f"POST {MOUNT}/v1/log HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"X-API-Key: {self.keys.all}\r\nTransfer-Encoding: chunked\r\n"
               "Connection: close\r\n\r\n").encode() + b"%x\r\n%s\r\n0\r\n\r\n" % (len(big), big)
        self.assertError(http.raw_request(self.stack.port, raw, method="POST"), 413,
                         "body_too_large")
        self.assertEqual(len(self.rows(self.app)), 3)

    def test_log_batch_of_one_is_a_batch(self):
        r = self.log([{"event": "b.single", "value": "x", "app": self.app}])
        self.assertBatchBody(r, 1, 0, 0, [])
        self.assertEqual(len(self.rows(self.app)), 1)

    def test_log_batch_all_rejected_stores_nothing(self):
        before = self.count()
        r = self.log([{"event": ".bad", "app": self.app}, {"value": "x", "app": self.app}])
        body = self.assertBatchBody(r, 0, 2, 0, [0, 1])
        self.assertErrorObject(body["errors"][0]["error"], "invalid_event_name", "event")
        self.assertErrorObject(body["errors"][1]["error"], "missing_field", "event")
        self.assertNothingStored(before)

    def test_log_batch_exactly_max_batch(self):
        # Short items (the app comes from the key) so that 100 fit in max_body_bytes.
        items = [{"event": "b.max", "value": str(i)} for i in range(100)]
        body = json.dumps(items, separators=(",", ":"))
        self.assertLess(len(body), 4096)
        r = self.log(body, key=self.keys.ingest_a, headers={"Content-Type": "application/json"})
        self.assertBatchBody(r, 100, 0, 0, [])
        self.assertEqual([r["value"] for r in self.rows(APP_A, "b.max")],
                         [str(i) for i in range(100)])

    # PUT /v1/event, aliases, the seed's form ---------------------------------------------
    def test_put_event_204(self):
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/e.put"))
        rows = self.rows(self.app)
        self.assertEqual(len(rows), 1)
        self.assertRow(rows[0], self.app, "e.put", 3, None)

    def test_put_event_with_value_body(self):
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/e.val",
                                      {"value": "42", "type": 1}))
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/e.val", {"value": "text"}))
        rows = self.rows(self.app)
        self.assertEqual(len(rows), 2)
        self.assertRow(rows[0], self.app, "e.val", 1, "42")
        self.assertRow(rows[1], self.app, "e.val", 3, "text")

    def test_post_where_put_is_accepted(self):
        self.assertNoContent(self.req("POST", f"/v1/event/{self.app}/e.post"))
        r = self.req("POST", f"/v1/unique/{self.app}/u.post")
        self.assertStatus(r, 201)
        self.assertNoContent(self.req("POST", f"/{self.app}/e.post2"))
        self.assertEqual([(x["event"], x["is_unique"]) for x in self.rows(self.app)],
                         [("e.post", 0), ("u.post", 1), ("e.post2", 0)])

    def test_event_alias_path(self):
        self.assertNoContent(self.req("PUT", f"/event/{self.app}/e.alias"))
        rows = self.rows(self.app)
        self.assertEqual(len(rows), 1)
        self.assertRow(rows[0], self.app, "e.alias", 3, None)

    def test_seed_form_app_event(self):
        self.assertNoContent(self.req("PUT", f"/{self.app}/e.seedform"))
        self.assertNoContent(self.req("PUT", f"/{self.app}/e.seedform", mount="//its-log"))
        rows = self.rows(self.app)
        self.assertEqual(len(rows), 2)
        for row in rows:
            self.assertRow(row, self.app, "e.seedform", 3, None)

    def test_doubled_slashes_below_mount(self):
        self.assertNoContent(self.req("PUT", f"//v1//event//{self.app}//e.slashes"))
        self.assertNoContent(self.log({"event": "e.slashes", "app": self.app}, mount="//its-log/"))
        self.assertEqual(len(self.rows(self.app, "e.slashes")), 2)

    # PUT /v1/unique ------------------------------------------------------------------------
    def test_put_unique_201_then_200_duplicate(self):
        r1 = self.req("PUT", f"/v1/unique/{self.app}/u.first")
        self.assertStatus(r1, 201)
        b1 = self.json_body(r1)
        self.assertEqual(b1.get("day"), today_utc(), r1)
        self.assertIsInstance(b1.get("seq"), int, r1)
        self.assertNotIn("duplicate", b1, r1)
        for _ in range(2):
            r2 = self.req("PUT", f"/v1/unique/{self.app}/u.first", {"value": "ignored"})
            self.assertStatus(r2, 200)
            b2 = self.json_body(r2)
            self.assertEqual(b2, {"duplicate": True, "day": b1["day"], "seq": b1["seq"]}, r2)
        rows = self.rows(self.app)
        self.assertEqual(len(rows), 1)
        self.assertRow(rows[0], self.app, "u.first", 3, None, is_unique=1)
        self.assertEqual(rows[0]["seq"], b1["seq"])
        self.assertEqual(rows[0]["day"], b1["day"])
        # The uniques table says the same.
        con = dayfile.connect_ro(self._day_path(b1["day"]))
        try:
            got = con.execute("SELECT u.day, u.seq FROM uniques u JOIN events e ON e.id = u.event "
                              "WHERE e.app = ? AND e.name = ?", (self.app, "u.first")).fetchall()
        finally:
            con.close()
        self.assertEqual(got, [(b1["day"], b1["seq"])])

    def test_unique_alias_path_shares_state(self):
        r1 = self.req("PUT", f"/unique/{self.app}/u.alias")
        self.assertStatus(r1, 201)
        r2 = self.req("PUT", f"/v1/unique/{self.app}/u.alias")
        self.assertStatus(r2, 200)
        self.assertEqual(self.json_body(r2).get("duplicate"), True, r2)
        r3 = self.req("PUT", f"/unique/{self.app}/u.alias")
        self.assertStatus(r3, 200)
        self.assertEqual(len(self.rows(self.app)), 1)

    def test_unique_and_event_of_same_name_are_independent(self):
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/same"))
        self.assertStatus(self.req("PUT", f"/v1/unique/{self.app}/same"), 201)
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/same"))
        self.assertStatus(self.req("PUT", f"/v1/unique/{self.app}/same"), 200)
        self.assertEqual([r["is_unique"] for r in self.rows(self.app)], [0, 1, 0])

    def _day_path(self, day):
        return os.path.join(self.stack.data_dir, f"{day}-v1.itslog")

    # Idempotency ---------------------------------------------------------------------------
    def test_idempotency_header_put_event(self):
        h = {"Idempotency-Key": "retry-1"}
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/e.idem", headers=h))
        before = self.count()
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/e.idem", headers=h))
        self.assertNothingStored(before, "(retry with the same Idempotency-Key)")
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/e.idem",
                                      headers={"Idempotency-Key": "retry-2"}))
        self.assertEqual(len(self.rows(self.app)), 2)

    def test_idempotency_header_post_log(self):
        h = {"Idempotency-Key": "log-retry"}
        body = {"event": "e.idem", "value": "v", "app": self.app}
        self.assertNoContent(self.log(body, headers=h))
        self.assertNoContent(self.log(body, headers=h))
        self.assertEqual(len(self.rows(self.app)), 1)

    def test_idempotency_id_member(self):
        body = {"event": "e.id", "value": "v", "app": self.app, "id": "client-42"}
        self.assertNoContent(self.log(body))
        before = self.count()
        self.assertNoContent(self.log(body))
        self.assertNothingStored(before, '(retry with the same "id")')
        rows = self.rows(self.app)
        self.assertEqual(len(rows), 1)
        self.assertRow(rows[0], self.app, "e.id", 3, "v")

    def test_idempotency_key_is_per_app(self):
        other = self.app + ".other"
        self.assertNoContent(self.log({"event": "e", "app": self.app, "id": "same-key"}))
        self.assertNoContent(self.log({"event": "e", "app": other, "id": "same-key"}))
        self.assertEqual(len(self.rows(self.app)), 1)
        self.assertEqual(len(self.rows(other)), 1)

    def test_idempotency_unique_retry_201_duplicate(self):
        h = {"Idempotency-Key": "u-retry"}
        r1 = self.req("PUT", f"/v1/unique/{self.app}/u.idem", headers=h)
        self.assertStatus(r1, 201)
        b1 = self.json_body(r1)
        r2 = self.req("PUT", f"/v1/unique/{self.app}/u.idem", headers=h)
        self.assertStatus(r2, 201, "an idempotent retry answers as the first time")
        b2 = self.json_body(r2)
        self.assertEqual(b2.get("duplicate"), True, r2)
        self.assertEqual((b2.get("day"), b2.get("seq")), (b1["day"], b1["seq"]), r2)
        self.assertEqual(len(self.rows(self.app)), 1)

    def test_idempotency_in_batch(self):
        a = {"event": "b.idem", "value": "a", "app": self.app, "id": "k-a"}
        b = {"event": "b.idem", "value": "b", "app": self.app, "id": "k-b"}
        c = {"event": "b.idem", "value": "c", "app": self.app, "id": "k-c"}
        self.assertBatchBody(self.log([a, b]), 2, 0, 0, [])
        self.assertBatchBody(self.log([a, b, c]), 3, 0, 2, [])
        self.assertEqual([r["value"] for r in self.rows(self.app)], ["a", "b", "c"])

    def test_invalid_idempotency_key_400(self):
        before = self.count()
        for bad in ("x" * 129, "tab\there", "caf\u00e9"):
            with self.subTest(key=bad):
                if not bad.isascii():
                    r = self.log({"event": "e", "app": self.app, "id": bad})
                else:
                    r = self.req("PUT", f"/v1/event/{self.app}/e",
                                 headers={"Idempotency-Key": bad})
                # The field names where the bad key came from: the header, or the "id" member.
                self.assertError(r, 400, "invalid_idempotency_key",
                                 "id" if not bad.isascii() else "Idempotency-Key")
        self.assertError(self.log({"event": "e", "app": self.app, "id": ""}), 400,
                         "invalid_idempotency_key", "id")
        self.assertNothingStored(before)

    # Values: stored as sent ---------------------------------------------------------------
    def test_values_stored_as_sent(self):
        cases = [  # (type, value sent, value stored)
            (1, "-42", "-42"), (1, 7, "7"), (1, "9223372036854775807", "9223372036854775807"),
            (2, "3.25", "3.25"), (2, 2.5, "2.5"), (2, "-0.001", "-0.001"),
            (3, "h\u00e9llo w\u00f6rld \u2713 \U0001F600", "h\u00e9llo w\u00f6rld \u2713 \U0001F600"),
            (3, "", ""), (3, "quote \" backslash \\ newline \n tab \t", None),
            (4, "2025-12-15", "2025-12-15"),
            (5, "2025-12-15T11:34:23Z", "2025-12-15T11:34:23Z"),
            (5, "2025-12-15T11:34:23.123456+01:00", "2025-12-15T11:34:23.123456+01:00"),
            (6, {"a": [1, 2], "b": "x"}, '{"a":[1,2],"b":"x"}'),
            (6, '{"k":1}', '{"k":1}'), (6, [1, "two", None, True], '[1,"two",null,true]'),
            (7, base64.b64encode(b"hello\x00\xff").decode(), base64.b64encode(b"hello\x00\xff").decode()),
        ]
        for i, (type_, sent, stored) in enumerate(cases):
            if stored is None:
                stored = sent
            with self.subTest(type=type_, value=sent):
                event = f"v.t{type_}.{i}"
                self.assertNoContent(self.log({"event": event, "value": sent, "type": type_,
                                               "app": self.app}))
                rows = self.rows(self.app, event)
                self.assertEqual(len(rows), 1)
                self.assertRow(rows[0], self.app, event, type_, stored)

    def test_value_via_put_body_each_type(self):
        ev = "v.put"
        sent = [(1, "12"), (2, "0.5"), (4, "2024-02-29"), (7, "AAEC")]
        for type_, value in sent:
            self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/{ev}",
                                          {"value": value, "type": type_}))
        self.assertEqual([(r["type"], r["value"]) for r in self.rows(self.app)], sent)

    # 400 -----------------------------------------------------------------------------------
    def test_400_invalid_json(self):
        before = self.count()
        for body in ('{"event":', "not json", '{"event":"e"} trailing', "[1,2", "\x00"):
            with self.subTest(body=body):
                r = self.log(body, headers={"Content-Type": "application/json"})
                self.assertError(r, 400, "invalid_json")
        r = self.req("PUT", f"/v1/event/{self.app}/e", "{oops",
                     headers={"Content-Type": "application/json"})
        self.assertError(r, 400, "invalid_json")
        self.assertNothingStored(before)

    def test_400_empty_body_and_empty_batch(self):
        before = self.count()
        self.assertError(self.log(b"", headers={"Content-Type": "application/json"}), 400,
                         "empty_body")
        self.assertError(self.log("[]"), 400, "empty_batch")
        self.assertError(self.log("\n\n", headers={"Content-Type": "application/x-ndjson"}), 400)
        self.assertNothingStored(before)

    def test_400_missing_and_unknown_field(self):
        before = self.count()
        self.assertError(self.log({"value": "x", "app": self.app}), 400, "missing_field", "event")
        self.assertError(self.log({"event": "e", "app": self.app, "extra": 1}), 400,
                         "unknown_field")
        self.assertError(self.log({"event": "e", "app": self.app, "ts": 1}), 400,
                         "unknown_field")
        self.assertError(self.req("PUT", f"/v1/event/{self.app}/e", {"value": "v", "nope": 1}),
                         400, "unknown_field")
        self.assertNothingStored(before)

    def test_400_non_object_single_items(self):
        before = self.count()
        for body in ("42", '"event"', "null", "true"):
            with self.subTest(body=body):
                r = self.log(body)
                self.assertEqual(r.status, 400, r)
                self.assertError(r, 400)
        self.assertNothingStored(before)

    def test_400_bad_event_names(self):
        before = self.count()
        for name in ("bad name", ".leading", "-leading", "a/b", "x" * 257, "", "caf\u00e9",
                     "semi;colon", 42):
            with self.subTest(name=name):
                self.assertError(self.log({"event": name, "app": self.app}), 400,
                                 "invalid_event_name", "event")
        for seg in (".leading", "_x", "a%20b", "x" * 257):
            with self.subTest(path_event=seg):
                self.assertError(self.req("PUT", f"/v1/event/{self.app}/{seg}"), 400,
                                 "invalid_event_name", "event")
        # The longest valid name is fine.
        self.assertNoContent(self.log({"event": "x" * 256, "app": self.app}))
        self.assertEqual(self.count(), before + 1)

    def test_400_bad_app_names(self):
        before = self.count()
        for app in ("-app", ".app", "a:b", "a b", "x" * 129, "", 7):
            with self.subTest(app=app):
                self.assertError(self.log({"event": "e", "app": app}), 400,
                                 "invalid_app_name", "app")
        for seg in ("-app", "a:b", "x" * 129):
            with self.subTest(path_app=seg):
                self.assertError(self.req("PUT", f"/v1/event/{seg}/e"), 400,
                                 "invalid_app_name", "app")
                self.assertError(self.req("PUT", f"/v1/unique/{seg}/e"), 400,
                                 "invalid_app_name", "app")
        self.assertNoContent(self.log({"event": "e", "app": "A" + "x" * 127}))
        self.assertEqual(self.count(), before + 1)

    def test_400_bad_type(self):
        before = self.count()
        for t in (0, 8, -1, "3", 1.5, [3], True, {"t": 3}):
            with self.subTest(type=t):
                self.assertError(self.log({"event": "e", "value": "1", "type": t,
                                           "app": self.app}), 400, "invalid_type", "type")
        self.assertError(self.req("PUT", f"/v1/event/{self.app}/e", {"value": "1", "type": 9}),
                         400, "invalid_type", "type")
        self.assertNothingStored(before)

    def test_400_value_wrong_for_each_type(self):
        before = self.count()
        cases = [
            (1, "abc"), (1, "1.5"), (1, ""), (1, "99999999999999999999"), (1, 1.5), (1, " 1"),
            (2, "abc"), (2, "1.2.3"), (2, "NaN"), (2, "inf"), (2, ""),
            (3, 5), (3, {"a": 1}), (3, ["x"]), (3, True),
            (4, "2025-13-01"), (4, "2025-02-30"), (4, "15/12/2025"), (4, "2025-12-15T00:00:00Z"),
            (4, 20251215),
            (5, "not a time"), (5, "2025-12-15 25:00"), (5, ""),
            (6, "{bad"), (6, ""), (6, "{\"a\":1} x"),
            (7, "@@@@"), (7, "abc"), (7, "aGVsbG8"),
        ]
        for type_, value in cases:
            with self.subTest(type=type_, value=value):
                r = self.log({"event": "e", "value": value, "type": type_, "app": self.app})
                self.assertError(r, 400, "invalid_value", "value")
        self.assertError(self.req("PUT", f"/v1/event/{self.app}/e", {"value": "x", "type": 1}),
                         400, "invalid_value", "value")
        self.assertNothingStored(before)

    # 401, 403 ------------------------------------------------------------------------------
    def test_401_missing_key(self):
        before = self.count()
        self.assertError(self.log({"event": "e", "app": self.app}, key=None), 401, "missing_key")
        self.assertError(self.req("PUT", f"/v1/event/{self.app}/e", key=None), 401,
                         "missing_key")
        self.assertError(self.req("PUT", f"/v1/unique/{self.app}/e", key=None), 401,
                         "missing_key")
        self.assertError(self.req("PUT", f"/{self.app}/e", key=None), 401, "missing_key")
        self.assertNothingStored(before)

    def test_401_unknown_key(self):
        before = self.count()
        self.assertError(self.log({"event": "e", "app": self.app}, key=self.keys.unknown), 401,
                         "unknown_key")
        self.assertError(self.req("PUT", f"/v1/event/{self.app}/e", key=self.keys.unknown,
                                  bearer=True), 401, "unknown_key")
        # A key's SHA-256 is not a key.
        from lib.config import sha256_hex
        self.assertError(self.req("PUT", f"/v1/event/{self.app}/e",
                                  key=sha256_hex(self.keys.all)), 401, "unknown_key")
        self.assertNothingStored(before)

    def test_403_read_only_key_cannot_ingest(self):
        before = self.count()
        k = self.keys.read
        self.assertError(self.log({"event": "e", "app": self.app}, key=k), 403, "missing_scope")
        self.assertError(self.req("PUT", f"/v1/event/{self.app}/e", key=k), 403, "missing_scope")
        self.assertError(self.req("PUT", f"/v1/unique/{self.app}/e", key=k), 403,
                         "missing_scope")
        self.assertError(self.log([{"event": "e", "app": self.app}], key=k), 403,
                         "missing_scope")
        self.assertNothingStored(before)

    def test_403_key_for_app_a_writing_app_b(self):
        before = self.count()
        k = self.keys.ingest_a
        self.assertError(self.log({"event": "e", "app": self.app}, key=k), 403,
                         "app_not_allowed", "app")
        self.assertError(self.req("PUT", f"/v1/event/{self.app}/e", key=k), 403,
                         "app_not_allowed", "app")
        self.assertError(self.req("PUT", f"/v1/unique/{self.app}/e", key=k), 403,
                         "app_not_allowed", "app")
        self.assertError(self.req("PUT", f"/{self.app}/e", key=k), 403, "app_not_allowed", "app")
        self.assertNothingStored(before)
        # Its own app is fine.
        self.assertNoContent(self.req("PUT", f"/v1/event/{APP_A}/e.own", key=k))
        self.assertEqual(self.count(), before + 1)

    # 404, 405 ------------------------------------------------------------------------------
    def test_404_unknown_paths(self):
        before = self.count()
        for method, path in (("GET", "/v1/nope"), ("PUT", "/v1/nope"), ("PUT", "/v2/event/a/b"),
                             ("PUT", "/v1/event/a"), ("PUT", "/v1/event/a/b/c"),
                             ("PUT", "/a/b/c/d/e"), ("GET", "/"), ("POST", "/v1/log/extra")):
            with self.subTest(method=method, path=path):
                self.assertError(self.req(method, path, b"" if method != "GET" else None), 404,
                                 "not_found")
        self.assertNothingStored(before)

    def test_405_with_allow(self):
        before = self.count()
        r = self.req("GET", "/v1/log")
        self.assertError(r, 405, "method_not_allowed")
        self.assertIn("POST", _allow(r), r)
        self.assertNotIn("GET", _allow(r), r)
        r = self.req("PUT", "/v1/log", {"event": "e", "app": self.app})
        self.assertError(r, 405, "method_not_allowed")
        self.assertEqual(_allow(r), {"POST"}, r)
        for path in (f"/v1/event/{self.app}/e", f"/v1/unique/{self.app}/e", f"/{self.app}/e"):
            for method in ("GET", "DELETE"):
                with self.subTest(method=method, path=path):
                    r = self.req(method, path)
                    self.assertError(r, 405, "method_not_allowed")
                    self.assertEqual(_allow(r), {"PUT", "POST"}, r)
        r = self.req("POST", "/healthz", b"")
        self.assertError(r, 405, "method_not_allowed")
        self.assertIn("GET", _allow(r), r)
        self.assertNothingStored(before)

    # 413 -----------------------------------------------------------------------------------
    def test_413_body_over_config_limit(self):
        before = self.count()
        big = {"event": "e", "value": "x" * 5000, "app": self.app}
        self.assertError(self.log(big), 413, "body_too_large")
        self.assertError(self.req("PUT", f"/v1/event/{self.app}/e", {"value": "y" * 5000}), 413,
                         "body_too_large")
        self.assertError(self.log([{"event": "e", "value": "z" * 40, "app": self.app}] * 90),
                         413, "body_too_large")
        self.assertNothingStored(before)
        # Just under the limit is fine.
        ok = {"event": "e", "value": "", "app": self.app}
        ok["value"] = "x" * (4096 - len(json.dumps(ok)))
        self.assertEqual(len(json.dumps(ok)), 4096)
        self.assertNoContent(self.log(ok))
        self.assertEqual(self.count(), before + 1)

    def test_413_large_body_over_config_limit_is_answered_not_reset(self):
        # 1.5 MB: within the web server's limit, far over max_body_bytes. The worker answers
        # without reading the body; it must still take in what the web server sends before it
        # closes, or the web server sees a reset and answers 502 instead of our 413.
        before = self.count()
        big = {"event": "e", "value": "x" * (1536 * 1024), "app": self.app}
        for _ in range(5):
            self.assertError(self.log(big), 413, "body_too_large")
        self.assertNothingStored(before)
        self.assertNoContent(self.log({"event": "e", "value": "after", "app": self.app}))
        self.assertEqual(self.count(), before + 1)

    def test_413_body_over_web_server_limit(self):
        # 3 MB declared: the web server (2 MB limit) answers from the headers alone.
        before = self.count()
        raw = (f"POST {MOUNT}/v1/log HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"X-API-Key: {self.keys.all}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {3 * 1024 * 1024}\r\nConnection: close\r\n\r\n"
               '{"event":"e","value":"').encode()
        r = http.raw_request(self.stack.port, raw, method="POST")
        self.assertStatus(r, 413)
        self.assertNothingStored(before)

    def test_413_batch_over_max_batch(self):
        before = self.count()
        items = [{"event": "b", "value": str(i)} for i in range(101)]
        self.assertError(self.log(items), 413, "batch_too_large")
        nd = "\n".join(json.dumps(i) for i in items)
        self.assertError(self.log(nd, headers={"Content-Type": "application/x-ndjson"}), 413,
                         "batch_too_large")
        self.assertNothingStored(before)

    # 422 -----------------------------------------------------------------------------------
    def test_422_cardinality_cap(self):
        for i in range(20):
            self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/cap.{i}"))
        before = self.count()
        err = self.assertError(self.req("PUT", f"/v1/event/{self.app}/cap.new"), 422,
                               "too_many_event_names")
        self.assertError(self.log({"event": "cap.new2", "app": self.app}), 422,
                         "too_many_event_names")
        self.assertError(self.req("PUT", f"/v1/unique/{self.app}/cap.new3"), 422,
                         "too_many_event_names")
        self.assertNothingStored(before)
        self.assertGreater(len(err["message"]), 10)
        # Known names still go in, and the cap is per app.
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/cap.3"))
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}.other/cap.new"))
        # In a batch, the new name is one rejected item; the rest is stored.
        r = self.log([{"event": "cap.4", "app": self.app}, {"event": "cap.brand.new", "app": self.app},
                      {"event": "cap.5", "app": self.app}])
        body = self.assertBatchBody(r, 2, 1, 0, [1])
        self.assertErrorObject(body["errors"][0]["error"], "too_many_event_names")
        self.assertEqual(self.count(), before + 4)
        names = {r["event"] for r in self.rows(self.app)}
        self.assertEqual(names, {f"cap.{i}" for i in range(20)})

    # The file itself -----------------------------------------------------------------------
    def test_day_file_schema_and_append_only(self):
        self.assertNoContent(self.log({"event": "e.file", "value": "v", "app": self.app}))
        path = dayfile.day_files(self.stack.data_dir)[-1]
        con = dayfile.connect_ro(path)
        try:
            mode = con.execute("PRAGMA journal_mode").fetchone()[0]
            names = {r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table','view')")}
            entries = con.execute("SELECT seq, time, app, event, value, type, is_unique "
                                  "FROM entries WHERE app = ?", (self.app,)).fetchall()
        finally:
            con.close()
        self.assertEqual(mode, "wal")
        self.assertLessEqual({"meta", "events", "log", "uniques", "idempotency", "entries"}, names)
        self.assertEqual(len(entries), 1)
        seq, time_text, app, event, value, type_, is_unique = entries[0]
        self.assertEqual((app, event, value, type_, is_unique), (self.app, "e.file", "v", 3, 0))
        self.assertRegex(time_text, r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
        # A copy of the file refuses UPDATE and DELETE (triggers); INSERT is how it grows.
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "copy.itslog")
            src = dayfile.connect_ro(path)
            dst = sqlite3.connect(copy, isolation_level=None)
            try:
                src.backup(dst)
                dst.execute("INSERT INTO uniques(day, event, seq) VALUES ('2000-01-01', 1, 1)")
                dst.execute("INSERT INTO idempotency(app, key, seq) VALUES ('x', 'k', 1)")
                for sql in ("UPDATE log SET value = 'x' WHERE seq = 1",
                            "UPDATE log SET hash = zeroblob(32) WHERE seq = 1",
                            "DELETE FROM log WHERE seq = 1",
                            "UPDATE events SET name = 'x' WHERE id = 1",
                            "DELETE FROM events",
                            "UPDATE uniques SET seq = 2", "DELETE FROM uniques",
                            "UPDATE idempotency SET seq = 2", "DELETE FROM idempotency"):
                    with self.subTest(sql=sql):
                        with self.assertRaises(sqlite3.DatabaseError, msg=sql):
                            dst.execute(sql)
                n = dst.execute("SELECT count(*) FROM log WHERE value = 'v'").fetchone()[0]
                self.assertGreaterEqual(n, 1)
            finally:
                src.close()
                dst.close()


def _allow(resp):
    return {m.strip() for m in (resp.header("Allow") or "").split(",") if m.strip()}


class ApiNginxTest(ApiTests, StackTestCase):
    stack_class = NginxStack
    stack_kwargs = {"workers": 2}


class ApiLighttpdTest(ApiTests, StackTestCase):
    stack_class = LighttpdStack
    stack_kwargs = {"workers": 2}
