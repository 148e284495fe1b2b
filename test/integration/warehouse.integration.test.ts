// The warehouse (real PostgreSQL): hand-made asset histories written straight into core.*, refreshed,
// and each metric view asked for the answer worked out by hand, edge cases included (a reopen after
// delivery, skipped stages, no due date, a decision on an old version, a delivery at 23:30 UTC that is
// the next local day and week in Europe/Berlin, deleted assets, on_hold and cancelled). Then the
// incremental refresh: after changes to 10 of 50 assets it equals a full rebuild row for row, and it
// touches only the rows of the assets that changed.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { rebuildWarehouse, refreshWarehouse, rolesFromConfig, warehouseWatermark, type WarehouseRefreshResult } from '../../warehouse/refresh';
import { freshDatabase, type FreshDatabase } from '../support/env';

const TZ = 'Europe/Berlin';
const NOW = '2026-03-20T12:00:00.000Z'; // a Friday; Berlin is UTC+1 until 29 March
/** `t('03-02 09:00')` → 2026-03-02T09:00:00Z (UTC). */
const t = (s: string): string => `2026-${s.replace(' ', 'T')}:00Z`;
const ROLES = { 'mia@agency.example': ['designer'], 'cd@agency.example': ['creative_director', 'designer'], '@client.example': ['client'] };

type Decision = 'approved' | 'approved_with_changes' | 'changes_requested' | 'rejected';
interface AssetSpec {
  name: string;
  project?: string;
  connection?: string;
  type?: string | null;
  owner?: string | null;
  due?: string | null;
  created?: string;
  deleted?: string | null;
  /** [at, stage]: the first is the stage it was created in. */
  moves: [string, string | null][];
  /** Creation times of v1, v2, … */
  versions?: string[];
  /** [version number or null, at, decision, role] */
  decisions?: [number | null, string, Decision, string?][];
  violations?: { rule: string; kind?: string; opened: string; resolved?: string; lastSeen?: string }[];
}

/** Writes hand-made histories into core.* and ops.violations of one database. */
class Histories {
  private readonly projects = new Map<string, string>();
  private readonly persons = new Map<string, string>();
  constructor(readonly pool: pg.Pool) {}

  async init(): Promise<void> {
    await this.pool.query(`INSERT INTO ops.connections (id, vendor) VALUES ('asana-main', 'asana'), ('drive-main', 'drive') ON CONFLICT DO NOTHING`);
  }

  async person(email: string): Promise<string> {
    let id = this.persons.get(email);
    if (!id) {
      id = randomUUID();
      await this.pool.query(`INSERT INTO core.persons (id, email, name, hash) VALUES ($1, $2, $3, 'h')`, [id, email, email.split('@')[0]]);
      this.persons.set(email, id);
    }
    return id;
  }

  async project(name: string, connection: string): Promise<string> {
    let id = this.projects.get(name);
    if (!id) {
      id = randomUUID();
      await this.pool.query(`INSERT INTO core.projects (id, connection_id, external_id, name, raw, hash) VALUES ($1::uuid, $2, $1::text, $3, '{}', 'h')`, [id, connection, name]);
      this.projects.set(name, id);
    }
    return id;
  }

  async asset(a: AssetSpec): Promise<{ id: string; versions: string[] }> {
    const id = randomUUID();
    const conn = a.connection ?? 'asana-main';
    const projectId = await this.project(a.project ?? 'ACME — Holiday 2026', conn);
    const ownerId = a.owner ? await this.person(a.owner) : null;
    const last = a.moves[a.moves.length - 1];
    await this.pool.query(
      `INSERT INTO core.assets (id, connection_id, external_id, project_id, name, asset_type, stage, owner_id, due_on, remote_created_at, raw, hash, deleted_at)
       VALUES ($1::uuid, $2, $1::text, $3, $4, $5, $6, $7, $8, $9, '{}', 'h', $10)`,
      [id, conn, projectId, a.name, a.type === undefined ? 'banner' : a.type, last?.[1] ?? null, ownerId, a.due ?? null, a.created ?? a.moves[0]?.[0] ?? null, a.deleted ?? null],
    );
    await this.transitions(id, a.moves, null, true, conn);
    const versions = (a.versions ?? []).map(() => randomUUID());
    if (versions.length) {
      await this.pool.query(
        `INSERT INTO core.versions (id, connection_id, external_id, asset_id, number, name, source, remote_created_at, raw, hash)
         SELECT v.id, $2, v.id::text, $1, v.n, $3 || '_v' || v.n, 'attachment', v.at, '{}', 'h'
           FROM unnest($4::uuid[], $5::int[], $6::timestamptz[]) AS v(id, n, at)`,
        [id, conn, a.name, versions, versions.map((_, i) => i + 1), a.versions],
      );
    }
    for (const [n, at, decision, role] of a.decisions ?? []) await this.decide(id, n === null ? null : versions[n - 1]!, at, decision, role ?? 'creative_director');
    for (const v of a.violations ?? []) await this.violate(id, v);
    return { id, versions };
  }

  /** Appends transitions after the asset's last stage `from` (each one's from_stage is the stage before it), as a sync would. */
  async moves(assetId: string, moves: [string, string | null][], from: string | null): Promise<void> {
    await this.transitions(assetId, moves, from, false, 'asana-main');
    await this.pool.query(`UPDATE core.assets SET stage = $2, updated_at = now() WHERE id = $1`, [assetId, moves[moves.length - 1]?.[1] ?? from]);
  }

  private async transitions(assetId: string, moves: [string, string | null][], from: string | null, initial: boolean, conn: string): Promise<void> {
    let prev = from;
    for (const [i, [at, stage]] of moves.entries()) {
      const first = i === 0 && initial;
      await this.pool.query(
        `INSERT INTO core.stage_transitions (id, connection_id, external_id, asset_id, from_stage, to_stage, at, source)
         VALUES ($1::uuid, $2, $1::text, $3, $4, $5, $6, $7)`,
        [randomUUID(), conn, assetId, first ? null : prev, stage, at, first ? 'initial' : 'vendor_history'],
      );
      prev = stage;
    }
  }

  async decide(assetId: string, versionId: string | null, at: string, decision: Decision, role = 'creative_director'): Promise<void> {
    await this.pool.query(
      `INSERT INTO core.decisions (id, connection_id, external_id, asset_id, version_id, decision, role, decided_at, raw, hash)
       VALUES ($1::uuid, 'asana-main', $1::text, $2, $3, $4, $5, $6, '{}', 'h')`,
      [randomUUID(), assetId, versionId, decision, role, at],
    );
  }

