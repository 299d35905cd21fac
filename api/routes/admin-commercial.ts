/**
 * The commercial catalog for admins: /v1/admin/products (the products table), /v1/admin/bundles and
 * /v1/admin/pricing-rules (tables `bundles` and `pricing_rules`, read by the offer engine and the catalog through
 * db/commercial-settings.ts). Bundles and rules are validated with the config's own schemas (config/index.ts).
 * The first write to an empty bundles or rules table copies the config's defaults in first, so that adding one
 * rule never silently drops the configured ones.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { bundleSchema, ruleSchema, type PricingRuleConfig } from '../../config';
import {
  bundleFromRow,
  bundlesUsingProduct,
  bundleToRow,
  invalidateCommercialSettings,
  ruleFromRow,
  ruleToRow,
  seedCommercialSettings,
  type BundleRow,
  type PricingRuleRow,
} from '../../services/commercial-settings';
import { bundles, pricingRules, productType, products } from '../../db/schema';
import { DomainError } from '../../domain/errors';
import type { ApiDeps } from '../deps';
import { requireAuth, requireRole } from '../middleware/auth';
import { bearerAuth, errorResponses } from '../openapi';
import { createRouter } from '../router';
import { isUniqueViolation } from './admin-flights';

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const body = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });
const common = { tags: ['admin'], security: bearerAuth };
const authErrors = errorResponses(401, 403);
const nonEmpty = (b: object) => Object.keys(b).length > 0;
const invalid = (path: string, message: string) =>
  new DomainError('VALIDATION_FAILED', `${path} ${message}`, { issues: [{ path, message }] });

// ---------------------------------------------------------------------------------------------------------------
// Products

const codeParam = z.object({
  code: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'code', in: 'path' } }),
});
const productFields = {
  type: z.enum(productType.enumValues),
  name: z.string().min(1).max(200),
  description: z.string().max(2000),
  price: z.number().int().min(0).openapi({ description: 'minor units' }),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
  per: z.enum(['SEGMENT', 'ORDER']),
  rfic: z.string().regex(/^[A-Z]$/, 'must be one letter'),
  rfisc: z.string().regex(/^[0-9A-Z]{3}$/, 'must be three letters or digits'),
  active: z.boolean(),
};
const product = z.object({ code: z.string(), ...productFields }).openapi('AdminProduct');
const productCreate = z
  .strictObject({
    code: z.string().regex(/^[A-Z0-9_]{2,40}$/, 'must be 2 to 40 of A-Z, 0-9 and _'),
    type: productFields.type,
    name: productFields.name,
    description: productFields.description.optional(),
    price: productFields.price,
    currency: productFields.currency.optional(),
    per: productFields.per.optional(),
    rfic: productFields.rfic.optional(),
    rfisc: productFields.rfisc.optional(),
    active: productFields.active.optional(),
  })
  .openapi('AdminProductCreate');
const productPatch = z
  .strictObject({
    type: productFields.type.optional(),
    name: productFields.name.optional(),
    description: productFields.description.optional(),
    price: productFields.price.optional(),
    currency: productFields.currency.optional(),
    per: productFields.per.optional(),
    rfic: productFields.rfic.optional(),
    rfisc: productFields.rfisc.optional(),
    active: productFields.active.optional(),
  })
  .refine(nonEmpty, 'nothing to change')
  .openapi('AdminProductPatch');

type ProductRow = typeof products.$inferSelect;
const productView = (p: ProductRow) => ({
  code: p.code,
  type: p.type,
  name: p.name,
  description: p.description,
  price: p.price,
  currency: p.currency,
  per: p.per,
  rfic: p.rfic,
  rfisc: p.rfisc,
  active: p.active,
});

async function productOr404(deps: ApiDeps, code: string) {
  const [row] = await deps.db.select().from(products).where(eq(products.code, code));
  if (!row) throw new DomainError('NOT_FOUND', `product ${code} was not found`);
  return row;
}

const productRouter = createRouter();
productRouter.use('*', requireAuth, requireRole('admin'));

export const adminProducts = productRouter
  .openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/',
      summary: 'Create a product',
      request: { body: body(productCreate) },
      responses: { 201: json(product, 'the product'), ...errorResponses(400, 409), ...authErrors },
    }),
    async (c) => {
      const deps = c.get('deps');
      const b = c.req.valid('json');
      try {
        const [row] = await deps.db
          .insert(products)
          .values({ ...b, currency: b.currency ?? deps.config.pricing.currency })
          .returning();
        return c.json(productView(row!), 201);
      } catch (err) {
        if (isUniqueViolation(err)) throw new DomainError('CONFLICT', `product ${b.code} already exists`);
        throw err;
      }
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/',
      summary: 'Every product, by code',
      request: {
        query: z.object({
          type: z.enum(productType.enumValues).optional(),
          active: z.enum(['true', 'false']).optional(),
        }),
      },
      responses: {
        200: json(z.object({ products: z.array(product) }), 'the products'),
        ...errorResponses(400),
        ...authErrors,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await c
        .get('deps')
        .db.select()
        .from(products)
        .where(
          and(
            q.type ? eq(products.type, q.type) : undefined,
            q.active ? eq(products.active, q.active === 'true') : undefined,
          ),
        )
        .orderBy(asc(products.code));
      return c.json({ products: rows.map(productView) }, 200);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/{code}',
      summary: 'One product',
      request: { params: codeParam },
      responses: { 200: json(product, 'the product'), ...errorResponses(404), ...authErrors },
    }),
    async (c) => c.json(productView(await productOr404(c.get('deps'), c.req.valid('param').code)), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: 'patch',
      path: '/{code}',
      summary: 'Change a product (active=false withdraws it from offers)',
      request: { params: codeParam, body: body(productPatch) },
      responses: { 200: json(product, 'the product'), ...errorResponses(400, 404), ...authErrors },
    }),
    async (c) => {
      const deps = c.get('deps');
      const { code } = c.req.valid('param');
      await productOr404(deps, code);
      const [row] = await deps.db.update(products).set(c.req.valid('json')).where(eq(products.code, code)).returning();
      return c.json(productView(row!), 200);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: 'delete',
      path: '/{code}',
      summary: 'Delete a product no bundle names (else 409: deactivate it with PATCH active=false)',
      request: { params: codeParam },
      responses: { 204: { description: 'deleted' }, ...errorResponses(404, 409), ...authErrors },
    }),
    async (c) => {
      const deps = c.get('deps');
      const { code } = c.req.valid('param');
      await productOr404(deps, code);
      const [anyBundle] = await deps.db.select({ code: bundles.code }).from(bundles).limit(1);
      const users = anyBundle
        ? await bundlesUsingProduct(deps.db, code)
        : deps.config.bundles.filter((b) => b.products.includes(code)).map((b) => b.code);
      if (users.length > 0) {
        throw new DomainError('CONFLICT', `product ${code} is in bundles ${users.join(', ')}`, { bundles: users });
      }
      await deps.db.delete(products).where(eq(products.code, code));
      return c.body(null, 204);
    },
  );

// ---------------------------------------------------------------------------------------------------------------
// Bundles

const placement = { position: z.number().int().min(0).optional(), active: z.boolean().optional() };
const bundle = z
  .object({
    code: z.string(),
    name: z.string(),
    products: z.array(z.string()),
    discount_percent: z.number(),
    position: z.number().int(),
    active: z.boolean(),
  })
  .openapi('AdminBundle');
const bundleCreate = bundleSchema.extend(placement).strict().openapi('AdminBundleCreate');
const bundlePatch = z
  .strictObject({
    name: bundleSchema.shape.name.optional(),
    products: bundleSchema.shape.products.optional(),
    discount_percent: bundleSchema.shape.discount_percent.optional(),
    ...placement,
  })
  .refine(nonEmpty, 'nothing to change')
  .openapi('AdminBundlePatch');
const bundleView = (r: BundleRow) => ({ ...bundleFromRow(r), position: r.position, active: r.active });

/** Copies the config's defaults into empty tables before an admin write or read (idempotent). */
const ensureSeeded = (deps: ApiDeps) => seedCommercialSettings(deps.db, deps.config);

