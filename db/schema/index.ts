export * from './catalog';
export * from './orders';
export * from './outbox';
export * from './events';
export * from './ranker';
export * from './commercial';
export * from './order-changes';
export * from './servicing';
