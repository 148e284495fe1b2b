// Standards enforcement over the normalized model (issue "Standards enforced across tools"): load the
// facts of the assets to check, evaluate the rules (pure, mapping/rules.ts), keep each violation's
// lifecycle (opened, still open, resolved) with its evidence, and plan the writes back into the tools
// as outbox rows, each with an idempotency key. The same plan is what `stageline rules preview` prints
// and what enforcement then writes: one function decides both.
//
// What is written, per asset (its own record: an Asana task, a monday item or a Notion page):
//  - its "Ops status": "Compliant", or the label of the most serious open violation (an Asana enum
//    field; on monday, a status column of that title on the item's board; on Notion, the page's
//    property of that name: status or select by option name, or rich text);
//  - one comment per opened violation (action comment or revert), saying what is wrong and how to fix
//    it (a story; on monday, one update on the item; on Notion, one comment on the page); a review
//    deadline gets a reminder, then an escalation;
//  - for an approval gate with action revert: the record moved back to the stage before the gate (a
//    section or a field option; on monday, the stage column's label or the stage's group; on Notion,
//    the stage property's option by name);
//  - on each linked Drive file: appProperties with the canonical stage, the ops status and the asset key;
//    a misnamed file gets its comment on the file, with the corrected name.
// A write whose target already holds the value is not planned at all (the stored vendor state says so).
import type { PoolClient } from 'pg';
import { contentHash, stableId } from '../mapping/ids';
import type { StagelineConfig } from '../mapping/config';
import { compileRules, evaluateAsset, modeFor, slaSchedule, type AssetFacts, type CompiledRule, type SlaSchedule, type Violation } from '../mapping/rules';
import { stampText } from '../connectors/stamp';
import type { Db } from './db/store';

/** Ops status labels, most serious first: the status shows the first that has an open violation. */
export const OPS_STATUS = {
  approval_gate: 'Approval missing',
  review_sla: 'Review overdue',
  required_fields: 'Missing fields',
  naming: 'Misnamed file',
  revision_cap: 'Scope creep',
} as const;
export const COMPLIANT = 'Compliant';
export const OPS_STATUS_OPTIONS = [COMPLIANT, ...Object.values(OPS_STATUS)];
const SEVERITY = Object.keys(OPS_STATUS) as (keyof typeof OPS_STATUS)[];

export type WriteOp = 'set_field' | 'set_stage' | 'comment' | 'set_app_properties';

export interface PlannedWrite {
  connectionId: string;
  targetKind: 'asana_task' | 'drive_file' | 'monday_item' | 'notion_page';
  targetExternalId: string;
  op: WriteOp;
  payload: Record<string, unknown>;
  assetId: string;
  violationId: string | null;
  /** (connection, target, operation, content): the same intended write is planned once, ever. */
  key: string;
  /** Why, for the preview table. */
  reason: string;
}

export interface PlannedViolation extends Violation {
  id: string;
  connectionId: string;
  mode: 'preview' | 'enforce';
  /** opened: new (or reopened); open: still open; resolved: open before, gone now. */
  change: 'opened' | 'open' | 'resolved';
  assetName: string;
}

export interface EnforcementPlan {
  evaluated: number;
  /** Enforced review deadlines of the evaluated assets that are in their stage now. */
  slas: (SlaSchedule & { assetId: string; ruleId: string })[];
  violations: PlannedViolation[];
  writes: PlannedWrite[];
  /** Rules that were evaluated (mode not off), by id. */
  rules: string[];
}

export interface PlanOptions {
  now: string;
  /** Assets to evaluate; default every live asset. */
  assetIds?: string[];
  /** Preview: every rule as if it were enforced (what enforcement would do), nothing stored. */
  assumeEnforce?: boolean;
  onlyRule?: string;
  onlyConnection?: string;
}

export interface AssetRow {
  id: string;
  connection_id: string;
  external_id: string;
  name: string;
  key: string | null;
  asset_type: string | null;
  stage: string | null;
  owner_id: string | null;
  due_on: string | null;
  fields: Record<string, string | number | boolean | null | string[]>;
  project_id: string | null;
  project_external_id: string | null;
  project_name: string | null;
  /** The content hash of the task as last pulled: field writes are keyed on it (see planEnforcement). */
  hash: string;
}

