import { cabinClass } from '../../db/schema';
import { DomainError } from '../../domain/errors';

export type Cabin = (typeof cabinClass.enumValues)[number];
export const CABINS: readonly Cabin[] = cabinClass.enumValues;

export interface HoldItem {
  flightId: string;
  cabin: Cabin;
  quantity: number;
}

export interface CabinAvailability {
  cabin: Cabin;
  capacity: number;
  held: number;
  sold: number;
  available: number;
}

export type SeatLockResult =
  | { ok: true }
  | { ok: false; reason: 'TAKEN' | 'BLOCKED' | 'UNKNOWN_SEAT' | 'LIMIT' | 'NOT_HELD' }
  /** The seat is in `seatCabin`, not in the cabin the lock asked for (the cabin its owner holds). */
  | { ok: false; reason: 'CABIN_MISMATCH'; seatCabin: Cabin };

export interface Seat {
  flightId: string;
  seatNumber: string;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const SEAT = /^\d{1,3}[A-Z]$/;

export function checkUuid(value: string, what: string): void {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new DomainError('VALIDATION_FAILED', `${what} must be a UUID`, { [what]: value });
  }
}

/** Validates, merges duplicates (same flight and cabin) and sorts by flight then cabin: the order rows are locked in. */
export function normalizeItems(items: readonly HoldItem[]): HoldItem[] {
  const untrusted: unknown = items; // callers outside TypeScript (activity inputs) may send anything
  if (!Array.isArray(untrusted) || items.length === 0) {
    throw new DomainError('VALIDATION_FAILED', 'a hold needs at least one item');
  }
  const merged = new Map<string, HoldItem>();
  for (const item of items) {
    checkUuid(item.flightId, 'flight_id');
    if (!CABINS.includes(item.cabin)) {
      throw new DomainError('VALIDATION_FAILED', `unknown cabin ${String(item.cabin)}`, { cabin: item.cabin });
    }
    if (!Number.isSafeInteger(item.quantity) || item.quantity < 1) {
      throw new DomainError('VALIDATION_FAILED', 'quantity must be a positive whole number', {
        quantity: item.quantity,
      });
    }
    const key = `${item.flightId.toLowerCase()}|${item.cabin}`;
    const prev = merged.get(key);
    merged.set(key, {
      flightId: item.flightId.toLowerCase(),
      cabin: item.cabin,
      quantity: (prev?.quantity ?? 0) + item.quantity,
    });
  }
  return [...merged.values()].sort((a, b) =>
    a.flightId === b.flightId ? a.cabin.localeCompare(b.cabin) : a.flightId.localeCompare(b.flightId),
  );
}

export function byFlight(items: readonly HoldItem[]): Map<string, HoldItem[]> {
  const out = new Map<string, HoldItem[]>();
  for (const item of items) out.set(item.flightId, [...(out.get(item.flightId) ?? []), item]);
  return out;
}

export const soldOut = (flightId: string, cabin: string, requested: number, available: number) =>
  new DomainError('SOLD_OUT', `only ${Math.max(0, available)} seat(s) left in ${cabin} on flight ${flightId}`, {
    flight_id: flightId,
    cabin,
    requested,
    available: Math.max(0, available),
  });

const CABIN_RANK: Record<Cabin, number> = { ECONOMY: 0, PREMIUM_ECONOMY: 1, BUSINESS: 2, FIRST: 3 };

/** Reads an avail:{F} hash into per-cabin figures; an empty hash (no key) is null. */
export function parseAvailability(hash: Record<string, string>): CabinAvailability[] | null {
  const out: CabinAvailability[] = [];
  for (const cabin of CABINS) {
    const available = hash[cabin];
    if (available === undefined) continue;
    out.push({
      cabin,
      capacity: Number(hash[`${cabin}:cap`] ?? 0),
      held: Number(hash[`${cabin}:held`] ?? 0),
      sold: Number(hash[`${cabin}:sold`] ?? 0),
      available: Number(available),
    });
  }
  return out.length > 0 ? out.sort((a, b) => CABIN_RANK[a.cabin] - CABIN_RANK[b.cabin]) : null;
}
