-- Admission of one owner's accept on one flight, before its workflow starts: load shedding, never the authority.
-- Refused when the seats the index shows available are already covered by other admitted accepts still in flight.
-- KEYS: avail:{F}, admit:{F} (sorted set: member "<cabin>|<owner>|<qty>", score = when it lapses, ms).
-- ARGV: owner, ttl ms, then (cabin, quantity) pairs.
-- Returns {'OK'} | {'MISSING'} | {'SOLD_OUT', cabin, available, pending}.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'MISSING'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local owner, ttl = ARGV[1], tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local pending = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local cabin, who, qty = string.match(m, '^([^|]+)|([^|]+)|(%d+)$')
  if cabin and who ~= owner then pending[cabin] = (pending[cabin] or 0) + tonumber(qty) end
end
for i = 3, #ARGV, 2 do
  local cabin, qty = ARGV[i], tonumber(ARGV[i + 1])
  local avail = tonumber(redis.call('HGET', KEYS[1], cabin) or '0')
  local waiting = pending[cabin] or 0
  if avail - waiting < qty then return {'SOLD_OUT', cabin, tostring(avail), tostring(waiting)} end
end
for i = 3, #ARGV, 2 do
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[i] .. '|' .. owner .. '|' .. ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[2], ttl)
return {'OK'}
