#!/usr/bin/env bash
# Latency a model gateway adds to a chat completion, measured side by side in one run: the loopback provider
# simulator called directly, through LiteLLM's proxy, and through Chorus. "Added" is a leg's latency minus the direct
# leg's, same run, median and p99. See scripts/bench/README.md.
#
#   scripts/bench/llm-latency.sh
#
# Environment (all optional):
#   RATE=1000            requests per second of the main pass
#   LOW_RATES="200 100 50"  when LiteLLM cannot keep up with RATE, every leg is measured again at these rates, in
#                        order, until LiteLLM keeps up with one (LOW_RATES="" skips them)
#   DURATION=20          measured seconds per leg and pass
#   WARMUP=3             unmeasured seconds per leg at the start of a pass
#   ROUND=5              legs take turns in measured slices of this many seconds (each after a 1 s re-warm)
#   CONNECTIONS=64       keep-alive connections per leg
#   STREAM=1             ask for streamed answers (with stream_options.include_usage)
#   UPSTREAM_PORT=18300  where the simulator listens; a Chorus under test routes its model here
#   LITELLM_PORT=18400   LITELLM_WORKERS=$(nproc)   SKIP_LITELLM=1 leaves LiteLLM out
#   LITELLM_VENV=~/.cache/chorus-bench/litellm-venv  LITELLM_SPEC='litellm[proxy]==1.106.2'  (installed there with
#                        opentelemetry-sdk, as LiteLLM's own proxy image has it: without it LiteLLM retries a failing
#                        import on every request)
#   CHORUS_URL           full URL of Chorus's POST /api/v2/llm/chat/completions
#   CHORUS_API_KEY       an API key allowed to call it (sent as Authorization: Bearer …)
#   CHORUS_MODEL         the model (route) name that Chorus sends to the simulator, with a fallback configured
#   OUT_DIR              where results and logs go (default: a new folder under /tmp)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

rate=${RATE:-1000}
low_rates=${LOW_RATES-200 100 50}
duration=${DURATION:-20}
warmup=${WARMUP:-3}
round=${ROUND:-5}
connections=${CONNECTIONS:-64}
upstream_port=${UPSTREAM_PORT:-18300}
litellm_port=${LITELLM_PORT:-18400}
litellm_workers=${LITELLM_WORKERS:-$(nproc)}
litellm_venv=${LITELLM_VENV:-$HOME/.cache/chorus-bench/litellm-venv}
litellm_spec=${LITELLM_SPEC:-litellm[proxy]==1.106.2}
litellm_key=sk-bench-gateway
out=${OUT_DIR:-$(mktemp -d -t llm-latency.XXXXXX)}
mkdir -p "$out"

say() { printf '== %s\n' "$*" >&2; }

