/**
 * Admission: the load shedding in front of the order workflow (a sold-out storm must not queue in Temporal).
 * An accept is admitted only while the seats the index shows available are not already covered by other admitted
 * accepts still waiting for their workflow's answer; the rest are refused SOLD_OUT at once (with Retry-After: an
 * admitted one may still fail and give its seats back). Never the authority: an admission is only a maybe — the
 * hold in the workflow decides — and an admission that cannot be checked (Redis away) lets the request through.
 * Each admission lapses after its TTL on its own, so a crashed API leaves nothing behind.
 */
import type { Redis } from 'ioredis';
import { DomainError } from '../../domain/errors';
import { byFlight, normalizeItems, soldOut, type HoldItem } from './items';
import { admitKey, availKey } from './keys';
import type { ScriptedRedis } from './scripts';

/** How long an admitted accept may wait for its workflow's answer before its admission lapses (ms). */
export const ADMISSION_TTL_MS = 60_000;

export interface Admission {
  /** Gives the admission back (the workflow answered, either way). Never throws. */
  release(): Promise<void>;
}

export function createAdmission(deps: {
  redis: ScriptedRedis;
  /** Builds the index keys of flights that have none (the first read of a flight). */
  ensureIndexed: (flightIds: string[]) => Promise<unknown>;
}) {
  const { redis } = deps;

  async function admitFlight(ownerId: string, flightId: string, items: HoldItem[]): Promise<string[]> {
    const args = items.flatMap((i) => [i.cabin, i.quantity]);
    return redis.altisInvAdmit(availKey(flightId), admitKey(flightId), ownerId, ADMISSION_TTL_MS, ...args);
  }

  async function releaseFlights(ownerId: string, flights: Map<string, HoldItem[]>): Promise<void> {
    const pipe = (redis as Redis).pipeline();
    for (const [flightId, items] of flights) {
      pipe.zrem(admitKey(flightId), ...items.map((i) => `${i.cabin}|${ownerId}|${i.quantity}`));
    }
    await pipe.exec().catch(() => undefined); // lapses by itself otherwise
  }

  return {
    /** Admits `ownerId`'s accept of `items`, or throws SOLD_OUT. */
    async admit(ownerId: string, items: readonly HoldItem[]): Promise<Admission> {
      const flights = byFlight(normalizeItems(items));
      const admitted = new Map<string, HoldItem[]>();
      const release = () => releaseFlights(ownerId, admitted);
      try {
        for (const [flightId, list] of flights) {
          let answer = await admitFlight(ownerId, flightId, list);
          if (answer[0] === 'MISSING') {
            await deps.ensureIndexed([flightId]);
            answer = await admitFlight(ownerId, flightId, list);
          }
          if (answer[0] === 'SOLD_OUT') {
            const [, cabin, available, pending] = answer;
            const item = list.find((i) => i.cabin === cabin)!;
            if (Number(pending) === 0) throw soldOut(flightId, cabin!, item.quantity, Number(available));
            throw new DomainError(
              'SOLD_OUT',
              `the last ${available} seat(s) in ${cabin} on flight ${flightId} are being taken by bookings in ` +
                'progress; one that fails gives its seats back: try again in a few seconds',
              {
                flight_id: flightId,
                cabin,
                requested: item.quantity,
                available: 0,
                pending: Number(pending),
                retry_after_seconds: 2,
              },
            );
          }
          if (answer[0] === 'OK') admitted.set(flightId, list);
        }
      } catch (err) {
        await release();
        if (err instanceof DomainError) throw err;
        return { release: async () => undefined }; // Redis away: through, the hold decides
      }
      return { release };
    },
  };
}
