#!/usr/bin/env bash
# The whole test suite, from a fresh clone: Rust unit and integration tests on SQLite, the same
# integration tests on PostgreSQL, and the browser tests (headless Debian Chromium + playwright-core).
#
#   ./scripts/test.sh            # everything
#   SKIP_BROWSER=1 ./scripts/test.sh
#
# PostgreSQL: FIREBREAK_TEST_PG (default postgres://postgres@127.0.0.1:5432/test). When it does not
# answer, the PostgreSQL run fails under CI=true and is reported as not run otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# 1. Set-up that a fresh machine lacks: Chromium (+ CJK fonts for readable screenshots).
missing=()
command -v node >/dev/null || missing+=(nodejs npm)
if [ -z "${SKIP_BROWSER:-}" ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
fi
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing: ${missing[*]}: run 'sudo apt-get install ${missing[*]}' (or SKIP_BROWSER=1 for the browser part)" >&2
    exit 1
  fi
fi

step "cargo test --workspace (SQLite)"
cargo test --workspace

PG_URL="${FIREBREAK_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"
if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  step "integration tests on PostgreSQL ($PG_URL)"
  FIREBREAK_TEST_PG="$PG_URL" cargo test --workspace --test it
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL does not answer on 127.0.0.1:5432; CI needs it" >&2
  exit 1
else
  echo "PostgreSQL does not answer on 127.0.0.1:5432: the PostgreSQL run was NOT done"
fi

if [ -z "${SKIP_BROWSER:-}" ]; then
  step "browser tests (headless Chromium)"
  cargo build --workspace --bins
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
  FIREBREAK_BIN="$PWD/target/debug/firebreak" npm --prefix tests/browser test
fi
