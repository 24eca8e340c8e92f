"""The dashboard (web/, served at /its-log/ui/) in Debian's Chromium, driven by playwright-core
(tests/web/dashboard.test.mjs), against the shipped nginx config and real workers holding
events of several apps over two days: yesterday's file written from the contract before the
workers start, today's events logged through the API. Each browser case checks, besides its own
point, that the page logged no console error and sent no request off loopback, and that the key
never appeared in an address. The shipped lighttpd config is checked to serve the page with the
same Content-Security-Policy."""

import json
import os

from lib import http
from lib.base import Settings, StackTestCase, today_utc
from lib.dashboard import (DashboardLighttpdStack, DashboardNginxStack, browser_missing,
                           run_browser_case, web_dir, WEB_TESTS)
from lib.readside import day_start_us, write_day_file

HOSTILE = "<img src=x onerror=alert(1)>"
APPS = ("shop.example", "billing.example", "auth.example")


def add_days(day, n):
    import datetime
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=n)).isoformat()


def yesterday_rows(day):
    """300 events over the whole day, busiest around noon, three apps, and three unique
    events."""
    import math
    base = day_start_us(day)
    plan = (("shop.example", "page.view", 3, "/home"), ("shop.example", "cart.add", 1, "2"),
            ("billing.example", "invoice.sent", 3, "INV-7"), ("shop.example", "page.view", 3,
                                                               "/cart"),
            ("auth.example", "login.ok", 3, None), ("billing.example", "payment.ms", 2, "81.5"))
    rows = []
    for i in range(300):
        app, event, type_, value = plan[i % len(plan)]
        u = i / 300  # u + 0.12 sin(2 pi u) grows with u, slowest at noon
        rows.append((base + int(86_400_000_000 * (u + 0.12 * math.sin(2 * math.pi * u))) + 17,
                     app, event, type_, value, 0))
    for j, app in enumerate(APPS):
        rows.append((base + 86_300_000_000 + j, app, f"signin.client{j}", 3, None, 1))
    return rows


def prepare(stack):
    day = add_days(today_utc(), -1)
    write_day_file(os.path.join(stack.data_dir, f"{day}-v1.itslog"), day, yesterday_rows(day))


def today_batch():
    """Today's events: every type, the hostile value, more of some events than others."""
    items = []
    for i in range(40):
        items.append({"app": "shop.example", "event": "page.view", "value": f"/p/{i}"})
    for i in range(25):
        items.append({"app": "shop.example", "event": "cart.add", "value": str(i % 5), "type": 1})
    for i in range(15):
        items.append({"app": "billing.example", "event": "payment.ms", "value": f"{i}.25",
                      "type": 2})
    for i in range(12):
        items.append({"app": "auth.example", "event": "login.ok"})
    items += [
        {"app": "billing.example", "event": "invoice.due", "value": "2026-01-31", "type": 4},
        {"app": "billing.example", "event": "invoice.paid", "value": "2025-12-01T10:30:00Z",
         "type": 5},
        {"app": "billing.example", "event": "invoice.meta",
         "value": {"plan": "pro", "seats": 3, "note": HOSTILE}, "type": 6},
        {"app": "billing.example", "event": "invoice.pdf", "value": "aGVsbG8gd29ybGQ=", "type": 7},
        {"app": "shop.example", "event": "search", "value": HOSTILE},
    ]
    return items


