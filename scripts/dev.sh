#!/usr/bin/env bash
# Set up and run meshlens on a fresh Debian/Ubuntu machine.
#   scripts/dev.sh run    set up, then serve the built-in demo at http://127.0.0.1:8050
#   scripts/dev.sh test   set up (incl. system packages the tests need), lint, type-check, test
#   scripts/dev.sh lint   ruff + mypy only
# Extra arguments after `run` go to `meshlens serve`, after `test` to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
BIN=$VENV/bin

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_install() {
  local sudo=()
  if [ "$(id -u)" != 0 ]; then sudo=(sudo); fi
  say "installing system packages: $*"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

setup() {
  if ! command -v "$PYTHON" >/dev/null; then apt_install python3 python3-venv; fi
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "meshlens needs Python >= 3.11 (found $("$PYTHON" --version 2>&1)); set PYTHON=..." >&2
    exit 1
  fi
  if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then apt_install python3-venv; fi
  local stamp=$VENV/.meshlens-installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    say "creating $VENV and installing meshlens with its test dependencies"
    "$PYTHON" -m venv "$VENV"
    "$BIN/pip" install -q --disable-pip-version-check --upgrade pip
    "$BIN/pip" install -q --disable-pip-version-check -e '.[test]'
    touch "$stamp"
  fi
}

# System packages the test suite drives for real: headless Chromium for dash_duo, and
# Prometheus (with promtool) for the integration tests over a backfilled TSDB.
test_system_packages() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  command -v promtool >/dev/null || missing+=(prometheus)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

lint() {
  say "ruff"
  "$BIN/ruff" check .
  "$BIN/ruff" format --check .
  say "mypy"
  "$BIN/mypy"
}

case "${1:-}" in
  run)
    shift
    setup
    exec "$BIN/meshlens" serve "$@"
    ;;
  test)
    shift
    setup
    test_system_packages
    lint
    say "pytest"
    exec "$BIN/pytest" --headless "$@"
    ;;
  lint)
    setup
    lint
    ;;
  *)
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