  async violate(assetId: string, v: { rule: string; kind?: string; opened: string; resolved?: string; lastSeen?: string }): Promise<void> {
    await this.pool.query(
      `INSERT INTO ops.violations (id, rule_id, kind, asset_id, connection_id, subject, state, mode, message, opened_at, last_seen_at, resolved_at)
       VALUES ($1, $2, $3, $4, 'asana-main', 'asset', $5, 'enforce', 'broken', $6, $7, $8)`,
      [randomUUID(), v.rule, v.kind ?? v.rule, assetId, v.resolved ? 'resolved' : 'open', v.opened, v.lastSeen ?? v.resolved ?? v.opened, v.resolved ?? null],
    );
  }
}

const num = (x: unknown): number | null => (x === null || x === undefined ? null : Number(x));

// --------------------------------------------------------------------------------------------------

describe('warehouse metrics over hand-made histories', () => {
  let db: FreshDatabase;
  let h: Histories;
  const id: Record<string, string> = {};
  const versions: Record<string, string[]> = {};
  let first: WarehouseRefreshResult;

  const q = async <T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => (await db.pool.query<T>(sql, params)).rows;
  const one = async <T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T> => {
    const rows = await q<T>(sql, params);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };

  beforeAll(async () => {
    db = await freshDatabase();
    h = new Histories(db.pool);
    await h.init();
    const add = async (key: string, spec: AssetSpec) => {
      const r = await h.asset(spec);
      id[key] = r.id;
      versions[key] = r.versions;
    };
    // The straight path: every stage once, approved first time, delivered a day early.
    await add('happy', {
      name: 'Happy banner', project: 'ACME — Happy', owner: 'mia@agency.example', due: '2026-03-06', created: t('03-02 08:00'),
      moves: [[t('03-02 09:00'), 'brief'], [t('03-02 10:00'), 'in_progress'], [t('03-03 10:00'), 'internal_review'], [t('03-04 10:00'), 'client_review'], [t('03-05 10:00'), 'approved'], [t('03-05 12:00'), 'delivered']],
      versions: [t('03-03 09:00')],
      decisions: [[1, t('03-03 16:00'), 'approved'], [1, t('03-05 09:00'), 'approved', 'client']],
    });
    // One revision round, delivered a day late, reopened after delivery and delivered again.
    await add('reopened', {
      name: 'Reopened video', project: 'ACME — Reopen', type: 'video', owner: 'cd@agency.example', due: '2026-03-09',
      moves: [
        [t('03-02 09:00'), 'brief'], [t('03-02 12:00'), 'in_progress'], [t('03-04 09:00'), 'internal_review'], [t('03-04 15:00'), 'in_progress'],
        [t('03-05 09:00'), 'internal_review'], [t('03-06 09:00'), 'client_review'], [t('03-10 10:00'), 'delivered'],
        [t('03-11 09:00'), 'in_progress'], [t('03-12 09:00'), 'internal_review'], [t('03-13 09:00'), 'client_review'], [t('03-16 10:00'), 'delivered'],
      ],
    });
    // Created straight into in_progress (brief skipped), then internal_review and approved skipped too; no due date, no owner.
    await add('skipped', {
      name: 'Skipped social', project: 'Globex — Skip', type: 'social', due: null,
      moves: [[t('03-03 09:00'), 'in_progress'], [t('03-04 09:00'), 'client_review'], [t('03-05 09:00'), 'delivered']],
    });
    // v1 sent back, v2 uploaded, then v1 approved late (a decision on an old version), then v2 approved.
    await add('oldversion', {
      name: 'Old version poster', project: 'Globex — Old version',
      moves: [[t('03-02 09:00'), 'brief'], [t('03-02 10:00'), 'in_progress'], [t('03-03 09:00'), 'internal_review'], [t('03-03 15:00'), 'in_progress'], [t('03-04 12:00'), 'internal_review']],
      versions: [t('03-02 15:00'), t('03-04 11:00')],
      decisions: [[1, t('03-03 12:00'), 'changes_requested'], [1, t('03-05 09:00'), 'approved'], [2, t('03-05 10:00'), 'approved']],
    });
    // The first decision is on v2 (v1 never reviewed), made without the asset ever entering review.
    await add('v2first', {
      name: 'V2 first', project: 'Globex — V2 first',
      moves: [[t('03-02 09:00'), 'brief'], [t('03-02 10:00'), 'in_progress']],
      versions: [t('03-02 11:00'), t('03-03 11:00')],
      decisions: [[2, t('03-04 09:00'), 'approved_with_changes', 'client']],
    });
    // Delivered on Sunday 8 March 23:30 UTC = Monday 9 March 00:30 in Berlin: the next local day and week, and late.
    await add('tz', {
      name: 'Midnight delivery', project: 'Northwind — TZ', connection: 'drive-main', due: '2026-03-08',
      moves: [[t('03-02 09:00'), 'brief'], [t('03-03 09:00'), 'in_progress'], [t('03-08 23:30'), 'delivered']],
    });
    // Delivered, then deleted in its tool: in no metric.
    await add('deleted', {
      name: 'Deleted banner', project: 'ACME — Deleted', due: '2026-03-20', deleted: t('03-12 10:00'),
      moves: [[t('03-02 09:00'), 'brief'], [t('03-03 09:00'), 'in_progress'], [t('03-04 09:00'), 'delivered']],
      violations: [{ rule: 'file-naming', kind: 'naming', opened: t('03-03 10:00') }],
    });
    // Starts on hold (outside the pipeline), is put on hold again in the middle; a project name without a client part.
    await add('onhold', {
      name: 'On hold reel', project: 'Internal reel', created: t('03-01 10:00'),
      moves: [
        [t('03-01 10:00'), 'on_hold'], [t('03-02 09:00'), 'brief'], [t('03-02 10:00'), 'in_progress'], [t('03-04 09:00'), 'on_hold'],
        [t('03-09 09:00'), 'in_progress'], [t('03-10 09:00'), 'internal_review'], [t('03-11 09:00'), 'client_review'], [t('03-12 09:00'), 'delivered'],
      ],
    });
    // Cancelled past its due date: not work in progress, never overdue, never delivered.
    await add('cancelled', {
      name: 'Cancelled banner', project: 'Globex — Cancelled', due: '2026-03-05',
      moves: [[t('03-02 09:00'), 'brief'], [t('03-02 10:00'), 'in_progress'], [t('03-04 09:00'), 'cancelled']],
    });
    // In internal review since 10 March, due 12 March: overdue work in progress.
    await add('overdue', {
      name: 'Overdue banner', project: 'Northwind — Overdue', owner: 'pat@client.example', due: '2026-03-12',
      moves: [[t('03-09 09:00'), 'brief'], [t('03-09 10:00'), 'in_progress'], [t('03-10 10:00'), 'internal_review']],
    });
    // On hold past its due date: still overdue work.
    await add('held', {
      name: 'Held banner', project: 'Northwind — Held', due: '2026-03-10',
      moves: [[t('03-02 09:00'), 'brief'], [t('03-05 09:00'), 'on_hold']],
    });
    // In progress with no due date: never overdue.
    await add('nodue', { name: 'No due', project: 'Northwind — No due', due: null, moves: [[t('03-02 09:00'), 'brief'], [t('03-02 10:00'), 'in_progress']] });
    // A violation found and fixed in the first week, another found in the second and still open.
    await add('compliance', {
      name: 'Compliance banner', project: 'ACME — Compliance',
      moves: [[t('03-02 09:00'), 'brief'], [t('03-02 10:00'), 'in_progress']],
      violations: [
        { rule: 'file-naming', kind: 'naming', opened: t('03-03 10:00'), resolved: t('03-05 10:00') },
        { rule: 'client-approval', kind: 'approval_gate', opened: t('03-10 10:00'), lastSeen: t('03-19 10:00') },
      ],
    });
    // Two revision rounds (one from client_review back to brief), delivered in the week of 9 March.
    await add('rounds2', {
      name: 'Two rounds', project: 'ACME — Rounds', due: '2026-03-13',
      moves: [
        [t('03-02 09:00'), 'brief'], [t('03-02 10:00'), 'in_progress'], [t('03-03 09:00'), 'internal_review'], [t('03-03 12:00'), 'in_progress'],
        [t('03-04 09:00'), 'internal_review'], [t('03-05 09:00'), 'client_review'], [t('03-06 09:00'), 'brief'], [t('03-06 12:00'), 'in_progress'],
        [t('03-09 09:00'), 'internal_review'], [t('03-10 09:00'), 'client_review'], [t('03-11 09:00'), 'approved'], [t('03-11 15:00'), 'delivered'],
      ],
    });
    // A status outside the stage map (stage null) and two statuses of the same stage in a row.
    await add('unmapped', {
      name: 'Unmapped', project: 'ACME — Unmapped',
      moves: [[t('03-02 09:00'), 'brief'], [t('03-03 09:00'), null], [t('03-04 09:00'), 'in_progress'], [t('03-05 09:00'), 'in_progress'], [t('03-06 09:00'), 'internal_review']],
    });
    first = await refreshWarehouse(db.pool, { since: await warehouseWatermark(db.pool), now: NOW, timezone: TZ, roles: ROLES });
  });
  afterAll(async () => db?.drop());

  it('a first refresh is a full one and leaves a watermark', async () => {
    expect(first).toMatchObject({ mode: 'full', assets: Object.keys(id).length });
    expect(await warehouseWatermark(db.pool)).toBe(first.watermark);
    expect(await one(`SELECT as_of, as_of_on::text AS as_of_on, timezone FROM warehouse.refresh_info`)).toEqual({ as_of: new Date(NOW), as_of_on: '2026-03-20', timezone: TZ });
  });

  it('dimensions: client and campaign from the project name, teams from roles, a Monday-based date spine', async () => {
    const projects = await q<{ name: string; client: string | null; campaign: string }>(`SELECT name, client, campaign FROM warehouse.dim_project WHERE name IN ('ACME — Happy', 'Internal reel')`);
    expect(projects).toEqual(expect.arrayContaining([{ name: 'ACME — Happy', client: 'ACME', campaign: 'Happy' }, { name: 'Internal reel', client: null, campaign: 'Internal reel' }]));
    const people = await q(`SELECT email, roles, team FROM warehouse.dim_person ORDER BY email`);
    expect(people).toEqual([
      { email: 'cd@agency.example', roles: ['creative_director', 'designer'], team: 'creative_director' },
      { email: 'mia@agency.example', roles: ['designer'], team: 'designer' },
      { email: 'pat@client.example', roles: ['client'], team: 'client' },
    ]);
    expect(await one(`SELECT week_start::text AS w, day_of_week, is_weekend FROM warehouse.dim_date WHERE day = '2026-03-08'`)).toEqual({ w: '2026-03-02', day_of_week: 7, is_weekend: true });
    expect(await one(`SELECT min(day)::text AS lo, max(day)::text AS hi FROM warehouse.dim_date`)).toEqual({ lo: '2026-01-01', hi: '2027-12-31' });
    expect(await one(`SELECT client, campaign, source_vendor, owner_team FROM warehouse.v_asset WHERE asset_id = $1`, [id.tz])).toEqual({ client: 'Northwind', campaign: 'TZ', source_vendor: 'drive', owner_team: null });
  });

  it('throughput: each asset once, in the local week of its first delivery; redeliveries apart; deleted assets excluded', async () => {
    const rows = await q<{ week_start: string; campaign: string; assets_delivered: number; redeliveries: number }>(
      `SELECT week_start::text AS week_start, campaign, assets_delivered, redeliveries FROM warehouse.v_throughput_weekly ORDER BY week_start, campaign`);
    expect(rows).toEqual([
      { week_start: '2026-03-02', campaign: 'Happy', assets_delivered: 1, redeliveries: 0 },
      { week_start: '2026-03-02', campaign: 'Skip', assets_delivered: 1, redeliveries: 0 },
      { week_start: '2026-03-09', campaign: 'Internal reel', assets_delivered: 1, redeliveries: 0 },
      { week_start: '2026-03-09', campaign: 'Reopen', assets_delivered: 1, redeliveries: 0 },
      { week_start: '2026-03-09', campaign: 'Rounds', assets_delivered: 1, redeliveries: 0 },
      // 23:30 UTC on Sunday 8 March is Monday 9 March in Berlin
      { week_start: '2026-03-09', campaign: 'TZ', assets_delivered: 1, redeliveries: 0 },
      { week_start: '2026-03-16', campaign: 'Reopen', assets_delivered: 0, redeliveries: 1 },
    ]);
  });

  it('cycle time: first pipeline entry to first delivery (on_hold before the brief does not start it, on_hold inside it counts)', async () => {
    const rows = await q<{ asset_id: string; first_pipeline_stage: string; cycle_time_seconds: string; week_start: string }>(
      `SELECT asset_id, first_pipeline_stage, cycle_time_seconds, week_start::text AS week_start FROM warehouse.v_cycle_time`);
    const by = Object.fromEntries(rows.map((r) => [r.asset_id, { stage: r.first_pipeline_stage, s: num(r.cycle_time_seconds), week: r.week_start }]));
    expect(by[id.happy!]).toEqual({ stage: 'brief', s: 3 * 86400 + 3 * 3600, week: '2026-03-02' });
    expect(by[id.reopened!]).toEqual({ stage: 'brief', s: 8 * 86400 + 3600, week: '2026-03-09' });
    expect(by[id.skipped!]).toEqual({ stage: 'in_progress', s: 2 * 86400, week: '2026-03-02' });
    expect(by[id.onhold!]).toEqual({ stage: 'brief', s: 10 * 86400, week: '2026-03-09' });
    expect(by[id.tz!]).toEqual({ stage: 'brief', s: 6 * 86400 + 14.5 * 3600, week: '2026-03-09' });
    expect(Object.keys(by).sort()).toEqual([id.happy, id.reopened, id.skipped, id.onhold, id.tz, id.rounds2].sort());
    const p = await one<{ p50: number; p85: number }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle_time_seconds) AS p50, percentile_cont(0.85) WITHIN GROUP (ORDER BY cycle_time_seconds) AS p85
         FROM warehouse.v_cycle_time WHERE week_start = '2026-03-02'`);
    // happy 270000 s and skipped 172800 s
    expect([p.p50, p.p85]).toEqual([(270000 + 172800) / 2, 172800 + 0.85 * (270000 - 172800)]);
  });

  it('time in stage: closed stays, open WIP up to as_of, stages outside the pipeline, unmapped and same-stage statuses', async () => {
    const stays = async (key: string) =>
      (await q<{ stage: string | null; entry_no: number; seconds: string; is_open: boolean; is_wip: boolean; in_pipeline: boolean }>(
        `SELECT stage, entry_no, seconds, is_open, is_wip, in_pipeline FROM warehouse.v_time_in_stage WHERE asset_id = $1 ORDER BY entered_at`, [id[key]]))
        .map((r) => [r.stage, r.entry_no, num(r.seconds), r.is_open, r.is_wip, r.in_pipeline]);
    expect(await stays('happy')).toEqual([
      ['brief', 1, 3600, false, false, true], ['in_progress', 1, 86400, false, false, true], ['internal_review', 1, 86400, false, false, true],
      ['client_review', 1, 86400, false, false, true], ['approved', 1, 7200, false, false, true],
      // delivered is open but not work in progress: as_of − entry
      ['delivered', 1, (15 * 24 + 0) * 3600, true, false, true],
    ]);
    expect(await stays('skipped')).toEqual([['in_progress', 1, 86400, false, false, true], ['client_review', 1, 86400, false, false, true], ['delivered', 1, 15 * 86400 + 3 * 3600, true, false, true]]);
    expect((await stays('onhold')).filter((r) => r[0] === 'on_hold')).toEqual([['on_hold', 1, 23 * 3600, false, false, false], ['on_hold', 2, 5 * 86400, false, false, false]]);
    // open WIP: in internal review since 10 March 10:00, as_of 20 March 12:00
    expect(await stays('overdue')).toEqual([['brief', 1, 3600, false, false, true], ['in_progress', 1, 86400, false, false, true], ['internal_review', 1, 10 * 86400 + 2 * 3600, true, true, true]]);
    expect(await stays('cancelled')).toEqual([['brief', 1, 3600, false, false, true], ['in_progress', 1, 47 * 3600, false, false, true], ['cancelled', 1, 16 * 86400 + 3 * 3600, true, false, false]]);
    // a stay in an unmapped status; two statuses of in_progress are one stay
    expect(await stays('unmapped')).toEqual([
      ['brief', 1, 86400, false, false, true], [null, 1, 86400, false, false, false], ['in_progress', 1, 2 * 86400, false, false, true],
      ['internal_review', 1, 14 * 86400 + 3 * 3600, true, true, true],
    ]);
    const reopenedProgress = (await stays('reopened')).filter((r) => r[0] === 'in_progress').map((r) => r[1]);
    expect(reopenedProgress).toEqual([1, 2, 3]);
    // where work waits: closed internal_review stays of all live assets, and open WIP by stage apart
    const waits = await one<{ n: number; avg: string }>(`SELECT count(*)::int AS n, avg(seconds) AS avg FROM warehouse.v_time_in_stage WHERE stage = 'internal_review' AND NOT is_open AND campaign = 'Happy'`);
    expect([waits.n, num(waits.avg)]).toEqual([1, 86400]);
    const wip = await q(`SELECT stage, count(*)::int AS n FROM warehouse.v_time_in_stage WHERE is_wip GROUP BY stage ORDER BY stage`);
    // in_progress: v2first, nodue, compliance; internal_review: oldversion, overdue, unmapped; on_hold: held
    expect(wip).toEqual([{ stage: 'in_progress', n: 3 }, { stage: 'internal_review', n: 3 }, { stage: 'on_hold', n: 1 }]);
  });

  it('revision rounds and rework rate: review → in_progress|brief; a reopen is not a round', async () => {
    const rounds = await q<{ asset_id: string; revision_rounds: number; rounds_before_first_delivery: number; is_delivered: boolean; reopened: boolean }>(
      `SELECT asset_id, revision_rounds, rounds_before_first_delivery, is_delivered, reopened FROM warehouse.v_revision_rounds`);
    const by = Object.fromEntries(rounds.map((r) => [r.asset_id, [r.revision_rounds, r.rounds_before_first_delivery, r.is_delivered, r.reopened]]));
    expect(by[id.happy!]).toEqual([0, 0, true, false]);
    expect(by[id.reopened!]).toEqual([1, 1, true, true]);
    expect(by[id.rounds2!]).toEqual([2, 2, true, false]);
    expect(by[id.oldversion!]).toEqual([1, 1, false, false]);
    expect(by[id.deleted!]).toBeUndefined();
    const reopen = await one(`SELECT is_reopen, is_revision_round FROM warehouse.fact_transition WHERE asset_id = $1 AND at = $2`, [id.reopened, t('03-11 09:00')]);
    expect(reopen).toEqual({ is_reopen: true, is_revision_round: false });
    const rate = await q(`SELECT week_start::text AS week_start, sum(delivered_assets)::int AS delivered, sum(reworked_assets)::int AS reworked
                            FROM warehouse.v_rework_rate GROUP BY week_start ORDER BY week_start`);
    expect(rate).toEqual([{ week_start: '2026-03-02', delivered: 2, reworked: 0 }, { week_start: '2026-03-09', delivered: 4, reworked: 2 }]);
    expect(await one(`SELECT rework_rate FROM warehouse.v_rework_rate WHERE campaign = 'Rounds'`)).toEqual({ rework_rate: '1.0000' });
  });

  it('first-pass approval: the first decision on the first reviewed version; a later approval of an old version changes nothing', async () => {
    const rows = await q<{ asset_id: string; first_pass: boolean; first_decision: string; first_reviewed_version: number }>(
      `SELECT asset_id, first_pass, first_decision, first_reviewed_version FROM warehouse.v_first_pass_approval`);
    const by = Object.fromEntries(rows.map((r) => [r.asset_id, [r.first_pass, r.first_decision, r.first_reviewed_version]]));
    expect(by).toEqual({ [id.happy!]: [true, 'approved', 1], [id.oldversion!]: [false, 'changes_requested', 1], [id.v2first!]: [true, 'approved_with_changes', 2] });
    const old = await q(`SELECT version_number, decision, on_latest_version, seq_on_version FROM warehouse.fact_decision WHERE asset_id = $1 ORDER BY decided_at`, [id.oldversion]);
    expect(old).toEqual([
      { version_number: 1, decision: 'changes_requested', on_latest_version: true, seq_on_version: 1 },
      { version_number: 1, decision: 'approved', on_latest_version: false, seq_on_version: 2 },
      { version_number: 2, decision: 'approved', on_latest_version: true, seq_on_version: 1 },
    ]);
  });

  it('approval latency: review start of the version (review entry or upload, the later) to its first decision', async () => {
    const rows = await q<{ asset_id: string; version_number: number; review_stage: string | null; latency_seconds: string | null; week_start: string }>(
      `SELECT asset_id, version_number, review_stage, latency_seconds, week_start::text AS week_start FROM warehouse.v_approval_latency ORDER BY decided_at`);
    expect(rows.map((r) => [Object.keys(id).find((k) => id[k] === r.asset_id), r.version_number, r.review_stage, num(r.latency_seconds), r.week_start])).toEqual([
      ['oldversion', 1, 'internal_review', 3 * 3600, '2026-03-02'], // entered review 09:00 (v1 uploaded the day before), sent back 12:00
      ['happy', 1, 'internal_review', 6 * 3600, '2026-03-02'],
      ['v2first', 2, null, null, '2026-03-02'], // never in review: no latency
      ['oldversion', 2, 'internal_review', 22 * 3600, '2026-03-02'], // back in review 4 March 12:00 (v2 uploaded 11:00), approved 5 March 10:00
    ]);
  });

  it('on-time delivery: first delivery local date vs due date; no due date excluded and counted', async () => {
    const rows = await q<{ asset_id: string; on_time: boolean | null; days_late: number | null }>(`SELECT asset_id, on_time, days_late FROM warehouse.v_on_time_delivery`);
    const by = Object.fromEntries(rows.map((r) => [r.asset_id, [r.on_time, r.days_late]]));
    expect(by).toEqual({
      [id.happy!]: [true, -1],
      [id.reopened!]: [false, 1],
      [id.skipped!]: [null, null],
      [id.onhold!]: [null, null],
      [id.tz!]: [false, 1], // due 8 March, delivered 00:30 on 9 March local
      [id.rounds2!]: [true, -2],
    });
    const rate = await one(`SELECT count(*) FILTER (WHERE on_time)::int AS on_time, count(on_time)::int AS with_due, count(*) FILTER (WHERE on_time IS NULL)::int AS no_due FROM warehouse.v_on_time_delivery`);
    expect(rate).toEqual({ on_time: 2, with_due: 4, no_due: 2 });
  });

  it('overdue WIP: open past due at the end of each week and now; on_hold and a reopen count, cancelled and no due date do not', async () => {
    const rows = await q<{ asset_id: string; week_start: string; snapshot_on: string; is_current: boolean; stage: string; days_overdue: number }>(
      `SELECT asset_id, week_start::text AS week_start, snapshot_on::text AS snapshot_on, is_current, stage, days_overdue FROM warehouse.v_overdue_wip ORDER BY asset_id, week_start`);
    const named = rows.map((r) => [Object.keys(id).find((k) => id[k] === r.asset_id), r.week_start, r.snapshot_on, r.is_current, r.stage, r.days_overdue]);
    expect(named.sort()).toEqual([
      ['held', '2026-03-09', '2026-03-15', false, 'on_hold', 5],
      ['held', '2026-03-16', '2026-03-20', true, 'on_hold', 10],
      ['overdue', '2026-03-09', '2026-03-15', false, 'internal_review', 3],
      ['overdue', '2026-03-16', '2026-03-20', true, 'internal_review', 8],
      // reopened after its (late) delivery: open again, and past due, until redelivered on 16 March
      ['reopened', '2026-03-09', '2026-03-15', false, 'client_review', 6],
    ]);
  });

  it('compliance: no open violation at the end of each week; violations by rule', async () => {
    const rows = await q<{ week_start: string; open_violations: number; compliant: boolean; is_current: boolean }>(
      `SELECT week_start::text AS week_start, open_violations, compliant, is_current FROM warehouse.v_compliance WHERE asset_id = $1 ORDER BY week_start`, [id.compliance]);
    expect(rows).toEqual([
      { week_start: '2026-03-02', open_violations: 0, compliant: true, is_current: false },
      { week_start: '2026-03-09', open_violations: 1, compliant: false, is_current: false },
      { week_start: '2026-03-16', open_violations: 1, compliant: false, is_current: true },
    ]);
    expect(await one(`SELECT open_violations FROM warehouse.fact_asset_day WHERE asset_id = $1 AND day = '2026-03-04'`, [id.compliance])).toEqual({ open_violations: 1 });
    const now = await one(`SELECT count(*)::int AS assets, count(*) FILTER (WHERE compliant)::int AS compliant FROM warehouse.v_compliance WHERE is_current`);
    // every live asset but one is compliant; the deleted asset's open violation does not count
    expect(now).toEqual({ assets: Object.keys(id).length - 1, compliant: Object.keys(id).length - 2 });
    const byRule = await q(`SELECT rule_id, count(*) FILTER (WHERE is_open)::int AS open, count(*)::int AS total FROM warehouse.v_violations_by_rule GROUP BY rule_id ORDER BY rule_id`);
    expect(byRule).toEqual([{ rule_id: 'client-approval', open: 1, total: 1 }, { rule_id: 'file-naming', open: 0, total: 1 }]);
  });

  it('daily snapshots: stage at the end of each local day, versions so far, from creation to now or to deletion', async () => {
    const tzDays = await q<{ day: string; stage: string; is_delivered: boolean }>(
      `SELECT day::text AS day, stage, is_delivered FROM warehouse.fact_asset_day WHERE asset_id = $1 AND day BETWEEN '2026-03-07' AND '2026-03-10' ORDER BY day`, [id.tz]);
    expect(tzDays).toEqual([
      { day: '2026-03-07', stage: 'in_progress', is_delivered: false },
      { day: '2026-03-08', stage: 'in_progress', is_delivered: false },
      { day: '2026-03-09', stage: 'delivered', is_delivered: true },
      { day: '2026-03-10', stage: 'delivered', is_delivered: true },
    ]);
    const v = await q(`SELECT day::text AS day, version_count FROM warehouse.fact_asset_day WHERE asset_id = $1 AND day BETWEEN '2026-03-02' AND '2026-03-05' ORDER BY day`, [id.oldversion]);
    expect(v).toEqual([{ day: '2026-03-02', version_count: 1 }, { day: '2026-03-03', version_count: 1 }, { day: '2026-03-04', version_count: 2 }, { day: '2026-03-05', version_count: 2 }]);
    const span = async (key: string) => one(`SELECT min(day)::text AS lo, max(day)::text AS hi, count(*)::int AS n FROM warehouse.fact_asset_day WHERE asset_id = $1`, [id[key]]);
    expect(await span('happy')).toEqual({ lo: '2026-03-02', hi: '2026-03-20', n: 19 });
    expect(await span('deleted')).toEqual({ lo: '2026-03-02', hi: '2026-03-12', n: 11 });
    expect(await span('onhold')).toEqual({ lo: '2026-03-01', hi: '2026-03-20', n: 20 });
    const reopenedDays = await q(`SELECT day::text AS day, stage FROM warehouse.fact_asset_day WHERE asset_id = $1 AND day BETWEEN '2026-03-10' AND '2026-03-11' ORDER BY day`, [id.reopened]);
    expect(reopenedDays).toEqual([{ day: '2026-03-10', stage: 'delivered' }, { day: '2026-03-11', stage: 'in_progress' }]);
  });

  it('deleted assets are in the facts but in no metric view', async () => {
    expect(await one(`SELECT deleted_on::text AS deleted_on, first_delivered_on::text AS delivered FROM warehouse.dim_asset WHERE asset_id = $1`, [id.deleted])).toEqual({ deleted_on: '2026-03-12', delivered: '2026-03-04' });
    for (const view of ['v_asset', 'v_cycle_time', 'v_time_in_stage', 'v_revision_rounds', 'v_first_pass_approval', 'v_approval_latency', 'v_on_time_delivery', 'v_overdue_wip', 'v_compliance', 'v_violations_by_rule']) {
      expect(await one(`SELECT count(*)::int AS n FROM warehouse.${view} WHERE asset_id = $1`, [id.deleted]), view).toEqual({ n: 0 });
    }
    expect(await one(`SELECT count(*)::int AS n FROM warehouse.v_throughput_weekly WHERE campaign = 'Deleted'`)).toEqual({ n: 0 });
    expect(await one(`SELECT count(*)::int AS n FROM warehouse.v_rework_rate WHERE campaign = 'Deleted'`)).toEqual({ n: 0 });
  });

  it('a new time zone rebuilds everything: the 23:30 UTC delivery moves back to Sunday and its week', async () => {
    const utc = await refreshWarehouse(db.pool, { since: await warehouseWatermark(db.pool), now: NOW, timezone: 'UTC', roles: ROLES });
    expect(utc).toMatchObject({ mode: 'full', reason: 'time zone changed (Europe/Berlin → UTC)' });
    expect(await one(`SELECT week_start::text AS w, on_time, days_late FROM warehouse.v_on_time_delivery WHERE asset_id = $1`, [id.tz])).toEqual({ w: '2026-03-02', on_time: true, days_late: 0 });
    const back = await refreshWarehouse(db.pool, { since: await warehouseWatermark(db.pool), now: NOW, timezone: TZ, roles: ROLES });
    expect(back.mode).toBe('full');
    expect(await one(`SELECT week_start::text AS w FROM warehouse.v_on_time_delivery WHERE asset_id = $1`, [id.tz])).toEqual({ w: '2026-03-09' });
    const again = await refreshWarehouse(db.pool, { since: await warehouseWatermark(db.pool), now: NOW, timezone: TZ, roles: ROLES });
    expect(again).toMatchObject({ mode: 'incremental', assets: 0 });
    expect(Object.values(again.rows).reduce((a, b) => a + b, 0) + Object.values(again.deleted).reduce((a, b) => a + b, 0)).toBe(0);
    await expect(refreshWarehouse(db.pool, { since: null, now: NOW, timezone: 'Mars/Olympus' })).rejects.toThrow(/time zone "Mars\/Olympus"/);
  });

  it('every warehouse table, view and column has a comment, and the docs name every table and view', async () => {
    const missing = await q(
      `SELECT c.relname, a.attname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname = 'warehouse' AND c.relkind IN ('r', 'v')
          AND (obj_description(c.oid, 'pg_class') IS NULL OR (a.attname IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL))`);
    expect(missing).toEqual([]);
    const names = (await q<{ relname: string }>(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'warehouse' AND c.relkind IN ('r', 'v')`)).map((r) => r.relname);
    const warehouseDoc = readFileSync(new URL('../../docs/WAREHOUSE.md', import.meta.url), 'utf8');
    const metricsDoc = readFileSync(new URL('../../docs/METRICS.md', import.meta.url), 'utf8');
    expect(names.filter((n) => !warehouseDoc.includes(`warehouse.${n}`))).toEqual([]);
    expect(names.filter((n) => n.startsWith('v_') && n !== 'v_asset' && !metricsDoc.includes(`warehouse.${n}`))).toEqual([]);
  });

  it('METRICS.md: its view SQL is the migration\'s, word for word, and its example queries run', async () => {
    const metricsDoc = readFileSync(new URL('../../docs/METRICS.md', import.meta.url), 'utf8');
    // Each view's latest definition across the migrations, in the order they run.
    const dir = new URL('../../activities/db/migrations/', import.meta.url);
    const latest = new Map<string, string>();
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.sql')).sort()) {
      const up = readFileSync(new URL(f, dir), 'utf8').split('-- Down Migration')[0]!;
      for (const m of up.matchAll(/CREATE (?:OR REPLACE )?VIEW (warehouse\.\w+) AS\n[\s\S]*?;/g)) latest.set(m[1]!, m[0].replace('CREATE OR REPLACE VIEW', 'CREATE VIEW'));
    }
    const blocks = [...metricsDoc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
    const views = blocks.filter((b) => b.startsWith('CREATE VIEW'));
    expect(views).toHaveLength(13);
    for (const v of views) expect(latest.get(v.split(' ')[2]!), v.split('\n')[0]).toBe(v);
    const examples = blocks.filter((b) => !b.startsWith('CREATE VIEW')).flatMap((b) => b.split(/;\s*(?:\n|$)/)).map((x) => x.replace(/^--.*$/gm, '').trim()).filter(Boolean);
    expect(examples.length).toBeGreaterThanOrEqual(12);
    for (const sql of examples) await expect(db.pool.query(sql), sql).resolves.toBeDefined();
  });

  it('rolesFromConfig turns stageline.yaml people into the roles option', () => {
    expect(rolesFromConfig({ people: [{ email: 'A@x.example', roles: ['client'] }, { domain: 'client.example', roles: ['client'] }] })).toEqual({ 'a@x.example': ['client'], '@client.example': ['client'] });
  });
});

