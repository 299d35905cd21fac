import type { Logger } from './logger';

/** Runs the closers in reverse order of registration on SIGTERM/SIGINT, then exits. */
export function onShutdown(logger: Logger, closers: (() => Promise<unknown>)[]): void {
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    for (const fn of [...closers].reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.error({ err }, 'error while closing');
      }
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void close('SIGTERM'));
  process.once('SIGINT', () => void close('SIGINT'));
}
