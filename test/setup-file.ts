import { DefaultLogger, Runtime } from '@temporalio/worker';

// Each test file runs in its own process: keep the Temporal runtime quiet unless something goes wrong.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed in this process
}
