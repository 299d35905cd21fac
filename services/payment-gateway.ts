/**
 * The payment gateway port the payment activities depend on, and its HTTP adapter for the provider API that
 * payments-sandbox/ implements. Error contract, so callers (and Temporal retry policies) can act on the type:
 *   - a decline is a normal result (`status: 'failed'`), never an error;
 *   - GatewayTimeoutError: no answer in time; the outcome is UNKNOWN (the charge may exist): look it up with
 *     listCharges(orderId) or void it, never charge again under a new key;
 *   - GatewayUnavailableError: network failure or 5xx; safe to retry with the same idempotency key;
 *   - GatewayRequestError: the provider refused the request (4xx); retrying the same request will not help
 *     (list 'GatewayRequestError' in a retry policy's nonRetryableErrorTypes).
 */
import { z } from 'zod';

export interface ChargeRequest {
  orderId: string;
  /** Payment attempt number within the order; each attempt is its own charge and idempotency key. */
  attempt: number;
  /** Integer minor units. */
  amount: number;
  currency: string;
  paymentToken: string;
  idempotencyKey: string;
  description?: string;
}

export interface ChargeResult {
  status: 'succeeded' | 'pending' | 'failed';
  chargeId: string;
  declineCode?: string;
}

export type ChargeStatus = 'pending' | 'succeeded' | 'failed' | 'voided';

export interface Charge {
  id: string;
  status: ChargeStatus;
  amount: number;
  currency: string;
  orderId: string;
  declineCode: string | null;
  amountRefunded: number;
  metadata: Record<string, string>;
  /** Unix seconds. */
  created: number;
}

export interface RefundRequest {
  chargeId: string;
  /** Minor units; the whole amount still refundable when absent. */
  amount?: number;
  idempotencyKey: string;
}

export interface Refund {
  id: string;
  chargeId: string;
  amount: number;
  currency: string;
  status: 'succeeded';
  created: number;
}

export interface PaymentGateway {
  charge(req: ChargeRequest): Promise<ChargeResult>;
  /** null when the provider does not know the charge. */
  getCharge(chargeId: string): Promise<Charge | null>;
  /** Cancels a pending charge. Voiding a voided charge is a no-op; a settled one is a GatewayRequestError (409). */
  voidCharge(chargeId: string): Promise<Charge>;
  refund(req: RefundRequest): Promise<Refund>;
  /** Every charge the provider holds for an order, oldest first. */
  listCharges(orderId: string): Promise<Charge[]>;
}

/** The idempotency key for one payment attempt: a retried activity reuses it, a new attempt gets a new one. */
export function chargeIdempotencyKey(orderId: string, attempt: number): string {
  return `charge-${orderId}-${attempt}`;
}

export class GatewayTimeoutError extends Error {
  override name = 'GatewayTimeoutError';
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`payment gateway did not answer ${operation} within ${timeoutMs} ms; the outcome is unknown`);
  }
}

export class GatewayUnavailableError extends Error {
  override name = 'GatewayUnavailableError';
  constructor(
    readonly operation: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`payment gateway unavailable for ${operation}: ${message}`, options);
  }
}

export class GatewayRequestError extends Error {
  override name = 'GatewayRequestError';
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(`payment gateway refused ${operation} (${status} ${code}): ${message}`);
  }
}

/** A charge's outcome as the order sees it: `unknown` when the provider did not answer in time. */
export interface ChargeOutcome {
  status: 'succeeded' | 'failed' | 'pending' | 'unknown';
  chargeId: string | null;
  declineCode: string | null;
}

/**
 * One charge of a payment attempt. `payment` is resolved to the provider's token only here (a vault reference,
 * services/payment-vault.ts, or for orders recorded before the vault the token itself). A refused request (e.g.
 * an unknown token) is a decline, not a retry; a timeout is `unknown` (the charge may exist: void it).
 */
