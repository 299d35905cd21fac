import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { AppConfig } from '../config';

export type { Logger };

/** Fields that carry passenger, account or payment data, in the API's snake_case and the rows' camelCase. */
const SECRET_FIELDS = [
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
];

/** Paths that may carry passenger or payment data: never printed. Up to three levels deep (arrays count). */
export const REDACT_PATHS = [
  ...['', '*.', '*.*.', '*.*.*.'].flatMap((prefix) => SECRET_FIELDS.map((field) => prefix + field)),
  'req.headers.authorization',
  'req.headers.cookie',
];

/**
 * Fields added to every log line written inside `logContext.run(fields, fn)`: the worker runs each activity in
 * one with its order_id, so whatever an activity (or a client it calls) logs says which order it was for.
 */
export const logContext = new AsyncLocalStorage<Record<string, unknown>>();

/** A pino logger with PII redaction; `destination` (a stream, e.g. in tests) replaces stdout and pretty output. */
export function createLogger(config: Pick<AppConfig, 'log'>, name: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name,
    level: config.log.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    mixin: () => logContext.getStore() ?? {},
  };
  if (destination) return pino(options, destination);
  return pino({
    ...options,
    ...(config.log.pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}
