#!/usr/bin/env bash
# Create the virtualenv and install everything the project needs, pinned; a no-op when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
"$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { echo "ERROR: Python 3.11 is required (found $("$PY" --version 2>&1))" >&2; exit 1; }

LOCAL_PACKAGES=(libs/contracts libs/chassis services/cases services/mail-gateway services/notifications
                services/reports services/gateway services/portal)
stamp_of() { cat requirements.lock package.json package-lock.json "${LOCAL_PACKAGES[@]/%//pyproject.toml}" 2>/dev/null | sha256sum | cut -c1-16; }
STAMP=".venv/.installed-$(stamp_of)"

if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv"
  "$PY" -m venv .venv || { apt-get install -y -qq python3-venv >/dev/null 2>&1 && "$PY" -m venv .venv; }
fi
if [ ! -f "$STAMP" ]; then
  echo "[setup] installing Python packages (requirements.lock)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.lock
  args=(); for p in "${LOCAL_PACKAGES[@]}"; do args+=(-e "$p"); done
  .venv/bin/python -m pip install -q --no-deps "${args[@]}"
  if command -v npm >/dev/null; then
    echo "[setup] installing browser libraries (npm ci)"
    npm ci --no-audit --no-fund --silent
  else
    echo "ERROR: npm is required for the web assets (apt-get install npm)" >&2; exit 1
  fi
  rm -f .venv/.installed-*; touch "$STAMP"
fi
