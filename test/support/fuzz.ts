/**
 * Requests generated from the OpenAPI document (the JSON Schemas of /openapi.json) with fast-check: valid-ish
 * values for every parameter and body, and mutants that break one rule of the contract each (a wrong type, a
 * missing required property, a number out of bounds, a string too long or off its pattern, an unknown enum
 * value, an extra property where none is allowed) and so must be rejected.
 *
 * The JSON Schema support is what zod-to-openapi emits for the routes: $ref, allOf/anyOf/oneOf, type (or a
 * list of types), properties/required/additionalProperties, items/minItems/maxItems, enum/const, string
 * minLength/maxLength/pattern/format (uuid, email, date, date-time), integer/number minimum/maximum.
 */
import fc from 'fast-check';

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: JsonSchema;
}

export interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
}

export interface Op {
  method: string;
  path: string;
  operation: Operation;
}

export function operationsOf(doc: OpenApiDocument): Op[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
}

/** A value for a named property or parameter that gets deeper into the handlers than a random one would. */
export type Hints = (name: string, op: Op) => fc.Arbitrary<unknown> | undefined;

/** Follows $ref and merges allOf into one schema. */
export function resolve(doc: OpenApiDocument, schema: JsonSchema | undefined): JsonSchema {
  let s = schema ?? {};
  for (let i = 0; s.$ref && i < 20; i++) {
    const { $ref, ...rest } = s;
    s = { ...doc.components.schemas[$ref.replace('#/components/schemas/', '')], ...rest };
  }
  if (s.allOf) {
    const { allOf, ...rest } = s;
    s = allOf.reduce<JsonSchema>((acc, part) => ({ ...acc, ...resolve(doc, part) }), rest);
  }
  return s;
}

const typesOf = (s: JsonSchema): string[] => {
  if (Array.isArray(s.type)) return s.type;
  if (s.type) return [s.type];
  if (s.properties) return ['object'];
  if (s.enum) return [...new Set(s.enum.map((v) => (v === null ? 'null' : typeof v)))];
  return [];
};

/** The JSON types a schema admits; empty when it admits anything. */
export function allowedTypes(doc: OpenApiDocument, schema: JsonSchema): string[] {
  const s = resolve(doc, schema);
  const branches = s.anyOf ?? s.oneOf;
  if (branches) {
    const all = branches.map((b) => allowedTypes(doc, b));
    return all.some((t) => t.length === 0) ? [] : [...new Set(all.flat())];
  }
  return typesOf(s);
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const dateArb = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true })
  .map(day);
const emailArb = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,15}$/), fc.integer({ min: 0, max: 1e6 }))
  .map(([local, n]) => `${local}${n}@altis-fuzz.example`);

function stringArb(s: JsonSchema): fc.Arbitrary<string> {
  switch (s.format) {
    case 'uuid':
      return fc.uuid();
    case 'email':
      return emailArb;
    case 'date':
      return dateArb;
    case 'date-time':
      return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  }
  if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 40, min + 40);
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: max }) },
    { weight: 1, arbitrary: fc.string({ minLength: min, maxLength: max, unit: 'grapheme' }) },
    // Any UTF-16 code unit: NUL, controls, lone surrogates.
    { weight: 1, arbitrary: fc.string({ minLength: min, maxLength: max, unit: 'binary' }) },
    // The bounds themselves.
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(Math.max(min, 1)), 'y'.repeat(s.maxLength ?? max)) },
  );
}

function numberArb(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1_000_000);
  const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000_000);
  const lo = Math.max(min, -Number.MAX_SAFE_INTEGER);
  const hi = Math.min(max, Number.MAX_SAFE_INTEGER);
  const inRange = integer
    ? fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) })
    : fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
  return fc.oneof({ weight: 3, arbitrary: inRange }, { weight: 1, arbitrary: fc.constantFrom(lo, hi) });
}

/** Valid-ish values of a schema; `name` (the property or parameter) lets `hints` choose a useful value. */
export function arbitraryOf(
  doc: OpenApiDocument,
  schema: JsonSchema | undefined,
  ctx: { op: Op; hints: Hints },
  name?: string,
  depth = 0,
): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema);
  const plain = plainArbitrary(doc, s, ctx, depth);
  const hinted = name === undefined ? undefined : ctx.hints(name, ctx.op);
  return hinted ? fc.oneof({ weight: 3, arbitrary: hinted }, { weight: 1, arbitrary: plain }) : plain;
}

