// The Stageline worker: runs the sync workflows and their activities on one task queue.
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode, type LogLevel, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ActivityDeps } from '../activities/context';

/** One task queue for sync work; a deployment may run several Stagelines on one Temporal namespace. */
export const TASK_QUEUE = process.env.STAGELINE_TASK_QUEUE ?? 'stageline-sync';
export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

let runtimeInstalled = false;
/** The SDK logs every worker state change at INFO; a CLI or a test run wants warnings only. Call before any worker. */
export function installRuntime(level: LogLevel = 'WARN'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger(level) });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | null = null;
/** The workflow bundle is built once per process (webpack takes seconds) and shared by every worker. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error } });
  return bundle;
}

export interface WorkerOptions {
  address: string;
  namespace?: string;
  taskQueue?: string;
  deps: ActivityDeps;
  maxConcurrentActivities?: number;
}

export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  installRuntime((process.env.STAGELINE_LOG_LEVEL as LogLevel | undefined) ?? 'WARN');
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities(opts.deps),
    // Activities are I/O bound; the vendor's rate limit is the real cap (engineering-facts §1.4).
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities ?? 16,
    // In-flight pages finish on a deploy instead of being retried.
    shutdownGraceTime: '20s',
  });
  return { worker, connection };
}
