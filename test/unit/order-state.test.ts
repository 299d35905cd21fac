import { describe, expect, expectTypeOf, it } from 'vitest';
import { orderStatus } from '../../db/schema';
import { DomainError } from '../../domain/errors';
import {
  assertTransition,
  canTransition,
  isTerminal,
  ORDER_STATUSES,
  orderWorkflowId,
  type OrderStatus,
} from '../../domain/order';

describe('order state machine', () => {
  it('allows exactly the lifecycle of the seed diagram', () => {
    const allowed = ORDER_STATUSES.flatMap((from) =>
      ORDER_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'PROPOSED->PAYMENT_PENDING',
        'PROPOSED->EXPIRED',
        'PROPOSED->CANCELLED',
        'PAYMENT_PENDING->PAID',
        'PAYMENT_PENDING->PROPOSED',
        'PAYMENT_PENDING->EXPIRED',
        'PAYMENT_PENDING->CANCELLED',
        'PAID->FULFILLED',
        'PAID->CANCELLED',
        'FULFILLED->ARCHIVED',
        'FULFILLED->CANCELLED',
      ].sort(),
    );
  });

  it('treats ARCHIVED, EXPIRED and CANCELLED as terminal', () => {
    expect(ORDER_STATUSES.filter(isTerminal)).toEqual(['ARCHIVED', 'EXPIRED', 'CANCELLED']);
  });

  it('rejects a forbidden transition with INVALID_STATE', () => {
    expect(() => assertTransition('EXPIRED', 'PAID')).toThrow(DomainError);
    try {
      assertTransition('PROPOSED', 'PAID');
    } catch (err) {
      expect((err as DomainError).code).toBe('INVALID_STATE');
      expect((err as DomainError).status).toBe(409);
    }
  });

  it('derives workflow ids from order ids in one place', () => {
    expect(orderWorkflowId('0b7c')).toBe('order-0b7c');
  });

  it('is the order_status enum of the database, value for value (db/ keeps its own copy)', () => {
    expect(orderStatus.enumValues).toEqual(ORDER_STATUSES);
    expectTypeOf<(typeof orderStatus.enumValues)[number]>().toEqualTypeOf<OrderStatus>();
  });
});
