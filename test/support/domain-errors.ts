import { expect } from 'vitest';
import { DomainError, type ErrorCode } from '../../domain/errors';

/** `fn` throws a DomainError with `code` (VALIDATION_FAILED unless named), and optionally that HTTP status. */
export function expectDomainError(fn: () => unknown, code: ErrorCode = 'VALIDATION_FAILED', status?: number): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DomainError);
  expect((caught as DomainError).code).toBe(code);
  if (status !== undefined) expect((caught as DomainError).status).toBe(status);
}
