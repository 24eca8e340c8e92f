"""What the archive benches (archive_bench.py, archive_counts_bench.py) share: the integration
tests' harness (tests/integration) on sys.path, so that they start the same servers and write
day files as the tests do; the size of the shipped day, BENCH_ARCHIVE_ROWS (default
1,000,000); their rounds, BENCH_ARCHIVE_ROUNDS; and the day they ship, two days back.

Imported before anything from tests/integration."""

import datetime
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
INTEGRATION = os.path.join(ROOT, "tests", "integration")
if INTEGRATION not in sys.path:
    sys.path.insert(0, INTEGRATION)

ROWS = int(os.environ.get("BENCH_ARCHIVE_ROWS", "1000000"))


def rounds(default):
    """BENCH_ARCHIVE_ROUNDS, or the bench's own default."""
    return int(os.environ.get("BENCH_ARCHIVE_ROUNDS", str(default)))


def shipped_day():
    """The day the benches ship (UTC, two days back): closed, and older than yesterday."""
    return (datetime.datetime.now(datetime.timezone.utc).date()
            - datetime.timedelta(days=2)).isoformat()
