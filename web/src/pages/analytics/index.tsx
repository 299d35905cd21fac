/**
 * The analytics dashboard (issue #16; role admin): offers shown, accepted, rejected and expired, acceptance and
 * conversion, revenue per route and per day, from GET /v1/admin/analytics, as charts (recharts) each followed by
 * its figures in a table (what a screen reader and a keyboard read: the drawing itself is hidden from both). Money stays per currency: never summed across.
 */
import { useState, type FormEvent } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { client, unwrap, type OkBody } from '../../api';
import { Field, FormError } from '../../components/form';
import { RequireRole } from '../../components/require-role';
import { Cells, TableHead } from '../../components/table-head';
import { formatDate, formatMoney } from '../../format';
import { useLoad } from '../../load';
import './analytics.css';

type Report = OkBody<Awaited<ReturnType<Awaited<ReturnType<typeof client>>['v1']['admin']['analytics']['$get']>>>;
interface Query {
  from: string;
  to: string;
  route: string;
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const percent = (rate: number | null) =>
  rate === null
    ? '—'
    : new Intl.NumberFormat(navigator.language, { style: 'percent', maximumFractionDigits: 1 }).format(rate);
const COLOURS = { shown: '#4a6fa5', accepted: '#2e7d32', rejected: '#b26a00', expired: '#8e2431' };

async function loadReport(q: Query): Promise<Report> {
  const api = await client();
  return unwrap(
    await api.v1.admin.analytics.$get({ query: { from: q.from, to: q.to, ...(q.route ? { route: q.route } : {}) } }),
  );
}

export function AnalyticsRoutes() {
  return (
    <RequireRole roles={['admin']}>
      <Dashboard />
    </RequireRole>
  );
}

function Dashboard() {
  const [query, setQuery] = useState<Query>({ from: day(-30), to: day(0), route: '' });
  const loaded = useLoad(() => loadReport(query), JSON.stringify(query));
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const text = (k: string) => (typeof form.get(k) === 'string' ? (form.get(k) as string).trim() : '');
    setQuery({ from: text('from'), to: text('to'), route: text('route').toUpperCase() });
  };
  const error = loaded.error;
  return (
    <section className="analytics">
      <h1>Analytics</h1>
      <form className="analytics-filters" onSubmit={submit} noValidate>
        <Field label="From" name="from" error={error?.issueAt('from')}>
          <input type="date" defaultValue={query.from} />
        </Field>
        <Field label="To" name="to" error={error?.issueAt('to')}>
          <input type="date" defaultValue={query.to} />
        </Field>
        <Field label="Route" name="route" hint="e.g. JFK-LHR; empty for every route" error={error?.issueAt('route')}>
          <input type="text" defaultValue={query.route} autoComplete="off" />
        </Field>
        <button type="submit">Show</button>
      </form>
      <FormError error={error} shown={['from', 'to', 'route']} />
      {loaded.data ? <Figures report={loaded.data} /> : error ? null : <p role="status">Loading the figures…</p>}
    </section>
  );
}

