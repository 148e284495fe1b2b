// The server that global-setup started is a real Temporal: it serves the namespace, and a real Worker,
// bundling our TypeScript ESM workflow sources from their path, runs a workflow on it to completion.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPORAL_NAMESPACE, temporalAddress } from '../test/support/env';
import { createHelloActivities } from '../test/support/workflows/hello-activities';
import type { hello } from '../test/support/workflows/hello';

const workflowsPath = fileURLToPath(new URL('../test/support/workflows/hello.ts', import.meta.url));

describe('the Temporal dev server of the test run', () => {
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    // The worker's INFO lines (start, stop, bundle sizes) would bury the test output.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    connection = await Connection.connect({ address: temporalAddress() });
    client = new Client({ connection, namespace: TEMPORAL_NAMESPACE });
  });

  afterAll(async () => {
    await connection?.close();
  });

  it('serves the default namespace from a server with the features Stageline relies on', async () => {
    const { namespaceInfo } = await connection.workflowService.describeNamespace({ namespace: TEMPORAL_NAMESPACE });
    expect(namespaceInfo?.name).toBe(TEMPORAL_NAMESPACE);

    // Updates, update-with-start, schedules and continue-as-new suggestions are all in 1.29.1
    // (docs/engineering-facts.md §2.1); an older server would fail sync workflows in confusing ways.
    const { serverVersion } = await connection.workflowService.getSystemInfo({});
    const [major = 0, minor = 0] = (serverVersion ?? '').split('.').map(Number);
    expect(major * 1000 + minor, `server version ${serverVersion}`).toBeGreaterThanOrEqual(1029);
  });

  it('runs a TypeScript workflow, bundled from its path, on a real worker to completion', async () => {
    const taskQueue = `dev-server-smoke-${randomUUID()}`;
    const recorded: string[] = [];
    const nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
    try {
      const bundleStarted = Date.now();
      const worker = await Worker.create({
        connection: nativeConnection,
        namespace: TEMPORAL_NAMESPACE,
        taskQueue,
        workflowsPath,
        activities: createHelloActivities(recorded),
      });
      const bundleMs = Date.now() - bundleStarted;

      const workflowId = `smoke/${randomUUID()}`;
      const result = await worker.runUntil(
        client.workflow.execute<typeof hello>('hello', { taskQueue, workflowId, args: ['Stageline'] }),
      );

      expect(result).toBe('Hello, Stageline (recorded #1)');
      expect(recorded).toEqual(['Hello, Stageline']);

      // The server, not just the worker, recorded the run: completed, with the timer and the activity in its history.
      const handle = client.workflow.getHandle(workflowId);
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      const events = (await handle.fetchHistory()).events ?? [];
      const has = (field: string): boolean => events.some((e) => (e as Record<string, unknown>)[field] != null);
      expect(has('timerFiredEventAttributes')).toBe(true);
      expect(has('activityTaskCompletedEventAttributes')).toBe(true);
      expect(has('workflowExecutionCompletedEventAttributes')).toBe(true);

      console.log(`[temporal-dev-server test] worker created (workflow bundle built) in ${bundleMs} ms`);
    } finally {
      await nativeConnection.close();
    }
  });
});
