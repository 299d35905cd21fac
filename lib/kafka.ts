import { Kafka, logLevel, type Admin, type KafkaConfig, type Producer, type SASLOptions } from 'kafkajs';
import type { AppConfig } from '../config';
import { readPem } from './tls';

export type { Kafka, Admin, Producer };

type KafkaSettings = AppConfig['kafka'];

/** kafkajs's `ssl` and `sasl` for kafka.ssl / kafka.sasl_* (the credentials come from the environment). */
export function kafkaSecurity(kafka: KafkaSettings): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (kafka.ssl) {
    const ca = readPem(kafka.ssl_ca_file);
    out.ssl = ca ? { ca: [ca], rejectUnauthorized: true } : true;
  }
  if (kafka.sasl_mechanism !== '') {
    out.sasl = {
      mechanism: kafka.sasl_mechanism,
      username: kafka.sasl_username,
      password: kafka.sasl_password,
    } as SASLOptions;
  }
  return out;
}

export function createKafka(config: Pick<AppConfig, 'kafka'>, clientId = config.kafka.client_id): Kafka {
  return new Kafka({
    clientId,
    brokers: config.kafka.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
    ...kafkaSecurity(config.kafka),
  });
}

export const topicName = (config: Pick<AppConfig, 'kafka'>, name: string) => `${config.kafka.topic_prefix}${name}`;

/** Creates `topic` with `numPartitions` unless it exists, and waits for its partitions' leaders. */
export async function ensureTopic(kafka: Kafka, topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