async function checkProducts(deps: ApiDeps, codes: string[]) {
  if (new Set(codes).size !== codes.length) throw invalid('products', 'lists a product twice');
  if (codes.length === 0) return;
  const found = await deps.db.select({ code: products.code }).from(products).where(inArray(products.code, codes));
  const missing = codes.filter((code) => !found.some((f) => f.code === code));
  if (missing.length > 0) throw invalid('products', `names unknown products: ${missing.join(', ')}`);
}

async function bundleOr404(deps: ApiDeps, code: string) {
  const [row] = await deps.db.select().from(bundles).where(eq(bundles.code, code));
  if (!row) throw new DomainError('NOT_FOUND', `bundle ${code} was not found`);
  return row;
}

const nextPosition = async (deps: ApiDeps, table: typeof bundles | typeof pricingRules) => {
  const rows = await deps.db.select({ position: table.position }).from(table);
  return rows.reduce((max, r) => Math.max(max, r.position + 1), 0);
};

const bundleRouter = createRouter();
bundleRouter.use('*', requireAuth, requireRole('admin'));

export const adminBundles = bundleRouter
  .openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/',
      summary: 'Create a bundle (offered from the next search)',
      request: { body: body(bundleCreate) },
      responses: { 201: json(bundle, 'the bundle'), ...errorResponses(400, 409), ...authErrors },
    }),
    async (c) => {
      const deps = c.get('deps');
      const { position, active, ...b } = c.req.valid('json');
      await checkProducts(deps, b.products);
      await ensureSeeded(deps);
      try {
        const [row] = await deps.db
          .insert(bundles)
          .values(bundleToRow(b, position ?? (await nextPosition(deps, bundles)), active ?? true))
          .returning();
        invalidateCommercialSettings();
        return c.json(bundleView(row!), 201);
      } catch (err) {
        if (isUniqueViolation(err)) throw new DomainError('CONFLICT', `bundle ${b.code} already exists`);
        throw err;
      }
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/',
      summary: 'Every bundle, in offer order',
      responses: { 200: json(z.object({ bundles: z.array(bundle) }), 'the bundles'), ...authErrors },
    }),
    async (c) => {
      const deps = c.get('deps');
      await ensureSeeded(deps);
      const rows = await deps.db.select().from(bundles).orderBy(asc(bundles.position), asc(bundles.code));
      return c.json({ bundles: rows.map(bundleView) }, 200);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/{code}',
      summary: 'One bundle',
      request: { params: codeParam },
      responses: { 200: json(bundle, 'the bundle'), ...errorResponses(404), ...authErrors },
    }),
    async (c) => {
      const deps = c.get('deps');
      await ensureSeeded(deps);
      return c.json(bundleView(await bundleOr404(deps, c.req.valid('param').code)), 200);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: 'patch',
      path: '/{code}',
      summary: 'Change a bundle',
      request: { params: codeParam, body: body(bundlePatch) },
      responses: { 200: json(bundle, 'the bundle'), ...errorResponses(400, 404), ...authErrors },
    }),
    async (c) => {
      const deps = c.get('deps');
      const { code } = c.req.valid('param');
      const b = c.req.valid('json');
      await ensureSeeded(deps);
      await bundleOr404(deps, code);
      if (b.products) await checkProducts(deps, b.products);
      const [row] = await deps.db
        .update(bundles)
        .set({
          ...(b.name !== undefined ? { name: b.name } : {}),
          ...(b.products !== undefined ? { products: b.products } : {}),
          ...(b.discount_percent !== undefined ? { discountPercent: b.discount_percent } : {}),
          ...(b.position !== undefined ? { position: b.position } : {}),
          ...(b.active !== undefined ? { active: b.active } : {}),
        })
        .where(eq(bundles.code, code))
        .returning();
      invalidateCommercialSettings();
      return c.json(bundleView(row!), 200);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: 'delete',
      path: '/{code}',
      summary: 'Delete a bundle (no longer offered from the next search)',
      request: { params: codeParam },
      responses: { 204: { description: 'deleted' }, ...errorResponses(404), ...authErrors },
    }),
    async (c) => {
      const deps = c.get('deps');
      const { code } = c.req.valid('param');
      await ensureSeeded(deps);
      await bundleOr404(deps, code);
      await deps.db.delete(bundles).where(eq(bundles.code, code));
      invalidateCommercialSettings();
      return c.body(null, 204);
    },
  );

