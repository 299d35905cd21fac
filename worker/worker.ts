import { existsSync } from 'node:fs';
import {
  bundleWorkflowCode,
  NativeConnection,
  Worker,
  type WorkflowBundleOption,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { AppConfig } from '../config';
import { createActivities, type ActivityDeps } from '../activities';
import type { Tracing } from '../lib/tracing';
import { temporalConnectionOptions } from '../lib/temporal';
import { activityInterceptors, workflowInterceptorModules, workflowSinks, type WorkerMetrics } from './observability';

export const workflowsPath = new URL('../workflows/index.ts', import.meta.url).pathname;

/**
 * The workflow bundle `npm run build` wrote beside the compiled worker (dist/workflows/bundle.js, or
 * bundle-traced.js with the tracing interceptors); undefined in the source tree, where the worker bundles at start.
 */
export function prebuiltWorkflowBundle(tracing: boolean): { codePath: string } | undefined {
  const codePath = new URL(`../workflows/bundle${tracing ? '-traced' : ''}.js`, import.meta.url).pathname;
  return existsSync(codePath) ? { codePath } : undefined;
}

/**
 * Bundles the workflow code once (webpack); pass the result to several workers to skip re-bundling. With
 * `tracing`, the OpenTelemetry workflow interceptors are bundled too (they cost CPU on every workflow task, so
 * they are left out unless traces are exported). Either bundle replays the other's histories: the interceptors
 * add trace headers, never commands (test/integration/tracing.test.ts replays a traced order both ways).
 */
export function bundleWorkflows(opts: { tracing?: boolean } = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: opts.tracing ? workflowInterceptorModules : [],
    logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} },
  });
}

async function workflowBundleFor(opts: WorkerOptions): Promise<WorkflowBundleOption> {
  const tracing = Boolean(opts.tracing);
  const prebuilt = prebuiltWorkflowBundle(tracing);
  if (prebuilt) {
    opts.deps.logger.info({ codePath: prebuilt.codePath }, 'loading the pre-built workflow bundle');
    return prebuilt;
  }
  return bundleWorkflows({ tracing });
}

export interface WorkerOptions {
  deps: ActivityDeps;
  taskQueue?: string;
  /** A prebuilt bundle; with `tracing`, one built by bundleWorkflows({ tracing: true }) (else no workflow spans). */
  workflowBundle?: WorkflowBundleOption;
  connection?: NativeConnection;
  /** Payment outcomes and activity failures are counted here (worker/observability.ts). */
  metrics?: WorkerMetrics;
  /** Spans of workflows and activities go here; null or absent: none are exported. */
  tracing?: Tracing | null;
}

/** Builds the order worker: the workflows of workflows/ and the activities of activities/, bound to deps. */
export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const config: AppConfig = opts.deps.config;
  const connection = opts.connection ?? (await NativeConnection.connect(temporalConnectionOptions(config.temporal)));
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: opts.taskQueue ?? config.temporal.task_queue,
    workflowBundle: opts.workflowBundle ?? (await workflowBundleFor(opts)),
    activities: createActivities(opts.deps),
    maxCachedWorkflows: config.worker.max_cached_workflows,
    interceptors: {
      activity: activityInterceptors({ logger: opts.deps.logger, metrics: opts.metrics, tracing: opts.tracing }),
    },
    sinks: workflowSinks(opts.tracing),
  });
  return { worker, connection };
}
