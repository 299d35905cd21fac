-- Gives an owner's held seats on one flight back to the index; returns the cabins it found held.
-- KEYS: avail:{F}, holds:{F}, settles:{F}.  ARGV: owner, then cabins.
-- Bumps the settle counter, so that a rebuild whose Postgres snapshot this release raced notices it.
local exists = redis.call('EXISTS', KEYS[1]) == 1
local done = {}
for i = 2, #ARGV do
  local cabin = ARGV[i]
  local field = ARGV[1] .. ':' .. cabin
  local v = redis.call('HGET', KEYS[2], field)
  if v then
    redis.call('HDEL', KEYS[2], field)
    local q = tonumber(string.match(v, '^(%d+)'))
    if exists and redis.call('HEXISTS', KEYS[1], cabin) == 1 then
      redis.call('HINCRBY', KEYS[1], cabin .. ':held', -q)
      redis.call('HINCRBY', KEYS[1], cabin, q)
    end
    done[#done + 1] = cabin
  end
end
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], 604800000)
return done
