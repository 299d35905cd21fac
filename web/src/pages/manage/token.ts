/**
 * The manage pages' order tokens (POST /v1/orders/lookup), kept in sessionStorage per order until they expire: the
 * tab that found a booking can reload its page. The session's own token is never replaced by one (it would stop the
 * booking pages working: an order token reaches one order only).
 */
const key = (orderId: string) => `altis.manage.${orderId}`;

interface Stored {
  token: string;
  expiresAt: string;
}

export function saveOrderToken(orderId: string, token: string, expiresAt: string): void {
  sessionStorage.setItem(key(orderId), JSON.stringify({ token, expiresAt } satisfies Stored));
}

/** The order's token while it is valid; undefined otherwise (the session's token is then used: one's own order). */
export function orderToken(orderId: string): string | undefined {
  const raw = sessionStorage.getItem(key(orderId));
  if (!raw) return undefined;
  try {
    const stored = JSON.parse(raw) as Stored;
    if (Date.parse(stored.expiresAt) > Date.now()) return stored.token;
  } catch {
    // not ours: forget it
  }
  sessionStorage.removeItem(key(orderId));
  return undefined;
}
