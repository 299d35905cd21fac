import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';

const PASSENGER_TYPES = ['ADT', 'CHD', 'INF'] as const;

const country = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 country code');
const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code');
/**
 * A configured amount in minor units (a price, a surcharge, a penalty): a whole number from 0 to the largest the
 * Postgres integer columns that store it hold, so an admin's too-large value is a 400, never a failed write.
 */
export const minorAmount = z.number().int().min(0).max(2_147_483_647);
/** Where a tax is levied (absent = everywhere). */
const jurisdiction = {
  departure_countries: z.array(country).optional(),
  arrival_countries: z.array(country).optional(),
};
/** A fixed amount in minor units: per currency in `amounts`, else `amount` in pricing.currency at the rate table. */
const fixedAmount = {
  amount: minorAmount.optional(),
  amounts: z.record(currencyCode, minorAmount).optional(),
};

const taxSchema = z.discriminatedUnion('kind', [
  z.object({
    code: z.string().min(2),
    name: z.string(),
    kind: z.literal('percent'),
    basis_points: z.number().int().min(0).max(10_000),
    applies_to: z.array(z.enum(PASSENGER_TYPES)),
    ...jurisdiction,
  }),
  z
    .object({
      code: z.string().min(2),
      name: z.string(),
      kind: z.literal('fixed'),
      applies_to: z.array(z.enum(PASSENGER_TYPES)),
      ...fixedAmount,
      ...jurisdiction,
    })
    .refine((t) => t.amount !== undefined || t.amounts !== undefined, 'a fixed tax needs amount or amounts'),
]);

const conditionSchema = z.object({ allowed: z.boolean(), ...fixedAmount });
/** A fare family's conditions; penalties per passenger. */
export const conditionsSchema = z.object({
  refund_before_departure: conditionSchema,
  change_before_departure: conditionSchema,
  no_show: conditionSchema,
});

export const ruleSchema = z.discriminatedUnion('kind', [
  z.object({
    id: z.string(),
    kind: z.literal('sale'),
    name: z.string(),
    percent: z.number().min(0).max(100),
    starts_at: z.iso.datetime(),
    ends_at: z.iso.datetime(),
  }),
  z.object({
    id: z.string(),
    kind: z.literal('discount'),
    name: z.string(),
    percent: z.number().min(0).max(100),
    routes: z.array(z.string().regex(/^[A-Z]{3}-[A-Z]{3}$/)).optional(),
    cabins: z.array(z.string()).optional(),
  }),
  z.object({
    id: z.string(),
    kind: z.literal('surcharge'),
    name: z.string(),
    amount: minorAmount,
    routes: z.array(z.string().regex(/^[A-Z]{3}-[A-Z]{3}$/)).optional(),
    cabins: z.array(z.string()).optional(),
  }),
]);

export const bundleSchema = z.object({
  code: z.string().regex(/^[A-Z_]+$/),
  name: z.string(),
  products: z.array(z.string()),
  discount_percent: z.number().min(0).max(100),
  conditions: conditionsSchema.optional(),
});

const port = z.number().int().min(1).max(65535);

