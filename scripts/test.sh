#!/usr/bin/env bash
# Runs the whole test suite against private PostgreSQL and Redis servers on free loopback ports in a temporary
# folder, and stops them afterwards whatever the outcome.
set -euo pipefail

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

tmp=$(mktemp -d -t chorus-test.XXXXXX)
chmod 755 "$tmp"
cleanup() {
    bash scripts/services.sh stop "$tmp" || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

echo "test: building"
swift build --build-tests

pg_port=$(free_port)
redis_port=$(free_port)
echo "test: starting PostgreSQL on $pg_port and Redis on $redis_port under $tmp"
bash scripts/services.sh start "$tmp" "$pg_port" "$redis_port" --ephemeral
# shellcheck disable=SC1091
. "$tmp/env"

bin=$(swift build --show-bin-path)/chorus
"$bin" migrate --migrations Migrations
# A second, empty database for the migrator's own tests.
runuser -u postgres -- psql -h "$CHORUS_PG_SOCKET_DIR" -p "$CHORUS_PG_PORT" -U postgres -d postgres -qAt \
    -c "CREATE DATABASE chorus_scratch OWNER chorus_operator" 2>/dev/null \
    || psql -h "$CHORUS_PG_SOCKET_DIR" -p "$CHORUS_PG_PORT" -U postgres -d postgres -qAt \
        -c "CREATE DATABASE chorus_scratch OWNER chorus_operator"

export CHORUS_TEST_DATABASE_URL=$CHORUS_DATABASE_URL
export CHORUS_TEST_OPERATOR_DATABASE_URL=$CHORUS_MIGRATION_DATABASE_URL
export CHORUS_TEST_SCRATCH_DATABASE_URL=${CHORUS_MIGRATION_DATABASE_URL%/chorus}/chorus_scratch
export CHORUS_TEST_REDIS_URL=$CHORUS_REDIS_URL
export CHORUS_TEST_MIGRATIONS_DIR=$PWD/Migrations

echo "test: checking flows/*.json against flows/schema/flow.schema.json"
python3 scripts/flows/check_schema.py

echo "test: running the suite"
swift test --skip-build
