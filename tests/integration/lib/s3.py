"""Local S3-compatible servers for the integration tests, started on free loopback ports and
stopped by PID: @20minutes/s3rver (checks SigV4 signatures; installed by
scripts/install-s3-test-deps.sh, called here when missing) and moto_server (honours
If-None-Match: *). boto3 is the independent client that reads back what its-log wrote.
FaultProxy sits between its-log and a server to make chosen requests fail. S3ServerTestCase
gives a test class one such server with a FaultProxy in front of it."""

import http.client
import http.server
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from .base import Settings
from .procs import free_port, read_tail, stop_pid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
S3_DIR = os.path.join(ROOT, "tests", "s3")
BUCKET = "its-log"
S3RVER_KEY = ("S3RVER", "S3RVER")
MOTO_KEY = ("testing", "testing")


def wait_port(port, proc=None, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class Server:
    """A child process, output in a log file, stopped by its PID."""

    def __init__(self, argv, log_path, env=None):
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=env, cwd=ROOT)

    def stop(self):
        stop_pid(self.proc.pid)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def log(self, offset=0):
        return read_tail(self.log_path, offset)


def s3rver_missing():
    if shutil.which("node") is None:
        return "node not installed"
    cli = os.path.join(S3_DIR, "node_modules", "@20minutes", "s3rver", "lib", "cli.js")
    if not os.path.exists(cli):
        subprocess.run([os.path.join(ROOT, "scripts", "install-s3-test-deps.sh")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, check=False)
    if not os.path.exists(cli):
        return "@20minutes/s3rver not installed (scripts/install-s3-test-deps.sh)"
    try:
        import boto3  # noqa: F401
    except ImportError:
        return "boto3 not installed"
    return None


def start_s3rver(work_dir):
    port = free_port()
    # s3rver's continuation tokens use DES, which Node 20's OpenSSL 3 only has in its legacy
    # provider.
    server = Server(["node", "--openssl-legacy-provider", os.path.join(S3_DIR, "s3rver.js"),
                     "--directory", os.path.join(work_dir, "s3rver-data"),
                     "--address", "127.0.0.1", "--port", str(port),
                     "--configure-bucket", BUCKET, "--silent"],
                    os.path.join(work_dir, "s3rver.log"))
    try:
        wait_port(port, server.proc)
    except Exception:
        server.stop()
        raise
    server.port = port
    server.endpoint = f"http://127.0.0.1:{port}"
    server.key = S3RVER_KEY
    return server


def start_moto(work_dir):
    port = free_port()
    server = Server(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                    os.path.join(work_dir, "moto.log"))
    try:
        wait_port(port, server.proc)
    except Exception:
        server.stop()
        raise
    server.port = port
    server.endpoint = f"http://127.0.0.1:{port}"
    server.key = MOTO_KEY
    boto(server).create_bucket(Bucket=BUCKET)
    return server


def boto(server, key=None):
    import boto3
    from botocore.config import Config
    key = key or server.key
    return boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=key[0], aws_secret_access_key=key[1],
                        config=Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}))


