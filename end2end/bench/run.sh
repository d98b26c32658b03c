#!/usr/bin/env bash
# Load benchmark of the relay (issue 5): the RELEASE palisade in front of a loopback OpenAI-compatible mock
# upstream (server/examples/mock_upstream.rs), `balanced` applied, against the same mock called directly.
# Prints a markdown table: p50/p99 at concurrency 1 (overhead = difference), throughput at concurrency 32 as a
# ratio to direct, gateway CPU per request (/proc/<pid>/stat utime+stime) and peak RSS (VmHWM). Beside the
# gateway it measures the floor: `bare_proxy`, the same stack forwarding bytes with no work at all.
#
#   bash end2end/bench/run.sh            # builds (nice -n 10) if needed, then measures; ~1 minute of load
#
# Not run in CI: it is a benchmark and its numbers depend on the machine. Env: BENCH_PORT (default 3911; the
# gateway listens on BENCH_PORT+1, the bare proxy on BENCH_PORT+2), BENCH_SECONDS (per measured run, default 10), BENCH_SKIP_BUILD=1,
# BENCH_PERF=<file> (write a `perf` profile of the gateway at concurrency 32 to <file>).
# Needs wrk (apt-get install -y wrk) and python3 (for the JSON and the table).
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${BENCH_PORT:-3911}
GW_PORT=$((PORT + 1))
BARE_PORT=$((PORT + 2))
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
  echo "== release build (nice -n 10; several minutes on 2 cores the first time)" >&2
  nice -n 10 cargo build -q --release -p server --bin palisade --example mock_upstream --example bare_proxy
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

./target/release/examples/mock_upstream "127.0.0.1:${PORT}" 2>"$WORK/mock.log" &
MOCK_PID=$!
PIDS+=("$MOCK_PID")
./target/release/examples/bare_proxy "127.0.0.1:${BARE_PORT}" "http://127.0.0.1:${PORT}" 2>"$WORK/bare.log" &
BARE_PID=$!
PIDS+=("$BARE_PID")

cat > "$WORK/palisade.toml" <<EOF
[server]
listen = "127.0.0.1:${GW_PORT}"
public_url = "http://127.0.0.1:${GW_PORT}"
secure_cookies = false

[database]
url = "sqlite://${WORK}/palisade.db?mode=rwc"

[[providers]]
name = "bench"
base_url = "http://127.0.0.1:${PORT}/v1"
models = [{ id = "fast" }]
EOF
BASE="http://127.0.0.1:${GW_PORT}"
PALISADE_BOOTSTRAP_EMAIL=owner@example.com PALISADE_BOOTSTRAP_PASSWORD=owner-password-123 RUST_LOG=warn \
  ./target/release/palisade serve --config "$WORK/palisade.toml" >"$WORK/server.log" 2>&1 &
GW_PID=$!
PIDS+=("$GW_PID")

for _ in $(seq 1 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/models")" = 401 ] && break
  sleep 0.2
done

# `balanced` through the API, as an operator would; the relay key from the CLI.
LOGIN=$(curl -sf -c "$WORK/cookies" "$BASE/api/auth/login" -H 'content-type: application/json' \
  -d '{"email":"owner@example.com","password":"owner-password-123"}')
CSRF=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["csrf_token"])' "$LOGIN")
curl -sf -o /dev/null -b "$WORK/cookies" "$BASE/api/workspace/firewall/autonomy" -H 'content-type: application/json' \
  -H "x-palisade-csrf: $CSRF" -d '{"level":"balanced"}'
KEY=$(./target/release/palisade admin create-key --config "$WORK/palisade.toml" --workspace default --name bench 2>/dev/null | grep -o 'sk-pal-[A-Za-z0-9]*' | head -1)
[ -n "$KEY" ] || { echo "could not create a relay key" >&2; tail -20 "$WORK/server.log" >&2; exit 1; }

