/**
 * The connection options the factories build from config, for what cannot run on this machine: Temporal over
 * TLS (the Temporal CLI dev server v1.5.1 has no TLS flags) and Temporal Cloud's API key. Kafka's options are
 * checked here too (a broker with SASL_SSL runs in test/integration/kafka-sasl.test.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { kafkaSecurity } from '../../lib/kafka';
import { temporalConnectionOptions } from '../../lib/temporal';
import { tempDir } from '../support/servers';

const dir = tempDir('secure-options');
afterAll(() => dir.remove());
const file = (name: string, text: string) => {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
};

describe('Temporal connection options (lib/temporal.ts, used by the client and the worker)', () => {
  it('are plaintext by default', () => {
    expect(temporalConnectionOptions(loadConfig({}).temporal)).toEqual({ address: '127.0.0.1:7233' });
  });

  it('carry mTLS: the CA, the server name and the client certificate pair, read from the configured files', () => {
    const config = loadConfig({
      APP_TEMPORAL__ADDRESS: 'temporal.internal:7233',
      APP_TEMPORAL__TLS_CA_FILE: file('ca.pem', 'CA PEM'),
      APP_TEMPORAL__TLS_SERVER_NAME: 'frontend.temporal',
      APP_TEMPORAL__TLS_CERT_FILE: file('client.pem', 'CLIENT CERT'),
      APP_TEMPORAL__TLS_KEY_FILE: file('client.key', 'CLIENT KEY'),
    });
    const options = temporalConnectionOptions(config.temporal);
    expect(options).toEqual({
      address: 'temporal.internal:7233',
      tls: {
        serverRootCACertificate: Buffer.from('CA PEM'),
        serverNameOverride: 'frontend.temporal',
        clientCertPair: { crt: Buffer.from('CLIENT CERT'), key: Buffer.from('CLIENT KEY') },
      },
    });
  });

  it('carry a Temporal Cloud API key over TLS (system CAs), with the namespace header', () => {
    const config = loadConfig({
      APP_TEMPORAL__ADDRESS: 'us-east-1.aws.api.temporal.io:7233',
      APP_TEMPORAL__NAMESPACE: 'altis.a1b2c',
      APP_TEMPORAL__API_KEY: 'key-from-env',
    });
    expect(temporalConnectionOptions(config.temporal)).toEqual({
      address: 'us-east-1.aws.api.temporal.io:7233',
      tls: {},
      apiKey: 'key-from-env',
      metadata: { 'temporal-namespace': 'altis.a1b2c' },
    });
  });

  it('refuse a client certificate without its key', () => {
    expect(() => loadConfig({ APP_TEMPORAL__TLS_CERT_FILE: '/x.pem' })).toThrow(/tls_cert_file and tls_key_file/);
  });
});

describe('Kafka security options (lib/kafka.ts)', () => {
  it('are none by default; ssl with the CA file and SASL from the environment when configured', () => {
    expect(kafkaSecurity(loadConfig({}).kafka)).toEqual({});
    const config = loadConfig({
      APP_KAFKA__SSL: 'true',
      APP_KAFKA__SSL_CA_FILE: file('kafka-ca.pem', 'KAFKA CA'),
      APP_KAFKA__SASL_MECHANISM: 'scram-sha-256',
      APP_KAFKA__SASL_USERNAME: 'altis',
      APP_KAFKA__SASL_PASSWORD: 'from-env',
    });
    expect(kafkaSecurity(config.kafka)).toEqual({
      ssl: { ca: ['KAFKA CA'], rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-256', username: 'altis', password: 'from-env' },
    });
  });

  it('refuse a SASL mechanism without credentials', () => {
    expect(() => loadConfig({ APP_KAFKA__SASL_MECHANISM: 'plain' })).toThrow(/sasl_username and sasl_password/);
  });
});
