/**
 * The commercial catalog for admins: /v1/admin/products, /v1/admin/bundles and /v1/admin/pricing-rules (tables
 * `products`, `bundles` and `pricing_rules`, read by the offer engine and the catalog through
 * services/commercial-settings.ts). One CRUD shape for the three, written once (`crudRoutes`); the contracts come
 * from the tables (services/admin-commercial.ts, drizzle-zod), and so does the work.
 */
import { z } from '@hono/zod-openapi';
import { adminSchemas as s, type AdminCommercial, type AdminStore } from '../../services/admin-commercial';
import { DomainError } from '../../domain/errors';
import { requireAuth, requireRole } from '../middleware/auth';
import { bearerAuth, body, errors, json, routesOf } from '../openapi';
import { createRouter } from '../router';

const route = routesOf({ tags: ['admin'], security: bearerAuth });
const authErrors = errors(400, 401, 403); // 400: a malformed URL, before the token is looked at
const keyParam = (name: 'code' | 'id') =>
  z.object({
    [name]: z
      .string()
      .min(1)
      .max(100)
      .openapi({ param: { name, in: 'path' } }),
  });

interface CrudSpec<V extends z.ZodType, C extends z.ZodType, P extends z.ZodType, Q extends z.ZodObject = z.ZodObject> {
  /** The path key: `code` unless told (`id`). */
  key?: 'code' | 'id';
  /**
   * What the list holds, for its description (`the products`: the noun's plural unless told); every list answers
   * `{ data, next_cursor }`.
   */
  plural?: string;
  /** The contracts, registered as Admin<Noun>, Admin<Noun>Create and Admin<Noun>Patch. */
  schemas: { view: V; create: C; patch: P };
  /** The descriptions of the create and patch contracts, where they have one. */
  describe?: { create?: string; patch?: string };
  query?: Q;
  /** The summaries of create, patch and remove, and the list's order (`Every <noun>, <list>`); the read's is `One <noun>`. */
  summaries: { create: string; list: string; patch: string; remove: string };
  /** The extra 409 of DELETE (a product a bundle names). */
  removeConflicts?: boolean;
}

/** A contract registered under its component name, with its description when it has one. */
const named = <T extends z.ZodType>(schema: T, name: string, description?: string) =>
  description === undefined ? schema.openapi(name) : schema.openapi(name, { description });

/**
 * POST /, GET /, GET /{key}, PATCH /{key}, DELETE /{key} for one admin resource: its noun (`pricing rule`, which
 * names its contracts: AdminPricingRule…) and its store of the app's services (services/admin-commercial.ts).
 */
