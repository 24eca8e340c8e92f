#!/usr/bin/env bash
# Runs every test of `make test` after the build: unit tests (ASan/UBSan), a short run of each
# fuzzer, and the integration tests. Prints one final line "N passed, M failed, K skipped".
set -uo pipefail
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
passed=0
failed=0
skipped=0
log_dir="$BUILD/test-logs"
mkdir -p "$log_dir"

# Unit tests: one count per GoogleTest test.
echo "== unit tests (ASan, UBSan)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$BUILD/asan/unit_tests" --gtest_brief=1 >"$log_dir/unit.log" 2>&1
unit_rc=$?
p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\?\..*/\1/p' "$log_dir/unit.log" | tail -n1)
f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) tests\?,.*/\1/p' "$log_dir/unit.log" | tail -n1)
# --gtest_brief ends the skipped line with "." ("[  SKIPPED ] 1 test."), the full output with ",".
s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) tests\?[.,].*/\1/p' "$log_dir/unit.log" | tail -n1)
p=${p:-0}
f=${f:-0}
s=${s:-0}
if [ "$unit_rc" -ne 0 ] && [ "$f" -eq 0 ]; then
  f=1  # crashed or a sanitizer stopped it before the summary
fi
# Every test that ran is counted once: a summary line this script misread is a failure.
ran=$(sed -n 's/^\[==========\] \([0-9]*\) tests\? from .* ran\..*/\1/p' "$log_dir/unit.log" | tail -n1)
if [ -n "$ran" ] && [ $((p + f + s)) -ne "$ran" ]; then
  echo "unit: $ran tests ran but $p passed + $f failed + $s skipped were counted"
  f=$((f + 1))
fi
grep -E '^\[  FAILED  \]|ERROR: AddressSanitizer|runtime error' "$log_dir/unit.log" | head -40
echo "unit: $p passed, $f failed, $s skipped"
passed=$((passed + p))
failed=$((failed + f))
skipped=$((skipped + s))

# Fuzzers: each target runs FUZZ_SECONDS from its seed corpus; one count per target.
echo "== fuzzers (${FUZZ_SECONDS}s each)"
for fuzzer in "$BUILD"/fuzz/bin/*; do
  [ -x "$fuzzer" ] || continue
  name=$(basename "$fuzzer")
  corpus="$BUILD/fuzz/corpus/$name"
  mkdir -p "$corpus"
  seeds="tests/fuzz/corpus/$name"
  [ -d "$seeds" ] || seeds=""
  if "$fuzzer" -max_total_time="$FUZZ_SECONDS" -print_final_stats=0 "$corpus" $seeds \
      >"$log_dir/fuzz-$name.log" 2>&1; then
    echo "PASS fuzz $name"
    passed=$((passed + 1))
  else
    echo "FAIL fuzz $name (log: $log_dir/fuzz-$name.log)"
    tail -n 30 "$log_dir/fuzz-$name.log"
    failed=$((failed + 1))
  fi
done

# Integration tests: real nginx, lighttpd, spawn-fcgi on loopback. The runner prints
# "RESULT passed failed skipped" as its last line.
echo "== integration tests"
python3 tests/integration/run.py --build "$BUILD" 2>&1 | tee "$log_dir/integration.log"
last=$(grep '^RESULT ' "$log_dir/integration.log" | tail -n1)
if [ -z "$last" ]; then
  echo "integration runner did not report a result"
  failed=$((failed + 1))
else
  read -r _ ip if is <<<"$last"
  passed=$((passed + ip))
  failed=$((failed + if))
  skipped=$((skipped + is))
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
