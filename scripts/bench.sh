#!/usr/bin/env bash
# End-to-end load test of a release build on loopback: private PostgreSQL and Redis in a temporary folder, the
# server, then wrk against an authenticated GET of a small resource (auth, rate limits, RLS transaction, JSON)
# and, as baselines of the same run, /healthz (no auth, no database) and the same GET on a second server with
# rate limits off.
#
#   scripts/bench.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
duration=${1:-20}
connections=${2:-32}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

swift build -c release --product chorus
bin=$(swift build -c release --show-bin-path)/chorus

tmp=$(mktemp -d -t chorus-bench.XXXXXX)
chmod 755 "$tmp"
server_pid=""
unlimited_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    [ -n "$unlimited_pid" ] && kill "$unlimited_pid" 2>/dev/null && wait "$unlimited_pid" 2>/dev/null || true
    bash scripts/services.sh stop "$tmp" || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

bash scripts/services.sh start "$tmp" "$(free_port)" "$(free_port)"
# shellcheck disable=SC1091
. "$tmp/env"
"$bin" secrets init --dir "$CHORUS_SECRETS_DIR"
"$bin" migrate --migrations Migrations >/dev/null
"$bin" seed --folder tenants-sample >/dev/null

port=$(free_port)
unlimited_port=$(free_port)
# Access logs are written per request at info; the benchmark measures the API, so it logs warnings only. The
# sample tenant's plan gets limits the load never reaches, so every request pays for the limiter and passes.
high='{"plans":{"standard":{"tenant":"1000000/s","member":"1000000/s","apiKey":"1000000/s"}},"authPerAddress":"1000/s","loginPerAddress":"1000/min"}'
CHORUS_HTTP_PORT=$port CHORUS_LOG_LEVEL=warning CHORUS_RATE_LIMITS=$high "$bin" serve >"$tmp/server.log" 2>&1 &
server_pid=$!
CHORUS_HTTP_PORT=$unlimited_port CHORUS_LOG_LEVEL=warning CHORUS_RATE_LIMITS='{"enabled":false}' \
    "$bin" serve >"$tmp/server-unlimited.log" 2>&1 &
unlimited_pid=$!
for p in $port $unlimited_port; do
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$p/readyz" >/dev/null && break; sleep 0.1; done
done

token=$(curl -sf "http://127.0.0.1:$port/api/v2/auth/login" -H 'content-type: application/json' \
    -d '{"tenant":"acme","email":"owner@acme.example","password":"acme-owner-password"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
key=$(curl -sf "http://127.0.0.1:$port/api/v2/api-keys" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' -d '{"name":"bench","scopes":["tenant:read"]}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
# A key limited to one request a second: under load nearly every request is refused with 429 before any
# database work, which is what a flood against a limited key costs.
limited=$(curl -sf "http://127.0.0.1:$port/api/v2/api-keys" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' \
    -d '{"name":"bench-limited","scopes":["tenant:read"],"rateLimit":{"requests":1,"per":"second"}}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
# The access token lives 15 minutes: long enough for every run below.

run() {
    local name=$1 target=$2 path=$3
    shift 3
    # Warm-up, then the measured run.
    wrk -t1 -c"$connections" -d3s "$@" "http://127.0.0.1:$target$path" >/dev/null
    echo "== $name: GET $path (wrk -t1 -c$connections -d${duration}s)"
    wrk -t1 -c"$connections" -d"${duration}s" --latency "$@" "http://127.0.0.1:$target$path" \
        | grep -E 'Requests/sec|Latency  |50%|90%|99%|Non-2xx|Socket errors'
}

# Three rounds, interleaved, so that the machine's noise spreads over every scenario alike; quote medians.
for round in 1 2 3; do
    echo "### round $round"
    run "baseline, no auth, no database" "$port" /healthz
    run "access token, one RLS statement, rate limits off" "$unlimited_port" /api/v2/tenant -H "Authorization: Bearer $token"
    run "access token, one RLS statement" "$port" /api/v2/tenant -H "Authorization: Bearer $token"
    run "API key, one RLS statement" "$port" /api/v2/tenant -H "X-API-Key: $key"
    run "access token, RLS transaction (BEGIN, enter, read, COMMIT)" "$port" /api/v2/me -H "Authorization: Bearer $token"
    run "API key over its limit: 429 before the database" "$port" /api/v2/tenant -H "X-API-Key: $limited"
done
