/**
 * Small pieces the agent pages share: a named, keyboard-scrollable table, a status in words, and a screen whose
 * read failed.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { ApiError } from '../../api';
import { FormError } from '../../components/form';
import { TableHead } from '../../components/table-head';

/**
 * A table with a header row, scrolling sideways on a phone rather than squeezing: the scrolling region is named
 * and focusable, so a keyboard can scroll it.
 */
export function Table({ label, head, children }: { label: string; head: string[]; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      <table>
        <TableHead columns={head} />
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

const TONE: Record<string, string> = {
  FULFILLED: 'ok',
  PAID: 'ok',
  ARCHIVED: 'ok',
  PROPOSED: 'warn',
  PAYMENT_PENDING: 'warn',
  EXPIRED: 'bad',
  CANCELLED: 'bad',
};

/** An order's (or a response's) status as a word with its tone; the word carries the meaning, not the colour. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${TONE[status] ?? 'info'}`}>{status.replaceAll('_', ' ')}</span>;
}

/** A screen whose read failed before anything was shown: its title, the error and the way back to the search. */
export function ScreenError({ title, error, back }: { title: string; error: ApiError; back: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <FormError error={error} />
      <Link to={back}>Back to the search</Link>
    </section>
  );
}

/** One fact of a `<dl className="facts">`: its term and its value (`mono` for ids). */
export function Fact({ label, mono, children }: { label: string; mono?: boolean; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd className={mono ? 'mono' : undefined}>{children}</dd>
    </div>
  );
}
