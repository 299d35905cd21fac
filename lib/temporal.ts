import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow/tls-config';
import type { AppConfig } from '../config';
import { readPem } from './tls';

export interface TemporalHandle {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/** What both connection kinds (the client's Connection, the worker's NativeConnection) take from `[temporal]`. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
  metadata?: Record<string, string>;
}

const pem = (path: string) => {
  const text = readPem(path);
  return text === undefined ? undefined : Buffer.from(text);
};

/**
 * The connection options of `[temporal]`: TLS when temporal.tls, a client certificate (mTLS) or an API key is
 * set; the server checked against tls_ca_file (else the system CAs) under tls_server_name (else the address's
 * host). An API key (Temporal Cloud) goes as a bearer token, with the namespace in `temporal-namespace` metadata
 * as Temporal Cloud routes it.
 */
export function temporalConnectionOptions(temporal: AppConfig['temporal']): TemporalConnectionOptions {
  const out: TemporalConnectionOptions = { address: temporal.address };
  const crt = pem(temporal.tls_cert_file);
  const key = pem(temporal.tls_key_file);
  if (temporal.tls || crt || temporal.api_key !== '') {
    const ca = pem(temporal.tls_ca_file);
    out.tls = {
      ...(ca ? { serverRootCACertificate: ca } : {}),
      ...(temporal.tls_server_name !== '' ? { serverNameOverride: temporal.tls_server_name } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    };
  }
  if (temporal.api_key !== '') {
    out.apiKey = temporal.api_key;
    out.metadata = { 'temporal-namespace': temporal.namespace };
  }
  return out;
}

export async function connectTemporal(config: Pick<AppConfig, 'temporal'>): Promise<TemporalHandle> {
  const connection = await Connection.connect({
    ...temporalConnectionOptions(config.temporal),
    connectTimeout: '5s',
  });
  // Connecting ran inside the connection's AsyncLocalStorage (its deadline), which turns Node's promise hooks on for
  // the whole process: a cost on every promise of every request after it. Nothing is in that storage once connected;
  // disabled, it reads as empty, and a later withDeadline/withMetadata/withAbortSignal turns it on again.
  connection.callContextStorage.disable();
  // Starts, updates and signals carry the caller's trace context to the workflow (a no-op unless tracing is on).
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
  });
  return { client, connection, close: () => connection.close() };
}
