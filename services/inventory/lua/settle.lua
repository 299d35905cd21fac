-- Settles an owner's held seats on one flight in the index: gives them back (release) or turns them into sold
-- seats (sell); returns the cabins it found held.
-- KEYS: avail:{F}, holds:{F}, settles:{F}.  ARGV: owner, mode ('release' | 'sell'), then cabins.
-- Bumps the settle counter, so that a rebuild whose Postgres snapshot this settlement raced notices it.
local exists = redis.call('EXISTS', KEYS[1]) == 1
local sell = ARGV[2] == 'sell'
local done = {}
for i = 3, #ARGV do
  local cabin = ARGV[i]
  local field = ARGV[1] .. ':' .. cabin
  local v = redis.call('HGET', KEYS[2], field)
  if v then
    redis.call('HDEL', KEYS[2], field)
    local q = tonumber(string.match(v, '^(%d+)'))
    if exists and redis.call('HEXISTS', KEYS[1], cabin) == 1 then
      redis.call('HINCRBY', KEYS[1], cabin .. ':held', -q)
      if sell then
        redis.call('HINCRBY', KEYS[1], cabin .. ':sold', q)
      else
        redis.call('HINCRBY', KEYS[1], cabin, q)
      end
    end
    done[#done + 1] = cabin
  end
end
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], 604800000)
return done