/** The facts of the assets, in a handful of set queries (not one per asset). */
export async function loadFacts(db: Db | PoolClient, cfg: StagelineConfig, assetIds?: string[]): Promise<{ facts: AssetFacts[]; rows: Map<string, AssetRow> }> {
  const keyField = cfg.workspace.linking?.key_field ?? 'Asset key';
  const filter = assetIds ? 'AND a.id = ANY($2::uuid[])' : '';
  const params: unknown[] = assetIds ? [keyField, assetIds] : [keyField];
  const { rows } = await db.query<AssetRow>(
    `SELECT a.id, a.connection_id, a.external_id, a.name, a.fields ->> $1 AS key, a.asset_type, a.stage, a.owner_id, a.due_on::text AS due_on, a.fields,
            p.id AS project_id, p.external_id AS project_external_id, p.name AS project_name, a.hash
       FROM core.assets a LEFT JOIN core.projects p ON p.id = a.project_id
      WHERE a.deleted_at IS NULL ${filter} ORDER BY a.id`,
    params,
  );
  const ids = rows.map((r) => r.id);
  const by = <T extends { asset_id: string }>(list: T[]) => {
    const m = new Map<string, T[]>();
    for (const x of list) {
      const l = m.get(x.asset_id);
      if (l) l.push(x);
      else m.set(x.asset_id, [x]);
    }
    return m;
  };
  // One after another: `db` may be a single transaction's client, which runs one query at a time.
  const versions = await db.query<{ asset_id: string; number: number; created_at: Date }>(
    `SELECT asset_id, number, remote_created_at AS created_at FROM core.versions WHERE asset_id = ANY($1::uuid[]) AND deleted_at IS NULL`, [ids]);
  const decisions = await db.query<{ asset_id: string; decision: AssetFacts['decisions'][number]['decision']; role: string | null; reviewer_id: string | null; reviewer_name: string | null; version_number: number | null; decided_at: Date }>(
    `SELECT d.asset_id, d.decision, d.role, d.reviewer_id, p.name AS reviewer_name, v.number AS version_number, d.decided_at
       FROM core.decisions d LEFT JOIN core.versions v ON v.id = d.version_id LEFT JOIN core.persons p ON p.id = d.reviewer_id
      WHERE d.asset_id = ANY($1::uuid[]) AND d.deleted_at IS NULL`, [ids]);
  const transitions = await db.query<{ asset_id: string; from_stage: string | null; to_stage: string | null; at: Date }>(
    `SELECT asset_id, from_stage, to_stage, at FROM core.stage_transitions WHERE asset_id = ANY($1::uuid[])`, [ids]);
  const files = await db.query<{ asset_id: string; connection_id: string; external_id: string; name: string; state: AssetFacts['files'][number]['linkState']; suggestion: string | null; reason: string | null }>(
    `SELECT l.asset_id, l.connection_id, l.external_id, l.name, l.state, l.suggestion, l.reason FROM ops.file_links l WHERE l.asset_id = ANY($1::uuid[])`, [ids]);
  const v = by(versions.rows);
  const d = by(decisions.rows);
  const t = by(transitions.rows);
  const f = by(files.rows);
  const iso = (x: Date | string) => new Date(x).toISOString();
  const facts = rows.map((r): AssetFacts => ({
    assetId: r.id,
    connectionId: r.connection_id,
    project: r.project_id ? { id: r.project_id, externalId: r.project_external_id!, name: r.project_name! } : null,
    name: r.name,
    key: r.key,
    assetType: r.asset_type,
    stage: r.stage,
    ownerId: r.owner_id,
    dueOn: r.due_on,
    fields: r.fields,
    versions: (v.get(r.id) ?? []).map((x) => ({ number: x.number, createdAt: iso(x.created_at) })),
    decisions: (d.get(r.id) ?? []).map((x) => ({ decision: x.decision, role: x.role, reviewerId: x.reviewer_id, reviewerName: x.reviewer_name, versionNumber: x.version_number, decidedAt: iso(x.decided_at) })),
    transitions: (t.get(r.id) ?? []).map((x) => ({ fromStage: x.from_stage, toStage: x.to_stage, at: iso(x.at) })),
    files: (f.get(r.id) ?? []).map((x) => ({ connectionId: x.connection_id, fileId: x.external_id, name: x.name, linkState: x.state, suggestion: x.suggestion, reason: x.reason })),
  }));
  return { facts, rows: new Map(rows.map((r) => [r.id, r])) };
}

