/**
 * The agent portal (issue #16): sign-in required with the role agent or admin (others are sent to /sign-in with
 * ?next=); find orders (by booking reference, contact email or customer), open one (its items, travelers,
 * payments, documents, timeline), service it for the customer, and open a flight's manifest and disruptions.
 */
import { Navigate, Route, Routes } from 'react-router';
import { NavLinks } from '../../components/nav-links';
import { RequireRole } from '../../components/require-role';
import { FlightScreen, FlightSearch } from './flights';
import { OrderScreen } from './order-screen';
import { OrderSearch } from './order-search';
import './agent.css';

export function AgentRoutes() {
  return (
    <RequireRole roles={['agent', 'admin']}>
      <div className="agent">
        <nav aria-label="Agent portal" className="agent-nav">
          <NavLinks
            links={[
              { to: '/agent/orders', label: 'Orders' },
              { to: '/agent/flights', label: 'Flights' },
            ]}
          />
        </nav>
        <Routes>
          <Route index element={<Navigate to="orders" replace />} />
          <Route path="orders" element={<OrderSearch />} />
          <Route path="orders/:id" element={<OrderScreen />} />
          <Route path="flights" element={<FlightSearch />} />
          <Route path="flights/:id" element={<FlightScreen />} />
        </Routes>
      </div>
    </RequireRole>
  );
}
