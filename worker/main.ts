import { register } from 'prom-client';
import { loadConfig } from '../config';
import { openDatabase } from '../lib/database';
import { createRedis } from '../lib/redis';
import { createKafka } from '../lib/kafka';
import { createLogger } from '../lib/logger';
import { createRegistry } from '../lib/metrics';
import { startTracing } from '../lib/tracing';
import { createWorkerMetrics, installTemporalRuntime, serveWorkerMetrics } from './observability';
import { startFlightStatusMoves, startHousekeeping } from './housekeeping';
import { createOutboxRelay, registerOutboxMetrics } from './outbox-relay';
import { createWorker } from './worker';

async function run() {
  const config = loadConfig();
  const logger = createLogger(config, 'worker');
  installTemporalRuntime(config, logger);
  const tracing = startTracing(config, 'altis-worker');
  const registry = createRegistry('worker', register);
  const metrics = createWorkerMetrics(registry);
  const pg = openDatabase(config);
  const redis = createRedis(config.redis, { name: 'worker' });
  const { worker, connection } = await createWorker({
    deps: { config, logger, db: pg.db, sql: pg.sql, redis },
    metrics,
    tracing,
  });
  const metricsServer = await serveWorkerMetrics(config, registry, logger);
  const relay = createOutboxRelay({
    db: pg.db,
    sql: pg.sql,
    kafka: createKafka(config, `${config.kafka.client_id}-outbox-relay`),
    config,
    logger: logger.child({ component: 'outbox-relay' }),
  });
  registerOutboxMetrics(relay, registry);
  await relay.start();
  const housekeeping = startHousekeeping(pg.db, config, logger.child({ component: 'housekeeping' }));
  const statusMoves = startFlightStatusMoves(pg, config, logger.child({ component: 'flight-status' }));
  // The identity is what Temporal records on each task this worker ran (history events), e.g. to tell workers apart.
  logger.info({ taskQueue: config.temporal.task_queue, identity: worker.options.identity }, 'Altis worker polling');
  // The Temporal runtime turns SIGTERM/SIGINT into a graceful worker shutdown; run() resolves after it.
  try {
    await worker.run();
  } finally {
    housekeeping.stop();
    statusMoves.stop();
    await relay.stop();
    await Promise.allSettled([
      connection.close(),
      redis.quit(),
      pg.close(),
      metricsServer?.close(),
      tracing?.shutdown(),
    ]);
    logger.info('worker stopped');
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
