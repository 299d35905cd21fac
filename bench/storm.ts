/**
 * The sold-out storm (issue #18): BENCH_STORM_ACCEPTS (500) accepts of distinct offers fired at once at one
 * 12-seat cabin, each by a guest of its own. The authority (the order workflow's hold) sells exactly the seats;
 * the Redis pre-check in the API (api/order-commands.ts) answers the rest 409 SOLD_OUT before a workflow starts.
 * Figures: winners (201, PROPOSED in Postgres) and their p95, sold-out answers and their p95, and the p95 of the
 * same number of plain flight searches fired at once on the same server in the same run — the ratio is the
 * figure (target: sold-out p95 under 10× the search p95).
 */
import type { Services } from '../lib/services';
import { createInventory } from '../services/inventory';
import { createTestOffer } from '../test/support/fixtures';
import { createTestFlight, testRoute } from '../test/support/flights';

export const STORM_TARGET = 10;

export interface StormResults {
  seats: number;
  accepts: number;
  winners: number;
  soldOut: number;
  /** Answers other than 201 and 409 SOLD_OUT (with the first one's status and code). */
  other: number;
  firstOther: string | null;
  /** Orders of the storm's flight PROPOSED in Postgres afterwards (must equal the seats). */
  proposed: number;
  winnerP95: number;
  soldOutP95: number;
  searchP95: number;
  /** The wall time from the first request to the last answer, ms. */
  stormMs: number;
}

type Call = (
  method: string,
  path: string,
  token?: string,
  body?: unknown,
) => Promise<{ status: number; body: Record<string, unknown> }>;

const p95 = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
};

async function fireAll<T>(n: number, job: (i: number) => Promise<T>): Promise<{ ms: number; value: T }[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const t0 = performance.now();
      const value = await job(i);
      return { ms: performance.now() - t0, value };
    }),
  );
}

export async function measureStorm(
  services: Services,
  api: Call,
  opts: { seats?: number; accepts?: number } = {},
): Promise<StormResults> {
  const seats = opts.seats ?? 12;
  const accepts = opts.accepts ?? 500;
  const flight = await createTestFlight(services, { route: testRoute('bench'), capacity: seats });
  await createInventory(services).rebuildIndex([flight.id]);
  const offers: string[] = [];
  for (let i = 0; i < accepts; i++) offers.push((await createTestOffer(services.redis, [flight])).id);
  const tokens: string[] = [];
  for (let i = 0; i < accepts; i++) tokens.push((await api('POST', '/v1/auth/guest')).body.token as string);
  const traveler = { ptc: 'ADT', first_name: 'Storm', last_name: 'Traveler' };

  const started = performance.now();
  const answers = await fireAll(accepts, (i) =>
    api('POST', `/v1/offers/${offers[i]}/accept`, tokens[i], {
      travelers: [traveler],
      contact: { email: 'storm@example.com' },
    }),
  );
  const stormMs = performance.now() - started;
  const winners = answers.filter((a) => a.value.status === 201);
  const soldOut = answers.filter(
    (a) => a.value.status === 409 && (a.value.body.error as { code?: string } | undefined)?.code === 'SOLD_OUT',
  );
  const others = answers.filter((a) => !winners.includes(a) && !soldOut.includes(a));
  const [row] = await services.sql<{ n: number }[]>`
    SELECT count(DISTINCT o.id)::int AS n FROM orders o JOIN order_items i ON i.order_id = o.id
    WHERE i.flight_id = ${flight.id} AND o.status = 'PROPOSED'`;

  // The baseline: as many plain searches at once, for the same flight's day and route.
  const day = flight.departureAt.toISOString().slice(0, 10);
  const searches = await fireAll(accepts, () =>
    api('POST', '/v1/flights/search', undefined, {
      legs: [{ origin_airport_code: flight.origin, destination_airport_code: flight.destination, date: day }],
      passenger_count: 1,
    }),
  );
  const badSearch = searches.find((s) => s.value.status !== 200);
  if (badSearch) {
    throw new Error(
      `storm baseline: a search answered ${badSearch.value.status}: ${JSON.stringify(badSearch.value.body)}`,
    );
  }

  const first = others[0]?.value;
  return {
    seats,
    accepts,
    winners: winners.length,
    soldOut: soldOut.length,
    other: others.length,
    firstOther: first ? `${first.status} ${JSON.stringify(first.body).slice(0, 200)}` : null,
    proposed: row?.n ?? 0,
    winnerP95: p95(winners.map((a) => a.ms)),
    soldOutP95: p95(soldOut.map((a) => a.ms)),
    searchP95: p95(searches.map((s) => s.ms)),
    stormMs,
  };
}

export function stormRows(s: StormResults | undefined, notMeasured: string): [string, string][] {
  if (!s) return [['sold-out storm (bench/storm.ts)', notMeasured]];
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const ratio = s.soldOutP95 / s.searchP95;
  return [
    [
      `sold-out storm: ${s.accepts} accepts at once on a ${s.seats}-seat cabin`,
      `${s.winners} × 201 (${s.proposed} PROPOSED in Postgres), ${s.soldOut} × 409 SOLD_OUT, ${s.other} other` +
        `${s.firstOther ? ` (first: ${s.firstOther})` : ''}; all answered in ${ms(s.stormMs)}`,
    ],
    ['storm winners (201 PROPOSED) p95', ms(s.winnerP95)],
    ['storm sold-out answers (409) p95', ms(s.soldOutP95)],
    [`${s.accepts} plain flight searches at once, p95 (same server, same run)`, ms(s.searchP95)],
    [
      '**storm sold-out p95 ÷ plain search p95**',
      `**${ratio.toFixed(2)}×** (target < ${STORM_TARGET}×: ${ratio < STORM_TARGET ? 'met' : 'not met'})`,
    ],
  ];
}
