#!/usr/bin/env bash
# Starts or stops private PostgreSQL and Redis servers under a folder, on loopback only.
#
#   scripts/services.sh start DIR PG_PORT REDIS_PORT [--ephemeral]
#   scripts/services.sh stop DIR
#
# `start` writes DIR/env with the CHORUS_* variables for the server, the migrator and the tests. It reuses
# servers that are already running from DIR. --ephemeral turns off Redis persistence and PostgreSQL fsync (tests).
set -euo pipefail

cmd=${1:?usage: services.sh start|stop DIR ...}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
pgdata="$dir/postgres"
pgsock="$dir/run"
redisdir="$dir/redis"
secrets="$dir/secrets"

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pgbin/pg_ctl" ] || { echo "services: PostgreSQL server binaries not found (run scripts/deps.sh)" >&2; exit 1; }

# PostgreSQL refuses to run as root: run it as the `postgres` system user the Debian package creates.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
    if [ -f "$pgdata/postmaster.pid" ]; then
        as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
    fi
    if [ -f "$redisdir/redis.pid" ]; then
        local pid
        pid=$(cat "$redisdir/redis.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        fi
        rm -f "$redisdir/redis.pid"
    fi
}

secret() {
    local file="$secrets/$1"
    if [ ! -s "$file" ]; then
        mkdir -p "$secrets"
        chmod 700 "$secrets"
        head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$file"
        chmod 600 "$file"
    fi
    cat "$file"
}

start() {
    local pgport=${3:?PG_PORT} redisport=${4:?REDIS_PORT} ephemeral=${5:-}
    local operator_pw app_pw
    operator_pw=$(secret db-operator-password)
    app_pw=$(secret db-app-password)

    if [ ! -f "$pgdata/PG_VERSION" ]; then
        mkdir -p "$pgdata"
        [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pgdata"
        chmod 700 "$pgdata"
        as_pg "$pgbin/initdb" -D "$pgdata" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    mkdir -p "$pgsock"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pgsock"
    if ! as_pg "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
        local opts="-c listen_addresses=127.0.0.1 -p $pgport -k $pgsock -c max_connections=200"
        [ "$ephemeral" = "--ephemeral" ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        as_pg "$pgbin/pg_ctl" -D "$pgdata" -o "$opts" -l "$pgdata/server.log" -w -t 60 start >/dev/null \
            || { tail -n 20 "$pgdata/server.log" >&2; exit 1; }
    fi
    local psql=(as_pg "$pgbin/psql" -h "$pgsock" -p "$pgport" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
    # The operator runs migrations: it may create roles and owns the database, but is not a superuser.
    if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'chorus_operator'")" ]; then
        "${psql[@]}" -c "CREATE ROLE chorus_operator LOGIN CREATEROLE CREATEDB PASSWORD '$operator_pw'"
    fi
    if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'chorus'")" ]; then
        "${psql[@]}" -c "CREATE DATABASE chorus OWNER chorus_operator"
    fi

    mkdir -p "$redisdir"
    if ! { [ -f "$redisdir/redis.pid" ] && kill -0 "$(cat "$redisdir/redis.pid")" 2>/dev/null; }; then
        local persist=(--save "60 1" --appendonly no)
        [ "$ephemeral" = "--ephemeral" ] && persist=(--save "" --appendonly no)
        redis-server --bind 127.0.0.1 --port "$redisport" --dir "$redisdir" --daemonize yes \
            --pidfile "$redisdir/redis.pid" --logfile "$redisdir/redis.log" "${persist[@]}" >/dev/null
        for _ in $(seq 1 50); do
            redis-cli -h 127.0.0.1 -p "$redisport" ping >/dev/null 2>&1 && break
            sleep 0.1
        done
        redis-cli -h 127.0.0.1 -p "$redisport" ping >/dev/null || { tail -n 20 "$redisdir/redis.log" >&2; exit 1; }
    fi

    cat > "$dir/env" <<ENV
export CHORUS_DATABASE_URL=postgres://chorus_app:$app_pw@127.0.0.1:$pgport/chorus
export CHORUS_MIGRATION_DATABASE_URL=postgres://chorus_operator:$operator_pw@127.0.0.1:$pgport/chorus
export CHORUS_APP_DATABASE_PASSWORD=$app_pw
export CHORUS_REDIS_URL=redis://127.0.0.1:$redisport/0
export CHORUS_SECRETS_DIR=$secrets
export CHORUS_PG_SOCKET_DIR=$pgsock
export CHORUS_PG_PORT=$pgport
ENV
    chmod 600 "$dir/env"
}

case "$cmd" in
    start) start "$@" ;;
    stop) stop ;;
    *) echo "usage: services.sh start|stop DIR ..." >&2; exit 2 ;;
esac
