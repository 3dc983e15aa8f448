#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on a local port as the unprivileged `postgres` user and
# prints its URL. Installs Debian's postgresql first when it is missing (CI runs on a clean machine).
# Usage: scripts/pg-cluster.sh start|stop   (env PG_PORT, default 55432; PG_DIR, default /tmp/kith-pg)
set -euo pipefail
PG_PORT="${PG_PORT:-55432}"
PG_DIR="${PG_DIR:-/tmp/kith-pg}"

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

as_pg() {
  if [ "$(id -u)" = "0" ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

case "${1:-start}" in
  start)
    if ! BIN=$(find_bin); then
      if [ "$(id -u)" != "0" ]; then echo "postgresql is not installed and we are not root" >&2; exit 1; fi
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq postgresql >&2
      BIN=$(find_bin)
    fi
    if as_pg "$BIN/pg_ctl -D $PG_DIR status" >/dev/null 2>&1; then
      echo "postgresql://postgres@127.0.0.1:$PG_PORT/kith_test"; exit 0
    fi
    rm -rf "$PG_DIR"; mkdir -p "$PG_DIR"
    [ "$(id -u)" = "0" ] && chown postgres "$PG_DIR"
    as_pg "$BIN/initdb -D $PG_DIR -U postgres --auth=trust -E UTF8 >/dev/null"
    as_pg "$BIN/pg_ctl -D $PG_DIR -o '-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200' -l $PG_DIR/log -w start >/dev/null"
    as_pg "$BIN/createdb -h 127.0.0.1 -p $PG_PORT -U postgres kith_test"
    echo "postgresql://postgres@127.0.0.1:$PG_PORT/kith_test"
    ;;
  stop)
    BIN=$(find_bin) || exit 0
    as_pg "$BIN/pg_ctl -D $PG_DIR -m fast stop" >/dev/null 2>&1 || true
    ;;
esac