// --------------------------------------------------------------------------------------------------

describe('incremental refresh', () => {
  let db: FreshDatabase;
  let h: Histories;
  const assets: { id: string; versions: string[]; last: string | null }[] = [];
  const NOW1 = '2026-03-20T12:00:00.000Z';
  const NOW2 = '2026-03-22T18:00:00.000Z';
  const PIPE = ['brief', 'in_progress', 'internal_review', 'client_review', 'approved', 'delivered'];

  /** Every warehouse table as sorted JSON rows (refresh_info without its per-run columns). */
  async function snapshot(): Promise<Record<string, string[]>> {
    const { rows: rels } = await db.pool.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'warehouse' AND c.relkind IN ('r', 'v') ORDER BY 1`);
    const out: Record<string, string[]> = {};
    for (const { relname } of rels) {
      const strip = relname === 'refresh_info' ? ` - 'mode' - 'assets_refreshed' - 'watermark' - 'refreshed_at'` : '';
      const { rows } = await db.pool.query<{ j: string }>(`SELECT (to_jsonb(t)${strip})::text AS j FROM warehouse.${relname} t ORDER BY 1`);
      out[relname] = rows.map((r) => r.j);
    }
    return out;
  }

  async function rowsOf(ids: string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const table of ['fact_transition', 'fact_stage_interval', 'fact_version', 'fact_decision', 'fact_violation', 'fact_asset_day']) {
      const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM warehouse.${table} WHERE asset_id = ANY($1::uuid[])`, [ids]);
      out[table] = rows[0]!.n;
    }
    return out;
  }

  beforeAll(async () => {
    db = await freshDatabase();
    h = new Histories(db.pool);
    await h.init();
    // 50 assets with varied, deterministic histories (a small linear congruential generator).
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const projects = ['ACME — Holiday 2026', 'ACME — Spring', 'Globex — Launch', 'Internal reel'];
    const owners = ['mia@agency.example', 'cd@agency.example', 'pat@client.example', null];
    for (let i = 0; i < 50; i++) {
      let at = Date.parse('2026-02-01T08:00:00Z') + rnd(30) * 86_400_000 + rnd(24) * 3_600_000;
      const moves: [string, string | null][] = [];
      let pos = rnd(4) === 0 ? 1 : 0;
      moves.push([new Date(at).toISOString(), PIPE[pos]!]);
      const steps = rnd(9);
      for (let s = 0; s < steps; s++) {
        at += (1 + rnd(40)) * 3_600_000;
        const roll = rnd(10);
        let stage: string;
        if (roll === 0) stage = 'on_hold';
        else if (roll === 1 && (pos === 2 || pos === 3)) stage = PIPE[rnd(2)]!;
        else stage = PIPE[Math.min(pos + 1 + (rnd(5) === 0 ? 1 : 0), PIPE.length - 1)]!;
        if (stage !== 'on_hold') pos = PIPE.indexOf(stage);
        moves.push([new Date(at).toISOString(), stage]);
      }
      const created = moves[0]![0];
      const versions = Array.from({ length: rnd(4) }, (_, k) => new Date(Date.parse(created) + (k + 1) * 20 * 3_600_000).toISOString());
      const decisions: [number | null, string, Decision][] = versions.map((v, k) => [k + 1, new Date(Date.parse(v) + 5 * 3_600_000).toISOString(), (['approved', 'changes_requested', 'approved_with_changes', 'rejected'] as const)[rnd(4)]!]);
      const violations = rnd(3) === 0 ? [{ rule: 'file-naming', kind: 'naming', opened: new Date(Date.parse(created) + 86_400_000).toISOString(), ...(rnd(2) ? { resolved: new Date(Date.parse(created) + 3 * 86_400_000).toISOString() } : {}) }] : [];
      const r = await h.asset({
        name: `Asset ${i}`, project: projects[rnd(projects.length)]!, owner: owners[rnd(owners.length)]!, type: ['banner', 'video', null][rnd(3)]!,
        due: rnd(3) === 0 ? null : new Date(Date.parse(created) + (3 + rnd(20)) * 86_400_000).toISOString().slice(0, 10),
        created, moves, versions, decisions, violations,
      });
      assets.push({ ...r, last: moves[moves.length - 1]![1] });
    }
  });
  afterAll(async () => db?.drop());

  it('after changes to 10 of 50 assets, an incremental refresh equals a full rebuild row for row', async () => {
    const full = await refreshWarehouse(db.pool, { since: null, now: NOW1, timezone: TZ, roles: ROLES });
    expect(full).toMatchObject({ mode: 'full', assets: 50 });
    const a = (i: number) => assets[i]!;
    // new transitions on four assets (one of them reopened after its delivery, one put on hold)
    await h.moves(a(0).id, [[t('03-21 09:00'), 'in_progress'], [t('03-21 15:00'), 'internal_review']], a(0).last);
    await h.moves(a(1).id, [[t('03-21 10:00'), 'on_hold']], a(1).last);
    await h.moves(a(2).id, [[t('03-20 23:30'), 'delivered']], a(2).last);
    await h.moves(a(3).id, [[t('03-22 08:00'), 'client_review'], [t('03-22 09:00'), 'in_progress']], a(3).last);
    // a decision, and a new version with its decision
    await h.decide(a(4).id, a(4).versions[0] ?? null, t('03-21 11:00'), 'rejected');
    const v = randomUUID();
    await db.pool.query(`INSERT INTO core.versions (id, connection_id, external_id, asset_id, number, name, source, remote_created_at, raw, hash)
                         VALUES ($1::uuid, 'asana-main', $1::text, $2, 9, 'late_v9', 'attachment', $3, '{}', 'h')`, [v, a(5).id, t('03-21 08:00')]);
    await h.decide(a(5).id, v, t('03-21 12:00'), 'approved');
    // a deletion
    await db.pool.query(`UPDATE core.assets SET deleted_at = $2, updated_at = now() WHERE id = $1`, [a(6).id, t('03-21 08:00')]);
    // new violations (an enforcement round sees them now)
    for (const i of [7, 8]) await h.violate(a(i).id, { rule: 'client-approval', kind: 'approval_gate', opened: t('03-21 09:00'), lastSeen: new Date().toISOString() });
    // a new due date
    await db.pool.query(`UPDATE core.assets SET due_on = '2026-03-01', updated_at = now() WHERE id = $1`, [a(9).id]);

    const client = await db.pool.connect();
    let inc: WarehouseRefreshResult;
    try {
      inc = await refreshWarehouse(client, { since: await warehouseWatermark(client), now: NOW2, timezone: TZ, roles: ROLES });
    } finally {
      client.release();
    }
    expect(inc).toMatchObject({ mode: 'incremental', assets: 10 });
    const incremental = await snapshot();
    const rebuilt = await rebuildWarehouse(db.pool, { now: NOW2, timezone: TZ, roles: ROLES });
    expect(rebuilt).toMatchObject({ mode: 'full', assets: 50 });
    const fromScratch = await snapshot();
    expect(Object.keys(incremental).length).toBeGreaterThanOrEqual(25);
    for (const table of Object.keys(fromScratch)) expect(incremental[table], table).toEqual(fromScratch[table]);
    // the rebuild found nothing to change in the dimensions
    expect([rebuilt.rows.dim_asset, rebuilt.rows.dim_person, rebuilt.rows.dim_project, rebuilt.rows.dim_date]).toEqual([0, 0, 0, 0]);
    // and the changes are there: the deleted asset left the views and its snapshots stop on its deletion day; the others run to the new now
    expect((await db.pool.query(`SELECT 1 FROM warehouse.v_asset WHERE asset_id = $1`, [a(6).id])).rowCount).toBe(0);
    expect((await db.pool.query(`SELECT max(day)::text AS d FROM warehouse.fact_asset_day WHERE asset_id = $1`, [a(6).id])).rows[0]).toEqual({ d: '2026-03-21' });
    expect((await db.pool.query(`SELECT max(day)::text AS d FROM warehouse.fact_asset_day WHERE asset_id = $1`, [a(10).id])).rows[0]).toEqual({ d: '2026-03-22' });
  });

  it('an incremental refresh touches only the rows of the assets that changed', async () => {
    const changed = [assets[20]!, assets[21]!, assets[22]!].map((x) => x.id);
    // ops.violations times come from the enforcement round's clock, not the database's, so they are
    // compared with 5 minutes of slack: the assets whose violations the last test wrote "now" are
    // still inside it and are recomputed once more (with the same result).
    const { rows: recent } = await db.pool.query<{ asset_id: string }>(
      `SELECT DISTINCT asset_id FROM ops.violations WHERE greatest(opened_at, last_seen_at, resolved_at) >= $1::timestamptz - interval '5 minutes'`,
      [await warehouseWatermark(db.pool)]);
    const recentViolations = recent.map((r) => r.asset_id);
    expect([assets[7]!.id, assets[8]!.id]).toEqual(expect.arrayContaining(recentViolations));
    const scope = [...changed, ...recentViolations];
    const before = await rowsOf(scope);
    const totalBefore = await rowsOf(assets.map((x) => x.id));
    await h.moves(changed[0]!, [[t('03-22 10:00'), 'on_hold']], assets[20]!.last);
    await h.decide(changed[1]!, assets[21]!.versions[0] ?? null, t('03-22 11:00'), 'approved');
    await h.violate(changed[2]!, { rule: 'required', kind: 'required_fields', opened: t('03-22 07:00'), lastSeen: new Date().toISOString() });

    const r = await refreshWarehouse(db.pool, { since: await warehouseWatermark(db.pool), now: NOW2, timezone: TZ, roles: ROLES });
    const after = await rowsOf(scope);
    expect(r).toMatchObject({ mode: 'incremental', assets: scope.length });
    for (const table of Object.keys(before)) {
      expect(r.deleted[table], table).toBe(before[table]);
      expect(r.rows[table], table).toBe(after[table]);
    }
    expect(r.rows.dim_asset).toBeLessThanOrEqual(3);
    expect(r.rows.dim_asset).toBeGreaterThan(0);
    for (const dim of ['dim_stage', 'dim_source', 'dim_person', 'dim_project', 'dim_date']) {
      expect([r.rows[dim], r.deleted[dim]], dim).toEqual([0, 0]);
    }
    // the rows touched are those of at most 5 assets out of 50, a small share of the warehouse
    const sum = (x: Record<string, number>) => Object.values(x).reduce((n, v) => n + v, 0);
    const touched = Object.keys(before).reduce((n, table) => n + r.rows[table]! + r.deleted[table]!, 0);
    expect(touched).toBe(sum(before) + sum(after));
    expect(sum(before)).toBeLessThan(sum(totalBefore) / 3);
    // and it still equals a rebuild
    const incremental = await snapshot();
    await rebuildWarehouse(db.pool, { now: NOW2, timezone: TZ, roles: ROLES });
    expect(incremental).toEqual(await snapshot());
  });

  it('a change still uncommitted while a refresh runs is picked up by the next one', async () => {
    const target = assets[30]!;
    const sync = await db.pool.connect();
    try {
      await sync.query('BEGIN');
      await sync.query(
        `INSERT INTO core.stage_transitions (id, connection_id, external_id, asset_id, from_stage, to_stage, at, source)
         VALUES ($1::uuid, 'asana-main', $1::text, $2, $3, 'on_hold', $4, 'vendor_history')`,
        [randomUUID(), target.id, target.last, t('03-22 12:00')]);
      const during = await refreshWarehouse(db.pool, { since: await warehouseWatermark(db.pool), now: NOW2, timezone: TZ, roles: ROLES });
      expect(during.mode).toBe('incremental');
      await sync.query('COMMIT');
    } finally {
      sync.release();
    }
    const next = await refreshWarehouse(db.pool, { since: await warehouseWatermark(db.pool), now: NOW2, timezone: TZ, roles: ROLES });
    expect(next.assets).toBeGreaterThanOrEqual(1);
    const stay = await db.pool.query(`SELECT stage, is_open FROM warehouse.fact_stage_interval WHERE asset_id = $1 ORDER BY seq DESC LIMIT 1`, [target.id]);
    expect(stay.rows[0]).toEqual({ stage: 'on_hold', is_open: true });
  });

  it('a refresh with a now earlier than the last one, or no since, is a full rebuild', async () => {
    const back = await refreshWarehouse(db.pool, { since: await warehouseWatermark(db.pool), now: NOW1, timezone: TZ, roles: ROLES });
    expect(back.mode).toBe('full');
    expect(back.reason).toMatch(/before the last refresh/);
    expect((await refreshWarehouse(db.pool, { since: null, now: NOW2, timezone: TZ, roles: ROLES })).mode).toBe('full');
  });
});