function plainArbitrary(
  doc: OpenApiDocument,
  s: JsonSchema,
  ctx: { op: Op; hints: Hints },
  depth: number,
): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const branches = s.anyOf ?? s.oneOf;
  if (branches) return fc.oneof(...branches.map((b) => arbitraryOf(doc, b, ctx, undefined, depth + 1)));
  const types = typesOf(s);
  if (types.length > 1) return fc.oneof(...types.map((type) => plainArbitrary(doc, { ...s, type }, ctx, depth)));
  if (depth > 8) return fc.constant(null);
  switch (types[0]) {
    case 'object': {
      const props = s.properties ?? {};
      const model = Object.fromEntries(
        Object.entries(props).map(([k, v]) => [k, arbitraryOf(doc, v, ctx, k, depth + 1)]),
      ) as Record<string, fc.Arbitrary<unknown>>;
      return fc.record(model, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
    }
    case 'array': {
      const minLength = s.minItems ?? 0;
      const maxLength = Math.min(s.maxItems ?? minLength + 3, minLength + 3);
      return fc.array(arbitraryOf(doc, s.items, ctx, undefined, depth + 1), { minLength, maxLength });
    }
    case 'string':
      return stringArb(s);
    case 'integer':
      return numberArb(s, true);
    case 'number':
      return numberArb(s, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

export interface Mutant {
  value: unknown;
  /** What was broken, for the failure message. */
  what: string;
  /** The mutant breaks the contract: the API must refuse it (a 4xx). */
  mustReject: boolean;
}

type Path = (string | number)[];
interface Node {
  path: Path;
  schema: JsonSchema;
  value: unknown;
  /** The object property is required by its parent. */
  required: boolean;
}

function nodesOf(doc: OpenApiDocument, schema: JsonSchema | undefined, value: unknown, path: Path = []): Node[] {
  const s = resolve(doc, schema);
  const nodes: Node[] = [{ path, schema: s, value, required: true }];
  if (s.anyOf || s.oneOf) return nodes; // which branch a value took is not tracked: mutate the union as a whole
  if (Array.isArray(value) && s.items) {
    value.forEach((v, i) => {
      const child = nodesOf(doc, s.items, v, [...path, i]);
      child[0]!.required = false; // an item cannot go missing; its array can be too short instead
      nodes.push(...child);
    });
  } else if (value !== null && typeof value === 'object' && s.properties) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (!s.properties[k]) continue;
      const child = nodesOf(doc, s.properties[k], v, [...path, k]);
      child[0]!.required = (s.required ?? []).includes(k);
      nodes.push(...child);
    }
  }
  return nodes;
}

function setAt(root: unknown, path: Path, replacement: unknown, remove = false): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) delete node[last];
  else node[last] = replacement;
  return copy;
}

const SAMPLES: Record<string, unknown> = {
  string: 'a string',
  number: 12.5,
  integer: 7,
  boolean: true,
  null: null,
  array: ['x'],
  object: { unexpected: true },
};

/** Strings that are not what a format or pattern wants (each is refused by at least the formats here). */
const OFF_FORMAT = ['', 'not-a-uuid', '12345', 'a@', '2026-02-30', '2026-13-01', 'x'.repeat(300), '\u0000', '../../x'];

function violates(s: JsonSchema, n: number, integer: boolean): boolean {
  if (integer && !Number.isSafeInteger(n)) return true;
  if (s.minimum !== undefined && n < s.minimum) return true;
  if (s.maximum !== undefined && n > s.maximum) return true;
  if (s.exclusiveMinimum !== undefined && n <= s.exclusiveMinimum) return true;
  return s.exclusiveMaximum !== undefined && n >= s.exclusiveMaximum;
}

