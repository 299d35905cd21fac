/**
 * The OpenAPI side of the routes: the shared error contract, the bearer security requirement, and the document
 * (`GET /openapi.json`, OpenAPI 3.1) with its interactive page (`GET /docs`), both generated from the zod
 * contracts the routes validate with (`@hono/zod-openapi`), so the document cannot drift from the code.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createRoute, z, type OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { isIsoDate } from '../services/catalog';

/** The one error shape of every non-2xx answer (api/errors.ts). */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'VALIDATION_FAILED' }),
      message: z.string(),
      details: z.unknown().optional(),
      request_id: z.string().optional(),
    }),
  })
  .openapi('Error');

/** A JSON response of a route's `responses`: `200: json(orderSchema, 'the order')`. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/**
 * A calendar day written YYYY-MM-DD (UTC), checked as a date, not only as a pattern: `2026-02-30` and `0000-00-00`
 * are 400s where they enter, never an invalid Date deeper in.
 */
export const isoDaySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
  .refine(isIsoDate, 'is not a calendar date');

/**
 * A registered (named) schema or null, described: rendered as `anyOf: [$ref, null]`. (`.nullable().openapi({…})` on
 * a registered schema renders as `allOf: [$ref, …]`, which a null value never satisfies: found by Schemathesis.)
 */
export const nullableOf = <T extends z.ZodType>(schema: T, description: string) =>
  z.union([schema, z.null()]).openapi({ description });

/** A route's JSON request body, required unless told otherwise: `request: { body: body(createSchema) }`. */
export const body = <T extends z.ZodType>(schema: T, { required = true }: { required?: boolean } = {}) => ({
  content: { 'application/json': { schema } },
  required,
});

/** Money as the API writes it (domain/money.ts): integer minor units and an ISO 4217 code. */
export const moneySchema = z
  .object({
    amount: z.number().int().openapi({ description: 'minor units', example: 12550 }),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
      .openapi({ example: 'USD' }),
  })
  .openapi('Money');

const fareConditionSchema = z
  .object({
    allowed: z.boolean(),
    penalty_amount: z.number().int().nullable().openapi({
      description: 'per passenger, minor units of penalty_currency; null when not allowed',
      example: 10000,
    }),
    penalty_currency: z.string().nullable().openapi({ example: 'USD' }),
  })
  .openapi('FareCondition');

/** The fare conditions of an offer, kept by the order it becomes (domain/commercial.ts `FareConditions`). */
export const fareConditionsSchema = z
  .object({
    refund_before_departure: fareConditionSchema,
    change_before_departure: fareConditionSchema,
    no_show: fareConditionSchema.openapi({
      description: 'once a flight of the order has departed (flown or not shown): whether the unflown rest refunds',
    }),
  })
  .openapi('FareConditions', {
    description:
      'the fare family’s conditions (like Duffel’s): cancelling a paid order refunds per these; flown coupons never',
  });

/** The `{id}` path parameter of a resource its UUID names (idParams: `{ id: pathId }`). */
export const pathId = z.uuid().openapi({ param: { name: 'id', in: 'path' } });

/** The path parameters of a resource its UUID names: `request: { params: idParams }`. */
export const idParams = z.object({ id: pathId });

/** `{ 400: …, 404: … }` responses in the error shape, for a route's `responses`. */
export const errors = <const C extends number>(...codes: C[]) =>
  Object.fromEntries(
    codes.map((code) => [code, { description: 'error', content: { 'application/json': { schema: errorSchema } } }]),
  ) as Record<C, { description: string; content: { 'application/json': { schema: typeof errorSchema } } }>;

/** What the routes of one room share: their tags and, unless they are public, their security. */
type RoomShared = Pick<RouteConfig, 'tags' | 'security'>;
/** What a route adds to its room's: its summary, what it takes and answers (and any middleware or other field). */
type RouteParts = Omit<RouteConfig, 'method' | 'path' | 'tags' | 'security'> & { summary: string };

/**
 * The route maker of one room: `const route = routesOf({ tags: ['orders'], security: bearerAuth })`, then
 * `route('get', '/orders/{id}', { summary: 'An order', request: { params }, responses: { … } })`: createRoute's
 * route, typed as it would be (params, body, status codes), with the room's tags and security first in the
 * document's operation (tags, security, summary, …, as every route of the API writes them).
 */
