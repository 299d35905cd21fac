-- Takes seats for one owner on one flight, all cabins or none. An owner that already holds a cabin keeps it.
-- KEYS: avail:{F}, holds:{F}.  ARGV: owner, then (cabin, quantity) pairs.
-- Returns {'OK', cabins newly taken...} | {'MISSING'} | {'NO_CABIN', cabin} | {'SOLD_OUT', cabin, available}.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'MISSING'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local owner = ARGV[1]
local todo = {}
for i = 2, #ARGV, 2 do
  local cabin, qty = ARGV[i], tonumber(ARGV[i + 1])
  if redis.call('HEXISTS', KEYS[2], owner .. ':' .. cabin) == 0 then
    local avail = redis.call('HGET', KEYS[1], cabin)
    if not avail then return {'NO_CABIN', cabin} end
    if tonumber(avail) < qty then return {'SOLD_OUT', cabin, avail} end
    todo[#todo + 1] = {cabin, qty}
  end
end
local taken = {'OK'}
for _, c in ipairs(todo) do
  redis.call('HINCRBY', KEYS[1], c[1], -c[2])
  redis.call('HINCRBY', KEYS[1], c[1] .. ':held', c[2])
  redis.call('HSET', KEYS[2], owner .. ':' .. c[1], c[2] .. ':' .. now)
  taken[#taken + 1] = c[1]
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return taken
