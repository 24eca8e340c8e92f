"""A private PostgreSQL cluster for the analysis tests, made with Debian's own binaries
(/usr/lib/postgresql/<version>/bin): initdb into a fresh temporary directory, the server on a
free loopback port with its socket in that directory, stopped with pg_ctl and, should that
fail, by the PID in postmaster.pid. PostgreSQL refuses to run as root, so as root the server
runs as the `postgres` system user (or `nobody`) through runuser."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile

from .procs import free_port, pid_alive, stop_pid

SUPERUSER = "itslog"


def bin_dir():
    """The newest /usr/lib/postgresql/<version>/bin holding initdb, pg_ctl and postgres."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        if all(os.access(os.path.join(d, t), os.X_OK) for t in ("initdb", "pg_ctl", "postgres")):
            try:
                found.append((int(d.split("/")[-2]), d))
            except ValueError:
                continue
    return max(found)[1] if found else None


def missing_reason():
    """Why a cluster cannot be started here, or None."""
    if bin_dir() is None:
        return ("PostgreSQL server binaries not installed (/usr/lib/postgresql/*/bin/initdb; "
                "scripts/install-deps.sh installs the Debian package postgresql)")
    if shutil.which("psql") is None:
        return "psql not installed (Debian package postgresql-client)"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root and runuser (util-linux) is missing"
        if _server_user() is None:
            return "running as root and neither a postgres nor a nobody user exists"
    return None


def _server_user():
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    return None


class PgCluster:
    def __init__(self):
        self.bin = bin_dir()
        self.base = None
        self.port = None
        self.user = None  # pwd entry when the server runs as another user
        self.postmaster_pid = None

    def _argv(self, tool, *args):
        argv = [os.path.join(self.bin, tool), *args]
        if self.user is not None:
            argv = ["runuser", "-u", self.user.pw_name, "--", *argv]
        return argv

    def _run(self, tool, *args, timeout=120):
        r = subprocess.run(self._argv(tool, *args), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, cwd=self.base)
        if r.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed (rc {r.returncode}):\n"
                               f"{r.stdout.decode('utf-8', 'replace')}\n{self.log_text()}")
        return r.stdout.decode("utf-8", "replace")

    @property
    def data_dir(self):
        return os.path.join(self.base, "data")

    @property
    def socket_dir(self):
        return os.path.join(self.base, "sock")

    @property
    def log_path(self):
        return os.path.join(self.base, "server.log")

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def start(self):
        self.base = tempfile.mkdtemp(prefix="itslog-pg-")
        os.makedirs(self.socket_dir)
        if os.geteuid() == 0:
            self.user = _server_user()
            for p in (self.base, self.socket_dir):
                os.chown(p, self.user.pw_uid, self.user.pw_gid)
        # The base and socket directories must be reachable by the client (this process).
        os.chmod(self.base, 0o755)
        os.chmod(self.socket_dir, 0o755)
        self._run("initdb", "-D", self.data_dir, "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        for attempt in range(3):
            self.port = free_port()
            opts = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
                    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            try:
                self._run("pg_ctl", "-D", self.data_dir, "-l", self.log_path, "-o", opts,
                          "-w", "-t", "60", "start")
                break
            except RuntimeError:
                if attempt == 2 or "Address already in use" not in self.log_text():
                    raise
        with open(os.path.join(self.data_dir, "postmaster.pid")) as f:
            self.postmaster_pid = int(f.readline())

    def env(self, base=None):
        """The environment psql reads (PGHOST, PGPORT, PGUSER, PGDATABASE)."""
        env = dict(os.environ if base is None else base)
        for k in list(env):
            if k.startswith("PG"):
                del env[k]
        env.update(PGHOST=self.socket_dir, PGPORT=str(self.port), PGUSER=SUPERUSER,
                   PGDATABASE="postgres")
        return env

    def psql(self, sql, timeout=60):
        """Runs SQL with psql; rows as lists of strings (unaligned, tab-separated)."""
        r = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env(),
                           timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"psql failed (rc {r.returncode}): {r.stderr.decode()}")
        out = r.stdout.decode("utf-8")
        return [line.split("\t") for line in out.splitlines()]

    def stop(self):
        if self.base is None:
            return
        try:
            if self.postmaster_pid is not None and pid_alive(self.postmaster_pid):
                try:
                    self._run("pg_ctl", "-D", self.data_dir, "-m", "fast", "-w", "-t", "30",
                              "stop", timeout=60)
                except (RuntimeError, subprocess.TimeoutExpired):
                    pass
                if pid_alive(self.postmaster_pid):
                    stop_pid(self.postmaster_pid, timeout=10)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None