# One request each way must succeed before any load.
curl -sf -o /dev/null "http://127.0.0.1:${PORT}/v1/chat/completions" -H 'content-type: application/json' -d '{"model":"fast","messages":[]}'
curl -sf -o /dev/null "$BASE/v1/chat/completions" -H "authorization: Bearer $KEY" -H 'content-type: application/json' \
  -d '{"model":"bench/fast","messages":[{"role":"user","content":"hello"}]}' \
  || { echo "the relay refused the benchmark request:" >&2; curl -s "$BASE/v1/chat/completions" -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"model":"bench/fast","messages":[{"role":"user","content":"hello"}]}' >&2; exit 1; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run NAME TARGET CONNECTIONS THREADS SECONDS: one wrk run, result appended to $WORK/NAME.json.
run() {
  local name=$1 target=$2 conns=$3 threads=$4 secs=$5 url model key
  case "$target" in
    direct) url="http://127.0.0.1:${PORT}/v1/chat/completions" model=fast key="" ;;
    bare) url="http://127.0.0.1:${BARE_PORT}/v1/chat/completions" model=fast key="" ;;
    *) url="$BASE/v1/chat/completions" model=bench/fast key=$KEY ;;
  esac
  BENCH_MODEL=$model BENCH_KEY=$key BENCH_OUT="$WORK/$name.json" \
    wrk -t"$threads" -c"$conns" -d"${secs}s" -s end2end/bench/post.lua "$url" >"$WORK/$name.txt"
}

# The RSS target is the relay's footprint under load, so the peak is reset (clear_refs 5 resets VmHWM)
# after setup and again after the warm-up, and each phase's peak is reported: setup (bootstrap user and
# login, each an argon2id hash with 19 MiB of scratch), warm-up (the first requests compile the posture)
# and the measured load.
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$GW_PID/status"; }
SETUP_HWM_KB=$(hwm_kb)
echo 5 >"/proc/$GW_PID/clear_refs"
echo "== warm-up" >&2
run warm direct 8 2 2
run warm bare 8 2 2
run warm gateway 8 2 2
WARM_HWM_KB=$(hwm_kb)
echo 5 >"/proc/$GW_PID/clear_refs"
echo "== concurrency 1 (${SECONDS_PER_RUN}s each)" >&2
run direct_c1 direct 1 1 "$SECONDS_PER_RUN"
run bare_c1 bare 1 1 "$SECONDS_PER_RUN"
CPU0=$(cpu_ticks "$GW_PID")
run gateway_c1 gateway 1 1 "$SECONDS_PER_RUN"
CPU1=$(cpu_ticks "$GW_PID")
echo "== concurrency 32 (${SECONDS_PER_RUN}s each)" >&2
run direct_c32 direct 32 2 "$SECONDS_PER_RUN"
BARE0=$(cpu_ticks "$BARE_PID")
run bare_c32 bare 32 2 "$SECONDS_PER_RUN"
BARE1=$(cpu_ticks "$BARE_PID")
CPU2=$(cpu_ticks "$GW_PID")
if [ -n "${BENCH_PERF:-}" ]; then
  # Where the gateway's CPU goes at concurrency 32 (needs `perf`); the report lands in $BENCH_PERF.
  perf record -q -F 999 -g -p "$GW_PID" -o "$WORK/perf.data" -- sleep "$SECONDS_PER_RUN" 2>/dev/null &
  PERF_PID=$!
fi
run gateway_c32 gateway 32 2 "$SECONDS_PER_RUN"
CPU3=$(cpu_ticks "$GW_PID")
if [ -n "${BENCH_PERF:-}" ]; then
  wait "$PERF_PID" || true
  perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null | grep "%" | head -80 >"$BENCH_PERF" || true
fi
HWM_KB=$(hwm_kb)
RECORDED=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from requests").fetchone()[0])' "$WORK/palisade.db" 2>/dev/null || echo "?")

BARE_HWM_KB=$(awk '/VmHWM/ {print $2}' "/proc/$BARE_PID/status")

