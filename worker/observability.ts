/**
 * The worker's observability: activity interceptors (OpenTelemetry spans continued from the workflow, a log
 * context with the order id, payment outcomes counted from the charge activity's results), the workflow span
 * sink, and the worker's Prometheus metrics:
 *   altis_payment_outcomes_total{outcome}   succeeded | failed | pending | unknown (gateway timeout) | error
 *   altis_activity_failures_total{activity} activity attempts that threw (Temporal retries them)
 * plus the outbox relay's gauges (worker/outbox-relay.ts) and the default Node process metrics. The Temporal Core
 * SDK's own metrics (temporal_*) are exported by the Temporal runtime on a port of their own (worker/main.ts).
 */
import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import type { Context as ActivityContext } from '@temporalio/activity';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import {
  Runtime,
  type ActivityExecuteInput,
  type ActivityInboundCallsInterceptor,
  type ActivityInterceptorsFactory,
  type InjectedSinks,
  type Next,
  type RuntimeOptions,
} from '@temporalio/worker';
import { Counter, type Registry } from 'prom-client';
import type { AppConfig } from '../config';
import { logContext, type Logger } from '../lib/logger';
import { closeMetricsServer, serveMetrics } from '../lib/metrics';

/** The activities that charge a card: v2's chargeOrder, and chargePayment of v1 orders still draining. */
const CHARGES = new Set(['chargeOrder', 'chargePayment']);
import type { Tracing } from '../lib/tracing';

/** The OpenTelemetry workflow interceptors, bundled with the workflow code when tracing is on (worker/worker.ts). */
export const workflowInterceptorModules = [
  createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

export interface WorkerMetrics {
  registry: Registry;
  paymentOutcomes: Counter<'outcome'>;
  activityFailures: Counter<'activity'>;
}

export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  const paymentOutcomes = new Counter({
    name: 'altis_payment_outcomes_total',
    help: 'Results of the charge activity (chargeOrder; chargePayment of v1 orders) by outcome (error = the attempt threw and is retried)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of ['succeeded', 'failed', 'pending', 'unknown', 'error']) paymentOutcomes.inc({ outcome }, 0);
  const activityFailures = new Counter({
    name: 'altis_activity_failures_total',
    help: 'Activity attempts that threw, by activity type',
    labelNames: ['activity'] as const,
    registers: [registry],
  });
  return { registry, paymentOutcomes, activityFailures };
}

const ORDER_WORKFLOW_PREFIX = 'order-';

/** Runs each activity in a log context naming its order, logs failures, counts payment outcomes. */
class ActivityObservability implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: ActivityContext,
    private readonly logger: Logger,
    private readonly metrics: WorkerMetrics | undefined,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
    const { info } = this.ctx;
    const workflowId = info.workflowExecution?.workflowId ?? '';
    const fields: Record<string, unknown> = { activity: info.activityType, attempt: info.attempt };
    if (workflowId.startsWith(ORDER_WORKFLOW_PREFIX)) fields.order_id = workflowId.slice(ORDER_WORKFLOW_PREFIX.length);
    if (workflowId) fields.workflow_id = workflowId;
    const traceId = trace.getActiveSpan()?.spanContext().traceId;
    if (traceId) fields.trace_id = traceId;
    return logContext.run(fields, async () => {
      const started = performance.now();
      try {
        const result = await next(input);
        if (CHARGES.has(info.activityType)) {
          const status = (result as { status?: unknown } | null)?.status;
          this.metrics?.paymentOutcomes.inc({ outcome: typeof status === 'string' ? status : 'unknown' });
        }
        this.logger.debug({ ms: Math.round(performance.now() - started) }, 'activity completed');
        return result;
      } catch (err) {
        if (CHARGES.has(info.activityType)) this.metrics?.paymentOutcomes.inc({ outcome: 'error' });
        this.metrics?.activityFailures.inc({ activity: info.activityType });
        this.logger.warn(
          { ms: Math.round(performance.now() - started), err: (err as Error).message, error_type: (err as Error).name },
          'activity attempt failed',
        );
        throw err;
      }
    });
  }
}

/**
 * Activity interceptors, outermost first: the OpenTelemetry span (when tracing is on), then the log context,
 * logging and metrics.
 */
export function activityInterceptors(opts: {
  logger: Logger;
  metrics?: WorkerMetrics;
  tracing?: Tracing | null;
}): ActivityInterceptorsFactory[] {
  const factories: ActivityInterceptorsFactory[] = [];
  const { tracing } = opts;
  if (tracing) {
    factories.push((ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }));
  }
  factories.push((ctx) => ({ inbound: new ActivityObservability(ctx, opts.logger, opts.metrics) }));
  return factories;
}

/**
 * The sink the bundled workflow interceptors export their spans through; without tracing, one that drops them
 * (a bundle built with the interceptors may still run, e.g. in a test, without a collector).
 */
export function workflowSinks(tracing: Tracing | null | undefined): InjectedSinks<OpenTelemetrySinks> {
  if (tracing) return { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) };
  return { exporter: { export: { fn: () => undefined } } };
}

/**
 * Installs the Temporal runtime: SDK logs through pino, and the Core SDK's Prometheus exporter (temporal_* series:
 * task slots, poll and schedule-to-start latencies, sticky cache, request latencies) at
 * metrics.host:metrics.temporal_port. A port already in use costs those metrics (with a warning), not the worker.
 */
export function installTemporalRuntime(config: Pick<AppConfig, 'metrics'>, logger: Logger): void {
  const runtimeLogger: RuntimeOptions['logger'] = {
    log: (level, message, meta) =>
      logger[level === 'TRACE' ? 'trace' : (level.toLowerCase() as 'info')](meta ?? {}, message),
    trace: (m, meta) => logger.trace(meta ?? {}, m),
    debug: (m, meta) => logger.debug(meta ?? {}, m),
    info: (m, meta) => logger.info(meta ?? {}, m),
    warn: (m, meta) => logger.warn(meta ?? {}, m),
    error: (m, meta) => logger.error(meta ?? {}, m),
  };
  const { host, temporal_port: port } = config.metrics;
  if (port > 0) {
    try {
      Runtime.install({
        logger: runtimeLogger,
        telemetryOptions: { metrics: { prometheus: { bindAddress: `${host}:${port}`, useSecondsForDurations: true } } },
      });
      logger.info({ url: `http://${host}:${port}/metrics` }, 'Temporal SDK metrics served');
      return;
    } catch (err) {
      logger.warn({ err: (err as Error).message, port }, 'Temporal SDK metrics not exported');
    }
  }
  Runtime.install({ logger: runtimeLogger });
}

/** Serves the worker's registry at metrics.host:metrics.worker_port; null when off or when the port is taken. */
export async function serveWorkerMetrics(
  config: Pick<AppConfig, 'metrics'>,
  registry: Registry,
  logger: Logger,
): Promise<{ port: number; close(): Promise<void> } | null> {
  const { host, worker_port: port } = config.metrics;
  if (port === 0) return null;
  try {
    const server = await serveMetrics(registry, { host, port, logger });
    logger.info({ url: `http://${host}:${server.port}/metrics` }, 'worker metrics served');
    return { port: server.port, close: () => closeMetricsServer(server) };
  } catch (err) {
    logger.warn({ err: (err as Error).message, port }, 'worker metrics not served');
    return null;
  }
}