port_busy() {
    python3 -c 'import socket, sys
sys.exit(0 if socket.socket().connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1"
}

# Every server runs in a process group of its own (setsid), so cleanup reaches a server's workers too and nothing
# else.
server_groups=()
cleanup() {
    local group
    for group in "${server_groups[@]}"; do kill -TERM -- "-$group" 2>/dev/null || true; done
    for _ in $(seq 1 50); do
        local alive=0
        for group in "${server_groups[@]}"; do kill -0 -- "-$group" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for group in "${server_groups[@]}"; do kill -KILL -- "-$group" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# CPU seconds (user + system) of every process in a process group.
group_cpu() {
    python3 - "$1" <<'EOF'
import os, sys
group, ticks = int(sys.argv[1]), 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    if int(fields[2]) == group:
        ticks += int(fields[11]) + int(fields[12])
print(ticks / os.sysconf("SC_CLK_TCK"))
EOF
}

wait_ready() {
    local name=$1 url=$2 seconds=$3 group=$4
    for _ in $(seq 1 $((seconds * 5))); do
        curl -sf -m 2 "$url" >/dev/null 2>&1 && return 0
        kill -0 -- "-$group" 2>/dev/null || { say "$name exited; its log:"; tail -30 "$out/$name.log" >&2; exit 1; }
        sleep 0.2
    done
    say "$name not ready after ${seconds}s; its log:"
    tail -30 "$out/$name.log" >&2
    exit 1
}

# --- build -----------------------------------------------------------------------------------------------------
say "building llm-upstream and llm-load (release)"
(cd Benchmarks && swift build -c release --product llm-upstream && swift build -c release --product llm-load) >&2
bin=$(cd Benchmarks && swift build -c release --show-bin-path)

# --- LiteLLM ---------------------------------------------------------------------------------------------------
use_litellm=1
[ "${SKIP_LITELLM:-0}" = 1 ] && use_litellm=0
if [ "$use_litellm" = 1 ] && ! "$litellm_venv/bin/python" -c 'import litellm, opentelemetry.sdk' 2>/dev/null; then
    say "installing $litellm_spec and opentelemetry-sdk into $litellm_venv (a few minutes)"
    [ -x "$litellm_venv/bin/python" ] || python3 -m venv "$litellm_venv"
    "$litellm_venv/bin/pip" install --quiet "$litellm_spec" opentelemetry-sdk >&2
fi

# --- servers ---------------------------------------------------------------------------------------------------
for port in $upstream_port $([ "$use_litellm" = 1 ] && echo "$litellm_port"); do
    if port_busy "$port"; then say "port $port is in use; set UPSTREAM_PORT / LITELLM_PORT"; exit 1; fi
done

setsid "$bin/llm-upstream" --port "$upstream_port" >"$out/upstream.log" 2>&1 &
upstream_group=$!
server_groups+=("$upstream_group")
wait_ready upstream "http://127.0.0.1:$upstream_port/health" 10 "$upstream_group"
say "simulator on http://127.0.0.1:$upstream_port/v1 (failing twin: /fail/v1)"

if [ "$use_litellm" = 1 ]; then
    litellm_version=$("$litellm_venv/bin/python" -c 'from importlib.metadata import version; print(version("litellm"))')
    say "starting LiteLLM $litellm_version on :$litellm_port with $litellm_workers worker(s)"
    # Production settings from LiteLLM's guide: logs at ERROR, no database, one worker per core. The cost map is read
    # from the package instead of fetched (this machine has no route to GitHub), and connections stay open between
    # the turns of the interleaved run as they would behind a load balancer.
    (
        cd "$out"
        exec env -u DATABASE_URL \
            BENCH_PRIMARY_BASE="http://127.0.0.1:$upstream_port/v1" \
            BENCH_FALLBACK_BASE="http://127.0.0.1:$upstream_port/v1" \
            LITELLM_MASTER_KEY="$litellm_key" \
            LITELLM_LOG=ERROR \
            LITELLM_MODE=PRODUCTION \
            LITELLM_LOCAL_MODEL_COST_MAP=True \
            setsid "$litellm_venv/bin/litellm" --config "$root/scripts/bench/litellm-config.yaml" \
            --host 127.0.0.1 --port "$litellm_port" --num_workers "$litellm_workers" --keepalive_timeout 120
    ) >"$out/litellm.log" 2>&1 &
    litellm_group=$!
    server_groups+=("$litellm_group")
    wait_ready litellm "http://127.0.0.1:$litellm_port/health/readiness" 180 "$litellm_group"
    # One real call through the route, so a broken configuration fails here and not as 20,000 errors.
    curl -sf -m 30 "http://127.0.0.1:$litellm_port/v1/chat/completions" -H "authorization: Bearer $litellm_key" \
        -H 'content-type: application/json' \
        -d '{"model":"bench-route","messages":[{"role":"user","content":"ping"}]}' >/dev/null \
        || { say "LiteLLM did not answer a test call; its log:"; tail -30 "$out/litellm.log" >&2; exit 1; }
fi

# --- legs ------------------------------------------------------------------------------------------------------
legs=(--target "direct=http://127.0.0.1:$upstream_port/v1/chat/completions" --model direct=bench-primary)
if [ "$use_litellm" = 1 ]; then
    legs+=(--target "litellm=http://127.0.0.1:$litellm_port/v1/chat/completions" --model litellm=bench-route
        --api-key "litellm=$litellm_key")
fi
if [ -n "${CHORUS_URL:-}" ] && [ -n "${CHORUS_API_KEY:-}" ] && [ -n "${CHORUS_MODEL:-}" ]; then
    legs+=(--target "chorus=$CHORUS_URL" --model "chorus=$CHORUS_MODEL" --api-key "chorus=$CHORUS_API_KEY")
    curl -sf -m 30 "$CHORUS_URL" -H "authorization: Bearer $CHORUS_API_KEY" -H 'content-type: application/json' \
        -d "{\"model\":\"$CHORUS_MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}]}" >/dev/null \
        || { say "Chorus did not answer a test call at $CHORUS_URL"; exit 1; }
else
    say "Chorus leg skipped: set CHORUS_URL, CHORUS_API_KEY and CHORUS_MODEL to include it"
fi
stream_flag=()
[ "${STREAM:-0}" = 1 ] && stream_flag=(--stream)

run_pass() {
    local pass_rate=$1 file="$out/rate-$1.jsonl"
    local before_upstream after_upstream before_litellm="" after_litellm=""
    say "pass at $pass_rate/s: ${duration}s measured per leg in ${round}s turns," \
        "load average $(cut -d' ' -f1-3 /proc/loadavg)"
    before_upstream=$(group_cpu "$upstream_group")
    [ "$use_litellm" = 1 ] && before_litellm=$(group_cpu "$litellm_group")
    "$bin/llm-load" "${legs[@]}" "${stream_flag[@]}" --rate "$pass_rate" --duration "$duration" --warmup "$warmup" \
        --round "$round" --connections "$connections" | tee "$file"
    after_upstream=$(group_cpu "$upstream_group")
    [ "$use_litellm" = 1 ] && after_litellm=$(group_cpu "$litellm_group")
    python3 -c 'import json, sys; a = [float(x) for x in sys.argv[1:]]
print(json.dumps(dict([("upstream", a[1] - a[0])] + ([("litellm", a[3] - a[2])] if len(a) > 2 else []))))' \
        "$before_upstream" "$after_upstream" ${before_litellm:+"$before_litellm" "$after_litellm"} \
        >"$out/rate-$pass_rate.cpu.json"
    say "load average after the pass: $(cut -d' ' -f1-3 /proc/loadavg)"
}

passes=("$out/rate-$rate.jsonl")
run_pass "$rate"
sustained() { python3 scripts/bench/llm-latency-report.py --sustained litellm "$out/rate-$1.jsonl"; }
if [ "$use_litellm" = 1 ] && ! sustained "$rate"; then
    previous=$rate
    for low in $low_rates; do
        say "LiteLLM did not keep up with $previous/s; measuring every leg again at $low/s"
        run_pass "$low"
        passes+=("$out/rate-$low.jsonl")
        sustained "$low" && break
        previous=$low
    done
fi

echo
echo "Latency from the scheduled send time, ms; added = leg minus direct in the same pass."
if [ "$use_litellm" = 1 ]; then
    echo "LiteLLM $litellm_version, $litellm_workers worker(s), scripts/bench/litellm-config.yaml."
fi
echo
python3 scripts/bench/llm-latency-report.py "${passes[@]}"
echo "Results and logs: $out"
