// Activities: every I/O of a sync. They pass ids, cursors and counts through Temporal, never
// records (DESIGN.md "Temporal"): records go straight from the vendor into Postgres.
import { heartbeat as temporalHeartbeat } from '@temporalio/activity';
import type { AsanaConnectionConfig, ConnectionConfig, DriveConnectionConfig, MondayConnectionConfig, NotionConnectionConfig } from '../mapping/config';
import { contentHash } from '../mapping/ids';
import type { ActivityDeps } from './context';
import { addRunCounts, ensureConnection, finishRun, setConnectionState, startRun, withTransaction } from './db/store';
import { invalidConfig, toFailure } from './failures';
import { planAsana, pullAsanaChanges, stepAsana, type Scope, type StepResult } from './asana';
import { planDrive, pullDriveChanges, stepDrive } from './drive';
import { mondayRunNote, planMonday, pullMondayChanges, stepMonday } from './monday';
import { planNotion, pullNotionChanges, stepNotion } from './notion';
import { linkWorkspace, type LinkingSummary } from './linking';
import { enforceWorkspace, reviewTimerStep, type EnforcementRound, type ReviewTimer } from './enforce';
import { drainOutbox, type DrainResult } from './outbox';
import { queueMetricWrites, type MetricsRound } from './metrics';
import { refreshWarehouse, rolesFromConfig, warehouseWatermark } from '../warehouse/refresh';
import { writeWeeklyReport } from './report';

