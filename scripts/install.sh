#!/usr/bin/env bash
# Installs what epmt needs into this checkout: Deno (npm package `deno`),
# the npm packages the code imports, and the native collector. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/deno ] || ! node_modules/.bin/deno --version >/dev/null 2>&1; then
  npm install --no-audit --no-fund --loglevel=error
fi
# Fetch the npm: imports into node_modules now, not on first use.
node_modules/.bin/deno install --quiet
if [ -f native/Makefile ]; then
  make -s -C native
fi