// ---------------------------------------------------------------------------------------------------------------
// Pricing rules

const idParam = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' } }),
});
const rule = z
  .object({
    id: z.string(),
    kind: z.enum(['sale', 'discount', 'surcharge']),
    name: z.string(),
    percent: z.number().optional(),
    amount: z.number().int().optional(),
    routes: z.array(z.string()).optional(),
    cabins: z.array(z.string()).optional(),
    starts_at: z.string().optional(),
    ends_at: z.string().optional(),
    position: z.number().int(),
    active: z.boolean(),
  })
  .openapi('AdminPricingRule');
const ruleCreate = z
  .intersection(ruleSchema, z.object(placement))
  .openapi('AdminPricingRuleCreate', { description: 'a [pricing].rules entry of the config, plus position/active' });
const rulePatch = z
  .strictObject({
    name: z.string().optional(),
    percent: z.number().optional(),
    amount: z.number().optional(),
    routes: z.array(z.string()).nullable().optional(),
    cabins: z.array(z.string()).nullable().optional(),
    starts_at: z.string().optional(),
    ends_at: z.string().optional(),
    ...placement,
  })
  .refine(nonEmpty, 'nothing to change')
  .openapi('AdminPricingRulePatch', { description: 'fields of the rule; the result must be a valid rule of its kind' });
