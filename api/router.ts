import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './deps';
import { errorResponse } from './errors';

/** A router whose request validation failures answer 400 in the one JSON error shape. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return errorResponse(c, 'VALIDATION_FAILED', 'the request is not valid', {
          issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code })),
        });
      }
    },
  });
}