export type { Scope, StepResult } from './asana';
export type { LinkingSummary } from './linking';
export type { EnforcementRound, ReviewTimer } from './enforce';
export type { DrainResult } from './outbox';
export type { MetricsRound } from './metrics';

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
  // Each vendor's engine behind the same four activities.
  const engine = (id: string) => {
    const cfg = connection(deps, id);
    switch (cfg.vendor) {
      case 'asana':
        return { plan: (i: { syncRunId: string; mode: 'full' | 'incremental' }) => planAsana(withHeartbeat, cfg as AsanaConnectionConfig, i), step: (i: ScopeInput) => stepAsana(withHeartbeat, cfg as AsanaConnectionConfig, i), pull: (i: ScopeInput) => pullAsanaChanges(withHeartbeat, cfg as AsanaConnectionConfig, i) };
      case 'drive':
        return { plan: (i: { syncRunId: string; mode: 'full' | 'incremental' }) => planDrive(withHeartbeat, cfg as DriveConnectionConfig, i), step: (i: ScopeInput) => stepDrive(withHeartbeat, cfg as DriveConnectionConfig, i), pull: (i: ScopeInput) => pullDriveChanges(withHeartbeat, cfg as DriveConnectionConfig, i) };
      case 'monday':
        return { plan: (i: { syncRunId: string; mode: 'full' | 'incremental' }) => planMonday(withHeartbeat, cfg as MondayConnectionConfig, i), step: (i: ScopeInput) => stepMonday(withHeartbeat, cfg as MondayConnectionConfig, i), pull: (i: ScopeInput) => pullMondayChanges(withHeartbeat, cfg as MondayConnectionConfig, i) };
      case 'notion':
        return { plan: (i: { syncRunId: string; mode: 'full' | 'incremental' }) => planNotion(withHeartbeat, cfg as NotionConnectionConfig, i), step: (i: ScopeInput) => stepNotion(withHeartbeat, cfg as NotionConnectionConfig, i), pull: (i: ScopeInput) => pullNotionChanges(withHeartbeat, cfg as NotionConnectionConfig, i) };
    }
  };

  return {
    async beginSync(input: BeginSyncInput): Promise<BeginSyncResult> {
      return run(async () => {
        const cfg = connection(deps, input.connectionId);
        await ensureConnection(deps.db, { id: cfg.id, vendor: cfg.vendor, configHash: contentHash({ ...cfg, token: undefined }) });
        const syncRunId = input.syncRunId;
        await startRun(deps.db, { id: syncRunId, connectionId: cfg.id, mode: input.mode, ...(input.workflowId ? { workflowId: input.workflowId } : {}), ...(input.workflowRunId ? { workflowRunId: input.workflowRunId } : {}) });
        await setConnectionState(deps.db, cfg.id, 'syncing', null);
        const scopes = await engine(cfg.id).plan({ syncRunId, mode: input.mode });
        return { syncRunId, scopes };
      });
    },

    async syncStep(input: ScopeInput): Promise<StepResult> {
      return run(() => engine(input.connectionId).step(input));
    },

    async pullChanges(input: ScopeInput): Promise<{ recrawl: boolean; queued: number; events: number }> {
      return run(() => engine(input.connectionId).pull(input));
    },

    /**
     * Cross-tool linking over the whole workspace, after a connection's records are in (skipped when
     * nothing it reads changed). Its figures are added to the sync run's counts under `linking.*`.
     */
    async linkAssets(input: { connectionId: string; syncRunId: string }): Promise<LinkingSummary> {
      return run(async () => {
        const summary = await linkWorkspace(withHeartbeat);
        if (!summary.skipped) {
          const counts = Object.fromEntries(Object.entries(summary).filter(([, v]) => typeof v === 'number').map(([k, v]) => [`linking.${k}`, v as number]));
          await withTransaction(deps.db, (tx) => addRunCounts(tx, input.syncRunId, counts, {}));
        }
        return summary;
      });
    },

    /** Standards: evaluate the assets that changed, keep violations, queue the writes (nothing is sent here). */
    async enforce(input: { connectionId: string; syncRunId: string }): Promise<EnforcementRound> {
      return run(async () => {
        const round = await enforceWorkspace(deps.db, deps.config(), { now: deps.clock().toISOString() });
        await withTransaction(deps.db, (tx) =>
          addRunCounts(tx, input.syncRunId, { 'rules.evaluated': round.evaluated, 'rules.opened': round.opened, 'rules.resolved': round.resolved, 'rules.queued': round.queued }, {}),
        );
        return round;
      });
    },

    /**
     * A review deadline's timer fired: evaluate the asset now and send what fell due (the reminder, then
     * the escalation). Returns how long to wait for the next step, or null when the timer is done.
     */
    async reviewTimerStep(input: ReviewTimer): Promise<{ state: string; waitMs: number | null }> {
      return run(async () => {
        const r = await reviewTimerStep(deps.db, deps.config(), input, deps.clock().toISOString());
        for (const id of r.round.pendingConnections) await drainOutbox(withHeartbeat, { connectionId: id });
        return { state: r.state, waitMs: r.waitMs };
      });
    },

    /**
     * The reporting warehouse (schema `warehouse`), refreshed for the assets that changed since the last
     * refresh (a full rebuild only the first time, or when the time zone or pipeline changed).
     */
    async refreshWarehouse(input: { connectionId: string; syncRunId: string }): Promise<{ mode: string; assets: number; ms: number }> {
      return run(async () => {
        const cfg = deps.config();
        const r = await refreshWarehouse(deps.db, { since: await warehouseWatermark(deps.db), now: deps.clock().toISOString(), timezone: cfg.workspace.timezone, roles: rolesFromConfig(cfg), pipeline: cfg.workspace.pipeline });
        await withTransaction(deps.db, (tx) => addRunCounts(tx, input.syncRunId, { 'warehouse.assets': r.assets, 'warehouse.ms': Math.round(r.ms) }, {}));
        return { mode: r.mode, assets: r.assets, ms: Math.round(r.ms) };
      });
    },

    /** The weekly leadership report (its Temporal Schedule): last week's report into `reports.folder`. */
    async weeklyReport(input: { scheduledAt: string }): Promise<{ from: string; to: string; dir: string; files: string[] }> {
      return run(async () => {
        const r = await writeWeeklyReport(deps.db, deps.config(), input, deps.clock());
        deps.log.info(`weekly report ${r.from} – ${r.to} written to ${r.html}`);
        return { from: r.from, to: r.to, dir: r.dir, files: r.files };
      });
    },

    /**
     * Metrics written back (after this sync's warehouse refresh): each record whose revision round, days
     * in stage or cycle time differs from what it holds gets one write queued. Nothing is sent here;
     * returns the connections with writes waiting (of any kind), to drain next.
     */
    async planMetricWrites(input: { connectionId: string; syncRunId: string }): Promise<MetricsRound> {
      return run(async () => {
        const r = await queueMetricWrites(deps.db, deps.config());
        await withTransaction(deps.db, (tx) => addRunCounts(tx, input.syncRunId, { 'metrics.planned': r.planned, 'metrics.queued': r.queued, 'metrics.full_compare': r.mode === 'full' ? 1 : 0 }, {}));
        return r;
      });
    },

    /** Sends one connection's pending writes, within its rate limit. */
    async drainOutbox(input: { connectionId: string; syncRunId?: string }): Promise<DrainResult> {
      return run(() => drainOutbox(withHeartbeat, input));
    },

    async finishSync(input: { connectionId: string; syncRunId: string; error?: { type: string; message: string } | null }): Promise<SyncTotals> {
      const failed = Boolean(input.error);
      // A connection whose config is gone (or that failed before its first run) still gets its state.
      const cfg = deps.config().connections.find((c) => c.id === input.connectionId);
      if (cfg) await ensureConnection(deps.db, { id: cfg.id, vendor: cfg.vendor });
      // A sync the vendor's daily call cap stopped ends with what it committed, saying when it resumes.
      const note = !failed && cfg?.vendor === 'monday' ? await mondayRunNote(deps.db, cfg.id, input.syncRunId) : null;
      await finishRun(deps.db, input.syncRunId, failed ? 'failed' : 'succeeded', input.error?.message ?? note);
      const state = !failed ? 'ok' : input.error!.type === 'AuthRevoked' ? 'auth_failed' : 'error';
      await setConnectionState(deps.db, input.connectionId, state, input.error?.message ?? note);
      const { rows } = await deps.db.query<{ counts: Record<string, string>; api_calls: Record<string, string> }>('SELECT counts, api_calls FROM ops.sync_runs WHERE id = $1', [input.syncRunId]);
      const num = (o: Record<string, string> | undefined) => Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, Number(v)]));
      return { syncRunId: input.syncRunId, status: failed ? 'failed' : 'succeeded', counts: num(rows[0]?.counts), apiCalls: num(rows[0]?.api_calls) };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