export function violationId(v: Pick<Violation, 'ruleId' | 'assetId' | 'subject'>): string {
  return stableId('violation', v.ruleId, `${v.assetId}/${v.subject}`);
}

/**
 * Evaluates the rules over the assets and plans what enforcement does: violations opened, still open
 * and resolved, and the writes (already minus those whose target holds the value).
 *
 * Idempotency keys: a comment is keyed on (violation, opening, reminder or escalation), so it is
 * planned once per opened violation however often the asset is evaluated, across syncs and restarts;
 * a field, stage or appProperties write is keyed on its content and the target's content hash as last
 * pulled, so the same write against the same observed state is planned once, and a value that comes
 * back later (Compliant → Approval missing → Compliant) is a new write.
 */
export async function planEnforcement(db: Db | PoolClient, cfg: StagelineConfig, opts: PlanOptions): Promise<EnforcementPlan> {
  const { facts, rows } = await loadFacts(db, cfg, opts.assetIds);
  // What is stored: the open violations of these assets, and the linked files' appProperties.
  const assetIds = facts.map((f) => f.assetId);
  const { rows: stored } = await db.query<StoredViolation>(
    `SELECT id, rule_id, asset_id, subject, state, mode, times_opened, sla FROM ops.violations WHERE asset_id = ANY($1::uuid[])`,
    [assetIds],
  );
  const { rows: files } = await db.query<LinkedFileRow>(
    `SELECT l.asset_id, l.connection_id, l.external_id, f.app_properties, f.hash FROM core.asset_links l JOIN core.files f ON f.connection_id = l.connection_id AND f.external_id = l.external_id
      WHERE l.kind = 'drive_file' AND l.deleted_at IS NULL AND f.deleted_at IS NULL AND l.asset_id = ANY($1::uuid[])`,
    [assetIds],
  );
  return planFromFacts(cfg, opts, { facts, rows, stored, files });
}

/** A violation as stored (ops.violations). */
export interface StoredViolation {
  id: string;
  rule_id: string;
  asset_id: string;
  subject: string;
  state: string;
  mode: string;
  times_opened: number;
  sla: { state?: string } | null;
}

/** A Drive file linked to an asset, with its appProperties and content hash as last pulled. */
export interface LinkedFileRow {
  asset_id: string;
  connection_id: string;
  external_id: string;
  app_properties: Record<string, string>;
  hash: string;
}

/**
 * The plan for loaded facts (pure: the same facts, stored violations and files give the same plan,
 * writes and keys); planEnforcement loads them and calls this.
 */
