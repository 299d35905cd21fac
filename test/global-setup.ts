import { writeFileSync, mkdirSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../config';
import { runMigrations } from '../db/migrate';
import { bundleWorkflows } from '../worker/worker';
import { TEST_ENV } from './env';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
  }
}

/**
 * Runs once before all test files: migrates the test database and bundles the workflow code once, so that
 * each test file's worker loads the bundle instead of running webpack again. The services themselves are
 * started by scripts/test.sh (npm test).
 */
export default async function setup(project: TestProject) {
  // The same environment as the test processes: migrate altis_test, not the development database.
  Object.assign(process.env, TEST_ENV);
  const config = loadConfig();
  try {
    await runMigrations(config.database.url);
  } catch (err) {
    throw new Error(
      `cannot migrate ${config.database.url}: ${(err as Error).message}. Run the tests with \`npm test\`, which starts the services.`,
    );
  }
  const bundle = await bundleWorkflows();
  const dir = new URL('../.data/test', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/workflow-bundle.js`;
  writeFileSync(path, bundle.code);
  project.provide('workflowBundlePath', path);
}