const ruleView = (r: PricingRuleRow) => ({ ...ruleFromRow(r), position: r.position, active: r.active });

function checkRule(r: PricingRuleConfig) {
  if (r.kind === 'sale' && Date.parse(r.ends_at) <= Date.parse(r.starts_at)) {
    throw invalid('ends_at', 'must be after starts_at');
  }
}

async function ruleOr404(deps: ApiDeps, id: string) {
  const [row] = await deps.db.select().from(pricingRules).where(eq(pricingRules.id, id));
  if (!row) throw new DomainError('NOT_FOUND', `pricing rule ${id} was not found`);
  return row;
}

const ruleRouter = createRouter();
ruleRouter.use('*', requireAuth, requireRole('admin'));

export const adminPricingRules = ruleRouter
  .openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/',
      summary: 'Create a pricing rule (applies from the next search, after the existing rules unless positioned)',
      request: { body: body(ruleCreate) },
      responses: { 201: json(rule, 'the rule'), ...errorResponses(400, 409), ...authErrors },
    }),
    async (c) => {
      const deps = c.get('deps');
      const { position, active, ...rest } = c.req.valid('json');
      const parsed = ruleSchema.safeParse(rest); // drops keys of other kinds
      if (!parsed.success) throw invalid('body', 'is not a valid rule');
      checkRule(parsed.data);
      await ensureSeeded(deps);
      try {
        const [row] = await deps.db
          .insert(pricingRules)
          .values(ruleToRow(parsed.data, position ?? (await nextPosition(deps, pricingRules)), active ?? true))
          .returning();
        invalidateCommercialSettings();
        return c.json(ruleView(row!), 201);
      } catch (err) {
        if (isUniqueViolation(err)) throw new DomainError('CONFLICT', `pricing rule ${parsed.data.id} already exists`);
        throw err;
      }
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/',
      summary: 'Every pricing rule, in the order they apply',
      responses: { 200: json(z.object({ rules: z.array(rule) }), 'the rules'), ...authErrors },
    }),
    async (c) => {
      const deps = c.get('deps');
      await ensureSeeded(deps);
      const rows = await deps.db.select().from(pricingRules).orderBy(asc(pricingRules.position), asc(pricingRules.id));
      return c.json({ rules: rows.map(ruleView) }, 200);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/{id}',
      summary: 'One pricing rule',
      request: { params: idParam },
      responses: { 200: json(rule, 'the rule'), ...errorResponses(404), ...authErrors },
    }),
    async (c) => {
      const deps = c.get('deps');
      await ensureSeeded(deps);
      return c.json(ruleView(await ruleOr404(deps, c.req.valid('param').id)), 200);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: 'patch',
      path: '/{id}',
      summary: 'Change a pricing rule (the result is validated as a whole)',
      request: { params: idParam, body: body(rulePatch) },
      responses: { 200: json(rule, 'the rule'), ...errorResponses(400, 404), ...authErrors },
    }),
    async (c) => {
      const deps = c.get('deps');
      const { id } = c.req.valid('param');
      const { position, active, ...changes } = c.req.valid('json');
      await ensureSeeded(deps);
      const current = await ruleOr404(deps, id);
      const merged: Record<string, unknown> = { ...ruleFromRow(current), ...changes };
      for (const k of ['routes', 'cabins']) if (merged[k] === null) delete merged[k];
      const parsed = ruleSchema.safeParse(merged);
      if (!parsed.success) {
        throw new DomainError('VALIDATION_FAILED', 'the changed rule is not valid', {
          issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code })),
        });
      }
      checkRule(parsed.data);
      const row = ruleToRow(parsed.data, position ?? current.position, active ?? current.active);
      const [updated] = await deps.db.update(pricingRules).set(row).where(eq(pricingRules.id, id)).returning();
      invalidateCommercialSettings();
      return c.json(ruleView(updated!), 200);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a pricing rule (prices without it from the next search)',
      request: { params: idParam },
      responses: { 204: { description: 'deleted' }, ...errorResponses(404), ...authErrors },
    }),
    async (c) => {
      const deps = c.get('deps');
      const { id } = c.req.valid('param');
      await ensureSeeded(deps);
      await ruleOr404(deps, id);
      await deps.db.delete(pricingRules).where(eq(pricingRules.id, id));
      invalidateCommercialSettings();
      return c.body(null, 204);
    },
  );