export async function chargeAttempt(
  gateway: PaymentGateway,
  resolveToken: (payment: string) => Promise<string>,
  p: { orderId: string; attempt: number; amount: number; currency: string; payment: string },
  key: { idempotencyKey: string; description: string },
): Promise<ChargeOutcome> {
  try {
    const result = await gateway.charge({
      orderId: p.orderId,
      attempt: p.attempt,
      amount: p.amount,
      currency: p.currency,
      paymentToken: await resolveToken(p.payment),
      ...key,
    });
    return { status: result.status, chargeId: result.chargeId, declineCode: result.declineCode ?? null };
  } catch (err) {
    if (err instanceof GatewayTimeoutError) return { status: 'unknown', chargeId: null, declineCode: null };
    if (err instanceof GatewayRequestError) return { status: 'failed', chargeId: null, declineCode: err.code };
    throw err;
  }
}

/** What voidAttempt found: a charge of the attempt that succeeded, what `refused` decided, or every pending one voided. */
export type VoidedAttempt =
  | { status: 'succeeded' | 'failed'; chargeId: string | null; declineCode: string | null }
  | { status: 'voided'; chargeId: string | null };

/**
 * Gives up on a payment attempt with no outcome: voids what the provider holds for it (charges of `chargeId` or
 * tagged with the attempt). A charge that succeeded meanwhile wins, never voided. A void the provider refuses
 * (409: the charge left "pending" between the list and the void) is settled by what the charge then is: succeeded
 * wins, anything else goes to `refused`, which answers an outcome, nothing (go on), or throws (retry later).
 * `chargeId` of a voided attempt is its first charge's, else the one given.
 */
export async function voidAttempt(
  gateway: PaymentGateway,
  p: { orderId: string; attempt: number; chargeId: string | null },
  refused: (
    chargeId: string,
    now: Charge | null,
    err: GatewayRequestError,
  ) => VoidedAttempt | undefined | Promise<VoidedAttempt | undefined>,
): Promise<VoidedAttempt> {
  const charges = (await gateway.listCharges(p.orderId)).filter(
    (c) => c.id === p.chargeId || c.metadata.attempt === String(p.attempt),
  );
  const succeeded = charges.find((c) => c.status === 'succeeded');
  if (succeeded) return { status: 'succeeded', chargeId: succeeded.id, declineCode: null };
  for (const c of charges.filter((x) => x.status === 'pending')) {
    try {
      await gateway.voidCharge(c.id);
    } catch (err) {
      if (!(err instanceof GatewayRequestError && err.status === 409)) throw err;
      const now = await gateway.getCharge(c.id);
      if (now?.status === 'succeeded') return { status: 'succeeded', chargeId: c.id, declineCode: null };
      const settled = await refused(c.id, now, err);
      if (settled) return settled;
    }
  }
  return { status: 'voided', chargeId: charges[0]?.id ?? p.chargeId };
}

export interface HttpPaymentGatewayOptions {
  baseUrl: string;
  apiKey: string;
  /** Per request, covering connect, answer and body. */
  timeoutMs: number;
}

// ---- wire format (snake_case, as the provider speaks it) ----------------------------------------------------

const wireCharge = z.object({
  id: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed', 'voided']),
  amount: z.number().int(),
  currency: z.string(),
  order_id: z.string(),
  decline_code: z.string().nullish(),
  amount_refunded: z.number().int().default(0),
  metadata: z.record(z.string(), z.string()).default({}),
  created: z.number(),
});

const wireRefund = z.object({
  id: z.string(),
  charge_id: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  status: z.literal('succeeded'),
  created: z.number(),
});

const wireList = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item) });

const wireError = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

const toCharge = (w: z.infer<typeof wireCharge>): Charge => ({
  id: w.id,
  status: w.status,
  amount: w.amount,
  currency: w.currency,
  orderId: w.order_id,
  declineCode: w.decline_code ?? null,
  amountRefunded: w.amount_refunded,
  metadata: w.metadata,
  created: w.created,
});