function Figures({ report }: { report: Report }) {
  if (report.routes.length === 0) {
    return (
      <p>
        No offers or orders between {formatDate(report.from)} and {formatDate(report.to)}.
      </p>
    );
  }
  const total = (k: 'offers_shown' | 'offers_accepted' | 'offers_expired' | 'orders_proposed' | 'orders_paid') =>
    report.routes.reduce((n, r) => n + r[k], 0);
  const shown = total('offers_shown');
  const proposed = total('orders_proposed');
  const offers = report.routes.map((r) => ({
    route: `${r.route} (${r.currency})`,
    shown: r.offers_shown,
    accepted: r.offers_accepted,
    rejected: r.offers_rejected,
    expired: r.offers_expired,
  }));
  const currencies = [...new Set(report.days.map((d) => d.currency))].sort();
  return (
    <>
      <dl className="tiles">
        <Tile label="Offers shown" value={String(shown)} />
        <Tile label="Offers accepted" value={String(total('offers_accepted'))} />
        <Tile label="Offers expired" value={String(total('offers_expired'))} />
        <Tile label="Acceptance rate" value={percent(shown ? total('offers_accepted') / shown : null)} />
        <Tile label="Conversion" value={percent(proposed ? total('orders_paid') / proposed : null)} />
      </dl>

      <figure className="chart">
        <figcaption>Offers per route</figcaption>
        <div className="chart-area" aria-hidden="true">
          <ResponsiveContainer width="100%" height={280}>
            <BarChart data={offers} accessibilityLayer={false}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="route" />
              <YAxis allowDecimals={false} />
              <Tooltip />
              <Legend />
              <Bar dataKey="shown" name="Shown" fill={COLOURS.shown} isAnimationActive={false} />
              <Bar dataKey="accepted" name="Accepted" fill={COLOURS.accepted} isAnimationActive={false} />
              <Bar dataKey="rejected" name="Rejected" fill={COLOURS.rejected} isAnimationActive={false} />
              <Bar dataKey="expired" name="Expired" fill={COLOURS.expired} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
        <div className="table-scroll" role="region" aria-label="Figures per route" tabIndex={0}>
          <table>
            <TableHead
              columns={[
                'Route',
                'Shown',
                'Accepted',
                'Rejected',
                'Expired',
                'Acceptance',
                'Paid',
                'Conversion',
                'Revenue',
                'Refunded',
                'Modified',
              ]}
            />
            <tbody>
              {report.routes.map((r) => (
                <tr key={`${r.route}-${r.currency}`}>
                  <th scope="row">{r.route}</th>
                  <Cells
                    values={[
                      r.offers_shown,
                      r.offers_accepted,
                      r.offers_rejected,
                      r.offers_expired,
                      percent(r.acceptance_rate),
                      r.orders_paid,
                      percent(r.conversion_rate),
                      formatMoney(r.revenue),
                      formatMoney(r.refunded),
                      percent(r.modification_rate),
                    ]}
                  />
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </figure>

      {currencies.map((currency) => (
        <RevenuePerDay key={currency} currency={currency} days={report.days.filter((d) => d.currency === currency)} />
      ))}
    </>
  );
}

function RevenuePerDay({ currency, days }: { currency: string; days: Report['days'] }) {
  const routes = [...new Set(days.map((d) => d.route))].sort();
  const byDay = new Map<string, Record<string, number | string>>();
  for (const d of days) {
    const row = byDay.get(d.day) ?? { day: formatDate(d.day) };
    row[d.route] = d.revenue.amount;
    byDay.set(d.day, row);
  }
  const data = [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, row]) => row);
  const money = (amount: number) => formatMoney({ amount, currency });
  const palette = Object.values(COLOURS);
  return (
    <figure className="chart">
      <figcaption>Revenue per day ({currency})</figcaption>
      <div className="chart-area" aria-hidden="true">
        <ResponsiveContainer width="100%" height={260}>
          <BarChart data={data} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="day" />
            <YAxis tickFormatter={money} width={90} />
            <Tooltip formatter={(v) => money(Number(v))} />
            <Legend />
            {routes.map((r, i) => (
              <Bar key={r} dataKey={r} stackId="revenue" fill={palette[i % palette.length]} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <div className="table-scroll" role="region" aria-label={`Revenue per day (${currency})`} tabIndex={0}>
        <table>
          <TableHead columns={['Day', 'Route', 'Offers shown', 'Accepted', 'Paid', 'Revenue', 'Refunded']} />
          <tbody>
            {days.map((d) => (
              <tr key={`${d.day}-${d.route}`}>
                <th scope="row">{formatDate(d.day)}</th>
                <Cells
                  values={[
                    d.route,
                    d.offers_shown,
                    d.offers_accepted,
                    d.orders_paid,
                    formatMoney(d.revenue),
                    formatMoney(d.refunded),
                  ]}
                />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

function Tile({ label, value }: { label: string; value: string }) {
  return (
    <div className="tile">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}
