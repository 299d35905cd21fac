/**
 * What both versions of the order workflow (order-v1.ts, kept for the v1 orders still open, and order.ts) answer
 * alike. Only pure functions of the workflow's state and the handlers built on them: nothing here schedules a
 * command, so sharing it changes no history and v1's recorded histories replay as before. Change nothing here
 * that v1 must not change; a v2-only rule belongs in order.ts.
 */
import { ActivityFailure, ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { isPaid, type OrderStatus } from '../domain/order';
import {
  confirmProposal,
  getOrderState,
  type OrderView,
  type OrderWorkflowInput,
  type PaymentView,
  type ProposalResult,
  type TravelerToAdd,
} from './messages';

/** The part of either version's state these read. */
export interface OrderStateCore {
  /** 'HOLDING' until the first activity has an answer. */
  phase: string;
  status: OrderStatus;
  totalAmount: number;
  expiresAt: number;
  payments: (PaymentView & { attempt: number })[];
  proposal: ProposalResult | null;
  proposalsServed: number;
  cancelRequest: { reason: string } | null;
  history: { status: OrderStatus; at: string }[];
}

export const current = <P>(s: { payments: P[] }): P | undefined => s.payments[s.payments.length - 1];

export function view(input: OrderWorkflowInput, s: OrderStateCore): OrderView {
  const p = current(s);
  return {
    orderId: input.orderId,
    status: s.status,
    expiresAt: new Date(s.expiresAt).toISOString(),
    payment: p ? { attempt: p.attempt, status: p.status, chargeId: p.chargeId, declineCode: p.declineCode } : null,
    history: s.history,
  };
}

/** The live view, and the accept caller's answer once the hold has one (`created` for the first caller only). */
export function registerViewHandlers(input: OrderWorkflowInput, s: OrderStateCore): void {
  setHandler(getOrderState, () => view(input, s));
  setHandler(confirmProposal, async () => {
    await condition(() => s.phase !== 'HOLDING');
    const first = s.proposalsServed++ === 0;
    const proposal = s.proposal!;
    return proposal.outcome === 'PROPOSED' ? { ...proposal, created: first, order: view(input, s) } : proposal;
  });
}

/** What an activity failed with: the cause an ActivityFailure wraps, else the error itself. */
export const activityCause = (err: unknown) => (err instanceof ActivityFailure ? err.cause : err);

/** The answer to accept when the hold failed: sold out (with the activity's details), or failed with the reason. */
export function rejectedProposal(err: unknown): ProposalResult {
  const failure = activityCause(err);
  return failure instanceof ApplicationFailure && failure.type === 'SOLD_OUT'
    ? { outcome: 'SOLD_OUT', details: failure.details?.[0] ?? null }
    : { outcome: 'FAILED', reason: failure instanceof Error ? failure.message : String(failure) };
}

/** The cancel Update's handler: asks the main loop to cancel, answers once the order is CANCELLED. */
export const awaitCancelled =
  (input: OrderWorkflowInput, s: OrderStateCore) =>
  async ({ reason }: { reason: string }): Promise<OrderView> => {
    s.cancelRequest = { reason };
    await condition(() => s.status === 'CANCELLED');
    return view(input, s);
  };

/** What a cancel refunds: the whole total of a paid order to its last charge, none before payment. */
export function cancelRefund(
  input: OrderWorkflowInput,
  s: OrderStateCore,
): { chargeId: string; amount: number; currency: string } | null {
  const paid = current(s);
  return isPaid(s.status) && paid?.chargeId
    ? { chargeId: paid.chargeId, amount: s.totalAmount, currency: input.currency }
    : null;
}

/** A trip's party as either version counts it: the travelers added, and those of them in a seat of their own. */
export interface PartyCount {
  travelers: number;
  seated: number;
}

/**
 * Adds a traveler to a trip's party (the addTraveler Update of both versions): the place is reserved before the
 * await, so concurrent adds get distinct places and cannot overfill the trip, and a failed add gives it back.
 */
export async function addToParty(
  party: PartyCount,
  traveler: TravelerToAdd,
  record: (position: number) => Promise<{ travelerId: string }>,
) {
  const position = party.travelers++;
  const isSeated = traveler.ptc !== 'INF';
  if (isSeated) party.seated++;
  try {
    const { travelerId } = await record(position);
    return { travelerId, ref: `${traveler.ptc}${position + 1}` };
  } catch (err) {
    party.travelers--;
    if (isSeated) party.seated--;
    throw err;
  }
}
