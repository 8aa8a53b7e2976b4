#!/usr/bin/env bash
# Install SmartReturn into ./.venv and run the main job on the embedded default: SQLite (in ./var)
# fed from the sample mailbox in fixtures/ (the same mails the parser tests use). Re-running it
# changes nothing: every mail is recognised as already stored.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e . 2>&1 | grep -v "^WARNING: Location" || true
export SMARTRETURN_CONFIG=${SMARTRETURN_CONFIG:-$PWD/var/config.toml}
export SMARTRETURN_GENERAL__STATE_DIR=${SMARTRETURN_GENERAL__STATE_DIR:-$PWD/var}
mkdir -p "$SMARTRETURN_GENERAL__STATE_DIR" "$(dirname "$SMARTRETURN_CONFIG")"
[ -f "$SMARTRETURN_CONFIG" ] || .venv/bin/smartreturn init "$SMARTRETURN_CONFIG"
.venv/bin/smartreturn ingest fixtures/
.venv/bin/smartreturn list orders --limit 15
.venv/bin/smartreturn list returns --limit 10
.venv/bin/smartreturn list shipments --limit 10
echo "database: $SMARTRETURN_GENERAL__STATE_DIR/smartreturn.db — try: .venv/bin/smartreturn show <order number>"
