/**
 * PATCH /v1/admin/flights/:id for an airline-initiated change (a cancel, a retime or a delay): the change is not
 * written by the request but by the first activity of its fan-out workflow (workflows/flight-disruption.ts), which
 * the request starts (update-with-start) and waits for. Started first, then applied: an API that crashes after the
 * start leaves a workflow that applies the change and signals every order anyway; one that crashes before it has
 * changed nothing (the PATCH is retried). The workflow id is derived from the flight and the change, so a retried
 * PATCH joins the running workflow (or, once it has ended, a new run finds the flight already changed: no event).
 */
import { createHash } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import {
  FLIGHT_DISRUPTION_WORKFLOW_TYPE,
  flightChangeApplied,
  type FlightChangeApplied,
  type FlightDisruptionChange,
} from '../workflows/messages';
import type { flightDisruptionWorkflow } from '../workflows/flight-disruption';
import { updateRejection } from './order-commands';

export function flightDisruptionWorkflowId(flightId: string, change: FlightDisruptionChange): string {
  const canonical = JSON.stringify({
    status: change.status ?? null,
    departure_at: change.departure_at ? new Date(change.departure_at).toISOString() : null,
    arrival_at: change.arrival_at ? new Date(change.arrival_at).toISOString() : null,
  });
  const hash = createHash('sha256').update(canonical).digest('hex').slice(0, 16);
  return `flight-disruption-${flightId.toLowerCase()}-${hash}`;
}

/** Starts (or joins) the flight's fan-out and answers once the flight's change and its event are committed. */
export async function disruptFlight(
  temporal: Client,
  taskQueue: string,
  flightId: string,
  change: FlightDisruptionChange,
): Promise<FlightChangeApplied> {
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof flightDisruptionWorkflow>(
    FLIGHT_DISRUPTION_WORKFLOW_TYPE,
    {
      workflowId: flightDisruptionWorkflowId(flightId, change),
      taskQueue,
      args: [{ flightId, change }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    },
  );
  try {
    return await temporal.workflow.executeUpdateWithStart(flightChangeApplied, { startWorkflowOperation });
  } catch (err) {
    throw updateRejection(err) ?? err;
  }
}
