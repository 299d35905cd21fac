/**
 * Mixed traffic over real HTTP while a fault is injected: offer bookings (search → accept → pay / decline and pay
 * again / async pay settled by webhook / cancel before or after payment / leave to expire) and trip bookings
 * (trip hold → passenger → seat holds, sometimes two at once on a one-passenger trip → commit or abandon). Every
 * request has a bounded timeout; failures of any kind are counted, never thrown: the checks afterwards judge.
 */
import { randomInt, randomUUID } from 'node:crypto';

export interface TrafficTarget {
  apiUrl: string;
  origin: string;
  destination: string;
  /** UTC day of the round's flights. */
  date: string;
  flights: { id: string; seats: string[] }[];
}

export interface TrafficStats {
  requests: number;
  /** Answers by status and error code ("409 SOLD_OUT"), plus "network" and "timeout". */
  byStatus: Record<string, number>;
  orders: Set<string>;
  scenarios: Record<string, number>;
}

type Json = Record<string, any>;

const REQUEST_TIMEOUT_MS = 15_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)]!;

export class Traffic {
  readonly stats: TrafficStats = { requests: 0, byStatus: {}, orders: new Set(), scenarios: {} };
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly target: TrafficTarget) {}

  private async call(method: string, path: string, body?: unknown, token?: string, headers: Json = {}) {
    this.stats.requests++;
    let key: string;
    try {
      const res = await fetch(`${this.target.apiUrl}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      let json: Json = {};
      try {
        json = text ? (JSON.parse(text) as Json) : {};
      } catch {
        // a non-JSON answer is counted by its status alone
      }
      const code: unknown = json.error?.code;
      key = typeof code === 'string' ? `${res.status} ${code}` : String(res.status);
      this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1;
      return { status: res.status, json };
    } catch (err) {
      key = (err as Error).name === 'TimeoutError' ? 'timeout' : 'network';
      this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1;
      return { status: 0, json: {} as Json };
    }
  }

  /** A request whose answer may have been lost (network, 5xx): retried like a careful client, same key. */
  private async retrying(method: string, path: string, body: unknown, token: string) {
    const headers = { 'Idempotency-Key': randomUUID() };
    let res = await this.call(method, path, body, token, headers);
    for (let attempt = 0; attempt < 2 && (res.status === 0 || res.status >= 500); attempt++) {
      await sleep(1000 + randomInt(1000));
      res = await this.call(method, path, body, token, headers);
    }
    return res;
  }

  private async guest(): Promise<string | null> {
    const res = await this.call('POST', '/v1/auth/guest');
    return res.status === 200 ? (res.json.token as string) : null;
  }

  private async offerBooking(token: string): Promise<string> {
    const { origin, destination, date } = this.target;
    const adults = randomInt(4) === 0 ? 2 : 1;
    const search = await this.call(
      'POST',
      '/v1/offers/search',
      { origin, destination, departure_date: date, passengers: { adults } },
      token,
    );
    const offers = (search.json.offers ?? []) as Json[];
    if (search.status !== 200 || offers.length === 0) return 'search-only';
    const offer = pick(offers);
    const travelers = Array.from({ length: adults }, (_, i) => ({
      ptc: 'ADT',
      first_name: ['Ann', 'Bea'][i] ?? 'Cy',
      last_name: 'Matrix',
      date_of_birth: `1985-03-0${i + 1}`,
    }));
    const accepted = await this.retrying(
      'POST',
      `/v1/offers/${offer.id as string}/accept`,
      { travelers, contact: { email: `fault-${randomUUID().slice(0, 8)}@example.com` } },
      token,
    );
    if (accepted.status !== 201 && accepted.status !== 200) return `accept-${accepted.status}`;
    const orderId = accepted.json.id as string;
    this.stats.orders.add(orderId);
    const roll = randomInt(100);
    const pay = (tok: string) => this.retrying('POST', `/v1/orders/${orderId}/pay`, { payment_token: tok }, token);
    const cancel = () => this.retrying('POST', `/v1/orders/${orderId}/cancel`, { reason: 'fault matrix' }, token);
    if (roll < 45) {
      await pay('tok_visa');
      return 'pay';
    }
    if (roll < 58) {
      await pay('tok_async');
      return 'pay-async';
    }
    if (roll < 68) {
      const declined = await pay('tok_chargeDeclined');
      if (declined.status === 402) await pay('tok_visa');
      return 'decline-then-pay';
    }
    if (roll < 78) {
      await cancel();
      return 'cancel-unpaid';
    }
    if (roll < 88) {
      const paid = await pay('tok_visa');
      if (paid.status === 200) await cancel();
      return 'pay-then-cancel';
    }
    if (roll < 92) {
      await pay('tok_timeout');
      return 'pay-no-answer';
    }
    return 'abandon';
  }

  private async tripBooking(token: string): Promise<string> {
    const flight = pick(this.target.flights);
    const trip = await this.retrying('POST', '/v1/holds/trip', { flight_ids: [flight.id] }, token);
    if (trip.status !== 201) return `trip-${trip.status}`;
    const tripId = trip.json.trip_id as string;
    this.stats.orders.add(tripId);
    const pax = await this.call(
      'POST',
      `/v1/holds/trip/${tripId}/passengers`,
      { first_name: 'Trip', last_name: 'Matrix', passenger_type: 'ADULT' },
      token,
    );
    if (pax.status !== 201) return `passenger-${pax.status}`;
    const holdSeat = (seat: string) =>
      this.call('POST', '/v1/holds/seat', { trip_id: tripId, flight_id: flight.id, seat_number: seat }, token);
    let seat = pick(flight.seats);
    if (randomInt(4) === 0) {
      // Two seat holds at once on a one-passenger trip: at most one may win.
      const other = pick(flight.seats);
      const [a, b] = await Promise.all([holdSeat(seat), holdSeat(other)]);
      if (a.status !== 200 && b.status === 200) seat = other;
      else if (a.status !== 200) return 'seat-lost';
    } else {
      const held = await holdSeat(seat);
      if (held.status !== 200) return `seat-${held.status}`;
    }
    if (randomInt(5) === 0) return 'trip-abandon';
    await this.retrying(
      'POST',
      '/v1/bookings/commit',
      {
        trip_id: tripId,
        user_email: 'trip@example.com',
        payment_token: 'tok_visa',
        passengers: [{ first_name: 'Trip', last_name: 'Matrix', seats: [{ flight_id: flight.id, seat_number: seat }] }],
      },
      token,
    );
    return 'trip-commit';
  }

  private async loop(): Promise<void> {
    let token: string | null = null;
    while (this.running) {
      token ??= await this.guest();
      if (!token) {
        await sleep(500);
        continue;
      }
      const scenario = randomInt(10) < 7 ? await this.offerBooking(token) : await this.tripBooking(token);
      this.stats.scenarios[scenario] = (this.stats.scenarios[scenario] ?? 0) + 1;
      if (randomInt(6) === 0) token = null; // now and then a new shopper
      await sleep(100 + randomInt(300));
    }
  }

  start(shoppers: number): void {
    this.running = true;
    this.loops = Array.from({ length: shoppers }, () => this.loop());
  }

  /** Stops starting new scenarios and waits for the ones in flight (each request is bounded by its timeout). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}
