/**
 * Servicing an order, for its owner (manage booking, with the order token) and for an agent on the customer's
 * behalf (the servicing routes take an agent's token for any order): a cancellation quote, shown with its amounts,
 * then its confirm; services (bags, meals, …) bought and charged to a payment token; check-in on one of its flights;
 * and whatever else the page adds (`children`: the manage pages' seat and flight changes). Each action has its own
 * Idempotency-Key, kept while it is retried, and reloads the order when it succeeds.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { idempotencyKey, unwrap, useApi } from '../api';
import type { AltisClient } from '../../../api/client';
import { Field, FormError, toValue } from './form';
import { formatDateTime, formatMoney } from '../format';
import { useAction, useLoad } from '../load';
import { segmentOptions } from './parts';
import type { Order } from '../model';

interface Props {
  order: Order;
  onChanged: () => void;
}

/** `tokenHint` says where the payment token comes from (an agent's terminal, the traveler's card). */
export function Servicing({
  order,
  onChanged,
  tokenHint,
  children,
}: Props & { tokenHint: string; children?: ReactNode }) {
  const sold = order.status === 'FULFILLED' || order.status === 'PAID';
  return (
    <div className="card">
      <h2>Service this order</h2>
      {order.status === 'CANCELLED' || order.status === 'EXPIRED' || order.status === 'ARCHIVED' ? (
        <p>This order is {order.status.toLowerCase()}: nothing is left to service.</p>
      ) : (
        <div className="servicing">
          <CancelPanel order={order} onChanged={onChanged} />
          {order.status === 'FULFILLED' ? (
            <ServicesPanel order={order} onChanged={onChanged} tokenHint={tokenHint} />
          ) : null}
          {order.status === 'FULFILLED' ? <CheckInPanel order={order} onChanged={onChanged} /> : null}
          {order.status === 'FULFILLED' ? children : null}
          {!sold ? <p>Services, changes and check-in open once the order is paid.</p> : null}
        </div>
      )}
    </div>
  );
}

/**
 * A servicing action: the pages' `useAction` (load.ts) with one Idempotency-Key per intended action (kept while it is
 * retried, new after success); `run` hands the action this part of the page's client (useApi) and the key.
 */
export function useKeyedAction() {
  const { client } = useApi();
  const action = useAction();
  const [key, setKey] = useState(idempotencyKey);
  async function run<T>(act: (key: string, api: AltisClient) => Promise<T>): Promise<T | undefined> {
    const result = await action.run(async () => act(key, await client()));
    if (result !== undefined) setKey(idempotencyKey());
    return result;
  }
  return { busy: action.busy, error: action.error, run };
}

type Quote = Awaited<ReturnType<typeof quoteCancellation>>;
async function quoteCancellation(api: AltisClient, orderId: string, key: string) {
  return unwrap(
    await api.v1.orders[':id']['cancellation-quotes'].$post({
      param: { id: orderId },
      header: { 'idempotency-key': key },
      json: {},
    }),
  );
}

function CancelPanel({ order, onChanged }: Props) {
  const [quote, setQuote] = useState<Quote | undefined>();
  const quoting = useKeyedAction();
  const confirming = useKeyedAction();

  async function confirm() {
    if (!quote) return;
    const done = await confirming.run(async (key, api) =>
      unwrap(
        await api.v1.orders[':id']['cancellation-quotes'][':quote_id'].confirm.$post({
          param: { id: order.id, quote_id: quote.id },
          header: { 'idempotency-key': key },
          json: {},
        }),
      ),
    );
    if (done) {
      setQuote(done);
      onChanged();
    }
  }

  return (
    <section aria-labelledby="cancel-heading" className="panel">
      <h3 id="cancel-heading">Cancel</h3>
      <FormError error={quoting.error ?? confirming.error} />
      {quote?.status === 'CONFIRMED' ? (
        <p role="status">Cancelled: {formatMoney(quote.refund_amount)} refunded to the original payment.</p>
      ) : quote ? (
        <div role="status">
          <dl className="facts">
            <div>
              <dt>Refund</dt>
              <dd>{formatMoney(quote.refund_amount)}</dd>
            </div>
            <div>
              <dt>Penalty</dt>
              <dd>{formatMoney(quote.penalty_amount)}</dd>
            </div>
            <div>
              <dt>Refunded to</dt>
              <dd>the original payment</dd>
            </div>
            <div>
              <dt>Quote valid until</dt>
              <dd>{formatDateTime(quote.expires_at)}</dd>
            </div>
          </dl>
          <button type="button" disabled={confirming.busy} onClick={() => void confirm()}>
            {confirming.busy ? 'Cancelling…' : `Confirm cancellation and refund ${formatMoney(quote.refund_amount)}`}
          </button>{' '}
          <button type="button" className="secondary" onClick={() => setQuote(undefined)}>
            Keep the order
          </button>
        </div>
      ) : (
        <button
          type="button"
          className="secondary"
          disabled={quoting.busy}
          onClick={() =>
            void quoting.run((key, api) => quoteCancellation(api, order.id, key)).then((q) => q && setQuote(q))
          }
        >
          {quoting.busy ? 'Quoting…' : 'Quote a cancellation'}
        </button>
      )}
    </section>
  );
}

