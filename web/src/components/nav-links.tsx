/** A navigation's list of links: each item a NavLink (the router marks the current page); `end` matches exactly. */
import type { ReactNode } from 'react';
import { NavLink } from 'react-router';

export function NavLinks({
  links,
  children,
}: {
  links: { to: string; label: string; end?: boolean }[];
  /** Items after the links (e.g. who is signed in). */
  children?: ReactNode;
}) {
  return (
    <ul>
      {links.map((l) => (
        <li key={l.to}>
          <NavLink to={l.to} end={l.end}>
            {l.label}
          </NavLink>
        </li>
      ))}
      {children}
    </ul>
  );
}
