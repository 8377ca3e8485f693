#!/usr/bin/env bash
# pgbouncer (Debian package) for the test that submits through a pooler in
# transaction mode (tests/site_pg_scale_test.ts starts its own; the test says
# why it skipped when pgbouncer is missing). Best effort: installs only as
# root with apt-get, and never fails the caller.
set -uo pipefail
if [ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "pgbouncer not installed (apt-get install pgbouncer): its test will be skipped"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get install -y -qq pgbouncer >/dev/null 2>&1 ||
  { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq pgbouncer >/dev/null 2>&1; }; }; then
  echo "could not install pgbouncer: its test will be skipped"
fi
exit 0
