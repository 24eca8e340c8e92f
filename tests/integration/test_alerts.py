"""Alerting end to end: rules and channels made over the API through nginx and real workers,
`itslog alerts` evaluating every second, and a real webhook receiver on loopback that checks
every Standard Webhooks signature with its own implementation of the specification, fails on
purpose (500, 429 with Retry-After, a timeout, 410) and records what arrives. The service is
also killed with SIGKILL while a delivery is in flight: the message arrives after the restart
with the same webhook-id, and no transition is notified twice."""

import base64
import hashlib
import hmac
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lib.base import StackTestCase
from lib.procs import Proc
from lib.servers import NginxStack

SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
TIMEOUT_MS = 1000  # alerts.timeout_ms: the receiver's "timeout" answer sleeps longer


def verify_signature(secret, headers, body):
    """Standard Webhooks 1.0, written from the specification: HMAC-SHA256 keyed by the
    base64-decoded text after whsec_, over "<id>.<timestamp>.<body>", compared with each
    space-separated "v1,<base64>" of webhook-signature."""
    key = base64.b64decode(secret[len("whsec_"):])
    msg_id, ts = headers.get("webhook-id"), headers.get("webhook-timestamp")
    if not msg_id or not ts:
        return False
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    for part in headers.get("webhook-signature", "").split():
        version, _, sig = part.partition(",")
        if version == "v1" and hmac.compare_digest(sig, expected):
            return abs(time.time() - int(ts)) < 300
    return False


