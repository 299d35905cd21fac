/**
 * GET /openapi.json and GET /docs: the document is OpenAPI 3.1, generated from the routes' own contracts, and
 * names every route the app serves (and nothing it does not).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../api/app';
import { DOC_PATHS } from '../../api/openapi';
import { WEB_ASSETS_PATH, WEB_PATHS } from '../../api/web';
import type { Services } from '../../lib/services';
import { openTestServices, silentLogger, testConfig } from '../support/services';

interface Operation {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema?: unknown }>; required?: boolean };
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, Record<string, unknown>> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** Routes of the app that are not part of the API. */
// The web app's pages and assets (api/web.ts) are HTML and files, not API operations.
const INTERNAL = new Set<string>(['/metrics', ...DOC_PATHS, ...WEB_PATHS, WEB_ASSETS_PATH]);

let services: Services;
let app: App;
let doc: Document;

beforeAll(async () => {
  const config = testConfig();
  services = await openTestServices(config);
  app = createApp({ config, logger: silentLogger(), ...services });
  const res = await app.request('http://api.example.test/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  doc = (await res.json()) as Document;
});

afterAll(async () => {
  await services?.close();
});

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op })),
  );

/** Every `$ref` in a value. */
function refsOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsOf(v, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsOf(v, out);
    }
  }
  return out;
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document: info from package.json, this server, bearer JWT scheme, tags', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Altis', version: pkg.version });
    expect(doc.servers).toEqual([{ url: 'http://api.example.test', description: 'this server' }]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(doc.components.securitySchemes.webhookSignature).toMatchObject({ type: 'apiKey', in: 'header' });
    expect(doc.tags.map((t) => t.name)).toEqual(
      expect.arrayContaining(['auth', 'flights', 'offers', 'orders', 'trips', 'webhooks']),
    );
    expect(doc.components.schemas.Error).toMatchObject({
      type: 'object',
      required: ['error'],
      properties: { error: { required: ['code', 'message'] } },
    });
  });

  it('holds together: path parameters declared, responses described, every $ref, tag and scheme defined', () => {
    const tagNames = new Set(doc.tags.map((t) => t.name));
    const schemes = new Set(Object.keys(doc.components.securitySchemes));
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(path, where).toMatch(/^\//);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort(), where).toEqual(templated.sort());
      for (const p of declared) expect(p.required, `${where} ${p.name}`).toBe(true);
      for (const p of op.parameters ?? []) {
        expect(['query', 'header', 'path', 'cookie'], where).toContain(p.in);
        expect(p.schema, `${where} ${p.name}`).toBeDefined();
      }
      expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
      expect(
        Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)),
        `${where} has a success answer`,
      ).toBe(true);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(status, where).toMatch(/^[1-5]\d\d$/);
        expect(typeof response.description, `${where} ${status}`).toBe('string');
      }
      for (const tag of op.tags ?? []) expect(tagNames, where).toContain(tag);
      expect(op.tags?.length, `${where} has a tag`).toBeGreaterThan(0);
      for (const requirement of op.security ?? []) {
        for (const name of Object.keys(requirement)) expect(schemes, where).toContain(name);
      }
    }
    for (const ref of refsOf(doc)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas, ref).toHaveProperty(ref.slice('#/components/schemas/'.length));
    }
  });

  it('says null where a value may be null: no nullable field hidden behind allOf with a $ref', () => {
    // `allOf: [$ref, {type: [..., 'null']}]` rejects null (the $ref branch does): two order fields were documented
    // so while the API sent null (found by Schemathesis). Nullable named schemas are `anyOf: [$ref, null]`.
    const hidden: string[] = [];
    const walk = (value: unknown, at: string): void => {
      if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${at}/${i}`));
      else if (value !== null && typeof value === 'object') {
        const allOf = (value as { allOf?: { $ref?: string; type?: unknown }[] }).allOf;
        if (allOf?.some((s) => s.$ref) && allOf.some((s) => Array.isArray(s.type) && s.type.includes('null'))) {
          hidden.push(at);
        }
        for (const [k, v] of Object.entries(value)) walk(v, `${at}/${k}`);
      }
    };
    walk(doc, '#');
    expect(hidden).toEqual([]);
    const order = doc.components.schemas.Order as { properties: Record<string, { anyOf?: unknown[] }> };
    const [named, nothing] = order.properties.conditions!.anyOf ?? [];
    expect(JSON.stringify(named)).toContain('"#/components/schemas/FareConditions"');
    expect(nothing).toEqual({ type: 'null' });
  });

  it('names exactly the routes the app serves', () => {
    const served = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL' && !INTERNAL.has(r.path))
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([^/]+)/g, '{$1}')}`),
    );
    const documented = new Set(operations().map(({ method, path }) => `${method} ${path}`));
    expect([...served].sort()).toEqual([...documented].sort());
  });

  it('lists the endpoints of the README and of the Offer/Order API', () => {
    const documented = operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(documented).toEqual(
      expect.arrayContaining([
        'GET /health',
        'POST /v1/auth/guest',
        'POST /v1/flights/search',
        'POST /v1/holds/trip',
        'POST /v1/holds/trip/{trip_id}/passengers',
        'POST /v1/holds/seat',
        'POST /v1/bookings/commit',
        'GET /v1/flights/{id}/stream',
        'POST /v1/offers/search',
        'POST /v1/offers/{id}/accept',
        'POST /v1/orders/{id}/pay',
        'POST /v1/orders/{id}/cancel',
        'POST /v1/orders/{id}/cancellation-quotes',
        'POST /v1/orders/{id}/cancellation-quotes/{quote_id}/confirm',
        'GET /v1/orders/{id}',
        'POST /v1/webhooks/payments',
      ]),
    );
  });

  it('gives every operation its request and response schemas, and every error the shared Error schema', () => {
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      if (method === 'post' && !['/v1/auth/guest', '/v1/auth/sign-out'].includes(path)) {
        expect(op.requestBody?.content['application/json']?.schema, `${where} request body`).toBeDefined();
      }
      for (const [status, response] of Object.entries(op.responses)) {
        if (status === '204') continue;
        const media = Object.values(response.content ?? {})[0];
        expect(media?.schema, `${where} ${status} schema`).toBeDefined();
        if (Number(status) >= 400 && !path.startsWith('/health')) {
          expect(media!.schema, `${where} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
        }
      }
    }
  });

  it('requires the bearer token exactly where the routes do: a request without one is 401 there', async () => {
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const required = op.security?.length === 1 && 'bearerAuth' in op.security[0]!;
      if (!required) continue; // public or optional: the fuzz test sends them without a token and expects no 401
      const url = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      const res = await app.request(url, {
        method: method.toUpperCase(),
        headers: { 'Content-Type': 'application/json' },
        ...(method === 'get' ? {} : { body: '{}' }),
      });
      expect(res.status, where).toBe(401);
      expect(res.headers.get('www-authenticate'), where).toBe('Bearer');
      expect(((await res.json()) as { error: { code: string } }).error.code, where).toBe('UNAUTHENTICATED');
    }
  });

  it('is the same document on every request (built once), with the server of the request', async () => {
    const again = (await (await app.request('http://localhost:9999/openapi.json')).json()) as Document;
    expect(again.servers[0]!.url).toBe('http://localhost:9999');
    expect({ ...again, servers: doc.servers }).toEqual(doc);
  });
});

describe('operationId', () => {
  it('names every operation, uniquely, as a code generator wants it (an identifier)', () => {
    const ids = Object.values(doc.paths).flatMap((item) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([, op]) => op.operationId),
    );
    expect(ids.length).toBeGreaterThan(30);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z0-9]*$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/v1/orders/{id}']!.get!.operationId).toBe('getV1OrdersById');
    expect(doc.paths['/health/ready']!.get!.operationId).toBe('getHealthReady');
  });
});

describe('GET /docs', () => {
  /** Every URL a page or script names: attributes, CSS url(), and quoted absolute URLs. */
  const urlsIn = (text: string) => [
    ...[...text.matchAll(/(?:src|href)\s*=\s*["']([^"']+)["']/g)].map((m) => m[1]!),
    ...[...text.matchAll(/['"`]((?:https?:)?\/\/[^'"`\s]+)['"`]/g)].map((m) => m[1]!),
  ];

  it('is an HTML page whose scripts and styles are served by the app itself: no external host', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    const urls = urlsIn(html);
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const url of urls) expect(url, url).toMatch(/^\/docs\/assets\/[\w.-]+$/);
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script (a strict CSP would block it)

    // Each asset answers from the app, with its type; the start script loads this server's document.
    const types: Record<string, RegExp> = { '.css': /^text\/css/, '.js': /^text\/javascript/ };
    for (const url of urls) {
      const asset = await app.request(url);
      expect(asset.status, url).toBe(200);
      expect(asset.headers.get('content-type'), url).toMatch(types[url.slice(url.lastIndexOf('.'))]!);
      expect((await asset.text()).length, url).toBeGreaterThan(20);
    }
    const init = await (await app.request('/docs/assets/init.js')).text();
    expect(init).toContain("url: '/openapi.json'");
    expect(init).toContain('SwaggerUIBundle');
    expect(urlsIn(init)).toEqual([]);
    const bundle = await (await app.request('/docs/assets/swagger-ui-bundle.js')).text();
    expect(bundle).toContain('SwaggerUIBundle');
  });

  it('serves only its own assets: any other name is the API 404', async () => {
    for (const name of ['package.json', '..%2Fpackage.json', 'index.html']) {
      const res = await app.request(`/docs/assets/${name}`);
      expect(res.status, name).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
  });
});
