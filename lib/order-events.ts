import type { AppConfig } from '../config';
import { topicName } from './kafka';

/**
 * The JSON envelope of every domain event on Kafka (README, "Domain events"). The message key is `order_id`,
 * so one order's events share a partition and keep their order; headers repeat `type` and `id`.
 */
export interface EventEnvelope<P extends Record<string, unknown> = Record<string, unknown>> {
  id: string; // the outbox row's uuid: consumers deduplicate on it
  type: string;
  schema_version: number;
  occurred_at: string; // ISO 8601, UTC
  order_id: string; // the aggregate: the order (a seat lock's owner is its order too)
  payload: P;
}

/** The notifications consumer (consumers/notifications.ts): its processed_events key and group name. */
export const NOTIFICATIONS_CONSUMER = 'notifications';

/** What becomes of an order once proposed that both its customer and the analytics hear of. */
export const ORDER_OUTCOME_EVENTS = [
  'OrderExpired',
  'OrderCancelled',
  'RefundIssued',
  'OrderChanged',
  'OrderServicesAdded',
  'SeatChanged',
] as const;

/** The events the notifications consumer mails the order's contact about. */
export const NOTIFIED_EVENTS = [
  'OrderFulfilled',
  ...ORDER_OUTCOME_EVENTS,
  'LatePaymentRefunded',
  'OrderDisrupted',
] as const;

/** `<prefix>order-events`: every order's events, keyed by order id. */
export const orderEventsTopic = (config: Pick<AppConfig, 'kafka'>) => topicName(config, 'order-events');

/** `<prefix>order-events.dlq.<consumer>`: what one consumer could not handle, with the error in the headers. */
export const deadLetterTopic = (config: Pick<AppConfig, 'kafka'>, consumer: string) =>
  `${orderEventsTopic(config)}.dlq.${consumer}`;

export class MalformedEventError extends Error {
  override name = 'MalformedEventError';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses and checks a message value; a value that is not an envelope throws MalformedEventError. */
export function parseEnvelope(value: Buffer | null): EventEnvelope {
  if (!value) throw new MalformedEventError('the message has no value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    throw new MalformedEventError('the message value is not JSON');
  }
  const e = parsed as Partial<EventEnvelope> | null;
  if (
    !e ||
    typeof e !== 'object' ||
    typeof e.id !== 'string' ||
    !UUID.test(e.id) ||
    typeof e.type !== 'string' ||
    typeof e.schema_version !== 'number' ||
    typeof e.occurred_at !== 'string' ||
    Number.isNaN(Date.parse(e.occurred_at)) ||
    typeof e.order_id !== 'string' ||
    !e.payload ||
    typeof e.payload !== 'object'
  ) {
    throw new MalformedEventError('the message value is not an event envelope');
  }
  return e as EventEnvelope;
}