export const configSchema = z.strictObject({
  env: z.enum(['development', 'test', 'production']),
  server: z.strictObject({
    port,
    host: z.string(),
    body_limit_bytes: z.number().int().positive(),
    sse_heartbeat_ms: z.number().int().min(100),
    headers_timeout_ms: z.number().int().min(100),
    request_timeout_ms: z.number().int().min(100),
    keep_alive_timeout_ms: z.number().int().min(100),
    max_connections: z.number().int().positive(),
  }),
  log: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    pretty: z.boolean(),
  }),
  database: z.strictObject({
    url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
    pool_max: z.number().int().min(1),
    /** TLS to Postgres (lib/database.ts), libpq's names; verify-ca/verify-full check the server against ssl_ca_file. */
    sslmode: z.enum(['disable', 'require', 'verify-ca', 'verify-full']),
    ssl_ca_file: z.string(),
  }),
  redis: z
    .strictObject({
      url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
      /** An ioredis Cluster client (lib/redis.ts): the url's host and cluster_nodes are the seed nodes. */
      cluster: z.boolean(),
      cluster_nodes: z.array(z.string().regex(/^[^:]+:\d+$/, 'must be host:port')),
      /** Commands sent in one turn of the event loop go out as one write (ioredis enableAutoPipelining). */
      auto_pipelining: z.boolean(),
      /** TLS (also implied by a rediss:// url); the server is checked against tls_ca_file (else the system CAs). */
      tls: z.boolean(),
      tls_ca_file: z.string(),
      tls_cert_file: z.string(),
      tls_key_file: z.string(),
    })
    .refine((r) => (r.tls_cert_file === '') === (r.tls_key_file === ''), 'tls_cert_file and tls_key_file go together'),
  kafka: z
    .strictObject({
      brokers: z.array(z.string().regex(/^[^:]+:\d+$/, 'must be host:port')).min(1),
      client_id: z.string(),
      topic_prefix: z.string(),
      /** TLS to the brokers (lib/kafka.ts); the brokers are checked against ssl_ca_file (else the system CAs). */
      ssl: z.boolean(),
      ssl_ca_file: z.string(),
      /** SASL: "" (none), plain, scram-sha-256 or scram-sha-512; the user and password come from the environment. */
      sasl_mechanism: z.enum(['', 'plain', 'scram-sha-256', 'scram-sha-512']),
      sasl_username: z.string(),
      sasl_password: z.string(),
    })
    .refine(
      (k) => k.sasl_mechanism === '' || (k.sasl_username !== '' && k.sasl_password !== ''),
      'sasl_mechanism needs sasl_username and sasl_password (APP_KAFKA__SASL_USERNAME, APP_KAFKA__SASL_PASSWORD)',
    ),
  temporal: z
    .strictObject({
      address: z.string().regex(/^[^:]+:\d+$/, 'must be host:port'),
      namespace: z.string().min(1),
      task_queue: z.string().min(1),
      web_ui_url: z.string(),
      /** TLS to the frontend (lib/temporal.ts); implied by tls_cert_file (mTLS) or api_key (Temporal Cloud). */
      tls: z.boolean(),
      tls_ca_file: z.string(),
      tls_server_name: z.string(),
      tls_cert_file: z.string(),
      tls_key_file: z.string(),
      /** A Temporal Cloud API key (sent as a bearer token over TLS); from the environment, APP_TEMPORAL__API_KEY. */
      api_key: z.string(),
    })
    .refine((t) => (t.tls_cert_file === '') === (t.tls_key_file === ''), 'tls_cert_file and tls_key_file go together'),
  worker: z.strictObject({
    /** Workflow cache size of the order worker (Worker.create maxCachedWorkflows); 0 disables the cache. */
    max_cached_workflows: z.number().int().min(0),
  }),
  auth: z.strictObject({
    jwt_secret: z.string().min(32, 'must be at least 32 characters'),
    jwt_issuer: z.string(),
    guest_token_ttl_seconds: z.number().int().positive(),
    user_token_ttl_seconds: z.number().int().positive(),
    /** A booking-lookup token's lifetime (POST /v1/orders/lookup: one order, by reference and last name). */
    order_lookup_token_ttl_seconds: z.number().int().positive(),
    /** How long an API process trusts its last look-up of a token's customer (role, token version); 0 = every request. */
    customer_cache_ms: z.number().int().min(0),
  }),
  orders: z.strictObject({
    hold_seconds: z.number().positive(),
    trip_hold_seconds: z.number().positive(),
    payment_timeout_seconds: z.number().positive(),
    archive_grace_seconds: z.number().min(0),
    airline_designator: z.string().regex(/^[A-Z0-9]{2}$/),
    airline_ticket_prefix: z.string().regex(/^\d{3}$/),
    max_travelers: z.number().int().min(1).max(9),
    sales_close_minutes: z.number().int().min(0),
    cancellation_quote_ttl_seconds: z.number().int().positive(),
  }),
  /** Day of travel (services/check-in.ts): the check-in window before each departure. */
  check_in: z.strictObject({
    opens_hours_before: z.number().positive(),
    closes_minutes_before: z.number().min(0),
  }),
  /** Airline-initiated changes (services/disruptions.ts, workflows/flight-disruption.ts). */
  disruptions: z.strictObject({
    /** How long a disrupted order's customer has to answer (fractions allowed: tests use seconds). */
    response_hours: z.number().positive(),
    /** No answer by then: protect (the first re-accommodation option, or keep the retimed flight) or refund. */
    default_action: z.enum(['protect', 'refund']),
    /** A retime that moves departure and arrival by at most this is accepted for the customer. */
    retime_tolerance_minutes: z.number().int().min(0),
    /** Re-accommodation options held per order for a cancelled flight (the next flights with seats). */
    options: z.number().int().min(1).max(5),
  }),
  catalog: z.strictObject({
    /** How old the availability a flight or offer search shows may be, behind the Redis index (ms; 0: none). */
    availability_max_age_ms: z.number().int().min(0),
    /** How old a seat map may be, behind Postgres's seat assignments and Redis's seat locks (ms; 0: none). */
    seat_map_max_age_ms: z.number().int().min(0),
  }),
  offers: z.strictObject({
    ttl_seconds: z.number().positive(),
    min_offers: z.number().int().min(1),
    max_offers: z.number().int().min(1),
    id_secret: z.string().min(16),
  }),
  payments: z.strictObject({
    gateway_url: z.string().url(),
    gateway_api_key: z.string().min(8),
    gateway_timeout_ms: z.number().int().positive(),
    circuit_failures: z.number().int().min(1),
    circuit_open_ms: z.number().int().min(100),
    webhook_secret: z.string().min(16),
    webhook_tolerance_seconds: z.number().int().positive(),
  }),
  pricing: z.strictObject({
    currency: z.string().regex(/^[A-Z]{3}$/),
    child_fare_percent: z.number().min(0).max(100),
    infant_fare_percent: z.number().min(0).max(100),
    /** Units of each currency one unit of `currency` buys: amounts configured in `currency` reach others by it. */
    exchange_rates: z.record(currencyCode, z.number().positive()),
    /** The bundle whose fare conditions trips (the README's API) are sold under. */
    trip_bundle: z.string(),
    /** How much a held-but-unpaid seat counts towards the demand multiplier (domain/pricing.ts demandAvailable). */
    held_seat_weight: z.number().min(0).max(1),
    taxes: z.array(taxSchema),
    rules: z.array(ruleSchema),
  }),
  bundles: z.array(bundleSchema).min(1),
  ranker: z.strictObject({
    prior_alpha: z.number().positive(),
    prior_beta: z.number().positive(),
    margin_weight: z.number().min(0).max(1),
    /** How long an offer search reuses a context's bandit arms read from Redis, in process (ms; 0: every search). */
    arms_max_age_ms: z.number().int().min(0),
  }),
  rate_limit: z.strictObject({
    per_ip_per_minute: z.number().int().positive(),
    per_customer_per_minute: z.number().int().positive(),
    trust_forwarded_for: z.boolean(),
    /** POST /v1/auth/guest per client IP per hour: guests are free, each one a new per-customer bucket. */
    guests_per_ip_per_hour: z.number().int().positive(),
    /** POST /v1/orders/lookup per client IP per hour, and per booking reference per hour (whatever the name). */
    order_lookups_per_ip_per_hour: z.number().int().positive(),
    order_lookups_per_reference_per_hour: z.number().int().positive(),
  }),
  /** Open (unpaid) holds per client (services/hold-limits.ts, README "Abuse limits"). */
  holds: z.strictObject({
    max_open_per_customer: z.number().int().positive(),
    max_seats_per_customer: z.number().int().positive(),
    max_open_per_ip: z.number().int().positive(),
    max_seats_per_ip: z.number().int().positive(),
  }),
  pii: z.strictObject({
    active_key_id: z.string().min(1),
    keys: z.record(
      z.string(),
      z.string().refine((k) => Buffer.from(k, 'base64').length === 32, 'must be 32 bytes, base64'),
    ),
    // The blind index key (lib/pii.ts emailIndex): never rotated with the encryption keys, or lookups miss.
    index_key: z.string().refine((k) => Buffer.from(k, 'base64').length === 32, 'must be 32 bytes, base64'),
  }),
  housekeeping: z.strictObject({
    interval_seconds: z.number().int().positive(),
    idempotency_key_hours: z.number().positive(),
    processed_event_days: z.number().positive(),
    published_outbox_days: z.number().positive(),
    /** Guests that own no order are deleted this long after they were created. */
    guest_retention_hours: z.number().positive(),
    flight_status_interval_seconds: z.number().int().positive(),
  }),
  smtp: z.strictObject({ host: z.string(), port, from: z.string() }),
  outbox: z.strictObject({
    batch_size: z.number().int().min(1).max(5000),
    poll_interval_ms: z.number().int().min(10),
    retry_max_ms: z.number().int().min(10),
    topic_partitions: z.number().int().min(1),
  }),
  consumers: z.strictObject({
    max_attempts: z.number().int().min(1),
    retry_base_ms: z.number().int().min(0),
    session_timeout_ms: z.number().int().min(6000), // the broker's group.min.session.timeout.ms
  }),
  otel: z.strictObject({ otlp_endpoint: z.string() }),
  metrics: z.strictObject({
    host: z.string().min(1),
    /** The worker's prom-client metrics (GET /metrics); 0 turns the server off. */
    worker_port: z.number().int().min(0).max(65535),
    /** The Temporal Core SDK's own Prometheus exporter in the worker; 0 turns it off. */
    temporal_port: z.number().int().min(0).max(65535),
    /** The consumers process's GET /metrics and GET /health (consumers/metrics.ts); 0 turns the server off. */
    consumers_port: z.number().int().min(0).max(65535),
    db_cache_ms: z.number().int().min(0),
    /** Count Redis and Postgres round trips at the clients' sockets (lib/round-trips.ts); the bench sets it. */
    count_round_trips: z.boolean(),
  }),
});

