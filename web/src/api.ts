/**
 * The pages' one way to the API: the typed client (api/client.ts) on this origin, a session token kept in
 * sessionStorage (a guest token made on first use; an agent's or admin's after sign-in), and the API's JSON errors
 * as `ApiError` with their field issues, so forms show each message next to its field.
 */
import { createContext, useContext } from 'react';
import type { ClientResponse } from 'hono/client';
import type { SuccessStatusCode } from 'hono/utils/http-status';
import { createAltisClient, type AltisClient } from '../../api/client';

export interface ApiIssue {
  path: string;
  message: string;
}

/** An answer of the API that is not 2xx: its status, code, message and (for validation errors) field issues. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: ApiIssue[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** The message of the issue at `path` (e.g. "travelers.0.email"), if the API named one. */
  issueAt(path: string): string | undefined {
    return this.issues.find((i) => i.path === path)?.message;
  }
}

/** Any failure as the pages show it: the API's ApiError, or one for an API that could not be reached (status 0). */
export const asApiError = (err: unknown): ApiError =>
  err instanceof ApiError ? err : new ApiError(0, 'NETWORK', 'the API could not be reached; try again');

interface ErrorBody {
  error?: { code?: string; message?: string; details?: { issues?: ApiIssue[] } };
}

/** The body type of the 2xx answers among a typed client call's answers. */
export type OkBody<R> =
  R extends ClientResponse<infer T, infer S, 'json'> ? (S extends SuccessStatusCode ? T : never) : never;

/** The body of a 2xx answer, or an ApiError built from the API's error body. */
export async function unwrap<R extends ClientResponse<unknown, number, 'json'>>(res: R): Promise<OkBody<R>> {
  if (res.ok) return (await res.json()) as OkBody<R>;
  let body: ErrorBody = {};
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    // not JSON: the status says enough
  }
  const retry = Number(res.headers.get('Retry-After'));
  throw new ApiError(
    res.status,
    body.error?.code ?? `HTTP_${res.status}`,
    body.error?.message ?? `the request failed (${res.status})`,
    body.error?.details?.issues ?? [],
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  );
}

export type SessionKind = 'GUEST' | 'USER';
export interface Session {
  token: string;
  kind: SessionKind;
  role?: string;
  email?: string;
}

const SESSION_KEY = 'altis.session';

export function currentSession(): Session | undefined {
  const raw = sessionStorage.getItem(SESSION_KEY);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Session;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

/** A client without a token (sign-in, public reads). */
export const anonymous = (): AltisClient => createAltisClient(window.location.origin);

/** A client with the session's token; without a session, a new guest's (POST /v1/auth/guest). */
export async function client(): Promise<AltisClient> {
  let session = currentSession();
  if (!session) {
    const made = await unwrap(await anonymous().v1.auth.guest.$post());
    session = { token: made.token, kind: 'GUEST' };
    saveSession(session);
  }
  return createAltisClient(window.location.origin, session.token);
}

/** The Authorization header of the session (for what the typed client cannot fetch: images, event streams). */
export function authHeader(): Record<string, string> {
  const session = currentSession();
  return session ? { Authorization: `Bearer ${session.token}` } : {};
}

/** A new Idempotency-Key for one user action (a retry of the same action reuses it). */
export const idempotencyKey = (): string => crypto.randomUUID();

/**
 * A token that the pages below use instead of the session's: the manage-booking pages' order token (POST
 * /v1/orders/lookup), which reaches that one order. Shared components read the API through `useApi()`.
 */
export const OrderTokenContext = createContext<string | undefined>(undefined);

/** The client and Authorization header for this part of the page: the order token's if one is given, else the session's. */
export function useApi(): { client: () => Promise<AltisClient>; authHeader: () => Record<string, string> } {
  const token = useContext(OrderTokenContext);
  if (!token) return { client, authHeader };
  return {
    client: () => Promise.resolve(createAltisClient(window.location.origin, token)),
    authHeader: () => ({ Authorization: `Bearer ${token}` }),
  };
}
