// Metrics written back (real PostgreSQL, real Temporal, both simulators): after a full sync every Asana
// task shows its revision round, days in stage and cycle time in three number fields, one PUT per
// task, and every linked Drive file the same figures in its appProperties; nothing changed → no write
// call; a stage change → one PUT for that task only; a day later → days in stage moves once for the
// work in progress; a figure typed over comes back; a run recorded before this change still replays.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import protos from '@temporalio/proto';
import { workflowsPath } from '../../worker';
import { drainOutbox } from '../../activities/outbox';
import { queueMetricWrites } from '../../activities/metrics';
import { count, startStack, type Stack } from '../support/stack';

const FIELDS = { revision_round: 'Revision round', days_in_stage: 'Days in stage', cycle_time: 'Cycle time (days)' };
const DAY = 86_400_000;

let stack: Stack;
// The activities' clock stands still (a day boundary during the run would move days in stage); the
// test moves it by a day on purpose.
let now = Date.now();
const asana = () => stack.sim.control;
const drive = () => stack.drive!.sim.control;

/** Write calls a simulator received (anything but GET). */
function writeCalls(byRoute: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(byRoute).filter(([route]) => !route.startsWith('GET ')));
}

async function syncBoth(mode: 'full' | 'incremental' = 'incremental') {
  const a = await stack.sync(mode);
  const d = await stack.syncDrive(mode);
  expect([a.status, d.status]).toEqual(['succeeded', 'succeeded']);
  return [a, d];
}
/** How many of the syncs compared every asset (not only those changed since the previous round). */
const fullCompares = (runs: { counts: Record<string, number> }[]) => runs.reduce((n, r) => n + (r.counts['metrics.full_compare'] ?? 0), 0);

interface Expected {
  asset_id: string;
  task: string;
  revision_round: number;
  days_in_stage: number | null;
  cycle_time: number | null;
}

/**
 * The figures each live Asana asset should show, straight from the warehouse's documented views
 * (docs/METRICS.md): rounds from v_revision_rounds' source, the open work-in-progress stay of
 * v_time_in_stage counted in local dates up to as_of, cycle time from v_cycle_time's seconds.
 */
async function expected(): Promise<Map<string, Expected>> {
  const { rows } = await stack.db.pool.query<Expected & { cycle_time: string | null }>(
    `SELECT d.asset_id, d.external_id AS task, d.revision_rounds AS revision_round,
            (SELECT greatest(0, r.as_of_on - t.entered_on) FROM warehouse.v_time_in_stage t CROSS JOIN warehouse.refresh_info r
              WHERE t.asset_id = d.asset_id AND t.is_open AND t.is_wip) AS days_in_stage,
            (SELECT round(c.cycle_time_seconds::numeric / 86400, 1)::text FROM warehouse.v_cycle_time c WHERE c.asset_id = d.asset_id) AS cycle_time
       FROM warehouse.dim_asset d WHERE d.deleted_at IS NULL AND d.connection_id = $1`,
    [stack.connectionId],
  );
  return new Map(rows.map((r) => [r.task, { ...r, cycle_time: r.cycle_time === null ? null : Number(r.cycle_time) }]));
}

const shown = (task: string) => ({
  revision_round: asana().taskCustomFieldValue(task, FIELDS.revision_round),
  days_in_stage: asana().taskCustomFieldValue(task, FIELDS.days_in_stage),
  cycle_time: asana().taskCustomFieldValue(task, FIELDS.cycle_time),
});
/** Stories the bot's metric writes left on a task, grouped by instant: one instant per PUT. */
const metricWrites = (task: string) => new Set(asana().storiesOf(task).filter((s) => s.customField !== null && Object.values(FIELDS).includes(s.customField)).map((s) => s.createdAt));

