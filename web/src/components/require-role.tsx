/**
 * The sign-in guard of the staff areas: without a session of one of `roles`, the page sends the browser to
 * /sign-in with ?next= (back here once signed in). The API checks the role again on every call.
 */
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { currentSession } from '../api';

export function RequireRole({ roles, children }: { roles: string[]; children: ReactNode }) {
  const location = useLocation();
  const role = currentSession()?.role;
  if (!role || !roles.includes(role)) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/sign-in?next=${next}`} replace />;
  }
  return children;
}
