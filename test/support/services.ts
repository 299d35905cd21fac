import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { WorkflowBundleOption } from '@temporalio/worker';
import { loadConfig, type AppConfig } from '../../config';
import { createLogger } from '../../lib/logger';
import { openServices, type Services } from '../../lib/services';

export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ ...process.env, ...env });
}

// ALTIS_TEST_LOG_LEVEL=error shows what the test processes log (silent otherwise).
export const silentLogger = () =>
  createLogger({ log: { level: (process.env.ALTIS_TEST_LOG_LEVEL ?? 'silent') as 'silent', pretty: false } }, 'test');

export async function openTestServices(config = testConfig()): Promise<Services> {
  return openServices(config, silentLogger(), 'test');
}

/** The workflow bundle built once by test/global-setup.ts. */
export function workflowBundle(): WorkflowBundleOption {
  return { codePath: inject('workflowBundlePath') };
}

/** A task queue no other test file polls. */
export const uniqueTaskQueue = (name: string) => `test-${name}-${randomUUID().slice(0, 8)}`;
