-- The requests of one page for wrk (scripts/bench.py writes them, bench/README.md explains).
-- BENCH_REQUESTS names a file of lines "METHOD<TAB>PATH<TAB>BODY", sent in turn (a write goes
-- to a different record each time); BENCH_COOKIE and BENCH_CSRF log the requests in.
-- At the end one line: "BENCH requests duration_us p50_us p95_us p99_us errors".

local requests = {}
local cookie = os.getenv("BENCH_COOKIE") or ""
local csrf = os.getenv("BENCH_CSRF") or ""
local counter = 0

for line in io.lines(os.getenv("BENCH_REQUESTS")) do
  local method, path, body = line:match("^([^\t]*)\t([^\t]*)\t?(.*)$")
  local headers = {}
  if cookie ~= "" then headers["Cookie"] = cookie end
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["X-CSRF-Token"] = csrf
  end
  requests[#requests + 1] = wrk.format(method, path, headers, body ~= "" and body or nil)
end

function request()
  counter = counter + 1
  return requests[(counter - 1) % #requests + 1]
end

function done(summary, latency, _requests)
  local errors = summary.errors
  local failed = errors.status + errors.connect + errors.read + errors.write + errors.timeout
  io.write(string.format("BENCH %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), failed))
end
