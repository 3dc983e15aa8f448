-- The load test's mix for wrk (bench/load.py): signed-in PWA traffic, one connection per thread.
-- KITH_WRK_ACCOUNTS: a Lua file returning the accounts (cookie, csrf, feed path, contact ids);
-- KITH_WRK_LEDGER: a folder; each thread writes there every write it sent ("S ...") and the
-- status of every answer ("A <status> <op>"), so bench/load.py can check afterwards that no
-- acknowledged write is missing. With one connection per thread, request() and response()
-- alternate (wrk asks for the next request only once the previous answer is complete).
local accounts = dofile(os.getenv("KITH_WRK_ACCOUNTS"))
local terms = {"Lee", "Chen", "Acme", "Globex", "ada", "ben", "kofi", "example.com"}
local kinds = {"coffee", "call", "message", "email", "meal", "video"}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  local n = #accounts
  account = accounts[(id - 1) % n + 1]
  local threads = tonumber(os.getenv("KITH_WRK_THREADS"))
  local rank = math.floor((id - 1) / n)
  local sharing = math.floor((threads - ((id - 1) % n) - 1) / n) + 1
  mine = {}
  for k, cid in ipairs(account.contacts) do
    if (k - 1) % sharing == rank then table.insert(mine, cid) end
  end
  if #mine == 0 then mine = account.contacts end
  ledger = io.open(os.getenv("KITH_WRK_LEDGER") .. "/thread-" .. id .. ".log", "w")
  ledger:setvbuf("line")
  math.randomseed(id * 7919)
  seq = 0
  op = nil
  etag = nil
end

local function signed(extra)
  local h = {["Cookie"] = account.cookie, ["x-csrftoken"] = account.csrf}
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

function request()
  seq = seq + 1
  local r = math.random(100)
  local cid = account.contacts[math.random(#account.contacts)]
  if r <= 25 then
    op = "today"
    return wrk.format("GET", "/api/today", signed())
  elseif r <= 50 then
    op = "search"
    return wrk.format("GET", "/api/contacts?limit=20&q=" .. terms[math.random(#terms)], signed())
  elseif r <= 75 then
    op = "feed"
    local h = {}
    if etag and math.random(2) == 1 then h["If-None-Match"] = etag end
    return wrk.format("GET", account.feed, h)
  elseif r <= 90 then
    op = "log"
    local key = "bench-wrk" .. id .. "-" .. seq
    ledger:write("S log ", key, "\n")
    local body = '{"kind":"' .. kinds[math.random(#kinds)] .. '","idempotency_key":"' .. key .. '"}'
    return wrk.format("POST", "/api/contacts/" .. cid .. "/interactions",
      signed({["Content-Type"] = "application/json"}), body)
  else
    op = "edit"
    local target = mine[math.random(#mine)]
    local note = "bench wrk" .. id .. " " .. seq
    ledger:write("S edit ", target, " ", note, "\n")
    return wrk.format("PATCH", "/api/contacts/" .. target,
      signed({["Content-Type"] = "application/json"}), '{"note":"' .. note .. '"}')
  end
end

function response(status, headers, body)
  if op == "feed" then etag = headers["etag"] or headers["ETag"] or etag end
  ledger:write("A ", status, " ", op, "\n")
end
