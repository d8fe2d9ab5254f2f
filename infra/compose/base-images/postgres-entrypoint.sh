#!/bin/sh
# The part of the official postgres image's entrypoint that docker-compose.yml relies on:
# on an empty data directory, initdb with POSTGRES_PASSWORD for the `postgres` user (password
# auth over TCP, trust on the local socket) and create POSTGRES_DB; then run the server as the
# postgres user with the options given (`postgres -p 15432 ...`). Anything else is run as is.
set -eu
bin=/usr/lib/postgresql/15/bin
if [ "${1:-}" != postgres ]; then exec "$@"; fi
shift
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  as_postgres "$bin/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
    # On the socket only, so nothing connects before the database exists.
    as_postgres "$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses='' -k /run/postgresql" -w -t 60 start >/dev/null
    as_postgres "$bin/psql" -h /run/postgresql -U postgres -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE \"$POSTGRES_DB\""
    as_postgres "$bin/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
  fi
  echo "postgres-entrypoint: initialised $PGDATA (database ${POSTGRES_DB:-postgres})"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups "$bin/postgres" -D "$PGDATA" -k /run/postgresql "$@"
