-- wrk script: call starts, and the end of each call once its start is
-- answered (wrk's connections share one script state per thread, so an end
-- is sent only for a start whose answer came back). Call ids are unique per
-- thread and run; callers come from a pool of 100,000 numbers, so later
-- calls find returning callers. Environment: CALLMEM_KEY (the API key),
-- CALLMEM_RUN (a run label).
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  calls = 0
  to_end = {}
  key = os.getenv("CALLMEM_KEY")
  run = os.getenv("CALLMEM_RUN") or "run"
  headers = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }
end

local function ani(call)
  return string.format("+1415%07d", (id * 7919 + call * 104729) % 100000)
end

function request()
  local call = table.remove(to_end)
  if call then
    local body = string.format('{"call_id":"%s-%d-%d","intent":"order_status","variables":{"last_order":"A-%d"}}',
                               run, id, call, call)
    return wrk.format("POST", "/v1/calls/end", headers, body)
  end
  calls = calls + 1
  local body = string.format('{"call_id":"%s-%d-%d","identity_hints":{"ani":"%s"},"telco":{"line_type":"mobile"}}',
                             run, id, calls, ani(calls))
  return wrk.format("POST", "/v1/calls/start", headers, body)
end

function response(status, headers, body)
  if status == 200 and body:find('"identity"', 1, true) then
    local call = body:match('^{"call_id":"[^"]*%-(%d+)"')
    if call then table.insert(to_end, tonumber(call)) end
  end
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
                 summary.errors.timeout
  io.write(string.format('{"requests":%d,"seconds":%.3f,"errors":%d,"status_errors":%d,"timeouts":%d,' ..
                         '"p50_us":%d,"p99_us":%d}\n',
                         summary.requests, summary.duration / 1e6, errors, summary.errors.status,
                         summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
