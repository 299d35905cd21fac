// Every workflow the worker registers. Bundled by the Temporal worker: deterministic code only.
export { probeWorkflow } from './probe';
export { orderWorkflowV2 } from './order';
export { latePaymentWorkflow } from './late-payment';
// v1, until its last order has drained (workflows/order-v1.ts).
export { orderWorkflow } from './order-v1';
// Airline-initiated changes: the fan-out to the affected orders.
export { flightDisruptionWorkflow } from './flight-disruption';
