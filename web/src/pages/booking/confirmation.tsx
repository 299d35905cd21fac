/**
 * The confirmation: the booking reference, the e-tickets and each boarding pass as the API's PDF417 barcode
 * (GET /v1/orders/:id/boarding-passes/:traveler/:flight.png, fetched with the session token and shown from a blob
 * URL). A flight whose check-in is open (GET /v1/flights/:id says CHECK_IN_OPEN) offers a check-in button: the
 * pass is then reissued as checked in, with its seat and sequence.
 */
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { asApiError, client, idempotencyKey, unwrap } from '../../api';
import { BoardingPasses } from '../../components/boarding-passes';
import { travelerName } from '../../components/parts';
import { FormError } from '../../components/form';
import { formatMoney } from '../../format';
import { useAction } from '../../load';
import { type Fulfillment, type Order } from '../../model';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The order once ticketed (FULFILLED follows PAID within moments) and its documents. */
async function documentsOf(orderId: string): Promise<{ order: Order; fulfillment: Fulfillment }> {
  const api = await client();
  for (let attempt = 0; ; attempt++) {
    const order = await unwrap(await api.v1.orders[':id'].$get({ param: { id: orderId } }));
    if (order.status === 'FULFILLED' || attempt >= 30) {
      const fulfillment = await unwrap(await api.v1.orders[':id'].fulfillment.$get({ param: { id: orderId } }));
      return { order, fulfillment };
    }
    await sleep(500);
  }
}

export function Confirmation({ orderId, onNewSearch }: { orderId: string; onNewSearch: () => void }) {
  const [docs, setDocs] = useState<{ order: Order; fulfillment: Fulfillment } | undefined>();
  const [open, setOpen] = useState<Set<string>>(new Set());
  const { busy, error, setError, run } = useAction();

  const [version, setVersion] = useState(0); // a check-in reads the documents again

  useEffect(() => {
    let gone = false;
    void (async () => {
      try {
        const got = await documentsOf(orderId);
        const api = await client();
        const statuses = await Promise.all(
          got.order.segments.map(async (s) => {
            const flight = await unwrap(await api.v1.flights[':id'].$get({ param: { id: s.flight_id } }));
            return [s.flight_id, flight.status] as const;
          }),
        );
        if (gone) return;
        setDocs(got);
        setOpen(new Set(statuses.filter(([, status]) => status === 'CHECK_IN_OPEN').map(([id]) => id)));
      } catch (err) {
        if (!gone) setError(asApiError(err));
      }
    })();
    return () => {
      gone = true;
    };
  }, [orderId, version, setError]);

  async function checkIn(flightId: string) {
    if (!docs) return;
    await run(async () => {
      const api = await client();
      await unwrap(
        await api.v1.orders[':id']['check-in'].$post({
          param: { id: orderId },
          header: { 'idempotency-key': idempotencyKey() },
          json: { flight_id: flightId, travelers: docs.order.travelers.map((t) => ({ ref: t.passenger_ref })) },
        }),
      );
      setVersion((v) => v + 1);
    });
  }

  if (!docs) {
    return error ? <FormError error={error} /> : <p role="status">Issuing your tickets…</p>;
  }
  const { order, fulfillment } = docs;
  const fullName = travelerName(order);
  return (
    <section className="card confirmation" aria-labelledby="confirmation-heading">
      <h2 id="confirmation-heading">Booked: {order.booking_reference}</h2>
      <p>
        Booking reference <strong className="booking-reference">{order.booking_reference}</strong>, paid{' '}
        {formatMoney(order.total)}.
      </p>
      <FormError error={error} />
      <h3>E-tickets</h3>
      <ul className="tickets">
        {fulfillment.tickets.map((t) => (
          <li key={t.number}>
            {fullName(t.traveler_id)}: <span className="ticket-number">{t.number}</span>
          </li>
        ))}
      </ul>
      <h3>Boarding passes</h3>
      <BoardingPasses
        order={order}
        fulfillment={fulfillment}
        action={(s) =>
          open.has(s.flight_id) ? (
            <button type="button" disabled={busy} onClick={() => void checkIn(s.flight_id)}>
              Check in for {s.flight_number}
            </button>
          ) : null
        }
      />
      <p>
        <Link to={`/manage/${order.id}`}>Manage this booking</Link>: seats, bags, changes, cancellation.
      </p>
      <button type="button" className="secondary" onClick={onNewSearch}>
        Book another trip
      </button>
    </section>
  );
}