async function availableServices(api: AltisClient, orderId: string) {
  return unwrap(await api.v1.orders[':id']['available-services'].$get({ param: { id: orderId } }));
}

function ServicesPanel({ order, onChanged, tokenHint }: Props & { tokenHint: string }) {
  const { client } = useApi();
  const available = useLoad(async () => availableServices(await client(), order.id), `${order.id}@${order.updated_at}`);
  const [choice, setChoice] = useState('');
  const [quantity, setQuantity] = useState('1');
  const [token, setToken] = useState('');
  const [added, setAdded] = useState<string | undefined>();
  const action = useKeyedAction();
  const services = available.data?.services ?? [];
  const keyOf = (s: (typeof services)[number]) => `${s.id}|${s.traveler_id}|${s.segment_id ?? ''}`;
  const chosen = services.find((s) => keyOf(s) === choice) ?? services[0];
  const nameOf = (id: string) => {
    const t = order.travelers.find((x) => x.id === id);
    return t ? `${t.first_name} ${t.last_name}` : id;
  };
  const flightOf = (id: string | null) => order.segments.find((s) => s.flight_id === id)?.flight_number ?? 'the order';

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!chosen) return;
    const result = await action.run(async (key, api) =>
      unwrap(
        await api.v1.orders[':id'].services.$post({
          param: { id: order.id },
          header: { 'idempotency-key': key },
          json: {
            services: [
              {
                id: chosen.id,
                traveler_ref: chosen.traveler_ref,
                segment_id: chosen.segment_id,
                quantity: Number(quantity),
              },
            ],
            payment_token: token.trim(),
          },
        }),
      ),
    );
    if (result) {
      setAdded(
        `${chosen.name} added for ${nameOf(chosen.traveler_id)}: ${formatMoney(result.charged)} charged, EMD ${result.services
          .flatMap((s) => (s.emd ? [s.emd.number] : []))
          .join(', ')}.`,
      );
      onChanged();
    }
  }

  return (
    <section aria-labelledby="services-heading" className="panel">
      <h3 id="services-heading">Add a service</h3>
      {added ? <p role="status">{added}</p> : null}
      {available.error ? <FormError error={available.error} /> : null}
      {available.loading && !available.data ? <p role="status">Loading the services on sale…</p> : null}
      {available.data && services.length === 0 ? <p>No service is on sale for this order now.</p> : null}
      {services.length > 0 ? (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <FormError error={action.error} shown={['payment_token', 'services.0.quantity']} />
          <Field label="Service" name="service">
            <select value={chosen ? keyOf(chosen) : ''} onChange={toValue(setChoice)}>
              {services.map((s) => (
                <option key={keyOf(s)} value={keyOf(s)}>
                  {s.name} — {nameOf(s.traveler_id)} — {flightOf(s.segment_id)} — {formatMoney(s.price)}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Quantity" name="quantity" error={action.error?.issueAt('services.0.quantity')}>
            <input
              type="number"
              min={1}
              max={chosen?.max_quantity ?? 1}
              value={quantity}
              onChange={toValue(setQuantity)}
            />
          </Field>
          <Field
            label="Payment token"
            name="payment_token"
            hint={tokenHint}
            error={action.error?.issueAt('payment_token')}
          >
            <input type="text" autoComplete="off" value={token} onChange={toValue(setToken)} />
          </Field>
          <button type="submit" disabled={action.busy || token.trim() === ''}>
            {action.busy
              ? 'Adding…'
              : chosen
                ? `Add and charge ${formatMoney({ ...chosen.price, amount: chosen.price.amount * Number(quantity || 1) })}`
                : 'Add'}
          </button>
        </form>
      ) : null}
    </section>
  );
}

function CheckInPanel({ order, onChanged }: Props) {
  const [flightId, setFlightId] = useState(order.segments[0]?.flight_id ?? '');
  const [done, setDone] = useState<string | undefined>();
  const action = useKeyedAction();
  const seated = order.travelers.filter((t) => t.ptc !== 'INF');

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await action.run(async (key, api) =>
      unwrap(
        await api.v1.orders[':id']['check-in'].$post({
          param: { id: order.id },
          header: { 'idempotency-key': key },
          json: { flight_id: flightId, travelers: order.travelers.map((t) => ({ ref: t.passenger_ref })) },
        }),
      ),
    );
    if (result) {
      setDone(
        `Checked in: ${result.boarding_passes.map((p) => `${p.ticket_number} seat ${p.seat_number ?? '—'}`).join(', ')}.`,
      );
      onChanged();
    }
  }

  return (
    <section aria-labelledby="check-in-heading" className="panel">
      <h3 id="check-in-heading">Check in</h3>
      {done ? <p role="status">{done}</p> : null}
      <form onSubmit={(e) => void submit(e)} noValidate>
        <FormError error={action.error} />
        <Field label="Flight" name="flight_id" hint={`checks in ${seated.length} traveler(s) and any infant`}>
          <select value={flightId} onChange={toValue(setFlightId)}>
            {segmentOptions(order)}
          </select>
        </Field>
        <button type="submit" className="secondary" disabled={action.busy}>
          {action.busy ? 'Checking in…' : 'Check in every traveler'}
        </button>
      </form>
    </section>
  );
}
