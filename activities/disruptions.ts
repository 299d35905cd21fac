import type { FlightDisruptions, OrderDisruptions } from '../services/disruptions';

/** Airline-initiated changes: the fan-out's steps (workflows/flight-disruption.ts) and the order's (workflows/order.ts). */
export const disruptionActivities = (flights: FlightDisruptions, orders: OrderDisruptions) => ({
  applyFlightChange: flights.apply,
  listDisruptedOrders: flights.affectedOrders,
  prepareDisruption: orders.prepare,
  resolveDisruption: orders.resolve,
});
