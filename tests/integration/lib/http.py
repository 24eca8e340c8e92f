"""A small HTTP/1.1 client: one connection per request, the path sent exactly as given."""

import http.client
import json
import socket


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) as received
        self.body = body        # bytes

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        body = self.text()
        if len(body) > 600:
            body = body[:600] + "..."
        return f"<{self.status} {self.reason} {self.headers!r} {body!r}>"


def request(port, method, path, body=None, headers=None, timeout=30.0):
    """Sends one request to 127.0.0.1:port. body: bytes, str, or any other value as JSON.
    The path goes on the request line as given (e.g. '//its-log/a/b')."""
    hdrs = {"Connection": "close"}
    if headers:
        hdrs.update(headers)
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body, ensure_ascii=False)
        hdrs.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode("utf-8")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in hdrs.items():
            conn.putheader(k, v)
        if body is not None or method in ("PUT", "POST"):
            if "Content-Length" not in hdrs:
                conn.putheader("Content-Length", str(len(body or b"")))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.reason, resp.getheaders(), data)
    finally:
        conn.close()


def raw_request(port, raw, method="GET", timeout=30.0):
    """Writes raw bytes (a complete request) to the server and parses the one response."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        sock.sendall(raw)
        resp = http.client.HTTPResponse(sock, method=method)
        resp.begin()
        data = resp.read()
        return Response(resp.status, resp.reason, resp.getheaders(), data)
    finally:
        sock.close()
