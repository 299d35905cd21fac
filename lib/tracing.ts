/**
 * OpenTelemetry traces, exported over OTLP/HTTP (JSON) to `otel.otlp_endpoint` + `/v1/traces`. With the endpoint
 * empty (the default) nothing is created: no provider, no exporter, no network, and every tracer in the process
 * stays the API's no-op tracer.
 *
 * The API registers its provider globally (the Temporal client interceptor and the request middleware use the
 * global tracer); a worker passes `tracing.tracer` and `tracing.spanProcessor` to its interceptors and its workflow
 * span sink explicitly, so that a test can run both in one process and still tell them apart by service name.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { AppConfig } from '../config';

export interface Tracing {
  serviceName: string;
  tracer: Tracer;
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Sends what is buffered now (tests, and before a process exits). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The OTLP/HTTP traces URL for an endpoint given with or without the `/v1/traces` path. */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

/** Starts tracing for one service, or returns null when `otel.otlp_endpoint` is empty. */
export function startTracing(
  config: Pick<AppConfig, 'otel'>,
  serviceName: string,
  opts: { registerGlobal?: boolean } = {},
): Tracing | null {
  const endpoint = config.otel.otlp_endpoint.trim();
  if (endpoint === '') return null;
  const resource = new Resource({ 'service.name': serviceName, 'service.namespace': 'altis' });
  const exporter = new OTLPTraceExporter({ url: tracesUrl(endpoint), timeoutMillis: 5000 });
  // Batched: a span never waits on the collector, and a collector that is away costs dropped spans, not latency.
  const spanProcessor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000, maxQueueSize: 4096 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Global: W3C trace-context propagation and an AsyncLocalStorage context manager for the whole process.
  if (opts.registerGlobal !== false) provider.register();
  return {
    serviceName,
    tracer: provider.getTracer(serviceName),
    resource,
    spanProcessor,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** The tracer the API uses: the global one (a no-op unless startTracing registered a provider). */
export const apiTracer = (): Tracer => trace.getTracer('altis-api');