export function planFromFacts(
  cfg: StagelineConfig,
  opts: Omit<PlanOptions, 'assetIds'>,
  input: { facts: AssetFacts[]; rows: Map<string, AssetRow>; stored: StoredViolation[]; files: LinkedFileRow[] },
): EnforcementPlan {
  const compiled = compileRules(cfg).filter((r) => !opts.onlyRule || r.id === opts.onlyRule);
  const { facts, rows, stored, files: fileRows } = input;
  const ctx = { now: opts.now, timezone: cfg.workspace.timezone, calendar: cfg.workspace.calendar, pipeline: cfg.workspace.pipeline };
  const opsField = cfg.enforcement.ops_status_field;
  const modeOf = (rule: CompiledRule, connectionId: string) => (opts.assumeEnforce ? (modeFor(rule, connectionId) === 'off' ? 'off' : 'enforce') : modeFor(rule, connectionId));

  const storedById = new Map(stored.map((s) => [s.id, s]));
  const filesOf = new Map<string, LinkedFileRow[]>();
  for (const f of fileRows) filesOf.set(f.asset_id, [...(filesOf.get(f.asset_id) ?? []), f]);

  const plan: EnforcementPlan = { evaluated: facts.length, slas: [], violations: [], writes: [], rules: compiled.map((r) => r.id) };
  const seen = new Set<string>();
  for (const fact of facts) {
    if (opts.onlyConnection && fact.connectionId !== opts.onlyConnection && !fact.files.some((f) => f.connectionId === opts.onlyConnection)) continue;
    const row = rows.get(fact.assetId)!;
    const active = compiled.filter((r) => modeOf(r, fact.connectionId) !== 'off');
    for (const r of active) {
      if (r.kind !== 'review_sla' || modeOf(r, fact.connectionId) !== 'enforce') continue;
      const sla = slaSchedule(fact, r, ctx);
      if (sla) plan.slas.push({ ...sla, assetId: fact.assetId, ruleId: r.id });
    }
    const found = evaluateAsset(fact, active, ctx);
    const open: PlannedViolation[] = [];
    for (const v of found) {
      const id = violationId(v);
      seen.add(id);
      const before = storedById.get(id);
      const rule = active.find((r) => r.id === v.ruleId)!;
      const pv: PlannedViolation = { ...v, id, connectionId: fact.connectionId, mode: modeOf(rule, fact.connectionId) as 'preview' | 'enforce', change: before?.state === 'open' ? 'open' : 'opened', assetName: fact.name };
      plan.violations.push(pv);
      open.push(pv);
      if (pv.mode !== 'enforce') continue;
      planViolationWrites(plan, pv, rule, fact, row, before, cfg);
    }
    for (const s of stored) {
      if (s.asset_id !== fact.assetId || s.state !== 'open' || seen.has(s.id)) continue;
      if (opts.onlyRule && s.rule_id !== opts.onlyRule) continue;
      plan.violations.push({ ruleId: s.rule_id, kind: 'naming', assetId: s.asset_id, subject: s.subject, message: '', fix: null, evidence: {}, id: s.id, connectionId: fact.connectionId, mode: 'enforce', change: 'resolved', assetName: fact.name });
    }

    // The task's Ops status, and the Drive files' appProperties: written only where they differ.
    const enforcedHere = active.some((r) => modeOf(r, fact.connectionId) === 'enforce');
    const label = statusLabel(open.filter((v) => v.mode === 'enforce'));
    const primary = primaryTarget(fact.connectionId, row.external_id, cfg);
    if (enforcedHere && primary && row.fields[opsField] !== label) {
      plan.writes.push(write(primary.connectionId, primary.kind, primary.externalId, 'set_field', { field: opsField, value: label }, fact.assetId, null, `Ops status → ${label}`, row.hash));
    }
    for (const f of filesOf.get(fact.assetId) ?? []) {
      if (!active.some((r) => modeOf(r, f.connection_id) === 'enforce')) continue;
      const target = { stageline_stage: fact.stage ?? '', stageline_status: label, stageline_asset: fact.key ?? '' };
      const changed = Object.fromEntries(Object.entries(target).filter(([k, v]) => f.app_properties[k] !== v));
      if (Object.keys(changed).length) {
        plan.writes.push(write(f.connection_id, 'drive_file', f.external_id, 'set_app_properties', { properties: target, current: f.app_properties }, fact.assetId, null, `appProperties ${Object.keys(changed).join(', ')}`, f.hash));
      }
    }
  }
  return plan;
}

function write(connectionId: string, targetKind: PlannedWrite['targetKind'], targetExternalId: string, op: WriteOp, payload: Record<string, unknown>, assetId: string, violationId: string | null, reason: string, keyExtra: unknown = null): PlannedWrite {
  const content = op === 'set_app_properties' ? (payload as { properties: unknown }).properties : payload;
  return { connectionId, targetKind, targetExternalId, op, payload, assetId, violationId, reason, key: contentHash({ connectionId, targetKind, targetExternalId, op, content, keyExtra }) };
}

function statusLabel(open: Violation[]): string {
  for (const kind of SEVERITY) {
    const v = open.find((x) => x.kind === kind && (kind !== 'review_sla' || x.sla?.state === 'overdue'));
    if (v) return OPS_STATUS[kind];
  }
  return COMPLIANT;
}

/**
 * The record a status, a stage move and a comment are written on: the asset's own record, an Asana
 * task, a monday item or a Notion page (Drive files get appProperties and file comments instead).
 */
function primaryTarget(connectionId: string, externalId: string, cfg: StagelineConfig): { connectionId: string; kind: 'asana_task' | 'monday_item' | 'notion_page'; externalId: string } | null {
  const vendor: string | undefined = cfg.connections.find((x) => x.id === connectionId)?.vendor;
  if (vendor === 'asana') return { connectionId, kind: 'asana_task', externalId };
  if (vendor === 'monday') return { connectionId, kind: 'monday_item', externalId };
  if (vendor === 'notion') return { connectionId, kind: 'notion_page', externalId };
  return null;
}

