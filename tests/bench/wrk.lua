-- wrk script of `make bench`: builds the request from environment variables and counts the
-- responses by status in every thread; done() prints one line "BENCH_RESULT {json}" that the
-- driver (tests/bench/bench.py) reads.
--
--   BENCH_METHOD      GET, PUT, POST (default GET)
--   BENCH_PATH        request path, e.g. /its-log/v1/event/app/click (default: the URL's path)
--   BENCH_BODY        request body (default none); BENCH_BODY_FILE: read it from a file
--   BENCH_CTYPE       Content-Type (default application/json when there is a body)
--   BENCH_KEY         API key, sent as "Authorization: Bearer KEY"
--   BENCH_UNIQUE_NAMES  when set to N: each request goes to BENCH_PATH .. "/u" .. k with k
--                     drawn uniformly from 1..N (PUT /v1/unique over N distinct event names)
--   BENCH_SUM_ACCEPTED  when set: sum the "accepted" counts of batch responses
local threads = {}
local unique_names = tonumber(os.getenv("BENCH_UNIQUE_NAMES") or "")
local sum_accepted = os.getenv("BENCH_SUM_ACCEPTED") ~= nil

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

wrk.method = os.getenv("BENCH_METHOD") or "GET"
if os.getenv("BENCH_PATH") then
  wrk.path = os.getenv("BENCH_PATH")
end
if os.getenv("BENCH_BODY_FILE") then
  wrk.body = read_file(os.getenv("BENCH_BODY_FILE"))
elseif os.getenv("BENCH_BODY") then
  wrk.body = os.getenv("BENCH_BODY")
end
if wrk.body and #wrk.body > 0 then
  wrk.headers["Content-Type"] = os.getenv("BENCH_CTYPE") or "application/json"
end
if os.getenv("BENCH_KEY") then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
end

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local pool = nil
local pool_next = 1

function init(args)
  statuses = {}
  accepted = 0
  if unique_names then
    -- A pool of preformatted requests over random names, so that request() costs little.
    math.randomseed(os.time() * 1000 + id)
    pool = {}
    for i = 1, 20000 do
      local k = math.random(1, unique_names)
      pool[i] = wrk.format(nil, wrk.path .. "/u" .. k)
    end
  end
end

if unique_names then
  function request()
    local r = pool[pool_next]
    pool_next = pool_next % #pool + 1
    return r
  end
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if sum_accepted and body then
    local n = body:match('"accepted":(%d+)')
    if n then
      accepted = accepted + tonumber(n)
    end
  end
end

function done(summary, latency, requests)
  local total = {}
  local acc = 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do
      total[k] = (total[k] or 0) + v
    end
    acc = acc + t:get("accepted")
  end
  local parts = {}
  for k, v in pairs(total) do
    table.insert(parts, string.format('"%s":%d', k, v))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f},' ..
    '"statuses":{%s},"accepted":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean,
    table.concat(parts, ","), acc))
end
