/**
 * Small pieces the order pages share: a named, keyboard-scrollable table, a status in words, a card of facts, the
 * options of a select of the order's flights, and a screen whose read failed.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { ApiError } from '../api';
import { formatDateTime, formatMoney } from '../format';
import { FormError } from './form';
import { TableHead } from './table-head';
import type { Order } from '../model';

/**
 * A table with a header row, scrolling sideways on a phone rather than squeezing: the scrolling region is named
 * and focusable, so a keyboard can scroll it.
 */
export function Table({ label, head, children }: { label: string; head: string[]; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      <table>
        <TableHead columns={head} />
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

const TONE: Record<string, string> = {
  FULFILLED: 'ok',
  PAID: 'ok',
  ARCHIVED: 'ok',
  PROPOSED: 'warn',
  PAYMENT_PENDING: 'warn',
  EXPIRED: 'bad',
  CANCELLED: 'bad',
};

/** An order's (or a response's) status as a word with its tone; the word carries the meaning, not the colour. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${TONE[status] ?? 'info'}`}>{status.replaceAll('_', ' ')}</span>;
}

/** A screen whose read failed before anything was shown: its title, the error and the way back. */
export function ScreenError({ title, error, back }: { title: string; error: ApiError; back: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <FormError error={error} />
      <Link to={back}>Back to the search</Link>
    </section>
  );
}

/** One fact of a `<dl className="facts">`: its term and its value (`mono` for ids). */
export function Fact({ label, mono, children }: { label: string; mono?: boolean; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd className={mono ? 'mono' : undefined}>{children}</dd>
    </div>
  );
}

/** A card of facts: each a term, its value and whether it is an id (mono), wrapping as the width allows. */
export function Facts({ facts }: { facts: [string, ReactNode, 'mono'?][] }) {
  return (
    <dl className="facts card">
      {facts.map(([term, value, mono]) => (
        <Fact key={term} label={term} mono={mono === 'mono'}>
          {value}
        </Fact>
      ))}
    </dl>
  );
}

/** The order's flights as a select's options ("AL101 JFK→LHR, 1 Mar 2027, 09:00"), valued by flight id. */
export const segmentOptions = (order: Order) =>
  order.segments.map((s) => (
    <option key={s.flight_id} value={s.flight_id}>
      {s.flight_number} {s.origin}→{s.destination}, {formatDateTime(s.departure_at)}
    </option>
  ));

/** "First Last" of a traveler of the order, by id ('' for none). */
export const travelerName = (order: Order) => (id: string | null) => {
  const t = order.travelers.find((x) => x.id === id);
  return t ? `${t.first_name} ${t.last_name}` : '';
};

/** The order's items in a card: product, traveler, flight, seat and price. */
export function ItemsCard({ order, title }: { order: Order; title: string }) {
  const nameOf = travelerName(order);
  const flightOf = (id: string | null) => order.segments.find((s) => s.flight_id === id)?.flight_number;
  return (
    <div className="card">
      <h2>{title}</h2>
      <Table label={title} head={['Item', 'Traveler', 'Flight', 'Seat', 'Price']}>
        {order.items.map((i) => (
          <tr key={i.id}>
            <td>
              {i.product_type}
              {i.product_code ? ` (${i.product_code})` : ''}
            </td>
            <td>{nameOf(i.traveler_id) || 'everyone'}</td>
            <td>{flightOf(i.flight_id) ?? (i.flight_id ? 'another flight' : 'the trip')}</td>
            <td>{i.seat_number ?? '—'}</td>
            <td>{formatMoney(i.price)}</td>
          </tr>
        ))}
      </Table>
    </div>
  );
}
