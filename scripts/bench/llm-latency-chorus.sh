#!/usr/bin/env bash
# The gateway latency benchmark with the Chorus leg: builds `chorus` in release mode, starts private PostgreSQL and
# Redis in a temporary folder, migrates, seeds the sample tenant, serves, and gives the tenant a provider and a route
# to the benchmark's simulator (a primary target and a fallback, as LiteLLM's configuration has), then runs
# scripts/bench/llm-latency.sh with CHORUS_URL, CHORUS_API_KEY and CHORUS_MODEL set. Every other setting of that
# script passes through (RATE, DURATION, STREAM, SKIP_LITELLM, …).
#
#   scripts/bench/llm-latency-chorus.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

upstream_port=${UPSTREAM_PORT:-18300}
swift build -c release --product chorus
bin=$(swift build -c release --show-bin-path)/chorus

tmp=$(mktemp -d -t chorus-llm-bench.XXXXXX)
chmod 755 "$tmp"
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    bash scripts/services.sh stop "$tmp" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

bash scripts/services.sh start "$tmp" "$(free_port)" "$(free_port)" >/dev/null
# shellcheck disable=SC1091
. "$tmp/env"
"$bin" secrets init --dir "$CHORUS_SECRETS_DIR" >/dev/null
"$bin" migrate --migrations Migrations >/dev/null
"$bin" seed --folder tenants-sample >/dev/null

port=$(free_port)
# Limits the load never reaches, so every request pays for the limiter and passes; warnings only in the log.
high='{"plans":{"standard":{"tenant":"1000000/s","member":"1000000/s","apiKey":"1000000/s"}},"authPerAddress":"1000/s","loginPerAddress":"1000/min"}'
CHORUS_HTTP_PORT=$port CHORUS_LOG_LEVEL=warning CHORUS_RATE_LIMITS=$high "$bin" serve >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

api="http://127.0.0.1:$port/api/v2"
token=$(curl -sf "$api/auth/login" -H 'content-type: application/json' \
    -d '{"tenant":"acme","email":"owner@acme.example","password":"acme-owner-password"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
auth=(-H "authorization: Bearer $token" -H 'content-type: application/json')
curl -sf -X PUT "$api/llm/providers/bench-sim" "${auth[@]}" \
    -d "{\"kind\":\"openai-compatible\",\"baseUrl\":\"http://127.0.0.1:$upstream_port/v1\",\"apiKey\":\"sk-bench\"}" >/dev/null
# The equivalent of LiteLLM's configuration: a primary and a fallback deployment, one retry.
curl -sf -X PUT "$api/llm/routes/bench-route" "${auth[@]}" -d '{
  "targets": [
    {"id": "primary", "provider": "bench-sim", "model": "bench-primary"},
    {"id": "fallback", "provider": "bench-sim", "model": "bench-fallback"}
  ],
  "retry": {"attemptsPerTarget": 2}
}' >/dev/null
key=$(curl -sf "$api/api-keys" "${auth[@]}" -d '{"name":"llm-bench","scopes":["models:use"]}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

CHORUS_URL="$api/llm/chat/completions" CHORUS_API_KEY=$key CHORUS_MODEL=bench-route \
    bash scripts/bench/llm-latency.sh
