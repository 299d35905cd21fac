/**
 * A typed HTTP client of the Altis API (Hono RPC): paths, parameters, bodies and answers are typed from the
 * routes' zod contracts, e.g. `await client.v1.holds.trip.$post({ json: { flight_ids: [id] }, header: {} })`.
 * It imports the app as a type only, so it carries none of the server's code.
 */
import { hc } from 'hono/client';
import type { AppType } from './app';

// Computed once here rather than at every call site: it keeps type checking of the callers fast.
const typed = (...args: Parameters<typeof hc>) => hc<AppType>(...args);
export type AltisClient = ReturnType<typeof typed>;

/** A client of the API at `baseUrl`; with a token, every request carries `Authorization: Bearer <token>`. */
export function createAltisClient(baseUrl: string, token?: string): AltisClient {
  return typed(baseUrl, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
}
