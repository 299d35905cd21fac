/**
 * Search results: one card per itinerary with its legs, and its offers (flight only and bundles, 3–5) side by side,
 * each with what it includes, its fare conditions as the offer states them, and its price.
 */
import { formatDateTime, formatMoney } from '../../format';
import type { Offer } from '../../model';

type Condition = NonNullable<Offer['conditions']>['refund_before_departure'];

function conditionText(c: Condition, what: string): string {
  if (!c.allowed) return `No ${what}`;
  if (c.penalty_amount && c.penalty_currency) {
    return `${what[0]!.toUpperCase()}${what.slice(1)} for a fee of ${formatMoney({ amount: c.penalty_amount, currency: c.penalty_currency })} per passenger`;
  }
  return `Free ${what}`;
}

const PRODUCT_NAMES: Record<string, string> = { Flight: 'Flight', Seat: 'Seat choice', Bag: 'Checked bag' };

/** What an offer includes beyond the flight: its other items' products, once each. */
function includes(offer: Offer): string[] {
  const extras = new Set(
    offer.items
      .filter((i) => i.product_type !== 'Flight')
      .map((i) => `${PRODUCT_NAMES[i.product_type] ?? i.product_type}${i.product_code ? ` (${i.product_code})` : ''}`),
  );
  return ['Flight', ...extras];
}

const itineraryKey = (o: Offer) => o.segments.map((s) => s.flight_id).join('+');

export function Offers({ offers, onChoose, busy }: { offers: Offer[]; onChoose: (o: Offer) => void; busy: boolean }) {
  if (offers.length === 0) {
    return <p className="card">No flights with seats for this party on that day. Try another date.</p>;
  }
  const groups = new Map<string, Offer[]>();
  for (const o of offers) groups.set(itineraryKey(o), [...(groups.get(itineraryKey(o)) ?? []), o]);
  return (
    <section aria-labelledby="results-heading">
      <h2 id="results-heading">Choose your fare</h2>
      {[...groups.values()].map((group, n) => {
        const first = group[0]!;
        const label = first.segments.map((s) => s.flight_number).join(' + ');
        return (
          <article key={itineraryKey(first)} className="card itinerary" aria-labelledby={`itinerary-${n}`}>
            <h3 id={`itinerary-${n}`}>
              Option {n + 1}: {label}
            </h3>
            <ul className="legs">
              {(['OUTBOUND', 'INBOUND'] as const).map((direction) => {
                const segs = first.segments.filter((s) => s.direction === direction);
                if (segs.length === 0) return null;
                return (
                  <li key={direction}>
                    <strong>{direction === 'OUTBOUND' ? 'Outbound' : 'Return'}:</strong>{' '}
                    {segs
                      .map(
                        (s) =>
                          `${s.flight_number} ${s.origin} ${formatDateTime(s.departure_at)} → ${s.destination} ${formatDateTime(s.arrival_at)}`,
                      )
                      .join('; ')}
                  </li>
                );
              })}
            </ul>
            <div className="bundles">
              {group.map((o) => (
                <section key={o.id} className="bundle" aria-label={`${o.bundle.name}, ${label}`}>
                  <h4>{o.bundle.name}</h4>
                  <p className="price">{formatMoney(o.price.total)}</p>
                  <p className="visually-hidden">for the whole party</p>
                  <ul>
                    {includes(o).map((i) => (
                      <li key={i}>{i}</li>
                    ))}
                  </ul>
                  {o.conditions ? (
                    <ul className="conditions">
                      <li>{conditionText(o.conditions.refund_before_departure, 'refund')}</li>
                      <li>{conditionText(o.conditions.change_before_departure, 'change')}</li>
                      <li>
                        {o.conditions.no_show.allowed
                          ? 'Unflown part refundable after a no-show'
                          : 'No refund after a no-show'}
                      </li>
                    </ul>
                  ) : null}
                  <button type="button" disabled={busy} onClick={() => onChoose(o)}>
                    Choose {o.bundle.name}
                    <span className="visually-hidden">, {label}</span>
                  </button>
                </section>
              ))}
            </div>
          </article>
        );
      })}
    </section>
  );
}
