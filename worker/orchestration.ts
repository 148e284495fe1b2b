// Client-side orchestration shared by the CLI, the API and the tests: start (or join) a connection's
// sync, follow its progress, and keep one Temporal Schedule per connection.
import { Client, Connection, ScheduleNotFoundError, ScheduleOverlapPolicy, WorkflowIdConflictPolicy, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { ConnectionConfig, StagelineConfig } from '../mapping/config';
import { durationMs } from '../mapping/config';
import type { SyncTotals } from '../activities';
import type { connectionSync, ConnectionSyncInput, SyncProgress } from '../workflows/connection-sync';
import type { scheduledSync } from '../workflows/scheduled-sync';
import { TASK_QUEUE } from './index';

export const syncWorkflowId = (connectionId: string) => `sync/${connectionId}`;
export const scheduleId = (connectionId: string) => `sync-schedule/${connectionId}`;

export async function connectClient(address: string, namespace = 'default'): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace });
}

/**
 * Starts the connection's sync, or joins the one already running (the workflow id is the
 * connection's, so two syncs of one connection never run at once).
 */
export async function startSync(client: Client, input: ConnectionSyncInput, taskQueue = TASK_QUEUE): Promise<WorkflowHandleWithFirstExecutionRunId<typeof connectionSync>> {
  return client.workflow.start<typeof connectionSync>('connectionSync', {
    workflowId: syncWorkflowId(input.connectionId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

/** Waits for a sync, calling `onProgress` every `intervalMs` with what the workflow reports. */
export async function waitForSync(handle: { result(): Promise<SyncTotals>; query<T>(name: string): Promise<T> }, onProgress?: (p: SyncProgress) => void, intervalMs = 500): Promise<SyncTotals> {
  let finished = false;
  const result = handle.result().finally(() => {
    finished = true;
  });
  if (onProgress) {
    void (async () => {
      while (!finished) {
        try {
          onProgress(await handle.query<SyncProgress>('progress'));
        } catch {
          // between runs (continueAsNew) or not yet started: try again next tick
        }
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }
  return result;
}

/** Creates or updates the connection's Schedule: overlap SKIP, an explicit catch-up window. */
export async function ensureSchedule(client: Client, cfg: ConnectionConfig, taskQueue = TASK_QUEUE): Promise<void> {
  const id = scheduleId(cfg.id);
  const spec = { intervals: [{ every: durationMs(cfg.schedule.every) }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'scheduledSync',
    workflowId: `scheduled-sync/${cfg.id}`,
    taskQueue,
    args: [{ connectionId: cfg.id, fullEvery: cfg.schedule.full_every }] as Parameters<typeof scheduledSync>,
  };
  const policies = {
    overlap: ScheduleOverlapPolicy.SKIP,
    // Temporal's default is a year: an outage must not replay a burst of missed syncs.
    catchupWindow: durationMs(cfg.schedule.catchup_window),
    // A revoked token fails the run; the schedule then pauses instead of failing every interval.
    pauseOnFailure: true,
  };
  const handle = client.schedule.getHandle(id);
  try {
    await handle.update((prev) => ({ ...prev, spec, action, policies, state: { ...prev.state, paused: cfg.schedule.paused } }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await client.schedule.create({ scheduleId: id, spec, action, policies, state: { paused: cfg.schedule.paused } });
  }
}

export const REPORT_SCHEDULE_ID = 'report-schedule/weekly';

/**
 * The weekly leadership report's Schedule, from stageline.yaml `reports.weekly` (day and local time in
 * workspace.timezone): created, updated, or deleted when the section is gone. Overlap SKIP; a run
 * missed by less than a day (an outage) still happens, later ones are not replayed.
 */
export async function ensureReportSchedule(client: Client, cfg: Pick<StagelineConfig, 'reports' | 'workspace'>, taskQueue = TASK_QUEUE): Promise<'created' | 'updated' | 'deleted' | 'none'> {
  const handle = client.schedule.getHandle(REPORT_SCHEDULE_ID);
  const weekly = cfg.reports.weekly;
  if (!weekly) {
    try {
      await handle.delete();
      return 'deleted';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'none';
      throw err;
    }
  }
  const [hour, minute] = weekly.at.split(':').map(Number) as [number, number];
  const spec = {
    calendars: [{ dayOfWeek: weekly.day.toUpperCase() as Uppercase<typeof weekly.day>, hour, minute }],
    timezone: cfg.workspace.timezone,
  };
  const action = { type: 'startWorkflow' as const, workflowType: 'weeklyReport', workflowId: 'weekly-report', taskQueue, args: [] as [] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 86_400_000, pauseOnFailure: false };
  try {
    await handle.update((prev) => ({ ...prev, spec, action, policies, state: { ...prev.state, paused: weekly.paused } }));
    return 'updated';
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await client.schedule.create({ scheduleId: REPORT_SCHEDULE_ID, spec, action, policies, state: { paused: weekly.paused } });
    return 'created';
  }
}
