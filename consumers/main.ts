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
import { createPiiCipher } from '../lib/pii';
import { onShutdown } from '../lib/shutdown';
import { analyticsHandler } from './analytics';
import { createSmtpMailer, notificationsHandler } from './notifications';
import { rankerFeedHandler, rankerStoreFeed } from './ranker-feed';
import { createEventConsumer } from './runner';

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

  const deps = { kafka, db: pg.db, config, logger };
  const consumers = [
    notificationsHandler({ config, logger, pii: createPiiCipher(config.pii), mailer }),
    analyticsHandler(),
    rankerFeedHandler({ feed: rankerStoreFeed({ redis, store, logger }) }),
  ].map((handler) => createEventConsumer(deps, handler));

  // Closed in reverse: the consumers leave their groups first, then the clients they use close.
  onShutdown(logger, [
    () => pg.close(),
    () => redis.quit(),
    async () => mailer.close(),
    ...consumers.map((c) => () => c.stop()),
  ]);
  for (const c of consumers) c.start();
  logger.info({ consumers: consumers.map((c) => c.groupId) }, 'Altis consumers running');
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
