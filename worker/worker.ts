import {
  bundleWorkflowCode,
  NativeConnection,
  Worker,
  type WorkflowBundleOption,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { AppConfig } from '../config';
import { createActivities, type ActivityDeps } from '../activities';

export const workflowsPath = new URL('../workflows/index.ts', import.meta.url).pathname;

/** Bundles the workflow code once (webpack); pass the result to several workers to skip re-bundling. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath,
    logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} },
  });
}

export interface WorkerOptions {
  deps: ActivityDeps;
  taskQueue?: string;
  workflowBundle?: WorkflowBundleOption;
  connection?: NativeConnection;
}

/** Builds the order worker: the workflows of workflows/ and the activities of activities/, bound to deps. */
export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const config: AppConfig = opts.deps.config;
  const connection = opts.connection ?? (await NativeConnection.connect({ address: config.temporal.address }));
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: opts.taskQueue ?? config.temporal.task_queue,
    workflowBundle: opts.workflowBundle ?? (await bundleWorkflows()),
    activities: createActivities(opts.deps),
  });
  return { worker, connection };
}
