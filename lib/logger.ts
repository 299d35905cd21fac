import { AsyncLocalStorage } from 'node:async_hooks';
import {
  pino,
  type Bindings,
  type ChildLoggerOptions,
  type DestinationStream,
  type Logger,
  type LoggerOptions,
} from 'pino';
import type { AppConfig } from '../config';

export type { Logger };

/** Fields that carry passenger, account or payment data, in the API's snake_case and the rows' camelCase. */
const SECRET_FIELDS = new Set([
  'first_name',
  'last_name',
  'firstName',
  'lastName',
  'given_name',
  'surname',
  'full_name',
  'fullName',
  'email',
  'phone',
  'date_of_birth',
  'dateOfBirth',
  'contact',
  'password',
  'passwordHash',
  'password_hash',
  'token',
  'payment_token',
  'paymentToken',
  'authorization',
  'cookie',
]);

const CENSOR = '[redacted]';
/** A secret field is censored up to this depth (1: a top-level field; arrays count as a level). */
const REDACT_DEPTH = 4;

const isPlain = (v: object) => {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null || Array.isArray(v);
};

/**
 * The logged object with every secret field up to REDACT_DEPTH censored: one pass over what is logged, into
 * plain objects and arrays only (errors, buffers and class instances go to their serializers as they are), and
 * a copy only of the branches that held a secret; the caller's object is never changed. A request log line
 * (a handful of strings and numbers) costs a few lookups.
 */
export function redact<T>(value: T, depth = 1): T {
  if (typeof value !== 'object' || value === null || depth > REDACT_DEPTH || !isPlain(value)) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const r = redact(v, depth + 1);
      if (r !== v) (out ??= [...(value as unknown[])])[i] = r;
    }
    return (out ?? value) as T;
  }
  let out: Record<string, unknown> | undefined;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    const r = SECRET_FIELDS.has(key) ? CENSOR : redact(v, depth + 1);
    if (r !== v) (out ??= { ...(value as Record<string, unknown>) })[key] = r;
  }
  return (out ?? value) as T;
}

/**
 * Fields added to every log line written inside `logContext.run(fields, fn)`: the worker runs each activity in
 * one with its order_id, so whatever an activity (or a client it calls) logs says which order it was for.
 */
export const logContext = new AsyncLocalStorage<Record<string, unknown>>();

/**
 * A pino logger with PII redaction (`redact`, on every line's fields and every child's bindings). Output: `destination`
 * when given (a stream, e.g. in tests), else pretty output (a worker thread) or JSON lines on stdout, written
 * asynchronously (pino's sonic-boom: lines written while a write is in flight go out together, and what is
 * buffered is flushed when the process exits), so that a request never waits on the terminal or a pipe.
 */
export function createLogger(config: Pick<AppConfig, 'log'>, name: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name,
    level: config.log.level,
    formatters: { log: (obj) => redact(obj), bindings: (bindings) => redact(bindings) }, // children: below
    mixin: () => logContext.getStore() ?? {},
  };
  if (destination) return redactedChildren(pino(options, destination));
  if (config.log.pretty) {
    return redactedChildren(pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } }));
  }
  return redactedChildren(pino(options, pino.destination({ dest: 1, sync: false })));
}

/**
 * pino applies `formatters.bindings` to the root's bindings only: every child's pass through `redact` here. Children
 * inherit from their parent (Object.create), so the root's `child` serves them all, with `this` the parent.
 */
function redactedChildren(logger: Logger): Logger {
  type ChildFn = (this: Logger, bindings: Bindings, opts?: ChildLoggerOptions) => Logger;
  const pinoChild = (logger as unknown as { child: ChildFn }).child;
  (logger as unknown as { child: ChildFn }).child = function (this: Logger, bindings, opts) {
    return pinoChild.call(this, redact(bindings), opts);
  };
  return logger;
}
