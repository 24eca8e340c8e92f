#!/usr/bin/env bash
# `make bench`: builds an optimised itslog and the bench's helper programs, then runs
# tests/bench/bench.py (wrk against a private nginx on a free loopback port). Prints a table
# and writes $BUILD/bench/results.json. docs/PERFORMANCE.md explains the figures and the knobs
# (BENCH_SECONDS, BENCH_ROUNDS, BENCH_MILLION, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}

make --no-print-directory -j2 build BUILD="$BUILD"
# A header edited during that build leaves objects out of date (see the Makefile's stamps);
# never measure a binary whose objects disagree on a struct's layout.
for _ in 1 2 3; do
  make -q build BUILD="$BUILD" && break
  make --no-print-directory -j2 build BUILD="$BUILD"
done
make -q build BUILD="$BUILD" || { echo "bench: sources keep changing under the build" >&2; exit 1; }

bin="$BUILD/bench/bin"
mkdir -p "$bin"
CXXFLAGS="-std=c++20 -O2 -Wall -Wextra -Werror"
# shellcheck disable=SC2046
g++ $CXXFLAGS -o "$bin/fcgi_noop" tests/bench/fcgi_noop.cc $(pkg-config --cflags --libs fcgi) \
  -lpthread
g++ $CXXFLAGS -o "$bin/fcgi_epoll_noop" tests/bench/fcgi_epoll_noop.cc
# shellcheck disable=SC2046
g++ $CXXFLAGS -o "$bin/raw_sqlite" tests/bench/raw_sqlite.cc \
  $(pkg-config --cflags --libs sqlite3)

# The dashboard's overview over a day of a million rows, timed in Chromium
# (tests/bench/dashboard_bench.py); BENCH_DASHBOARD_ONLY=1 runs that part alone.
make --no-print-directory web BUILD="$BUILD"
scripts/install-web-deps.sh --tests
if [ "${BENCH_DASHBOARD_ONLY:-0}" != 1 ]; then
  python3 tests/bench/bench.py --build "$BUILD"
  # GET /v1/counts of a shipped day of a million rows, cold and warm, against the same day kept
  # locally (tests/bench/archive_counts_bench.py).
  python3 tests/bench/archive_counts_bench.py --build "$BUILD" \
    --json "$BUILD/bench/archive_counts.json"
fi
python3 tests/bench/dashboard_bench.py --build "$BUILD"
