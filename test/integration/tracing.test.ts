import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventory } from '../../services/inventory';
import type { AppConfig } from '../../config';
import { orders } from '../../db/schema';
import type { Services } from '../../lib/services';
import { startTracing, type Tracing } from '../../lib/tracing';
import { workflowSinks } from '../../worker/observability';
import { bundleWorkflows } from '../../worker/worker';
import { orderWorkflowId } from '../../workflows/messages';
import { apiClient, eventually, startOrderStack, type OrderStack } from '../support/harness';
import { createTestOffer } from '../support/fixtures';
import { createTestFlight, testRoute } from '../support/flights';
import { recordedHistories } from '../support/histories';
import { openTestServices, testConfig, workflowBundle } from '../support/services';

const route = testRoute('tracing');

interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string };
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: { spans: { name: string; traceId: string; spanId: string; parentSpanId?: string }[] }[];
  }[];
}

/** A tiny OTLP/HTTP receiver: records every span POSTed (JSON) to /v1/traces. */
async function startReceiver(): Promise<{ server: Server; url: string; spans: ReceivedSpan[]; posts: () => number }> {
  const spans: ReceivedSpan[] = [];
  let posts = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      posts++;
      const body = JSON.parse(Buffer.concat(chunks).toString()) as OtlpExport;
      for (const rs of body.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            spans.push({
              service,
              name: s.name,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, spans, posts: () => posts };
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let services: Services;
let config: AppConfig;
let apiTracing: Tracing;
let workerTracing: Tracing;
let api: ReturnType<typeof apiClient>;
let stack: OrderStack;
let tracedBundle: { code: string };

beforeAll(async () => {
  receiver = await startReceiver();
  const env = { APP_OTEL__OTLP_ENDPOINT: receiver.url };
  config = testConfig(env);
  // As in api/main.ts: the API's provider is global (its Temporal client interceptor uses the global tracer).
  // The worker's is not, so that its spans carry their own service name although both run in this process.
  apiTracing = startTracing(config, 'altis-api')!;
  workerTracing = startTracing(config, 'altis-worker', { registerGlobal: false })!;
  services = await openTestServices(config);
  tracedBundle = { code: (await bundleWorkflows({ tracing: true })).code };
  stack = await startOrderStack(services, env, {
    asyncDelayMs: 500,
    workerOptions: { workflowBundle: tracedBundle, tracing: workerTracing },
  });
  config = stack.config;
  api = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.close();
  await services?.close();
  await Promise.allSettled([apiTracing?.shutdown(), workerTracing?.shutdown()]);
  receiver?.server.close();
});

describe('OpenTelemetry traces over OTLP/HTTP', () => {
  it('are off by default: no endpoint, no tracing', () => {
    expect(startTracing(testConfig(), 'altis-api')).toBeNull();
  });

  it('follow an order from the API request through the workflow into its activities', async () => {
    const token = (await api<{ token: string }>('POST', '/v1/auth/guest')).body.token;
    const flight = await createTestFlight(services, { route, capacity: 10 });
    await createInventory(services).rebuildIndex([flight.id]);
    const offer = await createTestOffer(services.redis, [flight]);
    const traveler = { ptc: 'ADT', first_name: 'Ada', last_name: 'Lovelace' };
    const accepted = await api('POST', `/v1/offers/${offer.id}/accept`, {
      token,
      body: { travelers: [traveler], contact: { email: 'ada@example.com' } },
    });
    expect(accepted.status).toBe(201);
    const orderId = accepted.body.id as string;
    const paid = await api('POST', `/v1/orders/${orderId}/pay`, { token, body: { payment_token: 'tok_visa' } });
    expect(paid.status).toBe(200);
    await eventually(
      async () => (await services.db.select({ s: orders.status }).from(orders).where(eq(orders.id, orderId)))[0]?.s,
      (s) => s === 'FULFILLED',
    );

    const wanted = (spans: ReceivedSpan[]) =>
      ['RunActivity:completeSale', 'StartActivity:completeSale', 'POST /v1/orders/:id/pay'].every((n) =>
        spans.some((s) => s.name === n),
      );
    const spans = await eventually(
      async () => {
        await Promise.all([apiTracing.flush(), workerTracing.flush()]);
        return receiver.spans;
      },
      wanted,
      20_000,
      250,
    );
    expect(receiver.posts()).toBeGreaterThan(0);
    const named = (service: string, name: string) => spans.find((s) => s.service === service && s.name === name);

    // The API: the request span, and the Temporal client's update-with-start under it.
    const acceptSpan = named('altis-api', 'POST /v1/offers/:id/accept');
    const startSpan = named('altis-api', 'UpdateWithStartWorkflow:confirmProposal');
    expect(acceptSpan).toBeDefined();
    expect(startSpan).toMatchObject({ traceId: acceptSpan!.traceId, parentSpanId: acceptSpan!.spanId });

    // The worker: the workflow (its run span stays open while the order lives) schedules its first activity and the
    // activity runs, all in the request's trace; later steps of the workflow's main loop stay in that trace too.
    const scheduled = named('altis-worker', 'StartActivity:proposeOrder');
    const ran = named('altis-worker', 'RunActivity:proposeOrder');
    expect(scheduled?.traceId).toBe(acceptSpan!.traceId);
    expect(ran).toMatchObject({ traceId: acceptSpan!.traceId, parentSpanId: scheduled!.spanId });
    expect(named('altis-worker', 'HandleUpdate:confirmProposal')).toMatchObject({ parentSpanId: startSpan!.spanId });
    expect(named('altis-worker', 'RunActivity:completeSale')?.traceId).toBe(acceptSpan!.traceId);

    // Pay: request → update → the update handler in the workflow, one trace. The charge itself is a step of the
    // workflow's main loop (payment lives in one place there), so it runs in the order's trace.
    const paySpan = named('altis-api', 'POST /v1/orders/:id/pay');
    const update = named('altis-api', 'StartWorkflowUpdate:startPayment');
    expect(update).toMatchObject({ traceId: paySpan!.traceId, parentSpanId: paySpan!.spanId });
    expect(named('altis-worker', 'HandleUpdate:startPayment')?.traceId).toBe(paySpan!.traceId);
    expect(named('altis-worker', 'RunActivity:chargeOrder')?.traceId).toBe(acceptSpan!.traceId);

    // Both processes exported: the API's spans and the worker's (workflow spans through the sink, activity spans).
    const services_ = new Set(spans.map((s) => s.service));
    expect(services_).toEqual(new Set(['altis-api', 'altis-worker']));

    // Tracing may be turned on or off under running orders: the traced history (trace headers on its commands)
    // replays with the traced bundle and with the plain one.
    const history = await services.temporal.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: tracedBundle, sinks: workflowSinks(null) }, history);
    await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history);
  });

  it('replays the recorded order histories (recorded untraced) with the traced bundle', async () => {
    const histories = recordedHistories();
    expect(histories.length).toBeGreaterThan(0);
    const options = { workflowBundle: tracedBundle, sinks: workflowSinks(null) };
    for await (const result of Worker.runReplayHistories(options, histories)) {
      expect(result.error, `${result.workflowId} no longer replays`).toBeUndefined();
    }
  });
});
