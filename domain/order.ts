import { DomainError } from './errors';

/** The order lifecycle (seeds/altis-architecture.md, "Order Lifecycle"). */
export const ORDER_STATUSES = [
  'PROPOSED',
  'PAYMENT_PENDING',
  'PAID',
  'FULFILLED',
  'ARCHIVED',
  'EXPIRED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  PROPOSED: ['PAYMENT_PENDING', 'EXPIRED', 'CANCELLED'],
  PAYMENT_PENDING: ['PAID', 'PROPOSED', 'EXPIRED', 'CANCELLED'],
  PAID: ['FULFILLED', 'CANCELLED'],
  FULFILLED: ['ARCHIVED', 'CANCELLED'],
  ARCHIVED: [],
  EXPIRED: [],
  CANCELLED: [],
};

export const isTerminal = (s: OrderStatus) => TRANSITIONS[s].length === 0;
export const canTransition = (from: OrderStatus, to: OrderStatus) => TRANSITIONS[from].includes(to);

export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) {
    throw new DomainError('INVALID_STATE', `an order cannot go from ${from} to ${to}`, { from, to });
  }
}

/** Holds inventory (seats counted, not yet sold): the states in which expiry or cancel must release. */
export const holdsInventory = (s: OrderStatus) => s === 'PROPOSED' || s === 'PAYMENT_PENDING';
/** Money was taken: cancelling refunds. */
export const isPaid = (s: OrderStatus) => s === 'PAID' || s === 'FULFILLED';

/**
 * The one rule for "the hold has expired" (the API answers 410): the order expired, is being expired, or is still
 * PROPOSED past its hold time. The workflow's validators and the API's reading of a closed order both ask it.
 */
export function holdExpired(o: { status: OrderStatus; expiresAt: number; expiring?: boolean }, now: number): boolean {
  return o.status === 'EXPIRED' || o.expiring === true || (o.status === 'PROPOSED' && now >= o.expiresAt);
}

/** Workflow ids from domain keys, both ways. */
export const orderWorkflowId = (orderId: string) => `order-${orderId}`;
export const orderIdFromWorkflowId = (workflowId: string): string | null =>
  workflowId.startsWith('order-') ? workflowId.slice('order-'.length) : null;
