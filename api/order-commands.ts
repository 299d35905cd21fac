import { createHash } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { AppConfig } from '../config';
import { DomainError, isErrorCode } from '../domain/errors';
import { holdExpired, isTerminal, type OrderStatus } from '../domain/order';
import type { Offer } from '../domain/offer';
import { assignRefs, type TravelerInput } from '../domain/travelers';
import type { PiiCipher } from '../lib/pii';
import type { AppServices } from '../services';
import type { Admission } from '../services/inventory/admission';
import { holdItems } from '../services/orders';
import {
  CUSTOMER_ID_KEY,
  ORDER_STATUS_KEY,
  ORDER_WORKFLOW_TYPE,
  confirmProposal,
  orderWorkflowId,
  type OrderWorkflowInput,
  type ProposalResult,
} from '../workflows/messages';
import type { orderWorkflowV2 } from '../workflows/order';

/** One order per offer: the order id is derived from the offer id, so accepting twice finds the same order. */
export function orderIdForOffer(offerId: string): string {
  const h = createHash('sha256').update(`altis-order:${offerId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function workflowInputFromOffer(
  config: AppConfig,
  pii: PiiCipher,
  p: {
    orderId: string;
    customerId: string;
    offer: Offer;
    travelers: TravelerInput[];
    contact?: { email: string } | null;
  },
): OrderWorkflowInput {
  const { offer } = p;
  return {
    orderId: p.orderId,
    customerId: p.customerId,
    source: 'OFFER',
    offerId: offer.id,
    currency: offer.price.total.currency,
    totalAmount: offer.price.total.amount,
    segments: offer.segments.map((s) => ({
      flightId: s.flight_id,
      cabin: s.cabin,
      carrier: s.carrier,
      flightNumber: s.flight_number,
      origin: s.origin,
      destination: s.destination,
      departureAt: s.departure_at,
      arrivalAt: s.arrival_at,
    })),
    travelers: assignRefs(p.travelers).map((t) => ({
      ref: t.ref,
      ptc: t.ptc,
      firstName: pii.encrypt(t.first_name.trim()),
      lastName: pii.encrypt(t.last_name.trim()),
      dateOfBirth: t.date_of_birth ? pii.encrypt(t.date_of_birth) : null,
      gender: t.gender ?? null,
    })),
    items: offer.items.map((i) => ({
      productType: i.product_type,
      productCode: i.product_code,
      flightId: i.flight_id,
      passengerRef: i.passenger_ref,
      amount: i.price.amount,
      currency: i.price.currency,
    })),
    contact: p.contact ? pii.encrypt(JSON.stringify(p.contact)) : null,
    contactEmailIndex: p.contact?.email ? pii.emailIndex(p.contact.email) : null,
    ...(offer.conditions ? { conditions: offer.conditions } : {}),
    holdSeconds: config.orders.hold_seconds,
    paymentTimeoutSeconds: config.orders.payment_timeout_seconds,
    archiveGraceSeconds: config.orders.archive_grace_seconds,
  };
}

/**
 * Starts the order workflow and waits for its hold, in one call (update-with-start). A second accept of the
 * same offer reaches the same running workflow and gets the same order back.
 */
export async function startOrder(
  deps: { temporal: Client; config: AppConfig; services: Pick<AppServices, 'inventory' | 'orderReads'> },
  input: OrderWorkflowInput,
): Promise<ProposalResult | { outcome: 'CLOSED' }> {
  const { temporal, config } = deps;
  // Shed a sold-out storm here, not in Temporal: an accept is admitted only while the seats the index shows are not
  // already covered by accepts in flight; the rest are refused without a workflow (the hold inside the workflow
  // stays the only authority for a yes). An order that exists already (a repeated accept: its own seats are among
  // the gone) goes on to its workflow, which answers with it.
  let admission: Admission | null = null;
  try {
    admission = await deps.services.inventory.admit(input.orderId, holdItems(input));
  } catch (err) {
    if (!(await deps.services.orderReads.exists(input.orderId))) throw err;
  }
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof orderWorkflowV2>(ORDER_WORKFLOW_TYPE, {
    workflowId: orderWorkflowId(input.orderId),
    taskQueue: config.temporal.task_queue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [
      { key: CUSTOMER_ID_KEY, value: input.customerId },
      { key: ORDER_STATUS_KEY, value: 'PROPOSED' },
    ],
  });
  try {
    return await temporal.workflow.executeUpdateWithStart(confirmProposal, { startWorkflowOperation });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { outcome: 'CLOSED' };
    throw err;
  } finally {
    await admission?.release();
  }
}

/** Turns a workflow's refusal of an update into the domain error the API answers with. */
export function updateRejection(err: unknown): DomainError | null {
  if (!(err instanceof WorkflowUpdateFailedError)) return null;
  // A validator's or handler's own rejection, or an activity's non-retryable domain failure inside the handler.
  const cause = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
  if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) {
    return new DomainError(cause.type, cause.message, cause.details?.[0] ?? undefined);
  }
  return null;
}

/**
 * Sends an update to an order's workflow, the one way the API does: a refusal (validator, handler or one of its
 * activities) becomes its domain error; when the workflow has already closed, the order's record says why —
 * 410 HOLD_EXPIRED when a payment or change comes after its hold ran out (domain/order.ts `holdExpired`), else
 * 409 INVALID_STATE.
 */
export async function updateOrder<T>(
  temporal: Client,
  orderId: string,
  latest: () => Promise<{ status: OrderStatus; expiresAt: Date }>,
  what: 'paid' | 'changed' | 'cancelled',
  run: (handle: WorkflowHandle) => Promise<T>,
): Promise<T> {
  try {
    return await run(temporal.workflow.getHandle(orderWorkflowId(orderId)));
  } catch (err) {
    const rejection = updateRejection(err);
    if (rejection) throw rejection;
    const row = await latest();
    // (An order whose hold ran out can no longer be cancelled either: that is a 409 like any ended order.)
    if (what !== 'cancelled' && holdExpired({ status: row.status, expiresAt: row.expiresAt.getTime() }, Date.now())) {
      throw new DomainError('HOLD_EXPIRED', 'the hold on this order has expired');
    }
    // A closed workflow has a final state; an open one failed to answer for another reason (passed on).
    if (err instanceof WorkflowNotFoundError || isTerminal(row.status)) {
      throw new DomainError('INVALID_STATE', `an order in state ${row.status} cannot be ${what}`);
    }
    throw err;
  }
}