class DashboardNginxTest(StackTestCase):
    stack_class = DashboardNginxStack
    stack_kwargs = {"workers": 4, "tail_max_seconds": 3, "prepare": prepare}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.stack is None or cls.start_error:
            return
        missing = browser_missing()
        if missing:
            cls.skip_reason = f"not installed: {', '.join(missing)}"
            return
        if not os.path.exists(os.path.join(web_dir(Settings.build), "index.html")):
            cls.start_error = f"{web_dir(Settings.build)} is missing: run `make web` first"
            return
        if not os.path.isdir(os.path.join(WEB_TESTS, "node_modules", "playwright-core")):
            cls.start_error = "tests/web/node_modules is missing: run scripts/install-web-deps.sh --tests"
            return
        keys = cls.stack.keys
        hdr = {"X-API-Key": keys.all, "Content-Type": "application/json"}
        items = today_batch()
        for i in range(0, len(items), 25):  # the stack's body limit is 4 KiB
            r = http.request(cls.stack.port, "POST", "/its-log/v1/log",
                             json.dumps(items[i:i + 25]).encode(), hdr)
            if r.status != 200 or json.loads(r.body).get("rejected"):
                cls.start_error = f"seeding today's events failed: {r!r}"
                return
        for j, app in enumerate(APPS[:2]):
            r = http.request(cls.stack.port, "PUT", f"/its-log/v1/unique/{app}/signin.client{j}",
                             None, {"X-API-Key": keys.all})
            if r.status != 201:
                cls.start_error = f"seeding a unique event failed: {r!r}"
                return

    def case(self, name):
        keys = self.stack.keys
        shots = os.path.abspath(os.path.join(Settings.build, "screenshots"))
        os.makedirs(shots, exist_ok=True)
        env = {"ITSLOG_BASE": f"http://127.0.0.1:{self.stack.port}/its-log/",
               "ITSLOG_DEAD_BASE": f"http://127.0.0.1:{self.stack.dead_port}/its-log/",
               "ITSLOG_KEY": keys.all, "ITSLOG_KEY_READ_ONLY": keys.read,
               "ITSLOG_KEY_INGEST_ONLY": keys.ingest_a, "ITSLOG_KEY_UNKNOWN": keys.unknown,
               "ITSLOG_KEY_ADMIN": keys.admin, "ITSLOG_KEY_READ_A": keys.read_a,
               "ITSLOG_TAIL_SECONDS": str(self.stack.tail_max_seconds),
               "ITSLOG_SCREENSHOTS": shots, "ITSLOG_HOSTILE": HOSTILE}
        rc, out = run_browser_case(name, env)
        for line in out.splitlines():
            if line.startswith("INFO "):
                print(line[5:], flush=True)
        if rc != 0:
            self.fail(f"browser case {name} failed (exit {rc}):\n{out}")

    def test_overview_figures_equal_the_read_api(self):
        self.case("overview")

    def test_chart_is_drawn_nothing_jumps_contrast_holds(self):
        self.case("chart")

    def test_clicking_an_app_or_event_filters_url_and_figures(self):
        self.case("filter")

    def test_paging_walks_every_event_once(self):
        self.case("paging")

    def test_values_by_type_and_hostile_value_as_text(self):
        self.case("values")

    def test_live_tail_shows_new_event_within_two_seconds(self):
        self.case("live")

    def test_wrong_key_without_read_and_api_down_say_so(self):
        self.case("keys")

    def test_375px_dark_mode_labels_and_contrast(self):
        self.case("small")

    def test_alerts_shown_with_the_alerts_api_hidden_without(self):
        self.case("alerts")

    def test_page_headers_and_key_never_in_url(self):
        r = http.request(self.stack.port, "GET", "/its-log/ui/")
        self.assertStatus(r, 200)
        csp = r.header("Content-Security-Policy", "")
        self.assertIn("default-src 'self'", csp)
        for part in csp.split(";"):
            words = part.split()[1:]
            self.assertTrue(all(w in ("'self'", "'none'") for w in words), csp)
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertIn(b'<script src="js/app.js" type="module">', r.body)
        self.assertNotIn(b"<script>", r.body, "no inline script")
        r = http.request(self.stack.port, "GET", "/its-log/ui/js/app.js")
        self.assertStatus(r, 200)
        self.assertTrue(r.header("Content-Type", "").startswith("application/javascript"), r)
        r = http.request(self.stack.port, "GET", "/its-log/ui")
        self.assertStatus(r, 301)
        # The API next to it is untouched: still the worker's JSON.
        self.assertError(http.request(self.stack.port, "GET", "/its-log/v1/events"), 401,
                         "missing_key")


class DashboardLighttpdTest(StackTestCase):
    """The shipped lighttpd config: the page with its policy, the API beside it."""
    stack_class = DashboardLighttpdStack
    stack_kwargs = {"workers": 1}

    def test_page_served_with_policy_and_api_beside_it(self):
        if not os.path.exists(os.path.join(web_dir(Settings.build), "index.html")):
            self.fail(f"{web_dir(Settings.build)} is missing: run `make web` first")
        r = self.req("GET", "/ui/", key=None)
        self.assertStatus(r, 200)
        self.assertIn(b'<script src="js/app.js" type="module">', r.body)
        csp = r.header("Content-Security-Policy", "")
        self.assertIn("default-src 'self'", csp)
        for part in csp.split(";"):
            self.assertTrue(all(w in ("'self'", "'none'") for w in part.split()[1:]), csp)
        r = self.req("GET", "/ui/js/app.js", key=None)
        self.assertStatus(r, 200)
        self.assertIn("javascript", r.header("Content-Type", ""))
        self.assertEqual(self.req("GET", "/ui/uPlot.iife.min.js", key=None).status, 200)
        r = self.req("GET", "/healthz", key=None)
        self.assertIn(r.status, (200, 503), r)
        self.assertError(self.req("GET", "/v1/events", key=None), 401, "missing_key")
