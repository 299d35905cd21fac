import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import type { AppConfig } from '../config';

export interface TemporalHandle {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

export async function connectTemporal(config: Pick<AppConfig, 'temporal'>): Promise<TemporalHandle> {
  const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '5s' });
  // Starts, updates and signals carry the caller's trace context to the workflow (a no-op unless tracing is on).
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
  });
  return { client, connection, close: () => connection.close() };
}
