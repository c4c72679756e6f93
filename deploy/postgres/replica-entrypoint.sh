#!/bin/sh
# A streaming replica of the primary "db": on first start its data folder is
# cloned with pg_basebackup (-R writes the standby settings, -S uses the slot
# the primary made), then it runs as a hot standby: read-only queries,
# promotable with `pg_ctl promote` (see docs/deploy.md).
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h db -U "$POSTGRES_USER"; do sleep 1; done
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 0700 "$PGDATA"
  gosu postgres env PGPASSWORD="$REPLICATION_PASSWORD" \
    pg_basebackup -h db -U replicator -D "$PGDATA" -X stream -R -S replica_1
fi
exec docker-entrypoint.sh postgres -c hot_standby=on -c hot_standby_feedback=on
