/** An order's row by id, the one NOT_FOUND for an order that services answer. */
import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { orders } from '../db/schema';
import { DomainError } from '../domain/errors';

export async function orderRow(db: DbOrTx, orderId: string) {
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) throw new DomainError('NOT_FOUND', `order ${orderId} was not found`);
  return order;
}
