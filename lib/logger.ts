import { pino, type Logger } from 'pino';
import type { AppConfig } from '../config';

export type { Logger };

/** Paths that may carry passenger or payment data: never printed. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'payment_token',
  '*.payment_token',
  '*.first_name',
  '*.last_name',
  '*.email',
  '*.phone',
  '*.date_of_birth',
  '*.*.first_name',
  '*.*.last_name',
  '*.*.email',
  '*.*.phone',
  '*.*.date_of_birth',
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(config: Pick<AppConfig, 'log'>, name: string): Logger {
  return pino({
    name,
    level: config.log.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(config.log.pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}
