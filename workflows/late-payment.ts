/**
 * A charge that succeeded for an order whose workflow has closed (EXPIRED, CANCELLED, ARCHIVED): its seats were
 * released (or its sale ended) and no workflow waits for it. Started by the payments webhook, one per charge
 * (id `late-payment-<chargeId>`: a duplicate delivery cannot start a second). It refunds the charge in full and
 * notifies the customer (LatePaymentRefunded): the money is never kept without a ticket. Re-holding the
 * released seats for a closed order is not done (README, "Late payments").
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_CODES } from '../domain/errors';
import { workflowNowIso } from './clock';
import type { LatePaymentInput, LatePaymentOutcome } from './messages';

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

export async function latePaymentWorkflow(input: LatePaymentInput): Promise<LatePaymentOutcome> {
  const result = await refundLatePayment({
    orderId: input.orderId,
    chargeId: input.chargeId,
    reason: 'the order was closed when the payment succeeded',
    at: workflowNowIso(),
  });
  return { orderId: input.orderId, chargeId: input.chargeId, ...result };
}
