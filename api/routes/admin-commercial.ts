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
  /** The store of the app's services (services/admin-commercial.ts). */
  store: (admin: AdminCommercial) => AdminStore<z.infer<V>, z.output<C>, z.output<P>, z.output<Q>>;
  key: 'code' | 'id';
  /** One of them, for the summaries (`One product`, `Every product, by code`). */
  noun: string;
  /** What the list holds, for its description (`the products`); every list answers `{ data, next_cursor }`. */
  plural: string;
  /** The order of the list, for its summary: `by code`. */
  listOrder: string;
  view: V;
  create: C;
  patch: P;
  query?: Q;
  summaries: { create: string; patch: string; remove: string };
  /** The extra 409 of DELETE (a product a bundle names). */
  removeConflicts?: boolean;
}

/** POST /, GET /, GET /{key}, PATCH /{key}, DELETE /{key} for one admin resource. */
function crudRoutes<V extends z.ZodType, C extends z.ZodType, P extends z.ZodType, Q extends z.ZodObject>(
  spec: CrudSpec<V, C, P, Q>,
) {
  const params = keyParam(spec.key);
  const keyOf = (p: Record<string, string>) => p[spec.key]!;
  /** A validated input; the factory's generics, not Hono's route inference, carry its type. */
  const input = <T = Record<string, string>>(c: { req: { valid: (target: never) => unknown } }, target: string) =>
    c.req.valid(target as never) as T;
  const storeOf = (c: { get(k: 'deps'): { services: { admin: AdminCommercial } } }) =>
    spec.store(c.get('deps').services.admin);
  async function found(store: ReturnType<typeof storeOf>, key: string) {
    const view = await store.get(key);
    if (view === undefined) throw new DomainError('NOT_FOUND', `${store.noun} ${key} was not found`);
    return view;
  }
  const router = createRouter();
  router.use('*', requireAuth, requireRole('admin'));
  return router
    .openapi(
      route('post', '/', {
        summary: spec.summaries.create,
        request: { body: body(spec.create) },
        responses: {
          201: json(spec.view, 'created'),
          ...errors(400, 409),
          ...authErrors,
        },
      }),
      async (c) => c.json((await storeOf(c).create(input<z.output<C>>(c, 'json'))) as z.infer<V>, 201),
    )
    .openapi(
      route('get', '/', {
        summary: `Every ${spec.noun}, ${spec.listOrder}`,
        request: spec.query ? { query: spec.query } : {},
        responses: {
          200: json(
            z.object({
              data: z.array(spec.view),
              next_cursor: z.null().openapi({ description: 'always null: one page holds them all' }),
            }),
            `the ${spec.plural}`,
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
      route('get', `/{${spec.key}}`, {
        summary: `One ${spec.noun}`,
        request: { params },
        responses: { 200: json(spec.view, 'found'), ...errors(404), ...authErrors },
      }),
      async (c) => c.json((await found(storeOf(c), keyOf(input(c, 'param')))) as z.infer<V>, 200),
    )
    .openapi(
      route('patch', `/{${spec.key}}`, {
        summary: spec.summaries.patch,
        request: { params, body: body(spec.patch) },
        responses: { 200: json(spec.view, 'changed'), ...errors(400, 404), ...authErrors },
      }),
      async (c) => {
        const store = storeOf(c);
        const key = keyOf(input(c, 'param'));
        await found(store, key);
        return c.json((await store.update(key, input<z.output<P>>(c, 'json'))) as z.infer<V>, 200);
      },
    )
    .openapi(
      route('delete', `/{${spec.key}}`, {
        summary: spec.summaries.remove,
        request: { params },
        responses: {
          204: { description: 'deleted' },
          ...errors(...(spec.removeConflicts ? [404, 409] : [404])),
          ...authErrors,
        },
      }),
      async (c) => {
        const store = storeOf(c);
        const key = keyOf(input(c, 'param'));
        await found(store, key);
        await store.remove(key);
        return c.body(null, 204);
      },
    );
}

export const adminProducts = crudRoutes({
  store: (admin) => admin.products,
  key: 'code',
  noun: 'product',
  plural: 'products',
  listOrder: 'by code',
  view: s.product
    .extend({ price: s.product.shape.price.openapi({ description: 'minor units' }) })
    .openapi('AdminProduct'),
  create: s.productCreate.openapi('AdminProductCreate'),
  patch: s.productPatch.openapi('AdminProductPatch'),
  query: s.productQuery,
  removeConflicts: true,
  summaries: {
    create: 'Create a product',
    patch: 'Change a product (active=false withdraws it from offers)',
    remove: 'Delete a product no bundle names (else 409: deactivate it with PATCH active=false)',
  },
});

export const adminBundles = crudRoutes({
  store: (admin) => admin.bundles,
  key: 'code',
  noun: 'bundle',
  plural: 'bundles',
  listOrder: 'in offer order',
  view: s.bundle.openapi('AdminBundle'),
  create: s.bundleCreate.openapi('AdminBundleCreate'),
  patch: s.bundlePatch.openapi('AdminBundlePatch'),
  summaries: {
    create: 'Create a bundle (offered from the next search)',
    patch: 'Change a bundle',
    remove: 'Delete a bundle (no longer offered from the next search)',
  },
});

export const adminPricingRules = crudRoutes({
  store: (admin) => admin.pricingRules,
  key: 'id',
  noun: 'pricing rule',
  plural: 'rules',
  listOrder: 'in the order they apply',
  view: s.rule.openapi('AdminPricingRule'),
  create: s.ruleCreate.openapi('AdminPricingRuleCreate', {
    description: 'a [pricing].rules entry of the config, plus position/active',
  }),
  patch: s.rulePatch.openapi('AdminPricingRulePatch', {
    description: 'fields of the rule; the result must be a valid rule of its kind',
  }),
  summaries: {
    create: 'Create a pricing rule (applies from the next search, after the existing rules unless positioned)',
    patch: 'Change a pricing rule (the result is validated as a whole)',
    remove: 'Delete a pricing rule (prices without it from the next search)',
  },
});
