-- wrk script for scripts/bench: every request is a different postback, built here in Lua so
-- the load generator stays cheap. Mix: 1% invalid token; of the rest 40% creations, 50% status
-- changes, 10% goal or payout changes.
--
-- Arguments (after --): <seeded clicks file> <fresh clicks file> <token> <run tag> <threads>
-- [<first thread>]: with several wrk processes (scripts/bench --nodes), <threads> counts the
-- threads of all of them and each process numbers its own from <first thread>.
-- Seeded clicks already have a lead (targets of status changes); fresh clicks have none (one
-- creation each). Each wrk thread takes its own share of the fresh clicks; when its share runs
-- out it creates leads by flow + a unique exto instead, so every creation stays a new lead.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local seeded, fresh = {}, {}
local fresh_next, counter = 1, 0
local token, tag
-- Mostly working statuses; now and then a final one (a later working status is then ignored).
local statuses = {
  "hold", "processing", "pending", "wait", "on_hold", "hold", "processing", "pending", "wait",
  "on_hold", "approve", "cancel",
}
codes = {}

local function read_lines(path, keep)
  local lines = {}
  local index = 0
  for line in io.lines(path) do
    if keep(index) then lines[#lines + 1] = line end
    index = index + 1
  end
  return lines
end

function init(args)
  local nthreads = tonumber(args[5])
  thread_id = thread_id + tonumber(args[6] or "0")
  seeded = read_lines(args[1], function() return true end)
  fresh = read_lines(args[2], function(i) return i % nthreads == thread_id end)
  token = args[3]
  tag = args[4]
  math.randomseed(os.time() * 1000 + thread_id)
end

local function creation()
  if fresh_next <= #fresh then
    local click = fresh[fresh_next]
    fresh_next = fresh_next + 1
    return "/api/site/click.json?token=" .. token .. "&click=" .. click
  end
  counter = counter + 1
  return "/api/site/click.json?token=" .. token .. "&flow=101&exto=" .. tag .. "-" ..
    thread_id .. "-" .. counter
end

local function status_change()
  local click = seeded[math.random(#seeded)]
  return "/api/site/status.json?token=" .. token .. "&click=" .. click .. "&status=" ..
    statuses[math.random(#statuses)]
end

local function goal_or_payout_change()
  local click = seeded[math.random(#seeded)]
  local path = "/api/site/status.json?token=" .. token .. "&click=" .. click .. "&status=hold"
  if math.random(2) == 1 then
    return path .. "&goal=" .. (math.random(2) == 1 and "dep" or "reg")
  end
  return path .. "&pay=" .. math.random(10, 99) .. "." .. math.random(10, 99)
end

function request()
  local roll = math.random()
  local path
  if roll < 0.01 then
    path = "/api/site/status.json?token=7-wrong&click=" .. seeded[math.random(#seeded)] ..
      "&status=approve"
  else
    roll = math.random()
    if roll < 0.4 then
      path = creation()
    elseif roll < 0.9 then
      path = status_change()
    else
      path = goal_or_payout_change()
    end
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("codes")) do
      merged[code] = (merged[code] or 0) + count
    end
  end
  local parts = {}
  for code, count in pairs(merged) do
    parts[#parts + 1] = string.format('"%d": %d', code, count)
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "socket_errors": {"connect": %d, ' ..
    '"read": %d, "write": %d, "timeout": %d}, "codes": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    table.concat(parts, ", ")))
end
