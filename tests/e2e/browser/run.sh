#!/usr/bin/env bash
# Browser tests of the viewer (node's test runner + playwright-core + Debian's chromium).
#   tests/e2e/browser/run.sh            all tests except the soak test
#   tests/e2e/browser/run.sh --soak     the soak test only (ECHELON_SOAK_SECONDS, default 60)
#   tests/e2e/browser/run.sh --perf     the long-task check only (a performance number: needs a quiet machine)
#   tests/e2e/browser/run.sh FILE...    the given test files
# The server under test is $ECHELON_SERVER_BIN when set, else viewer/dev/mock_server.mjs.
set -euo pipefail
cd "$(dirname "$0")/../../.."

if [[ ! -f viewer/node_modules/three/build/three.module.js || ! -f viewer/node_modules/playwright-core/package.json ]]; then
  (cd viewer && npm ci --no-audit --no-fund)
fi

# A test file that runs longer than --test-timeout is cancelled, so the soak's
# limit follows its duration (plus setup and the last replay).
timeout_ms="${ECHELON_TEST_TIMEOUT_MS:-600000}"
if [[ "${1:-}" == "--soak" ]]; then
  files=(tests/e2e/browser/soak.test.mjs)
  timeout_ms="${ECHELON_TEST_TIMEOUT_MS:-$(( (${ECHELON_SOAK_SECONDS:-60} + 600) * 1000 ))}"
elif [[ "${1:-}" == "--perf" ]]; then
  files=(tests/e2e/browser/smoothness.test.mjs)
elif [[ $# -gt 0 ]]; then
  files=("$@")
else
  files=()
  for file in tests/e2e/browser/*.test.mjs; do
    [[ "$file" == */soak.test.mjs || "$file" == */smoothness.test.mjs ]] || files+=("$file")
  done
fi

# One file at a time: each starts its own server and browser on a shared 2-core machine.
exec node --test --test-concurrency=1 --test-timeout="$timeout_ms" "${files[@]}"
