// Refreshes the `warehouse` schema (activities/db/migrations/*_warehouse.sql) from core.* and
// ops.violations: dimensions, facts and the daily asset snapshots the metric views read
// (docs/WAREHOUSE.md, docs/METRICS.md).
//
// Incremental: only the assets whose core rows changed since the watermark are recomputed, each table
// in one set-based statement (delete their fact rows, insert them again, upsert their dimension row);
// every other asset only gains the snapshot days since the last refresh. The small dimensions (stages,
// sources, people, projects, dates) are re-synced whole with guarded upserts, so an unchanged row is
// never rewritten. Everything happens in one REPEATABLE READ transaction that also moves the
// watermark (ops.state key 'warehouse'), so the warehouse and its watermark never disagree
// (STYLE.md §9), and readers see either the old warehouse or the new one.
import type { Pool, PoolClient } from 'pg';
import { DEFAULT_PIPELINE, SIDE_STAGES } from '../mapping/model';
import type { StagelineConfig } from '../mapping/config';

export type WarehouseDb = Pool | PoolClient;

export interface WarehouseRefreshOptions {
  /**
   * Database time from which core changes are picked up: what `warehouseWatermark(db)` returns. null
   * = full rebuild. A refresh is also full, whatever `since` says, on the first refresh and when the
   * time zone or the pipeline changed, or `now` went back: the stored local dates would be wrong.
   */
  since: string | null;
  /** The "as of" instant: snapshots run to its local day, open stays are measured up to it. */
  now: string;
  /** IANA time zone of every local date and week (stageline.yaml workspace.timezone). */
  timezone: string;
  /** Roles by email, or by `@domain` for everyone at a domain (stageline.yaml people; see `rolesFromConfig`). */
  roles?: Record<string, readonly string[]>;
  /** The ordered stage pipeline (stageline.yaml workspace.pipeline); its last stage is "delivered". */
  pipeline?: readonly string[];
}

export interface WarehouseRefreshResult {
  mode: 'full' | 'incremental';
  /** Why a refresh asked to be incremental was full; absent otherwise. */
  reason?: string;
  /** Assets recomputed. */
  assets: number;
  /** Rows inserted or updated, per warehouse table. */
  rows: Record<string, number>;
  /** Rows deleted, per warehouse table. */
  deleted: Record<string, number>;
  /** The new watermark (database time), to pass as `since` next time. */
  watermark: string;
  ms: number;
}

const STATE_KEY = 'warehouse';
/** Same session-level lock for every refresh, taken before the transaction's snapshot (see `withTransaction`). */
const LOCK_KEY = 'stageline:warehouse';
/** As in mapping/rules.ts revision_cap: leaving a review stage for a rework stage is a revision round. */
const REVIEW_STAGES = ['internal_review', 'client_review'];
const REWORK_STAGES = ['in_progress', 'brief'];
/** Side stages that end work (with the final pipeline stage): not work in progress, never overdue. */
const CLOSED_SIDE_STAGES = ['cancelled'];
/**
 * ops.violations carries no updated_at; its times come from the enforcement round's clock (the
 * application's), not the database's. They are compared with this much slack so that a round whose
 * clock is a little behind the database's is not missed.
 */
const VIOLATION_CLOCK_SLACK = '5 minutes';

/**
 * Time zones pg_timezone_names has already confirmed in this process. Reading that view opens every
 * zone file of the server's time zone database (about 20 ms whatever the workspace), so each name is
 * looked up once, not on every refresh; an unknown name is looked up, and rejected, every time.
 */
const knownTimeZones = new Set<string>();

const FACTS = ['fact_transition', 'fact_stage_interval', 'fact_version', 'fact_decision', 'fact_violation', 'fact_asset_day'] as const;

interface StoredState {
  since?: string;
}

interface PreviousRefresh {
  as_of: Date;
  as_of_on: string;
  timezone: string;
  pipeline: string[];
}

/** The watermark to pass as `since` to the next incremental refresh; null before the first refresh. */
export async function warehouseWatermark(db: WarehouseDb): Promise<string | null> {
  const { rows } = await db.query<{ value: StoredState }>('SELECT value FROM ops.state WHERE key = $1', [STATE_KEY]);
  return rows[0]?.value.since ?? null;
}

/** Roles for `refreshWarehouse` from stageline.yaml people: emails as they are, domains as `@domain`. */
export function rolesFromConfig(cfg: Pick<StagelineConfig, 'people'>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of cfg.people) {
    if ('email' in p) out[p.email.toLowerCase()] = p.roles;
    else out[`@${p.domain.toLowerCase()}`] = p.roles;
  }
  return out;
}

/** Everything recomputed from core.*. */
export function rebuildWarehouse(db: WarehouseDb, opts: Omit<WarehouseRefreshOptions, 'since'>): Promise<WarehouseRefreshResult> {
  return refreshWarehouse(db, { ...opts, since: null });
}

