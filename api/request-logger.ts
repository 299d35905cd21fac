import type { Context } from 'hono';
import type { Logger } from '../lib/logger';
import type { AppEnv } from './deps';

/**
 * The request's logger: the app's with the request's fields, made on first use and kept on the context. The
 * request line itself is written by the app's logger with the same fields (no child per request).
 */
export function requestLogger(c: Context<AppEnv>): Logger | undefined {
  let logger = c.get('logger');
  if (!logger) {
    logger = c.get('deps')?.logger.child(c.get('logFields') ?? {});
    c.set('logger', logger);
  }
  return logger;
}
