#!/usr/bin/env bash
# A small job, collected and loaded into the default SQLite database.
set -euo pipefail
cd "$(dirname "$0")/.."
./epmt help
