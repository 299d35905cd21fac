/**
 * A circuit breaker in front of the payment gateway (cockatiel). After `circuit_failures` consecutive failures of
 * the provider itself (no answer in time, network failure, 5xx — never a decline or a refused request), calls fail
 * at once with GatewayUnavailableError for `circuit_open_ms`, then one call tries again (half-open). The worker's
 * breaker publishes "open until" in Redis, so that every API instance refuses new payments fast (503 with
 * Retry-After, before the order's workflow is touched: the hold and its timer are unchanged) instead of sending
 * them into a workflow whose charge would only wait for the provider. A Redis that cannot answer reads as closed:
 * the breaker sheds load, it is never a reason to refuse a payment the provider could take.
 */
import { createHash } from 'node:crypto';
import { BrokenCircuitError, circuitBreaker, ConsecutiveBreaker, handleWhen } from 'cockatiel';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config';
import { DomainError } from '../domain/errors';
import type { Logger } from '../lib/logger';
import { GatewayTimeoutError, GatewayUnavailableError, type PaymentGateway } from './payment-gateway';

/** One circuit per provider endpoint: every process configured with the same gateway shares it. */
export const paymentCircuitKey = (gatewayUrl: string) =>
  `payments:circuit:${createHash('sha256').update(gatewayUrl).digest('hex').slice(0, 16)}`;

type CircuitConfig = Pick<AppConfig['payments'], 'gateway_url' | 'circuit_failures' | 'circuit_open_ms'>;

export interface PaymentCircuitDeps {
  redis: Redis;
  config: CircuitConfig;
  logger?: Logger;
}

const providerFailure = (err: Error) => err instanceof GatewayUnavailableError || err instanceof GatewayTimeoutError;

/** The gateway behind a breaker; its state changes are written to Redis for the API's pre-check. */
export function withCircuitBreaker(gateway: PaymentGateway, deps: PaymentCircuitDeps): PaymentGateway {
  const { redis, config, logger } = deps;
  const breaker = circuitBreaker(handleWhen(providerFailure), {
    halfOpenAfter: config.circuit_open_ms,
    breaker: new ConsecutiveBreaker(config.circuit_failures),
  });
  const key = paymentCircuitKey(config.gateway_url);
  const publish = (open: boolean) =>
    (open ? redis.set(key, '1', 'PX', config.circuit_open_ms) : redis.del(key)).catch((err: unknown) =>
      logger?.warn({ err: (err as Error).message }, 'payment circuit state not published'),
    );
  breaker.onBreak(() => {
    logger?.error({ open_ms: config.circuit_open_ms }, 'payment gateway circuit OPEN: payments refused fast');
    void publish(true);
  });
  breaker.onReset(() => {
    logger?.info('payment gateway circuit closed');
    void publish(false);
  });

  const guarded =
    <A extends unknown[], R>(operation: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await breaker.execute(() => call(...args));
      } catch (err) {
        if (err instanceof BrokenCircuitError) {
          // Nothing was sent: as safe to retry (same idempotency key) as a connection that was refused.
          throw new GatewayUnavailableError(operation, 'circuit open after repeated provider failures');
        }
        throw err;
      }
    };
  return {
    charge: guarded('charge', (req) => gateway.charge(req)),
    getCharge: guarded('getCharge', (id) => gateway.getCharge(id)),
    voidCharge: guarded('voidCharge', (id) => gateway.voidCharge(id)),
    refund: guarded('refund', (req) => gateway.refund(req)),
    listCharges: guarded('listCharges', (orderId) => gateway.listCharges(orderId)),
  };
}

/** The API's side: refuses a payment at once while any worker's breaker is open. */
export function createPaymentCircuitCheck(redis: Redis, config: Pick<CircuitConfig, 'gateway_url'>) {
  const key = paymentCircuitKey(config.gateway_url);
  return {
    /** DEPENDENCY_UNAVAILABLE (503, Retry-After) while the circuit is open; nothing otherwise. */
    async assertClosed(): Promise<void> {
      const ms = await Promise.race([
        redis.pttl(key),
        new Promise<number>((resolve) => setTimeout(() => resolve(-2), 250).unref()),
      ]).catch(() => -2);
      if (ms > 0) {
        const retryAfter = Math.max(1, Math.ceil(ms / 1000));
        throw new DomainError(
          'DEPENDENCY_UNAVAILABLE',
          `the payment provider is not answering; nothing was charged and the hold is kept: retry in ${retryAfter} s`,
          { retry_after_seconds: retryAfter },
        );
      }
    },
  };
}
