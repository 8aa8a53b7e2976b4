#!/usr/bin/env bash
# Start/stop a throwaway Dovecot IMAP server on loopback for manual trials, CI and the benchmarks.
#   usage: scripts/mailservers.sh start|stop|status
# env: MAILTEST_ROOT (default /tmp/smartreturn-mailtest), IMAP_PORT (10143), IMAPS_PORT (10993),
#      PY (a python with the project installed; default .venv/bin/python)
# Any user name logs in with password "testpass" (each gets a fresh maildir); the Drafts folder
# exists. The config is written by tests/servers/dovecot.py, the same code the pytest fixture uses.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${MAILTEST_ROOT:-/tmp/smartreturn-mailtest}
IMAP_PORT=${IMAP_PORT:-10143}
IMAPS_PORT=${IMAPS_PORT:-10993}
PY=${PY:-$HERE/.venv/bin/python}

alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s:0:1}" != Z ]; }

start() {
  if ! command -v dovecot >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
  fi
  if [ -f "$ROOT/serve.pid" ] && alive "$(cat "$ROOT/serve.pid")"; then
    echo "already running (pid $(cat "$ROOT/serve.pid"))"; return 0
  fi
  mkdir -p "$ROOT"; chmod 755 "$ROOT"   # Dovecot's auth/mail processes need o+x on every parent
  (cd "$HERE" && exec "$PY" -m tests.servers.dovecot serve --root "$ROOT" --port "$IMAP_PORT" \
      --tls-port "$IMAPS_PORT" >"$ROOT/serve.log" 2>&1) &
  echo $! > "$ROOT/serve.pid"
  for _ in $(seq 200); do
    if grep -q "dovecot ready" "$ROOT/serve.log" 2>/dev/null; then cat "$ROOT/serve.log"; return 0; fi
    alive "$(cat "$ROOT/serve.pid")" || break
    sleep 0.05
  done
  echo "dovecot did not start:" >&2; tail -n 30 "$ROOT/serve.log" "$ROOT/dovecot.log" 2>/dev/null >&2 || true
  stop; exit 1
}

stop() {
  [ -f "$ROOT/serve.pid" ] || return 0
  local pid; pid=$(cat "$ROOT/serve.pid"); rm -f "$ROOT/serve.pid"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 200); do alive "$pid" || return 0; sleep 0.05; done   # Dovecot needs about 1 s
  kill -9 "$pid" 2>/dev/null || true
}

status() {
  if [ -f "$ROOT/serve.pid" ] && alive "$(cat "$ROOT/serve.pid")"; then
    echo "running (pid $(cat "$ROOT/serve.pid")) on 127.0.0.1:$IMAP_PORT"
  else
    echo "not running"; return 1
  fi
}

case "${1:-}" in start) start ;; stop) stop ;; status) status ;; *) echo "usage: $0 start|stop|status" >&2; exit 2 ;; esac
