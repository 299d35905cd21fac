/**
 * The changes of a paid order (manage booking, and the agent portal for the customer), each shown with its amount before it is confirmed:
 * - a seat: pick one on the live seat map, then confirm; the seat-map price is the most it costs (what the current
 *   seat covers is deducted), charged to the card chosen (POST /v1/orders/:id/seats);
 * - a flight: ask for change offers for another day (POST /v1/orders/:id/change-requests), each with its fare
 *   difference, penalty and total, then confirm one (POST /v1/orders/:id/changes).
 */
import { useState, type FormEvent } from 'react';
import { unwrap } from '../api';
import { Field, FormError, toValue } from './form';
import { segmentOptions } from './parts';
import { SeatMapView } from './seat-map';
import { useKeyedAction } from './servicing';
import { formatDate, formatDateTime, formatMoney } from '../format';
import { TEST_CARDS, type ChangeOffer, type Order, type Seat } from '../model';

interface Props {
  order: Order;
  onChanged: () => void;
}

function CardField({ value, onChange, label }: { value: string; onChange: (v: string) => void; label: string }) {
  return (
    <Field label={label} name="payment_token" hint="payments sandbox test cards">
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {TEST_CARDS.filter((c) => !c.token.startsWith('tok_async')).map((c) => (
          <option key={c.token} value={c.token}>
            {c.label} ({c.token})
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A select of the order's flights. */
function SegmentField(p: { label: string; name: string; order: Order; value: string; onChange: (id: string) => void }) {
  return (
    <Field label={p.label} name={p.name}>
      <select value={p.value} onChange={(e) => p.onChange(e.target.value)}>
        {segmentOptions(p.order)}
      </select>
    </Field>
  );
}

/** The segment chosen, while the order still has it (a flight change replaces it); else the first. */
function useSegmentChoice(order: Order) {
  const [chosen, setChosen] = useState(order.segments[0]?.flight_id ?? '');
  const segment = order.segments.find((s) => s.flight_id === chosen) ?? order.segments[0];
  return [segment, setChosen] as const;
}

export function SeatChangePanel({ order, onChanged }: Props) {
  const [segment, setFlightId] = useSegmentChoice(order);
  const flightId = segment?.flight_id ?? '';
  const [card, setCard] = useState<string>(TEST_CARDS[0].token);
  const [picked, setPicked] = useState<{ seat: Seat; travelerId: string } | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const action = useKeyedAction();
  const traveler = order.travelers.find((t) => t.id === picked?.travelerId);
  /** Another flight: the seat picked on the last one no longer applies. */
  const choose = (id: string) => {
    setFlightId(id);
    setPicked(undefined);
  };

  async function confirm() {
    if (!picked) return;
    const before = order.total;
    const result = await action.run(async (key, api) =>
      unwrap(
        await api.v1.orders[':id'].seats.$post({
          param: { id: order.id },
          header: { 'idempotency-key': key },
          json: {
            traveler_id: picked.travelerId,
            flight_id: flightId,
            seat_number: picked.seat.seat_number,
            payment_token: card,
          },
        }),
      ),
    );
    if (result) {
      const charged = { ...before, amount: Math.max(0, result.total.amount - before.amount) };
      setDone(
        `${traveler?.first_name} ${traveler?.last_name} is in seat ${picked.seat.seat_number}; ${formatMoney(charged)} charged.`,
      );
      setPicked(undefined);
      onChanged();
    }
  }

  return (
    <section aria-labelledby="seat-change-heading" className="panel panel-wide">
      <h3 id="seat-change-heading">Change a seat</h3>
      {done ? <p role="status">{done}</p> : null}
      <div className="grid">
        <SegmentField label="Flight" name="seat_flight" order={order} value={flightId} onChange={choose} />
        <CardField label="Card for a seat that costs more" value={card} onChange={setCard} />
      </div>
      {picked ? (
        <div role="status" className="confirm-box">
          <p>
            Seat <strong>{picked.seat.seat_number}</strong> ({picked.seat.characteristics.join(', ').toLowerCase()}) for{' '}
            {traveler?.first_name} {traveler?.last_name}: seat-map price {formatMoney(picked.seat.price)}. What the
            current seat covers is deducted, so at most {formatMoney(picked.seat.price)} is charged.
          </p>
          <FormError error={action.error} />
          <button type="button" disabled={action.busy} onClick={() => void confirm()}>
            {action.busy ? 'Changing…' : `Confirm seat ${picked.seat.seat_number}`}
          </button>{' '}
          <button type="button" className="secondary" onClick={() => setPicked(undefined)}>
            Keep my seat
          </button>
        </div>
      ) : null}
      {flightId ? (
        <SeatMapView
          key={`${flightId}@${order.updated_at}`}
          order={order}
          flightId={flightId}
          onOrder={onChanged}
          onPick={(seat, travelerId) => {
            setDone(undefined);
            setPicked({ seat, travelerId });
          }}
        />
      ) : null}
    </section>
  );
}

const dayAfter = (iso: string) => new Date(Date.parse(iso) + 86_400_000).toISOString().slice(0, 10);

export function FlightChangePanel({ order, onChanged }: Props) {
  const [segment, setFlightId] = useSegmentChoice(order);
  const flightId = segment?.flight_id ?? '';
  const [day, setDay] = useState(segment ? dayAfter(segment.departure_at) : '');
  const [offers, setOffers] = useState<ChangeOffer[] | undefined>();
  const [chosen, setChosen] = useState<string | undefined>();
  const [card, setCard] = useState<string>(TEST_CARDS[0].token);
  const [done, setDone] = useState<string | undefined>();
  const asking = useKeyedAction();
  const confirming = useKeyedAction();
  const offer = offers?.find((o) => o.id === chosen);
  /** Another flight: the change offers asked for the last one no longer apply. */
  const choose = (id: string) => {
    setFlightId(id);
    setOffers(undefined);
  };

  async function ask(event: FormEvent) {
    event.preventDefault();
    if (!segment) return;
    setDone(undefined);
    const got = await asking.run(async (key, api) =>
      unwrap(
        await api.v1.orders[':id']['change-requests'].$post({
          param: { id: order.id },
          header: { 'idempotency-key': key },
          json: {
            remove: [segment.flight_id],
            add: [
              { origin: segment.origin, destination: segment.destination, departure_date: day, cabin: segment.cabin },
            ],
          },
        }),
      ),
    );
    if (got) {
      setOffers(got.change_offers);
      setChosen(got.change_offers[0]?.id);
    }
  }

  async function confirm() {
    if (!offer) return;
    const result = await confirming.run(async (key, api) =>
      unwrap(
        await api.v1.orders[':id'].changes.$post({
          param: { id: order.id },
          header: { 'idempotency-key': key },
          json: { change_offer_id: offer.id, ...(offer.change_total_amount.amount > 0 ? { payment_token: card } : {}) },
        }),
      ),
    );
    if (result) {
      setDone(
        `Changed to ${offer.add.map((s) => s.flight_number).join(', ')}; your new total is ${formatMoney(result.total)}.`,
      );
      setOffers(undefined);
      onChanged();
    }
  }

  const totalWords = (o: ChangeOffer) =>
    o.change_total_amount.amount > 0
      ? `${formatMoney(o.change_total_amount)} to pay`
      : o.change_total_amount.amount < 0
        ? `${formatMoney({ ...o.change_total_amount, amount: -o.change_total_amount.amount })} back`
        : 'no charge';

  return (
    <section aria-labelledby="flight-change-heading" className="panel panel-wide">
      <h3 id="flight-change-heading">Change a flight</h3>
      {done ? <p role="status">{done}</p> : null}
      <form onSubmit={(e) => void ask(e)} noValidate className="grid">
        <FormError error={asking.error} shown={['add.0.departure_date']} />
        <SegmentField label="Flight to change" name="change_flight" order={order} value={flightId} onChange={choose} />
        <Field label="New date" name="departure_date" error={asking.error?.issueAt('add.0.departure_date')}>
          <input type="date" value={day} onChange={toValue(setDay)} />
        </Field>
        <button type="submit" className="secondary" disabled={asking.busy || !segment}>
          {asking.busy ? 'Looking…' : 'Find other flights'}
        </button>
      </form>
      {offers && offers.length === 0 ? <p role="status">No flight on {formatDate(day)} has seats for you.</p> : null}
      {offers && offers.length > 0 ? (
        <div className="change-offers">
          <fieldset>
            <legend>Flights on {formatDate(day)}</legend>
            {offers.map((o) => (
              <label key={o.id} className="inline-block change-offer">
                <input type="radio" name="change_offer" checked={chosen === o.id} onChange={() => setChosen(o.id)} />{' '}
                {o.add.map((s) => `${s.flight_number} ${formatDateTime(s.departure_at)}`).join(', ')}: fare difference{' '}
                {formatMoney(o.fare_difference)}, penalty {formatMoney(o.penalty_amount)},{' '}
                <strong>{totalWords(o)}</strong> (new total {formatMoney(o.new_total_amount)})
              </label>
            ))}
          </fieldset>
          {offer && offer.change_total_amount.amount > 0 ? (
            <CardField label="Card for the change" value={card} onChange={setCard} />
          ) : null}
          <FormError error={confirming.error} />
          {offer ? <p className="hint">Priced until {formatDateTime(offer.expires_at)}.</p> : null}
          <button type="button" disabled={!offer || confirming.busy} onClick={() => void confirm()}>
            {confirming.busy ? 'Changing…' : offer ? `Confirm the change: ${totalWords(offer)}` : 'Choose a flight'}
          </button>
        </div>
      ) : null}
    </section>
  );
}