function planViolationWrites(
  plan: EnforcementPlan, v: PlannedViolation, rule: CompiledRule, fact: AssetFacts, row: AssetRow,
  before: { state: string; mode: string; times_opened: number; sla: { state?: string } | null } | undefined, cfg: StagelineConfig,
): void {
  const action = rule.action;
  if (action === 'flag') return;
  // A violation found while the rule was only previewed has had no comment yet: enforcing it is its opening.
  const opening = v.change === 'opened' || before?.mode === 'preview';
  const times = opening ? (before?.times_opened ?? 0) + 1 : (before?.times_opened ?? 1);
  const slaStep = v.kind === 'review_sla' ? (v.sla?.state === 'overdue' ? 'escalation' : 'reminder') : null;
  const slaAdvanced = slaStep === 'escalation' && before?.sla?.state !== 'overdue';
  if (!opening && !slaAdvanced) return;
  const stamp = contentHash({ id: v.id, times, slaStep }).slice(0, 16);
  const text = stampText(commentText(v, slaStep, cfg), stamp);
  const file = v.subject.startsWith('file:') ? v.subject.slice(5) : null;
  if (action === 'revert' && v.revertTo && opening) {
    const primary = primaryTarget(fact.connectionId, row.external_id, cfg);
    if (primary) plan.writes.push(write(primary.connectionId, primary.kind, primary.externalId, 'set_stage', { stage: v.revertTo, from: fact.stage }, fact.assetId, v.id, `move back to ${v.revertTo}`, [times, row.hash]));
  }
  if (file) {
    const [connectionId, fileId] = [file.slice(0, file.indexOf('/')), file.slice(file.indexOf('/') + 1)];
    plan.writes.push(write(connectionId, 'drive_file', fileId, 'comment', { text, stamp }, fact.assetId, v.id, `comment: ${v.ruleId}`, times));
  } else {
    const primary = primaryTarget(fact.connectionId, row.external_id, cfg);
    if (primary) plan.writes.push(write(primary.connectionId, primary.kind, primary.externalId, 'comment', { text, stamp }, fact.assetId, v.id, `comment: ${v.ruleId}${slaStep ? ` (${slaStep})` : ''}`, times));
  }
}

function commentText(v: Violation, slaStep: 'reminder' | 'escalation' | null, cfg: StagelineConfig): string {
  const lines = [v.message];
  if (v.fix) lines.push(`How to fix: ${v.fix}`);
  if (slaStep === 'escalation' && v.sla?.escalateTo.length) {
    const people = cfg.people.filter((p) => 'email' in p && p.roles.some((r) => v.sla!.escalateTo.includes(r))).map((p) => ('email' in p ? (p.name ?? p.email) : ''));
    lines.push(`Escalated to ${v.sla.escalateTo.join(', ')}${people.length ? ` (${people.join(', ')})` : ''}.`);
  }
  lines.push(`— Stageline standards (${v.ruleId})`);
  return lines.join('\n');
}

