import { Runtime } from '@temporalio/worker';
import { loadConfig } from '../config';
import { createDb } from '../db/client';
import { createRedis } from '../db/redis';
import { createLogger } from '../lib/logger';
import { createWorker } from './worker';

async function run() {
  const config = loadConfig();
  const logger = createLogger(config, 'worker');
  Runtime.install({
    logger: {
      log: (level, message, meta) =>
        logger[level === 'TRACE' ? 'trace' : (level.toLowerCase() as 'info')](meta ?? {}, message),
      trace: (m, meta) => logger.trace(meta ?? {}, m),
      debug: (m, meta) => logger.debug(meta ?? {}, m),
      info: (m, meta) => logger.info(meta ?? {}, m),
      warn: (m, meta) => logger.warn(meta ?? {}, m),
      error: (m, meta) => logger.error(meta ?? {}, m),
    },
  });
  const pg = createDb(config.database.url, { max: config.database.pool_max });
  const redis = createRedis(config.redis.url, { name: 'worker' });
  const { worker, connection } = await createWorker({
    deps: { config, logger, db: pg.db, sql: pg.sql, redis },
  });
  logger.info({ taskQueue: config.temporal.task_queue }, 'Altis worker polling');
  // The Temporal runtime turns SIGTERM/SIGINT into a graceful worker shutdown; run() resolves after it.
  try {
    await worker.run();
  } finally {
    await Promise.allSettled([connection.close(), redis.quit(), pg.close()]);
    logger.info('worker stopped');
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
