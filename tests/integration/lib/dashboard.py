"""The dashboard's stacks: the shipped nginx/itslog.conf and lighttpd/itslog.conf, adapted only
in what they name of a machine (port, worker socket, where the dashboard's files are), in front
of real workers; and the browser cases of tests/web/dashboard.test.mjs run against them.

DashboardNginxStack also starts a second server from the same shipped server block whose
workers are absent (its socket does not exist), so that the page can meet an API that does
not answer."""

import os
import shutil
import subprocess

from .procs import free_port
from .readside import REPO, ReadNginxStack
from .servers import LighttpdStack, which

CHROMIUM = "/usr/bin/chromium"
WEB_TESTS = os.path.join(REPO, "tests", "web")


def web_dir(build):
    return os.path.abspath(os.path.join(build, "web"))


def _replace(text, old, new, what):
    if old not in text:
        raise AssertionError(f"the shipped {what} no longer has {old!r}, which the tests adapt")
    return text.replace(old, new)


def shipped_nginx(port, socket, web):
    """nginx/itslog.conf with this machine's port, socket and dashboard folder."""
    with open(os.path.join(REPO, "nginx", "itslog.conf"), encoding="utf-8") as f:
        text = f.read()
    what = "nginx/itslog.conf"
    text = _replace(text, "    listen 80;\n", f"    listen 127.0.0.1:{port};\n", what)
    text = _replace(text, "    listen [::]:80;\n", "", what)
    text = _replace(text, "unix:/run/itslog/itslog.sock", f"unix:{socket}", what)
    text = _replace(text, "alias /usr/share/itslog/web/;", f"alias {web}/;", what)
    return text


class DashboardNginxStack(ReadNginxStack):
    """The read-side stack (keys, short tail) behind the shipped nginx config."""

    tools = ("nginx", "spawn-fcgi")

    def __init__(self, build, root_dir, name, **kw):
        super().__init__(build, root_dir, name, **kw)
        self.web = web_dir(build)
        self.dead_port = None

    def _conf(self):
        d = self.ngx_dir
        shutil.copyfile("/etc/nginx/fastcgi_params", os.path.join(d, "fastcgi_params"))
        with open(os.path.join(d, "itslog.conf"), "w") as f:
            f.write(shipped_nginx(self.port, self.socket, self.web))
        self.dead_port = free_port()
        dead = shipped_nginx(self.dead_port, os.path.join(self.dir, "no-workers.sock"), self.web)
        with open(os.path.join(d, "dead.conf"), "w") as f:
            f.write(dead[dead.index("\nserver {"):])
        return self._main_conf("  include itslog.conf;\n  include dead.conf;\n")


class DashboardLighttpdStack(LighttpdStack):
    """lighttpd with the shipped lighttpd/itslog.conf; lighttpd starts the workers itself (the
    conf's documented bin-path alternative)."""

    def __init__(self, build, root_dir, name, **kw):
        super().__init__(build, root_dir, name, **kw)
        self.web = web_dir(build)

    def _conf(self):
        with open(os.path.join(REPO, "lighttpd", "itslog.conf"), encoding="utf-8") as f:
            text = f.read()
        what = "lighttpd/itslog.conf"
        text = _replace(text, '"socket"      => "/run/itslog/itslog.sock",',
                        f'"socket" => "{self.dir}/fcgi.sock", "bin-path" => "{self.wrapper}", '
                        f'"bin-environment" => ( "ITSLOG_CONFIG" => "{self.config_path}" ), '
                        f'"max-procs" => {self.workers},', what)
        text = _replace(text, '"/its-log/ui/" => "/usr/share/itslog/web/"',
                        f'"/its-log/ui/" => "{self.web}/"', what)
        return f"""server.port = {self.port}
server.bind = "127.0.0.1"
server.document-root = "{self.docroot}"
server.errorlog = "{self.error_log}"
mimetype.assign = ( ".html" => "text/html", ".js" => "text/javascript", ".css" => "text/css",
                    ".svg" => "image/svg+xml" )
{text}
"""


def browser_missing():
    """What the browser cases need that this machine lacks (they are skipped then)."""
    missing = [t for t in ("node",) if which(t) is None]
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(CHROMIUM)
    return missing


def run_browser_case(case, env, timeout=120):
    """Runs one case of tests/web/dashboard.test.mjs; returns (exit code, output)."""
    r = subprocess.run([which("node"), os.path.join(WEB_TESTS, "dashboard.test.mjs"), case],
                       cwd=WEB_TESTS, env=dict(os.environ, **env), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout, stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout.decode("utf-8", "replace")