export const routesOf =
  (shared: RoomShared) =>
  <M extends RouteConfig['method'], P extends string, R extends RouteParts>(method: M, path: P, parts: R) =>
    createRoute({ ...shared, ...parts, method, path });

/** The `Idempotency-Key` header of creating POSTs (api/middleware/idempotency.ts checks and applies it). */
export const idempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters')
    .optional()
    .openapi({
      description:
        'A repeat with the same key and body gets the first answer (`Idempotent-Replayed: true`); with another body, 422',
      example: 'b3f1c2d4-order-1',
    }),
});

/**
 * The request of a command on a resource its UUID names (`POST /orders/{id}/…`): the `{id}` path parameter, the
 * Idempotency-Key header and the JSON body (required unless told otherwise).
 */
const commandRequest = <T extends z.ZodType>(schema: T, options?: { required?: boolean }) => ({
  params: idParams,
  headers: idempotencyKeyHeader,
  body: body(schema, options),
});

/**
 * A command on a resource its UUID names, of the caller's (`POST /orders/{id}/…` with a bearer token): its request
 * (commandRequest) and its answers, among them the error answers every such command has by what it takes: 400 (not
 * valid), 401, 404 (no such resource of the caller's) and 422 (the Idempotency-Key again with another body). An
 * answer of its own (a described 422) replaces the plain one: `...command(schema, { 200: json(…) })`.
 */
export const command = <T extends z.ZodType, R extends RouteConfig['responses']>(
  schema: T,
  responses: R,
  options?: { required?: boolean },
) => ({ request: commandRequest(schema, options), responses: { ...errors(400, 401, 404, 422), ...responses } });

export const BEARER_SCHEME = 'bearerAuth';
/** A route that answers 401 without a valid `Authorization: Bearer <JWT>`. */
export const bearerAuth: Record<string, string[]>[] = [{ [BEARER_SCHEME]: [] }];
export const WEBHOOK_SIGNATURE_SCHEME = 'webhookSignature';
/** The payment provider's HMAC signature of the raw body (domain/webhook-signature.ts). */
export const webhookSignatureAuth: Record<string, string[]>[] = [{ [WEBHOOK_SIGNATURE_SCHEME]: [] }];
/** A route that takes a bearer token when sent (it binds or claims something) and works without one. */
export const optionalBearerAuth: Record<string, string[]>[] = [{}, { [BEARER_SCHEME]: [] }];

/** The route maker of the orders room, whose routes stand in several files (orders.ts, check-in.ts, order-*.ts). */
export const orderRoute = routesOf({ tags: ['orders'], security: bearerAuth });

/** The document's tags, in reading order. */
export const API_TAGS = [
  { name: 'auth', description: 'Guest tokens, accounts, sign-in; an account claims the guest it was before' },
  { name: 'flights', description: 'Flight search with live availability and prices, seat maps, live seat events' },
  { name: 'offers', description: 'Offers per itinerary (flight only and bundles), priced and ranked, 15 minutes' },
  { name: 'orders', description: 'Accepted offers: one Temporal workflow per order (hold, pay, fulfil, cancel)' },
  { name: 'trips', description: 'The trip-hold API of the README: hold flights, add passengers and seats, commit' },
  { name: 'webhooks', description: "The payment provider's signed events" },
  { name: 'admin', description: 'Reports, schedule, products, bundles and pricing rules, for admins' },
  { name: 'gate', description: 'Boarding at the gate and flight manifests, for agents' },
  { name: 'ops', description: 'Health' },
];

