/**
 * Manage booking: an order found by its booking reference and one traveler's last name (POST /v1/orders/lookup).
 * Names compare as reservation systems compare them (domain/bcbp.ts nameKey: case, accents, spaces, hyphens and
 * apostrophes do not matter), through fixed-length digests compared in constant time. Whether the reference exists
 * or the name is wrong, the answer is the same null, after the same query, so the answer never says which.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import type { Database } from '../db/client';
import { orders, travelers } from '../db/schema';
import { nameKey } from '../domain/bcbp';
import { PiiDecryptError, type PiiCipher } from '../lib/pii';

export interface LookedUpOrder {
  orderId: string;
  ownerId: string;
}

const digest = (key: string) => createHash('sha256').update(key).digest();

/** The newest order with this reference (upper case) that has a traveler of this last name; null otherwise. */
export async function lookupOrder(
  db: Database,
  pii: PiiCipher,
  reference: string,
  lastName: string,
): Promise<LookedUpOrder | null> {
  const wanted = nameKey(lastName);
  // A reference is a hash of the order id (domain/record-locator.ts): two orders may share one, the name decides.
  const rows = await db
    .select({ orderId: orders.id, ownerId: orders.customerId, lastName: travelers.lastName })
    .from(orders)
    .innerJoin(travelers, eq(travelers.orderId, orders.id))
    .where(eq(orders.bookingReference, reference))
    .orderBy(desc(orders.createdAt));
  const wantedDigest = digest(wanted);
  let found: LookedUpOrder | null = null;
  for (const row of rows) {
    let key: string;
    try {
      key = nameKey(pii.decrypt(row.lastName));
    } catch (err) {
      if (err instanceof PiiDecryptError) continue; // under a key no longer configured: cannot match
      throw err;
    }
    const match = key !== '' && wanted !== '' && timingSafeEqual(digest(key), wantedDigest);
    if (match && !found) found = { orderId: row.orderId, ownerId: row.ownerId };
  }
  return found;
}
