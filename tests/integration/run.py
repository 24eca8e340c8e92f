#!/usr/bin/env python3
"""Runs the integration tests against real nginx, lighttpd and spawn-fcgi on loopback.

  python3 tests/integration/run.py --build build [-k PATTERN]... [--list] [--keep]

Prints one line per test case (PASS/FAIL/SKIP), the server logs of each failing test, and as
its last line: RESULT <passed> <failed> <skipped>. Exit status 0 when nothing failed."""

import argparse
import fnmatch
import os
import re
import shutil
import socket
import sys
import tempfile
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from lib.base import Settings  # noqa: E402


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


class Result(unittest.TestResult):
    """Counts test cases: a case fails once however many of its parts (sub-tests, tearDown)
    failed; errors outside any case (a class's setup) count as one failure each."""

    def __init__(self, verbose):
        super().__init__()
        self.verbose = verbose
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self._current = None
        self._problems = []
        self._skip = None
        self._t0 = 0.0

    def startTest(self, test):
        super().startTest(test)
        self._current = test
        self._problems = []
        self._skip = None
        self._t0 = time.monotonic()
        if self.verbose:
            print(f"RUN  {test.id()}", flush=True)

    def stopTest(self, test):
        super().stopTest(test)
        elapsed = f"{time.monotonic() - self._t0:.2f}s"
        if self._problems:
            self.failed += 1
            print(f"FAIL {test.id()} ({elapsed})", flush=True)
            for kind, text in self._problems:
                print(f"[{kind}] {text.rstrip()}", flush=True)
            logs = ""
            if hasattr(test, "server_logs"):
                try:
                    logs = test.server_logs()
                except Exception:  # the logs are a help, never a second failure
                    logs = traceback.format_exc()
            if logs:
                print("server logs during this test:\n" + logs, flush=True)
        elif self._skip is not None:
            self.skipped += 1
            print(f"SKIP {test.id()}: {self._skip}", flush=True)
        else:
            self.passed += 1
            print(f"PASS {test.id()} ({elapsed})", flush=True)
        self._current = None

    def _problem(self, test, err, kind):
        text = self._exc_info_to_string(err, test)
        if self._current is None:  # e.g. setUpClass/tearDownClass: not inside a test case
            self.failed += 1
            print(f"FAIL {test.id()} ({kind})\n{text.rstrip()}", flush=True)
        else:
            self._problems.append((kind, text))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._problem(test, err, "failure")

    def addError(self, test, err):
        super().addError(test, err)
        self._problem(test, err, "error")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._problem(subtest, err, "failure")

    def addSkip(self, test, reason):
        # Not TestResult.addSkip: self.skipped is a count here, not unittest's list.
        self._skip = reason

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._problems.append(("unexpected success", ""))


HOST_ID = re.compile(r"[a-z0-9][a-z0-9.-]{0,62}")
TEST_HOSTNAME = "itslog-test"


def ensure_valid_hostname():
    """Workers without a host_id in their config name their files by this machine's hostname,
    lower-cased, and refuse to start when that is not a valid host_id (as documented). The
    tests rely on that default; on a machine whose hostname is not one (an underscore, say)
    they run again in a private UTS namespace whose hostname is itslog-test. The machine's own
    name is not touched."""
    name = socket.gethostname().lower()
    if HOST_ID.fullmatch(name) or os.environ.get("ITSLOG_TESTS_RENAMED"):
        return
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        print(f"note: the hostname {name!r} is not a valid host_id, and a private UTS namespace "
              "needs root and unshare: workers without a host_id will refuse to start",
              flush=True)
        return
    print(f"note: the hostname {name!r} is not a valid host_id; running the tests with the "
          f"hostname {TEST_HOSTNAME} in a private UTS namespace", flush=True)
    env = dict(os.environ, ITSLOG_TESTS_RENAMED="1")
    os.execve(unshare, [unshare, "--uts", "sh", "-c",
                        f'echo {TEST_HOSTNAME} > /proc/sys/kernel/hostname && exec "$@"', "sh",
                        sys.executable] + sys.argv, env)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"),
                    help="build directory holding the itslog binary (default: build)")
    ap.add_argument("-k", action="append", default=[], metavar="PATTERN",
                    help="run only tests whose id contains PATTERN (or matches it as a glob); "
                         "repeatable")
    ap.add_argument("--list", action="store_true", help="list test ids and exit")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (servers' configs, logs, day files)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    ensure_valid_hostname()

    loader = unittest.TestLoader()
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    tests = list(iter_tests(suite))
    load_errors = [t for t in tests if t.__class__.__name__ in ("_FailedTest", "ModuleImportFailure")]
    if args.k:
        tests = [t for t in tests
                 if any(p in t.id() or fnmatch.fnmatch(t.id(), p) for p in args.k)]
    if args.list:
        for t in tests:
            print(t.id())
        return 0

    binary = os.path.join(args.build, "itslog")
    if not os.access(binary, os.X_OK):
        print(f"FAIL setup: {binary} not found or not executable (run `make build "
              f"BUILD={args.build}` first)")
        print(f"RESULT 0 1 0")
        return 1

    Settings.build = args.build
    Settings.root_dir = tempfile.mkdtemp(prefix="itslog-integ-")
    result = Result(args.verbose)
    # Grouped by class so that each class's servers start once (unittest's suite does this
    # when tests of one class are contiguous, which discovery order guarantees).
    run_suite = unittest.TestSuite(tests)
    t0 = time.monotonic()
    try:
        run_suite.run(result)
    finally:
        keep = args.keep or result.failed > 0
        if keep:
            print(f"servers' files kept in {Settings.root_dir}")
        else:
            shutil.rmtree(Settings.root_dir, ignore_errors=True)
    for t in load_errors:
        if t not in tests:
            result.failed += 1
            print(f"FAIL {t.id()} (could not load)")
    print(f"{result.passed} passed, {result.failed} failed, {result.skipped} skipped "
          f"in {time.monotonic() - t0:.1f}s")
    print(f"RESULT {result.passed} {result.failed} {result.skipped}", flush=True)
    return 0 if result.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
