// Activities: every I/O of a sync. They pass ids, cursors and counts through Temporal, never
// records (DESIGN.md "Temporal"): records go straight from the vendor into Postgres.
import { heartbeat as temporalHeartbeat } from '@temporalio/activity';
import type { AsanaConnectionConfig, ConnectionConfig } from '../mapping/config';
import { contentHash } from '../mapping/ids';
import type { ActivityDeps } from './context';
import { ensureConnection, finishRun, setConnectionState, startRun } from './db/store';
import { invalidConfig, toFailure } from './failures';
import { planAsana, pullAsanaChanges, stepAsana, type Scope, type StepResult } from './asana';

export type { Scope, StepResult } from './asana';

export interface BeginSyncInput {
  connectionId: string;
  syncRunId: string;
  mode: 'full' | 'incremental';
  workflowId?: string;
  workflowRunId?: string;
}
export interface BeginSyncResult {
  syncRunId: string;
  scopes: Scope[];
}
export interface ScopeInput {
  connectionId: string;
  syncRunId: string;
  scope: Scope;
}
export interface SyncTotals {
  syncRunId: string;
  status: 'succeeded' | 'failed';
  counts: Record<string, number>;
  apiCalls: Record<string, number>;
}

function connection(deps: ActivityDeps, id: string): ConnectionConfig {
  const c = deps.config().connections.find((x) => x.id === id);
  if (!c) throw invalidConfig(`connection "${id}" is not in stageline.yaml (known: ${deps.config().connections.map((x) => x.id).join(', ')})`);
  return c;
}

/** Runs an activity body; connector errors become Temporal failures in one place. */
async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFailure(err);
  }
}

export function createActivities(deps: ActivityDeps) {
  const withHeartbeat: ActivityDeps = {
    ...deps,
    heartbeat: deps.heartbeat ?? ((d?: unknown) => {
      try {
        temporalHeartbeat(d);
      } catch {
        // outside an activity context (a direct call in a script): nothing to heartbeat
      }
    }),
  };
  const asana = (id: string): AsanaConnectionConfig => connection(deps, id) as AsanaConnectionConfig;

  return {
    async beginSync(input: BeginSyncInput): Promise<BeginSyncResult> {
      return run(async () => {
        const cfg = connection(deps, input.connectionId);
        await ensureConnection(deps.db, { id: cfg.id, vendor: cfg.vendor, configHash: contentHash({ ...cfg, token: undefined }) });
        const syncRunId = input.syncRunId;
        await startRun(deps.db, { id: syncRunId, connectionId: cfg.id, mode: input.mode, ...(input.workflowId ? { workflowId: input.workflowId } : {}), ...(input.workflowRunId ? { workflowRunId: input.workflowRunId } : {}) });
        await setConnectionState(deps.db, cfg.id, 'syncing', null);
        const scopes = await planAsana(withHeartbeat, asana(cfg.id), { syncRunId, mode: input.mode });
        return { syncRunId, scopes };
      });
    },

    async syncStep(input: ScopeInput): Promise<StepResult> {
      return run(() => stepAsana(withHeartbeat, asana(input.connectionId), input));
    },

    async pullChanges(input: ScopeInput): Promise<{ recrawl: boolean; queued: number; events: number }> {
      return run(() => pullAsanaChanges(withHeartbeat, asana(input.connectionId), input));
    },

    async finishSync(input: { connectionId: string; syncRunId: string; error?: { type: string; message: string } | null }): Promise<SyncTotals> {
      const failed = Boolean(input.error);
      // A connection whose config is gone (or that failed before its first run) still gets its state.
      const cfg = deps.config().connections.find((c) => c.id === input.connectionId);
      if (cfg) await ensureConnection(deps.db, { id: cfg.id, vendor: cfg.vendor });
      await finishRun(deps.db, input.syncRunId, failed ? 'failed' : 'succeeded', input.error?.message ?? null);
      const state = !failed ? 'ok' : input.error!.type === 'AuthRevoked' ? 'auth_failed' : 'error';
      await setConnectionState(deps.db, input.connectionId, state, input.error?.message ?? null);
      const { rows } = await deps.db.query<{ counts: Record<string, string>; api_calls: Record<string, string> }>('SELECT counts, api_calls FROM ops.sync_runs WHERE id = $1', [input.syncRunId]);
      const num = (o: Record<string, string> | undefined) => Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, Number(v)]));
      return { syncRunId: input.syncRunId, status: failed ? 'failed' : 'succeeded', counts: num(rows[0]?.counts), apiCalls: num(rows[0]?.api_calls) };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
