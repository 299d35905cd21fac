/**
 * Manage booking (issue #16): find a booking by its reference and a traveler's last name (POST /v1/orders/lookup,
 * which answers a token for that order alone), then see it (journey, travelers, items, documents and boarding
 * passes, timeline) and service it: cancel (quote, then confirm), add bags and other services, change a seat, change
 * a flight, check in; every amount is shown before it is confirmed.
 */
import { Route, Routes } from 'react-router';
import { FindBooking } from './find';
import { ManageOrder } from './order';
import './manage.css';

export function ManageRoutes() {
  return (
    <div className="manage">
      <Routes>
        <Route index element={<FindBooking />} />
        <Route path=":id" element={<ManageOrder />} />
      </Routes>
    </div>
  );
}
