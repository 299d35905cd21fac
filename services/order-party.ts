import type { DbOrTx } from '../db/client';
import { orderItems, travelers } from '../db/schema';
import type { OrderItemInput, OrderSegment, OrderTraveler } from '../workflows/messages';

/**
 * Inserts an order's travelers (names already encrypted) and items inside the caller's transaction; an item's
 * passenger ref is resolved to its traveler, its cabin from the segments. Returns traveler ids by passenger ref.
 */
export async function insertParty(
  tx: DbOrTx,
  orderId: string,
  party: Omit<OrderTraveler, 'seats'>[],
  items: OrderItemInput[],
  segments: Pick<OrderSegment, 'flightId' | 'cabin'>[] = [],
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  if (party.length > 0) {
    const rows = await tx
      .insert(travelers)
      .values(
        party.map((t, position) => ({
          orderId,
          position,
          ptc: t.ptc,
          firstName: t.firstName,
          lastName: t.lastName,
          dateOfBirth: t.dateOfBirth,
          gender: t.gender,
        })),
      )
      .returning({ id: travelers.id, position: travelers.position });
    for (const r of rows) ids.set(party[r.position]!.ref, r.id);
  }
  if (items.length > 0) {
    await tx.insert(orderItems).values(
      items.map((i) => ({
        orderId,
        productType: i.productType,
        productCode: i.productCode,
        flightId: i.flightId,
        travelerId: ids.get(i.passengerRef) ?? null,
        cabin: i.flightId ? (segments.find((s) => s.flightId === i.flightId)?.cabin ?? null) : null,
        seatNumber: i.seatNumber ?? null,
        amount: i.amount,
        currency: i.currency,
        details: { passenger_ref: i.passengerRef },
      })),
    );
  }
  return ids;
}
