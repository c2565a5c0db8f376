-- wrk script for bench/bench_server.py: cycles through the requests of a plan file, starting at
-- the position given after the plan (so consecutive runs continue the cycle: the toggle plan
-- ticks 2,000 boxes, then unticks them), and prints the figures the runner parses. The plan is
-- tab-separated, one item a line:
--   H <name> <value>         a header sent with every request (the signed-in cookie, X-CSRFToken)
--   R <method> <path> <body> one request (body may be empty)
local requests, index = {}, 0

function init(args)
  local headers, plan = {}, {}
  for line in io.lines(args[1]) do
    local kind, a, b, c = line:match("^(%a)\t([^\t]*)\t([^\t]*)\t?(.*)$")
    if kind == "H" then
      headers[a] = b
    elseif kind == "R" then
      plan[#plan + 1] = {a, b, c}
    end
  end
  index = (tonumber(args[2] or "0") or 0) % #plan
  for i, item in ipairs(plan) do
    local these = {}
    for name, value in pairs(headers) do these[name] = value end
    if item[3] ~= "" then
      these["Content-Type"] = "application/x-www-form-urlencoded"
    end
    requests[i] = wrk.format(item[1], item[2], these, item[3] ~= "" and item[3] or nil)
  end
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function done(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
