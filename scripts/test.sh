#!/usr/bin/env bash
# README step 2 (and what .ci/run calls): every check and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/install_pgbouncer.sh
D=node_modules/.bin/deno
echo "== format, lint, type check"
$D fmt --check
$D lint
$D check main.ts tests/ scripts/
# The fast tier first (in-process, seconds), then the end-to-end tier (the
# real epmt processes, the collector, PostgreSQL).
echo "== unit tests (tests/unit, in-process)"
$D task test:unit
echo "== end-to-end tests"
$D task test:e2e