async function linkedFiles(): Promise<{ file: string; asset_id: string }[]> {
  const { rows } = await stack.db.pool.query<{ file: string; asset_id: string }>(
    `SELECT l.external_id AS file, l.asset_id FROM core.asset_links l JOIN core.files f ON f.connection_id = l.connection_id AND f.external_id = l.external_id
      WHERE l.kind = 'drive_file' AND l.deleted_at IS NULL AND f.deleted_at IS NULL ORDER BY 1`,
  );
  return rows;
}

beforeAll(async () => {
  stack = await startStack({
    tasks: 60, projects: 2, seed: 53, drive: {}, clock: () => new Date(now),
    topLevelYaml: () => `enforcement:\n  metrics: { enabled: true }\n`,
  });
  await syncBoth('full');
}, 240_000);
afterAll(async () => stack?.close());

describe('metrics written back', () => {
  it('after a full sync, every task shows the warehouse figures in three number fields, written in one PUT per task', async () => {
    const want = await expected();
    expect(want.size).toBe(await count(stack, `SELECT count(*) FROM core.assets WHERE connection_id = $1 AND deleted_at IS NULL`, [stack.connectionId]));
    const kinds = { wip: 0, delivered: 0, reworked: 0 };
    for (const [task, e] of want) {
      expect({ task, ...shown(task) }).toEqual({ task, revision_round: e.revision_round, days_in_stage: e.days_in_stage, cycle_time: e.cycle_time });
      expect(metricWrites(task).size, `PUTs on ${task}`).toBe(1);
      if (e.days_in_stage !== null) kinds.wip++;
      if (e.cycle_time !== null) kinds.delivered++;
      if (e.revision_round > 0) kinds.reworked++;
    }
    // The data exercises each figure.
    expect(kinds.wip).toBeGreaterThan(10);
    expect(kinds.delivered).toBeGreaterThan(5);
    expect(kinds.reworked).toBeGreaterThan(5);
    const calls = writeCalls(asana().calls().byRoute);
    // The fields are made once (number, with their precision) and added to each project; then one PUT per task.
    expect(calls).toEqual({ 'POST /custom_fields': 3, 'POST /projects/{gid}/addCustomFieldSetting': 3 * stack.agency.dataset.projects.length, 'PUT /tasks/{gid}': want.size });
    for (const [name, precision] of [[FIELDS.revision_round, 0], [FIELDS.days_in_stage, 0], [FIELDS.cycle_time, 1]] as const) {
      const f = asana().customFieldByName(name)!;
      expect({ name, type: f.type, projects: f.projectGids.length }).toEqual({ name, type: 'number', projects: stack.agency.dataset.projects.length });
      expect(stack.agency.dataset.customFields.find((x) => x.gid === f.gid)?.precision).toBe(precision);
    }
    console.log(`first metrics write: ${JSON.stringify(calls)} for ${want.size} tasks`);
  });

  it('every linked Drive file holds the same figures in its appProperties, one PATCH per file', async () => {
    const want = new Map([...(await expected()).values()].map((e) => [e.asset_id, e]));
    const files = await linkedFiles();
    expect(files.length).toBeGreaterThan(10);
    const str = (v: number | null, places: number) => (v === null ? undefined : v.toFixed(places));
    for (const { file, asset_id } of files) {
      const e = want.get(asset_id)!;
      const props = drive().appPropertiesOf(file);
      expect({ file, revision: props.stageline_revision_round, days: props.stageline_days_in_stage, cycle: props.stageline_cycle_time_days }).toEqual({
        file, revision: str(e.revision_round, 0), days: str(e.days_in_stage, 0), cycle: str(e.cycle_time, 1),
      });
    }
    expect(writeCalls(drive().calls().byRoute)).toEqual({ 'PATCH /files/{fileId}': files.length });
  });

  it('a second sync with nothing changed queues nothing and makes no write call; Stageline\'s own writes come back as nothing to do', async () => {
    // The first incremental syncs pull the echo of the writes (events, changed files).
    asana().resetCalls();
    drive().resetCalls();
    const outbox = await count(stack, `SELECT count(*) FROM ops.outbox`);
    await syncBoth();
    expect(writeCalls(asana().calls().byRoute)).toEqual({});
    expect(writeCalls(drive().calls().byRoute)).toEqual({});
    asana().resetCalls();
    drive().resetCalls();
    await syncBoth();
    expect(writeCalls(asana().calls().byRoute)).toEqual({});
    expect(writeCalls(drive().calls().byRoute)).toEqual({});
    expect(await count(stack, `SELECT count(*) FROM ops.outbox`)).toBe(outbox);
    expect(await count(stack, `SELECT count(*) FROM ops.outbox WHERE state <> 'done'`)).toBe(0);
    // The echo is stored as pulled, and the bot's figure changes are not stage history.
    const { rows } = await stack.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM core.stage_transitions WHERE created_at > (SELECT min(created_at) FROM ops.outbox)`);
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('a stage change updates days in stage and the revision round of exactly that task, in one PUT', async () => {
    const want = await expected();
    // In client review for a day or more: going back to production is a revision round and restarts the days.
    const [task, before] = [...want].find(([t, e]) => (e.days_in_stage ?? 0) > 0 && asana().truthOf(t)?.section === 'Client Review')!;
    asana().resetCalls();
    drive().resetCalls();
    const metricStories = new Map([...want.keys()].map((t) => [t, metricWrites(t).size]));
    asana().moveTaskToSection(task, 'In Production');
    // Within the day, only the assets that changed are compared.
    expect(fullCompares(await syncBoth())).toBe(0);
    const after = (await expected()).get(task)!;
    expect(after).toMatchObject({ revision_round: before.revision_round + 1, days_in_stage: 0, cycle_time: before.cycle_time });
    expect(shown(task)).toEqual({ revision_round: after.revision_round, days_in_stage: 0, cycle_time: before.cycle_time });
    expect(writeCalls(asana().calls().byRoute)).toEqual({ 'PUT /tasks/{gid}': 1 });
    for (const t of want.keys()) expect({ t, puts: metricWrites(t).size }).toEqual({ t, puts: metricStories.get(t)! + (t === task ? 1 : 0) });
    // Its Drive files follow: one PATCH each, nothing else.
    const files = (await linkedFiles()).filter((f) => f.asset_id === before.asset_id);
    expect(writeCalls(drive().calls().byRoute)).toEqual(files.length ? { 'PATCH /files/{fileId}': files.length } : {});
    for (const f of files) expect(drive().appPropertiesOf(f.file)).toMatchObject({ stageline_revision_round: String(after.revision_round), stageline_days_in_stage: '0' });
  });

  it('a day later, days in stage moves by one for the work in progress only, once', async () => {
    await syncBoth(); // the echo of the stage change
    const before = await expected();
    now += DAY;
    asana().resetCalls();
    drive().resetCalls();
    // A new local day: the first round compares every asset.
    expect(fullCompares(await syncBoth())).toBe(1);
    const after = await expected();
    const moved = [...after].filter(([t, e]) => e.days_in_stage !== before.get(t)!.days_in_stage);
    expect(moved.length).toBe([...before.values()].filter((e) => e.days_in_stage !== null).length);
    for (const [t, e] of moved) expect({ t, days: e.days_in_stage }).toEqual({ t, days: before.get(t)!.days_in_stage! + 1 });
    for (const [t, e] of after) expect({ t, ...shown(t) }).toEqual({ t, revision_round: e.revision_round, days_in_stage: e.days_in_stage, cycle_time: e.cycle_time });
    expect(writeCalls(asana().calls().byRoute)).toEqual({ 'PUT /tasks/{gid}': moved.length });
    const movedAssets = new Set(moved.map(([, e]) => e.asset_id));
    const files = (await linkedFiles()).filter((f) => movedAssets.has(f.asset_id));
    expect(writeCalls(drive().calls().byRoute)).toEqual(files.length ? { 'PATCH /files/{fileId}': files.length } : {});
    // …and not again the same day.
    await syncBoth();
    asana().resetCalls();
    drive().resetCalls();
    now += 60_000;
    await syncBoth();
    expect(writeCalls(asana().calls().byRoute)).toEqual({});
    expect(writeCalls(drive().calls().byRoute)).toEqual({});
  });

  it('a figure a person types over is written back on the next sync', async () => {
    const [task, e] = [...(await expected())].find(([, x]) => x.days_in_stage !== null)!;
    const field = asana().customFieldByName(FIELDS.days_in_stage)!;
    const pm = stack.agency.dataset.users.find((u) => u.role !== 'client_reviewer')!;
    asana().updateTask(task, { custom_fields: { [field.gid]: 99 } }, pm.gid);
    expect(shown(task).days_in_stage).toBe(99);
    asana().resetCalls();
    await syncBoth();
    expect(shown(task).days_in_stage).toBe(e.days_in_stage);
    expect(writeCalls(asana().calls().byRoute)).toEqual({ 'PUT /tasks/{gid}': 1 });
  });

  it('two drains of one connection at once send each write once', async () => {
    const [task] = [...(await expected())].find(([t, x]) => x.days_in_stage !== null && asana().truthOf(t)?.section !== 'On Hold')!;
    // The change is pulled and the warehouse refreshed with write-back off; then its write is queued by hand.
    stack.reconfigure((y) => y.replace('metrics: { enabled: true }', 'metrics: { enabled: false }'));
    asana().moveTaskToSection(task, 'On Hold');
    await syncBoth();
    stack.reconfigure((y) => y.replace('metrics: { enabled: false }', 'metrics: { enabled: true }'));
    const round = await queueMetricWrites(stack.db.pool, stack.config);
    expect(round.queued).toBeGreaterThanOrEqual(1);
    expect(round.pendingConnections).toContain(stack.connectionId);
    asana().resetCalls();
    const beats: unknown[] = [];
    const deps = { ...stack.deps, heartbeat: (d?: unknown) => void beats.push(d) };
    const [x, y] = await Promise.all([drainOutbox(deps, { connectionId: stack.connectionId }), drainOutbox(deps, { connectionId: stack.connectionId })]);
    // One waited for the other (heartbeating meanwhile), then found nothing left to send.
    expect(beats).toContainEqual({ outbox: stack.connectionId, waiting: true });
    expect(x.done + y.done).toBe(1);
    expect(writeCalls(asana().calls().byRoute)).toEqual({ 'PUT /tasks/{gid}': 1 });
    expect(shown(task).days_in_stage).toBe((await expected()).get(task)!.days_in_stage);
    await drainOutbox(stack.deps, { connectionId: stack.drive!.connectionId });
  });

  it('turned off for a connection, nothing more is written there', async () => {
    stack.reconfigure((y) => y.replace('metrics: { enabled: true }', `metrics: { enabled: true, connections: { ${stack.drive!.connectionId}: false } }`));
    const [task] = [...(await expected())].find(([, x]) => x.days_in_stage !== null)!;
    asana().moveTaskToSection(task, 'Internal Review');
    asana().resetCalls();
    drive().resetCalls();
    await syncBoth();
    expect(writeCalls(asana().calls().byRoute)).toEqual({ 'PUT /tasks/{gid}': 1 });
    expect(writeCalls(drive().calls().byRoute)).toEqual({});
  });

  it('a sync recorded before metrics were written back replays deterministically with this workflow code', async () => {
    const bytes = readFileSync(fileURLToPath(new URL('./fixtures/connection-sync-before-metrics.history.bin', import.meta.url)));
    const history = protos.temporal.api.history.v1.History.decode(bytes);
    const scheduled = history.events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name] : []));
    expect(scheduled.slice(-4)).toEqual(['enforce', 'drainOutbox', 'refreshWarehouse', 'finishSync']);
    await expect(Worker.runReplayHistory({ workflowsPath }, history, 'sync/recorded-before-metrics')).resolves.toBeUndefined();
  });
});
