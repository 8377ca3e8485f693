#!/usr/bin/env bash
# README step 1: install everything, then run a demo job end to end on the
# default embedded database (SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/demo.sh
