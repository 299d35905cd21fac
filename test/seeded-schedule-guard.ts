import { loadConfig } from '../config';
import { createDb } from '../db/client';
import { TEST_ENV } from './env';

/**
 * A global setup of the parallel group only (vitest.config.ts): the seeded schedule (carrier AL) is shared by
 * every test file, so no test of the group may hold, sell or lock a seat on it; the README guide, which must book
 * on it, runs in the serial group. Before the run this takes a fingerprint of everything ever written to the
 * seeded flights' inventory, and after it fails the run when that changed.
 */
async function fingerprint(): Promise<string> {
  Object.assign(process.env, TEST_ENV);
  const pg = createDb(loadConfig().database.url, { max: 1 });
  try {
    const [row] = await pg.sql<{ holds: number; seats: number; counted: number }[]>`
      SELECT
        (SELECT count(*)::int FROM inventory_holds h JOIN flights f ON f.id = h.flight_id WHERE f.carrier = 'AL') AS holds,
        (SELECT count(*)::int FROM seat_assignments s JOIN flights f ON f.id = s.flight_id WHERE f.carrier = 'AL') AS seats,
        (SELECT coalesce(sum(i.held + i.sold), 0)::int
           FROM flight_inventory i JOIN flights f ON f.id = i.flight_id WHERE f.carrier = 'AL') AS counted`;
    return `inventory holds ${row!.holds}, seat assignments ${row!.seats}, seats held or sold ${row!.counted}`;
  } finally {
    await pg.close();
  }
}

export default async function setup() {
  const before = await fingerprint();
  return async function teardown() {
    const after = await fingerprint();
    if (after !== before) {
      // vitest reports an error thrown here but keeps its exit code: set it, so the run fails.
      process.exitCode = 1;
      throw new Error(
        `a test of the parallel group wrote to the seeded schedule (before: ${before}; after: ${after}). ` +
          'Tests own their flights (test/support/flights.ts); a test that must book on the seeded schedule ' +
          'belongs in SERIAL_TESTS.',
      );
    }
  };
}
