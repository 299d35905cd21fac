/**
 * An order's boarding passes per flight, each as the API's PDF417 barcode (GET
 * /v1/orders/:id/boarding-passes/:traveler/:flight.png, fetched with this part of the page's token and shown from a
 * blob URL), with an optional action per flight (a check-in button).
 */
import { useEffect, useState, type ReactNode } from 'react';
import { useApi } from '../api';
import { formatDateTime } from '../format';
import type { Fulfillment, Order } from '../model';
import { travelerName } from './parts';

function Barcode({ url, alt, bcbp }: { url: string; alt: string; bcbp: string }) {
  const { authHeader } = useApi();
  const [src, setSrc] = useState<string | undefined>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let made: string | undefined;
    let gone = false;
    void (async () => {
      try {
        const res = await fetch(url, { headers: authHeader() });
        if (!res.ok) throw new Error(String(res.status));
        made = URL.createObjectURL(await res.blob());
        if (gone) URL.revokeObjectURL(made);
        else setSrc(made);
      } catch {
        if (!gone) setFailed(true);
      }
    })();
    return () => {
      gone = true;
      if (made) URL.revokeObjectURL(made);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the token's header is fixed for the page
  }, [url, bcbp]);
  if (failed) return <p className="status-bad">The barcode could not be loaded.</p>;
  return src ? <img className="barcode" src={src} alt={alt} data-bcbp={bcbp} /> : <p>Loading the barcode…</p>;
}

type Segment = Order['segments'][number];

export function BoardingPasses({
  order,
  fulfillment,
  action,
}: {
  order: Order;
  fulfillment: Fulfillment;
  action?: (segment: Segment) => ReactNode;
}) {
  const fullName = travelerName(order);
  return (
    <>
      {order.segments.map((s) => (
        <section key={s.flight_id} className="passes" aria-label={`Boarding passes, ${s.flight_number}`}>
          <h4>
            {s.flight_number} {s.origin} → {s.destination}, {formatDateTime(s.departure_at)}
          </h4>
          {action?.(s)}
          <ul className="pass-list">
            {fulfillment.boarding_passes
              .filter((bp) => bp.flight_id === s.flight_id)
              .map((bp) => (
                <li key={`${bp.traveler_id}-${bp.flight_id}-${bp.bcbp}`}>
                  <p>{fullName(bp.traveler_id)}</p>
                  <Barcode
                    url={`/v1/orders/${order.id}/boarding-passes/${bp.traveler_id}/${bp.flight_id}.png`}
                    alt={`Boarding pass barcode, ${fullName(bp.traveler_id)}, ${s.flight_number}`}
                    bcbp={bp.bcbp}
                  />
                </li>
              ))}
          </ul>
        </section>
      ))}
    </>
  );
}
