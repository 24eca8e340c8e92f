#!/usr/bin/env bash
# Starts a complete local its-log in the foreground (`make run`): two FastCGI workers under
# spawn-fcgi and a private nginx on 127.0.0.1:$PORT with the API at /its-log/ and the dashboard
# ($BUILD/web) at /its-log/ui/, everything under $BUILD/run/. Prints a development key and example requests, then waits; Ctrl-C
# stops every process it started.
#
# Environment: BUILD (default build; the worker is $BUILD/itslog), PORT (default 8080),
# WORKERS (default 2).
set -euo pipefail

BUILD=${BUILD:-build}
PORT=${PORT:-8080}
WORKERS=${WORKERS:-2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

die() {
  echo "run-local: $*" >&2
  exit 1
}

case $PORT in
  '' | *[!0-9]*) die "PORT must be a number, not '$PORT'" ;;
esac
case $WORKERS in
  '' | *[!0-9]* | 0) die "WORKERS must be a positive number, not '$WORKERS'" ;;
esac
[ -x "$BUILD/itslog" ] || die "$BUILD/itslog is missing: build it first with 'make build'"
[ -r "$BUILD/web/index.html" ] || die "$BUILD/web is missing: build the dashboard with 'make web'"
for tool in nginx spawn-fcgi curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed: run scripts/install-deps.sh"
done
[ -r /etc/nginx/fastcgi_params ] || die "/etc/nginx/fastcgi_params is missing (is nginx installed?)"

mkdir -p "$BUILD/run"
RUN=$(cd "$BUILD/run" && pwd)
BIN=$(cd "$BUILD" && pwd)/itslog
WEB=$(cd "$BUILD/web" && pwd)
DATA=$RUN/data
NGX=$RUN/nginx
LOGS=$RUN/logs
CONF=$RUN/itslog.yaml
mkdir -p "$DATA" "$NGX/tmp" "$LOGS"

# A unix socket path must fit in 108 bytes; a deep checkout may not.
SOCK=$RUN/itslog.sock
SOCK_DIR=
if [ ${#SOCK} -ge 100 ]; then
  SOCK_DIR=$(mktemp -d /tmp/itslog-run.XXXXXX)
  SOCK=$SOCK_DIR/itslog.sock
fi

# --- is the port free? -------------------------------------------------------------------
port_in_use() {
  if command -v python3 >/dev/null; then
    if python3 -c 'import socket,sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null; then
      return 1
    fi
    return 0
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}
if port_in_use "$PORT"; then
  die "port $PORT on 127.0.0.1 is already in use; choose another: make run PORT=8081"
fi

# --- development key and config ------------------------------------------------------------
# Kept in $RUN/dev-key so that it survives restarts; delete the file for a new one.
KEY_FILE=$RUN/dev-key
if [ -s "$KEY_FILE" ]; then
  KEY=$(cat "$KEY_FILE")
else
  KEY=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
  (umask 077 && printf '%s\n' "$KEY" >"$KEY_FILE")
fi
KEY_SHA256=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)

cat >"$CONF" <<EOF
# Written by scripts/run-local.sh for \`make run\`; rewritten on every start.
# The reference for every key is docs/OPERATIONS.md; a commented example is etc/itslog.yaml.
data_dir: $DATA
timezone: UTC
durability: normal
storage: sqlite
limits: {max_body_bytes: 1048576, max_batch: 10000, max_event_names_per_app_per_day: 10000}
auth:
  required: true
  keys:
    - name: dev
      key_sha256: $KEY_SHA256    # SHA-256 of the key in dev-key
      scopes: [ingest, read, admin]
      apps: ["*"]
retention_days: 0
log: stderr
EOF

if ! out=$("$BIN" check-config --config "$CONF" 2>&1); then
  printf '%s\n' "$out" >&2
  die "$CONF was refused by '$BIN check-config'"
fi

# --- nginx config: the shipped snippet, pointed at this instance ----------------------------
cp /etc/nginx/fastcgi_params "$NGX/fastcgi_params"
sed -e "s#^    listen 80;#    listen 127.0.0.1:$PORT;#" \
    -e '/^    listen \[::\]:80;/d' \
    -e 's#^    server_name its-log.example.org;#    server_name localhost;#' \
    -e "s#unix:/run/itslog/itslog.sock#unix:$SOCK#" \
    -e "s#alias /usr/share/itslog/web/;#alias $WEB/;#" \
    "$ROOT/nginx/itslog.conf" >"$NGX/itslog.conf"
if ! grep -q "listen 127.0.0.1:$PORT;" "$NGX/itslog.conf" ||
  grep -q 'unix:/run/itslog/' "$NGX/itslog.conf" ||
  ! grep -qF "alias $WEB/;" "$NGX/itslog.conf"; then
  die "nginx/itslog.conf no longer has the lines this script adapts (listen 80; the socket path; the dashboard's alias)"
fi

user_line=
if [ "$(id -u)" -eq 0 ]; then
  # As root, nginx would run its workers as nobody, who cannot reach $RUN.
  user_line="user root;"
fi
cat >"$NGX/nginx.conf" <<EOF
# Written by scripts/run-local.sh for \`make run\`.
$user_line
daemon off;
worker_processes 1;
pid $NGX/nginx.pid;
error_log $LOGS/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log $LOGS/nginx-access.log;
    client_body_temp_path $NGX/tmp/client_body;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    proxy_temp_path $NGX/tmp/proxy;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    include itslog.conf;
}
EOF
if ! out=$(nginx -t -q -p "$NGX" -e "$LOGS/nginx-error.log" -c "$NGX/nginx.conf" 2>&1); then
  printf '%s\n' "$out" >&2
  die "the generated nginx config $NGX/nginx.conf does not pass nginx -t"
