import { z } from '@hono/zod-openapi';
import { errors, json, routesOf } from '../openapi';
import { createRouter } from '../router';

/**
 * /v1/airports?q=: the airports an autocomplete offers (public; the per-IP rate limit of every request applies).
 * Matches the IATA code, the city or the name; at most `limit` (default 10, at most 20), the exact code first.
 */
const airport = z
  .object({
    code: z.string().openapi({ example: 'LHR' }),
    name: z.string().openapi({ example: 'Heathrow' }),
    city: z.string().openapi({ example: 'London' }),
    country: z.string().openapi({ example: 'GB' }),
  })
  .openapi('Airport');

const route = routesOf({ tags: ['flights'] });

const searchRoute = route('get', '/', {
  summary: 'Airports whose IATA code, city or name matches q (an autocomplete; public)',
  request: {
    query: z.strictObject({
      q: z
        .string()
        .trim()
        .min(1, 'type at least one letter')
        .max(50)
        // Latin letters with their accents (as airport and city names are written here), spelled without \p{…}: the
        // contract's pattern must mean the same to every JSON Schema engine (Python's re has no \p).
        .regex(/^[A-Za-z\u00C0-\u024F .'()-]+$/, "letters, spaces and . ' ( ) - only")
        .openapi({ example: 'lon' }),
      limit: z.coerce.number().int().min(1).max(20).default(10),
    }),
  },
  responses: {
    200: json(z.object({ airports: z.array(airport) }).openapi('AirportList'), 'the matches, best first'),
    ...errors(400, 429),
  },
});

export const airports = createRouter().openapi(searchRoute, async (c) => {
  const { q, limit } = c.req.valid('query');
  return c.json({ airports: await c.get('deps').services.catalog.searchAirports(q, limit) }, 200);
});
