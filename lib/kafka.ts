import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { AppConfig } from '../config';

export type { Kafka, Admin, Producer };

export function createKafka(config: Pick<AppConfig, 'kafka'>, clientId = config.kafka.client_id): Kafka {
  return new Kafka({
    clientId,
    brokers: config.kafka.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
  });
}

export const topicName = (config: Pick<AppConfig, 'kafka'>, name: string) => `${config.kafka.topic_prefix}${name}`;
