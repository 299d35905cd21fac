/**
 * What the benchmarks send and how they quiet the API, in one place so that every bench measures the same mix.
 */
import type { AppConfig } from '../config';
import { ROUTES } from '../db/seed/data';

/** A date `n` days from now, as the API takes it (YYYY-MM-DD, UTC). */
export const daysFromNow = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

/**
 * The request log and the rate limits would measure themselves, not the API: both are turned down (the limits to
 * a billion a minute).
 */
export function quietConfig(base: AppConfig): AppConfig {
  return {
    ...base,
    log: { ...base.log, level: 'warn' as const, pretty: false },
    rate_limit: { ...base.rate_limit, per_ip_per_minute: 1_000_000_000, per_customer_per_minute: 1_000_000_000 },
  };
}

/**
 * POST /v1/offers/search bodies over every seeded route, tomorrow: every other one a round trip (back the day
 * after), parties of 1 to 4, some with a child or an infant.
 */
export function offerSearchBodies(): string[] {
  const parties = [1, 2, { adults: 2, children: 1 }, { adults: 1, infants: 1 }, 3, { adults: 2, children: 2 }];
  return ROUTES.map((r, i) =>
    JSON.stringify({
      origin: r.origin,
      destination: r.destination,
      departure_date: daysFromNow(1),
      ...(i % 2 === 0 ? { return_date: daysFromNow(2) } : {}),
      passengers: parties[i % parties.length],
    }),
  );
}