class Receiver:
    """A webhook receiver: per path, a script of answers ("500", "429:1" = with Retry-After
    1, "sleep:S" = answer 200 after S seconds, "410", "200"), then 200 for ever."""

    def __init__(self):
        self.lock = threading.Lock()
        self.arrivals = []  # dicts: path, headers, body, verified, answer
        self.scripts = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    script = receiver.scripts.setdefault(self.path, [])
                    answer = script.pop(0) if script else "200"
                    receiver.arrivals.append({
                        "path": self.path, "headers": headers, "body": body, "answer": answer,
                        "verified": verify_signature(SECRET, headers, body), "time": time.time()})
                status, extra = answer, {}
                if answer.startswith("429:"):
                    status, extra = "429", {"Retry-After": answer[4:]}
                if answer.startswith("sleep:"):
                    time.sleep(float(answer[6:]))
                    status = "200"
                try:
                    self.send_response(int(status))
                    for k, v in extra.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the client gave up (a timeout on purpose)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path, answers):
        with self.lock:
            self.scripts[path] = list(answers)

    def at(self, path):
        with self.lock:
            return [a for a in self.arrivals if a["path"] == path]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class AlertsNginxTest(StackTestCase):
    stack_class = NginxStack
    stack_kwargs = {"extra": {"alerts": {"interval_seconds": 1, "backoff_initial_ms": 200,
                                         "timeout_ms": TIMEOUT_MS, "repeat_seconds": 3600}}}

    def setUp(self):
        super().setUp()
        self.receiver = Receiver()
        self.service = None
        self.addCleanup(self.receiver.stop)
        self.addCleanup(self.stop_service)

    def start_service(self):
        out = os.path.join(self.stack.dir, "alerts.log")
        self.service = Proc([self.stack.binary, "alerts", "--config", self.stack.config_path],
                            out)
        if out not in self.stack.log_files:
            self.stack.log_files.append(out)

    def stop_service(self, sig=signal.SIGTERM):
        if self.service is not None:
            rc = self.service.stop(timeout=10, sig=sig)
            self.service = None
            return rc
        return None

    def admin(self, method, path, body=None):
        return self.req(method, path, body, key=self.keys.admin)

    def channel(self, path):
        r = self.admin("POST", "/v1/notifications/channels",
                       {"name": "hook " + path, "channel_type": "webhook",
                        "config": {"url": self.receiver.url(path), "secret": SECRET,
                                   "headers": {"X-Team": "ops"}}})
        self.assertStatus(r, 201)
        self.assertNotIn(SECRET[6:], r.text())
        return r.json()["id"]

    def rule(self, **fields):
        r = self.admin("POST", "/v1/alerts/rules", dict({"name": "r", "query": {"app": self.app}},
                                                        **fields))
        self.assertStatus(r, 201)
        return r.json()

    def wait_for(self, what, predicate, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        self.fail(f"timed out waiting for {what}; arrivals: {self.receiver.arrivals!r}")

    def test_burst_is_notified_signed_retried_then_resolved(self):
        ch = self.channel("/hook")
        self.receiver.script("/hook", ["500", "429:1", f"sleep:{TIMEOUT_MS / 1000 + 1}"])
        rule = self.rule(name="error burst", query={"app": self.app, "event": "error"},
                         threshold=3, window_seconds=12, channels=[ch], severity="error")
        self.start_service()
        r = self.log([{"app": self.app, "event": "error", "value": str(i), "type": 3}
                      for i in range(3)])
        self.assertStatus(r, 200)
        done = lambda: [a for a in self.receiver.at("/hook") if a["answer"] == "200"]
        self.wait_for("the firing message", done)
        firing = self.receiver.at("/hook")
        self.assertEqual([a["answer"] for a in firing][:4],
                         ["500", "429:1", f"sleep:{TIMEOUT_MS / 1000 + 1}", "200"])
        ids = {a["headers"]["webhook-id"] for a in firing}
        self.assertEqual(len(ids), 1, f"retries changed the webhook-id: {ids}")
        for a in firing:
            self.assertTrue(a["verified"], f"bad signature: {a!r}")
            self.assertEqual(a["headers"]["content-type"], "application/json")
            self.assertEqual(a["headers"]["x-team"], "ops")
            self.assertEqual(a["body"], firing[0]["body"])
        # Retry-After: 1 was honoured.
        self.assertGreaterEqual(firing[2]["time"] - firing[1]["time"], 0.9)
        payload = json.loads(firing[0]["body"])
        self.assertEqual(payload["type"], "alert.firing")
        self.assertEqual(payload["rule"], {"id": rule["id"], "name": "error burst",
                                           "severity": "error"})
        self.assertEqual(payload["value"], 3)
        self.assertEqual(payload["threshold"], 3)
        self.assertEqual(set(payload["window"]), {"from", "to"})
        incident = payload["incident"]
        self.assertEqual(incident["status"], "triggered")

        # The incident is there; acknowledge it (admin may), then watch it resolve.
        r = self.req("GET", "/v1/incidents?status=triggered", key=self.keys.read)
        self.assertStatus(r, 200)
        self.assertIn(incident["id"], [i["id"] for i in r.json()["incidents"]])
        r = self.admin("PATCH", f"/v1/incidents/{incident['id']}", {"status": "acknowledged"})
        self.assertStatus(r, 200)
        resolved = lambda: [a for a in self.receiver.at("/hook")
                            if json.loads(a["body"])["type"] == "alert.resolved"]
        arrived = self.wait_for("the resolved message", resolved)
        self.assertTrue(arrived[0]["verified"])
        self.assertNotEqual(arrived[0]["headers"]["webhook-id"], firing[0]["headers"]["webhook-id"])
        r = self.req("GET", f"/v1/incidents/{incident['id']}", key=self.keys.read)
        self.assertStatus(r, 200)
        body = r.json()
        self.assertEqual(body["status"], "resolved")
        types = [e["event_type"] for e in body["timeline"]]
        for t in ("triggered", "notified", "acknowledged", "resolved"):
            self.assertIn(t, types)
        self.assertEqual(types[0], "triggered")
        # Nothing is sent twice for one transition: exactly one 2xx per webhook-id.
        time.sleep(2.5)
        ok = [a["headers"]["webhook-id"] for a in self.receiver.at("/hook")
              if a["answer"].startswith(("200", "sleep"))]
        answered_200 = [a["headers"]["webhook-id"] for a in self.receiver.at("/hook")
                        if a["answer"] == "200"]
        self.assertEqual(len(answered_200), len(set(answered_200)), ok)
        self.assertEqual(len(set(answered_200)), 2)
        # Deliveries and metrics say the same.
        r = self.admin("GET", f"/v1/notifications/deliveries?channel={ch}")
        self.assertStatus(r, 200)
        outcomes = sorted(d["outcome"] for d in r.json()["deliveries"])
        self.assertEqual(outcomes, ["delivered", "delivered"])
        r = self.admin("GET", "/metrics")
        self.assertStatus(r, 200)
        text = r.text()
        self.assertIn(f'itslog_alert_state{{rule="{rule["id"]}",name="error burst",state="ok"}} 1',
                      text)
        self.assertIn('itslog_alert_deliveries_total{outcome="delivered"}', text)
        self.assertIn("itslog_alert_evaluations_missed_total", text)
        self.assertIn("itslog_alert_evaluation_duration_seconds_sum", text)

    def test_gone_disables_the_channel(self):
        ch = self.channel("/gone")
        self.receiver.script("/gone", ["410"])
        self.rule(name="heartbeat", query={"app": self.app, "event": "heartbeat"},
                  comparator="<", threshold=1, window_seconds=60, channels=[ch])
        self.start_service()
        self.wait_for("the 410", lambda: self.receiver.at("/gone"))

        def disabled():
            r = self.admin("GET", "/v1/notifications/channels")
            return [c for c in r.json()["channels"] if c["id"] == ch and c["disabled_at"]]
        self.wait_for("the channel disabled", disabled)
        r = self.admin("GET", f"/v1/notifications/deliveries?channel={ch}")
        d = r.json()["deliveries"]
        self.assertEqual(d[0]["outcome"], "failed")
        self.assertEqual(d[0]["http_status"], 410)
        time.sleep(1.5)
        self.assertEqual(len(self.receiver.at("/gone")), 1)

    def test_sigkill_mid_delivery_delivers_after_restart_with_the_same_id(self):
        ch = self.channel("/slow")
        # The first attempt hangs until the service is killed.
        self.receiver.script("/slow", ["sleep:3"])
        rule = self.rule(name="stopped", query={"app": self.app, "event": "heartbeat"},
                         comparator="<", threshold=1, window_seconds=60, channels=[ch])
        self.start_service()
        first = self.wait_for("the first attempt", lambda: self.receiver.at("/slow"))
        self.stop_service(sig=signal.SIGKILL)
        self.start_service()
        second = self.wait_for("the attempt after the restart",
                               lambda: [a for a in self.receiver.at("/slow") if a["answer"] == "200"])
        self.assertEqual(second[0]["headers"]["webhook-id"], first[0]["headers"]["webhook-id"])
        self.assertEqual(second[0]["body"], first[0]["body"])
        self.assertTrue(second[0]["verified"])
        time.sleep(2.5)  # more passes: the rule is still firing, nothing new is decided
        ids = {a["headers"]["webhook-id"] for a in self.receiver.at("/slow")}
        self.assertEqual(len(ids), 1, self.receiver.at("/slow"))
        r = self.req("GET", "/v1/alerts", key=self.keys.read)
        states = {a["rule"]["id"]: a["state"] for a in r.json()["alerts"]}
        self.assertEqual(states[rule["id"]], "firing")
        r = self.req("GET", "/v1/incidents?status=triggered", key=self.keys.read)
        self.assertEqual(len([i for i in r.json()["incidents"] if i["rule_id"] == rule["id"]]), 1)

    def test_pagerduty_trigger_then_resolve_with_one_dedup_key(self):
        r = self.admin("POST", "/v1/notifications/channels",
                       {"name": "pager", "channel_type": "pagerduty",
                        "config": {"routing_key": "R0UT1NG", "endpoint":
                                   self.receiver.url("/v2/enqueue")}})
        self.assertStatus(r, 201)
        self.assertNotIn("R0UT1NG", r.text())
        self.receiver.script("/v2/enqueue", ["202", "202"])
        rule = self.rule(name="pd", query={"app": self.app, "event": "boom"}, threshold=1,
                         window_seconds=3, severity="critical", channels=[r.json()["id"]])
        self.start_service()
        self.assertStatus(self.log({"app": self.app, "event": "boom", "value": "1", "type": 3}),
                          204)
        both = self.wait_for("trigger and resolve",
                             lambda: len(self.receiver.at("/v2/enqueue")) >= 2 and
                             self.receiver.at("/v2/enqueue"))
        trigger, resolve = (json.loads(a["body"]) for a in both[:2])
        self.assertEqual(trigger["event_action"], "trigger")
        self.assertEqual(trigger["routing_key"], "R0UT1NG")
        self.assertEqual(trigger["payload"]["severity"], "critical")
        self.assertEqual(resolve["event_action"], "resolve")
        self.assertEqual(trigger["dedup_key"], resolve["dedup_key"])
        self.assertTrue(trigger["dedup_key"].startswith(rule["id"] + "/"))
        self.assertNotIn("webhook-signature", both[0]["headers"])

    def test_scopes_and_bad_input_through_nginx(self):
        r = self.req("GET", "/v1/alerts/rules", key=None)
        self.assertStatus(r, 401)
        r = self.req("POST", "/v1/alerts/rules", {"name": "x"}, key=self.keys.read)
        self.assertStatus(r, 403)
        self.assertEqual(r.json()["error"]["code"], "missing_scope")
        r = self.req("GET", "/v1/notifications/channels", key=self.keys.read)
        self.assertStatus(r, 403)
        r = self.admin("POST", "/v1/alerts/rules",
                       {"name": "x", "query": {"app": self.app}, "threshold": 1,
                        "window_seconds": "60"})
        self.assertStatus(r, 400)
        self.assertEqual(r.json()["error"]["field"], "window_seconds")
        r = self.admin("GET", "/v1/alerts/rules/rul_nope")
        self.assertStatus(r, 404)
        r = self.admin("POST", "/v1/notifications/channels",
                       {"name": "meta", "channel_type": "webhook",
                        "config": {"url": "http://169.254.169.254/", "secret": SECRET}})
        self.assertStatus(r, 400)
        self.assertEqual(r.json()["error"]["field"], "config.url")
