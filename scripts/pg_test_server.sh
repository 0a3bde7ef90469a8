#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks, from Debian's
# `postgresql` package: a cluster in a temporary directory under /tmp (so the
# server's user can reach it wherever the checkout is), run as an
# unprivileged user (postgres when started by root), listening on 127.0.0.1
# only, on a free port. DIR keeps its URL and where the cluster is.
#
#   scripts/pg_test_server.sh start DIR   # prints the URL; DIR/url holds it too
#   scripts/pg_test_server.sh stop DIR    # stops the server and removes DIR
#
# The role `meter` logs in without a password from 127.0.0.1 and owns the
# database `meter`; every other role must give its password (scram-sha-256),
# so tests can check refused logins. Durability is off (fsync, full page
# writes): the server is thrown away, and tests kill clients, not it.
set -euo pipefail
cmd=${1:-}; dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  sed -n '2,14p' "$0" >&2
  exit 2
fi
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bindir" ]; then
  echo "pg_test_server: PostgreSQL is not installed (scripts/setup.sh installs it)" >&2
  exit 69
fi
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  mkdir -p "$dir"
  cluster=$(mktemp -d /tmp/meter-pg-XXXXXX)
  echo "$cluster" >"$dir/cluster"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$cluster"; fi
  dir_keep=$dir; dir=$cluster
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  cat >"$dir/data/pg_hba.conf" <<HBA
local all all trust
host all postgres 127.0.0.1/32 trust
host all meter 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
HBA
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=300 -c shared_buffers=128MB" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$bindir/psql" -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE meter LOGIN CREATEROLE CREATEDB" -c "CREATE DATABASE meter OWNER meter" >/dev/null
  echo "postgresql://meter@127.0.0.1:$port/meter" | tee "$dir_keep/url"
  ;;
stop)
  if [ -f "$dir/cluster" ]; then
    cluster=$(cat "$dir/cluster")
    if [ -d "$cluster/data" ]; then
      as_owner "$bindir/pg_ctl" -D "$cluster/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    case "$cluster" in /tmp/meter-pg-*) rm -rf "$cluster" ;; esac
  fi
  rm -rf "$dir"
  ;;
*)
  echo "pg_test_server: unknown command '$cmd' (start or stop)" >&2
  exit 2
  ;;
esac
