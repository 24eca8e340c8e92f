"""The read API through nginx and two spawn-fcgi worker processes: GET /v1/events (filters,
time ranges, keyset pages), /v1/events/<day>/<seq>, /v1/counts, /v1/uniques, /v1/overview,
/v1/tail (server-sent events resumed with Last-Event-ID, bounded by tail.max_seconds) and
/metrics (counters that add up over both workers). Every answer is compared with the day file
read back with sqlite3; every bad parameter is 400 invalid_parameter naming it; keys see only
their apps and scopes."""

import os
import signal
import threading
import time

from lib import dayfile, http
from lib.base import StackTestCase, today_utc
from lib.load import run_threads
from lib.procs import wait_pid_gone
from lib.readside import (APP_A, APP_B, APP_C, MOUNT, ReadNginxStack, SseStream, event_json,
                          iso_micros, local_host_id)

HOST = local_host_id()  # the workers' host_id: the answers name it

READ_ROUTES = ("/v1/events", "/v1/counts", "/v1/uniques", "/v1/overview", "/v1/tail")


def add_days(day, n):
    import datetime
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=n)).isoformat()


class ReadApiNginxTest(StackTestCase):
    stack_class = ReadNginxStack
    stack_kwargs = {"workers": 2, "tail_max_seconds": 3}

    def tearDown(self):
        if self.stack is not None and not self.start_error:
            self.assertChainOk()

    # Helpers --------------------------------------------------------------------------------
    def get(self, path, key=None, headers=None):
        return self.req("GET", path, key=self.keys.all if key is None else key, headers=headers)

    def get_json(self, path, key=None):
        r = self.get(path, key)
        self.assertStatus(r, 200, path)
        self.assertEqual(r.header("Cache-Control"), "no-store", r)
        return self.json_body(r)

    def put(self, app, event, value=None, type_=None, key=None, unique=False):
        body = {}
        if value is not None:
            body["value"] = value
        if type_ is not None:
            body["type"] = type_
        kind = "unique" if unique else "event"
        r = self.req("PUT", f"/v1/{kind}/{app}/{event}", body or None,
                     key=self.keys.all if key is None else key)
        self.assertIn(r.status, (200, 201) if unique else (204,), r)
        return r

    def file_events(self, apps=None, event=None):
        """Today's rows as the API shows them, for the given apps (all when None)."""
        rows = dayfile.all_rows(self.stack.data_dir)
        return [event_json(r, HOST) for r in rows
                if (apps is None or r["app"] in apps) and (event is None or r["event"] == event)]

    def all_pages(self, query, limit, key=None):
        """Follows next cursors; returns (events, number of pages)."""
        events, pages, after = [], 0, None
        while True:
            path = f"/v1/events?{query}&limit={limit}" + (f"&after={after}" if after else "")
            body = self.get_json(path, key)
            self.assertEqual(set(body), {"events", "next", "hosts"}, body)
            self.assertEqual(body["hosts"], [HOST])
            pages += 1
            self.assertLessEqual(len(body["events"]), limit)
            events += body["events"]
            if body["next"] is None:
                return events, pages
            self.assertEqual(len(body["events"]), limit, "a page before the last is full")
            self.assertRegex(body["next"], r"^[A-Za-z0-9_-]+$")
            after = body["next"]
            self.assertLess(pages, 1000)

    # GET /v1/events ---------------------------------------------------------------------------
    def test_events_match_the_day_file(self):
        self.put(self.app, "e.text", "hello, world")
        self.put(self.app, "e.int", "42", 1)
        self.put(self.app, "e.real", "-0.25", 2)
        self.put(self.app, "e.date", "2025-12-01", 4)
        self.put(self.app, "e.datetime", "2025-12-01T10:30:00.25+01:00", 5)
        self.put(self.app, "e.json", {"plan": "pro", "seats": 3}, 6)
        self.put(self.app, "e.blob", "aGVsbG8=", 7)
        self.put(self.app, "e.null")
        self.put(self.app, "e.quote", "say \"hi\"\\ \u00e9\u6f22 \u0001")
        self.put(self.app, "e.once", unique=True)
        want = self.file_events([self.app])
        self.assertEqual(len(want), 10)
        body = self.get_json(f"/v1/events?app={self.app}")
        self.assertEqual(body, {"events": want, "next": None, "hosts": [HOST]})
        # What the JSON says about values and types, independently of the file reader.
        by_event = {e["event"]: e for e in body["events"]}
        self.assertEqual((by_event["e.int"]["value"], by_event["e.int"]["type"]), ("42", 1))
        self.assertEqual(by_event["e.json"]["value"], '{"plan":"pro","seats":3}')
        self.assertIsNone(by_event["e.null"]["value"])
        self.assertEqual(by_event["e.quote"]["value"], "say \"hi\"\\ \u00e9\u6f22 \u0001")
        self.assertEqual(by_event["e.once"]["is_unique"], 1)
        self.assertEqual(by_event["e.text"]["is_unique"], 0)
        for e in body["events"]:
            self.assertEqual(e["day"], today_utc())
            self.assertRegex(e["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        # day=today, and an explicit since..until covering the day, give the same.
        self.assertEqual(self.get_json(f"/v1/events?app={self.app}&day={today_utc()}"), body)
        self.assertEqual(
            self.get_json(f"/v1/events?app={self.app}&since={today_utc()}"
                          f"&until={add_days(today_utc(), 1)}"), body)
        # HEAD: the same status and type, no body.
        r = self.req("HEAD", f"/v1/events?app={self.app}")
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"")

    def test_events_event_filter_and_unknown_names(self):
        for i in range(3):
            self.put(self.app, "f.one", str(i))
            self.put(self.app, "f.two", str(i))
        body = self.get_json(f"/v1/events?app={self.app}&event=f.two")
        self.assertEqual(body["events"], self.file_events([self.app], "f.two"))
        self.assertEqual([e["value"] for e in body["events"]], ["0", "1", "2"])
        self.assertEqual(self.get_json(f"/v1/events?app={self.app}&event=f.none"),
                         {"events": [], "next": None, "hosts": [HOST]})
        self.assertEqual(self.get_json("/v1/events?app=nobody.example"),
                         {"events": [], "next": None, "hosts": [HOST]})
        # A day without a file is empty, not an error.
        self.assertEqual(self.get_json(f"/v1/events?app={self.app}&day=2001-02-03"),
                         {"events": [], "next": None, "hosts": []})

    def test_events_pages_follow_next(self):
        for i in range(23):
            self.put(self.app, "p.e" if i % 3 else "p.other", str(i))
        want = self.file_events([self.app])
        self.assertEqual(len(want), 23)
        for limit, pages in ((10, 3), (23, 1), (1, 23), (5, 5)):
            got, n = self.all_pages(f"app={self.app}", limit)
            self.assertEqual(got, want, f"limit {limit}")
            self.assertEqual(n, pages, f"limit {limit}")
        got, n = self.all_pages(f"app={self.app}&event=p.e", 4)
        self.assertEqual(got, self.file_events([self.app], "p.e"))
        self.assertEqual(n, 4)  # 15 rows: 4 + 4 + 4 + 3
        # The default limit is 100; a full page of 100 has a cursor.
        body = self.get_json(f"/v1/events?app={self.app}&limit=22")
        self.assertIsNotNone(body["next"])
        rest = self.get_json(f"/v1/events?app={self.app}&limit=22&after={body['next']}")
        self.assertEqual(rest, {"events": want[22:], "next": None, "hosts": [HOST]})

    def test_events_cursor_is_bound_to_its_query(self):
        for i in range(4):
            self.put(self.app, "c.e", str(i))
        body = self.get_json(f"/v1/events?app={self.app}&limit=2")
        cursor = body["next"]
        self.assertIsNotNone(cursor)
        # Another filter, an edited cursor, a truncated one: 400 naming "after".
        other = self.get(f"/v1/events?app={self.app}&event=c.e&limit=2&after={cursor}")
        self.assertError(other, 400, "invalid_parameter", "after")
        flipped = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
        self.assertError(self.get(f"/v1/events?app={self.app}&limit=2&after={flipped}"), 400,
                         "invalid_parameter", "after")
        self.assertError(self.get(f"/v1/events?app={self.app}&limit=2&after={cursor[:-3]}"), 400,
                         "invalid_parameter", "after")
        # The limit is not part of the binding: another page size may go on from it.
        rest = self.get_json(f"/v1/events?app={self.app}&limit=100&after={cursor}")
        self.assertEqual(rest["events"], self.file_events([self.app])[2:])
        # A cursor of today used with a day range that excludes it.
        self.assertError(self.get(f"/v1/events?app={self.app}&day=2001-01-01&after={cursor}"),
                         400, "invalid_parameter", "after")

    def test_events_since_until(self):
        for i in range(6):
            self.put(self.app, "t.e", str(i))
            time.sleep(0.01)
        want = self.file_events([self.app])
        rows = [r for r in dayfile.all_rows(self.stack.data_dir) if r["app"] == self.app]
        # since is inclusive, until exclusive, to the microsecond.
        since, until = iso_micros(rows[1]["ts"]), iso_micros(rows[4]["ts"])
        body = self.get_json(f"/v1/events?app={self.app}&since={since}&until={until}")
        self.assertEqual(body, {"events": want[1:4], "next": None, "hosts": [HOST]})
        # One microsecond later drops row 1; until one microsecond later adds row 4.
        body = self.get_json(f"/v1/events?app={self.app}&since={iso_micros(rows[1]['ts'] + 1)}"
                             f"&until={iso_micros(rows[4]['ts'] + 1)}")
        self.assertEqual(body["events"], want[2:5])
        # The same instant with a UTC offset (percent-encoded '+').
        ts = rows[3]["ts"]
        secs, micros = divmod(ts, 1_000_000)
        local = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs + 3600)) + \
            f".{micros:06d}%2B01:00"
        body = self.get_json(f"/v1/events?app={self.app}&since={local}")
        self.assertEqual(body["events"], want[3:])
        # Only until: from the start of until's day.
        body = self.get_json(f"/v1/events?app={self.app}&until={iso_micros(rows[2]['ts'])}")
        self.assertEqual(body["events"], want[:2])
        # Pages within a time range.
        got, n = self.all_pages(f"app={self.app}&since={since}&until={until}", 2)
        self.assertEqual((got, n), (want[1:4], 2))

    # GET /v1/events/<day>/<seq> ---------------------------------------------------------------
    def test_event_by_day_and_seq(self):
        self.put(self.app, "s.e", "7", 1)
        row = [r for r in dayfile.all_rows(self.stack.data_dir) if r["app"] == self.app][0]
        r = self.get(f"/v1/events/{row['day']}/{row['seq']}")
        self.assertStatus(r, 200)
        self.assertEqual(self.json_body(r), event_json(row, HOST))
        last = dayfile.count_rows(self.stack.data_dir)
        self.assertError(self.get(f"/v1/events/{row['day']}/{last + 1000}"), 404, "not_found")
        self.assertError(self.get(f"/v1/events/2001-02-03/1"), 404, "not_found")
        r = self.req("HEAD", f"/v1/events/{row['day']}/{row['seq']}")
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"")

    # GET /v1/counts ---------------------------------------------------------------------------
    def test_counts_per_event_with_numeric_aggregates(self):
        for v in ("5", "-3", "10", "7"):
            self.put(self.app, "n.int", v, 1)
        for v in ("0.5", "2.25"):
            self.put(self.app, "n.real", v, 2)
        self.put(self.app, "n.mixed", "2", 1)
        self.put(self.app, "n.mixed", "0.5", 2)
        self.put(self.app, "n.mixed", "word")
        for v in ("a", "b", None):
            self.put(self.app, "n.text", v)
        day = today_utc()
        body = self.get_json(f"/v1/counts?app={self.app}")
        self.assertEqual(body["interval"], "day")
        self.assertEqual((body["from"], body["to"]), (day, day))
        common = {"day": day, "bucket": day, "app": self.app}
        self.assertEqual(body["counts"], [
            dict(common, event="n.int", count=4, numeric=4, sum=19, min=-3, max=10),
            dict(common, event="n.mixed", count=3, numeric=2, sum=2.5, min=0.5, max=2),
            dict(common, event="n.real", count=2, numeric=2, sum=2.75, min=0.5, max=2.25),
            dict(common, event="n.text", count=3),
        ])
        self.assertIsInstance(body["counts"][0]["sum"], int)
        # One event; a range of days that has files only for today.
        one = self.get_json(f"/v1/counts?app={self.app}&event=n.real&from={add_days(day, -3)}"
                            f"&to={day}")
        self.assertEqual((one["from"], one["to"]), (add_days(day, -3), day))
        self.assertEqual(one["counts"], [body["counts"][2]])
        self.assertEqual(self.get_json(f"/v1/counts?app={self.app}&day={day}"), body)
        self.assertEqual(self.get_json(f"/v1/counts?app={self.app}&day=2001-01-01")["counts"], [])

    def test_counts_per_hour(self):
        for i in range(3):
            self.put(self.app, "h.e", str(i), 1)
        self.put(self.app, "h.f")
        rows = [r for r in dayfile.all_rows(self.stack.data_dir) if r["app"] == self.app]
        hours = {}
        for r in rows:
            bucket = time.strftime("%Y-%m-%dT%H:00:00.000000Z", time.gmtime(r["ts"] // 1_000_000))
            hours.setdefault((bucket, r["event"]), []).append(r)
        want = []
        for (bucket, event), rs in sorted(hours.items()):
            item = {"day": today_utc(), "bucket": bucket, "app": self.app, "event": event,
                    "count": len(rs)}
            if event == "h.e":
                vals = [int(r["value"]) for r in rs]
                item.update(numeric=len(vals), sum=sum(vals), min=min(vals), max=max(vals))
            want.append(item)
        body = self.get_json(f"/v1/counts?app={self.app}&interval=hour")
        self.assertEqual(body["interval"], "hour")
        self.assertEqual(body["counts"], want)

    def test_counts_see_new_rows_after_a_cached_answer(self):
        # Each worker caches a day's aggregates; rows written since must be counted, whichever
        # worker answers.
        for round_ in range(1, 5):
            self.put(self.app, "k.e", "1", 1)
            for _ in range(4):
                body = self.get_json(f"/v1/counts?app={self.app}")
                self.assertEqual([(c["event"], c["count"], c["sum"]) for c in body["counts"]],
                                 [("k.e", round_, round_)])

    # GET /v1/uniques --------------------------------------------------------------------------
    def test_uniques_per_day(self):
        day = today_utc()
        r1 = self.put(self.app, "u.b", unique=True)
        self.assertEqual(r1.status, 201)
        self.put(self.app, "u.a", unique=True)
        r3 = self.put(self.app, "u.b", unique=True)
        self.assertEqual(r3.status, 200)
        self.put(self.app, "u.plain")  # not unique: not listed
        body = self.get_json(f"/v1/uniques?app={self.app}")
        self.assertEqual(body, {"from": day, "to": day, "days": [
            {"day": day, "count": 2,
             "apps": [{"app": self.app, "count": 2, "events": ["u.b", "u.a"]}]}],
            "hosts": [HOST]})
        body = self.get_json(f"/v1/uniques?app={self.app}&from={add_days(day, -2)}&to={day}")
        self.assertEqual([d["day"] for d in body["days"]],
                         [add_days(day, -2), add_days(day, -1), day])
        self.assertEqual(body["days"][0], {"day": add_days(day, -2), "count": 0, "apps": []})
        self.assertEqual(body["days"][2]["count"], 2)

    # GET /v1/overview -------------------------------------------------------------------------
    def expected_overview(self, days, apps=None):
        day = today_utc()
        rows = [r for r in dayfile.all_rows(self.stack.data_dir)
                if apps is None or r["app"] in apps]
        per_app, per_event = {}, {}
        for r in rows:
            per_app[r["app"]] = per_app.get(r["app"], 0) + 1
            per_event[(r["app"], r["event"])] = per_event.get((r["app"], r["event"]), 0) + 1
        out_days = [{"day": add_days(day, -i), "total": 0, "apps": []}
                    for i in range(days - 1, 0, -1)]
        out_days.append({"day": day, "total": len(rows),
                         "apps": [{"app": a, "count": n} for a, n in sorted(per_app.items())]})
        top = sorted(per_event.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        return {"from": add_days(day, 1 - days), "to": day, "days": out_days,
                "apps": [{"app": a, "total": n} for a, n in sorted(per_app.items())],
                "top_events": [{"app": a, "event": e, "count": n} for (a, e), n in top],
                "hosts": [HOST]}

    def test_overview(self):
        for i in range(12):
            self.put(self.app, f"o.e{i % 4}", str(i))
        self.assertEqual(self.get_json("/v1/overview?days=1"), self.expected_overview(1))
        self.assertEqual(self.get_json("/v1/overview"), self.expected_overview(7))
        self.assertEqual(self.get_json("/v1/overview?days=366"), self.expected_overview(366))

    # Bad parameters ---------------------------------------------------------------------------
    def test_bad_parameters_are_400_naming_the_parameter(self):
        day = today_utc()
        self.put(self.app, "b.e")
        long_app = "a" * 1025
        cases = [
            ("/v1/events?foo=1", "foo"),
            ("/v1/events?app=x.example&app=x.example", "app"),
            ("/v1/events?app=.bad", "app"),
            ("/v1/events?app=%zz", "app"),
            ("/v1/events?app=a%00b", "app"),
            (f"/v1/events?app={long_app}", "app"),
            ("/v1/events?event=bad%20name", "event"),
            ("/v1/events?event=", "event"),
            ("/v1/events?=x", "query"),
            ("/v1/events?day=2025-02-30", "day"),
            ("/v1/events?day=today", "day"),
            (f"/v1/events?day={day}&since={day}", "day"),
            ("/v1/events?since=yesterday", "since"),
            ("/v1/events?until=2025-01-01T25:00:00Z", "until"),
            (f"/v1/events?since={day}T10:00:00Z&until={day}T10:00:00Z", "until"),
            (f"/v1/events?since={day}T10:00:00Z&until={day}T09:00:00Z", "until"),
            ("/v1/events?since=2001-01-01", "since"),
            ("/v1/events?limit=0", "limit"),
            ("/v1/events?limit=1001", "limit"),
            ("/v1/events?limit=ten", "limit"),
            ("/v1/events?limit=-1", "limit"),
            ("/v1/events?limit=1.5", "limit"),
            ("/v1/events?after=xyz", "after"),
            ("/v1/events?after=", "after"),
            ("/v1/events/2025-02-30/1", "day"),
            ("/v1/events/20250101/1", "day"),
            (f"/v1/events/{day}/0", "seq"),
            (f"/v1/events/{day}/x", "seq"),
            (f"/v1/events/{day}/-1", "seq"),
            (f"/v1/events/{day}/1?x=1", "x"),
            ("/v1/counts?interval=week", "interval"),
            ("/v1/counts?interval=", "interval"),
            ("/v1/counts?from=2025-01-02&to=2025-01-01", "to"),
            (f"/v1/counts?day={day}&from={day}", "day"),
            ("/v1/counts?from=2024-01-01&to=2025-12-31", "from"),
            ("/v1/counts?from=soon", "from"),
            ("/v1/counts?to=2025-1-1", "to"),
            ("/v1/counts?since=2025-01-01", "since"),
            ("/v1/counts?app=-x", "app"),
            ("/v1/uniques?day=2025-01-01", "day"),
            ("/v1/uniques?to=bad", "to"),
            ("/v1/uniques?event=x", "event"),
            ("/v1/overview?days=0", "days"),
            ("/v1/overview?days=367", "days"),
            ("/v1/overview?days=x", "days"),
            ("/v1/overview?app=x", "app"),
            ("/v1/tail?day=2025-01-01", "day"),
            ("/v1/tail?app=.x", "app"),
            ("/v1/tail?event=a%20b", "event"),
        ]
        for path, field in cases:
            with self.subTest(path=path):
                self.assertError(self.get(path), 400, "invalid_parameter", field)
        for bad in ("junk", "AQAAUSwAAAAAAAAAArR2TuZwdwlKTh8qY7LsX9s", "x" * 65):
            with self.subTest(last_event_id=bad):
                self.assertError(self.get("/v1/tail", headers={"Last-Event-ID": bad}), 400,
                                 "invalid_parameter", "Last-Event-ID")
        self.assertError(self.get("/metrics?x=1", key=self.keys.admin), 400,
                         "invalid_parameter", "x")

    def test_methods_and_unknown_read_paths(self):
        for path in READ_ROUTES + (f"/v1/events/{today_utc()}/1",
                                   f"/v1/events/{today_utc()}/{HOST}/1", "/metrics"):
            for method in ("POST", "PUT", "DELETE"):
                with self.subTest(path=path, method=method):
                    r = self.req(method, path, b"")
                    self.assertError(r, 405, "method_not_allowed")
                    self.assertEqual(r.header("Allow"), "GET, HEAD")
        for path in ("/v1/events/x", "/v1/events/2025-01-01/h/1/2", "/v1/count", "/v1/overview/x",
                     "/v1/tail/x", "/v1"):
            with self.subTest(path=path):
                self.assertError(self.get(path), 404, "not_found")

    # Keys: scopes and apps --------------------------------------------------------------------
    def seed_apps(self):
        self.put(APP_A, "a.one", "1", 1)
        self.put(APP_A, "a.one", "2", 1)
        self.put(APP_A, "a.two", "x")
        self.put(APP_A, "a.u", unique=True)
        self.put(APP_B, "b.one", "5", 1)
        self.put(APP_B, "b.one")
        self.put(APP_B, "b.one")
        self.put(APP_B, "b.u", unique=True)
        self.put(APP_C, "c.one", "3", 1)

    def test_isolation_key_for_app_a_asking_for_b_is_403(self):
        self.seed_apps()
        k = self.keys.read_a
        for path in ("/v1/events", "/v1/counts", "/v1/uniques", "/v1/tail"):
            with self.subTest(path=path):
                r = self.get(f"{path}?app={APP_B}", key=k)
                self.assertError(r, 403, "app_not_allowed", "app")
                r = self.get(f"{path}?app={APP_C}", key=k)
                self.assertError(r, 403, "app_not_allowed", "app")
        # read_ac may ask for C but not B.
        self.assertStatus(self.get(f"/v1/events?app={APP_C}", key=self.keys.read_ac), 200)
        self.assertError(self.get(f"/v1/counts?app={APP_B}", key=self.keys.read_ac), 403,
                         "app_not_allowed", "app")
        # Another app's event by its seq is not found for this key (no telling it exists).
        b_row = [r for r in dayfile.all_rows(self.stack.data_dir) if r["app"] == APP_B][0]
        a_row = [r for r in dayfile.all_rows(self.stack.data_dir) if r["app"] == APP_A][0]
        self.assertError(self.get(f"/v1/events/{b_row['day']}/{b_row['seq']}", key=k), 404,
                         "not_found")
        r = self.get(f"/v1/events/{a_row['day']}/{a_row['seq']}", key=k)
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), event_json(a_row, HOST))
        # The same by host: this host's name addresses the same files.
        self.assertError(self.get(f"/v1/events/{b_row['day']}/{HOST}/{b_row['seq']}", key=k),
                         404, "not_found")
        r = self.get(f"/v1/events/{a_row['day']}/{HOST}/{a_row['seq']}", key=k)
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), event_json(a_row, HOST))

    def test_isolation_unfiltered_answers_hold_only_the_keys_apps(self):
        self.seed_apps()
        for key, apps in ((self.keys.read_a, {APP_A}), (self.keys.read_ac, {APP_A, APP_C})):
            with self.subTest(apps=sorted(apps)):
                events, _ = self.all_pages("", 1000, key=key)
                self.assertEqual(events, self.file_events(apps))
                self.assertEqual({e["app"] for e in events}, apps)
                # An event name of another app, asked for without an app: nothing.
                body = self.get_json("/v1/events?event=b.one", key=key)
                self.assertEqual(body, {"events": [], "next": None, "hosts": [HOST]})
                counts = self.get_json("/v1/counts", key=key)["counts"]
                self.assertEqual({c["app"] for c in counts}, apps)
                want = {}
                for e in self.file_events(apps):
                    want[(e["app"], e["event"])] = want.get((e["app"], e["event"]), 0) + 1
                self.assertEqual({(c["app"], c["event"]): c["count"] for c in counts}, want)
                uniques = self.get_json("/v1/uniques", key=key)["days"][0]
                want_u = sorted((e["app"], e["event"]) for e in self.file_events(apps)
                                if e["is_unique"])
                got_u = sorted((a["app"], ev) for a in uniques["apps"] for ev in a["events"])
                self.assertEqual(got_u, want_u)
                self.assertEqual(uniques["count"], len(want_u))
                self.assertEqual(self.get_json("/v1/overview?days=2", key=key),
                                 self.expected_overview(2, apps))
        # The all-apps read key sees every app.
        events, _ = self.all_pages("", 1000, key=self.keys.read)
        self.assertEqual(events, self.file_events())

    def test_isolation_read_key_cannot_write(self):
        before = self.count()
        for key in (self.keys.read, self.keys.read_a, self.keys.admin):
            for method, path, body in (
                    ("PUT", f"/v1/event/{APP_A}/w.e", None),
                    ("POST", f"/v1/event/{APP_A}/w.e", None),
                    ("PUT", f"/v1/unique/{APP_A}/w.u", None),
                    ("PUT", f"/{APP_A}/w.e", None),
                    ("POST", "/v1/log", {"app": APP_A, "event": "w.e"}),
                    ("POST", "/v1/log", [{"app": APP_A, "event": "w.e"}])):
                with self.subTest(key=key[:3], method=method, path=path):
                    self.assertError(self.req(method, path, body, key=key), 403, "missing_scope")
        self.assertNothingStored(before)

    def test_isolation_ingest_key_cannot_read(self):
        self.seed_apps()
        day = today_utc()
        for key in (self.keys.ingest_a, self.keys.admin):
            for path in READ_ROUTES + (f"/v1/events?app={APP_A}", f"/v1/events/{day}/1",
                                       f"/v1/events/{day}/{HOST}/1", f"/v1/counts?app={APP_A}"):
                with self.subTest(key=key[:3], path=path):
                    self.assertError(self.get(path, key=key), 403, "missing_scope")
                    r = self.req("HEAD", path, key=key)
                    self.assertStatus(r, 403)
                    self.assertEqual(r.body, b"")
        # /metrics needs admin: read and ingest keys are 403, no key 401.
        for key in (self.keys.read, self.keys.read_a, self.keys.ingest_a, self.keys.all):
            self.assertError(self.get("/metrics", key=key), 403, "missing_scope")
        for path in READ_ROUTES + (f"/v1/events/{day}/{HOST}/1", "/metrics"):
            r = self.req("GET", path, key=None)
            self.assertError(r, 401, "missing_key")
            self.assertEqual(r.header("WWW-Authenticate"), 'Bearer realm="its-log"')
            self.assertError(self.get(path, key=self.keys.unknown), 401, "unknown_key")
        # Bearer works as well as X-API-Key.
        r = self.req("GET", f"/v1/events?app={APP_A}", key=self.keys.read_a, bearer=True)
        self.assertStatus(r, 200)

    # GET /v1/tail -----------------------------------------------------------------------------
    def tail_connect(self, query, last_id=None, key=None):
        headers = {"X-API-Key": key or self.keys.all}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        s = SseStream(self.stack.port, f"{MOUNT}/v1/tail?{query}", headers, timeout=20)
        self.addCleanup(s.close)
        return s

    def tail_read(self, stream):
        """Reads one response of the stream to its end: (events [(id, json)], last id seen,
        whether a retry: field came)."""
        stream.response()
        self.assertEqual(stream.status, 200, stream.headers)
        self.assertTrue((stream.header("Content-Type") or "").startswith("text/event-stream"))
        events, last_id, retry = [], None, False
        while True:
            block = stream.next_block()
            if block is None:
                return events, last_id, retry
            if block["retry"] is not None:
                retry = True
                self.assertEqual(block["retry"], "1000")
            if block["id"] is not None:
                self.assertRegex(block["id"], r"^[A-Za-z0-9_-]+$")
                last_id = block["id"]
            if block["data"] is not None:
                self.assertIsNotNone(block["id"], f"an event without an id: {block}")
                events.append((block["id"], __import__("json").loads(block["data"])))

    def tail_collect(self, query, last_id, want_count, timeout=30.0):
        """Reconnects as EventSource does, with the last id seen, until want_count events
        have come (or timeout). Returns (events, last id, number of connections)."""
        got, connections = [], 0
        deadline = time.monotonic() + timeout
        while len(got) < want_count and time.monotonic() < deadline:
            s = self.tail_connect(query, last_id)
            events, lid, _ = self.tail_read(s)
            s.close()
            connections += 1
            got += events
            if lid is not None:
                last_id = lid
        return got, last_id, connections

    def test_tail_delivers_new_events_and_resumes_from_last_event_id(self):
        app, other = self.app, self.app + "-other"
        q = f"app={app}"
        self.put(app, "before.connect")  # older than the tail: never sent
        # A first connection starts at the end of today's file; events arrive while it waits.
        box = {}

        def first():
            s = self.tail_connect(q)
            box["result"] = self.tail_read(s)

        th = threading.Thread(target=first, daemon=True)
        t0 = time.monotonic()
        th.start()
        time.sleep(1.0)  # the worker has taken the request and noted where the file ends
        for i in range(5):
            self.put(other, "noise", str(i))
            self.put(app, "live", str(i))
        th.join(30)
        self.assertFalse(th.is_alive())
        self.assertLess(time.monotonic() - t0, self.stack.tail_max_seconds + 5)
        events, last_id, retry = box["result"]
        self.assertTrue(retry, "the stream tells the client how soon to reconnect")
        self.assertIsNotNone(last_id)
        more, last_id, _ = self.tail_collect(q, last_id, 5 - len(events))
        events += more
        want = self.file_events([app], "live")
        self.assertEqual([e for _, e in events], want, "each new event once, in order")
        ids = [i for i, _ in events]
        self.assertEqual(len(set(ids)), 5)
        # Nothing of the other app, nor the row before the connection.
        self.assertNotIn("before.connect", [e["event"] for _, e in events])

        # Four more events while no client is connected: a reconnect with the last id gets
        # exactly them.
        for i in range(5, 9):
            self.put(app, "live", str(i))
            self.put(other, "noise", str(i))
        later, last_id, _ = self.tail_collect(q, last_id, 4)
        self.assertEqual([e for _, e in later], self.file_events([app], "live")[5:9])
        # Resuming from an older id (the second event) replays from the third on.
        replay, _, _ = self.tail_collect(q, ids[1], 7)
        self.assertEqual([e for _, e in replay], self.file_events([app], "live")[2:9])
        # A cursor of this filter is refused by another filter.
        r = self.get(f"/v1/tail?app={other}", headers={"Last-Event-ID": ids[0]})
        self.assertError(r, 400, "invalid_parameter", "Last-Event-ID")

    def test_tail_streams_events_apart_in_time_on_one_connection(self):
        """One open stream delivers each event as it is stored, not one batch per request:
        two events sent 1.5 s apart both arrive on the same connection, the first long before
        the second is sent."""
        app = self.app
        s = self.tail_connect(f"app={app}")
        box = {"arrivals": []}

        def reader():
            s.response()
            box["status"] = s.status
            while True:
                block = s.next_block()
                if block is None:
                    return
                if block["data"] is not None:
                    box["arrivals"].append((time.monotonic(),
                                            __import__("json").loads(block["data"])["value"]))

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        time.sleep(1.0)
        t_first = time.monotonic()
        self.put(app, "streamed", "first")
        time.sleep(1.5)
        t_second = time.monotonic()
        self.put(app, "streamed", "second")
        th.join(self.stack.tail_max_seconds + 10)
        self.assertFalse(th.is_alive())
        self.assertEqual(box.get("status"), 200)
        self.assertEqual([v for _, v in box["arrivals"]], ["first", "second"])
        self.assertLess(box["arrivals"][0][0], t_second, "the first event waited for the second")
        self.assertGreaterEqual(box["arrivals"][1][0], t_second)
        self.assertLess(box["arrivals"][0][0] - t_first, 1.4)

    def test_tail_event_filter(self):
        app = self.app
        self.put(app, "x.first")
        s = self.tail_connect(f"app={app}&event=x.want")
        # Not read yet: the request waits in the worker. Rows of other names are skipped.
        time.sleep(1.0)
        self.put(app, "x.other", "1")
        self.put(app, "x.want", "2")
        events, last_id, _ = self.tail_read(s)
        more, _, _ = self.tail_collect(f"app={app}&event=x.want", last_id, 1 - len(events))
        events += more
        self.assertEqual([e for _, e in events], self.file_events([app], "x.want"))

    def test_tail_is_bounded_by_max_seconds(self):
        # No event comes: the response still ends after tail.max_seconds, with an id to
        # resume from.
        t0 = time.monotonic()
        s = self.tail_connect(f"app={self.app}")
        events, last_id, retry = self.tail_read(s)
        elapsed = time.monotonic() - t0
        self.assertEqual(events, [])
        self.assertTrue(retry)
        self.assertIsNotNone(last_id)
        limit = self.stack.tail_max_seconds
        self.assertGreaterEqual(elapsed, limit - 0.5, "ended before tail.max_seconds")
        self.assertLess(elapsed, limit + 3.0, "ran past tail.max_seconds")
        # The id it ended with resumes at the right place.
        self.put(self.app, "after.idle", "1")
        got, _, _ = self.tail_collect(f"app={self.app}", last_id, 1)
        self.assertEqual([e for _, e in got], self.file_events([self.app]))
        # HEAD answers the type without waiting.
        t0 = time.monotonic()
        r = self.req("HEAD", f"/v1/tail?app={self.app}")
        self.assertStatus(r, 200)
        self.assertTrue(r.header("Content-Type", "").startswith("text/event-stream"))
        self.assertEqual(r.body, b"")
        self.assertLess(time.monotonic() - t0, 2.0)

    def test_tail_of_read_a_key_sees_only_app_a(self):
        s = self.tail_connect("", key=self.keys.read_a)
        time.sleep(1.0)
        self.put(APP_B, "tb.hidden")
        self.put(APP_C, "tc.hidden")
        self.put(APP_A, "ta.shown", "1")
        events, last_id, _ = self.tail_read(s)
        headers_key = self.keys.read_a
        got = list(events)
        deadline = time.monotonic() + 20
        while not any(e["event"] == "ta.shown" for _, e in got) and time.monotonic() < deadline:
            s = self.tail_connect("", last_id, key=headers_key)
            ev, lid, _ = self.tail_read(s)
            got += ev
            last_id = lid or last_id
        self.assertEqual({e["app"] for _, e in got}, {APP_A})
        self.assertEqual([e["event"] for _, e in got], ["ta.shown"])

    # GET /metrics -----------------------------------------------------------------------------
    def scrape(self):
        r = self.req("GET", "/metrics", key=self.keys.admin)
        self.assertStatus(r, 200)
        self.assertEqual(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        samples = {}
        for line in r.text().splitlines():
            if not line or line.startswith("#"):
                self.assertRegex(line, r"^(|# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*)$")
                continue
            self.assertRegex(line, r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [0-9.]+$')
            series, value = line.rsplit(" ", 1)
            self.assertNotIn(series, samples, "a series printed twice")
            samples[series] = float(value)
        return samples

    @staticmethod
    def written_bytes(pid):
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
        return 0

    def test_metrics_add_up_over_both_workers(self):
        pids = self.stack.live_worker_pids()
        self.assertEqual(len(pids), 2, "two worker processes")
        before = self.scrape()
        io_before = {p: self.written_bytes(p) for p in pids}
        app = self.app
        accepted = rejected = batches = 0
        n_threads, per_thread = 8, 25
        # Concurrent clients, so that both workers take requests; repeated (bounded) until
        # each worker has answered some.
        for _attempt in range(5):
            outcomes = []
            lock = threading.Lock()

            def client(i, barrier):
                barrier.wait()
                for j in range(per_thread):
                    if j % 10 == 9:
                        r = http.request(self.stack.port, "PUT", f"{MOUNT}/v1/event/{app}/.bad",
                                         None, {"X-API-Key": self.keys.all})
                    else:
                        r = http.request(self.stack.port, "POST", f"{MOUNT}/v1/log",
                                         {"app": app, "event": f"m.{i}", "value": str(j)},
                                         {"X-API-Key": self.keys.all})
                    with lock:
                        outcomes.append(r.status)

            errors = run_threads(n_threads, client)
            self.assertEqual(errors, [])
            self.assertEqual(sorted(set(outcomes)), [204, 400])
            accepted += outcomes.count(204)
            rejected += outcomes.count(400)
            # One batch of 7 with 2 bad items.
            r = self.log([{"app": app, "event": "m.batch"}] * 5
                         + [{"app": app, "event": ".x"}, {"app": app, "event": "m.t", "type": 9}])
            self.assertStatus(r, 200)
            body = self.json_body(r)
            self.assertEqual((body["accepted"], body["rejected"], body["duplicates"]), (5, 2, 0))
            batches += 1
            served = [p for p in pids if self.written_bytes(p) > io_before[p]]
            if len(served) == 2:
                break
        self.assertEqual(len(served), 2, "both worker processes answered requests")
        stored = len([r for r in dayfile.all_rows(self.stack.data_dir) if r["app"] == app])
        self.assertEqual(stored, accepted + 5 * batches)
        # Several scrapes (answered by either worker): the same, exact totals.
        for _ in range(6):
            after = self.scrape()

            def delta(series):
                return after.get(series, 0) - before.get(series, 0)

            self.assertEqual(delta("itslog_events_accepted_total"), accepted + 5 * batches)
            self.assertEqual(delta("itslog_events_duplicates_total"), 0)
            self.assertEqual(delta('itslog_events_rejected_total{reason="invalid_event_name"}'),
                             rejected + batches)
            self.assertEqual(delta('itslog_events_rejected_total{reason="invalid_type"}'),
                             batches)
            self.assertEqual(delta('itslog_http_requests_total{route="log",code="204"}'),
                             accepted)
            self.assertEqual(delta('itslog_http_requests_total{route="log",code="200"}'), batches)
            self.assertEqual(delta('itslog_http_requests_total{route="event",code="400"}'),
                             rejected)
            self.assertEqual(delta('itslog_http_request_duration_seconds_count{route="log"}'),
                             accepted + batches)
            inf = 'itslog_http_request_duration_seconds_bucket{route="log",le="+Inf"}'
            self.assertEqual(after[inf],
                             after['itslog_http_request_duration_seconds_count{route="log"}'])
            buckets = [v for k, v in after.items()
                       if k.startswith('itslog_http_request_duration_seconds_bucket{route="log",')]
            self.assertEqual(buckets, sorted(buckets), "cumulative buckets never decrease")
            self.assertIn(f'itslog_day_file_bytes{{day="{today_utc()}"}}', after)
            self.assertGreater(after["itslog_data_dir_free_bytes"], 0)
        r = self.req("HEAD", "/metrics", key=self.keys.admin)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"")


def earlier_rows(day, salt):
    """Rows of an earlier day built from the contract: three apps, INTEGER values, unique
    events, timestamps spread over the whole day (hours 0 to 23)."""
    from lib.readside import day_start_us
    base = day_start_us(day)
    out = []
    for i in range(60 + salt):
        app = (APP_A, APP_B, APP_C)[i % 3]
        event = f"d.e{i % 4}"
        ts = base + (i * 86_400_000_000) // (60 + salt) + salt
        out.append((ts, app, event, 1, str(i * (salt + 1) - 20), 0))
    for j, app in enumerate((APP_A, APP_B, APP_C, APP_A)):
        out.append((base + 86_000_000_000 + j, app, f"d.u{j}", 3, None, 1))
    return out


def prepare_earlier_days(stack):
    from lib.readside import write_day_file
    import os
    seed = b"\0" * 32
    for back, salt in ((2, 0), (1, 7)):
        day = add_days(today_utc(), -back)
        _, seed = write_day_file(os.path.join(stack.data_dir, f"{day}-v1.itslog"), day,
                                 earlier_rows(day, salt), seed=seed)


class ReadMultiDayNginxTest(StackTestCase):
    """Two earlier days (built from the contract before the workers start) and today."""
    stack_class = ReadNginxStack
    stack_kwargs = {"workers": 2, "prepare": prepare_earlier_days}

    get = ReadApiNginxTest.get
    get_json = ReadApiNginxTest.get_json
    all_pages = ReadApiNginxTest.all_pages

    def setUp(self):
        super().setUp()
        self.today = today_utc()
        self.d1 = add_days(self.today, -1)
        self.d2 = add_days(self.today, -2)
        if not getattr(type(self), "_seeded", False):
            for i in range(9):
                app = (APP_A, APP_B, APP_C)[i % 3]
                r = self.req("PUT", f"/v1/event/{app}/d.e{i % 4}", {"value": str(i), "type": 1})
                self.assertStatus(r, 204)
            type(self)._seeded = True
        self.rows = dayfile.all_rows(self.stack.data_dir)

    def tearDown(self):
        if self.stack is not None and not self.start_error:
            self.assertChainOk()

    def want(self, apps=None, event=None, since=None, until=None):
        return [event_json(r, HOST) for r in self.rows
                if (apps is None or r["app"] in apps) and (event is None or r["event"] == event)
                and (since is None or r["ts"] >= since) and (until is None or r["ts"] < until)]

    def test_events_across_days_in_pages(self):
        self.assertEqual(sorted({r["day"] for r in self.rows}), [self.d2, self.d1, self.today])
        for query, apps, event in ((f"since={self.d2}", None, None),
                                   (f"app={APP_B}&since={self.d2}", {APP_B}, None),
                                   (f"app={APP_A}&event=d.e0&since={self.d2}", {APP_A}, "d.e0"),
                                   (f"event=d.e1&since={self.d2}", None, "d.e1")):
            want = self.want(apps, event)
            for limit in (7, 1000):
                with self.subTest(query=query, limit=limit):
                    got, pages = self.all_pages(query, limit)
                    self.assertEqual(got, want)
                    # A last page that is exactly full has no cursor after it.
                    self.assertEqual(pages, max(1, -(-len(want) // limit)))
        # One day only; a day without today's rows.
        self.assertEqual(self.all_pages(f"day={self.d1}", 1000)[0],
                         [e for e in self.want() if e["day"] == self.d1])

    def test_events_time_range_inside_a_day(self):
        from lib.readside import day_start_us
        lo = day_start_us(self.d1) + 5 * 3600 * 1_000_000 + 123
        hi = day_start_us(self.d1) + 17 * 3600 * 1_000_000
        since, until = iso_micros(lo), iso_micros(hi)
        for query, apps, event in (("", None, None), (f"app={APP_C}&", {APP_C}, None),
                                   (f"app={APP_C}&event=d.e2&", {APP_C}, "d.e2")):
            with self.subTest(query=query):
                want = self.want(apps, event, lo, hi)
                self.assertTrue(want)
                got, _ = self.all_pages(f"{query}since={since}&until={until}", 5)
                self.assertEqual(got, want)
        # A range over midnight, from yesterday evening into today.
        lo = day_start_us(self.d1) + 20 * 3600 * 1_000_000
        got, _ = self.all_pages(f"since={iso_micros(lo)}", 3)
        self.assertEqual(got, self.want(since=lo))

    def test_event_by_seq_on_an_earlier_day(self):
        row = [r for r in self.rows if r["day"] == self.d2][17]
        self.assertEqual(self.get_json(f"/v1/events/{self.d2}/{row['seq']}"),
                         event_json(row, HOST))
        self.assertEqual(self.get_json(f"/v1/events/{self.d2}/{row['seq']}",
                                       key=self.keys.read_a if row["app"] == APP_A
                                       else self.keys.read_ac if row["app"] == APP_C
                                       else self.keys.read), event_json(row, HOST))

    def test_counts_over_days(self):
        body = self.get_json(f"/v1/counts?from={self.d2}&to={self.today}")
        self.assertEqual((body["from"], body["to"]), (self.d2, self.today))
        cells = {}
        for r in self.rows:
            cells.setdefault((r["day"], r["app"], r["event"]), []).append(r)
        want = []
        for (day, app, event), rs in sorted(cells.items()):
            item = {"day": day, "bucket": day, "app": app, "event": event, "count": len(rs)}
            vals = [int(r["value"]) for r in rs if r["type"] == 1]
            if vals:
                item.update(numeric=len(vals), sum=sum(vals), min=min(vals), max=max(vals))
            want.append(item)
        self.assertEqual(body["counts"], want)
        # Hours of yesterday, for one app.
        body = self.get_json(f"/v1/counts?day={self.d1}&interval=hour&app={APP_B}")
        hours = {}
        for r in self.rows:
            if r["day"] == self.d1 and r["app"] == APP_B:
                h = time.strftime("%Y-%m-%dT%H:00:00.000000Z", time.gmtime(r["ts"] // 1_000_000))
                hours.setdefault((h, r["event"]), []).append(r)
        want = []
        for (h, event), rs in sorted(hours.items()):
            item = {"day": self.d1, "bucket": h, "app": APP_B, "event": event, "count": len(rs)}
            vals = [int(r["value"]) for r in rs if r["type"] == 1]
            if vals:
                item.update(numeric=len(vals), sum=sum(vals), min=min(vals), max=max(vals))
            want.append(item)
        self.assertEqual(body["counts"], want)
        self.assertGreater(len({c["bucket"] for c in body["counts"]}), 10)

    def test_uniques_and_overview_over_days(self):
        body = self.get_json(f"/v1/uniques?from={self.d2}&to={self.today}",
                             key=self.keys.read_ac)
        want_days = []
        for day in (self.d2, self.d1, self.today):
            apps = {}
            for r in self.rows:
                if r["day"] == day and r["is_unique"] and r["app"] in (APP_A, APP_C):
                    apps.setdefault(r["app"], []).append(r["event"])
            want_days.append({"day": day, "count": sum(len(v) for v in apps.values()),
                              "apps": [{"app": a, "count": len(v), "events": v}
                                       for a, v in sorted(apps.items())]})
        self.assertEqual(body, {"from": self.d2, "to": self.today, "days": want_days,
                                "hosts": [HOST]})
        ov = self.get_json("/v1/overview?days=3")
        for d in ov["days"]:
            rows = [r for r in self.rows if r["day"] == d["day"]]
            self.assertEqual(d["total"], len(rows), d["day"])
            per_app = {}
            for r in rows:
                per_app[r["app"]] = per_app.get(r["app"], 0) + 1
            self.assertEqual(d["apps"], [{"app": a, "count": n} for a, n in sorted(per_app.items())])
        self.assertEqual([d["day"] for d in ov["days"]], [self.d2, self.d1, self.today])
        per_app = {}
        for r in self.rows:
            per_app[r["app"]] = per_app.get(r["app"], 0) + 1
        self.assertEqual(ov["apps"], [{"app": a, "total": n} for a, n in sorted(per_app.items())])
        per_event = {}
        for r in self.rows:
            per_event[(r["app"], r["event"])] = per_event.get((r["app"], r["event"]), 0) + 1
        top = sorted(per_event.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        self.assertEqual(ov["top_events"], [{"app": a, "event": e, "count": n}
                                            for (a, e), n in top])

    def test_verify_checks_the_link_between_days(self):
        # itslog verify DAY compares today's chain_seed with yesterday's last hash.
        import os
        import subprocess
        from lib.readside import run_cli
        for day in (self.d2, self.d1, self.today):
            rc, out, err = run_cli(self.stack.binary, "verify", "--config",
                                   self.stack.config_path, day)
            self.assertEqual(rc, 0, out + err)
        # Copies of yesterday and today side by side; a row appended to yesterday's copy
        # (after today's file took its seed) breaks the link.
        work = os.path.join(self.stack.dir, "link")
        os.makedirs(work, exist_ok=True)
        copies = {}
        for day in (self.d1, self.today):
            src = os.path.join(self.stack.data_dir, f"{day}-v1.itslog")
            dst = os.path.join(work, f"{day}-v1.itslog")
            if os.path.exists(dst):
                os.unlink(dst)
            subprocess.run(["sqlite3", "-readonly", src, f"VACUUM INTO '{dst}'"], check=True,
                           timeout=60)
            copies[day] = dst
        rc, out, err = run_cli(self.stack.binary, "verify", copies[self.today])
        self.assertEqual(rc, 0, out + err)
        n = len([r for r in self.rows if r["day"] == self.d1])
        subprocess.run(["sqlite3", copies[self.d1],
                        "INSERT INTO log(seq, ts, event, type, value, is_unique, hash) "
                        f"SELECT seq + 1, ts + 1, event, type, value, 0, randomblob(32) FROM log "
                        f"WHERE seq = {n};"], check=True, timeout=60)
        rc, out, _ = run_cli(self.stack.binary, "verify", copies[self.today])
        self.assertEqual(rc, 1, out)
        self.assertEqual(out.splitlines()[-1],
                         f"{copies[self.today]}: FAILED: first bad seq 1 (wrong_seed)")


class TailStopNginxTest(StackTestCase):
    """A worker holding a quiet /v1/tail stream stops on SIGTERM within a poll, not at the
    stream's next keep-alive (15 s) or its time bound; the client sees the stream end and
    resumes elsewhere with Last-Event-ID."""
    stack_class = ReadNginxStack
    stack_kwargs = {"workers": 1, "tail_max_seconds": 120}

    def test_worker_serving_a_quiet_tail_exits_on_sigterm(self):
        stream = SseStream(self.stack.port, f"{MOUNT}/v1/tail?app={APP_A}",
                           {"X-API-Key": self.keys.all}, timeout=20)
        self.addCleanup(stream.close)
        stream.response()
        self.assertEqual(stream.status, 200, stream.headers)
        self.assertEqual(stream.next_block()["retry"], "1000")  # the worker is in the tail
        pids = self.stack.live_worker_pids()
        self.assertEqual(len(pids), 1)
        t0 = time.monotonic()
        os.kill(pids[0], signal.SIGTERM)
        self.assertTrue(wait_pid_gone(pids[0], 5.0),
                        f"worker {pids[0]} still running 5 s after SIGTERM with a tail open")
        while stream.next_block() is not None:  # the stream ends; a socket timeout fails
            pass
        self.assertLess(time.monotonic() - t0, 5.0)
