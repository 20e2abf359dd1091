-- wrk script of scripts/soak: call starts with call ids unique per thread and
-- run, each answered 200 written to a file of the thread's (line-buffered, so
-- that what was acknowledged is on disk whatever happens to wrk). Environment:
-- SOAK_KEY (the API key), SOAK_DIR (where the files go), SOAK_RUN (a label).
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  calls = 0
  local key = os.getenv("SOAK_KEY")
  run = os.getenv("SOAK_RUN") or "soak"
  headers = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }
  acked = io.open(os.getenv("SOAK_DIR") .. "/acked-" .. run .. "-" .. id, "w")
  acked:setvbuf("line")
end

function request()
  calls = calls + 1
  local body = string.format('{"call_id":"%s-%d-%d","identity_hints":{"ani":"+1415%07d"},"telco":{"line_type":"mobile"}}',
                             run, id, calls, (id * 7919 + calls * 104729) % 100000)
  return wrk.format("POST", "/v1/calls/start", headers, body)
end

function response(status, headers, body)
  if status == 200 then
    local call = body:match('^{"call_id":"([^"]*)"')
    if call then acked:write(call, "\n") end
  end
end
