import { describe, expect, it } from 'vitest';
import { codeForStatus, ERROR_STATUS, isErrorCode, isRetryable, NON_RETRYABLE_CODES } from '../../domain/errors';
import { holdExpired, orderIdFromWorkflowId, orderWorkflowId } from '../../domain/order';

describe('the one list of error codes', () => {
  it('gives the framework’s own answers their generic code', () => {
    expect([400, 401, 403, 404, 409, 410, 413, 415, 429].map(codeForStatus)).toEqual([
      'VALIDATION_FAILED',
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'NOT_FOUND',
      'CONFLICT',
      'GONE',
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'RATE_LIMITED',
    ]);
    expect(codeForStatus(418)).toBeUndefined();
  });

  it('retries trouble (5xx) and never a refusal (4xx)', () => {
    expect(NON_RETRYABLE_CODES).toEqual(expect.arrayContaining(['SOLD_OUT', 'INVALID_STATE', 'HOLD_EXPIRED']));
    expect(NON_RETRYABLE_CODES).not.toContain('DEPENDENCY_UNAVAILABLE');
    for (const code of Object.keys(ERROR_STATUS)) {
      expect(isErrorCode(code)).toBe(true);
      expect(isRetryable(code as keyof typeof ERROR_STATUS)).toBe(!NON_RETRYABLE_CODES.includes(code as never));
    }
    expect(isErrorCode('toString')).toBe(false);
  });
});

describe('holdExpired, the one rule behind 410', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('is true for an expired order, one being expired, and a PROPOSED one past its hold', () => {
    expect(holdExpired({ status: 'EXPIRED', expiresAt: now + 1000 }, now)).toBe(true);
    expect(holdExpired({ status: 'PROPOSED', expiresAt: now + 1000, expiring: true }, now)).toBe(true);
    expect(holdExpired({ status: 'PROPOSED', expiresAt: now }, now)).toBe(true);
    expect(holdExpired({ status: 'PROPOSED', expiresAt: now + 1 }, now)).toBe(false);
    // after the lock-in the hold time no longer counts
    expect(holdExpired({ status: 'PAYMENT_PENDING', expiresAt: now - 1000 }, now)).toBe(false);
    expect(holdExpired({ status: 'FULFILLED', expiresAt: now - 1000 }, now)).toBe(false);
  });

  it('maps order ids to workflow ids and back', () => {
    const id = '0b9c2d1e-0000-4000-8000-000000000001';
    expect(orderIdFromWorkflowId(orderWorkflowId(id))).toBe(id);
    expect(orderIdFromWorkflowId('probe-1')).toBeNull();
  });
});
