// connectionSync: one per connection, workflow id `sync/<connectionId>`. Orchestration only
// (deterministic; no I/O): every pull and commit is an activity that passes ids, cursors and counts.
import {
  ActivityFailure, ApplicationFailure, ContinueAsNew, ParentClosePolicy, allHandlersFinished, condition,
  continueAsNew, defineQuery, getExternalWorkflowHandle, patched, proxyActivities, setHandler, startChild, uuid4, workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { reviewDeadline } from './review-deadline';
import type { Activities, BeginSyncResult, Scope, SyncTotals } from '../activities';

export interface ConnectionSyncInput {
  connectionId: string;
  mode: 'full' | 'incremental';
  /** Activity timeouts; tests shorten the heartbeat so a killed worker is noticed quickly. */
  timeouts?: { stepStartToClose?: string; heartbeat?: string };
  /** History length after which the run continues as new even if the server has not suggested it yet. */
  historyLimit?: number;
  /** Carried across continueAsNew. */
  state?: SyncState;
}

export interface SyncState {
  plan: BeginSyncResult;
  index: number;
  /** The mode of the current scope (an incremental scope becomes full after an expired token). */
  scopeMode: Scope['mode'] | null;
  pulled: boolean;
  steps: number;
  tasks: number;
}

export interface SyncProgress {
  connectionId: string;
  scopes: number;
  scopeIndex: number;
  scopeName: string | null;
  steps: number;
  tasks: number;
  done: boolean;
}

export const progressQuery = defineQuery<SyncProgress>('progress');

const NON_RETRYABLE = ['AuthRevoked', 'InvalidConfig', 'NotFound'];
/**
 * Workflow change (Temporal patching): the warehouse refresh and the metrics plan now come before the
 * outbox drain. A run recorded before this change, replayed by this code, keeps its order.
 */
const METRICS_WRITEBACK = 'metrics-writeback-after-warehouse';
/** Fallback for continueAsNew when the server does not suggest it (engineering-facts §1.1). */
const MAX_HISTORY = 3000;

export async function connectionSync(input: ConnectionSyncInput): Promise<SyncTotals> {
  const heartbeatTimeout = input.timeouts?.heartbeat ?? '2 minutes';
  const acts = proxyActivities<Activities>({
    startToCloseTimeout: input.timeouts?.stepStartToClose ?? '15 minutes',
    heartbeatTimeout,
    // The SDKs' own retries are off: Temporal decides, with the vendor's wait as the next delay.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes', nonRetryableErrorTypes: NON_RETRYABLE },
  });
  const bookkeeping = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumInterval: '30 seconds' } });

  let state: SyncState | undefined = input.state;
  let done = false;
  setHandler(progressQuery, () => ({
    connectionId: input.connectionId,
    scopes: state?.plan.scopes.length ?? 0,
    scopeIndex: state?.index ?? 0,
    scopeName: state ? (state.plan.scopes[state.index]?.name ?? null) : null,
    steps: state?.steps ?? 0,
    tasks: state?.tasks ?? 0,
    done,
  }));

  const info = workflowInfo();
  // Chosen here (deterministically) so that a failure of beginSync itself is still recorded on the run.
  const syncRunId = state?.plan.syncRunId ?? uuid4();
  try {
    if (!state) {
      const plan = await acts.beginSync({ connectionId: input.connectionId, syncRunId, mode: input.mode, workflowId: info.workflowId, workflowRunId: info.runId });
      state = { plan, index: 0, scopeMode: null, pulled: false, steps: 0, tasks: 0 };
    }
    while (state.index < state.plan.scopes.length) {
      const scope = state.plan.scopes[state.index]!;
      state.scopeMode ??= scope.mode;
      if (state.scopeMode === 'incremental' && !state.pulled) {
        const r = await acts.pullChanges({ connectionId: input.connectionId, syncRunId: state.plan.syncRunId, scope: { ...scope, mode: 'incremental' } });
        state.pulled = true;
        if (r.recrawl) state.scopeMode = 'full';
      }
      for (;;) {
        const r = await acts.syncStep({ connectionId: input.connectionId, syncRunId: state.plan.syncRunId, scope: { ...scope, mode: state.scopeMode } });
        state.steps++;
        state.tasks += r.tasks;
        if (r.done) break;
        const now = workflowInfo();
        if (now.continueAsNewSuggested || now.historyLength > (input.historyLimit ?? MAX_HISTORY)) {
          await condition(allHandlersFinished);
          await continueAsNew<typeof connectionSync>({ ...input, state });
        }
      }
      state.index++;
      state.scopeMode = null;
      state.pulled = false;
    }
    // Files and tasks from every tool, joined into assets (and versions renumbered) across connections.
    await acts.linkAssets({ connectionId: input.connectionId, syncRunId: state.plan.syncRunId });
    // Standards over what changed (violations kept, status writes queued).
    const round = await acts.enforce({ connectionId: input.connectionId, syncRunId: state.plan.syncRunId });
    if (patched(METRICS_WRITEBACK)) {
      // The reporting warehouse for the assets that changed; the metrics it now holds are queued where a
      // tool shows other figures; then every write waiting goes out, one drain per connection.
      await acts.refreshWarehouse({ connectionId: input.connectionId, syncRunId: state.plan.syncRunId });
      const metrics = await acts.planMetricWrites({ connectionId: input.connectionId, syncRunId: state.plan.syncRunId });
      for (const id of metrics.pendingConnections) await acts.drainOutbox({ connectionId: id, syncRunId: state.plan.syncRunId });
    } else {
      // The order of runs recorded before metrics were written back: replayed as it was.
      for (const id of round.pendingConnections) await acts.drainOutbox({ connectionId: id, syncRunId: state.plan.syncRunId });
      await acts.refreshWarehouse({ connectionId: input.connectionId, syncRunId: state.plan.syncRunId });
    }
    // Review deadlines: a durable timer per asset that entered a stage with an SLA; cancelled when it left.
    for (const t of round.timers.start) {
      try {
        await startChild(reviewDeadline, { workflowId: t.workflowId, args: [t], parentClosePolicy: ParentClosePolicy.ABANDON });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
    for (const id of round.timers.stop) {
      try {
        await getExternalWorkflowHandle(id).cancel();
      } catch {
        // already finished (its deadline passed, or it saw the asset leave first): nothing to cancel
      }
    }
    const totals = await bookkeeping.finishSync({ connectionId: input.connectionId, syncRunId: state.plan.syncRunId, error: null });
    done = true;
    return totals;
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const type = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : 'Error';
    const message = cause instanceof Error ? cause.message : String(cause);
    await bookkeeping.finishSync({ connectionId: input.connectionId, syncRunId, error: { type, message } });
    throw ApplicationFailure.create({ type, message: `sync of ${input.connectionId} failed: ${message}`, nonRetryable: true, cause: err instanceof Error ? err : undefined });
  }
}