/** One mutant of `value` (valid-ish for `schema`), breaking one rule where the schema has one to break. */
export function mutate(
  doc: OpenApiDocument,
  schema: JsonSchema | undefined,
  value: unknown,
  rnd: () => number,
): Mutant {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const nodes = nodesOf(doc, schema, value);
  const node = pick(nodes);
  const s = node.schema;
  const at = node.path.join('.') || '(body)';
  const allowed = allowedTypes(doc, s);
  const options: (() => Mutant)[] = [];

  if (allowed.length > 0) {
    const wrong = Object.keys(SAMPLES).filter(
      (t) => !allowed.includes(t) && !(t === 'integer' && allowed.includes('number')),
    );
    options.push(() => {
      const type = pick(wrong);
      return { value: setAt(value, node.path, SAMPLES[type]), what: `${at}: a ${type}`, mustReject: true };
    });
  }
  if (node.path.length > 0 && node.required) {
    options.push(() => ({ value: setAt(value, node.path, undefined, true), what: `${at}: missing`, mustReject: true }));
  }
  const v = node.value;
  if (typeof v === 'string' && !s.anyOf && !s.oneOf) {
    if (s.maxLength !== undefined) {
      options.push(() => ({
        value: setAt(value, node.path, 'z'.repeat(s.maxLength! + 1)),
        what: `${at}: ${s.maxLength! + 1} characters`,
        mustReject: true,
      }));
    }
    if ((s.minLength ?? 0) > 0) {
      options.push(() => ({
        value: setAt(value, node.path, 'z'.repeat(s.minLength! - 1)),
        what: `${at}: ${s.minLength! - 1} characters`,
        mustReject: true,
      }));
    }
    if (s.enum) {
      options.push(() => ({
        value: setAt(value, node.path, 'NOT_IN_ENUM'),
        what: `${at}: off enum`,
        mustReject: true,
      }));
    }
    if (s.format || s.pattern) {
      options.push(() => {
        const off = pick(OFF_FORMAT.filter((x) => !(s.pattern && new RegExp(s.pattern).test(x))));
        // '' and NUL fail every format here; the others fail uuid/email/date formats or the pattern.
        return {
          value: setAt(value, node.path, off),
          what: `${at}: ${JSON.stringify(off.slice(0, 20))}`,
          mustReject: true,
        };
      });
    }
    // A huge string: over the body limit (413) or the field's maximum (400); without a maximum, merely big.
    options.push(() => ({
      value: setAt(value, node.path, '✈'.repeat(30_000)),
      what: `${at}: 30k characters`,
      mustReject: s.maxLength !== undefined,
    }));
  }
  if (typeof v === 'number') {
    const integer = typesOf(s).includes('integer');
    if (s.minimum !== undefined) {
      options.push(() => ({
        value: setAt(value, node.path, s.minimum! - 1),
        what: `${at}: below ${s.minimum}`,
        mustReject: true,
      }));
    }
    if (s.maximum !== undefined) {
      options.push(() => ({
        value: setAt(value, node.path, s.maximum! + 1),
        what: `${at}: above ${s.maximum}`,
        mustReject: true,
      }));
    }
    if (integer) {
      options.push(() => ({ value: setAt(value, node.path, v + 0.5), what: `${at}: a fraction`, mustReject: true }));
      options.push(() => ({
        value: setAt(value, node.path, 2 ** 53 + 2),
        what: `${at}: beyond 2^53`,
        mustReject: true,
      }));
    }
    options.push(() => {
      const n = pick([1e308, -1e308, -0, 5e-324]);
      return { value: setAt(value, node.path, n), what: `${at}: ${n}`, mustReject: violates(s, n, integer) };
    });
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined) {
      options.push(() => ({
        value: setAt(
          value,
          node.path,
          Array.from({ length: s.maxItems! + 1 }, () => v[0] ?? 'x'),
        ),
        what: `${at}: ${s.maxItems! + 1} items`,
        mustReject: true,
      }));
    }
    if ((s.minItems ?? 0) > 0) {
      options.push(() => ({ value: setAt(value, node.path, []), what: `${at}: no items`, mustReject: true }));
    }
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    options.push(() => {
      const key = pick(['unexpected', '__proto__', 'constructor', '$where', 'x'.repeat(500)]);
      const extra = JSON.parse(`{${JSON.stringify(key)}: {"polluted": true}}`) as Record<string, unknown>;
      return {
        value: setAt(value, node.path, { ...v, ...extra }),
        what: `${at}: extra property ${key.slice(0, 20)}`,
        mustReject: s.additionalProperties === false,
      };
    });
  }
  return pick(options)();
}

