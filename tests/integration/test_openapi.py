"""docs/openapi.yaml against real answers. Every operation the description names is called on
a real nginx + workers, with the statuses the API can give there (success, bad input, no key,
a key without the scope, ...), and every answer is checked against the description: its status
must be listed for that operation, its Content-Type one the response names, the headers marked
required present and of their schema, and its body valid against the response's schema
(jsonschema, with OpenAPI 3.0's `nullable` turned into JSON Schema's "null" type). A 204 and
every HEAD answer must have no body. Operations this file has no calls for (added later) are
still called without a key, and that answer is checked the same way."""

import json
import os
import re
import time
import urllib.parse

from lib.base import APP_A, MOUNT, StackTestCase
from lib.http import Response
from lib.readside import ReadNginxStack, SseStream

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC_PATH = os.path.join(ROOT, "docs", "openapi.yaml")
# Members of a Schema Object that are not JSON Schema (or whose JSON Schema meaning differs).
OPENAPI_ONLY = {"nullable", "example", "examples", "discriminator", "xml", "externalDocs",
                "deprecated", "readOnly", "writeOnly"}
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def to_json_schema(node, in_properties=False):
    """An OpenAPI 3.0 Schema Object as JSON Schema (draft 4): `nullable: true` admits null,
    the OpenAPI-only members go. Property names are kept whatever they are called."""
    if isinstance(node, list):
        return [to_json_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    if in_properties:
        return {k: to_json_schema(v) for k, v in node.items()}
    out = {k: to_json_schema(v, in_properties=(k == "properties"))
           for k, v in node.items() if k not in OPENAPI_ONLY}
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


class Spec:
    def __init__(self, path):
        import jsonschema
        import yaml
        self.jsonschema = jsonschema
        with open(path) as f:
            self.doc = yaml.safe_load(f)
        self.components = to_json_schema(self.doc.get("components", {}))
        self.formats = jsonschema.FormatChecker()
        self.formats.checks("date-time")(lambda v: not isinstance(v, str)
                                         or DATE_TIME.match(v) is not None)

    def operations(self):
        for template, item in self.doc["paths"].items():
            for method in item:
                if method in ("get", "put", "post", "delete", "patch", "head"):
                    yield template, method.upper()

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            parts = node["$ref"].lstrip("#/").split("/")
            node = self.doc
            for p in parts:
                node = node[p]
        return node

    def response(self, template, method, status):
        op = self.doc["paths"][template][method.lower()]
        r = op["responses"].get(str(status), op["responses"].get("default"))
        return None if r is None else self.resolve(r)

    def errors(self, schema, instance):
        root = {"allOf": [to_json_schema(schema)], "components": self.components}
        v = self.jsonschema.Draft4Validator(root, format_checker=self.formats)
        return [f"{'/'.join(str(p) for p in e.absolute_path) or '(body)'}: {e.message}"
                for e in v.iter_errors(instance)]


class OpenApiTest(StackTestCase):
    stack_class = ReadNginxStack
    stack_kwargs = {"workers": 2, "tail_max_seconds": 1}

    def setUp(self):
        super().setUp()
        try:
            self.spec = Spec(SPEC_PATH)
        except ImportError as e:
            self.fail(f"{e}: this test needs PyYAML and jsonschema in the Python that runs "
                      "the integration tests")
        self.covered = set()  # (template, method, status)

    # Checking one answer ----------------------------------------------------------------
    def check(self, r, template, method, status=None):
        """Checks the answer r of `method template` against the description; returns the
        parsed JSON body (or None)."""
        where = f"{method} {template} -> {r.status}"
        if status is not None:
            self.assertEqual(r.status, status, f"{where}: {r!r}")
        rs = self.spec.response(template, method, r.status)
        self.assertIsNotNone(rs, f"{where}: the description lists no such status: {r!r}")
        self.covered.add((template, method, r.status))
        for name, h in (rs.get("headers") or {}).items():
            h = self.spec.resolve(h)
            value = r.header(name)
            if h.get("required"):
                self.assertIsNotNone(value, f"{where}: required header {name} missing: {r!r}")
            if value is not None and (h.get("schema") or {}).get("type") == "integer":
                self.assertRegex(value, r"^\d+$", f"{where}: header {name}")
        if method == "HEAD":
            self.assertEqual(r.body, b"", f"{where}: HEAD with a body")
            return None
        content = rs.get("content")
        if not content:
            self.assertEqual(r.body, b"", f"{where}: a body where the description has none")
            return None
        ctype = (r.header("Content-Type") or "").split(";")[0].strip()
        self.assertIn(ctype, content, f"{where}: Content-Type {ctype!r} not described: {r!r}")
        schema = content[ctype].get("schema", {})
        if ctype == "application/json":
            body = json.loads(r.body.decode("utf-8"))
        else:
            body = r.body.decode("utf-8")
        self.assertEqual(self.spec.errors(schema, body), [], f"{where}: {r!r}")
        return body

    def call(self, method, template, path=None, body=None, key="all", headers=None,
             status=None):
        """Sends method to path (the template itself by default) with the named key of
        self.keys (None: no key), checks the answer, returns (response, parsed body)."""
        k = None if key is None else getattr(self.keys, key)
        r = self.req(method, path or template, body, key=k, headers=headers)
        return r, self.check(r, template, method, status)

    # Every operation ------------------------------------------------------------------------
    def test_every_answer_matches_the_description(self):
        app, day = self.app, time.strftime("%Y-%m-%d", time.gmtime())
        c = self.call
        # Ingest: every route and alias, with each status a client can cause.
        c("POST", "/v1/log", body={"app": app, "event": "page.load_ms", "value": "183",
                                   "type": 1}, status=204)
        _, batch = c("POST", "/v1/log", body=[
            {"app": app, "event": "page.load_ms", "value": 95, "type": 1},
            {"app": app, "event": "ratio", "value": "0.5", "type": 2},
            {"app": app, "event": "bad", "value": "x", "type": 9}], status=200)
        self.assertEqual((batch["accepted"], batch["rejected"]), (2, 1), batch)
        c("POST", "/v1/log", body=b"[{", headers={"Content-Type": "application/json"},
          status=400)
        c("POST", "/v1/log", body={"event": "e"}, key=None, status=401)
        c("POST", "/v1/log", body={"app": app, "event": "e"}, key="read", status=403)
        c("POST", "/v1/log", body=[{"app": app, "event": "e", "value": "x" * 5000}],
          status=413)
        for template in ("/v1/event/{app}/{event}", "/event/{app}/{event}", "/{app}/{event}"):
            path = template.replace("{app}", app).replace("{event}", "search")
            for method in ("PUT", "POST"):
                c(method, template, path, body={"value": "red shoes"}, status=204)
            c("PUT", template, path, body={"type": 0}, status=400)
            c("PUT", template, path, key="read", status=403)
            c("PUT", template, template.replace("{app}", APP_A).replace("{event}", "e"),
              key="ingest_a", status=204)
            c("PUT", template, template.replace("{app}", app).replace("{event}", "e"),
              key="ingest_a", status=403)
        for template in ("/v1/unique/{app}/{event}", "/unique/{app}/{event}"):
            for method in ("PUT", "POST"):
                path = template.replace("{app}", app).replace("{event}", f"u.{method}{len(template)}")
                c(method, template, path, status=201)
                c(method, template, path, status=200)
                c(method, template, path, key=None, status=401)
        # 422: past the cap of 20 names per app and day.
        cap = app[:90] + ".cap"
        for n in range(20):
            c("PUT", "/v1/event/{app}/{event}", f"/v1/event/{cap}/n{n}", status=204)
        c("PUT", "/v1/event/{app}/{event}", f"/v1/event/{cap}/n20", status=422)
        # 405 with Allow: the path's answer to a method it does not take is described with
        # the path's operations.
        self.check(self.req("GET", "/v1/log"), "/v1/log", "POST", 405)

        # Operations.
        c("GET", "/healthz", key=None, status=200)
        c("HEAD", "/healthz", key=None, status=200)
        for key, status in (("admin", 200), (None, 401), ("read", 403)):
            c("GET", "/metrics", key=key, status=status)
            c("HEAD", "/metrics", key=key, status=status)

        # Read: events, one event, counts, uniques, overview, tail.
        _, page = c("GET", "/v1/events", f"/v1/events?app={app}&limit=2", status=200)
        self.assertEqual(len(page["events"]), 2)
        c("GET", "/v1/events", "/v1/events?app={}&limit=2&after={}".format(
            app, urllib.parse.quote(page["next"])), status=200)
        c("GET", "/v1/events", "/v1/events?limit=0", status=400)
        c("GET", "/v1/events", key=None, status=401)
        c("GET", "/v1/events", key="ingest_a", status=403)
        c("HEAD", "/v1/events", f"/v1/events?app={app}", status=200)
        first = page["events"][0]
        one_template = "/v1/events/{day}/{seq}"
        c("GET", one_template, f"/v1/events/{first['day']}/{first['seq']}", status=200)
        c("GET", one_template, f"/v1/events/{day}/999999", status=404)
        c("GET", one_template, "/v1/events/2025-02-30/1", status=400)
        c("HEAD", one_template, f"/v1/events/{first['day']}/{first['seq']}", status=200)
        if "host" in first and self.has_operation("/v1/events/{day}/{host}/{seq}", "GET"):
            t = "/v1/events/{day}/{host}/{seq}"
            c("GET", t, f"/v1/events/{first['day']}/{first['host']}/{first['seq']}", status=200)
            c("GET", t, f"/v1/events/{day}/{first['host']}/999999", status=404)
            c("HEAD", t, f"/v1/events/{first['day']}/{first['host']}/{first['seq']}",
              status=200)
        for interval in ("day", "hour"):
            _, counts = c("GET", "/v1/counts", f"/v1/counts?app={app}&interval={interval}",
                          status=200)
            numeric = [row for row in counts["counts"] if row["event"] == "page.load_ms"]
            self.assertEqual((sum(r["count"] for r in numeric), sum(r["sum"] for r in numeric),
                              min(r["min"] for r in numeric), max(r["max"] for r in numeric)),
                             (2, 278, 95, 183), counts)
        c("GET", "/v1/counts", "/v1/counts?interval=week", status=400)
        c("HEAD", "/v1/counts", status=200)
        _, uniques = c("GET", "/v1/uniques", f"/v1/uniques?app={app}", status=200)
        self.assertEqual(uniques["days"][-1]["count"], 4, uniques)
        c("GET", "/v1/uniques", "/v1/uniques?from=2025-13-01", status=400)
        c("HEAD", "/v1/uniques", status=200)
        _, overview = c("GET", "/v1/overview", "/v1/overview?days=3", status=200)
        self.assertEqual(len(overview["days"]), 3, overview)
        self.assertTrue(overview["top_events"], overview)
        c("GET", "/v1/overview", "/v1/overview?days=0", status=400)
        c("HEAD", "/v1/overview", status=200)
        self.check_tail(app)
        c("GET", "/v1/tail", "/v1/tail?app=.x", status=400)
        c("HEAD", "/v1/tail", "/v1/tail?app=.x", status=400)

        # Operations added without calls here: at least their answer to no key.
        for template, method in self.spec.operations():
            if any(t == template and m == method for t, m, _ in self.covered):
                continue
            path = re.sub(r"\{[^}]+\}", lambda m: {"{day}": day, "{seq}": "1"}.get(
                m.group(0), "x1"), template)
            self.check(self.req(method, path, key=None), template, method)
        missing = sorted({(t, m) for t, m in self.spec.operations()}
                         - {(t, m) for t, m, _ in self.covered})
        self.assertEqual(missing, [], "operations never called")

    def has_operation(self, template, method):
        return method.lower() in self.spec.doc["paths"].get(template, {})

    def check_tail(self, app):
        """GET /v1/tail twice: the first stream ends after tail.max_seconds with an id to
        resume from; an event stored then comes in the second, resumed with that id. Each
        stream's data are StoredEvents, as the description says."""
        first = self.tail_once(app, None)
        ids = re.findall(r"^id: *(\S+)$", first, re.M)
        self.assertTrue(ids, f"no id to resume from: {first!r}")
        self.call("PUT", "/v1/event/{app}/{event}", f"/v1/event/{app}/tail.live",
                  body={"value": "live"}, status=204)
        second = self.tail_once(app, ids[-1])
        datas = [json.loads(line[5:]) for line in second.splitlines()
                 if line.startswith("data:")]
        self.assertEqual([(d["event"], d["value"]) for d in datas], [("tail.live", "live")])
        for d in datas:
            self.assertEqual(self.spec.errors({"$ref": "#/components/schemas/StoredEvent"}, d),
                             [], d)

    def tail_once(self, app, last_id):
        headers = {"X-API-Key": self.keys.all}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        s = SseStream(self.stack.port, f"{MOUNT}/v1/tail?app={app}", headers, timeout=30)
        try:
            body = s.read_body()
        finally:
            s.close()
        r = Response(s.status, "", s.headers, body)
        self.check(r, "/v1/tail", "GET", 200)
        return body.decode("utf-8")
