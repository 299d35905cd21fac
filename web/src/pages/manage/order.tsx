/**
 * One booking as its traveler manages it, with the order token of the lookup (or the session's, for one's own
 * order): what was bought, the documents and boarding passes, the timeline, and the servicing the API offers.
 */
import { Link, useParams } from 'react-router';
import { currentSession, OrderTokenContext, unwrap, useApi } from '../../api';
import { BoardingPasses } from '../../components/boarding-passes';
import { FormError } from '../../components/form';
import { Facts, ItemsCard, StatusBadge, travelerName } from '../../components/parts';
import { Servicing } from '../../components/servicing';
import { Timeline } from '../../components/timeline';
import { formatDateTime, formatMoney } from '../../format';
import { useLoad } from '../../load';
import { PTC_NAMES } from '../../model';
import { FlightChangePanel, SeatChangePanel } from '../../components/changes';
import { orderToken } from './token';

export function ManageOrder() {
  const { id = '' } = useParams();
  const token = orderToken(id);
  // Neither this order's token nor a session (whose own order it may be): nothing to ask the API with.
  if (!token && !currentSession()) return <Lost />;
  return (
    <OrderTokenContext.Provider value={token}>
      <OrderPage id={id} />
    </OrderTokenContext.Provider>
  );
}

function Lost() {
  return (
    <section className="card narrow">
      <h1>Your booking</h1>
      <p role="alert">This booking cannot be opened here: the page may have been open too long. Find it again.</p>
      <Link to="/manage">Find a booking</Link>
    </section>
  );
}

function OrderPage({ id }: { id: string }) {
  const { client } = useApi();
  const loaded = useLoad(async () => {
    const api = await client();
    const [order, documents] = await Promise.all([
      unwrap(await api.v1.orders[':id'].$get({ param: { id } })),
      unwrap(await api.v1.orders[':id'].fulfillment.$get({ param: { id } })),
    ]);
    return { order, documents };
  }, id);

  if (loaded.error && !loaded.data) {
    if ([401, 403, 404].includes(loaded.error.status)) return <Lost />;
    return (
      <section className="card narrow">
        <h1>Your booking</h1>
        <FormError error={loaded.error} />
        <Link to="/manage">Find a booking</Link>
      </section>
    );
  }
  if (!loaded.data) return <p role="status">Loading your booking…</p>;
  const { order, documents } = loaded.data;
  const nameOf = travelerName(order);

  return (
    <section className="manage-order" aria-labelledby="booking-heading">
      <h1 id="booking-heading">
        Booking <span className="booking-reference">{order.booking_reference}</span>{' '}
        <StatusBadge status={order.status} />
      </h1>
      <Facts
        facts={[
          ['Total paid', formatMoney(order.total)],
          ['Booked', formatDateTime(order.created_at)],
          ['Travelers', order.travelers.map((t) => `${t.first_name} ${t.last_name} (${PTC_NAMES[t.ptc]})`).join(', ')],
        ]}
      />

      <div className="card">
        <h2>Your trip</h2>
        <ul className="plain">
          {order.segments.map((s) => (
            <li key={s.flight_id}>
              <strong>{s.flight_number}</strong> {s.origin} → {s.destination}, {formatDateTime(s.departure_at)} –{' '}
              {formatDateTime(s.arrival_at)} ({s.cabin.toLowerCase()})
            </li>
          ))}
        </ul>
      </div>

      <ItemsCard order={order} title="What you bought" />

      {documents.tickets.length > 0 ? (
        <div className="card">
          <h2>E-tickets and boarding passes</h2>
          <ul className="tickets plain">
            {documents.tickets.map((t) => (
              <li key={t.number}>
                {nameOf(t.traveler_id)}: e-ticket <span className="mono ticket-number">{t.number}</span> ({t.status})
              </li>
            ))}
            {documents.emds.map((e) => (
              <li key={e.number}>
                {nameOf(e.traveler_id)}: {e.type} <span className="mono">{e.number}</span> ({e.status})
              </li>
            ))}
          </ul>
          <BoardingPasses order={order} fulfillment={documents} />
        </div>
      ) : null}

      <Timeline orderId={order.id} version={order.updated_at} />

      <Servicing order={order} onChanged={loaded.reload} tokenHint="your card; in the sandbox, tok_visa pays">
        <SeatChangePanel order={order} onChanged={loaded.reload} />
        <FlightChangePanel order={order} onChanged={loaded.reload} />
      </Servicing>
    </section>
  );
}
