/**
 * Kafka SASL over TLS, through the app's factory (lib/kafka.ts: kafka.ssl, ssl_ca_file, sasl_mechanism and the
 * credentials from the environment): a KRaft broker of this test's own (the jars scripts/infra.sh caches), on free
 * ports in a temp dir, whose only client listener is SASL_SSL (PLAIN), with a PKCS12 keystore made from a
 * certificate of a CA the test generates. The test produces and consumes a message through it.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka';
import { testConfig } from '../support/services';
import { freePorts, issueCert, makeCa, run, startServer, tempDir, type Pem, type Server } from '../support/servers';

const LIBS = join(process.env.ALTIS_CACHE_DIR ?? join(homedir(), '.cache/altis'), 'kafka-3.9.1/libs');
const dir = tempDir('kafka-sasl');
let broker: Server | undefined;
let port = 0;
let ca: Pem;
const PASSWORD = randomUUID();

const config = (over: Record<string, string> = {}) =>
  testConfig({
    APP_KAFKA__BROKERS: `localhost:${port}`,
    APP_KAFKA__SSL: 'true',
    APP_KAFKA__SSL_CA_FILE: ca.certFile,
    APP_KAFKA__SASL_MECHANISM: 'plain',
    APP_KAFKA__SASL_USERNAME: 'altis',
    APP_KAFKA__SASL_PASSWORD: PASSWORD,
    ...over,
  });

beforeAll(async () => {
  if (!existsSync(LIBS)) throw new Error(`no Kafka jars in ${LIBS} (scripts/infra.sh install)`);
  ca = await makeCa(dir.path, 'altis-test-kafka-ca');
  const cert = await issueCert(dir.path, ca, 'kafka-broker', ['localhost', '127.0.0.1']);
  const keystore = join(dir.path, 'broker.p12');
  // prettier-ignore
  await run('openssl', ['pkcs12', '-export', '-in', cert.certFile, '-inkey', cert.keyFile, '-name', 'broker',
    '-out', keystore, '-passout', 'pass:keystore-pass']);
  const ports = await freePorts(2);
  port = ports[0]!;
  const controller = ports[1]!;
  const props = join(dir.path, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=SASL_SSL://localhost:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=SASL_SSL',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
      'sasl.enabled.mechanisms=PLAIN',
      'sasl.mechanism.inter.broker.protocol=PLAIN',
      'listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule ' +
        `required username="broker" password="broker-pass" user_broker="broker-pass" user_altis="${PASSWORD}";`,
      `ssl.keystore.location=${keystore}`,
      'ssl.keystore.type=PKCS12',
      'ssl.keystore.password=keystore-pass',
      'ssl.key.password=keystore-pass',
      `ssl.truststore.location=${ca.certFile}`,
      'ssl.truststore.type=PEM',
      `log.dirs=${join(dir.path, 'data')}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=true',
    ].join('\n'),
  );
  // The broker logs to stdout at INFO ('Kafka Server started' is the readiness line), as scripts/infra.sh's does.
  const log4j = join(dir.path, 'log4j.properties');
  writeFileSync(
    log4j,
    'log4j.rootLogger=INFO, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\n' +
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\nlog4j.logger.org.apache.kafka=WARN\n',
  );
  const java = ['-Xms128m', '-Xmx384m', `-Dlog4j.configuration=file:${log4j}`, '-cp', `${LIBS}/*`];
  const clusterId = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
  // `--cluster-id=<id>`, one argument: a random id may start with "-", which the parser takes for an option apart.
  await run('java', [...java, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', props]);
  broker = await startServer('java', [...java, 'kafka.Kafka', props], {
    timeoutMs: 120_000,
    ready: (output) => Promise.resolve(output.includes('Kafka Server started')),
  });
}, 180_000);

afterAll(async () => {
  await broker?.stop();
  dir.remove();
});

describe('Kafka over SASL_SSL (PLAIN)', () => {
  it('produces and consumes through the app’s factory with TLS and SASL credentials from the environment', async () => {
    const kafka = createKafka(config());
    const topic = `altis-sasl-${randomUUID().slice(0, 8)}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: 'over SASL_SSL' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `g-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: ({ message }) => Promise.resolve(resolve(String(message.value))) });
    });
    await consumer.disconnect();
    expect(received).toBe('over SASL_SSL');
  });

  it('is refused with a wrong password', async () => {
    const admin = createKafka(config({ APP_KAFKA__SASL_PASSWORD: 'wrong-password' })).admin();
    await expect(admin.connect()).rejects.toThrow(/SASL|Authentication|authenticate/i);
  });
});
