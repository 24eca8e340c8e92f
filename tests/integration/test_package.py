"""The Debian package (`make deb`): its control fields, files and unit paths, lintian; the man
pages, the bash completion and docs/OPERATIONS.md against the command table and the config
keys; and, when run as root, the package installed with dpkg -i, tried (itslog --version,
man -l, systemd-analyze verify) and removed and purged again, leaving the data directory
alone. Installing touches the machine: the test holds a lock so that two runs never overlap,
and always removes the package again, so no /usr/bin/itslog is left to shadow build/itslog."""

import fcntl
import glob
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from lib.base import Settings

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INSTALL_LOCK = "/run/lock/itslog-package-test.lock"
TOOLS = ["dpkg-buildpackage", "dh", "dpkg-deb", "lintian", "man", "pkg-config"]


def run(cmd, timeout=600, check=True, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited with {p.returncode}:\n{p.stdout[-6000:]}")
    return p


def project_version():
    with open(os.path.join(ROOT, "src/core/version.h")) as f:
        return re.search(r'kVersion\[\] = "([^"]+)"', f.read()).group(1)


def help_commands(binary):
    """{name: usage} from `itslog --help` (the command table)."""
    out = run([binary, "--help"]).stdout
    commands = {}
    lines = out.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^  ([a-z][a-z0-9-]*) ", line)
        if m and i + 1 < len(lines) and lines[i + 1].strip().startswith("itslog " + m.group(1)):
            commands[m.group(1)] = lines[i + 1].strip()
    return commands


def parsed_options():
    """{command or None: options} from the ParseArgs calls in src/cli/: what each command
    really accepts. A file <name>_command.cc belongs to the command <name> ('_' as '-')."""
    found = {}
    for path in glob.glob(os.path.join(ROOT, "src/cli/*.cc")):
        with open(path) as f:
            text = f.read()
        base = os.path.basename(path)
        m = re.match(r"(.+)_commands?\.cc$", base)
        command = m.group(1).replace("_", "-") if m else None
        for call in re.finditer(r"ParseArgs\(\s*\w+\s*,\s*\{([^}]*)\}\s*,\s*\{([^}]*)\}", text):
            opts = re.findall(r'"(-[^"]*)"', call.group(1) + call.group(2))
            found.setdefault(command, set()).update(opts)
    return found


def config_keys():
    """Key paths and ITSLOG_* variables as declared in src/config/config_keys.{h,cc}."""
    text = ""
    for name in ("config_keys.h", "config_keys.cc"):
        path = os.path.join(ROOT, "src/config", name)
        if os.path.exists(path):
            with open(path) as f:
                text += f.read()
    keys = re.findall(r'\{\s*"([a-z0-9_.\[\]]+)",\s*ConfigKeyType::', text)
    secrets = re.findall(r'\{\s*"([a-z0-9_.]+)",\s*"(ITSLOG_[A-Z0-9_]+)"\s*\}', text)
    variables = re.findall(r'\{\s*"(ITSLOG_[A-Z0-9_<>]+)",\s*"', text)
    return keys, secrets, variables


def render_man(path):
    """The page as plain text, wide, unhyphenated; and groff's warnings."""
    env = dict(os.environ, LC_ALL="C", MANWIDTH="250", MAN_KEEP_FORMATTING="")
    p = subprocess.run(["man", "--warnings", "--nh", "--nj", "-l", path], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


class PackageTest(unittest.TestCase):
    deb = None
    error = None
    skip_reason = None

    @classmethod
    def setUpClass(cls):
        missing = [t for t in TOOLS if shutil.which(t) is None]
        if missing:
            cls.skip_reason = f"not installed: {', '.join(missing)} (scripts/install-deps.sh)"
            return
        cls.build = os.path.abspath(Settings.build)
        cls.binary = os.path.join(cls.build, "itslog")
        cls.version = project_version()
        cls.tmp = tempfile.mkdtemp(prefix="package-", dir=Settings.root_dir)
        p = run(["make", "-s", "--no-print-directory", "deb", f"BUILD={cls.build}"],
                timeout=900, check=False, cwd=ROOT)
        cls.build_log = p.stdout
        debs = glob.glob(os.path.join(cls.build, f"itslog_{cls.version}_*.deb"))
        if p.returncode != 0 or len(debs) != 1:
            cls.error = f"make deb failed ({p.returncode}), found {debs}:\n{p.stdout[-8000:]}"
            return
        cls.deb = debs[0]
        cls.tree = os.path.join(cls.tmp, "tree")
        run(["dpkg-deb", "-x", cls.deb, cls.tree])
        cls.listing = run(["dpkg-deb", "-c", cls.deb]).stdout
        cls.control = os.path.join(cls.tmp, "control")
        run(["dpkg-deb", "-e", cls.deb, cls.control])

    def setUp(self):
        if self.skip_reason:
            self.skipTest(self.skip_reason)
        if self.error:
            self.fail(self.error)

    def field(self, name):
        return run(["dpkg-deb", "-f", self.deb, name]).stdout.strip()

    def entries(self):
        """{path: (mode, owner)} of the package's files, as dpkg-deb -c lists them."""
        out = {}
        for line in self.listing.splitlines():
            parts = line.split(None, 5)
            path = os.path.normpath(parts[5].split(" -> ")[0]).lstrip("/")
            out[path] = (parts[0], parts[1])
        return out

    def units(self):
        return sorted(glob.glob(os.path.join(self.tree, "lib/systemd/system/itslog*")))

    # --- the package itself --------------------------------------------------------------

    def test_control_fields(self):
        self.assertEqual(self.field("Package"), "itslog")
        self.assertEqual(self.field("Version"), self.version)
        # Depends computed by dpkg-shlibdeps from the binary's libraries.
        depends = self.field("Depends")
        for lib in ("libc6", "libsqlite3-0", "libfcgi0ldbl", "libssl3", "libstdc++6"):
            self.assertRegex(depends, rf"(^|, ){re.escape(lib)}\b", depends)
        self.assertNotIn("libcurl", depends)
        # libcurl is dlopen()ed: recommended, by the package holding the soname loaded.
        with open(os.path.join(ROOT, "src/net/curl_library.cc")) as f:
            soname = re.search(r'kSoname = "([^"]+)"', f.read()).group(1)
        owner = run(["dpkg-query", "-S", f"*/{soname}"], check=False).stdout
        expected = {line.split(":")[0] for line in owner.splitlines() if ":" in line}
        self.assertTrue(expected, f"no installed package ships {soname}")
        self.assertIn(self.field("Recommends"), expected)
        self.assertEqual(self.field("Suggests"), "nginx | lighttpd")

    def test_file_list(self):
        e = self.entries()
        expect = {
            "usr/bin/itslog": ("-rwxr-xr-x", "root/root"),
            "etc/itslog/itslog.yaml": ("-rw-r-----", "root/root"),
            "usr/share/man/man1/itslog.1.gz": ("-rw-r--r--", "root/root"),
            "usr/share/man/man5/itslog.yaml.5.gz": ("-rw-r--r--", "root/root"),
            "usr/share/bash-completion/completions/itslog": ("-rw-r--r--", "root/root"),
            "usr/share/itslog/nginx/itslog.conf": ("-rw-r--r--", "root/root"),
            "usr/share/itslog/lighttpd/itslog.conf": ("-rw-r--r--", "root/root"),
            "usr/share/doc/itslog/OPERATIONS.md": ("-rw-r--r--", "root/root"),
            "usr/share/doc/itslog/README.md": ("-rw-r--r--", "root/root"),
            "usr/share/doc/itslog/copyright": ("-rw-r--r--", "root/root"),
            "usr/share/doc/itslog/itslog.yaml.example": ("-rw-r--r--", "root/root"),
        }
        for path, (mode, owner) in expect.items():
            self.assertIn(path, e, f"{path} not in the package:\n{self.listing}")
            self.assertEqual(e[path], (mode, owner), path)
        # Every unit of systemd/ is shipped in the unit directory.
        for unit in glob.glob(os.path.join(ROOT, "systemd/*")):
            self.assertIn("lib/systemd/system/" + os.path.basename(unit), e)
        self.assertFalse([p for p in e if p.startswith("usr/local")], self.listing)
        with open(os.path.join(self.control, "conffiles")) as f:
            self.assertIn("/etc/itslog/itslog.yaml", f.read().split())

    def test_package_holds_what_make_install_installs(self):
        dest = os.path.join(self.tmp, "make-install")
        run(["make", "-s", "--no-print-directory", "install", f"BUILD={self.build}",
             "PREFIX=/usr", "SYSTEMD_UNIT_DIR=/lib/systemd/system", f"DESTDIR={dest}"],
            cwd=ROOT)
        installed = set()
        for d, _, files in os.walk(dest):
            for name in files:
                rel = os.path.relpath(os.path.join(d, name), dest)
                if rel.startswith("usr/share/man/"):
                    rel += ".gz"  # dh_compress
                installed.add(rel)
        self.assertIn("usr/bin/itslog", installed)
        missing = sorted(installed - set(self.entries()))
        self.assertEqual(missing, [], "installed by make install but not in the package")

    def test_units_start_usr_bin_itslog(self):
        units = self.units()
        self.assertGreaterEqual(len(units), 6)
        for unit in units:
            with open(unit) as f:
                text = f.read()
            self.assertNotIn("/usr/local", text, unit)
            for line in re.findall(r"^ExecStart=(.*)$", text, re.M):
                self.assertRegex(line, r"^/usr/bin/itslog ", unit)
            for doc in re.findall(r"^Documentation=(.*)$", text, re.M):
                for uri in doc.split():
                    if uri.startswith("file:"):
                        self.assertTrue(os.path.exists(self.tree + uri[5:]), f"{unit}: {uri}")
        with open(os.path.join(self.tree, "lib/systemd/system/itslog.service")) as f:
            self.assertRegex(f.read(), r"(?m)^ExecStart=/usr/bin/itslog fcgi ")

    def test_make_install_prefix_reaches_the_units(self):
        dest = os.path.join(self.tmp, "prefix")
        run(["make", "-s", "--no-print-directory", "install", f"BUILD={self.build}",
             "PREFIX=/opt/itslog", f"DESTDIR={dest}"], cwd=ROOT)
        service = os.path.join(dest, "opt/itslog/lib/systemd/system/itslog.service")
        with open(service) as f:
            text = f.read()
        self.assertRegex(text, r"(?m)^ExecStart=/opt/itslog/bin/itslog fcgi ")
        self.assertIn("file:/opt/itslog/share/doc/itslog/OPERATIONS.md", text)
        self.assertNotIn("/usr/local", text)
        self.assertTrue(os.access(os.path.join(dest, "opt/itslog/bin/itslog"), os.X_OK))
        for snippet in ("nginx", "lighttpd"):
            with open(os.path.join(dest, f"opt/itslog/share/itslog/{snippet}/itslog.conf")) as f:
                text = f.read()
            self.assertNotIn("/usr/share/itslog", text, snippet)
            self.assertRegex(text, r'(alias|=>) "?/opt/itslog/share/itslog/web/"?', snippet)

    def test_lintian_clean(self):
        p = run(["lintian", "--fail-on", "error,warning", "--tag-display-limit", "0", self.deb],
                timeout=600, check=False)
        tags = [l for l in p.stdout.splitlines() if re.match(r"^[EW]: ", l)]
        self.assertEqual(tags, [], p.stdout)
        self.assertEqual(p.returncode, 0, p.stdout)

    def test_maintainer_scripts_neither_enable_nor_start(self):
        with open(os.path.join(self.control, "postinst")) as f:
            postinst = f.read()
        self.assertIn("nothing is enabled or started", postinst)
        self.assertNotRegex(postinst, r"(?m)^\s*(systemctl|deb-systemd-invoke) (--system )?"
                                      r"(start|restart|enable)")
        # deb-systemd-helper enables a unit again on upgrades only if the admin had enabled it.
        for m in re.finditer(r"deb-systemd-helper enable", postinst):
            self.assertIn("was-enabled", postinst[max(0, m.start() - 200):m.start()])
        self.assertRegex(postinst, r"(?m)^\s*systemctl --system daemon-reload")
        with open(os.path.join(self.control, "postrm")) as f:
            postrm = f.read()
        self.assertIn("purge", postrm)
        self.assertNotRegex(postrm, r"(?m)^[^#]*/var/lib", "maintainer scripts touch no data")

    # --- man pages, completion and docs against the sources ---------------------------------

    def test_man_pages_cover_every_command_option_and_key(self):
        rc, page1, warn1 = render_man(os.path.join(self.tree, "usr/share/man/man1/itslog.1.gz"))
        self.assertEqual((rc, warn1), (0, ""))
        rc, page5, warn5 = render_man(
            os.path.join(self.tree, "usr/share/man/man5/itslog.yaml.5.gz"))
        self.assertEqual((rc, warn5), (0, ""))
        self.assertIn("ITSLOG(1)", page1)
        self.assertIn(f"itslog {self.version}", page1)
        self.assertIn("EXIT STATUS", page1)
        self.assertIn("/etc/itslog/itslog.yaml", page1)
        self.assertIn("/usr/share/itslog/nginx/itslog.conf", page1)
        self.assertNotIn("/usr/local", page1 + page5)
        flat1 = " ".join(page1.split())
        commands = help_commands(self.binary)
        self.assertGreaterEqual(len(commands), 9, commands)
        options = parsed_options()
        for name, usage in commands.items():
            self.assertIn(" ".join(usage.split()), flat1, f"usage of {name} not in itslog(1)")
            for opt in options.get(name, set()):
                self.assertRegex(usage, rf"[\[ |]{re.escape(opt)}[\] |]",
                                 f"{name} accepts {opt} but --help does not say so")
        every_usage = " ".join(commands.values())
        for opt in set().union(*options.values()):
            self.assertIn(opt, every_usage, f"{opt} is in no command's usage")
        for opt in ("--config", "--help", "--version"):
            self.assertIn(opt, flat1)
        keys, secrets, variables = config_keys()
        self.assertGreaterEqual(len(keys), 30)
        flat5 = " ".join(page5.split())
        for key in keys:
            self.assertRegex(flat5, rf"(^| ){re.escape(key)} \(", f"{key} not in itslog.yaml(5)")
        self.assertRegex(flat5, r"limits\.max_batch \(integer 1\.\.2147483647, default 10000\)")
        self.assertIn("data_dir (string, required) ", flat5)
        self.assertIn("Replaced by ITSLOG_DATA_DIR from the environment", flat5)
        for key, var in secrets:
            self.assertIn(key, flat5)
            self.assertIn(var, flat5)
        for var in variables:
            self.assertIn(var, flat5, f"{var} not in itslog.yaml(5)")
            self.assertIn(var, flat1, f"{var} not in itslog(1)")

    def test_operations_md_in_step(self):
        with open(os.path.join(ROOT, "docs/OPERATIONS.md")) as f:
            ops = f.read()
        block = re.search(r"<!-- config-keys:begin[^\n]*-->\n(.*?)<!-- config-keys:end -->",
                          ops, re.S)
        self.assertIsNotNone(block, "config-keys markers missing in docs/OPERATIONS.md")
        generated = run([os.path.join(self.build, "itslog-docgen"), "config-markdown"]).stdout
        self.assertEqual(block.group(1), generated,
                         "docs/OPERATIONS.md's configuration tables differ from "
                         "`build/itslog-docgen config-markdown`: paste its output between the "
                         "config-keys markers")
        section = ops[ops.index("## Command line"):]
        for name in help_commands(self.binary):
            self.assertIn(f"`itslog {name}", section, f"{name} not in OPERATIONS.md")

    def completion(self, *words):
        """COMPREPLY of the packaged completion for the command line `itslog words...`."""
        script = f"""
            source /usr/share/bash-completion/bash_completion
            source {self.tree}/usr/share/bash-completion/completions/itslog
            COMP_WORDS=(itslog {' '.join(repr(w) for w in words)})
            COMP_CWORD={len(words)}
            COMP_LINE="${{COMP_WORDS[*]}}"
            COMP_POINT=${{#COMP_LINE}}
            _itslog itslog "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
            printf '%s\\n' "${{COMPREPLY[@]}}"
        """
        p = run(["bash", "-c", script], cwd=self.tmp)
        return set(p.stdout.split())

    def test_bash_completion(self):
        if not os.path.exists("/usr/share/bash-completion/bash_completion"):
            self.skipTest("bash-completion is not installed (scripts/install-deps.sh)")
        commands = help_commands(self.binary)
        self.assertEqual(self.completion(""), set(commands) | {"--help", "--version"})
        self.assertEqual(self.completion("ch"), {"check-config"})
        options = parsed_options()
        for name in commands:
            offered = self.completion(name, "-")
            self.assertIn("--help", offered, name)
            self.assertLessEqual(options.get(name, set()), offered, name)
        self.assertEqual(self.completion("export", "x", "--format", ""), {"jsonl", "csv"})
        open(os.path.join(self.tmp, "seal-for-completion.json"), "w").close()
        self.assertIn("seal-for-completion.json", self.completion("verify", "--seal", "seal-"))
        self.assertEqual(self.completion("fcgi", "--workers", ""), set())

    # --- installed on this machine ---------------------------------------------------------

    def test_install_try_remove_purge(self):
        if os.geteuid() != 0:
            self.skipTest("dpkg -i needs root (CI machines run the tests as root); not run")
        os.makedirs(os.path.dirname(INSTALL_LOCK), exist_ok=True)
        with open(INSTALL_LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another run of this test waits here
            if os.path.exists("/usr/bin/itslog") and run(
                    ["dpkg", "-S", "/usr/bin/itslog"], check=False).returncode != 0:
                self.skipTest("/usr/bin/itslog exists and belongs to no package; not replaced")
            data_dir = "/var/lib/itslog"
            made_data_dir = not os.path.exists(data_dir)
            marker = os.path.join(data_dir, "2000-01-01-v1.itslog")
            try:
                self._install_try_remove_purge(data_dir, marker)
            finally:
                dpkg(["--purge", "itslog"], check=False)
                if os.path.exists(marker):
                    os.unlink(marker)
                if made_data_dir and os.path.isdir(data_dir):
                    os.rmdir(data_dir)
            self.assertFalse(os.path.exists("/usr/bin/itslog"))

    def _install_try_remove_purge(self, data_dir, marker):
        p = dpkg(["-i", self.deb])
        self.assertIn("nothing is enabled or started", p.stdout)
        status = run(["dpkg-query", "-W", "-f", "${Status} ${Version}", "itslog"]).stdout
        self.assertEqual(status, f"install ok installed {self.version}")
        self.assertEqual(run(["/usr/bin/itslog", "--version"]).stdout.strip(),
                         f"itslog {self.version}")
        st = os.stat("/etc/itslog/itslog.yaml")
        self.assertEqual((st.st_mode & 0o777, st.st_uid, st.st_gid), (0o640, 0, 0))
        for page in ("/usr/share/man/man1/itslog.1.gz", "/usr/share/man/man5/itslog.yaml.5.gz"):
            rc, text, warnings = render_man(page)
            self.assertEqual((rc, warnings), (0, ""), page)
            self.assertIn("NAME", text)
            self.assertIn("itslog", text)
        # Nothing enabled or started.
        self.assertEqual(glob.glob("/etc/systemd/system/*.wants/itslog*"), [])
        units = sorted(glob.glob("/lib/systemd/system/itslog*"))
        self.assertGreaterEqual(len(units), 6)
        if shutil.which("systemd-analyze"):
            p = run(["systemd-analyze", "verify", "--man=yes"] + units, check=False)
            self.assertEqual(p.returncode, 0, p.stdout)
            self.assertEqual([l for l in p.stdout.splitlines() if "itslog" in l], [], p.stdout)
        # Data written by the service must survive remove and purge.
        os.makedirs(data_dir, exist_ok=True)
        with open(marker, "w") as f:
            f.write("a day file\n")
        dpkg(["-r", "itslog"])
        self.assertFalse(os.path.exists("/usr/bin/itslog"))
        self.assertEqual(glob.glob("/lib/systemd/system/itslog*"), [])
        self.assertFalse(os.path.exists("/usr/share/man/man1/itslog.1.gz"))
        self.assertTrue(os.path.exists("/etc/itslog/itslog.yaml"), "remove keeps the conffile")
        self.assertTrue(os.path.exists(marker))
        dpkg(["--purge", "itslog"])
        self.assertFalse(os.path.exists("/etc/itslog"), "purge removes the configuration")
        self.assertTrue(os.path.exists(marker), "purge must leave the data directory alone")
        status = run(["dpkg-query", "-W", "-f", "${Status}", "itslog"], check=False).stdout
        self.assertRegex(status, r"no packages found|not-installed", status)


def dpkg(args, check=True, timeout=300):
    """dpkg with args, waiting while another dpkg or apt holds the lock (shared machines)."""
    deadline = time.monotonic() + timeout
    while True:
        p = run(["dpkg"] + args, check=False)
        locked = "lock" in p.stdout and ("locked" in p.stdout or "held" in p.stdout)
        if not locked or time.monotonic() > deadline:
            break
        time.sleep(2)
    if check and p.returncode != 0:
        raise AssertionError(f"dpkg {' '.join(args)} exited with {p.returncode}:\n{p.stdout}")
    return p


if __name__ == "__main__":
    unittest.main()
