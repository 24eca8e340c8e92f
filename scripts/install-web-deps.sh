#!/usr/bin/env bash
# Installs the dashboard's npm packages with `npm ci`, pinned by their committed lock files,
# using the machine's Node.js and npm (never Debian's npm):
#   web/         uPlot, the chart library that `make web` copies into the page;
#   tests/web/   playwright-core, with --tests: it drives the system's Chromium in the browser
#                tests (it never downloads a browser).
# Idempotent and quick when an installed tree matches its lock file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dirs=("$root/web")
[ "${1:-}" = "--tests" ] && dirs+=("$root/tests/web")
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "install-web-deps: node and npm are needed for the dashboard (web/) and its tests" >&2
  exit 1
fi
for dir in "${dirs[@]}"; do
  cd "$dir"
  stamp=node_modules/.itslog-lock-sha256
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    continue
  fi
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
done
