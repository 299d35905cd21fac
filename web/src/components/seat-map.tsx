/**
 * The seat map of one flight of the order (GET /v1/flights/:id/seats), live: the flight's event stream
 * (GET /v1/flights/:id/stream, Server-Sent Events) greys out a seat another client takes while the page is open.
 * EventSource cannot send the Authorization header the stream requires, so the stream is read with fetch.
 * Every seat is a button named for a screen reader ("Seat 12A, window, $12.00", "Seat 12B, occupied").
 */
import { useEffect, useState } from 'react';
import { asApiError, idempotencyKey, unwrap, useApi } from '../api';
import { FormError } from './form';
import { formatMoney } from '../format';
import { useAction } from '../load';
import { PTC_NAMES, type Order, type Seat } from '../model';

const STATUS_OF_EVENT: Record<string, Seat['status']> = {
  'seat.held': 'HELD',
  'seat.released': 'AVAILABLE',
  'seat.sold': 'OCCUPIED',
};

/** Reads the flight's SSE stream with the session token, calling `onSeat` per seat event, until `signal` aborts. */
async function followSeats(
  authHeader: () => Record<string, string>,
  flightId: string,
  signal: AbortSignal,
  onSeat: (seat: string, status: Seat['status']) => void,
): Promise<void> {
  const res = await fetch(`/v1/flights/${flightId}/stream`, { headers: authHeader(), signal });
  if (!res.ok || !res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: ?(.*)$/m.exec(block)?.[1];
      const data = /^data: ?(.*)$/m.exec(block)?.[1];
      const status = event ? STATUS_OF_EVENT[event] : undefined;
      if (status && data) onSeat((JSON.parse(data) as { seat_number: string }).seat_number, status);
    }
  }
}

function seatName(seat: Seat, mine: string | undefined): string {
  const kind = seat.characteristics.map((c) => c.toLowerCase()).join(', ');
  if (mine) return `Seat ${seat.seat_number}, ${kind}, chosen for ${mine}`;
  if (seat.status !== 'AVAILABLE')
    return `Seat ${seat.seat_number}, ${seat.status === 'BLOCKED' ? 'blocked' : 'occupied'}`;
  return `Seat ${seat.seat_number}, ${kind}, ${formatMoney(seat.price)}`;
}

export function SeatMapView({
  order,
  flightId,
  onOrder,
  onPick,
}: {
  order: Order;
  flightId: string;
  onOrder: (order: Order) => void;
  /** When given, a click picks the seat (the page confirms it with its price) instead of taking it at once. */
  onPick?: (seat: Seat, travelerId: string) => void;
}) {
  const { client, authHeader } = useApi();
  const [seats, setSeats] = useState<Seat[] | undefined>();
  const [live, setLive] = useState(false);
  const { busy, error, setError, run } = useAction();
  const seated = order.travelers.filter((t) => t.ptc !== 'INF');
  const [travelerId, setTravelerId] = useState(seated[0]?.id);
  const segment = order.segments.find((s) => s.flight_id === flightId)!;

  useEffect(() => {
    const abort = new AbortController();
    void (async () => {
      try {
        const api = await client();
        const map = await unwrap(await api.v1.flights[':id'].seats.$get({ param: { id: flightId } }));
        if (abort.signal.aborted) return;
        setSeats(map.seats);
        setLive(true);
        await followSeats(authHeader, flightId, abort.signal, (number, status) =>
          setSeats((all) => all?.map((s) => (s.seat_number === number ? { ...s, status } : s))),
        );
      } catch (err) {
        if (!abort.signal.aborted) setError(asApiError(err));
      } finally {
        if (!abort.signal.aborted) setLive(false);
      }
    })();
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the token's client and header are fixed for the page
  }, [flightId]);

  const mineBy = new Map(
    order.items
      .filter((i) => i.product_type === 'Seat' && i.flight_id === flightId && i.seat_number)
      .map((i) => [i.seat_number!, order.travelers.find((t) => t.id === i.traveler_id)]),
  );

  async function choose(seat: Seat) {
    if (!travelerId) return;
    if (onPick) return onPick(seat, travelerId);
    await run(async () => {
      const api = await client();
      const res = await api.v1.orders[':id'].seats.$post({
        param: { id: order.id },
        header: { 'idempotency-key': idempotencyKey() },
        json: { traveler_id: travelerId, flight_id: flightId, seat_number: seat.seat_number },
      });
      onOrder(await unwrap(res));
      const next = seated.find(
        (t) =>
          t.id !== travelerId &&
          !order.items.some((i) => i.traveler_id === t.id && i.flight_id === flightId && i.seat_number),
      );
      if (next) setTravelerId(next.id);
    });
  }

  const rows = new Map<number, Seat[]>();
  for (const s of seats ?? []) {
    const row = Number.parseInt(s.seat_number, 10);
    rows.set(row, [...(rows.get(row) ?? []), s]);
  }
  const title = `${segment.flight_number} ${segment.origin} → ${segment.destination}`;
  return (
    <section className="card seat-map" aria-label={`Seat map, ${title}`}>
      <h3>Seats on {title}</h3>
      <p className="hint" aria-live="polite">
        {live
          ? 'Live: seats others take grey out as it happens.'
          : seats
            ? 'Not live: reload for the latest seats.'
            : 'Loading seats…'}
      </p>
      <FormError error={error} />
      {seated.length > 1 ? (
        <fieldset>
          <legend>Choosing for</legend>
          {seated.map((t) => (
            <label key={t.id} className="inline">
              <input
                type="radio"
                name={`seat-for-${flightId}`}
                checked={travelerId === t.id}
                onChange={() => setTravelerId(t.id)}
              />{' '}
              {t.first_name} {t.last_name} ({PTC_NAMES[t.ptc]})
            </label>
          ))}
        </fieldset>
      ) : null}
      <div className="seat-rows" role="group" aria-label="Seats by row">
        {[...rows.entries()].map(([row, list]) => (
          <div key={row} className="seat-row">
            <span className="row-number" aria-hidden="true">
              {row}
            </span>
            {list.map((s) => {
              const mine = mineBy.get(s.seat_number);
              const free = s.status === 'AVAILABLE' && s.cabin === segment.cabin;
              return (
                <button
                  key={s.seat_number}
                  type="button"
                  className={`seat seat-${mine ? 'mine' : s.status.toLowerCase()}${s.characteristics.includes('AISLE') ? ' seat-aisle' : ''}`}
                  disabled={busy || (!free && !mine)}
                  aria-pressed={mine ? true : undefined}
                  aria-label={seatName(s, mine ? `${mine.first_name} ${mine.last_name}` : undefined)}
                  onClick={() => void choose(s)}
                >
                  {s.seat_number.replace(/^\d+/, '')}
                </button>
              );
            })}
          </div>
        ))}
      </div>
    </section>
  );
}
