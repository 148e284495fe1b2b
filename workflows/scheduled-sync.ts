// Started by the connection's Temporal Schedule (overlap SKIP): runs connectionSync as a child with
// the connection's own id, so a scheduled run and a manual one never overlap either.
import { ParentClosePolicy, executeChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { SyncTotals } from '../activities';
import { connectionSync, type ConnectionSyncInput } from './connection-sync';

export interface ScheduledSyncInput {
  connectionId: string;
  /** Every Nth run is a full reconciliation crawl (deletions and anything events missed). */
  fullEvery: number;
}

export async function scheduledSync(input: ScheduledSyncInput): Promise<SyncTotals | { skipped: string }> {
  // The schedule appends the nominal time to the workflow id; its epoch minutes pick the full runs.
  const started = workflowInfo().startTime.getTime();
  const runNumber = Math.floor(started / 60_000);
  const mode: ConnectionSyncInput['mode'] = input.fullEvery > 0 && runNumber % input.fullEvery === 0 ? 'full' : 'incremental';
  try {
    return await executeChild(connectionSync, {
      workflowId: `sync/${input.connectionId}`,
      args: [{ connectionId: input.connectionId, mode }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { skipped: `a sync of ${input.connectionId} is already running` };
    throw err;
  }
}