export type AppConfig = z.infer<typeof configSchema>;
// The same shapes as domain/commercial.ts, which pricing reads (config/ may not import domain/;
// test/unit/config.test.ts checks that they stay equal).
export type TaxConfig = z.infer<typeof taxSchema>;
export type PricingRuleConfig = z.infer<typeof ruleSchema>;
export type BundleConfig = z.infer<typeof bundleSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEV_SECRETS: [string, (c: AppConfig) => string][] = [
  ['auth.jwt_secret', (c) => c.auth.jwt_secret],
  ['payments.webhook_secret', (c) => c.payments.webhook_secret],
  ['offers.id_secret', (c) => c.offers.id_secret],
];

type Tree = Record<string, unknown>;

function envName(path: string[]): string {
  return 'APP_' + path.map((p) => p.toUpperCase()).join('__');
}

/** Coerces an env string to the type of the value it replaces (numbers, booleans, JSON for arrays/tables). */
function coerce(raw: string, current: unknown, name: string): unknown {
  if (typeof current === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || Number.isNaN(n)) throw new ConfigError(`${name}: expected a number, got "${raw}"`);
    return n;
  }
  if (typeof current === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new ConfigError(`${name}: expected true or false, got "${raw}"`);
    return raw === 'true';
  }
  if (Array.isArray(current) || (current !== null && typeof current === 'object')) {
    // A comma-separated list is accepted for arrays of strings (APP_KAFKA__BROKERS=a:9092,b:9092).
    if (Array.isArray(current) && !raw.trim().startsWith('[')) return raw.split(',').map((s) => s.trim());
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new ConfigError(`${name}: expected JSON, got "${raw}"`);
    }
  }
  return raw;
}

