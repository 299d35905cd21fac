import type { Context } from 'hono';
import { ownerIds } from './auth';
import type { AppEnv } from './deps';
import { findOwnedOrder } from './order-reads';

/** The order if the caller owns it (or a guest order they claimed); another customer's order is NOT_FOUND. */
export async function ownedOrder(c: Context<AppEnv>, id: string) {
  const deps = c.get('deps');
  const customer = c.get('customer');
  // The owners (Redis, else Postgres) and the order row are read at the same time.
  return findOwnedOrder(deps.services.orderReads, id, customer, ownerIds(deps, customer));
}

/** What the order reads need from the request's context. */
export const readDeps = (c: Context<AppEnv>) => ({
  reads: c.get('deps').services.orderReads,
  temporal: c.get('deps').temporal,
  pii: c.get('pii'),
});
