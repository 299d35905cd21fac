import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Admin, Kafka } from 'kafkajs';
import type { AppConfig } from '../config';
import type { Database, Sql } from '../db/client';
import { openDatabase } from './database';
import { createRedis } from './redis';
import { createKafka } from './kafka';
import { countingPgSocket, countRedisRoundTrips } from './round-trips';
import type { Logger } from './logger';
import { connectTemporal } from './temporal';

/** The clients of the real services a process needs, opened from config and closed together. */
export interface Services {
  db: Database;
  sql: Sql;
  redis: Redis;
  temporal: Client;
  kafka: Kafka;
  kafkaAdmin: Admin;
  close(): Promise<void>;
}

export async function openServices(config: AppConfig, logger: Logger, name: string): Promise<Services> {
  const counting = config.metrics.count_round_trips;
  const pg = openDatabase(config, counting ? { socket: countingPgSocket } : {});
  const redis = createRedis(config.redis, { name });
  if (counting) countRedisRoundTrips(redis);
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  const temporal = await connectTemporal(config);
  const kafka = createKafka(config, `${config.kafka.client_id}-${name}`);
  const kafkaAdmin = kafka.admin();
  try {
    await kafkaAdmin.connect();
  } catch (err) {
    // Kafka being away must not stop the API from serving: /health reports it and the outbox keeps events.
    logger.warn({ err: (err as Error).message }, 'kafka not reachable at start');
  }
  return {
    db: pg.db,
    sql: pg.sql,
    redis,
    temporal: temporal.client,
    kafka,
    kafkaAdmin,
    async close() {
      await Promise.allSettled([kafkaAdmin.disconnect(), temporal.close(), redis.quit(), pg.close()]);
    },
  };
}
