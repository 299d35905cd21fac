/**
 * The inventory invariants (DESIGN.md, "Inventory and holds"), checked against Postgres, the Redis index and the
 * seat map after a test: per flight and cabin, capacity = the cabin's sellable seats = available + held + sold,
 * held and sold are the sums of the holds; every seat assignment sits in a cabin its order holds (or bought) on
 * that flight, no order has more seats in a cabin than it holds there, and the seat map shows no more HELD or
 * OCCUPIED seats per cabin than the counts say. A business seat taken by an economy order fails here.
 */
import { expect } from 'vitest';
import type { Services } from '../../lib/services';
import { createInventory } from '../../services/inventory';

export interface SeatMapSeat {
  seat_number: string;
  cabin: string;
  status: 'AVAILABLE' | 'HELD' | 'OCCUPIED' | 'BLOCKED';
}

/**
 * Fails the test when the counts, the holds, the seat assignments, the index and the seat map of these flights
 * disagree. `seatMap` reads a flight's seat map as the API answers it (GET /v1/flights/:id/seats).
 */
export async function expectInventoryConsistent(
  services: Pick<Services, 'db' | 'sql' | 'redis'>,
  flightIds: readonly string[],
  seatMap: (flightId: string) => Promise<SeatMapSeat[]>,
): Promise<void> {
  if (flightIds.length === 0) return;
  const { sql } = services;
  const ids = [...flightIds];
  const problems: string[] = [];

  const cabins = await sql<
    {
      flight_id: string;
      cabin: string;
      capacity: number;
      held: number;
      sold: number;
      seats: number;
      holds_held: number;
      holds_sold: number;
    }[]
  >`
    SELECT i.flight_id, i.cabin::text AS cabin, i.capacity, i.held, i.sold,
      (SELECT count(*)::int FROM flight_seats s
        WHERE s.flight_id = i.flight_id AND s.cabin = i.cabin AND NOT s.blocked) AS seats,
      (SELECT coalesce(sum(h.quantity), 0)::int FROM inventory_holds h
        WHERE h.flight_id = i.flight_id AND h.cabin = i.cabin AND h.status = 'HELD') AS holds_held,
      (SELECT coalesce(sum(h.quantity), 0)::int FROM inventory_holds h
        WHERE h.flight_id = i.flight_id AND h.cabin = i.cabin AND h.status = 'SOLD') AS holds_sold
    FROM flight_inventory i WHERE i.flight_id = ANY(${ids}::uuid[])`;
  for (const c of cabins) {
    const at = `${c.flight_id} ${c.cabin}`;
    if (c.capacity !== c.seats) problems.push(`${at}: capacity ${c.capacity} but ${c.seats} sellable seats`);
    if (c.held !== c.holds_held) problems.push(`${at}: held ${c.held} but the HELD holds sum to ${c.holds_held}`);
    if (c.sold !== c.holds_sold) problems.push(`${at}: sold ${c.sold} but the SOLD holds sum to ${c.holds_sold}`);
    if (c.held < 0 || c.sold < 0 || c.held + c.sold > c.capacity) {
      problems.push(`${at}: held ${c.held} + sold ${c.sold} outside 0..${c.capacity}`);
    }
  }

  // Every seat assignment in a cabin its order holds on the flight, in the same state, within the quantity.
  const assignments = await sql<
    {
      flight_id: string;
      order_id: string;
      cabin: string;
      status: string;
      seats: number;
      hold: string | null;
      quantity: number | null;
    }[]
  >`
    SELECT a.flight_id, a.order_id, s.cabin::text AS cabin, a.status, count(*)::int AS seats,
      h.status AS hold, h.quantity
    FROM seat_assignments a
    JOIN flight_seats s ON s.flight_id = a.flight_id AND s.seat_number = a.seat_number
    LEFT JOIN inventory_holds h ON h.order_id = a.order_id AND h.flight_id = a.flight_id AND h.cabin = s.cabin
    WHERE a.flight_id = ANY(${ids}::uuid[])
    GROUP BY a.flight_id, a.order_id, s.cabin, a.status, h.status, h.quantity`;
  for (const a of assignments) {
    const at = `${a.flight_id} ${a.cabin}, order ${a.order_id}`;
    if (a.hold === null) problems.push(`${at}: ${a.seats} ${a.status} seat(s) in a cabin the order does not hold`);
    else if (a.hold !== a.status) problems.push(`${at}: ${a.status} seat(s) under a ${a.hold} hold`);
    else if (a.seats > a.quantity!) problems.push(`${at}: ${a.seats} seats for a hold of ${a.quantity}`);
  }

  // The index (what search reads) agrees with Postgres.
  const inventory = createInventory(services);
  const index = await inventory.availabilityMany(ids);
  for (const c of cabins) {
    const live = index.get(c.flight_id)?.find((x) => x.cabin === c.cabin);
    const available = c.capacity - c.held - c.sold;
    if (!live || live.available !== available || live.held !== c.held || live.sold !== c.sold) {
      problems.push(
        `${c.flight_id} ${c.cabin}: index ${JSON.stringify(live ?? null)}, Postgres available ${available} held ${c.held} sold ${c.sold}`,
      );
    }
  }

  // The seat map never shows more held or occupied seats in a cabin than the cabin's counts.
  for (const id of ids) {
    const seats = await seatMap(id);
    for (const c of cabins.filter((x) => x.flight_id === id)) {
      const inCabin = seats.filter((s) => s.cabin === c.cabin);
      const occupied = inCabin.filter((s) => s.status === 'OCCUPIED').length;
      const held = inCabin.filter((s) => s.status === 'HELD').length;
      if (occupied > c.sold) problems.push(`${id} ${c.cabin}: seat map ${occupied} OCCUPIED, sold ${c.sold}`);
      if (held > c.held) problems.push(`${id} ${c.cabin}: seat map ${held} HELD, held ${c.held}`);
    }
  }
  expect(problems, 'inventory invariants').toEqual([]);
}
