/**
 * The commit of a trip whose workflow is v1 (`orderWorkflow`, started before the v2 workflow): its workflow has no
 * `commitTrip` update, so the API sends the steps one by one as it did, then waits for the tickets. Delete with
 * workflows/order-v1.ts: trips hold for 15 minutes, so no v1 trip can be committed once the deploy is that old.
 */
import type { WorkflowHandle } from '@temporalio/client';
import {
  getOrderState,
  holdSeat,
  setTravelers,
  startPayment,
  type PaymentResult,
  type SeatRequest,
  type TravelersUpdate,
} from '../../workflows/messages';

type OnTrip = <T>(run: (handle: WorkflowHandle) => Promise<T>) => Promise<T>;

export async function commitV1Trip(
  update: TravelersUpdate,
  seats: SeatRequest[],
  paymentToken: string,
  onTrip: OnTrip,
): Promise<PaymentResult> {
  for (const seat of seats) await onTrip((h) => h.executeUpdate(holdSeat, { args: [seat] }));
  await onTrip((h) => h.executeUpdate(setTravelers, { args: [update] }));
  const paid = await onTrip((h) => h.executeUpdate(startPayment, { args: [{ paymentToken }] }));
  if (paid.status !== 'PAID') return paid;
  // v1 fulfils right after PAID, outside the update: wait for it (a few hundred milliseconds).
  const deadline = Date.now() + 15_000;
  for (;;) {
    const view = await onTrip((h) => h.query(getOrderState));
    if (view.status !== 'PAID' || Date.now() > deadline) return { ...paid, order: view };
    await new Promise((r) => setTimeout(r, 100));
  }
}
