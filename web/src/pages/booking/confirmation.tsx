/**
 * The confirmation: the booking reference, the e-tickets and each boarding pass as the API's PDF417 barcode
 * (GET /v1/orders/:id/boarding-passes/:traveler/:flight.png, fetched with the session token and shown from a blob
 * URL). A flight whose check-in is open (GET /v1/flights/:id says CHECK_IN_OPEN) offers a check-in button: the
 * pass is then reissued as checked in, with its seat and sequence.
 */
import { useEffect, useState } from 'react';
import { authHeader, client, idempotencyKey, unwrap } from '../../api';
import { FormError } from '../../components/form';
import { formatDateTime, formatMoney } from '../../format';
import { type Fulfillment, type Order } from './model';
import { asApiError } from '../../api';
import { useAction } from '../../load';

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

function Barcode({ url, alt, bcbp }: { url: string; alt: string; bcbp: string }) {
  const [src, setSrc] = useState<string | undefined>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let made: string | undefined;
    let gone = false;
    void (async () => {
      try {
        const res = await fetch(url, { headers: authHeader() });
        if (!res.ok) throw new Error(String(res.status));
        made = URL.createObjectURL(await res.blob());
        if (gone) URL.revokeObjectURL(made);
        else setSrc(made);
      } catch {
        if (!gone) setFailed(true);
      }
    })();
    return () => {
      gone = true;
      if (made) URL.revokeObjectURL(made);
    };
  }, [url, bcbp]);
  if (failed) return <p className="status-bad">The barcode could not be loaded.</p>;
  return src ? <img className="barcode" src={src} alt={alt} data-bcbp={bcbp} /> : <p>Loading the barcode…</p>;
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
  const traveler = (id: string) => order.travelers.find((t) => t.id === id);
  const fullName = (id: string) => `${traveler(id)?.first_name ?? ''} ${traveler(id)?.last_name ?? ''}`.trim();
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
      {order.segments.map((s) => (
        <section key={s.flight_id} className="passes" aria-label={`Boarding passes, ${s.flight_number}`}>
          <h4>
            {s.flight_number} {s.origin} → {s.destination}, {formatDateTime(s.departure_at)}
          </h4>
          {open.has(s.flight_id) ? (
            <button type="button" disabled={busy} onClick={() => void checkIn(s.flight_id)}>
              Check in for {s.flight_number}
            </button>
          ) : null}
          <ul className="pass-list">
            {fulfillment.boarding_passes
              .filter((bp) => bp.flight_id === s.flight_id)
              .map((bp) => (
                <li key={`${bp.traveler_id}-${bp.flight_id}-${bp.bcbp}`}>
                  <p>{fullName(bp.traveler_id)}</p>
                  <Barcode
                    url={`/v1/orders/${order.id}/boarding-passes/${bp.traveler_id}/${bp.flight_id}.png`}
                    alt={`Boarding pass barcode, ${fullName(bp.traveler_id)}, ${s.flight_number}`}
                    bcbp={bp.bcbp}
                  />
                </li>
              ))}
          </ul>
        </section>
      ))}
      <button type="button" className="secondary" onClick={onNewSearch}>
        Book another trip
      </button>
    </section>
  );
}
