"""Plain CGI: lighttpd mod_cgi starts one itslog process per request (`itslog fcgi` with fd 0
not a socket, and bare `itslog` with GATEWAY_INTERFACE set)."""

import json

from lib import http
from lib.base import StackTestCase
from lib.servers import LighttpdCgiStack


class CgiLighttpdTest(StackTestCase):
    stack_class = LighttpdCgiStack

    def tearDown(self):
        if self.stack is not None and not self.start_error:
            self.assertChainOk()

    def test_cgi_healthz(self):
        r = self.req("GET", "/healthz", key=None)
        self.assertStatus(r, 200)
        self.assertEqual(self.json_body(r).get("status"), "ok", r)

    def test_cgi_put_event(self):
        self.assertNoContent(self.req("PUT", f"/v1/event/{self.app}/cgi.put",
                                      {"value": "7", "type": 1}))
        rows = self.rows(self.app)
        self.assertEqual(len(rows), 1)
        self.assertRow(rows[0], self.app, "cgi.put", 1, "7")

    def test_cgi_post_log(self):
        self.assertNoContent(self.log({"event": "cgi.post", "value": "via cgi", "app": self.app}))
        rows = self.rows(self.app)
        self.assertEqual(len(rows), 1)
        self.assertRow(rows[0], self.app, "cgi.post", 3, "via cgi")

    def test_cgi_batch(self):
        items = [{"event": "cgi.b", "value": str(i), "app": self.app} for i in range(5)]
        r = self.log("\n".join(json.dumps(i) for i in items),
                     headers={"Content-Type": "application/x-ndjson"})
        self.assertStatus(r, 200)
        body = self.json_body(r)
        self.assertEqual((body.get("accepted"), body.get("rejected")), (5, 0), r)
        self.assertEqual([x["value"] for x in self.rows(self.app)], [str(i) for i in range(5)])

    def test_cgi_unique(self):
        self.assertStatus(self.req("PUT", f"/v1/unique/{self.app}/cgi.u"), 201)
        r = self.req("PUT", f"/unique/{self.app}/cgi.u")
        self.assertStatus(r, 200)
        self.assertEqual(self.json_body(r).get("duplicate"), True, r)
        self.assertEqual(len(self.rows(self.app)), 1)

    def test_cgi_seed_form_double_slash(self):
        raw = (f"PUT //its-log/{self.app}/cgi.seed HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"X-API-Key: {self.keys.all}\r\nConnection: close\r\n\r\n").encode()
        self.assertNoContent(http.raw_request(self.stack.port, raw, method="PUT"))
        self.assertEqual([r["event"] for r in self.rows(self.app)], ["cgi.seed"])

    def test_cgi_bare_binary_acts_as_fcgi(self):
        r = self.req("PUT", f"/v1/event/{self.app}/cgi.bare", mount="/its-log-bare")
        self.assertNoContent(r)
        self.assertEqual([r["event"] for r in self.rows(self.app)], ["cgi.bare"])

    def test_cgi_errors(self):
        before = self.count()
        self.assertError(self.req("PUT", f"/v1/event/{self.app}/e", key=None), 401, "missing_key")
        self.assertError(self.log('{"event":'), 400, "invalid_json")
        self.assertError(self.log({"event": "e", "value": "x" * 5000, "app": self.app}), 413,
                         "body_too_large")
        self.assertError(self.req("GET", "/v1/log"), 405, "method_not_allowed")
        self.assertError(self.req("GET", "/v1/nope"), 404, "not_found")
        self.assertNothingStored(before)