/** Stores the plan: violations with their lifecycle, and the writes in the outbox (each key once). */
export async function applyPlan(tx: PoolClient, plan: EnforcementPlan, opts: { now: string; ruleVersion: number | null }): Promise<{ opened: number; resolved: number; queued: number }> {
  let opened = 0;
  let resolved = 0;
  const live = plan.violations.filter((v) => v.change !== 'resolved');
  if (live.length) {
    const r = await tx.query<{ inserted: boolean }>(
      `INSERT INTO ops.violations (id, rule_id, kind, asset_id, connection_id, subject, state, mode, message, fix, evidence, revert_to, sla, opened_at, last_seen_at, rule_version)
       SELECT u.id, u.rule_id, u.kind, u.asset_id, u.connection_id, u.subject, 'open', u.mode, u.message, u.fix, u.evidence, u.revert_to, u.sla, $14, $14, $15
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[], $11::text[], $12::jsonb[], $13::text[])
           AS u(id, rule_id, kind, asset_id, connection_id, subject, mode, message, fix, evidence, revert_to, sla, change)
       ON CONFLICT (id) DO UPDATE SET
         last_seen_at = EXCLUDED.last_seen_at, message = EXCLUDED.message, fix = EXCLUDED.fix, evidence = EXCLUDED.evidence, mode = EXCLUDED.mode,
         revert_to = EXCLUDED.revert_to, sla = EXCLUDED.sla, rule_version = EXCLUDED.rule_version,
         opened_at = CASE WHEN ops.violations.state = 'resolved' THEN EXCLUDED.opened_at ELSE ops.violations.opened_at END,
         times_opened = ops.violations.times_opened + CASE WHEN ops.violations.state = 'resolved' THEN 1 ELSE 0 END,
         state = 'open', resolved_at = NULL, resolution = NULL
       RETURNING (xmax = 0) AS inserted`,
      [
        live.map((v) => v.id), live.map((v) => v.ruleId), live.map((v) => v.kind), live.map((v) => v.assetId), live.map((v) => v.connectionId),
        live.map((v) => v.subject), live.map((v) => v.mode), live.map((v) => v.message), live.map((v) => v.fix), live.map((v) => JSON.stringify(v.evidence)),
        live.map((v) => v.revertTo ?? null), live.map((v) => (v.sla ? JSON.stringify(v.sla) : null)), live.map((v) => v.change), opts.now, opts.ruleVersion,
      ],
    );
    opened = live.filter((v) => v.change === 'opened').length;
    void r;
  }
  const gone = plan.violations.filter((v) => v.change === 'resolved').map((v) => v.id);
  if (gone.length) {
    const r = await tx.query(`UPDATE ops.violations SET state = 'resolved', resolved_at = $2, resolution = 'no longer found' WHERE id = ANY($1::uuid[]) AND state = 'open'`, [gone, opts.now]);
    resolved = r.rowCount ?? 0;
  }
  let queued = 0;
  if (plan.writes.length) {
    const w = plan.writes;
    const r = await tx.query(
      `INSERT INTO ops.outbox (connection_id, idempotency_key, target_kind, target_external_id, op, payload, asset_id, violation_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::uuid[], $8::uuid[])
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [w.map((x) => x.connectionId), w.map((x) => x.key), w.map((x) => x.targetKind), w.map((x) => x.targetExternalId), w.map((x) => x.op), w.map((x) => JSON.stringify(x.payload)), w.map((x) => x.assetId), w.map((x) => x.violationId)],
    );
    queued = r.rowCount ?? 0;
  }
  return { opened, resolved, queued };
}

const STATE_KEY = 'enforcement';
/** Changes committed while a round runs are caught by the next one: its window starts this much earlier. */
const OVERLAP_MS = 60_000;

/** Records the rules configuration if it is new (who changed what, when); returns its version id. */
export async function recordRuleVersion(tx: PoolClient, cfg: StagelineConfig, actor: string): Promise<{ id: number; hash: string; changed: boolean }> {
  // The metrics write-back settings are not standards: changing them is no new rule version (and no
  // re-evaluation of every asset).
  const { metrics: _metrics, ...enforcement } = cfg.enforcement;
  const doc = { rules: cfg.rules, enforcement, calendar: cfg.workspace.calendar, timezone: cfg.workspace.timezone, pipeline: cfg.workspace.pipeline };
  const hash = contentHash(doc);
  const existing = await tx.query<{ id: string }>(`SELECT id FROM ops.rule_versions WHERE config_hash = $1`, [hash]);
  if (existing.rows[0]) return { id: Number(existing.rows[0].id), hash, changed: false };
  const { rows: prev } = await tx.query<{ rules: typeof doc }>(`SELECT rules FROM ops.rule_versions ORDER BY id DESC LIMIT 1`);
  const before = new Map((prev[0]?.rules.rules ?? []).map((r) => [r.id, contentHash(r)]));
  const after = new Map(cfg.rules.map((r) => [r.id, contentHash(r)]));
  const changes = {
    added: [...after.keys()].filter((id) => !before.has(id)),
    removed: [...before.keys()].filter((id) => !after.has(id)),
    changed: [...after.keys()].filter((id) => before.has(id) && before.get(id) !== after.get(id)),
    settings: prev[0] ? contentHash({ ...prev[0].rules, rules: null }) !== contentHash({ ...doc, rules: null }) : false,
  };
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO ops.rule_versions (config_hash, rules, changes, changed_by) VALUES ($1, $2, $3, $4) ON CONFLICT (config_hash) DO UPDATE SET config_hash = EXCLUDED.config_hash RETURNING id`,
    [hash, JSON.stringify(doc), JSON.stringify(changes), actor],
  );
  return { id: Number(rows[0]!.id), hash, changed: true };
}

/**
 * The assets to evaluate in this round: every asset when the rules changed (or on the first round),
 * else those whose record, versions, decisions, comments, stage history or linked files changed since
 * the last round, and those in a stage with a review deadline (time alone can break it).
 */
async function assetsToEvaluate(tx: PoolClient, cfg: StagelineConfig, since: string | null): Promise<string[] | undefined> {
  if (since === null) return undefined;
  const slaStages = cfg.rules.filter((r) => r.kind === 'review_sla').map((r) => (r as { stage: string }).stage);
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM core.assets WHERE updated_at > $1 AND deleted_at IS NULL
     UNION SELECT asset_id FROM core.versions WHERE updated_at > $1
     UNION SELECT asset_id FROM core.decisions WHERE updated_at > $1
     UNION SELECT asset_id FROM core.comments WHERE updated_at > $1
     UNION SELECT asset_id FROM core.stage_transitions WHERE created_at > $1
     UNION SELECT asset_id FROM core.asset_links WHERE updated_at > $1
     UNION SELECT asset_id FROM ops.file_links WHERE updated_at > $1 AND asset_id IS NOT NULL
     UNION SELECT id FROM core.assets WHERE stage = ANY($2::text[]) AND deleted_at IS NULL
     UNION SELECT asset_id FROM ops.violations WHERE state = 'open' AND kind = 'review_sla'`,
    [since, slaStages],
  );
  return rows.map((r) => r.id);
}

export interface EnforcementRound {
  evaluated: number;
  opened: number;
  resolved: number;
  open: number;
  queued: number;
  rulesChanged: boolean;
  /** Connections that now have writes waiting in the outbox. */
  pendingConnections: string[];
  /** Review-deadline workflows to start (an asset entered a stage with a review SLA) and to cancel (it left). */
  timers: { start: ReviewTimer[]; stop: string[] };
}

export interface ReviewTimer {
  workflowId: string;
  assetId: string;
  ruleId: string;
  stage: string;
  enteredAt: string;
}

export function reviewTimerId(t: { assetId: string; ruleId: string; enteredAt: string }): string {
  return `review/${t.assetId}/${t.ruleId}/${Date.parse(t.enteredAt)}`;
}

/**
 * One running timer per (asset, rule, stage entry): new entries are started, timers of evaluated
 * assets that are no longer in their stage (or re-entered it: a new entry) are stopped.
 */
async function reconcileTimers(tx: PoolClient, plan: EnforcementPlan, evaluated: string[] | undefined, now: string): Promise<EnforcementRound['timers']> {
  const wanted = plan.slas.map((s) => ({ workflowId: reviewTimerId(s), assetId: s.assetId, ruleId: s.ruleId, stage: s.stage, enteredAt: s.enteredAt, remindAt: s.remindAt, deadlineAt: s.deadlineAt }));
  const start: ReviewTimer[] = [];
  if (wanted.length) {
    const { rows } = await tx.query<{ workflow_id: string }>(
      `INSERT INTO ops.review_timers (workflow_id, asset_id, rule_id, stage, entered_at, remind_at, deadline_at)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])
       ON CONFLICT (workflow_id) DO NOTHING RETURNING workflow_id`,
      [wanted.map((w) => w.workflowId), wanted.map((w) => w.assetId), wanted.map((w) => w.ruleId), wanted.map((w) => w.stage), wanted.map((w) => w.enteredAt), wanted.map((w) => w.remindAt), wanted.map((w) => w.deadlineAt)],
    );
    const fresh = new Set(rows.map((r) => r.workflow_id));
    for (const w of wanted) if (fresh.has(w.workflowId)) start.push({ workflowId: w.workflowId, assetId: w.assetId, ruleId: w.ruleId, stage: w.stage, enteredAt: w.enteredAt });
  }
  const keep = wanted.map((w) => w.workflowId);
  const { rows: stopped } = await tx.query<{ workflow_id: string }>(
    `UPDATE ops.review_timers SET state = 'closed', closed_at = $3 WHERE state = 'running' AND NOT (workflow_id = ANY($1::text[]))
       AND ($2::uuid[] IS NULL OR asset_id = ANY($2::uuid[])) RETURNING workflow_id`,
    [keep, evaluated ?? null, now],
  );
  return { start, stop: stopped.map((r) => r.workflow_id) };
}

/**
 * A review timer fired: the asset is evaluated now (the reminder or the escalation is queued as it
 * falls due), and the time to the next step is returned; null when there is none (the deadline has
 * passed, or the asset left the stage or entered it again).
 */
export async function reviewTimerStep(db: Db, cfg: StagelineConfig, t: ReviewTimer, now: string): Promise<{ state: 'left' | SlaSchedule['state']; waitMs: number | null; round: EnforcementRound }> {
  const round = await enforceWorkspace(db, cfg, { now, assetIds: [t.assetId] });
  const { facts } = await loadFacts(db, cfg, [t.assetId]);
  const rule = compileRules(cfg).find((r) => r.id === t.ruleId);
  const fact = facts[0];
  const ctx = { now, timezone: cfg.workspace.timezone, calendar: cfg.workspace.calendar, pipeline: cfg.workspace.pipeline };
  const sla = fact && rule?.kind === 'review_sla' ? slaSchedule(fact, rule, ctx) : null;
  if (!sla || sla.enteredAt !== new Date(t.enteredAt).toISOString()) {
    await db.query(`UPDATE ops.review_timers SET state = 'closed', closed_at = $2 WHERE workflow_id = $1 AND state = 'running'`, [t.workflowId, now]);
    return { state: 'left', waitMs: null, round };
  }
  const at = Date.parse(now);
  const next = [sla.remindAt, sla.deadlineAt].map((x) => Date.parse(x)).find((x) => x > at);
  if (next === undefined) await db.query(`UPDATE ops.review_timers SET state = 'closed', closed_at = $2 WHERE workflow_id = $1 AND state = 'running'`, [t.workflowId, now]);
  return { state: sla.state, waitMs: next === undefined ? null : next - at, round };
}

/** One enforcement round: evaluate what changed, store violations, queue the writes. */
export async function enforceWorkspace(db: Db, cfg: StagelineConfig, opts: { now: string; actor?: string; force?: boolean; assetIds?: string[] }): Promise<EnforcementRound> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('stageline:enforcement')), set_config('jit', 'off', true)`);
    const version = await recordRuleVersion(client, cfg, opts.actor ?? process.env.STAGELINE_ACTOR ?? 'stageline');
    const { rows: st } = await client.query<{ value: { since?: string; rulesHash?: string } }>(`SELECT value FROM ops.state WHERE key = $1`, [STATE_KEY]);
    const prev = st[0]?.value;
    const since = opts.force || !prev?.since || prev.rulesHash !== version.hash ? null : prev.since;
    // Given assets (a review timer firing): just those, and the round's window stays where it is.
    const assetIds = opts.assetIds ?? (await assetsToEvaluate(client, cfg, since));
    const plan = await planEnforcement(client, cfg, { now: opts.now, ...(assetIds ? { assetIds } : {}) });
    const applied = await applyPlan(client, plan, { now: opts.now, ruleVersion: version.id });
    const timers = await reconcileTimers(client, plan, assetIds, opts.now);
    if (!opts.assetIds) {
      const nextSince = new Date(Date.parse(opts.now) - OVERLAP_MS).toISOString();
      await client.query(
        `INSERT INTO ops.state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [STATE_KEY, JSON.stringify({ since: nextSince, rulesHash: version.hash })],
      );
    }
    const { rows: open } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ops.violations WHERE state = 'open'`);
    const { rows: pending } = await client.query<{ connection_id: string }>(`SELECT DISTINCT connection_id FROM ops.outbox WHERE state = 'pending' ORDER BY 1`);
    await client.query('COMMIT');
    return {
      evaluated: plan.evaluated, opened: applied.opened, resolved: applied.resolved, open: Number(open[0]?.n ?? 0), queued: applied.queued,
      rulesChanged: version.changed, pendingConnections: pending.map((r) => r.connection_id), timers,
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