/**
 * Brings the warehouse up to date as of `opts.now`. With a Pool the refresh takes a connection of its
 * own; a PoolClient must not be inside a transaction (the refresh runs its own).
 */
export async function refreshWarehouse(db: WarehouseDb, opts: WarehouseRefreshOptions): Promise<WarehouseRefreshResult> {
  const started = performance.now();
  const pipeline = [...(opts.pipeline ?? DEFAULT_PIPELINE)];
  validate(opts, pipeline);
  const result = await withTransaction(db, (client, watermark) => refreshIn(client, watermark, opts, pipeline));
  return { ...result, ms: Math.round(performance.now() - started) };
}

function validate(opts: WarehouseRefreshOptions, pipeline: string[]): void {
  if (Number.isNaN(Date.parse(opts.now))) throw new Error(`refreshWarehouse: now is not a timestamp: ${JSON.stringify(opts.now)}`);
  if (opts.since !== null && Number.isNaN(Date.parse(opts.since))) throw new Error(`refreshWarehouse: since is not a timestamp: ${JSON.stringify(opts.since)}`);
  if (pipeline.length < 2 || new Set(pipeline).size !== pipeline.length) {
    throw new Error(`refreshWarehouse: the pipeline needs at least two distinct stages (got ${pipeline.join(', ')})`);
  }
}

function isClient(db: WarehouseDb): db is PoolClient {
  return typeof (db as PoolClient).release === 'function';
}

/**
 * One REPEATABLE READ transaction: every statement reads the same snapshot of core.*, so the
 * watermark covers exactly what was read. Refreshes are serialized with a session-level advisory lock
 * taken before BEGIN; a transaction-level lock would be taken after the snapshot, and a refresh that
 * waited on it would then read the warehouse as it was before the one it waited for.
 *
 * The watermark is read before the snapshot exists: the start of that statement, or of the oldest
 * other transaction then running in this database if earlier. A row written by a transaction the
 * snapshot will not see carries that transaction's start time (updated_at = now()), and that
 * transaction was either running then (so it is counted) or started later (so its rows are newer).
 * Read after the snapshot instead, a transaction committing in between would be neither seen nor counted.
 */
async function withTransaction<T>(db: WarehouseDb, fn: (client: PoolClient, watermark: Date) => Promise<T>): Promise<T> {
  const client = isClient(db) ? db : await db.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [LOCK_KEY]);
    try {
      const { rows } = await client.query<{ watermark: Date }>(
        `SELECT least(now(), (SELECT min(xact_start) FROM pg_stat_activity
                               WHERE datname = current_database() AND pid <> pg_backend_pid()
                                 AND backend_type = 'client backend' AND xact_start IS NOT NULL)) AS watermark`,
      );
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      try {
        const out = await fn(client, rows[0]!.watermark);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    if (!isClient(db)) client.release();
  }
}

