/**
 * Find orders (GET /v1/orders with the agents' filters): by booking reference, contact email, or customer (id or
 * account email). The query lives in the URL (?by=&q=), so a search can be linked and the back button returns to
 * it; pages follow the API's cursor ("More orders").
 */
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { client, unwrap, type OkBody } from '../../api';
import { Field, FormError, toValue } from '../../components/form';
import { formatDateTime, formatMoney } from '../../format';
import { Table, StatusBadge } from '../../components/parts';
import { useAction } from '../../load';

const SEARCH_BY = {
  booking_reference: { label: 'Booking reference', hint: 'six letters and digits, e.g. R4HWSL', type: 'text' },
  contact_email: { label: 'Contact email', hint: 'the email the order was booked with', type: 'email' },
  customer: { label: 'Customer', hint: 'the customer id or account email', type: 'text' },
} as const;
type SearchBy = keyof typeof SEARCH_BY;

const listOrders = async (query: Record<string, string>) => unwrap(await (await client()).v1.orders.$get({ query }));
type OrderPage = OkBody<Awaited<ReturnType<Awaited<ReturnType<typeof client>>['v1']['orders']['$get']>>>;
export type OrderSummary = OrderPage['data'][number];

export function OrderSearch() {
  const [params, setParams] = useSearchParams();
  const by: SearchBy = (params.get('by') as SearchBy | null) ?? 'booking_reference';
  const [kind, setKind] = useState<SearchBy>(by in SEARCH_BY ? by : 'booking_reference');
  const [value, setValue] = useState(params.get('q') ?? '');
  const [orders, setOrders] = useState<OrderSummary[] | undefined>();
  const [next, setNext] = useState<string | null>(null);
  const { busy, error, run } = useAction();

  async function search(query: Record<string, string>, more: boolean) {
    await run(
      async () => {
        const page = await listOrders(query);
        setOrders(more ? [...(orders ?? []), ...page.data] : page.data);
        setNext(page.next_cursor);
      },
      (e) => {
        if (!more) setOrders(undefined);
        return e;
      },
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setParams({ by: kind, q: value.trim() });
    void search({ [kind]: value.trim(), limit: '20' }, false);
  }

  const spec = SEARCH_BY[kind];
  return (
    <section>
      <h1>Find an order</h1>
      <form className="card agent-search" onSubmit={submit} noValidate>
        <FormError error={error} shown={[kind]} />
        <Field label="Search by" name="by">
          <select value={kind} onChange={(e) => setKind(e.target.value as SearchBy)}>
            {Object.entries(SEARCH_BY).map(([k, s]) => (
              <option key={k} value={k}>
                {s.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label={spec.label} name="q" hint={spec.hint} error={error?.issueAt(kind)}>
          <input type={spec.type} value={value} onChange={toValue(setValue)} required />
        </Field>
        <button type="submit" disabled={busy || value.trim() === ''}>
          {busy ? 'Searching…' : 'Search'}
        </button>
      </form>
      {orders ? <OrderResults orders={orders} /> : null}
      {next ? (
        <button
          type="button"
          className="secondary"
          disabled={busy}
          onClick={() => void search({ [kind]: value.trim(), limit: '20', cursor: next }, true)}
        >
          More orders
        </button>
      ) : null}
    </section>
  );
}

function OrderResults({ orders }: { orders: OrderSummary[] }) {
  return (
    <div className="card" aria-live="polite">
      <h2>{orders.length === 1 ? '1 order' : `${orders.length} orders`}</h2>
      {orders.length === 0 ? (
        <p>No order matches.</p>
      ) : (
        <Table label="Orders found" head={['Reference', 'Status', 'Journey', 'Travelers', 'Total', 'Booked']}>
          {orders.map((o) => (
            <tr key={o.id}>
              <td>
                <Link to={`/agent/orders/${o.id}`} aria-label={`Open order ${o.booking_reference}`}>
                  {o.booking_reference}
                </Link>
              </td>
              <td>
                <StatusBadge status={o.status} />
              </td>
              <td>
                {o.segments.map((s) => (
                  <div key={s.flight_id}>
                    {s.flight_number} {s.origin}→{s.destination}, {formatDateTime(s.departure_at)}
                  </div>
                ))}
              </td>
              <td>{o.travelers.map((t) => `${t.first_name} ${t.last_name}`).join(', ')}</td>
              <td>{formatMoney(o.total)}</td>
              <td>{formatDateTime(o.created_at)}</td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}
