/**
 * The durable fan-out of an airline-initiated change (issue #15): one workflow per flight and change (its id from
 * the API: `flight-disruption-<flightId>-<hash of the change>`, so a retried PATCH joins it instead of starting a
 * second). Its first activity applies the change to the flight with its Flight* event in one Postgres transaction
 * (the PATCH waits for that through the `flightChangeApplied` update); then it pages through the affected orders
 * and signals each order's workflow (`flightDisrupted`) from here — signals sent by a workflow are commands in its
 * history, so a worker crash resumes the fan-out where its history ends, and no order is signalled by a loop in a
 * request. Large flights continue as new between pages, keeping each run's history short.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_CODES } from '../domain/errors';
import { workflowNowIso } from './clock';
import {
  flightChangeApplied,
  flightDisrupted,
  orderWorkflowId,
  type FlightChangeApplied,
  type FlightDisruptionInput,
} from './messages';

const { applyFlightChange, listDisruptedOrders } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '20s', nonRetryableErrorTypes: NON_RETRYABLE_CODES },
});

/** Orders signalled per page (one activity lists them); pages per run before continuing as new. */
const PAGE = 100;
const PAGES_PER_RUN = 10;

export async function flightDisruptionWorkflow(input: FlightDisruptionInput): Promise<{ signalled: number }> {
  let applied: FlightChangeApplied | null = input.applied ?? null;
  let failure: ApplicationFailure | null = null;
  setHandler(flightChangeApplied, async () => {
    await condition(() => applied !== null || failure !== null);
    if (failure) throw failure;
    return applied!;
  });

  if (!applied) {
    try {
      const info = workflowInfo();
      applied = await applyFlightChange({
        flightId: input.flightId,
        change: input.change,
        appliedBy: `${info.workflowId}/${info.runId}`,
        at: workflowNowIso(),
      });
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : err;
      failure =
        cause instanceof ApplicationFailure
          ? ApplicationFailure.create({
              type: cause.type ?? 'INTERNAL',
              message: cause.message,
              details: cause.details ? [...cause.details] : [],
              nonRetryable: true,
            })
          : ApplicationFailure.create({ type: 'INTERNAL', message: String(err), nonRetryable: true });
      await condition(allHandlersFinished);
      return { signalled: 0 };
    }
  }
  const { disruptionId, kind } = applied;
  let signalled = input.signalled ?? 0;
  if (disruptionId === null || kind === null) {
    await condition(allHandlersFinished);
    return { signalled };
  }
  let after = input.after ?? null;
  for (let page = 0; page < PAGES_PER_RUN; page++) {
    const ids = await listDisruptedOrders({ flightId: input.flightId, after, limit: PAGE });
    await Promise.all(
      ids.map(
        (orderId) =>
          getExternalWorkflowHandle(orderWorkflowId(orderId))
            .signal(flightDisrupted, { disruptionId, flightId: input.flightId, kind })
            .catch(() => undefined), // its workflow has closed (a v1 order, or one that just ended): nothing to tell
      ),
    );
    signalled += ids.length;
    if (ids.length < PAGE) {
      await condition(allHandlersFinished);
      return { signalled };
    }
    after = ids[ids.length - 1]!;
  }
  await condition(allHandlersFinished);
  return continueAsNew<typeof flightDisruptionWorkflow>({
    ...input,
    applied: { disruptionId, kind },
    after,
    signalled,
  });
}
