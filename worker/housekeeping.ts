import { and, eq, isNotNull, lt, not, notExists } from 'drizzle-orm';
import type { AppConfig } from '../config';
import type { Database, Sql } from '../db/client';
import { outbox, processedEvents } from '../db/schema';
import type { Logger } from '../lib/logger';
import { purgeIdleGuests } from '../services/customers';
import { purgeIdempotencyKeys } from '../services/idempotency-store';
import { timelineKept } from '../services/order-timeline';
import { purgePaymentTokens } from '../services/payment-vault';
import { moveFlightStatuses, scheduleRules } from '../services/schedule';

export interface HousekeepingResult {
  idempotencyKeys: number;
  processedEvents: number;
  publishedOutboxRows: number;
  paymentTokens: number;
  guests: number;
}

/**
 * Deletes what has served its purpose, so no table grows without bound: idempotency keys past their retention,
 * consumers' processed-event marks older than any redelivery can be (unless their event is kept), outbox rows
 * published long ago that no live order's timeline needs, and vaulted
 * card tokens past their day (services/payment-vault.ts), and guests older than `guest_retention_hours` that own no
 * order (services/customers.ts). Never an unpublished outbox row, never a guest with an order.
 */
export async function housekeep(db: Database, config: Pick<AppConfig, 'housekeeping'>, now = Date.now()) {
  const h = config.housekeeping;
  const idempotencyKeys = await purgeIdempotencyKeys(db, h.idempotency_key_hours * 3600_000);
  // An order's events stay while its timeline needs them (services/order-timeline.ts), and so do their marks.
  const outboxCutoff = new Date(now - h.published_outbox_days * 86_400_000);
  const published = await db
    .delete(outbox)
    .where(and(isNotNull(outbox.publishedAt), lt(outbox.publishedAt, outboxCutoff), not(timelineKept(outboxCutoff))))
    .returning({ seq: outbox.seq });
  const processed = await db
    .delete(processedEvents)
    .where(
      and(
        lt(processedEvents.processedAt, new Date(now - h.processed_event_days * 86_400_000)),
        notExists(db.select({ one: outbox.seq }).from(outbox).where(eq(outbox.id, processedEvents.eventId))),
      ),
    )
    .returning({ id: processedEvents.eventId });
  const paymentTokens = await purgePaymentTokens(db, new Date(now));
  const guests = await purgeIdleGuests(db, new Date(now - h.guest_retention_hours * 3600_000));
  return {
    idempotencyKeys,
    processedEvents: processed.length,
    publishedOutboxRows: published.length,
    paymentTokens,
    guests,
  };
}

/**
 * Records the flights' status moves from the schedule (SCHEDULED → CLOSED → DEPARTED → ARRIVED) at start and then
 * every `flight_status_interval_seconds`; stop() ends it. Sales never wait for it: they judge the times themselves.
 */
export function startFlightStatusMoves(
  pg: { db: Database; sql: Sql },
  config: Pick<AppConfig, 'housekeeping' | 'orders' | 'check_in'>,
  logger: Logger,
) {
  return everyInterval(config.housekeeping.flight_status_interval_seconds, async () => {
    try {
      const moved = await moveFlightStatuses(pg, scheduleRules(config));
      if (Object.keys(moved).length > 0) logger.info({ moved }, 'flight statuses moved');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'flight status moves failed; they run again at the next interval');
    }
  });
}

/** Runs housekeeping at start and then every `interval_seconds`; stop() ends it. */
export function startHousekeeping(db: Database, config: Pick<AppConfig, 'housekeeping'>, logger: Logger) {
  return everyInterval(config.housekeeping.interval_seconds, async () => {
    try {
      const result = await housekeep(db, config);
      if (Object.values(result).some((n) => n > 0)) {
        logger.info(result, 'housekeeping removed expired rows');
      }
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'housekeeping failed; it runs again at the next interval');
    }
  });
}

/** Runs `run` now and then every `seconds` (never keeping the process alive for it); stop() ends it. */
function everyInterval(seconds: number, run: () => Promise<void>) {
  void run();
  const timer = setInterval(() => void run(), seconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
