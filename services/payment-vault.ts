/**
 * The payment vault: a card token is kept here, encrypted, and workflows carry only its reference (`pvr_…`), so
 * no token is ever written to workflow history (or shown in the Temporal UI). The charge activity resolves the
 * reference when it calls the gateway; a retried charge resolves it again. References are purged a day after
 * they were written (worker housekeeping), long after the payment has an outcome.
 */
import { randomUUID } from 'node:crypto';
import { eq, lt } from 'drizzle-orm';
import type { Database } from '../db/client';
import { paymentTokens } from '../db/schema';
import { DomainError } from '../domain/errors';
import type { PiiCipher } from '../lib/pii';

export const PAYMENT_REF_PREFIX = 'pvr_';
export const PAYMENT_TOKEN_RETENTION_MS = 24 * 3600_000;

export const isPaymentRef = (value: string) => value.startsWith(PAYMENT_REF_PREFIX);

/** Deletes vaulted tokens older than the retention (worker housekeeping). Returns how many. */
export async function purgePaymentTokens(db: Database, now = new Date()): Promise<number> {
  const rows = await db
    .delete(paymentTokens)
    .where(lt(paymentTokens.createdAt, new Date(now.getTime() - PAYMENT_TOKEN_RETENTION_MS)))
    .returning({ ref: paymentTokens.ref });
  return rows.length;
}

export function createPaymentVault(deps: { db: Database; pii: PiiCipher }) {
  const { db, pii } = deps;
  return {
    /** Keeps the token for the order's payment; returns the reference the workflow carries. */
    async put(orderId: string, token: string): Promise<string> {
      const ref = `${PAYMENT_REF_PREFIX}${randomUUID()}`;
      await db.insert(paymentTokens).values({ ref, orderId, token: pii.encrypt(token) });
      return ref;
    },

    /**
     * The token behind a reference. A value that is not a reference is a token itself: v1 orders recorded
     * before the vault existed carry their token in history and are charged with it.
     */
    async resolve(refOrToken: string): Promise<string> {
      if (!isPaymentRef(refOrToken)) return refOrToken;
      const [row] = await db.select().from(paymentTokens).where(eq(paymentTokens.ref, refOrToken));
      if (!row) throw new DomainError('VALIDATION_FAILED', 'the payment token has expired: pay again');
      return pii.decrypt(row.token);
    },
  };
}

export type PaymentVault = ReturnType<typeof createPaymentVault>;
