// Enforcement planning for Notion pages (pure: planFromFacts): a page of a Notion connection gets what
// an Asana task or a monday item gets — its Ops status, one stamped comment per opened violation, and
// for a gate with action revert the stage set back — as writes on the `notion_page` itself; nothing is
// planned where the page already holds the value, or again once it was planned for the same state.
import { describe, expect, it } from 'vitest';
import { parseConfig, type StagelineConfig } from '../mapping/config';
import type { AssetFacts } from '../mapping/rules';
import { readStamp } from '../connectors/stamp';
import { planFromFacts, violationId, type AssetRow, type PlannedWrite, type StoredViolation } from './enforce';

const NOW = '2026-11-20T12:00:00.000Z';
const NOTION = 'agency-notion';
const DATABASE = '1f2e3d4c5b6a79881f2e3d4c5b6a7988';
const PAGE = '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d';

/** A workspace with a Notion connection, enforced (or previewed). */
function config(mode: 'enforce' | 'preview' = 'enforce'): StagelineConfig {
  return parseConfig(`
version: 1
workspace: { name: Test, timezone: UTC }
connections:
  - { id: ${NOTION}, vendor: notion, token: "\${T}", databases: ["${DATABASE}"], stage: { "*": { property: Stage, map: { Delivered: delivered, Client Review: client_review, Internal Review: internal_review } } } }
people:
  - { email: client@brand.example, roles: [client] }
enforcement: { mode: ${mode}, ops_status_field: Ops status }
rules:
  - id: client-approval-before-delivery
    kind: approval_gate
    before: delivered
    require: { client: [approved, approved_with_changes] }
    action: revert
  - id: brief-fields
    kind: required_fields
    fields: [Asset key]
    before: internal_review
    action: comment
  - id: brief-due
    kind: required_fields
    fields: [Due]
    before: internal_review
    action: comment
`, { T: 't' });
}

function page(o: Partial<AssetFacts> = {}, row: Partial<AssetRow> = {}): { fact: AssetFacts; row: AssetRow } {
  const fact: AssetFacts = {
    assetId: '00000000-0000-4000-8000-000000000001', connectionId: NOTION, project: { id: 'p1', externalId: 'ds-1', name: 'ACME Holiday' },
    name: 'ACME-Holiday', key: 'ACME-0001', assetType: 'banner', stage: 'delivered', ownerId: null, dueOn: null,
    fields: { 'Asset key': 'ACME-0001', Due: '2026-11-30', Stage: 'Delivered' }, versions: [{ number: 1, createdAt: '2026-11-01T10:00:00.000Z' }], decisions: [],
    transitions: [
      { fromStage: null, toStage: 'in_progress', at: '2026-11-01T09:00:00.000Z' },
      { fromStage: 'in_progress', toStage: 'client_review', at: '2026-11-05T09:00:00.000Z' },
      { fromStage: 'client_review', toStage: 'delivered', at: '2026-11-10T09:00:00.000Z' },
    ],
    files: [], ...o,
  };
  const r: AssetRow = {
    id: fact.assetId, connection_id: fact.connectionId, external_id: PAGE, name: fact.name, key: fact.key, asset_type: fact.assetType, stage: fact.stage,
    owner_id: null, due_on: null, fields: fact.fields, project_id: 'p1', project_external_id: 'ds-1', project_name: 'ACME Holiday', hash: 'H1', ...row,
  };
  return { fact, row: r };
}

function plan(pages: { fact: AssetFacts; row: AssetRow }[], o: { cfg?: StagelineConfig; stored?: StoredViolation[] } = {}) {
  return planFromFacts(o.cfg ?? config(), { now: NOW }, { facts: pages.map((i) => i.fact), rows: new Map(pages.map((i) => [i.fact.assetId, i.row])), stored: o.stored ?? [], files: [] });
}
const summary = (w: PlannedWrite) => ({ connectionId: w.connectionId, targetKind: w.targetKind, targetExternalId: w.targetExternalId, op: w.op });

