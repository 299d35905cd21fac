/**
 * Small pieces the order pages share: a named, keyboard-scrollable table, a status in words, a card of facts and the
 * options of a select of the order's flights.
 */
import type { ReactNode } from 'react';
import { formatDateTime, formatMoney } from '../format';
import type { Order } from '../model';

/**
 * A table with a header row, scrolling sideways on a phone rather than squeezing: the scrolling region is named
 * and focusable, so a keyboard can scroll it.
 */
export function Table({ label, head, children }: { label: string; head: string[]; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      <table>
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
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
  return <span className={`badge badge-${TONE[status] ?? 'info'}`}>{status.replaceAll('_', ' ')}</span>;
}

/** A card of facts: each a term and its value, wrapping as the width allows. */
export function Facts({ facts }: { facts: [string, ReactNode, string?][] }) {
  return (
    <dl className="facts card">
      {facts.map(([term, value, className]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd className={className}>{value}</dd>
        </div>
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
