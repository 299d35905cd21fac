import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  char,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { CABINS } from '../../domain/cabins';
import { FLIGHT_STATUSES } from '../../domain/flight-status';
import { PRODUCT_TYPES } from '../../domain/offer';
import { uuidKey } from './columns';

export const productType = pgEnum('product_type', PRODUCT_TYPES);

export const cabinClass = pgEnum('cabin_class', CABINS);

export const airports = pgTable('airports', {
  code: char({ length: 3 }).primaryKey(),
  name: text().notNull(),
  city: text().notNull(),
  country: char({ length: 2 }).notNull(),
  timeZone: text().notNull(),
});

/** One cabin of a seat map: rows from..to, seat letters with aisles marked by a space ("ABC DEF"). */
export interface CabinLayout {
  cabin: (typeof cabinClass.enumValues)[number];
  compartment: string; // BCBP compartment code: F, J, W, Y
  firstRow: number;
  lastRow: number;
  letters: string;
  exitRows: number[];
  extraLegroomRows: number[];
  blockedSeats: string[];
  seatPrice: { standard: number; extraLegroom: number }; // minor units
}

export const aircraftTypes = pgTable('aircraft_types', {
  code: text().primaryKey(),
  name: text().notNull(),
  layout: jsonb().$type<CabinLayout[]>().notNull(),
});

export const flights = pgTable(
  'flights',
  {
    id: uuidKey(),
    carrier: char({ length: 2 }).notNull(),
    flightNumber: text().notNull(),
    origin: char({ length: 3 })
      .notNull()
      .references(() => airports.code),
    destination: char({ length: 3 })
      .notNull()
      .references(() => airports.code),
    departureAt: timestamp({ withTimezone: true }).notNull(),
    arrivalAt: timestamp({ withTimezone: true }).notNull(),
    aircraftType: text()
      .notNull()
      .references(() => aircraftTypes.code),
    // Recorded by an admin (CANCELLED) or the worker's status moves; domain/flight-status.ts reads it with the times.
    status: text({ enum: FLIGHT_STATUSES }).notNull().default('SCHEDULED'),
  },
  (t) => [
    uniqueIndex('flights_carrier_number_departure').on(t.carrier, t.flightNumber, t.departureAt),
    index('flights_route_departure').on(t.origin, t.destination, t.departureAt),
    check('flights_arrival_after_departure', sql`${t.arrivalAt} > ${t.departureAt}`),
  ],
);

/** A flight's row in another table: its id, the row deleted with the flight. */
const flightRef = () =>
  uuid()
    .notNull()
    .references(() => flights.id, { onDelete: 'cascade' });

/** Capacity, held and sold per flight and cabin: capacity = available + held + sold, always. */
export const flightInventory = pgTable(
  'flight_inventory',
  {
    flightId: flightRef(),
    cabin: cabinClass().notNull(),
    capacity: integer().notNull(),
    held: integer().notNull().default(0),
    sold: integer().notNull().default(0),
    baseFare: integer().notNull(), // minor units, adult, one way
    currency: char({ length: 3 }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.flightId, t.cabin] }),
    check('inventory_nonnegative', sql`${t.held} >= 0 AND ${t.sold} >= 0`),
    check('inventory_within_capacity', sql`${t.held} + ${t.sold} <= ${t.capacity}`),
  ],
);

export const flightSeats = pgTable(
  'flight_seats',
  {
    flightId: flightRef(),
    seatNumber: text().notNull(),
    cabin: cabinClass().notNull(),
    characteristics: text().array().notNull(), // WINDOW, AISLE, MIDDLE, EXIT_ROW, EXTRA_LEGROOM
    blocked: boolean().notNull().default(false),
    price: integer().notNull(), // minor units, in the flight's currency
  },
  (t) => [primaryKey({ columns: [t.flightId, t.seatNumber] })],
);

/** Seat ownership: the primary key makes two owners of one seat impossible. */
export const seatAssignments = pgTable(
  'seat_assignments',
  {
    flightId: uuid().notNull(),
    seatNumber: text().notNull(),
    orderId: uuid().notNull(),
    travelerId: uuid(),
    status: text({ enum: ['HELD', 'SOLD'] }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.flightId, t.seatNumber] }), index('seat_assignments_order').on(t.orderId)],
);

/** One row per order, flight and cabin that the order holds or bought; makes holds idempotent per order. */
export const inventoryHolds = pgTable(
  'inventory_holds',
  {
    orderId: uuid().notNull(),
    flightId: uuid()
      .notNull()
      .references(() => flights.id),
    cabin: cabinClass().notNull(),
    quantity: integer().notNull(),
    status: text({ enum: ['HELD', 'SOLD', 'RELEASED'] }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.flightId, t.cabin] }),
    index('inventory_holds_flight').on(t.flightId),
    check('inventory_holds_quantity_positive', sql`${t.quantity} > 0`),
  ],
);

export const products = pgTable('products', {
  code: text().primaryKey(),
  type: productType().notNull(),
  name: text().notNull(),
  description: text().notNull().default(''),
  price: integer().notNull(), // minor units
  currency: char({ length: 3 }).notNull(),
  per: text({ enum: ['SEGMENT', 'ORDER'] })
    .notNull()
    .default('SEGMENT'),
  rfic: char({ length: 1 }).notNull().default('A'), // EMD reason for issuance code
  rfisc: text().notNull().default('0AA'),
  active: boolean().notNull().default(true),
});
