/**
 * The admin side of the commercial catalog (api/routes/admin-commercial.ts): products, bundles and pricing rules
 * read and written in their tables, with the contracts derived from those tables (drizzle-zod). Bundles and rules
 * speak the config's shapes (config/index.ts `bundleSchema`, `ruleSchema`) plus their placement columns; the first
 * write to an empty bundles or rules table copies the config's defaults in first (`seedCommercialDefaults`), so
 * that adding one rule never silently drops the configured ones. A row an admin creates or changes is the admin's
 * (source 'admin'): the seed never overwrites it. Every write invalidates the commercial cache.
 */
import { and, asc, eq, inArray, type SQL } from 'drizzle-orm';
import { createInsertSchema, createSelectSchema, createUpdateSchema } from 'drizzle-zod';
// zod as @hono/zod-openapi extends it: schemas built before that extension would lack `.openapi()`, which the
// routes name them with.
import { z } from '@hono/zod-openapi';
import {
  bundleSchema,
  conditionsSchema,
  minorAmount,
  ruleSchema,
  type AppConfig,
  type BundleConfig,
  type PricingRuleConfig,
} from '../config';
import type { Database } from '../db/client';
import { bundles, pricingRules, products } from '../db/schema';
import { DomainError } from '../domain/errors';
import {
  bundleFromRow,
  bundlesUsingProduct,
  bundleToRow,
  invalidateCommercialSettings,
  ruleFromRow,
  ruleToRow,
  type Placement,
  seedCommercialDefaults,
  type BundleRow,
  type PricingRuleRow,
} from './commercial-settings';

const nonEmpty = (b: object) => Object.keys(b).length > 0;
const invalid = (path: string, message: string) =>
  new DomainError('VALIDATION_FAILED', `${path} ${message}`, { issues: [{ path, message }] });

// ---------------------------------------------------------------------------------------------------------------
// Contracts

const productRules = {
  code: () => z.string().regex(/^[A-Z0-9_]{2,40}$/, 'must be 2 to 40 of A-Z, 0-9 and _'),
  name: () => z.string().min(1).max(200),
  description: () => z.string().max(2000),
  price: () => minorAmount,
  currency: () => z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
  rfic: () => z.string().regex(/^[A-Z]$/, 'must be one letter'),
  rfisc: () => z.string().regex(/^[0-9A-Z]{3}$/, 'must be three letters or digits'),
};
const productInsert = createInsertSchema(products, productRules);
/** The placement columns of bundles and rules, from the bundles table (the rules table has the same). */
const placementShape = createInsertSchema(bundles, { position: (s) => s.min(0) })
  .pick({ position: true, active: true })
  .partial().shape;

export const adminSchemas = {
  product: createSelectSchema(products),
  /** currency optional: the configured pricing currency when left out. */
  productCreate: productInsert.extend({ currency: productInsert.shape.currency.optional() }),
  productPatch: createUpdateSchema(products, productRules).omit({ code: true }).refine(nonEmpty, 'nothing to change'),
  productQuery: z.object({
    type: productInsert.shape.type.optional(),
    active: z.enum(['true', 'false']).optional(),
  }),
  bundle: bundleSchema.extend(createSelectSchema(bundles).pick({ position: true, active: true }).shape),
  bundleCreate: bundleSchema.extend(placementShape).strict(),
  bundlePatch: z
    .strictObject({
      name: bundleSchema.shape.name.optional(),
      products: bundleSchema.shape.products.optional(),
      discount_percent: bundleSchema.shape.discount_percent.optional(),
      conditions: conditionsSchema.nullable().optional(),
      ...placementShape,
    })
    .refine(nonEmpty, 'nothing to change'),
  rule: z.object({
    id: z.string(),
    kind: createSelectSchema(pricingRules).shape.kind,
    name: z.string(),
    percent: z.number().optional(),
    amount: minorAmount.optional(),
    routes: z.array(z.string()).optional(),
    cabins: z.array(z.string()).optional(),
    starts_at: z.string().optional(),
    ends_at: z.string().optional(),
    ...createSelectSchema(pricingRules).pick({ position: true, active: true }).shape,
  }),
  ruleCreate: z.intersection(ruleSchema, z.object(placementShape)),
  rulePatch: z
    .strictObject({
      name: z.string().optional(),
      percent: z.number().min(0).max(100).optional(),
      amount: minorAmount.optional(),
      routes: z.array(z.string()).nullable().optional(),
      cabins: z.array(z.string()).nullable().optional(),
      starts_at: z.string().optional(),
      ends_at: z.string().optional(),
      ...placementShape,
    })
    .refine(nonEmpty, 'nothing to change'),
};

