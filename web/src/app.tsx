/**
 * The web app: one shell (skip link, header with the areas, main landmark) and one route per area. Each area lives
 * in pages/<area>/ and talks to the API only through the typed client (api.ts). The API serves these paths with
 * index.html (api/web.ts: WEB_PATHS); keep the two lists in step.
 */
import { NavLink, Route, Routes } from 'react-router';
import { currentSession } from './api';
import { NavLinks } from './components/nav-links';
import { AgentRoutes } from './pages/agent';
import { AnalyticsRoutes } from './pages/analytics';
import { BookingRoutes } from './pages/booking';
import { ManageRoutes } from './pages/manage';
import { SignIn } from './pages/sign-in';

export function App() {
  const session = currentSession();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <NavLink to="/" className="brand" end>
          Altis
        </NavLink>
        <nav aria-label="Main">
          <NavLinks
            links={[
              { to: '/', label: 'Book', end: true },
              { to: '/manage', label: 'Manage booking' },
              { to: '/agent', label: 'Agents' },
              { to: '/analytics', label: 'Analytics' },
            ]}
          >
            {session?.kind === 'USER' ? <li className="signed-in">{session.email}</li> : null}
          </NavLinks>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/*" element={<BookingRoutes />} />
          <Route path="/manage/*" element={<ManageRoutes />} />
          <Route path="/agent/*" element={<AgentRoutes />} />
          <Route path="/analytics/*" element={<AnalyticsRoutes />} />
          <Route path="/sign-in" element={<SignIn />} />
        </Routes>
      </main>
    </>
  );
}