async function refreshIn(client: PoolClient, watermarkAt: Date, opts: WarehouseRefreshOptions, pipeline: string[]): Promise<Omit<WarehouseRefreshResult, 'ms'>> {
  const tz = opts.timezone;
  if (!knownTimeZones.has(tz)) {
    const { rows: tzCheck } = await client.query<{ tz_ok: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS tz_ok`, [tz]);
    if (!tzCheck[0]?.tz_ok) throw new Error(`refreshWarehouse: time zone ${JSON.stringify(tz)} is not one PostgreSQL knows (pg_timezone_names)`);
    knownTimeZones.add(tz);
  }
  const { rows: nowRows } = await client.query<{ now_on: string }>(`SELECT to_char(($1::timestamptz AT TIME ZONE $2)::date, 'YYYY-MM-DD') AS now_on`, [opts.now, tz]);
  const nowOn = nowRows[0]!.now_on;
  await client.query(`SELECT set_config('jit', 'off', true)`);

  const { rows: prevRows } = await client.query<PreviousRefresh>(
    `SELECT as_of, to_char(as_of_on, 'YYYY-MM-DD') AS as_of_on, timezone, pipeline FROM warehouse.refresh_info`,
  );
  const prev = prevRows[0];
  let reason: string | undefined;
  if (opts.since !== null) {
    if (!prev) reason = 'first refresh';
    else if (prev.timezone !== tz) reason = `time zone changed (${prev.timezone} → ${tz})`;
    else if (prev.pipeline.join(',') !== pipeline.join(',')) reason = 'pipeline changed';
    else if (Date.parse(opts.now) < prev.as_of.getTime()) reason = `now (${opts.now}) is before the last refresh's (${prev.as_of.toISOString()})`;
  }
  const full = opts.since === null || reason !== undefined;
  // An incremental refresh reaches a few hundred assets' rows in tables of millions through their
  // asset_id indexes, on pages a warehouse in use keeps in memory. With PostgreSQL's default
  // random_page_cost (4, priced for spinning disks) the planner reads whole tables instead once the
  // scope passes a few hundred assets: at 100,000 assets the snapshot statement went from 40 ms to
  // 250 ms for 550 assets (docs/BENCHMARKS-warehouse.md §4). So, for this transaction only, the value
  // usual for SSDs, unless the server's is lower already; a full rebuild reads everything anyway and
  // keeps the server's setting. Plans change, results do not.
  if (!full) {
    await client.query(`SELECT set_config('random_page_cost', least(current_setting('random_page_cost')::float8, 1.1)::text, true)`);
  }
  const rows: Record<string, number> = {};
  const deleted: Record<string, number> = {};
  const run = async (table: string, kind: 'rows' | 'deleted', sql: string, params: unknown[] = []): Promise<void> => {
    const r = await client.query(sql, params);
    const into = kind === 'rows' ? rows : deleted;
    into[table] = (into[table] ?? 0) + (r.rowCount ?? 0);
  };

  // ------------------------------------------------------------------ small dimensions, re-synced whole
  const finalStage = pipeline[pipeline.length - 1]!;
  const sides = SIDE_STAGES.filter((s) => !pipeline.includes(s));
  await run('dim_stage', 'deleted', `DELETE FROM warehouse.dim_stage WHERE NOT (stage = ANY($1::text[]))`, [[...pipeline, ...sides]]);
  await run('dim_stage', 'rows',
    `INSERT INTO warehouse.dim_stage (stage, position, kind, is_final, is_review, is_rework, is_closed)
     SELECT s.stage, s.position, s.kind, s.stage = $3, s.stage = ANY($4::text[]), s.stage = ANY($5::text[]),
            s.stage = $3 OR s.stage = ANY($6::text[])
       FROM (SELECT u.stage, u.ord::integer AS position, 'pipeline' AS kind FROM unnest($1::text[]) WITH ORDINALITY AS u(stage, ord)
             UNION ALL SELECT u.stage, NULL, 'side' FROM unnest($2::text[]) AS u(stage)) s
     ON CONFLICT (stage) DO UPDATE SET position = EXCLUDED.position, kind = EXCLUDED.kind, is_final = EXCLUDED.is_final,
       is_review = EXCLUDED.is_review, is_rework = EXCLUDED.is_rework, is_closed = EXCLUDED.is_closed
     WHERE ROW(warehouse.dim_stage.*) IS DISTINCT FROM ROW(EXCLUDED.*)`,
    [pipeline, sides, finalStage, REVIEW_STAGES, REWORK_STAGES, CLOSED_SIDE_STAGES]);

  await run('dim_source', 'deleted', `DELETE FROM warehouse.dim_source d WHERE NOT EXISTS (SELECT 1 FROM ops.connections c WHERE c.id = d.connection_id)`);
  await run('dim_source', 'rows',
    `INSERT INTO warehouse.dim_source (connection_id, vendor, created_at)
     SELECT id, vendor, created_at FROM ops.connections
     ON CONFLICT (connection_id) DO UPDATE SET vendor = EXCLUDED.vendor, created_at = EXCLUDED.created_at
     WHERE ROW(warehouse.dim_source.*) IS DISTINCT FROM ROW(EXCLUDED.*)`);

  const roles: Record<string, readonly string[]> = {};
  for (const [key, value] of Object.entries(opts.roles ?? {})) {
    // A key without an @ is a domain, as is one starting with @.
    const k = key.trim().toLowerCase();
    roles[k.includes('@') ? k : `@${k}`] = value;
  }
  await run('dim_person', 'deleted', `DELETE FROM warehouse.dim_person d WHERE NOT EXISTS (SELECT 1 FROM core.persons p WHERE p.id = d.person_id)`);
  await run('dim_person', 'rows',
    `INSERT INTO warehouse.dim_person (person_id, email, name, roles, team)
     SELECT p.id, p.email, p.name, r.roles, r.roles[1]
       FROM core.persons p
       CROSS JOIN LATERAL (
         SELECT coalesce(ARRAY(SELECT jsonb_array_elements_text(
                  coalesce($1::jsonb -> lower(p.email), $1::jsonb -> ('@' || split_part(lower(p.email), '@', 2)), '[]'::jsonb))), '{}') AS roles
       ) r
     ON CONFLICT (person_id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, roles = EXCLUDED.roles, team = EXCLUDED.team
     WHERE ROW(warehouse.dim_person.*) IS DISTINCT FROM ROW(EXCLUDED.*)`,
    [JSON.stringify(roles)]);

  // The agency's convention: "ACME — Holiday 2026" is client ACME, campaign Holiday 2026.
  await run('dim_project', 'deleted', `DELETE FROM warehouse.dim_project d WHERE NOT EXISTS (SELECT 1 FROM core.projects p WHERE p.id = d.project_id)`);
  await run('dim_project', 'rows',
    `INSERT INTO warehouse.dim_project (project_id, connection_id, source_vendor, name, client, campaign, url, archived, created_at, deleted_at)
     SELECT p.id, p.connection_id, c.vendor, p.name,
            CASE WHEN strpos(p.name, ' — ') > 0 THEN nullif(btrim(left(p.name, strpos(p.name, ' — ') - 1)), '') END,
            CASE WHEN strpos(p.name, ' — ') > 0 THEN coalesce(nullif(btrim(substr(p.name, strpos(p.name, ' — ') + 3)), ''), p.name) ELSE p.name END,
            p.url, p.archived, coalesce(p.remote_created_at, p.created_at), p.deleted_at
       FROM core.projects p JOIN ops.connections c ON c.id = p.connection_id
     ON CONFLICT (project_id) DO UPDATE SET connection_id = EXCLUDED.connection_id, source_vendor = EXCLUDED.source_vendor, name = EXCLUDED.name,
       client = EXCLUDED.client, campaign = EXCLUDED.campaign, url = EXCLUDED.url, archived = EXCLUDED.archived,
       created_at = EXCLUDED.created_at, deleted_at = EXCLUDED.deleted_at
     WHERE ROW(warehouse.dim_project.*) IS DISTINCT FROM ROW(EXCLUDED.*)`);

  // ------------------------------------------------------------------ the assets to recompute
  await client.query(`CREATE TEMP TABLE wh_scope (asset_id uuid PRIMARY KEY) ON COMMIT DROP`);
  if (full) {
    await client.query(`INSERT INTO wh_scope SELECT id FROM core.assets`);
  } else {
    await client.query(
      `INSERT INTO wh_scope
       SELECT id FROM core.assets WHERE updated_at >= $1
       UNION SELECT asset_id FROM core.versions WHERE updated_at >= $1
       UNION SELECT asset_id FROM core.decisions WHERE updated_at >= $1
       UNION SELECT asset_id FROM core.comments WHERE updated_at >= $1
       UNION SELECT asset_id FROM core.stage_transitions WHERE created_at >= $1
       UNION SELECT asset_id FROM ops.violations WHERE greatest(opened_at, last_seen_at, resolved_at) >= $1::timestamptz - $2::interval
       -- a version or decision that moved to another asset (re-linking): the asset that had it too
       UNION SELECT f.asset_id FROM warehouse.fact_version f JOIN core.versions v ON v.id = f.version_id WHERE v.updated_at >= $1
       UNION SELECT f.asset_id FROM warehouse.fact_decision f JOIN core.decisions d ON d.id = f.decision_id WHERE d.updated_at >= $1
       -- a renamed project, an owner's new name or email: the columns copied into dim_asset
       UNION SELECT a.id FROM core.assets a JOIN core.projects p ON p.id = a.project_id WHERE p.updated_at >= $1
       UNION SELECT a.id FROM core.assets a JOIN core.persons p ON p.id = a.owner_id WHERE p.updated_at >= $1
       -- anything never loaded (a refresh that ran before the warehouse existed, say)
       UNION SELECT a.id FROM core.assets a WHERE NOT EXISTS (SELECT 1 FROM warehouse.dim_asset d WHERE d.asset_id = a.id)`,
      [opts.since, VIOLATION_CLOCK_SLACK],
    );
  }
  await client.query('ANALYZE wh_scope');
  const { rows: scopeCount } = await client.query<{ n: number }>('SELECT count(*)::integer AS n FROM wh_scope');
  const assets = scopeCount[0]?.n ?? 0;

  for (const table of FACTS) {
    await run(table, 'deleted', full ? `DELETE FROM warehouse.${table}` : `DELETE FROM warehouse.${table} WHERE asset_id IN (SELECT asset_id FROM wh_scope)`);
  }

  // ------------------------------------------------------------------ facts of the assets in scope
  // Transitions in order: by time; on a tie the initial stage first, then by id (stable across runs).
  await run('fact_transition', 'rows',
    `INSERT INTO warehouse.fact_transition (transition_id, asset_id, seq, at, at_on, from_stage, to_stage, from_position, to_position,
                                            source, actor_id, is_revision_round, is_reopen, skipped_stages)
     SELECT t.id, t.asset_id,
            row_number() OVER (PARTITION BY t.asset_id ORDER BY t.at, t.source <> 'initial', t.id),
            t.at, (t.at AT TIME ZONE $1)::date, t.from_stage, t.to_stage, fs.position, ts.position, t.source, t.actor_id,
            coalesce(fs.is_review AND ts.is_rework, false),
            coalesce(fs.is_final AND ts.kind = 'pipeline' AND NOT ts.is_final, false),
            CASE WHEN fs.position IS NOT NULL AND ts.position IS NOT NULL THEN greatest(ts.position - fs.position - 1, 0) END
       FROM core.stage_transitions t
       JOIN wh_scope s ON s.asset_id = t.asset_id
       LEFT JOIN warehouse.dim_stage fs ON fs.stage = t.from_stage
       LEFT JOIN warehouse.dim_stage ts ON ts.stage = t.to_stage`,
    [tz]);

  // A stay starts at each transition into a stage other than the one the asset was in; a transition
  // into the same stage (another status of that stage) continues the stay.
  await run('fact_stage_interval', 'rows',
    `WITH t AS (
       SELECT f.asset_id, f.transition_id, f.seq, f.at, f.to_stage AS stage,
              lag(f.to_stage) OVER (PARTITION BY f.asset_id ORDER BY f.seq) AS prev_stage
         FROM warehouse.fact_transition f JOIN wh_scope s ON s.asset_id = f.asset_id
     ), starts AS (
       SELECT * FROM t WHERE seq = 1 OR stage IS DISTINCT FROM prev_stage
     ), iv AS (
       SELECT asset_id, transition_id, stage, at AS entered_at,
              lead(at) OVER w AS left_at, lead(stage) OVER w AS next_stage, row_number() OVER w AS seq
         FROM starts WINDOW w AS (PARTITION BY asset_id ORDER BY seq)
     )
     INSERT INTO warehouse.fact_stage_interval (asset_id, seq, stage, stage_position, in_pipeline, entry_no, entered_at, left_at,
                                                entered_on, left_on, duration_seconds, next_stage, transition_id)
     SELECT iv.asset_id, iv.seq, iv.stage, ds.position, coalesce(ds.kind = 'pipeline', false),
            row_number() OVER (PARTITION BY iv.asset_id, iv.stage ORDER BY iv.seq),
            iv.entered_at, iv.left_at, (iv.entered_at AT TIME ZONE $1)::date, (iv.left_at AT TIME ZONE $1)::date,
            extract(epoch FROM iv.left_at) - extract(epoch FROM iv.entered_at), iv.next_stage, iv.transition_id
       FROM iv LEFT JOIN warehouse.dim_stage ds ON ds.stage = iv.stage`,
    [tz]);

  await run('fact_version', 'rows',
    `INSERT INTO warehouse.fact_version (version_id, asset_id, number, name, source, created_at, created_on, created_by, is_latest)
     SELECT v.id, v.asset_id, v.number, v.name, v.source, v.remote_created_at, (v.remote_created_at AT TIME ZONE $1)::date, v.created_by,
            row_number() OVER (PARTITION BY v.asset_id ORDER BY v.remote_created_at DESC, v.number DESC, v.id DESC) = 1
       FROM core.versions v JOIN wh_scope s ON s.asset_id = v.asset_id
      WHERE v.deleted_at IS NULL`,
    [tz]);

  await run('fact_decision', 'rows',
    `INSERT INTO warehouse.fact_decision (decision_id, asset_id, version_id, version_number, decision, is_approval, reviewer_id, role,
                                          decided_at, decided_on, on_latest_version, seq_on_asset, seq_on_version,
                                          review_entered_at, review_stage, review_started_at)
     SELECT d.id, d.asset_id, d.version_id, v.number, d.decision, d.decision IN ('approved', 'approved_with_changes'), d.reviewer_id, d.role,
            d.decided_at, (d.decided_at AT TIME ZONE $1)::date,
            CASE WHEN d.version_id IS NOT NULL THEN (d.version_id = cur.version_id) IS TRUE END,
            row_number() OVER (PARTITION BY d.asset_id ORDER BY d.decided_at, d.id),
            row_number() OVER (PARTITION BY d.asset_id, d.version_id ORDER BY d.decided_at, d.id),
            rv.entered_at, rv.stage,
            CASE WHEN rv.entered_at IS NOT NULL THEN greatest(rv.entered_at, v.remote_created_at) END
       FROM core.decisions d
       JOIN wh_scope s ON s.asset_id = d.asset_id
       LEFT JOIN core.versions v ON v.id = d.version_id
       -- the version current when the decision was made: newest live one created at or before it
       LEFT JOIN LATERAL (
         SELECT fv.version_id FROM warehouse.fact_version fv
          WHERE fv.asset_id = d.asset_id AND fv.created_at <= d.decided_at
          ORDER BY fv.created_at DESC, fv.number DESC, fv.version_id DESC LIMIT 1
       ) cur ON true
       -- the latest entry into a review stage at or before the decision
       LEFT JOIN LATERAL (
         SELECT i.entered_at, i.stage FROM warehouse.fact_stage_interval i
           JOIN warehouse.dim_stage ds ON ds.stage = i.stage AND ds.is_review
          WHERE i.asset_id = d.asset_id AND i.entered_at <= d.decided_at
          ORDER BY i.entered_at DESC, i.seq DESC LIMIT 1
       ) rv ON true
      WHERE d.deleted_at IS NULL`,
    [tz]);

  // ops.violations keeps a violation's latest open period only (a reopen resets opened_at).
  await run('fact_violation', 'rows',
    `INSERT INTO warehouse.fact_violation (violation_id, asset_id, rule_id, kind, subject, mode, state, opened_at, opened_on, last_seen_at,
                                           resolved_at, resolved_on, times_opened)
     SELECT x.id, x.asset_id, x.rule_id, x.kind, x.subject, x.mode, x.state, x.opened_at, (x.opened_at AT TIME ZONE $1)::date, x.last_seen_at,
            r.resolved_at, (r.resolved_at AT TIME ZONE $1)::date, x.times_opened
       FROM ops.violations x
       JOIN wh_scope s ON s.asset_id = x.asset_id
       CROSS JOIN LATERAL (SELECT CASE WHEN x.state = 'resolved' THEN greatest(coalesce(x.resolved_at, x.last_seen_at), x.opened_at) END AS resolved_at) r`,
    [tz]);

  // ------------------------------------------------------------------ dim_asset of the assets in scope
  if (full) await run('dim_asset', 'deleted', `DELETE FROM warehouse.dim_asset d WHERE NOT EXISTS (SELECT 1 FROM core.assets a WHERE a.id = d.asset_id)`);
  await run('dim_asset', 'rows',
    `INSERT INTO warehouse.dim_asset (asset_id, connection_id, source_vendor, external_id, name, asset_type, project_id, project_name, client, campaign,
                                      owner_id, owner_email, owner_name, current_stage, source_status, stage_entered_at, due_on, due_at,
                                      created_at, created_on, deleted_at, deleted_on, completed_at, url,
                                      pipeline_entered_at, first_pipeline_stage, first_delivered_at, first_delivered_on, last_delivered_at, deliveries, reopened,
                                      revision_rounds, rounds_before_first_delivery,
                                      first_decision_at, first_decision_on, first_decision, first_reviewed_version, first_pass,
                                      version_count, open_violations)
     SELECT a.id, a.connection_id, c.vendor, a.external_id, a.name, a.asset_type, a.project_id, p.name, p.client, p.campaign,
            a.owner_id, pe.email, pe.name, a.stage, a.source_status, m.stage_entered_at,
            coalesce(a.due_on, (a.due_at AT TIME ZONE $1)::date), a.due_at,
            cr.created_at, (cr.created_at AT TIME ZONE $1)::date, a.deleted_at, (a.deleted_at AT TIME ZONE $1)::date, a.completed_at, a.url,
            m.pipeline_entered_at, fp.stage, m.first_delivered_at, (m.first_delivered_at AT TIME ZONE $1)::date, m.last_delivered_at,
            m.deliveries, coalesce(ro.reopened, false),
            rr.rounds, rr.before_delivery,
            fd.decided_at, fd.decided_on, fd.decision, fd.version_number, fd.is_approval,
            vc.n, vo.n
       FROM core.assets a
       JOIN wh_scope s ON s.asset_id = a.id
       JOIN ops.connections c ON c.id = a.connection_id
       JOIN warehouse.dim_project p ON p.project_id = a.project_id
       LEFT JOIN core.persons pe ON pe.id = a.owner_id
       CROSS JOIN LATERAL (
         SELECT coalesce(a.remote_created_at, (SELECT min(t.at) FROM warehouse.fact_transition t WHERE t.asset_id = a.id), a.created_at) AS created_at
       ) cr
       CROSS JOIN LATERAL (
         SELECT min(i.entered_at) FILTER (WHERE i.in_pipeline) AS pipeline_entered_at,
                min(i.entered_at) FILTER (WHERE ds.is_final) AS first_delivered_at,
                max(i.entered_at) FILTER (WHERE ds.is_final) AS last_delivered_at,
                count(*) FILTER (WHERE ds.is_final)::integer AS deliveries,
                max(i.entered_at) FILTER (WHERE i.left_at IS NULL) AS stage_entered_at
           FROM warehouse.fact_stage_interval i LEFT JOIN warehouse.dim_stage ds ON ds.stage = i.stage
          WHERE i.asset_id = a.id
       ) m
       LEFT JOIN LATERAL (
         SELECT i.stage FROM warehouse.fact_stage_interval i WHERE i.asset_id = a.id AND i.in_pipeline ORDER BY i.seq LIMIT 1
       ) fp ON true
       LEFT JOIN LATERAL (
         SELECT true AS reopened FROM warehouse.fact_stage_interval i JOIN warehouse.dim_stage ds ON ds.stage = i.stage
          WHERE i.asset_id = a.id AND m.first_delivered_at IS NOT NULL AND i.entered_at > m.first_delivered_at
            AND ds.kind = 'pipeline' AND NOT ds.is_final
          LIMIT 1
       ) ro ON true
       CROSS JOIN LATERAL (
         SELECT count(*) FILTER (WHERE t.is_revision_round)::integer AS rounds,
                count(*) FILTER (WHERE t.is_revision_round AND (m.first_delivered_at IS NULL OR t.at < m.first_delivered_at))::integer AS before_delivery
           FROM warehouse.fact_transition t WHERE t.asset_id = a.id
       ) rr
       LEFT JOIN LATERAL (
         SELECT f.decided_at, f.decided_on, f.decision, f.version_number, f.is_approval
           FROM warehouse.fact_decision f WHERE f.asset_id = a.id AND f.seq_on_asset = 1
       ) fd ON true
       CROSS JOIN LATERAL (SELECT count(*)::integer AS n FROM warehouse.fact_version v WHERE v.asset_id = a.id) vc
       CROSS JOIN LATERAL (SELECT count(*)::integer AS n FROM warehouse.fact_violation v WHERE v.asset_id = a.id AND v.state = 'open') vo
     ON CONFLICT (asset_id) DO UPDATE SET
       connection_id = EXCLUDED.connection_id, source_vendor = EXCLUDED.source_vendor, external_id = EXCLUDED.external_id, name = EXCLUDED.name,
       asset_type = EXCLUDED.asset_type, project_id = EXCLUDED.project_id, project_name = EXCLUDED.project_name, client = EXCLUDED.client,
       campaign = EXCLUDED.campaign, owner_id = EXCLUDED.owner_id, owner_email = EXCLUDED.owner_email, owner_name = EXCLUDED.owner_name,
       current_stage = EXCLUDED.current_stage, source_status = EXCLUDED.source_status, stage_entered_at = EXCLUDED.stage_entered_at,
       due_on = EXCLUDED.due_on, due_at = EXCLUDED.due_at, created_at = EXCLUDED.created_at, created_on = EXCLUDED.created_on,
       deleted_at = EXCLUDED.deleted_at, deleted_on = EXCLUDED.deleted_on, completed_at = EXCLUDED.completed_at, url = EXCLUDED.url,
       pipeline_entered_at = EXCLUDED.pipeline_entered_at, first_pipeline_stage = EXCLUDED.first_pipeline_stage,
       first_delivered_at = EXCLUDED.first_delivered_at, first_delivered_on = EXCLUDED.first_delivered_on,
       last_delivered_at = EXCLUDED.last_delivered_at, deliveries = EXCLUDED.deliveries, reopened = EXCLUDED.reopened,
       revision_rounds = EXCLUDED.revision_rounds, rounds_before_first_delivery = EXCLUDED.rounds_before_first_delivery,
       first_decision_at = EXCLUDED.first_decision_at, first_decision_on = EXCLUDED.first_decision_on, first_decision = EXCLUDED.first_decision,
       first_reviewed_version = EXCLUDED.first_reviewed_version, first_pass = EXCLUDED.first_pass,
       version_count = EXCLUDED.version_count, open_violations = EXCLUDED.open_violations
     WHERE ROW(warehouse.dim_asset.*) IS DISTINCT FROM ROW(EXCLUDED.*)`,
    [tz]);

  // ------------------------------------------------------------------ the date spine
  // 1 January of the earliest asset's year to 31 December of the year after now: it depends only on
  // those two years, so it rarely changes and an incremental refresh and a rebuild agree on it.
  const { rows: span } = await client.query<{ lo: string; hi: string }>(
    `SELECT to_char(make_date(extract(year FROM least(min(created_on), $1::date))::integer, 1, 1), 'YYYY-MM-DD') AS lo,
            to_char(make_date(extract(year FROM $1::date)::integer + 1, 12, 31), 'YYYY-MM-DD') AS hi
       FROM warehouse.dim_asset`,
    [nowOn]);
  const { lo, hi } = span[0]!;
  await run('dim_date', 'deleted', `DELETE FROM warehouse.dim_date WHERE day < $1::date OR day > $2::date`, [lo, hi]);
  await run('dim_date', 'rows',
    `INSERT INTO warehouse.dim_date (day, week_start, iso_year, iso_week, year, quarter, month, month_start, day_of_month, day_of_week, day_name, is_weekend)
     SELECT d, date_trunc('week', d)::date, extract(isoyear FROM d)::integer, extract(week FROM d)::integer, extract(year FROM d)::integer,
            extract(quarter FROM d)::integer, extract(month FROM d)::integer, date_trunc('month', d)::date, extract(day FROM d)::integer,
            extract(isodow FROM d)::integer, trim(to_char(d, 'Day')), extract(isodow FROM d) >= 6
       FROM (SELECT g::date AS d FROM generate_series($1::date::timestamp, $2::date::timestamp, interval '1 day') AS g) days
     ON CONFLICT (day) DO NOTHING`,
    [lo, hi]);

  // ------------------------------------------------------------------ daily snapshots
  // The days to (re)write: every day of an asset in scope, and for the others only the days after the
  // last refresh's local day (their earlier days cannot have changed: none of their rows did).
  await client.query(
    `CREATE TEMP TABLE wh_days ON COMMIT DROP AS
     SELECT a.asset_id, g::date AS day
       FROM warehouse.dim_asset a
       LEFT JOIN wh_scope s ON s.asset_id = a.asset_id
       CROSS JOIN LATERAL generate_series(
         (CASE WHEN $1::boolean OR s.asset_id IS NOT NULL THEN a.created_on ELSE greatest(a.created_on, $3::date + 1) END)::timestamp,
         least($2::date, coalesce(a.deleted_on, $2::date))::timestamp,
         interval '1 day') AS g
      WHERE $1::boolean OR s.asset_id IS NOT NULL OR $3::date < $2::date`,
    [full, nowOn, prev?.as_of_on ?? nowOn]);
  await client.query('ANALYZE wh_days');
  // Stage at the end of day d: the stay that started by then (entered_on <= d) and had not ended by
  // then (left_on > d). Counts at the end of d: a running sum of per-day changes; a change before the
  // first day written is folded into that first day.
  await run('fact_asset_day', 'rows',
    `WITH b AS (
       SELECT asset_id, min(day) AS first_day, max(day) AS last_day FROM wh_days GROUP BY asset_id
     ), ev AS (
       SELECT v.asset_id, greatest(v.created_on, b.first_day) AS day, 1 AS dv, 0 AS dx
         FROM warehouse.fact_version v JOIN b ON b.asset_id = v.asset_id WHERE v.created_on <= b.last_day
       UNION ALL
       SELECT x.asset_id, greatest(x.opened_on, b.first_day), 0, 1
         FROM warehouse.fact_violation x JOIN b ON b.asset_id = x.asset_id WHERE x.opened_on <= b.last_day
       UNION ALL
       SELECT x.asset_id, greatest(x.resolved_on, b.first_day), 0, -1
         FROM warehouse.fact_violation x JOIN b ON b.asset_id = x.asset_id WHERE x.opened_on <= b.last_day AND x.resolved_on <= b.last_day
     ), daily AS (
       SELECT asset_id, day, sum(dv) AS dv, sum(dx) AS dx FROM ev GROUP BY asset_id, day
     )
     INSERT INTO warehouse.fact_asset_day (asset_id, day, stage, stage_position, in_pipeline, version_count, open_violations, is_open, is_overdue, is_delivered)
     SELECT d.asset_id, d.day, i.stage, i.stage_position, coalesce(i.in_pipeline, false),
            sum(coalesce(e.dv, 0)) OVER w, sum(coalesce(e.dx, 0)) OVER w,
            NOT coalesce(ds.is_closed, false),
            NOT coalesce(ds.is_closed, false) AND a.due_on IS NOT NULL AND d.day > a.due_on,
            coalesce(ds.is_final, false)
       FROM wh_days d
       JOIN warehouse.dim_asset a ON a.asset_id = d.asset_id
       LEFT JOIN daily e ON e.asset_id = d.asset_id AND e.day = d.day
       LEFT JOIN warehouse.fact_stage_interval i ON i.asset_id = d.asset_id AND i.entered_on <= d.day AND (i.left_on IS NULL OR i.left_on > d.day)
       LEFT JOIN warehouse.dim_stage ds ON ds.stage = i.stage
     WINDOW w AS (PARTITION BY d.asset_id ORDER BY d.day)`);

  // ------------------------------------------------------------------ where this refresh leaves things
  const watermark = watermarkAt.toISOString();
  await client.query(
    `INSERT INTO warehouse.refresh_info (singleton, as_of, as_of_on, timezone, pipeline, mode, assets_refreshed, watermark, refreshed_at)
     VALUES (true, $1, $2::date, $3, $4, $5, $6, $7, clock_timestamp())
     ON CONFLICT (singleton) DO UPDATE SET as_of = EXCLUDED.as_of, as_of_on = EXCLUDED.as_of_on, timezone = EXCLUDED.timezone,
       pipeline = EXCLUDED.pipeline, mode = EXCLUDED.mode, assets_refreshed = EXCLUDED.assets_refreshed, watermark = EXCLUDED.watermark,
       refreshed_at = EXCLUDED.refreshed_at`,
    [opts.now, nowOn, tz, pipeline, full ? 'full' : 'incremental', assets, watermark]);
  await client.query(
    `INSERT INTO ops.state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [STATE_KEY, JSON.stringify({ since: watermark, asOf: opts.now, timezone: tz })]);

  return { mode: full ? 'full' : 'incremental', ...(opts.since !== null && reason ? { reason } : {}), assets, rows, deleted, watermark };
}