type Product = z.infer<typeof adminSchemas.product>;
type Bundle = z.infer<typeof adminSchemas.bundle>;
type Rule = z.infer<typeof adminSchemas.rule>;

// ---------------------------------------------------------------------------------------------------------------
// Stores

/** One admin resource: what the CRUD routes call. `get` answers undefined for an unknown key. */
export interface AdminStore<View, Create, Patch, Query = object> {
  /** "product", "bundle", "pricing rule": in the 404 and 409 messages. */
  noun: string;
  list(query: Query): Promise<View[]>;
  get(key: string): Promise<View | undefined>;
  create(body: Create): Promise<View>;
  update(key: string, patch: Patch): Promise<View>;
  remove(key: string): Promise<void>;
}

function isUniqueViolation(err: unknown): boolean {
  for (let e = err as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === '23505') return true;
  }
  return false;
}

/** Inserts, answering 409 when the key is taken. */
async function insertOnce<T>(noun: string, key: string, insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError('CONFLICT', `${noun} ${key} already exists`);
    throw err;
  }
}

const productView = (p: typeof products.$inferSelect): Product => ({ ...p });
const bundleView = (r: BundleRow): Bundle => ({ ...bundleFromRow(r), position: r.position, active: r.active });
const ruleView = (r: PricingRuleRow): Rule => ({ ...ruleFromRow(r), position: r.position, active: r.active });

function checkRule(r: PricingRuleConfig) {
  if (r.kind === 'sale' && Date.parse(r.ends_at) <= Date.parse(r.starts_at)) {
    throw invalid('ends_at', 'must be after starts_at');
  }
}

