import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { recordedHistories } from '../support/histories';
import { workflowBundle } from '../support/services';

// Histories recorded from real runs (RECORD_HISTORIES=1 npm test -- test/integration/order-workflow.test.ts).
// Replaying them against today's workflow code fails on any change that would break running orders: such a
// change must go behind patched().
const histories = recordedHistories();
const files = histories.map((h) => h.file);

describe('replay of recorded order histories', () => {
  it('has recorded histories of every path, of the v1 workflow (still draining) and of v2', () => {
    expect(files.sort()).toEqual(
      expect.arrayContaining(
        [
          'async-webhook',
          'cancel-after-payment',
          'cancel-before-payment',
          'decline-then-success',
          'expired',
          'happy-path',
          'payment-timeout',
          'trip-commit',
          'trip-expired',
        ]
          .flatMap((name) => [`orderWorkflow/${name}.json`, `orderWorkflowV2/${name}.json`])
          // v2 only: a traveler's seat chosen on an offer's order (the chooseSeat update).
          .concat(['orderWorkflowV2/seat-choice.json'])
          // v2 only: voluntary changes (the changeOrder update): charged, refunded, declined, sold out.
          .concat(
            [
              'voluntary-change',
              'voluntary-change-refund',
              'voluntary-change-declined',
              'voluntary-change-sold-out',
            ].map((name) => `orderWorkflowV2/${name}.json`),
          )
          // v2 only: a cancellation quote and its confirm on a paid order (quoteCancellation, confirmCancellation).
          .concat(['orderWorkflowV2/cancellation-quote-confirm.json', 'orderWorkflowV2/cancellation-quote-unpaid.json'])
          // v2 only: servicing a paid order (services added, a service removed, a paid seat change).
          .concat([
            'orderWorkflowV2/services-added.json',
            'orderWorkflowV2/service-removed.json',
            'orderWorkflowV2/seat-after-booking.json',
          ])
          // Late payments: a late charge paying a PROPOSED order, one refunded after another charge paid it, and the
          // workflow of a late charge whose order had closed (test/integration/late-payments.test.ts).
          .concat([
            'orderWorkflowV2/late-payment-pays.json',
            'orderWorkflowV2/late-payment-refunded.json',
            'latePaymentWorkflow/expired-refunded.json',
          ])
          // An expired order's late charge re-holding it (a new run of its workflow, then cancelled), or refunded
          // when its seats were sold meanwhile (behind patched('late-payment-rehold')).
          .concat([
            'latePaymentWorkflow/expired-reinstated.json',
            'latePaymentWorkflow/expired-sold-out-refunded.json',
            'orderWorkflowV2/reinstated-then-cancelled.json',
          ])
          // A failed proposal that waits out its attempt, then finds nothing to release (patched
          // 'failed-proposal-settles'; test/integration/order-workflow-isolated.test.ts).
          .concat(['orderWorkflowV2/failed-proposal-released.json'])
          // Airline-initiated changes (patched 'airline-disruption'; test/integration/disruptions.test.ts): an order
          // moved to a held option, refunded, defaulted by its timer, a retime kept; the flight's fan-out.
          .concat(
            ['disruption-accepted', 'disruption-refunded', 'disruption-defaulted', 'disruption-retimed'].map(
              (name) => `orderWorkflowV2/${name}.json`,
            ),
          )
          .concat(['flightDisruptionWorkflow/cancelled-fan-out.json'])
          // Archived once the last flight has arrived (patched 'archive-after-arrival'; flight-lifecycle.test.ts).
          .concat(['orderWorkflowV2/archived-after-arrival.json']),
      ),
    );
  });

  it('replays every recorded history deterministically with the current workflow code', async () => {
    const outcomes: { id: string; error?: unknown }[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: workflowBundle() }, histories)) {
      outcomes.push({ id: result.workflowId, error: result.error });
    }
    expect(outcomes).toHaveLength(files.length);
    for (const o of outcomes) expect(o.error, `${o.id} no longer replays`).toBeUndefined();
  });
});