function crudRoutes<V extends z.ZodType, C extends z.ZodType, P extends z.ZodType, Q extends z.ZodObject>(
  noun: string,
  store: (admin: AdminCommercial) => AdminStore<z.infer<V>, z.output<C>, z.output<P>, z.output<Q>>,
  spec: CrudSpec<V, C, P, Q>,
) {
  const key = spec.key ?? 'code';
  const component = `Admin${noun.replace(/(?:^| )(\w)/g, (_, letter: string) => letter.toUpperCase())}`;
  const view = named(spec.schemas.view, component);
  const create = named(spec.schemas.create, `${component}Create`, spec.describe?.create);
  const patch = named(spec.schemas.patch, `${component}Patch`, spec.describe?.patch);
  const params = keyParam(key);
  const keyOf = (p: Record<string, string>) => p[key]!;
  /** A validated input; the factory's generics, not Hono's route inference, carry its type. */
  const input = <T = Record<string, string>>(c: { req: { valid: (target: never) => unknown } }, target: string) =>
    c.req.valid(target as never) as T;
  const storeOf = (c: { get(k: 'deps'): { services: { admin: AdminCommercial } } }) =>
    store(c.get('deps').services.admin);
  async function found(resources: ReturnType<typeof storeOf>, id: string) {
    const resource = await resources.get(id);
    if (resource === undefined) throw new DomainError('NOT_FOUND', `${resources.noun} ${id} was not found`);
    return resource;
  }
  const router = createRouter();
  router.use('*', requireAuth, requireRole('admin'));
  return router
    .openapi(
      route('post', '/', {
        summary: spec.summaries.create,
        request: { body: body(create) },
        responses: {
          201: json(view, 'created'),
          ...errors(400, 409),
          ...authErrors,
        },
      }),
      async (c) => c.json((await storeOf(c).create(input<z.output<C>>(c, 'json'))) as z.infer<V>, 201),
    )
    .openapi(
      route('get', '/', {
        summary: `Every ${noun}, ${spec.summaries.list}`,
        request: spec.query ? { query: spec.query } : {},
        responses: {
          200: json(
            z.object({
              data: z.array(view),
              next_cursor: z.null().openapi({ description: 'always null: one page holds them all' }),
            }),
            `the ${spec.plural ?? `${noun}s`}`,
          ),
          ...(spec.query ? errors(400) : {}),
          ...authErrors,
        },
      }),
      async (c) => {
        const query = spec.query ? input<z.output<Q>>(c, 'query') : ({} as z.output<Q>);
        return c.json({ data: await storeOf(c).list(query), next_cursor: null }, 200);
      },
    )
    .openapi(
      route('get', `/{${key}}`, {
        summary: `One ${noun}`,
        request: { params },
        responses: { 200: json(view, 'found'), ...errors(404), ...authErrors },
      }),
      async (c) => c.json((await found(storeOf(c), keyOf(input(c, 'param')))) as z.infer<V>, 200),
    )
    .openapi(
      route('patch', `/{${key}}`, {
        summary: spec.summaries.patch,
        request: { params, body: body(patch) },
        responses: { 200: json(view, 'changed'), ...errors(400, 404), ...authErrors },
      }),
      async (c) => {
        const resources = storeOf(c);
        const id = keyOf(input(c, 'param'));
        await found(resources, id);
        return c.json((await resources.update(id, input<z.output<P>>(c, 'json'))) as z.infer<V>, 200);
      },
    )
    .openapi(
      route('delete', `/{${key}}`, {
        summary: spec.summaries.remove,
        request: { params },
        responses: {
          204: { description: 'deleted' },
          ...errors(...(spec.removeConflicts ? [404, 409] : [404])),
          ...authErrors,
        },
      }),
      async (c) => {
        const resources = storeOf(c);
        const id = keyOf(input(c, 'param'));
        await found(resources, id);
        await resources.remove(id);
        return c.body(null, 204);
      },
    );
}

export const adminProducts = crudRoutes('product', (admin) => admin.products, {
  schemas: {
    view: s.product.extend({ price: s.product.shape.price.openapi({ description: 'minor units' }) }),
    create: s.productCreate,
    patch: s.productPatch,
  },
  query: s.productQuery,
  removeConflicts: true,
  summaries: {
    create: 'Create a product',
    list: 'by code',
    patch: 'Change a product (active=false withdraws it from offers)',
    remove: 'Delete a product no bundle names (else 409: deactivate it with PATCH active=false)',
  },
});

export const adminBundles = crudRoutes('bundle', (admin) => admin.bundles, {
  schemas: { view: s.bundle, create: s.bundleCreate, patch: s.bundlePatch },
  summaries: {
    create: 'Create a bundle (offered from the next search)',
    list: 'in offer order',
    patch: 'Change a bundle',
    remove: 'Delete a bundle (no longer offered from the next search)',
  },
});

export const adminPricingRules = crudRoutes('pricing rule', (admin) => admin.pricingRules, {
  key: 'id',
  plural: 'rules',
  schemas: { view: s.rule, create: s.ruleCreate, patch: s.rulePatch },
  describe: {
    create: 'a [pricing].rules entry of the config, plus position/active',
    patch: 'fields of the rule; the result must be a valid rule of its kind',
  },
  summaries: {
    create: 'Create a pricing rule (applies from the next search, after the existing rules unless positioned)',
    list: 'in the order they apply',
    patch: 'Change a pricing rule (the result is validated as a whole)',
    remove: 'Delete a pricing rule (prices without it from the next search)',
  },
});