python3 - "$WORK" "$(getconf CLK_TCK)" "$CPU0" "$CPU1" "$CPU2" "$CPU3" "$HWM_KB" "$(nproc)" "$RECORDED" "$BARE0" "$BARE1" "$BARE_HWM_KB" "$SETUP_HWM_KB" "$WARM_HWM_KB" <<'PY'
import json, sys, datetime
work, hz = sys.argv[1], int(sys.argv[2])
cpu0, cpu1, cpu2, cpu3, hwm_kb, cores, recorded, bare0, bare1, bare_hwm_kb, setup_hwm_kb, warm_hwm_kb = map(str, sys.argv[3:15])
def load(name):
    r = json.loads(open(f"{work}/{name}.json").read().splitlines()[-1])
    if r["socket_errors"] or r["status_errors"]:
        sys.exit(f"{name}: {r['socket_errors']} socket errors, {r['status_errors']} HTTP errors: not a valid run")
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r
d1, b1, g1, d32, b32, g32 = (load(n) for n in ("direct_c1", "bare_c1", "gateway_c1", "direct_c32", "bare_c32", "gateway_c32"))
ms = lambda us: us / 1000
cpu_c1 = (int(cpu1) - int(cpu0)) / hz * 1000 / g1["requests"]
cpu_c32 = (int(cpu3) - int(cpu2)) / hz * 1000 / g32["requests"]
bare_cpu = (int(bare1) - int(bare0)) / hz * 1000 / b32["requests"]
ratio = g32["rps"] / d32["rps"]
p50_over = ms(g1["p50_us"] - d1["p50_us"])
p99_over = ms(g1["p99_us"] - d1["p99_us"])
rss_mib = int(hwm_kb) / 1024
bare_rss = int(bare_hwm_kb) / 1024
setup_rss = int(setup_hwm_kb) / 1024
warm_rss = int(warm_hwm_kb) / 1024
ok = lambda met: "yes" if met else "**no**"
print(f"\nRelay benchmark, {datetime.date.today()}, {cores} cores, release build, `balanced` applied, "
      f"loopback mock upstream; {recorded} requests recorded by the gateway.\n")
print("| Measure | Direct to mock | Bare proxy (floor) | Through Palisade | Result | Target | Met |")
print("| --- | --- | --- | --- | --- | --- | --- |")
print(f"| p50 latency, concurrency 1 | {ms(d1['p50_us']):.3f} ms | {ms(b1['p50_us']):.3f} ms | {ms(g1['p50_us']):.3f} ms | overhead {p50_over:.3f} ms (floor {ms(b1['p50_us'] - d1['p50_us']):.3f}) | ≤ 0.1 ms | {ok(p50_over <= 0.1)} |")
print(f"| p99 latency, concurrency 1 | {ms(d1['p99_us']):.3f} ms | {ms(b1['p99_us']):.3f} ms | {ms(g1['p99_us']):.3f} ms | overhead {p99_over:.3f} ms | – | – |")
print(f"| Throughput, concurrency 1 | {d1['rps']:.0f} req/s | {b1['rps']:.0f} req/s | {g1['rps']:.0f} req/s | {g1['rps'] / d1['rps']:.2f}× | – | – |")
print(f"| Throughput, concurrency 32 | {d32['rps']:.0f} req/s | {b32['rps']:.0f} req/s | {g32['rps']:.0f} req/s | {ratio:.2f}× direct (floor {b32['rps'] / d32['rps']:.2f}×) | ≥ 0.5× | {ok(ratio >= 0.5)} |")
print(f"| CPU per request (c=32) | – | {bare_cpu:.3f} ms | {cpu_c32:.3f} ms | | ≤ 0.08 ms | {ok(cpu_c32 <= 0.08)} |")
print(f"| CPU per request (c=1) | – | – | {cpu_c1:.3f} ms | | – | – |")
print(f"| Peak RSS during the measured load (VmHWM) | – | {bare_rss:.1f} MiB | {rss_mib:.1f} MiB | | ≤ 64 MiB | {ok(rss_mib <= 64)} |")
print(f"| Peak RSS during the warm-up (posture compiled) | – | – | {warm_rss:.1f} MiB | | – | – |")
print(f"| Peak RSS of setup (bootstrap, login, `balanced`) | – | – | {setup_rss:.1f} MiB | | – | – |")
PY
