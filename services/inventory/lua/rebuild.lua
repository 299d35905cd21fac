-- Replaces a flight's index with Postgres' counts and HELD holds, keeping the reservations Redis has that
-- Postgres does not know yet (a hold between its Redis step and its commit) when younger than the grace period;
-- older unknown ones are leaks (a crashed caller) and are dropped, as are owners Postgres knows as SOLD/RELEASED.
-- A release or sale since the caller read the settle counter (before its snapshot) may be missing from the
-- snapshot: then nothing is written and 'RETRY' returned.
-- KEYS: avail:{F}, holds:{F}, settles:{F}.
-- ARGV: mode ('force' | 'ifmissing'), settle counter read before the snapshot, grace ms, expire-at ms,
--       n cabins, n x (cabin, capacity, held, sold), m holds, m x (owner:cabin, status, qty).
if ARGV[1] == 'ifmissing' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if (redis.call('GET', KEYS[3]) or '') ~= ARGV[2] then return 'RETRY' end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local grace, expireAt = tonumber(ARGV[3]), tonumber(ARGV[4])
local i = 5
local n = tonumber(ARGV[i]) i = i + 1
if n == 0 then return 0 end
local cap, held, sold, order = {}, {}, {}, {}
for _ = 1, n do
  local c = ARGV[i]
  cap[c], held[c], sold[c] = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  order[#order + 1] = c
  i = i + 4
end
local m = tonumber(ARGV[i]) i = i + 1
local known, entries = {}, {}
for _ = 1, m do
  local f, st, q = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  known[f] = st
  if st == 'HELD' then entries[f] = q .. ':0' end
  i = i + 3
end
local cur = redis.call('HGETALL', KEYS[2])
for k = 1, #cur, 2 do
  local f, v = cur[k], cur[k + 1]
  if known[f] == nil then
    local q, ts = string.match(v, '^(%d+):(%d+)$')
    local cabin = string.match(f, ':([A-Z_]+)$')
    if q and cabin and cap[cabin] and now - tonumber(ts) <= grace then
      entries[f] = v
      held[cabin] = held[cabin] + tonumber(q)
    end
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
local a = {}
for _, c in ipairs(order) do
  a[#a + 1] = c a[#a + 1] = cap[c] - held[c] - sold[c]
  a[#a + 1] = c .. ':held' a[#a + 1] = held[c]
  a[#a + 1] = c .. ':sold' a[#a + 1] = sold[c]
  a[#a + 1] = c .. ':cap' a[#a + 1] = cap[c]
end
redis.call('HSET', KEYS[1], unpack(a))
local h = {}
for f, v in pairs(entries) do h[#h + 1] = f h[#h + 1] = v end
if #h > 0 then redis.call('HSET', KEYS[2], unpack(h)) end
-- Keys expire two days after the flight lands; a flight looked at later still gets an hour rather than none.
if expireAt < now + 3600000 then expireAt = now + 3600000 end
redis.call('PEXPIREAT', KEYS[1], expireAt)
if #h > 0 then redis.call('PEXPIREAT', KEYS[2], expireAt) end
return 1
