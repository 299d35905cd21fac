// Every workflow the worker registers. Bundled by the Temporal worker: deterministic code only.
export { probeWorkflow } from './probe';
export { orderWorkflow } from './order';
