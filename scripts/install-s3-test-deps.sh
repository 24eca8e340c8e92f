#!/usr/bin/env bash
# Installs the local S3 server the S3 integration tests start: @20minutes/s3rver, pinned by
# tests/s3/package-lock.json, with `npm ci` (the machine's Node.js and npm; never Debian's npm).
# Idempotent and quick when the installed tree matches the lock file. moto_server, the second
# test server, comes with the machine's Python (moto); the tests skip what is missing.
set -euo pipefail
cd "$(dirname "$0")/../tests/s3"
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "install-s3-test-deps: node/npm not found; the S3 integration tests will be skipped" >&2
  exit 0
fi
stamp=node_modules/.itslog-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -f node_modules/@20minutes/s3rver/lib/cli.js ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
