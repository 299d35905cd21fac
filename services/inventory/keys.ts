/**
 * Redis keys of the inventory, private to services/inventory/ (tests may read them to inspect the index).
 * Per flight F, hash-tagged so that one flight's keys share a Cluster slot and its scripts can run there:
 *   avail:{F}    hash    <CABIN> → available, <CABIN>:held, <CABIN>:sold, <CABIN>:cap
 *   holds:{F}    hash    <ownerId>:<CABIN> → "<qty>:<reserved at, ms>"   (0 when copied from Postgres)
 *   settles:{F}  counter of releases and sales, so a rebuild notices one that raced its Postgres snapshot
 *   admit:{F}    sorted set "<CABIN>|<ownerId>|<qty>" by lapse time: accepts admitted, their workflow not answered yet
 *   seatlock:{F}:<seat>  string  ownerId, with a TTL
 * and per owner O: seatlocks:{O}  set  "<F>|<seat>" (so that a release finds the owner's seat locks).
 */
export const availKey = (flightId: string) => `avail:{${flightId}}`;
export const holdsKey = (flightId: string) => `holds:{${flightId}}`;
export const settlesKey = (flightId: string) => `settles:{${flightId}}`;
/** Accepts admitted and still in flight (services/inventory/admission.ts). */
export const admitKey = (flightId: string) => `admit:{${flightId}}`;
export const seatLockKey = (flightId: string, seatNumber: string) => `seatlock:{${flightId}}:${seatNumber}`;
export const ownerLocksKey = (ownerId: string) => `seatlocks:{${ownerId}}`;

/** Every index key of a flight (not its seat locks, which expire on their own). */
export const indexKeys = (flightId: string) => [availKey(flightId), holdsKey(flightId), settlesKey(flightId)];
