#!/usr/bin/env bash
# A throwaway PostgreSQL server for veto-server's tests and benchmark, from Debian's
# `postgresql` package: initdb into a temporary folder, listening on 127.0.0.1 only.
#
#   scripts/server/postgres.sh start DIR [PORT]   # prints the admin URL on stdout
#   scripts/server/postgres.sh stop DIR
#
# Installs the package when it is missing (apt-get, as root; idempotent). PostgreSQL
# refuses to run as root, so as root the server runs as the unprivileged user
# `veto-pg` (created if needed).
set -euo pipefail
cmd=${1:?usage: postgres.sh start|stop DIR [PORT]}
dir=${2:?usage: postgres.sh start|stop DIR [PORT]}
port=${3:-55432}

bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u veto-pg -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    if [ -z "$(bin_dir)" ]; then
      if [ "$(id -u)" -ne 0 ]; then
        echo "postgres.sh: PostgreSQL is not installed; run as root or: apt-get install postgresql" >&2
        exit 1
      fi
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq --no-install-recommends postgresql >&2
      # Debian's package starts a cluster of its own; it is not used.
      (service postgresql stop || true) >/dev/null 2>&1
    fi
    bin=$(bin_dir)
    if [ "$(id -u)" -eq 0 ] && ! id veto-pg >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin veto-pg
    fi
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown veto-pg "$dir"
    chmod 700 "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U veto --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB" start >&2 ||
      { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://veto@127.0.0.1:$port/postgres"
    ;;
  stop)
    bin=$(bin_dir)
    if [ -d "$dir/data" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "postgres.sh: unknown command $cmd (start or stop)" >&2
    exit 2
    ;;
esac
