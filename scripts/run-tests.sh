#!/usr/bin/env bash
# Runs pytest once: every test on SQLite, the database tests again on PostgreSQL when a server is
# available (KITH_TEST_PG_URL, or a throwaway cluster started here when Debian's postgresql is
# installed). Without PostgreSQL those tests are reported as skipped, by name.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -z "${KITH_TEST_PG_URL:-}" ]; then
  if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ "$(id -un)" = postgres ]; }; then
    if url=$(scripts/pg-cluster.sh start); then
      export KITH_TEST_PG_URL="$url"
      echo "PostgreSQL: testing against $url"
    fi
  fi
fi
[ -z "${KITH_TEST_PG_URL:-}" ] && echo "PostgreSQL skipped: no server (install Debian's postgresql or set KITH_TEST_PG_URL)"
.venv/bin/pytest "$@"
status=$?
# pytest exit 5 means no test ran: that is a failure here, never a silent pass.
exit $status
