/**
 * What a seat chosen for a traveler costs on top of what the order already bought for them on that flight. A
 * bundle's seat product (SEAT_STANDARD, SEAT_EXTRA_LEGROOM) covers a seat up to its list price; a dearer seat
 * costs the difference. Without one, the seat costs its seat-map price. Amounts in minor units of one currency.
 */
export function chosenSeatCharge(seatMapPrice: number, coveredUpTo: number | null): number {
  if (!Number.isSafeInteger(seatMapPrice) || seatMapPrice < 0) throw new RangeError('a seat price is minor units');
  return Math.max(0, seatMapPrice - (coveredUpTo ?? 0));
}
