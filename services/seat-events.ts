import type { Redis } from 'ioredis';

/**
 * Live seat changes for `GET /v1/flights/:id/stream`, over Redis pub/sub so that every API instance can serve
 * any flight's stream. Published after the Postgres change has committed; a lost message only delays a
 * client's view (the seat map in Postgres stays the truth).
 */
export type SeatEventType = 'seat.held' | 'seat.released' | 'seat.sold';

export interface SeatEvent {
  type: SeatEventType;
  flight_id: string;
  seat_number: string;
  at: string;
}

/** Hash-tagged per flight, like the flight's other keys. */
export const seatChannel = (flightId: string) => `seats:{${flightId}}`;

export async function publishSeatEvents(
  redis: Redis,
  type: SeatEventType,
  seats: { flightId: string; seatNumber: string }[],
): Promise<void> {
  if (seats.length === 0) return;
  const at = new Date().toISOString();
  const pipeline = redis.pipeline();
  for (const s of seats) {
    const event: SeatEvent = { type, flight_id: s.flightId, seat_number: s.seatNumber, at };
    pipeline.publish(seatChannel(s.flightId), JSON.stringify(event));
  }
  await pipeline.exec();
}
