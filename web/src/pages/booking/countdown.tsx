/** How long the order's seats stay held (its expires_at), by the page's clock; `onExpired` once it reaches zero. */
import { useEffect, useState } from 'react';

export function HoldCountdown({ expiresAt, onExpired }: { expiresAt: string; onExpired: () => void }) {
  const end = Date.parse(expiresAt);
  const [now, setNow] = useState(() => Date.now());
  const left = Math.max(0, Math.ceil((end - now) / 1000));
  useEffect(() => {
    if (left === 0) {
      onExpired();
      return;
    }
    const timer = setTimeout(() => setNow(Date.now()), 1000);
    return () => clearTimeout(timer);
  }, [left, now, onExpired]);
  const minutes = Math.floor(left / 60);
  const seconds = String(left % 60).padStart(2, '0');
  return (
    <p className={left < 120 ? 'hold status-warn' : 'hold'} role="timer" aria-live="off">
      Your seats are held for <strong>{`${minutes}:${seconds}`}</strong>
    </p>
  );
}
