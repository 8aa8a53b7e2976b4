#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: installs what the tests need when it is missing
# (Debian: dovecot-imapd for the real IMAP server, postgresql for the real PostgreSQL; a venv with
# the package and its test extras), then runs pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dovecot >/dev/null 2>&1 || missing+=(dovecot-imapd)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
# `systemd-analyze verify` / `security` check the unit `smartreturn service install` writes. Installing
# Debian's systemd package in a container is safe: it does not become PID 1 or start anything there.
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# browser tests of the web dashboard: Debian's Chromium (Playwright drives it; no browser download),
# and a CJK font so Chinese text renders in the screenshots
[ -x /usr/bin/chromium ] || missing+=(chromium)
compgen -G "/usr/share/fonts/truetype/wqy/wqy-zenhei*" >/dev/null || missing+=(fonts-wqy-zenhei)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import smartreturn, aiosmtpd, psycopg, playwright" # fail here, clearly, if the install did not work

exec .venv/bin/python -m pytest "$@"
