/**
 * One order as an agent sees it (GET /v1/orders/:id and /fulfillment): its journey, travelers, items, payments,
 * documents, disruption, its timeline with the link to its workflow in the Temporal Web UI, and the servicing an
 * agent does for the customer (servicing.tsx).
 */
import { Link, useParams } from 'react-router';
import { client, unwrap, type OkBody } from '../../api';
import { formatDateTime, formatMoney } from '../../format';
import { useLoad } from '../../load';
import { Facts, ItemsCard, ScreenError, Table, StatusBadge } from '../../components/parts';
import { FlightChangePanel, SeatChangePanel } from '../../components/changes';
import { Servicing } from '../../components/servicing';
import { Timeline } from '../../components/timeline';

async function loadOrder(id: string) {
  const api = await client();
  const [order, documents] = await Promise.all([
    unwrap(await api.v1.orders[':id'].$get({ param: { id } })),
    unwrap(await api.v1.orders[':id'].fulfillment.$get({ param: { id } })),
  ]);
  return { order, documents };
}
export type AgentOrder = Awaited<ReturnType<typeof loadOrder>>['order'];
type Documents = OkBody<
  Awaited<ReturnType<Awaited<ReturnType<typeof client>>['v1']['orders'][':id']['fulfillment']['$get']>>
>;

export function OrderScreen() {
  const { id = '' } = useParams();
  const loaded = useLoad(() => loadOrder(id), id);
  if (loaded.error && !loaded.data) return <ScreenError title="Order" error={loaded.error} back="/agent/orders" />;
  if (!loaded.data) return <p role="status">Loading the order…</p>;
  const { order, documents } = loaded.data;
  const nameOf = (travelerId: string | null) => {
    const t = order.travelers.find((x) => x.id === travelerId);
    return t ? `${t.first_name} ${t.last_name}` : '—';
  };
  const flightOf = (flightId: string | null) =>
    order.segments.find((s) => s.flight_id === flightId)?.flight_number ?? (flightId ? 'another flight' : '—');

  return (
    <section className="agent-order">
      <h1>
        Order {order.booking_reference} <StatusBadge status={order.status} />
      </h1>
      <Facts
        facts={[
          ['Total', formatMoney(order.total)],
          ['Booked', formatDateTime(order.created_at)],
          ['Customer', order.customer_id, 'mono'],
          ['Order id', order.id, 'mono'],
        ]}
      />

      <div className="card">
        <h2>Journey</h2>
        <ul className="plain">
          {order.segments.map((s) => (
            <li key={s.flight_id}>
              <Link to={`/agent/flights/${s.flight_id}`}>{s.flight_number}</Link> {s.origin} → {s.destination},{' '}
              {formatDateTime(s.departure_at)} – {formatDateTime(s.arrival_at)} ({s.cabin.toLowerCase()})
            </li>
          ))}
        </ul>
      </div>

      <div className="card">
        <h2>Travelers</h2>
        <Table label="Travelers" head={['Ref', 'Name', 'Type', 'Date of birth']}>
          {order.travelers.map((t) => (
            <tr key={t.id}>
              <td>{t.passenger_ref}</td>
              <td>
                {t.first_name} {t.last_name}
              </td>
              <td>{t.ptc}</td>
              <td>{t.date_of_birth ?? '—'}</td>
            </tr>
          ))}
        </Table>
      </div>

      <ItemsCard order={order} title="Items" />

      <div className="card">
        <h2>Payments</h2>
        {order.payments.length === 0 ? (
          <p>No payment yet.</p>
        ) : (
          <Table label="Payments" head={['Attempt', 'Status', 'Amount', 'Charge', 'Decline']}>
            {order.payments.map((p) => (
              <tr key={p.attempt}>
                <td>{p.attempt}</td>
                <td>{p.status}</td>
                <td>{formatMoney(p.amount)}</td>
                <td className="mono">{p.charge_id ?? '—'}</td>
                <td>{p.decline_code ?? '—'}</td>
              </tr>
            ))}
          </Table>
        )}
      </div>

      <DocumentsCard documents={documents} nameOf={nameOf} flightOf={flightOf} />

      {order.disruption ? (
        <div className="card">
          <h2>Disruption</h2>
          <p>
            {order.disruption.kind.replaceAll('_', ' ').toLowerCase()} on{' '}
            {order.disruption.removed.map((s) => s.flight_number).join(', ')}:{' '}
            <StatusBadge status={order.disruption.status} />
            {order.disruption.respond_by ? ` — answer by ${formatDateTime(order.disruption.respond_by)}` : ''}
          </p>
        </div>
      ) : null}

      <Timeline orderId={order.id} version={order.updated_at} />

      <Servicing
        order={order}
        onChanged={loaded.reload}
        tokenHint="the customer's card token from the payment terminal"
      >
        <SeatChangePanel order={order} onChanged={loaded.reload} />
        <FlightChangePanel order={order} onChanged={loaded.reload} />
      </Servicing>
    </section>
  );
}

function DocumentsCard({
  documents,
  nameOf,
  flightOf,
}: {
  documents: Documents;
  nameOf: (id: string | null) => string;
  flightOf: (id: string | null) => string;
}) {
  return (
    <div className="card">
      <h2>Tickets and EMDs</h2>
      {documents.tickets.length === 0 && documents.emds.length === 0 ? (
        <p>No documents issued.</p>
      ) : (
        <Table label="Tickets and EMDs" head={['Document', 'Number', 'Traveler', 'Flights', 'Status']}>
          {documents.tickets.map((t) => (
            <tr key={t.number}>
              <td>E-ticket</td>
              <td className="mono">{t.number}</td>
              <td>{nameOf(t.traveler_id)}</td>
              <td>
                {t.coupons
                  .map(
                    (c) =>
                      `${flightOf(c.flight_id)}${c.seat_number ? ` seat ${c.seat_number}` : ''} (${c.coupon_status})`,
                  )
                  .join(', ')}
              </td>
              <td>{t.status}</td>
            </tr>
          ))}
          {documents.emds.map((e) => (
            <tr key={e.number}>
              <td>{e.type}</td>
              <td className="mono">{e.number}</td>
              <td>{nameOf(e.traveler_id)}</td>
              <td>{e.flight_ids.map(flightOf).join(', ') || '—'}</td>
              <td>{e.status}</td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}