class FaultProxy:
    """An HTTP proxy in front of an S3 server. Rules pick requests by method (None: any) and
    a substring of the path with query; a rule lets its first `after` matches through, then
    answers 500 (count times; -1: always), answers 404 without asking the server ("404": a
    HEAD that saw nothing, as if it ran before another writer's upload), drops the connection
    without an answer ("drop"),
    passes the request on but drops the answer ("lose"), or
    holds the request: it sets rule["arrived"] and waits until rule["release"] is set (the
    test kills `ship` meanwhile). The Host header is passed on unchanged, so SigV4 signatures
    stay valid. `seen` lists (method, path, status) of the requests passed on."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.rules = []
        self.lock = threading.Lock()
        self.seen = []
        self.statuses = []  # (method, path, status) of what the server answered
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _rule(self):
                with proxy.lock:
                    proxy.seen.append((self.command, self.path))
                    for r in proxy.rules:
                        if (r["method"] in (None, self.command) and r["match"] in self.path
                                and r["count"] != 0):
                            if r["after"] > 0:
                                r["after"] -= 1
                                continue
                            if r["count"] > 0:
                                r["count"] -= 1
                            return r
                return None

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rule = self._rule()
                if rule is not None and rule["action"] == "hold":
                    rule["arrived"].set()
                    rule["release"].wait(60)
                    self.close_connection = True
                    return
                if rule is not None and rule["action"] == "drop":
                    self.close_connection = True
                    return
                if rule is not None and rule["action"] == "404":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if rule is not None and rule["action"] == "500":
                    msg = (b"<?xml version=\"1.0\"?><Error><Code>InternalError</Code>"
                           b"<Message>injected by the test</Message></Error>")
                    self.send_response(500)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    return
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("connection", "keep-alive", "expect",
                                                "transfer-encoding")}
                conn.request(self.command, self.path, body=body if length else None,
                             headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                with proxy.lock:
                    proxy.statuses.append((self.command, self.path, resp.status))
                if rule is not None and rule["action"] == "lose":
                    conn.close()
                    self.close_connection = True  # done upstream, the answer never arrives
                    return
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("connection", "keep-alive", "transfer-encoding",
                                         "content-length", "date", "server"):
                        self.send_header(k, v)
                if self.command == "HEAD":
                    self.send_header("Content-Length", resp.getheader("Content-Length", "0"))
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def add(self, method, match, action, count=-1, after=0):
        rule = dict(method=method, match=match, action=action, count=count, after=after,
                    arrived=threading.Event(), release=threading.Event())
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self):
        with self.lock:
            for r in self.rules:
                r["release"].set()
            self.rules = []
            self.seen = []
            self.statuses = []

    def stop(self):
        self.clear()
        self.httpd.shutdown()
        self.httpd.server_close()


class S3ServerTestCase(unittest.TestCase):
    """A test class sharing one local S3 server, `server_kind` "moto" or "s3rver", started by
    setUpClass on a free loopback port in a fresh directory (cls.root), with a FaultProxy in
    front of it (cls.proxy) whose rules setUp clears before each test; tearDownClass stops
    both by PID. Subclasses add what else they need: missing() gives a reason to skip (by
    default: a tool that `stack_class` needs is not installed), start_stacks() starts the
    class's own processes once the server and the proxy run (an exception there, as in
    starting the server, fails every test of the class with start_logs()), stop_stacks()
    stops them first. `what_starts` names all that in the failure message. cls.binary is the
    itslog binary of the build under test."""

    server_kind = "moto"
    what_starts = "the S3 server"
    stack_class = None  # the servers.Stack subclass that start_stacks() starts, if any
    server = proxy = None
    skip_reason = start_error = None

    @classmethod
    def setUpClass(cls):
        cls.server = cls.proxy = None
        cls.skip_reason = cls.start_error = None
        cls.binary = os.path.join(Settings.build, "itslog")
        cls.root = tempfile.mkdtemp(prefix=f"itslog-{cls.__name__}-",
                                    dir=Settings.root_dir or None)
        if cls.server_kind == "s3rver":
            cls.skip_reason = s3rver_missing()
        elif shutil.which("moto_server") is None:
            cls.skip_reason = "moto_server not installed"
        cls.skip_reason = cls.skip_reason or cls.missing()
        if cls.skip_reason:
            return
        try:
            cls.server = (start_s3rver(cls.root) if cls.server_kind == "s3rver"
                          else start_moto(cls.root))
            cls.proxy = FaultProxy(cls.server.port)
            cls.start_stacks()
        except Exception as e:  # reported by every test of the class
            cls.start_error = f"{e}\n{cls.start_logs()}"

    @classmethod
    def tearDownClass(cls):
        try:
            cls.stop_stacks()
        finally:
            if cls.proxy is not None:
                cls.proxy.stop()
            if cls.server is not None:
                cls.server.stop()
            if not Settings.root_dir:
                shutil.rmtree(cls.root, ignore_errors=True)

    @classmethod
    def missing(cls):
        """Why the class cannot run besides a missing S3 server, or None."""
        missing = cls.stack_class.missing_tools() if cls.stack_class is not None else []
        return f"not installed: {', '.join(missing)}" if missing else None

    @classmethod
    def start_stacks(cls):
        pass

    @classmethod
    def stop_stacks(cls):
        pass

    @classmethod
    def start_logs(cls):
        return cls.server.log() if cls.server is not None else ""

    def setUp(self):
        if self.skip_reason:
            self.skipTest(self.skip_reason)
        if self.start_error:
            self.fail(f"{self.what_starts} did not start:\n{self.start_error}")
        self.proxy.clear()
