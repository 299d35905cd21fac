/**
 * Flights for agents: find one by number and day (GET /v1/admin/flights, which agents may read), then its manifest
 * (GET …/manifest: who is ticketed, checked in, boarded) and its disruptions (GET …/disruptions: who an
 * airline-initiated change affected and how each order answered: accepted the rebooking, took the refund, or not
 * yet).
 */
import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { client, unwrap, type OkBody } from '../../api';
import { Field, FormError, toValue } from '../../components/form';
import { formatDateTime } from '../../format';
import { ScreenError, Table, StatusBadge } from '../../components/parts';
import { useAction, useLoad } from '../../load';

type Api = Awaited<ReturnType<typeof client>>;
type FlightList = OkBody<Awaited<ReturnType<Api['v1']['admin']['flights']['$get']>>>;

export function FlightSearch() {
  const [params, setParams] = useSearchParams();
  const [number, setNumber] = useState(params.get('flight_number') ?? '');
  const [date, setDate] = useState(params.get('date') ?? '');
  const [flights, setFlights] = useState<FlightList['data'] | undefined>();
  const { busy, error, run } = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const query = { flight_number: number.trim(), ...(date ? { date } : {}) };
    setParams(query);
    await run(
      async () => {
        setFlights((await unwrap(await (await client()).v1.admin.flights.$get({ query }))).data);
      },
      (e) => {
        setFlights(undefined);
        return e;
      },
    );
  }

  return (
    <section>
      <h1>Find a flight</h1>
      <form className="card agent-search" onSubmit={(e) => void submit(e)} noValidate>
        <FormError error={error} shown={['flight_number', 'date']} />
        <Field label="Flight number" name="flight_number" hint="e.g. AL318" error={error?.issueAt('flight_number')}>
          <input type="text" value={number} onChange={toValue(setNumber)} required />
        </Field>
        <Field label="Departure day (UTC)" name="date" error={error?.issueAt('date')}>
          <input type="date" value={date} onChange={toValue(setDate)} />
        </Field>
        <button type="submit" disabled={busy || number.trim() === ''}>
          {busy ? 'Searching…' : 'Search'}
        </button>
      </form>
      {flights ? (
        <div className="card" aria-live="polite">
          <h2>{flights.length === 1 ? '1 flight' : `${flights.length} flights`}</h2>
          {flights.length === 0 ? (
            <p>No flight matches.</p>
          ) : (
            <Table label="Flights found" head={['Flight', 'Route', 'Departs', 'Status']}>
              {flights.map((f) => (
                <tr key={f.id}>
                  <td>
                    <Link to={`/agent/flights/${f.id}`}>{f.flight_number}</Link>
                  </td>
                  <td>
                    {f.origin}→{f.destination}
                  </td>
                  <td>{formatDateTime(f.departure_at)}</td>
                  <td>
                    <StatusBadge status={f.status} />
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </div>
      ) : null}
    </section>
  );
}

async function loadFlight(id: string) {
  const api = await client();
  const [flight, manifest, disruptions] = await Promise.all([
    unwrap(await api.v1.admin.flights[':id'].$get({ param: { id } })),
    unwrap(await api.v1.admin.flights[':id'].manifest.$get({ param: { id } })),
    unwrap(await api.v1.admin.flights[':id'].disruptions.$get({ param: { id } })),
  ]);
  return { flight, manifest, disruptions };
}
type FlightData = Awaited<ReturnType<typeof loadFlight>>;

export function FlightScreen() {
  const { id = '' } = useParams();
  const loaded = useLoad(() => loadFlight(id), id);
  if (loaded.error && !loaded.data) return <ScreenError title="Flight" error={loaded.error} back="/agent/flights" />;
  if (!loaded.data) return <p role="status">Loading the flight…</p>;
  const { flight, manifest, disruptions } = loaded.data;
  return (
    <section>
      <h1>
        Flight {flight.flight_number} <StatusBadge status={flight.status} />
      </h1>
      <p>
        {flight.origin} → {flight.destination}, departs {formatDateTime(flight.departure_at)}, arrives{' '}
        {formatDateTime(flight.arrival_at)}
      </p>
      <Manifest manifest={manifest} />
      <Disruptions disruptions={disruptions} />
    </section>
  );
}

function Manifest({ manifest }: { manifest: FlightData['manifest'] }) {
  const t = manifest.totals;
  return (
    <div className="card">
      <h2>Manifest</h2>
      <p>
        {t.ticketed} ticketed: {t.not_checked_in} not checked in, {t.checked_in} checked in, {t.boarded} boarded,{' '}
        {t.no_show} no-show
      </p>
      {manifest.passengers.length === 0 ? (
        <p>No one is ticketed on this flight.</p>
      ) : (
        <Table label="Passengers" head={['Passenger', 'Reference', 'Ticket', 'Seat', 'Status', 'Sequence']}>
          {manifest.passengers.map((p) => (
            <tr key={`${p.ticket_number}-${p.traveler_id}`}>
              <td>
                {p.name.last.toUpperCase()}, {p.name.first} ({p.passenger_type})
              </td>
              <td>
                <Link to={`/agent/orders/${p.order_id}`}>{p.booking_reference}</Link>
              </td>
              <td className="mono">{p.ticket_number}</td>
              <td>{p.seat_number ?? '—'}</td>
              <td>{p.coupon_status.replaceAll('_', ' ')}</td>
              <td>{p.check_in_sequence ?? '—'}</td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}

const RESPONSE: Record<string, string> = {
  accepted: 'Accepted the rebooking',
  refunded: 'Took the refund',
  auto_accepted: 'Rebooked by default',
};

function Disruptions({ disruptions }: { disruptions: FlightData['disruptions'] }) {
  return (
    <div className="card">
      <h2>Disruptions</h2>
      {disruptions.data.length === 0 ? <p>No airline-initiated change on this flight.</p> : null}
      {disruptions.data.map((d) => (
        <section key={d.id} aria-label={`${d.kind.replaceAll('_', ' ').toLowerCase()} ${formatDateTime(d.created_at)}`}>
          <h3>
            {d.kind.replaceAll('_', ' ').toLowerCase()} — {formatDateTime(d.created_at)}
          </h3>
          <p>
            {d.totals.affected} affected: {d.totals.no_answer} no answer yet, {d.totals.accepted} accepted the
            rebooking, {d.totals.refunded} took the refund, {d.totals.auto_accepted} rebooked by default
          </p>
          {d.orders.length > 0 ? (
            <Table label="Affected orders" head={['Reference', 'Answer', 'By', 'When', 'Answer by']}>
              {d.orders.map((o) => (
                <tr key={o.order_id}>
                  <td>
                    <Link to={`/agent/orders/${o.order_id}`}>{o.booking_reference}</Link>
                  </td>
                  <td>{o.response ? RESPONSE[o.response] : 'No answer yet'}</td>
                  <td>{o.responded_by ?? '—'}</td>
                  <td>{o.responded_at ? formatDateTime(o.responded_at) : '—'}</td>
                  <td>{o.respond_by ? formatDateTime(o.respond_by) : '—'}</td>
                </tr>
              ))}
            </Table>
          ) : null}
        </section>
      ))}
    </div>
  );
}
