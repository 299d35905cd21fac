/**
 * Paying a trip, whichever route pays it (`POST /v1/bookings/commit`, or `POST /v1/orders/:id/pay` on a trip): its
 * party — given at commit, or the passengers added to it — priced item by item at the fares the trip was held with
 * (per passenger type, the infant fare included) and its seats at their seat-map price, then one `commitTrip`
 * update that holds the seats, sets the party and charges exactly the sum of those items.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { DomainError } from '../domain/errors';
import type { PassengerType } from '../domain/pricing';
import { assertTravelers, assignRefs } from '../domain/travelers';
import type { PiiCipher } from '../lib/pii';
import type { OrderRow } from '../services/order-reads';
import type { AppServices } from '../services';
import {
  commitTrip,
  ORDER_WORKFLOW_TYPE,
  type OrderItemInput,
  type OrderWorkflowInput,
  type PaymentResult,
  type SeatRequest,
  type TravelersUpdate,
  type TripFare,
} from '../workflows/messages';
import { commitV1Trip } from './legacy/trip-commit-v1';

export interface CommitPassenger {
  ptc: PassengerType;
  first_name: string;
  last_name: string;
  date_of_birth?: string | undefined;
  gender?: 'M' | 'F' | 'X' | undefined;
  seats: { flight_id: string; seat_number: string }[];
}

type Party = {
  ptc: PassengerType;
  firstName: string;
  lastName: string;
  dateOfBirth: string | null;
  gender: 'M' | 'F' | 'X' | null;
  seats: SeatRequest[];
}[];

export interface TripCommitDeps {
  services: Pick<AppServices, 'tripReads' | 'vault' | 'paymentCircuit'>;
  pii: PiiCipher;
  /** Runs an update on the trip's workflow (api/order-commands.ts `updateOrder`). */
  onTrip: <T>(run: (handle: WorkflowHandle) => Promise<T>) => Promise<T>;
}

/**
 * Commits the trip: `passengers` when given (seats as listed), else the passengers added to it, each in the seats
 * chosen for them, and any seat the trip holds for nobody yet given to a seated passenger without a seat on that
 * flight, in the order they were added. Returns the payment's outcome and the total charged.
 */
export async function commitTripParty(
  deps: TripCommitDeps,
  trip: OrderRow,
  req: { passengers?: CommitPassenger[]; userEmail?: string; paymentToken: string },
): Promise<{ paid: PaymentResult; totalAmount: number }> {
  const { services, pii } = deps;
  const { segments, fares } = trip.offer as { segments: OrderWorkflowInput['segments']; fares: TripFare[] };
  const firstDeparture = new Date(segments[0]!.departureAt);

  let party: Party;
  if (req.passengers) {
    assertTravelers(req.passengers, firstDeparture, 'passengers');
    const flightIds = new Set(segments.map((s) => s.flightId));
    const badSeat = req.passengers.flatMap((p) => p.seats).find((s) => !flightIds.has(s.flight_id));
    if (badSeat) throw new DomainError('VALIDATION_FAILED', `flight ${badSeat.flight_id} is not part of this trip`);
    party = req.passengers.map((p) => ({
      ptc: p.ptc,
      firstName: pii.encrypt(p.first_name.trim()),
      lastName: pii.encrypt(p.last_name.trim()),
      dateOfBirth: p.date_of_birth ? pii.encrypt(p.date_of_birth) : null,
      gender: p.gender ?? null,
      seats: p.seats.map((s) => ({ flightId: s.flight_id, seatNumber: s.seat_number })),
    }));
  } else {
    const [added, held] = await Promise.all([
      services.tripReads.travelersOf(trip.id),
      services.tripReads.seatsOf(trip.id),
    ]);
    if (added.length === 0) throw new DomainError('VALIDATION_FAILED', 'add passengers to the trip or list them here');
    const seatsOf = (travelerId: string | null) =>
      held.filter((h) => h.travelerId === travelerId).map((h) => ({ flightId: h.flightId, seatNumber: h.seatNumber }));
    party = added.map((t) => ({
      ptc: t.ptc,
      firstName: t.firstName,
      lastName: t.lastName,
      dateOfBirth: t.dateOfBirth,
      gender: t.gender,
      seats: seatsOf(t.id),
    }));
    // A seat held with /v1/holds/seat names no passenger: it goes to the first seated one without a seat there.
    const ids = new Set(added.map((t) => t.id));
    for (const h of held.filter((x) => x.travelerId === null || !ids.has(x.travelerId))) {
      const to = party.find((p) => p.ptc !== 'INF' && !p.seats.some((s) => s.flightId === h.flightId));
      if (to) to.seats.push({ flightId: h.flightId, seatNumber: h.seatNumber });
    }
  }

  const withRefs = assignRefs(party);
  const chosen = withRefs.flatMap((t) => t.seats);
  const seatPrices = await services.tripReads.seatPrices([...new Set(chosen.map((s) => s.flightId))]);
  const items: OrderItemInput[] = withRefs.flatMap((t) => [
    ...fares.map((f) => ({
      productType: 'Flight',
      productCode: 'FLIGHT',
      flightId: f.flightId,
      passengerRef: t.ref,
      amount: f[t.ptc],
      currency: trip.currency,
    })),
    ...t.seats.map((s) => ({
      productType: 'Seat',
      productCode: 'SEAT_SELECTED',
      flightId: s.flightId,
      passengerRef: t.ref,
      seatNumber: s.seatNumber,
      amount: seatPrices.find((x) => x.flightId === s.flightId && x.seat === s.seatNumber)?.price ?? 0,
      currency: trip.currency,
    })),
  ]);
  const totalAmount = items.reduce((sum, i) => sum + i.amount, 0);
  const update: TravelersUpdate = {
    travelers: withRefs,
    items,
    totalAmount,
    contact: req.userEmail ? pii.encrypt(JSON.stringify({ email: req.userEmail })) : trip.contact,
    ...(req.userEmail ? { contactEmailIndex: pii.emailIndex(req.userEmail) } : {}),
  };
  await services.paymentCircuit.assertClosed(); // the provider is down: 503 now, the hold untouched
  const paymentToken = await services.vault.put(trip.id, req.paymentToken);
  // One update: the workflow holds the seats named here, sets the party, charges and tickets, then answers.
  const paid =
    trip.workflowType === ORDER_WORKFLOW_TYPE
      ? await deps.onTrip((handle) =>
          handle.executeUpdate(commitTrip, { args: [{ seats: chosen, party: update, paymentToken }] }),
        )
      : await commitV1Trip(update, chosen, paymentToken, deps.onTrip);
  return { paid, totalAmount };
}