fi

# --- start, and stop everything on exit ------------------------------------------------------
# Alive and not a zombie (the workers are not this shell's children once spawn-fcgi exits).
running() {
  local state rest
  kill -0 "$1" 2>/dev/null || return 1
  if [ -r "/proc/$1/stat" ]; then
    read -r _ _ state rest <"/proc/$1/stat" 2>/dev/null || return 1
  else
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  fi
  [ "${state#Z}" = "$state" ]
}

WORKER_PIDS=()
NGINX_PID=
stopping=0
cleanup() {
  [ "$stopping" -eq 1 ] && return
  stopping=1
  trap '' INT TERM  # a second Ctrl-C must not cut the cleanup short
  local pids=()
  [ -n "$NGINX_PID" ] && pids+=("$NGINX_PID")
  pids+=("${WORKER_PIDS[@]}")
  if [ ${#pids[@]} -gt 0 ]; then
    echo
    echo "run-local: stopping nginx and the workers (${pids[*]})"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 30); do
      local alive=0
      for p in "${pids[@]}"; do
        running "$p" && alive=1
      done
      [ "$alive" -eq 0 ] && break
      sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
  rm -f "$SOCK"
  [ -n "$SOCK_DIR" ] && rm -rf "$SOCK_DIR"
  return 0
}
trap cleanup EXIT
trap 'exit 0' INT TERM

rm -f "$SOCK"
# The shell wrapper sends each worker's stderr (its log, with `log: stderr`) to a file, since
# spawn-fcgi points it at /dev/null; exec keeps the PID that spawn-fcgi reports.
# shellcheck disable=SC2016  # $0..$2 are expanded by the inner shell
spawn_out=$(spawn-fcgi -s "$SOCK" -M 0600 -F "$WORKERS" -- /bin/sh -c \
  'exec "$0" fcgi --config "$1" 2>>"$2"' "$BIN" "$CONF" "$LOGS/itslog.log" 2>&1) || {
  printf '%s\n' "$spawn_out" >&2
  die "spawn-fcgi could not start the workers"
}
mapfile -t WORKER_PIDS < <(printf '%s\n' "$spawn_out" | sed -n 's/.*PID: \([0-9][0-9]*\).*/\1/p')
[ ${#WORKER_PIDS[@]} -eq "$WORKERS" ] || {
  printf '%s\n' "$spawn_out" >&2
  die "expected $WORKERS workers, spawn-fcgi reported ${#WORKER_PIDS[@]}"
}

# In its own session, so that Ctrl-C reaches only this script, which then stops nginx and
# the workers in order (spawn-fcgi already detaches the workers).
setsid=()
command -v setsid >/dev/null && setsid=(setsid)
"${setsid[@]}" nginx -p "$NGX" -e "$LOGS/nginx-error.log" -c "$NGX/nginx.conf" &
NGINX_PID=$!

BASE=http://127.0.0.1:$PORT/its-log
code=000
for _ in $(seq 50); do
  running "$NGINX_PID" || break
  code=$(curl -s -o "$RUN/healthz.json" -w '%{http_code}' "$BASE/healthz" || true)
  [ "$code" = 200 ] || [ "$code" = 503 ] && break
  sleep 0.1
done
if [ "$code" != 200 ] && [ "$code" != 503 ]; then
  echo "run-local: no answer from $BASE/healthz (HTTP $code); last log lines:" >&2
  tail -n 5 "$LOGS/nginx-error.log" "$LOGS/itslog.log" >&2 2>/dev/null || true
  exit 1
fi

DAY_FILE=$DATA/$(date -u +%F)-v1.itslog
cat <<EOF

its-log is running: nginx on 127.0.0.1:$PORT, $WORKERS workers ($(printf '%s ' "${WORKER_PIDS[@]}")), nginx PID $NGINX_PID
  health:        $(cat "$RUN/healthz.json")
  dashboard:     $BASE/ui/   (paste the key below)
  API:           $BASE/
  key:           $KEY
  config:        $CONF
  data:          $DATA
  logs:          $LOGS

Try it:
  curl -i -X PUT -H 'Authorization: Bearer $KEY' $BASE/v1/event/demo/app.start
  curl -i -X PUT -H 'X-API-Key: $KEY' $BASE/v1/unique/demo/signin.partner.acme
  curl -i -H 'X-API-Key: $KEY' -H 'Content-Type: application/json' \\
       -d '{"app":"demo","event":"page.load_ms","value":"183","type":1}' $BASE/v1/log
  curl -s $BASE/healthz
  sqlite3 -readonly $DAY_FILE 'select * from entries limit 10'
  ITSLOG_CONFIG=$CONF $BIN tail -f

Ctrl-C stops it.
EOF

# Wait; quit when nginx or every worker is gone.
while true; do
  if ! running "$NGINX_PID"; then
    echo "run-local: nginx exited; see $LOGS/nginx-error.log" >&2
    exit 1
  fi
  alive=0
  for p in "${WORKER_PIDS[@]}"; do
    running "$p" && alive=1
  done
  if [ "$alive" -eq 0 ]; then
    echo "run-local: every worker exited; see $LOGS/itslog.log" >&2
    exit 1
  fi
  sleep 1 &
  wait $! || true
done
