/**
 * The consumers process (`npm run consumers`): notifications, analytics and the ranker feed, each its own
 * consumer group on `<prefix>order-events`, each with its dead-letter topic.
 */
import { createRankerStore } from '../services/ranker-store';
import { loadConfig } from '../config';
import { openDatabase } from '../lib/database';
import { createRedis } from '../lib/redis';
import { createKafka } from '../lib/kafka';
import { createLogger } from '../lib/logger';
import { closeMetricsServer, createRegistry, serveMetrics } from '../lib/metrics';
import { createPiiCipher } from '../lib/pii';
import { onShutdown } from '../lib/shutdown';
import { analyticsHandler } from './analytics';
import { consumersHealth, createConsumerMetrics } from './metrics';
import { createSmtpMailer, notificationsHandler } from './notifications';
import { rankerFeedHandler, rankerStoreFeed } from './ranker-feed';
import { createEventConsumer, type EventConsumer } from './runner';

async function run() {
  const config = loadConfig();
  const logger = createLogger(config, 'consumers');
  const pg = openDatabase(config);
  const redis = createRedis(config.redis, { name: 'consumers' });
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  const kafka = createKafka(config, `${config.kafka.client_id}-consumers`);
  const mailer = createSmtpMailer(config);
  const store = createRankerStore({
    redis,
    db: pg.db,
    config,
    onError: (err) => logger.warn({ err }, 'ranker store error'),
  });

  const registry = createRegistry('consumers');
  const admin = kafka.admin();
  // Filled below; the lag gauge and /health read it at each request.
  const running: EventConsumer[] = [];
  const metrics = createConsumerMetrics(registry, {
    admin,
    consumers: () => running,
    onError: (err) => logger.warn({ err: (err as Error).message }, 'consumer lag not readable'),
  });

  const deps = { kafka, db: pg.db, config, logger, metrics };
  const consumers = [
    notificationsHandler({ config, logger, pii: createPiiCipher(config.pii), mailer }),
    analyticsHandler(),
    rankerFeedHandler({ feed: rankerStoreFeed({ redis, store, logger }) }),
  ].map((handler) => createEventConsumer(deps, handler));
  running.push(...consumers);
  const { host, consumers_port: port } = config.metrics;
  // A port in use costs the endpoint (a warning), not the process, as with the worker's.
  const server =
    port === 0
      ? null
      : await serveMetrics(registry, {
          host,
          port,
          logger,
          routes: { '/health': consumersHealth({ db: pg.db, admin, consumers: () => running }) },
        }).catch((err: unknown) => {
          logger.warn({ err: (err as Error).message, port }, 'consumers metrics server not started');
          return null;
        });

  // Closed in reverse: the consumers leave their groups first, then the clients they use close.
  onShutdown(logger, [
    () => pg.close(),
    () => redis.quit(),
    async () => mailer.close(),
    () => admin.disconnect(),
    ...consumers.map((c) => () => c.stop()),
    async () => {
      if (server) await closeMetricsServer(server);
    },
  ]);
  for (const c of consumers) c.start();
  logger.info(
    { consumers: consumers.map((c) => c.groupId), metrics: server ? `http://${host}:${server.port}/metrics` : null },
    'Altis consumers running',
  );
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