/** Query and header values are strings on the wire. */
export const wire = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * A generated value as a valid URL part can carry it: without control characters, which the API refuses in any
 * URL before the route (api/middleware/request-guard.ts; the mutants send them on purpose).
 */
export const inUrl = (v: unknown): string => {
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  const kept = wire(v).replace(/[\u0000-\u001f\u007f]/g, '');
  return kept === '' && wire(v) !== '' ? '_' : kept;
};

const INJECTIONS = [
  "'; DROP TABLE orders;--",
  '" OR 1=1 --',
  '{"$gt":""}',
  '../../etc/passwd',
  '<script>x</script>',
  'a\u0000b',
  '\u0000',
  'line\nbreak',
  'back\\slash',
  '..\\..\\x',
];
/** A control character in a URL is refused whatever the parameter (api/middleware/request-guard.ts). */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;
/** A header value fetch can send: visible Latin-1, no CR, LF or NUL. */
const sendableInHeader = (v: string) => /^[\x20-\x7e\xa0-\xff]*$/.test(v);

/**
 * One mutant of a path, query or header parameter. On the wire every value is a string, so only what a string
 * can break counts: a format, a pattern, a length, an enum, a number's syntax and bounds, a required query.
 */
export function mutateParam(
  doc: OpenApiDocument,
  p: Parameter,
  rnd: () => number,
): { value: string | undefined; what: string; mustReject: boolean } {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const s = resolve(doc, p.schema);
  const types = allowedTypes(doc, s);
  const at = `${p.in} ${p.name}`;
  const options: { value: string | undefined; what: string; mustReject: boolean }[] = [];
  if (p.required && p.in !== 'path') options.push({ value: undefined, what: `${at}: missing`, mustReject: true });
  if (types.includes('integer') || types.includes('number')) {
    const integer = types.includes('integer');
    options.push({ value: 'abc', what: `${at}: abc`, mustReject: true });
    if (integer) options.push({ value: '1.5', what: `${at}: 1.5`, mustReject: true });
    if (s.minimum !== undefined) options.push({ value: String(s.minimum - 1), what: `${at}: below`, mustReject: true });
    if (s.maximum !== undefined) options.push({ value: String(s.maximum + 1), what: `${at}: above`, mustReject: true });
    options.push({ value: '1e400', what: `${at}: 1e400`, mustReject: true });
  } else {
    // Whether a string breaks the parameter's rules (none of the strings here is a uuid, email or date).
    const breaks = (v: string) =>
      Boolean(s.format) ||
      (s.pattern !== undefined && !new RegExp(s.pattern).test(v)) ||
      (s.enum !== undefined && !s.enum.includes(v)) ||
      (s.maxLength !== undefined && v.length > s.maxLength);
    if (s.format || s.pattern) {
      for (const off of OFF_FORMAT.filter((x) => x !== '' && !(s.pattern && new RegExp(s.pattern).test(x)))) {
        options.push({ value: off, what: `${at}: ${JSON.stringify(off.slice(0, 20))}`, mustReject: true });
      }
    }
    if (s.enum) options.push({ value: 'NOT_IN_ENUM', what: `${at}: off enum`, mustReject: true });
    if (s.maxLength !== undefined) {
      options.push({ value: 'z'.repeat(s.maxLength + 1), what: `${at}: too long`, mustReject: true });
    }
    for (const injection of INJECTIONS) {
      const refused = breaks(injection) || (p.in !== 'header' && CONTROL.test(injection));
      options.push({ value: injection, what: `${at}: ${JSON.stringify(injection)}`, mustReject: refused });
    }
    options.push({
      // Long, but under Node's 16 KiB header limit (a longer URL is Node's own 431, before the app).
      value: '✈'.repeat(300),
      what: `${at}: 300 planes`,
      mustReject: breaks('✈'.repeat(300)),
    });
  }
  const usable = options.filter((o) => p.in !== 'header' || o.value === undefined || sendableInHeader(o.value));
  return pick(usable);
}
