-- wrk script for end2end/bench/run.sh: POSTs one small chat completion and, when the run ends, appends one
-- JSON line (requests, errors, latency percentiles in µs) to $BENCH_OUT. Reads only the environment.
-- BENCH_MODEL: model id; BENCH_KEY: Bearer token (empty for the direct run); BENCH_OUT: result file.
local model = os.getenv("BENCH_MODEL") or "fast"
local key = os.getenv("BENCH_KEY") or ""

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end
wrk.body = '{"model":"' .. model .. '","messages":[{"role":"system","content":"You are a helpful assistant."},'
  .. '{"role":"user","content":"Summarise the quarterly report in three short bullet points, please."}]}'

-- No `response` callback: it would make wrk parse every body in Lua and slow the generator. wrk counts
-- answers with status > 399 in `summary.errors.status`; run.sh refuses a run that has any.
function done(summary, latency, requests)
  local out = io.open(os.getenv("BENCH_OUT"), "a")
  local e = summary.errors
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"socket_errors":%d,"status_errors":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.mean))
  out:close()
end
