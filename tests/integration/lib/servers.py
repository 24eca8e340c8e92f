"""Private web servers in front of the itslog worker, each in its own directory:

  NginxStack       nginx -> FastCGI unix socket -> spawn-fcgi -F N workers
  LighttpdStack    lighttpd mod_fastcgi, workers started by lighttpd ("bin-path", max-procs N)
  LighttpdCgiStack lighttpd mod_cgi: one itslog process per request (plain CGI)

All of them mount the API at /its-log/ on 127.0.0.1:<free port>. Every process is stopped by
its PID; worker PIDs come from spawn-fcgi's output or from the wrapper script that starts
each worker (it appends its PID, which exec keeps, to worker.pids)."""

import os
import re
import shutil
import subprocess
import time

from . import config as cfg
from . import http
from .procs import (Proc, children_of, file_size, free_port, pid_alive, pid_cmdline,
                    read_tail, stop_pids)

MOUNT = "/its-log"


def which(tool):
    return shutil.which(tool) or next(
        (p for p in (f"/usr/sbin/{tool}", f"/usr/bin/{tool}") if os.access(p, os.X_OK)), None)


class StartError(Exception):
    pass


class Stack:
    """Common parts: directory, config, keys, logs, readiness."""

    tools = ()
    description = ""

    def __init__(self, build, root_dir, name, workers=2, auth_required=True, limits=None,
                 extra=None):
        self.binary = os.path.abspath(os.path.join(build, "itslog"))
        self.dir = os.path.join(os.path.abspath(root_dir), name)
        os.makedirs(self.dir, exist_ok=True)
        self.data_dir = os.path.join(self.dir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.config_path = os.path.join(self.dir, "itslog.yaml")
        self.keys = cfg.Keys()
        self.auth_required = auth_required
        cfg.write_config(self.config_path, self.data_dir, self.keys, auth_required, limits, extra)
        self.workers = workers
        self.port = None
        self.worker_stderr = os.path.join(self.dir, "worker.stderr")
        self.worker_pids_file = os.path.join(self.dir, "worker.pids")
        self.log_files = [self.worker_stderr]

    @classmethod
    def missing_tools(cls):
        return [t for t in cls.tools if which(t) is None]

    # Logs -------------------------------------------------------------------------------
    def log_offsets(self):
        return {p: file_size(p) for p in self.log_files}

    def logs_since(self, offsets=None):
        out = []
        for p in self.log_files:
            text = read_tail(p, (offsets or {}).get(p, 0))
            if text.strip():
                out.append(f"--- {os.path.relpath(p, self.dir)} ({self.dir}) ---\n{text.rstrip()}")
        return "\n".join(out)

    # Workers ------------------------------------------------------------------------------
    def _write_wrapper(self, path, command):
        """A shell script that records its PID and execs the worker, stderr to a file."""
        with open(path, "w") as f:
            f.write("#!/bin/sh\n"
                    f"echo $$ >> '{self.worker_pids_file}'\n"
                    f"exec {command} 2>> '{self.worker_stderr}'\n")
        os.chmod(path, 0o755)

    def recorded_worker_pids(self):
        try:
            with open(self.worker_pids_file) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def _stop_recorded_workers(self):
        stop_pids([p for p in self.recorded_worker_pids()
                   if pid_alive(p) and "itslog" in pid_cmdline(p)], timeout=3.0)

    # Readiness ----------------------------------------------------------------------------
    def wait_ready(self, proc, timeout=15.0):
        """Until GET /its-log/healthz is answered by a worker (200 or 503, not a gateway
        error), or the front server died."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not proc.alive():
                raise StartError(f"{self.description} exited early\n{self.logs_since()}")
            try:
                r = http.request(self.port, "GET", MOUNT + "/healthz", timeout=5)
                last = r
                if r.status in (200, 503):
                    return
            except OSError as e:
                last = e
            time.sleep(0.1)
        raise StartError(f"{self.description} not ready after {timeout}s: last {last!r}\n"
                         f"{self.logs_since()}")

    def url(self, path):
        return MOUNT + path


class NginxStack(Stack):
    """nginx in front of workers started one of these ways (mode):
      spawn-fcgi  spawn-fcgi -F N: N processes sharing the socket on their fd 0 (the default)
      listen      itslog fcgi --listen SOCK --workers N: the worker's own supervisor forks N
      listen-tcp  the same on 127.0.0.1:<port>
      systemd     socket activation: the socket on fd 3, LISTEN_FDS=1, LISTEN_PID=<pid>"""

    tools = ("nginx", "spawn-fcgi")
    description = "nginx + spawn-fcgi"

    def __init__(self, build, root_dir, name, workers=2, mode="spawn-fcgi", **kw):
        super().__init__(build, root_dir, name, workers=workers, **kw)
        self.mode = mode
        self.supervisor = None  # Proc of "listen" modes and "systemd"
        self.listen_socket = None
        self.ngx_dir = os.path.join(self.dir, "nginx")
        os.makedirs(self.ngx_dir, exist_ok=True)
        self.socket = os.path.join(self.dir, "itslog.sock")
        self.upstream = f"unix:{self.socket}"
        if mode == "listen-tcp":
            self.tcp_port = free_port()
            self.upstream = f"127.0.0.1:{self.tcp_port}"
        self.error_log = os.path.join(self.ngx_dir, "error.log")
        self.wrapper = os.path.join(self.dir, "worker.sh")
        self._write_wrapper(self.wrapper, f"'{self.binary}' fcgi --config '{self.config_path}'")
        self.log_files = [self.error_log, os.path.join(self.ngx_dir, "stdout.log"),
                          os.path.join(self.dir, "spawn-fcgi.log"), self.worker_stderr]
        self.nginx = None
        self.worker_pids = []

    def _main_conf(self, http_body):
        """nginx.conf around http_body (the http{} block's servers or includes), with every
        path inside this stack's directory."""
        d = self.ngx_dir
        user = "user root root;\n" if os.geteuid() == 0 else ""
        return f"""daemon off;
master_process on;
worker_processes 2;
{user}pid {d}/nginx.pid;
error_log {self.error_log} info;
events {{ worker_connections 1024; }}
http {{
  access_log {d}/access.log;
  client_body_temp_path {d}/client_body_temp;
  proxy_temp_path {d}/proxy_temp;
  fastcgi_temp_path {d}/fastcgi_temp;
  uwsgi_temp_path {d}/uwsgi_temp;
  scgi_temp_path {d}/scgi_temp;
{http_body}}}
"""

    def _conf(self):
        return self._main_conf(f"""  server {{
    listen 127.0.0.1:{self.port};
    server_name localhost;
    location /its-log/ {{
      client_max_body_size 2m;
      fastcgi_split_path_info ^(/its-log)(/.*)$;
      fastcgi_param SCRIPT_NAME $fastcgi_script_name;
      fastcgi_param PATH_INFO $fastcgi_path_info;
      fastcgi_param REQUEST_METHOD $request_method;
      fastcgi_param CONTENT_TYPE $content_type;
      fastcgi_param CONTENT_LENGTH $content_length;
      fastcgi_param QUERY_STRING $query_string;
      fastcgi_param REQUEST_URI $request_uri;
      fastcgi_param DOCUMENT_URI $document_uri;
      fastcgi_param SERVER_PROTOCOL $server_protocol;
      fastcgi_param GATEWAY_INTERFACE CGI/1.1;
      fastcgi_param SERVER_SOFTWARE nginx/$nginx_version;
      fastcgi_param REMOTE_ADDR $remote_addr;
      fastcgi_param REMOTE_PORT $remote_port;
      fastcgi_param SERVER_ADDR $server_addr;
      fastcgi_param SERVER_PORT $server_port;
      fastcgi_param SERVER_NAME $server_name;
      fastcgi_pass {self.upstream};
    }}
  }}
""")

    def spawn_workers(self, n=None):
        """Starts n workers on the shared socket with spawn-fcgi -F n; returns their PIDs."""
        n = n or self.workers
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        r = subprocess.run([which("spawn-fcgi"), "-s", self.socket, "-F", str(n),
                            "-P", os.path.join(self.dir, "spawn.pid"), "--", self.wrapper],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        out = r.stdout.decode("utf-8", "replace")
        with open(os.path.join(self.dir, "spawn-fcgi.log"), "a") as f:
            f.write(out)
        pids = [int(p) for p in re.findall(r"child spawned successfully: PID: (\d+)", out)]
        self.worker_pids.extend(pids)
        if r.returncode != 0 or len(pids) != n:
            raise StartError(f"spawn-fcgi failed (rc {r.returncode}): {out}")
        return pids

    def start_itslog_listener(self):
        """The "listen", "listen-tcp" and "systemd" modes: one itslog process we start."""
        out = os.path.join(self.dir, "worker.stdout")
        conf = ["--config", self.config_path]
        if self.mode in ("listen", "listen-tcp"):
            if os.path.exists(self.socket):
                os.unlink(self.socket)
            addr = self.socket if self.mode == "listen" else f"127.0.0.1:{self.tcp_port}"
            argv = [self.binary, "fcgi", *conf, "--listen", addr, "--workers", str(self.workers)]
            self.supervisor = Proc(argv, out, self.worker_stderr)
        elif self.mode == "systemd":
            import socket as socketmod
            if os.path.exists(self.socket):
                os.unlink(self.socket)
            self.listen_socket = socketmod.socket(socketmod.AF_UNIX, socketmod.SOCK_STREAM)
            self.listen_socket.bind(self.socket)
            self.listen_socket.listen(128)
            fd = self.listen_socket.fileno()
            # LISTEN_PID must be the worker's own PID: the shell's, which exec keeps.
            script = ('LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=itslog; '
                      'export LISTEN_PID LISTEN_FDS LISTEN_FDNAMES; '
                      f'exec "$0" fcgi --config "$1" 3<&{fd}')
            self.supervisor = Proc(["/bin/sh", "-c", script, self.binary, self.config_path],
                                   out, self.worker_stderr, pass_fds=(fd,))
        else:
            raise ValueError(self.mode)
        self.worker_pids = [self.supervisor.pid]

    def live_worker_pids(self):
        """The processes serving requests (in "listen" modes: the supervisor's children)."""
        if self.mode in ("listen", "listen-tcp"):
            if self.supervisor is None or not self.supervisor.alive():
                return []
            return [p for p in children_of(self.supervisor.pid) if "itslog" in pid_cmdline(p)]
        return [p for p in self.worker_pids if pid_alive(p)]

    def stop_workers(self):
        pids = list(self.worker_pids)
        if self.supervisor is not None:
            pids += self.live_worker_pids()  # before the supervisor goes: they'd be orphans
            self.supervisor.stop(timeout=3.0)
            self.supervisor = None
        stop_pids(pids, timeout=3.0)
        self.worker_pids = []
        if self.listen_socket is not None:
            self.listen_socket.close()
            self.listen_socket = None

    def restart_workers(self, n=None):
        self.stop_workers()
        pids = self.spawn_workers(n)
        self.wait_ready(self.nginx)
        return pids

    def start(self):
        if self.mode == "spawn-fcgi":
            self.spawn_workers()
        else:
            self.start_itslog_listener()
        for _ in range(3):
            self.port = free_port()
            with open(os.path.join(self.ngx_dir, "nginx.conf"), "w") as f:
                f.write(self._conf())
            self.nginx = Proc([which("nginx"), "-p", self.ngx_dir + "/", "-e", self.error_log,
                               "-c", os.path.join(self.ngx_dir, "nginx.conf")],
                              os.path.join(self.ngx_dir, "stdout.log"))
            time.sleep(0.1)
            if self.nginx.alive() or "Address already in use" not in read_tail(self.error_log):
                break
        self.wait_ready(self.nginx)

    def stop(self):
        if self.nginx is not None:
            self.nginx.stop(timeout=10)
            # The master is gone; its workers follow it. Make sure by PID.
            stop_pids([p for p in _nginx_worker_pids(self.error_log)
                       if pid_alive(p) and "nginx" in pid_cmdline(p)])
        self.stop_workers()
        self._stop_recorded_workers()


def _nginx_worker_pids(error_log):
    text = read_tail(error_log, 0, 1 << 20)
    return [int(p) for p in re.findall(r"start worker process (\d+)", text)]


class LighttpdStack(Stack):
    tools = ("lighttpd",)
    description = "lighttpd mod_fastcgi"

    def __init__(self, build, root_dir, name, workers=2, **kw):
        super().__init__(build, root_dir, name, workers=workers, **kw)
        self.docroot = os.path.join(self.dir, "htdocs")
        os.makedirs(self.docroot, exist_ok=True)
        self.error_log = os.path.join(self.dir, "lighttpd-error.log")
        self.wrapper = os.path.join(self.dir, "worker.sh")
        # Config through the environment here (nginx passes --config): both ways are covered.
        self._write_wrapper(self.wrapper, f"'{self.binary}' fcgi")
        self.log_files = [self.error_log, os.path.join(self.dir, "lighttpd.stdout"),
                          self.worker_stderr]
        self.proc = None

    def _conf(self):
        return f"""server.port = {self.port}
server.bind = "127.0.0.1"
server.document-root = "{self.docroot}"
server.errorlog = "{self.error_log}"
server.max-request-size = 2048
server.modules = ( "mod_fastcgi" )
# Prefix "/its-log" (no trailing slash) gives SCRIPT_NAME=/its-log, PATH_INFO=/v1/...;
# the condition keeps "/its-log-other" out.
$HTTP["url"] =~ "^/its-log(/|$)" {{
  fastcgi.server = ( "/its-log" => ( (
    "bin-path" => "{self.wrapper}",
    "bin-environment" => ( "ITSLOG_CONFIG" => "{self.config_path}" ),
    "socket" => "{self.dir}/fcgi.sock",
    "max-procs" => {self.workers},
    "check-local" => "disable",
  ) ) )
}}
"""

    def live_worker_pids(self):
        return [p for p in self.recorded_worker_pids()
                if pid_alive(p) and "itslog" in pid_cmdline(p)]

    def start(self):
        for _ in range(3):
            self.port = free_port()
            conf = os.path.join(self.dir, "lighttpd.conf")
            with open(conf, "w") as f:
                f.write(self._conf())
            self.proc = Proc([which("lighttpd"), "-D", "-f", conf],
                             os.path.join(self.dir, "lighttpd.stdout"))
            time.sleep(0.2)
            if self.proc.alive() or "Address already in use" not in self.logs_since():
                break
        self.wait_ready(self.proc)

    def stop(self):
        if self.proc is not None:
            self.proc.stop(timeout=10)
        self._stop_recorded_workers()


class LighttpdCgiStack(Stack):
    """Plain CGI: /its-log runs `itslog fcgi --config CONF` per request; /its-log-bare runs
    `itslog` with no subcommand (GATEWAY_INTERFACE set) and ITSLOG_CONFIG."""

    tools = ("lighttpd",)
    description = "lighttpd mod_cgi"

    def __init__(self, build, root_dir, name, **kw):
        super().__init__(build, root_dir, name, workers=0, **kw)
        self.docroot = os.path.join(self.dir, "htdocs")
        os.makedirs(self.docroot, exist_ok=True)
        self.error_log = os.path.join(self.dir, "lighttpd-error.log")
        for script, command in (
                ("its-log", f"'{self.binary}' fcgi --config '{self.config_path}'"),
                ("its-log-bare", f"env ITSLOG_CONFIG='{self.config_path}' '{self.binary}'")):
            path = os.path.join(self.docroot, script)
            with open(path, "w") as f:
                f.write(f"#!/bin/sh\nexec {command} 2>> '{self.worker_stderr}'\n")
            os.chmod(path, 0o755)
        self.log_files = [self.error_log, os.path.join(self.dir, "lighttpd.stdout"),
                          self.worker_stderr]
        self.proc = None

    def _conf(self):
        return f"""server.port = {self.port}
server.bind = "127.0.0.1"
server.document-root = "{self.docroot}"
server.errorlog = "{self.error_log}"
server.max-request-size = 2048
server.modules = ( "mod_cgi" )
cgi.assign = ( "/its-log" => "", "/its-log-bare" => "" )
"""

    def live_worker_pids(self):
        return []

    def start(self):
        for _ in range(3):
            self.port = free_port()
            conf = os.path.join(self.dir, "lighttpd.conf")
            with open(conf, "w") as f:
                f.write(self._conf())
            self.proc = Proc([which("lighttpd"), "-D", "-f", conf],
                             os.path.join(self.dir, "lighttpd.stdout"))
            time.sleep(0.2)
            if self.proc.alive() or "Address already in use" not in self.logs_since():
                break
        self.wait_ready(self.proc)

    def stop(self):
        if self.proc is not None:
            self.proc.stop(timeout=10)
