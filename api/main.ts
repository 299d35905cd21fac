import { loadConfig } from '../config';
import { createLogger } from '../lib/logger';
import { openServices } from '../lib/services';
import { onShutdown } from '../lib/shutdown';
import { startTracing } from '../lib/tracing';
import { createServices } from '../services';
import { createApp } from './app';
import { createHttpServer } from './server';

async function run() {
  const config = loadConfig();
  const logger = createLogger(config, 'api');
  const tracing = startTracing(config, 'altis-api'); // before the Temporal client: its interceptor traces through it
  const services = await openServices(config, logger, 'api');
  const appServices = createServices({ config, logger, ...services });
  const app = createApp({ config, logger, ...services, services: appServices });
  const server = createHttpServer(app.fetch, config.server);
  server.listen(config.server.port, config.server.host, () =>
    logger.info({ port: config.server.port }, `Altis API listening on http://localhost:${config.server.port}`),
  );
  onShutdown(logger, [
    async () => tracing?.shutdown(),
    () => services.close(),
    () => appServices.offers.flushCounts(), // before the connections close (closers run in reverse)
    () => new Promise<void>((resolve) => server.close(() => resolve())),
  ]);
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
