import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../deps';
import { errorResponse } from '../errors';

/** A percent-encoded control character (U+0000–U+001F, U+007F): never part of an identifier or query here. */
const ENCODED_CONTROL = /%(?:[01][0-9a-f]|7f)/i;

/**
 * Refuses a URL whose path or query carries an encoded control character (a NUL, a newline) with a 400 before
 * any route sees it: no code, id or filter in this API contains one, and PostgreSQL refuses a NUL in text (a
 * 500 when it reached a query).
 */
export const refuseControlCharacters = createMiddleware<AppEnv>(async (c, next) => {
  const url = c.req.url;
  const at = url.indexOf('/', url.indexOf('//') + 2);
  if (at >= 0 && ENCODED_CONTROL.test(url.slice(at))) {
    return errorResponse(c, 'VALIDATION_FAILED', 'the URL contains a control character', {
      issues: [{ path: 'url', message: 'control characters (%00–%1F, %7F) are not allowed', code: 'invalid_string' }],
    });
  }
  await next();
});
