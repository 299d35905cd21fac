/** Small pieces the order pages share: a named, keyboard-scrollable table and a status in words. */
import type { ReactNode } from 'react';

/**
 * A table with a header row, scrolling sideways on a phone rather than squeezing: the scrolling region is named
 * and focusable, so a keyboard can scroll it.
 */
export function Table({ label, head, children }: { label: string; head: string[]; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      <table>
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
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
  return <span className={`badge badge-${TONE[status] ?? 'info'}`}>{status.replaceAll('_', ' ')}</span>;
}