export function createAdminCommercial(deps: { db: Database; config: AppConfig }) {
  const { db, config } = deps;
  /** Copies the config's defaults into empty tables before an admin write or read (idempotent). */
  const ensureSeeded = () => seedCommercialDefaults(db, config);
  const nextPosition = async (table: typeof bundles | typeof pricingRules) => {
    const rows = await db.select({ position: table.position }).from(table);
    return rows.reduce((max, r) => Math.max(max, r.position + 1), 0);
  };
  /** An admin's bundle or rule: where it asks to stand, else where it stood (`was`), else last; active unless told. */
  const placed = async (
    table: typeof bundles | typeof pricingRules,
    asked: { position?: number | undefined; active?: boolean | undefined },
    was?: { position: number; active: boolean },
  ): Promise<Placement> => ({
    position: asked.position ?? was?.position ?? (await nextPosition(table)),
    active: asked.active ?? was?.active ?? true,
    source: 'admin',
  });
  /**
   * `list` (in position order, then by key) and `get` (by key) of a positioned table: the bundles or the pricing
   * rules, which start as the config's (copied in before the first read).
   */
  function positionedReads<T extends typeof bundles | typeof pricingRules, V>(
    table: T,
    key: T extends typeof bundles ? typeof bundles.code : typeof pricingRules.id,
    view: (row: T['$inferSelect']) => V,
  ) {
    const rows = (where?: SQL) =>
      db
        .select()
        .from(table as typeof bundles)
        .where(where)
        .orderBy(asc(table.position), asc(key)) as Promise<T['$inferSelect'][]>;
    return {
      async list() {
        await ensureSeeded();
        return (await rows()).map(view);
      },
      async get(k: string) {
        await ensureSeeded();
        const [row] = await rows(eq(key, k));
        return row && view(row);
      },
    };
  }
  async function checkProducts(codes: string[]) {
    if (new Set(codes).size !== codes.length) throw invalid('products', 'lists a product twice');
    if (codes.length === 0) return;
    const found = await db.select({ code: products.code }).from(products).where(inArray(products.code, codes));
    const missing = codes.filter((code) => !found.some((f) => f.code === code));
    if (missing.length > 0) throw invalid('products', `names unknown products: ${missing.join(', ')}`);
  }

  const productStore: AdminStore<
    Product,
    z.infer<typeof adminSchemas.productCreate>,
    z.infer<typeof adminSchemas.productPatch>,
    z.infer<typeof adminSchemas.productQuery>
  > = {
    noun: 'product',
    async list(q) {
      const rows = await db
        .select()
        .from(products)
        .where(
          and(
            q.type ? eq(products.type, q.type) : undefined,
            q.active ? eq(products.active, q.active === 'true') : undefined,
          ),
        )
        .orderBy(asc(products.code));
      return rows.map(productView);
    },
    async get(code) {
      const [row] = await db.select().from(products).where(eq(products.code, code));
      return row && productView(row);
    },
    async create(b) {
      const [row] = await insertOnce('product', b.code, () =>
        db
          .insert(products)
          .values({ ...b, currency: b.currency ?? config.pricing.currency })
          .returning(),
      );
      return productView(row!);
    },
    async update(code, patch) {
      const [row] = await db.update(products).set(patch).where(eq(products.code, code)).returning();
      return productView(row!);
    },
    async remove(code) {
      const [anyBundle] = await db.select({ code: bundles.code }).from(bundles).limit(1);
      const users = anyBundle
        ? await bundlesUsingProduct(db, code)
        : config.bundles.filter((b) => b.products.includes(code)).map((b) => b.code);
      if (users.length > 0) {
        throw new DomainError('CONFLICT', `product ${code} is in bundles ${users.join(', ')}`, { bundles: users });
      }
      await db.delete(products).where(eq(products.code, code));
    },
  };

  const bundleStore: AdminStore<
    Bundle,
    z.infer<typeof adminSchemas.bundleCreate>,
    z.infer<typeof adminSchemas.bundlePatch>
  > = {
    noun: 'bundle',
    ...positionedReads(bundles, bundles.code, bundleView),
    async create({ position, active, ...b }: BundleConfig & { position?: number; active?: boolean }) {
      await checkProducts(b.products);
      await ensureSeeded();
      const [row] = await insertOnce('bundle', b.code, async () =>
        db
          .insert(bundles)
          .values(bundleToRow(b, await placed(bundles, { position, active })))
          .returning(),
      );
      invalidateCommercialSettings();
      return bundleView(row!);
    },
    async update(code, b) {
      if (b.products) await checkProducts(b.products);
      const [row] = await db
        .update(bundles)
        .set({
          ...(b.name !== undefined ? { name: b.name } : {}),
          ...(b.products !== undefined ? { products: b.products } : {}),
          ...(b.discount_percent !== undefined ? { discountPercent: b.discount_percent } : {}),
          ...(b.position !== undefined ? { position: b.position } : {}),
          ...(b.active !== undefined ? { active: b.active } : {}),
          ...(b.conditions !== undefined ? { conditions: b.conditions } : {}),
          source: 'admin', // an admin's change: the seed leaves it alone from now on
        })
        .where(eq(bundles.code, code))
        .returning();
      invalidateCommercialSettings();
      return bundleView(row!);
    },
    async remove(code) {
      await db.delete(bundles).where(eq(bundles.code, code));
      invalidateCommercialSettings();
    },
  };

  const ruleStore: AdminStore<Rule, z.infer<typeof adminSchemas.ruleCreate>, z.infer<typeof adminSchemas.rulePatch>> = {
    noun: 'pricing rule',
    ...positionedReads(pricingRules, pricingRules.id, ruleView),
    async create({ position, active, ...rest }) {
      const parsed = ruleSchema.safeParse(rest); // drops keys of other kinds
      if (!parsed.success) throw invalid('body', 'is not a valid rule');
      checkRule(parsed.data);
      await ensureSeeded();
      const [row] = await insertOnce('pricing rule', parsed.data.id, async () =>
        db
          .insert(pricingRules)
          .values(ruleToRow(parsed.data, await placed(pricingRules, { position, active })))
          .returning(),
      );
      invalidateCommercialSettings();
      return ruleView(row!);
    },
    async update(id, { position, active, ...changes }) {
      const [current] = await db.select().from(pricingRules).where(eq(pricingRules.id, id));
      const merged: Record<string, unknown> = { ...ruleFromRow(current!), ...changes };
      for (const k of ['routes', 'cabins']) if (merged[k] === null) delete merged[k];
      const parsed = ruleSchema.safeParse(merged);
      if (!parsed.success) {
        throw new DomainError('VALIDATION_FAILED', 'the changed rule is not valid', {
          issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code })),
        });
      }
      checkRule(parsed.data);
      const row = ruleToRow(parsed.data, await placed(pricingRules, { position, active }, current));
      const [updated] = await db.update(pricingRules).set(row).where(eq(pricingRules.id, id)).returning();
      invalidateCommercialSettings();
      return ruleView(updated!);
    },
    async remove(id) {
      await db.delete(pricingRules).where(eq(pricingRules.id, id));
      invalidateCommercialSettings();
    },
  };

  return { products: productStore, bundles: bundleStore, pricingRules: ruleStore };
}

export type AdminCommercial = ReturnType<typeof createAdminCommercial>;
