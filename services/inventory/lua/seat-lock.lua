-- SET NX PX, or a TTL refresh when the caller already owns the lock. Returns 1 when the owner has the lock.
-- KEYS: seatlock:{F}:<seat>.  ARGV: owner, ttl ms.
local v = redis.call('GET', KEYS[1])
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
