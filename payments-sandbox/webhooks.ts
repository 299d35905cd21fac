/**
 * Delivers sandbox events to the merchant's webhook endpoint, signed with `Altis-Signature`. A delivery that is
 * not answered 2xx is retried with exponential backoff; every attempt is re-signed with a fresh timestamp (as
 * providers do) but carries the same event id, so the receiver can dedupe.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { signWebhook, WEBHOOK_SIGNATURE_HEADER } from '../domain/webhook-signature';
import type { EventRecord } from './store';

export interface SandboxLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface WebhookDeliveryOptions {
  url: string;
  secret: string;
  maxAttempts: number;
  baseDelayMs: number;
  timeoutMs: number;
  now: () => number;
  /** Aborted when the sandbox shuts down: stops waiting and sending. */
  signal: AbortSignal;
  log: SandboxLogger;
  /** Called after each attempt, once `event.delivery` is updated (the sandbox persists there). */
  onAttempt: (event: EventRecord) => Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;

export function backoffMs(baseDelayMs: number, failedAttempts: number): number {
  return Math.min(MAX_BACKOFF_MS, baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
}

/** Sends until a 2xx answer, the attempts run out, or the sandbox stops. Never throws. */
export async function deliverEvent(opts: WebhookDeliveryOptions, event: EventRecord): Promise<void> {
  const { delivery } = event;
  while (!delivery.delivered && delivery.attempts < opts.maxAttempts) {
    if (delivery.attempts > 0) {
      try {
        await sleep(backoffMs(opts.baseDelayMs, delivery.attempts), undefined, { signal: opts.signal });
      } catch {
        return; // shutting down; a restart with a state file picks the delivery up again
      }
    }
    if (opts.signal.aborted) return;
    const rawBody = JSON.stringify(event.payload);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'altis-payments-sandbox/1',
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(opts.secret, rawBody, opts.now() / 1000),
        },
        body: rawBody,
        signal: AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]),
      });
      status = res.status;
      await res.body?.cancel();
    } catch (err) {
      if (opts.signal.aborted) return;
      error = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    }
    delivery.attempts += 1;
    delivery.lastStatus = status;
    delivery.lastError = error;
    delivery.delivered = status !== null && status >= 200 && status < 300;
    const fields = { eventId: event.id, type: event.type, attempt: delivery.attempts, status, error };
    if (delivery.delivered) opts.log.info(fields, 'webhook delivered');
    else if (delivery.attempts < opts.maxAttempts) opts.log.warn(fields, 'webhook delivery failed, will retry');
    else opts.log.error(fields, 'webhook delivery failed, giving up');
    try {
      await opts.onAttempt(event);
    } catch (err) {
      opts.log.error({ eventId: event.id, err }, 'could not record webhook attempt');
    }
  }
}
