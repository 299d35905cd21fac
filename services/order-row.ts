/** An order's row by id, the one NOT_FOUND for an order that services answer. */
import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { orders } from '../db/schema';
import { DomainError } from '../domain/errors';

/** The one answer for an order that is not there or not the caller's (so the two cannot be told apart). */
export const orderNotFound = (orderId: string) => new DomainError('NOT_FOUND', `order ${orderId} was not found`);

export async function orderRow(db: DbOrTx, orderId: string) {
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) throw orderNotFound(orderId);
  return order;
}
