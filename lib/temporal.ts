import { Client, Connection } from '@temporalio/client';
import type { AppConfig } from '../config';

export interface TemporalHandle {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

export async function connectTemporal(config: Pick<AppConfig, 'temporal'>): Promise<TemporalHandle> {
  const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '5s' });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return { client, connection, close: () => connection.close() };
}
