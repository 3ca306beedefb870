#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A throwaway PostgreSQL server for the tests and benchmarks, in a temporary
# directory, listening only on a Unix socket inside it. It never touches a
# system cluster or service. As root, the server runs as an unprivileged user
# (postgres, created by Debian's package, or nobody).
#
#   pg-test-server.sh start DIR    initialise DIR (if empty) and start; prints the URI
#   pg-test-server.sh stop DIR     stop it fast (no error when it is not running)
#   pg-test-server.sh restart DIR  stop immediately, as a crash would, then start
#   pg-test-server.sh uri DIR      print the connection URI
#
# The URI names the database "orderly"; tests create their own databases
# beside it with the superuser "orderly".
set -euo pipefail

pg_bin=${ORDERLY_PG_BIN:-}
if [ -z "$pg_bin" ]; then
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && pg_bin=$candidate
  done
fi
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "pg-test-server: PostgreSQL's initdb was not found (install postgresql)" >&2
  exit 1
fi

as_server_user ()
{
  if [ "$(id -u)" = 0 ]; then
    local user=postgres
    id -u "$user" >/dev/null 2>&1 || user=nobody
    setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups -- "$@"
  else
    "$@"
  fi
}

uri ()
{
  # The socket directory is percent-encoded in the host parameter.
  local dir=$1
  echo "postgresql:///orderly?host=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$dir/socket")&user=orderly"
}

start ()
{
  local dir=$1
  mkdir -p "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir/data" "$dir/socket"
    if [ "$(id -u)" = 0 ]; then
      local user=postgres
      id -u "$user" >/dev/null 2>&1 || user=nobody
      chown "$user" "$dir" "$dir/data" "$dir/socket"
    fi
    chmod 0700 "$dir/data"
    as_server_user "$pg_bin/initdb" -D "$dir/data" -U orderly -A trust -E UTF8 \
      --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # Throwaway data: no fsync (a crash of the server process still loses no
    # commit; only one of the machine would). Enough connections for three
    # instances and their workers.
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir/socket'
unix_socket_permissions = 0777
fsync = off
full_page_writes = off
max_connections = 200
shared_buffers = 256MB
max_wal_size = 4GB
shared_preload_libraries = 'pg_stat_statements'
log_min_messages = warning
EOF
  fi
  as_server_user "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { tail -30 "$dir/server.log" >&2; exit 1; }
  if ! "$pg_bin/psql" -XqtA -h "$dir/socket" -U orderly -d postgres \
         -c "SELECT 1 FROM pg_database WHERE datname = 'orderly'" | grep -q 1; then
    "$pg_bin/psql" -Xq -h "$dir/socket" -U orderly -d postgres -c "CREATE DATABASE orderly" >/dev/null
  fi
  uri "$dir"
}

stop ()
{
  local dir=$1 mode=${2:-fast}
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_server_user "$pg_bin/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop >/dev/null 2>&1 || true
}

case "${1:-}:${2:-}" in
  start:?*)   start "$2" ;;
  stop:?*)    stop "$2" ;;
  restart:?*) stop "$2" immediate; start "$2" >/dev/null ;;
  uri:?*)     uri "$2" ;;
  *) sed -n '3,15p' "$0" >&2; exit 2 ;;
esac