describe('planning writes for Notion pages', () => {
  it('a gate broken on a page: the stage set back, ONE stamped comment, the Ops status, all on the page', () => {
    const p = plan([page()]);
    expect(p.violations.map((v) => [v.ruleId, v.change])).toEqual([['client-approval-before-delivery', 'opened']]);
    expect(p.writes.map(summary)).toEqual([
      { connectionId: NOTION, targetKind: 'notion_page', targetExternalId: PAGE, op: 'set_stage' },
      { connectionId: NOTION, targetKind: 'notion_page', targetExternalId: PAGE, op: 'comment' },
      { connectionId: NOTION, targetKind: 'notion_page', targetExternalId: PAGE, op: 'set_field' },
    ]);
    const [stage, comment, status] = p.writes;
    expect(stage!.payload).toEqual({ stage: 'client_review', from: 'delivered' });
    expect(status!.payload).toEqual({ field: 'Ops status', value: 'Approval missing' });
    // The comment is stamped: the next pull leaves Stageline's own comment out, and a retried send finds it.
    const { text, stamp } = comment!.payload as { text: string; stamp: string };
    expect(readStamp(text)).toBe(stamp);
    expect(text).toMatch(/How to fix:/);
    expect(comment!.violationId).toBe(p.violations[0]!.id);
  });

  it('two broken standards on one page: one comment per violation, each with its own stamp, and one Ops status', () => {
    const p = plan([page({ stage: 'internal_review', key: null, fields: {}, transitions: [{ fromStage: null, toStage: 'internal_review', at: '2026-11-01T09:00:00.000Z' }] }, { stage: 'internal_review', key: null, fields: {} })]);
    expect(p.violations.map((v) => v.ruleId).sort()).toEqual(['brief-due', 'brief-fields']);
    const comments = p.writes.filter((w) => w.op === 'comment');
    expect(comments.map((w) => w.violationId).sort()).toEqual(p.violations.map((v) => v.id).sort());
    expect(new Set(comments.map((w) => (w.payload as { stamp: string }).stamp)).size).toBe(2);
    expect(p.writes.filter((w) => w.op === 'set_field').map((w) => w.payload)).toEqual([{ field: 'Ops status', value: 'Missing fields' }]);
  });

  it('the same facts plan the same writes with the same keys; another observed state of the page is another status write', () => {
    expect(plan([page()]).writes.map((w) => w.key)).toEqual(plan([page()]).writes.map((w) => w.key));
    const other = plan([page({}, { hash: 'H2' })]).writes.find((w) => w.op === 'set_field')!;
    expect(other.key).not.toBe(plan([page()]).writes.find((w) => w.op === 'set_field')!.key);
  });

  it('a violation still open plans no second comment nor revert; the Ops status the page holds is not written again', () => {
    const { fact } = page();
    const id = violationId({ ruleId: 'client-approval-before-delivery', assetId: fact.assetId, subject: 'asset' });
    const stored: StoredViolation[] = [{ id, rule_id: 'client-approval-before-delivery', asset_id: fact.assetId, subject: 'asset', state: 'open', mode: 'enforce', times_opened: 1, sla: null }];
    const holding = { 'Asset key': 'ACME-0001', Due: '2026-11-30', 'Ops status': 'Approval missing' };
    const p = plan([page({ fields: holding }, { fields: holding })], { stored });
    expect(p.violations.map((v) => v.change)).toEqual(['open']);
    expect(p.writes).toEqual([]);
  });

  it('a compliant page gets "Compliant" once, nothing when it holds it; in preview nothing is planned', () => {
    const ok = { decisions: [{ decision: 'approved' as const, role: 'client', reviewerId: 'u1', reviewerName: 'Client', versionNumber: 1, decidedAt: '2026-11-09T09:00:00.000Z' }] };
    expect(plan([page(ok)]).writes.map((w) => [w.targetKind, w.op, w.payload])).toEqual([['notion_page', 'set_field', { field: 'Ops status', value: 'Compliant' }]]);
    const holding = { 'Asset key': 'ACME-0001', Due: '2026-11-30', 'Ops status': 'Compliant' };
    expect(plan([page({ ...ok, fields: holding }, { fields: holding })]).writes).toEqual([]);
    const preview = plan([page()], { cfg: config('preview') });
    expect(preview.violations.map((v) => v.mode)).toEqual(['preview']);
    expect(preview.writes).toEqual([]);
  });
});