const toRefund = (w: z.infer<typeof wireRefund>): Refund => ({
  id: w.id,
  chargeId: w.charge_id,
  amount: w.amount,
  currency: w.currency,
  status: w.status,
  created: w.created,
});

export function createHttpPaymentGateway(opts: HttpPaymentGatewayOptions): PaymentGateway {
  const base = opts.baseUrl.replace(/\/+$/, '');

  async function call(
    operation: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = { authorization: `Bearer ${opts.apiKey}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    let status: number;
    let text: string;
    try {
      // One signal for the whole exchange: a provider that sends headers and then stalls also times out.
      const res = await fetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        throw new GatewayTimeoutError(operation, opts.timeoutMs);
      }
      const reason = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      throw new GatewayUnavailableError(operation, reason, undefined, { cause: err });
    }
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      if (status < 500) throw new GatewayUnavailableError(operation, `answer ${status} is not JSON`, status);
    }
    if (status >= 500) throw new GatewayUnavailableError(operation, `answered ${status}`, status);
    return { status, json };
  }

  function refused(operation: string, status: number, json: unknown): GatewayRequestError {
    const parsed = wireError.safeParse(json);
    return parsed.success
      ? new GatewayRequestError(
          operation,
          status,
          parsed.data.error.code,
          parsed.data.error.message,
          parsed.data.error.details,
        )
      : new GatewayRequestError(operation, status, 'unknown', `unexpected answer ${status}`, json);
  }

  function parse<T extends z.ZodType>(operation: string, schema: T, status: number, json: unknown): z.infer<T> {
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      // A malformed success answer is a provider fault: surface it as retryable rather than guess a result.
      throw new GatewayUnavailableError(operation, `malformed answer: ${parsed.error.message}`, status);
    }
    return parsed.data;
  }

  return {
    async charge(req) {
      const { status, json } = await call(
        'charge',
        'POST',
        '/v1/charges',
        {
          amount: req.amount,
          currency: req.currency,
          payment_token: req.paymentToken,
          order_id: req.orderId,
          description: req.description ?? `Altis order ${req.orderId}`,
          metadata: { attempt: String(req.attempt) },
        },
        req.idempotencyKey,
      );
      if (status !== 200 && status !== 201 && status !== 202 && status !== 402) throw refused('charge', status, json);
      const charge = parse('charge', wireCharge, status, json);
      if (charge.status === 'voided') {
        throw new GatewayRequestError('charge', 409, 'charge_voided', `charge ${charge.id} was voided`);
      }
      return charge.status === 'failed'
        ? { status: 'failed', chargeId: charge.id, declineCode: charge.decline_code ?? 'card_declined' }
        : { status: charge.status, chargeId: charge.id };
    },

    async getCharge(chargeId) {
      const { status, json } = await call('getCharge', 'GET', `/v1/charges/${encodeURIComponent(chargeId)}`);
      if (status === 404) return null;
      if (status !== 200) throw refused('getCharge', status, json);
      return toCharge(parse('getCharge', wireCharge, status, json));
    },

    async voidCharge(chargeId) {
      const { status, json } = await call('voidCharge', 'POST', `/v1/charges/${encodeURIComponent(chargeId)}/void`);
      if (status !== 200) throw refused('voidCharge', status, json);
      return toCharge(parse('voidCharge', wireCharge, status, json));
    },

    async refund(req) {
      const body =
        req.amount === undefined ? { charge_id: req.chargeId } : { charge_id: req.chargeId, amount: req.amount };
      const { status, json } = await call('refund', 'POST', '/v1/refunds', body, req.idempotencyKey);
      if (status !== 200 && status !== 201) throw refused('refund', status, json);
      return toRefund(parse('refund', wireRefund, status, json));
    },

    async listCharges(orderId) {
      const { status, json } = await call('listCharges', 'GET', `/v1/charges?order_id=${encodeURIComponent(orderId)}`);
      if (status !== 200) throw refused('listCharges', status, json);
      return parse('listCharges', wireList(wireCharge), status, json).data.map(toCharge);
    },
  };
}
