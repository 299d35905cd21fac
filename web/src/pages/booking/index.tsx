/**
 * The shopper's booking site, at `/`: search → offers → travelers (accept: seats held) → seat maps and payment,
 * with the hold's countdown → confirmation (booking reference, e-tickets, boarding-pass barcodes). A hold that
 * runs out says so and offers a new search. One page whose step is its state; each step is its own component.
 * From the hold on, the order's id is kept in the tab's sessionStorage: a reload comes back to the order's step (its
 * seats and payment while held, its confirmation once paid), read again from the API.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { client, currentSession, unwrap } from '../../api';
import './booking.css';
import { Confirmation } from './confirmation';
import { HoldCountdown } from './countdown';
import type { Offer, Order, SearchAnswer } from '../../model';
import { Offers } from './offers';
import { PaymentForm } from './payment';
import { SearchForm, type SearchRequest } from './search';
import { SeatMapView } from '../../components/seat-map';
import { TravelersForm } from './travelers';

type Step =
  | { kind: 'search'; results?: { answer: SearchAnswer; req: SearchRequest } }
  | { kind: 'travelers'; offer: Offer }
  | { kind: 'seats'; order: Order }
  | { kind: 'confirmation'; orderId: string }
  | { kind: 'expired' };

const TITLES: Record<Step['kind'], string> = {
  search: 'Book a flight',
  travelers: 'Travelers',
  seats: 'Seats and payment',
  confirmation: 'Your booking',
  expired: 'Your hold has expired',
};

const BOOKING_KEY = 'altis.booking';

/** The step of the tab's order, read from the API: where a reload comes back to. */
async function resumedStep(orderId: string): Promise<Step> {
  const order = await unwrap(await (await client()).v1.orders[':id'].$get({ param: { id: orderId } }));
  if (order.status === 'PROPOSED' || order.status === 'PAYMENT_PENDING') return { kind: 'seats', order };
  if (order.status === 'PAID' || order.status === 'FULFILLED') return { kind: 'confirmation', orderId };
  if (order.status === 'EXPIRED') return { kind: 'expired' };
  return { kind: 'search' };
}

export function BookingRoutes() {
  const kept = currentSession() ? sessionStorage.getItem(BOOKING_KEY) : null;
  const [step, setStep] = useState<Step | undefined>(kept ? undefined : { kind: 'search' });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (step || !kept) return;
    resumedStep(kept).then(setStep, () => setStep({ kind: 'search' }));
  }, [step, kept]);
  useEffect(() => {
    if (!step) return;
    document.title = `${TITLES[step.kind]} – Altis`;
    if (step.kind === 'seats') sessionStorage.setItem(BOOKING_KEY, step.order.id);
    else if (step.kind === 'confirmation') sessionStorage.setItem(BOOKING_KEY, step.orderId);
    else sessionStorage.removeItem(BOOKING_KEY);
    if (step.kind !== 'search' || step.results) heading.current?.focus();
  }, [step]);
  const expire = useCallback(() => setStep({ kind: 'expired' }), []);
  const newSearch = () => setStep({ kind: 'search' });
  if (!step) return <p role="status">Loading your booking…</p>;

  return (
    <div className="booking">
      <h1 ref={heading} tabIndex={-1}>
        {TITLES[step.kind]}
      </h1>
      {step.kind === 'search' ? (
        <>
          <SearchForm onResults={(answer, req) => setStep({ kind: 'search', results: { answer, req } })} />
          {step.results ? (
            <Offers
              offers={step.results.answer.offers}
              busy={false}
              onChoose={(offer) => setStep({ kind: 'travelers', offer })}
            />
          ) : null}
        </>
      ) : null}
      {step.kind === 'travelers' ? (
        <>
          <TravelersForm offer={step.offer} onAccepted={(order) => setStep({ kind: 'seats', order })} />
          <button type="button" className="secondary" onClick={newSearch}>
            Back to search
          </button>
        </>
      ) : null}
      {step.kind === 'seats' ? (
        <>
          <HoldCountdown expiresAt={step.order.expires_at} onExpired={expire} />
          {step.order.segments.map((s) => (
            <SeatMapView
              key={s.flight_id}
              order={step.order}
              flightId={s.flight_id}
              onOrder={(order) => setStep({ kind: 'seats', order })}
            />
          ))}
          <PaymentForm
            order={step.order}
            onOrder={(order) => setStep(order.status === 'EXPIRED' ? { kind: 'expired' } : { kind: 'seats', order })}
            onPaid={(order) => setStep({ kind: 'confirmation', orderId: order.id })}
          />
        </>
      ) : null}
      {step.kind === 'confirmation' ? <Confirmation orderId={step.orderId} onNewSearch={newSearch} /> : null}
      {step.kind === 'expired' ? (
        <section className="card" role="alert">
          <p>The seats were held for 30 minutes and have been released. Search again to book.</p>
          <button type="button" onClick={newSearch}>
            New search
          </button>
        </section>
      ) : null}
    </div>
  );
}