/** Applies APP_SECTION__KEY overrides onto the parsed TOML tree. */
export function applyEnvOverrides(tree: Tree, env: NodeJS.ProcessEnv): Tree {
  const out = structuredClone(tree);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('APP_') || raw === undefined) continue;
    const path = name.slice(4).toLowerCase().split('__');
    if (path.some((p) => p === '')) throw new ConfigError(`${name}: malformed name (use APP_SECTION__KEY)`);
    let node: Tree = out;
    for (const part of path.slice(0, -1)) {
      const next = node[part];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) {
        throw new ConfigError(`${name}: unknown configuration section "${part}"`);
      }
      node = next as Tree;
    }
    const key = path[path.length - 1]!;
    if (!(key in node)) throw new ConfigError(`${name}: unknown configuration key "${path.join('.')}"`);
    node[key] = coerce(raw, node[key], name);
  }
  return out;
}

export function parseConfig(tree: Tree): AppConfig {
  const result = configSchema.safeParse(tree);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const path = i.path.map(String);
      return `  ${path.join('.') || '(root)'} (env ${envName(path.filter((p) => !/^\d+$/.test(p)))}): ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  // A purged guest's token would still verify: the guests must outlive their tokens.
  if (config.housekeeping.guest_retention_hours * 3600 < config.auth.guest_token_ttl_seconds) {
    throw new ConfigError(
      'invalid configuration:\n  housekeeping.guest_retention_hours (env APP_HOUSEKEEPING__GUEST_RETENTION_HOURS): ' +
        'must be at least auth.guest_token_ttl_seconds, so that no valid guest token outlives its customer',
    );
  }
  if (config.env === 'production') {
    const defaults = parseToml(readFileSync(defaultPath(), 'utf8')) as unknown as AppConfig;
    for (const [key, get] of DEV_SECRETS) {
      if (get(config) === get(defaults)) {
        throw new ConfigError(
          `invalid configuration:\n  ${key}: the development default may not be used in production`,
        );
      }
    }
  }
  return config;
}

function defaultPath(): string {
  return new URL('./default.toml', import.meta.url).pathname;
}

/** The clone's data directory (git-ignored): ALTIS_DATA_DIR or `<repo>/.data`. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ALTIS_DATA_DIR ?? new URL('../.data', import.meta.url).pathname;
}

/**
 * The servers this clone uses, as `scripts/infra.sh start` chose them (`.data/services.env`: `KEY=value` lines,
 * ports moved off a foreign server, databases and prefixes of a shared one). Empty before the first start.
 */
export function readServicesEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(`${dataDir(env)}/services.env`, 'utf8');
  } catch {
    return {};
  }
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]!] = m[2]!;
  }
  return vars;
}

/** The process environment over the APP_* settings of `.data/services.env`: what every process starts from. */
export function processEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const fromFile = Object.fromEntries(Object.entries(readServicesEnv(env)).filter(([k]) => k.startsWith('APP_')));
  return { ...fromFile, ...env };
}

/**
 * Loads config/default.toml (or APP_CONFIG_FILE), applies env overrides, validates. Throws ConfigError.
 * Without an argument the environment is the process's over `.data/services.env` (processEnv); a caller that
 * passes an environment gets exactly that one.
 */
export function loadConfig(env: NodeJS.ProcessEnv = processEnv()): AppConfig {
  const file = env.APP_CONFIG_FILE ?? defaultPath();
  const tree = parseToml(readFileSync(file, 'utf8')) as Tree;
  const { APP_CONFIG_FILE: _ignored, ...rest } = env;
  return parseConfig(applyEnvOverrides(tree, rest));
}
