-- Compare-and-delete: only the owner removes its lock. Returns 1 when it did.
-- KEYS: seatlock:{F}:<seat>.  ARGV: owner.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
