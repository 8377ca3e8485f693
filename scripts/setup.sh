#!/usr/bin/env bash
# README step 1: install everything, then run a demo job end to end on the
# default embedded database (SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# Headless Chromium for the browser tests of `epmt report` and `epmt serve`
# (they are skipped without it).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  { apt-get update -qq && apt-get install -y -qq chromium; } >/dev/null 2>&1 ||
    echo "note: chromium could not be installed; the browser tests will be skipped"
fi
bash scripts/demo.sh
