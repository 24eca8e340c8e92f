#!/usr/bin/env bash
# Installs every Debian package that building, running and testing its-log needs.
# Idempotent and quick when everything is present; uses sudo when not run as root.
set -euo pipefail

packages=(
  # build
  g++ make pkg-config clang clang-format libclang-rt-14-dev
  libfcgi-dev libsimdjson-dev libyaml-cpp-dev libsqlite3-dev libcurl4-openssl-dev libssl-dev
  libgtest-dev libgmock-dev
  # run and test
  nginx lighttpd spawn-fcgi libfcgi-bin sqlite3 curl wrk python3 procps tzdata
  # the clock stepped back across midnight in worker processes (tests/integration/test_clock.py)
  libfaketime
  # analysis tests (docs/ANALYSIS.md): a private PostgreSQL cluster, psql
  postgresql
  # the dashboard's browser tests (playwright-core drives it; it never downloads a browser)
  chromium
  # make deb and its tests: the package build, lintian, man pages, completion, unit checks
  debhelper dpkg-dev fakeroot lintian man-db groff-base bash-completion systemd
  # several-hosts shipping tests: workers writing past days (the faketime command)
  faketime
  # tests/integration/run.py on a machine whose hostname is not a valid host_id (unshare)
  util-linux
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
