import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './deps';
import { errorResponse } from './errors';

/**
 * Where a NUL character sits in a parsed body (a string or an object key), or null. PostgreSQL stores no NUL in
 * text or jsonb, and no name, code or reference of this API holds one: such a body is refused as invalid, never
 * passed on to fail in a query (a 500).
 */
function nulAt(value: unknown, path: (string | number)[] = []): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') || '(body)' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulAt(value[i], [...path, i]);
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key.includes('\u0000')) return [...path, key.replaceAll('\u0000', '\\u0000')].join('.');
      const found = nulAt(inner, [...path, key]);
      if (found !== null) return found;
    }
  }
  return null;
}

/** A router whose request validation failures answer 400 in the one JSON error shape. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return errorResponse(c, 'VALIDATION_FAILED', 'the request is not valid', {
          issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code })),
        });
      }
      const nul = result.target === 'json' ? nulAt(result.data) : null;
      if (nul !== null) {
        return errorResponse(c, 'VALIDATION_FAILED', 'the request is not valid', {
          issues: [{ path: nul, message: 'the NUL character (\\u0000) is not allowed', code: 'invalid_string' }],
        });
      }
    },
  });
}