let packageVersion: string | undefined;
/** The version of package.json: the API's version. */
export function apiVersion(): string {
  packageVersion ??= (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return packageVersion;
}

const errorRef = { $ref: '#/components/schemas/Error' };
const errorContent = (description: string) => ({ description, content: { 'application/json': { schema: errorRef } } });

/**
 * The operationId of an operation that names none: its method and path in camelCase, a path parameter as `By<Name>`
 * (`GET /v1/orders/{id}/events` → `getV1OrdersByIdEvents`). Unique because (method, path) is.
 */
export function operationIdFor(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .flatMap((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      return (param ? `by_${param[1]}` : segment).split(/[^A-Za-z0-9]+/).filter(Boolean);
    });
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/**
 * Answers that come from the app's own middleware (api/app.ts) rather than a route: the per-IP rate limit on
 * every path but /health and /health/*, and the body limit and media-type check on every operation that takes a body.
 */
function addAppWideResponses(paths: Record<string, object> = {}) {
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const op = operation as { responses?: Record<string, unknown>; requestBody?: unknown; operationId?: string };
      op.operationId ??= operationIdFor(method, path);
      const responses = (op.responses ??= {});
      if (path !== '/health' && !path.startsWith('/health/'))
        responses['429'] ??= errorContent('too many requests (per IP or per customer)');
      // One rule for a bad header (README, "API"): present but not a valid bearer token is 401 on every /v1 route,
      // public ones too; only the payment webhook authenticates by signature instead.
      if (path.startsWith('/v1/') && path !== '/v1/webhooks/payments') {
        responses['401'] ??= errorContent(
          'the Authorization header is not a valid bearer token (malformed, expired, revoked)',
        );
      }
      if (op.requestBody) {
        responses['413'] ??= errorContent('the body is larger than the server accepts');
        responses['415'] ??= errorContent('the body is not application/json');
      }
    }
  }
}

/** Paths served by `mountApiDocs`: not part of the API, so not in the document. */
export const DOC_PATHS = ['/openapi.json', '/docs', '/docs/assets/:name'] as const;

/**
 * The docs page's files: Swagger UI's from the swagger-ui-dist package (no CDN: the page works offline and under
 * a strict Content-Security-Policy), and its start script (no inline script).
 */
const DOCS_INIT = `window.ui = SwaggerUIBundle({
  url: '${DOC_PATHS[0]}',
  dom_id: '#swagger-ui',
  persistAuthorization: true,
  validatorUrl: null,
});
`;
const DOCS_ASSETS: Record<string, { type: string; file?: string; body?: string }> = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', file: 'swagger-ui.css' },
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', file: 'swagger-ui-bundle.js' },
  'init.js': { type: 'text/javascript; charset=utf-8', body: DOCS_INIT },
};
const DOCS_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Altis API</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/assets/init.js"></script>
  </body>
</html>
`;
const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'";

const assetCache = new Map<string, Buffer | string>();
function docsAsset(name: string): Buffer | string {
  let body = assetCache.get(name);
  if (body === undefined) {
    const asset = DOCS_ASSETS[name]!;
    body =
      asset.body ??
      readFileSync(join(dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json')), asset.file!));
    assetCache.set(name, body);
  }
  return body;
}

/**
 * Adds the bearer scheme to the app's registry and serves the document and the docs page. Call after every
 * router is mounted (the document is built from what the app's registry holds at the first request).
 */
export function mountApiDocs<E extends Env>(app: OpenAPIHono<E>) {
  app.openAPIRegistry.registerComponent('securitySchemes', BEARER_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An HS256 JWT from POST /v1/auth/guest, /v1/auth/register or /v1/auth/login',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', WEBHOOK_SIGNATURE_SCHEME, {
    type: 'apiKey',
    in: 'header',
    name: 'Altis-Signature',
    description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with the webhook secret',
  });
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  const build = () => {
    const built = app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Altis',
        version: apiVersion(),
        description:
          'Airline retailing on the Offer/Order model. Every error answers `{ "error": { "code", "message", ' +
          '"details", "request_id" } }` (schema `Error`); bad input changes nothing.',
      },
      tags: API_TAGS,
    });
    addAppWideResponses(built.paths);
    return built;
  };
  app.get(DOC_PATHS[0], (c) => {
    document ??= build();
    // The server is the one that answered, so that the docs page calls the API it was loaded from.
    return c.json({ ...document, servers: [{ url: new URL(c.req.url).origin, description: 'this server' }] });
  });
  app.get(DOC_PATHS[1], (c) => {
    c.header('Content-Security-Policy', DOCS_CSP);
    return c.html(DOCS_HTML);
  });
  app.get(DOC_PATHS[2], (c) => {
    const name = c.req.param('name');
    const asset = Object.hasOwn(DOCS_ASSETS, name) ? DOCS_ASSETS[name] : undefined;
    if (!asset) return c.notFound(); // the app's one 404 answer (api/app.ts)
    const body = docsAsset(name);
    return c.body(typeof body === 'string' ? body : new Uint8Array(body), 200, {
      'Content-Type': asset.type,
      'Cache-Control': 'public, max-age=3600',
    });
  });
}
