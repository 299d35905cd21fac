/**
 * A charge that succeeded for an order whose workflow has closed (EXPIRED, CANCELLED, ARCHIVED): its seats were
 * released (or its sale ended) and no workflow waits for it. Started by the payments webhook, one per charge
 * (id `late-payment-<chargeId>`: a duplicate delivery cannot start a second).
 *
 * An EXPIRED order whose seats are all still free (and whose flights still sell) is reinstated on the charge
 * (behind `patched('late-payment-rehold')`): its seats held again, PAYMENT_PENDING, and a new run of its own
 * workflow (`order-<orderId>`, abandoned by this one) sells and tickets on the charge, then services the order
 * as any other. Otherwise the charge is refunded in full and the customer told (LatePaymentRefunded): the money
 * is never kept without a ticket.
 */
import { ParentClosePolicy, patched, proxyActivities, startChild } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_CODES } from '../domain/errors';
import { workflowNowIso } from './clock';
import {
  CUSTOMER_ID_KEY,
  ORDER_STATUS_KEY,
  ORDER_WORKFLOW_TYPE,
  orderWorkflowId,
  type LatePaymentInput,
  type LatePaymentOutcome,
} from './messages';

// The money must go back: retried until the provider answers (the refund is idempotent per charge).
const { refundLatePayment } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: NON_RETRYABLE_CODES,
  },
  summary: 'refund the late payment',
});

// Asks the provider, then takes the seats back in one transaction: retried until it answers (idempotent).
const { reinstateLatePayment } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '20s' },
  summary: 're-hold the expired order',
});

export async function latePaymentWorkflow(input: LatePaymentInput): Promise<LatePaymentOutcome> {
  const { orderId, chargeId } = input;
  let reason = 'the order was closed when the payment succeeded';
  if (patched('late-payment-rehold')) {
    const decision = await reinstateLatePayment({ orderId, chargeId, at: workflowNowIso() });
    if (decision.verdict === 'ignore') {
      return {
        orderId,
        chargeId,
        outcome: 'ignored',
        reason: decision.reason,
        refundId: null,
        amount: 0,
        currency: null,
      };
    }
    if (decision.verdict === 'reinstated') {
      await startChild(ORDER_WORKFLOW_TYPE, {
        workflowId: orderWorkflowId(orderId),
        args: [decision.input],
        parentClosePolicy: ParentClosePolicy.ABANDON, // the order's workflow lives until after its last flight
        workflowIdReusePolicy: 'ALLOW_DUPLICATE', // its expired run has closed
        typedSearchAttributes: [
          { key: CUSTOMER_ID_KEY, value: decision.input.customerId },
          { key: ORDER_STATUS_KEY, value: 'PAYMENT_PENDING' },
        ],
      });
      return {
        orderId,
        chargeId,
        outcome: 'reinstated',
        reason: 'the order’s seats were free: the late payment pays it',
        refundId: null,
        amount: decision.amount,
        currency: decision.currency,
      };
    }
    reason = decision.reason;
  }
  const result = await refundLatePayment({ orderId, chargeId, reason, at: workflowNowIso() });
  return { orderId, chargeId, ...result };
}
