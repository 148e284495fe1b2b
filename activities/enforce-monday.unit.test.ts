// Enforcement planning for monday.com items (pure: planFromFacts): for given facts, an item of a monday
// connection gets what an Asana task gets — its Ops status, one update per opened violation, and for
// a gate with action revert the stage set back — as writes on the `monday_item` itself; nothing is
// planned where the item already holds the value, or again once it was planned for the same state.
import { describe, expect, it } from 'vitest';
import { parseConfig, type StagelineConfig } from '../mapping/config';
import type { AssetFacts } from '../mapping/rules';
import { readStamp } from '../connectors/stamp';
import { planFromFacts, violationId, type AssetRow, type PlannedWrite, type StoredViolation } from './enforce';

const NOW = '2026-11-20T12:00:00.000Z';
const MONDAY = 'agency-monday';
const ASANA = 'agency-asana';

/** A workspace with an Asana and a monday connection, both enforced (or previewed). */
function config(mode: 'enforce' | 'preview' = 'enforce'): StagelineConfig {
  return parseConfig(`
version: 1
workspace: { name: Test, timezone: UTC }
connections:
  - { id: ${ASANA}, vendor: asana, token: "\${T}", workspace: "1", stage: { map: { Delivered: delivered } } }
  - { id: ${MONDAY}, vendor: monday, token: "\${T}", boards: ["9146329000"], stage: { "9146329000": { from: status_column, column: Stage, map: { Delivered: delivered, Client Review: client_review } } } }
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
`, { T: 't' });
}

function item(o: Partial<AssetFacts> = {}, row: Partial<AssetRow> = {}): { fact: AssetFacts; row: AssetRow } {
  const fact: AssetFacts = {
    assetId: '00000000-0000-4000-8000-000000000001', connectionId: MONDAY, project: { id: 'p1', externalId: '9146329000', name: 'ACME Holiday' },
    name: 'Holiday banner 300x250', key: 'ACME-0001', assetType: 'banner', stage: 'delivered', ownerId: null, dueOn: null,
    fields: { 'Asset key': 'ACME-0001', Stage: 'Delivered' }, versions: [{ number: 1, createdAt: '2026-11-01T10:00:00.000Z' }], decisions: [],
    transitions: [
      { fromStage: null, toStage: 'in_progress', at: '2026-11-01T09:00:00.000Z' },
      { fromStage: 'in_progress', toStage: 'client_review', at: '2026-11-05T09:00:00.000Z' },
      { fromStage: 'client_review', toStage: 'delivered', at: '2026-11-10T09:00:00.000Z' },
    ],
    files: [], ...o,
  };
  const r: AssetRow = {
    id: fact.assetId, connection_id: fact.connectionId, external_id: '2763290000', name: fact.name, key: fact.key, asset_type: fact.assetType, stage: fact.stage,
    owner_id: null, due_on: null, fields: fact.fields, project_id: 'p1', project_external_id: '9146329000', project_name: 'ACME Holiday', hash: 'H1', ...row,
  };
  return { fact, row: r };
}

function plan(items: { fact: AssetFacts; row: AssetRow }[], o: { cfg?: StagelineConfig; stored?: StoredViolation[] } = {}) {
  return planFromFacts(o.cfg ?? config(), { now: NOW }, { facts: items.map((i) => i.fact), rows: new Map(items.map((i) => [i.fact.assetId, i.row])), stored: o.stored ?? [], files: [] });
}
const summary = (w: PlannedWrite) => ({ connectionId: w.connectionId, targetKind: w.targetKind, targetExternalId: w.targetExternalId, op: w.op });

describe('planning writes for monday items', () => {
  it('a gate broken on a monday item: the stage set back, ONE update, the Ops status, all on the item', () => {
    const p = plan([item()]);
    expect(p.violations.map((v) => [v.ruleId, v.change])).toEqual([['client-approval-before-delivery', 'opened']]);
    expect(p.writes.map(summary)).toEqual([
      { connectionId: MONDAY, targetKind: 'monday_item', targetExternalId: '2763290000', op: 'set_stage' },
      { connectionId: MONDAY, targetKind: 'monday_item', targetExternalId: '2763290000', op: 'comment' },
      { connectionId: MONDAY, targetKind: 'monday_item', targetExternalId: '2763290000', op: 'set_field' },
    ]);
    const [stage, comment, status] = p.writes;
    expect(stage!.payload).toEqual({ stage: 'client_review', from: 'delivered' });
    expect(status!.payload).toEqual({ field: 'Ops status', value: 'Approval missing' });
    // The update is stamped (the next pull leaves Stageline's own update out of the comments).
    const { text, stamp } = comment!.payload as { text: string; stamp: string };
    expect(readStamp(text)).toBe(stamp);
    expect(text).toMatch(/How to fix:/);
    expect(comment!.violationId).toBe(p.violations[0]!.id);
  });

  it('the same facts plan the same writes with the same keys (the outbox keeps each key once)', () => {
    expect(plan([item()]).writes.map((w) => w.key)).toEqual(plan([item()]).writes.map((w) => w.key));
    // A status write against another observed state of the item is another write.
    const other = plan([item({}, { hash: 'H2' })]).writes.find((w) => w.op === 'set_field')!;
    expect(other.key).not.toBe(plan([item()]).writes.find((w) => w.op === 'set_field')!.key);
  });

  it('a violation still open plans no second update nor revert; the Ops status the item holds is not written again', () => {
    const { fact } = item();
    const id = violationId({ ruleId: 'client-approval-before-delivery', assetId: fact.assetId, subject: 'asset' });
    const stored: StoredViolation[] = [{ id, rule_id: 'client-approval-before-delivery', asset_id: fact.assetId, subject: 'asset', state: 'open', mode: 'enforce', times_opened: 1, sla: null }];
    const held = item({ fields: { 'Asset key': 'ACME-0001', 'Ops status': 'Approval missing' } }, { fields: { 'Asset key': 'ACME-0001', 'Ops status': 'Approval missing' } });
    const p = plan([held], { stored });
    expect(p.violations.map((v) => v.change)).toEqual(['open']);
    expect(p.writes).toEqual([]);
  });

  it('a compliant item gets "Compliant" once, and nothing when it holds it', () => {
    const ok = { decisions: [{ decision: 'approved' as const, role: 'client', reviewerId: 'u1', reviewerName: 'Client', versionNumber: 1, decidedAt: '2026-11-09T09:00:00.000Z' }] };
    expect(plan([item(ok)]).writes.map((w) => [w.targetKind, w.op, w.payload])).toEqual([['monday_item', 'set_field', { field: 'Ops status', value: 'Compliant' }]]);
    const holding = { 'Asset key': 'ACME-0001', 'Ops status': 'Compliant' };
    expect(plan([item({ ...ok, fields: holding }, { fields: holding })]).writes).toEqual([]);
  });

  it('a comment rule on a monday item: one update per opened violation, the most serious label as the status', () => {
    const p = plan([item({ stage: 'internal_review', key: null, fields: {}, transitions: [{ fromStage: null, toStage: 'internal_review', at: '2026-11-01T09:00:00.000Z' }] }, { stage: 'internal_review', key: null, fields: {} })]);
    expect(p.writes.map((w) => [w.targetKind, w.op])).toEqual([['monday_item', 'comment'], ['monday_item', 'set_field']]);
    expect(p.writes[1]!.payload).toEqual({ field: 'Ops status', value: 'Missing fields' });
  });

  it('Asana tasks keep their own target kind; a monday connection in preview plans no write', () => {
    const asana = item({ assetId: '00000000-0000-4000-8000-000000000002', connectionId: ASANA }, { connection_id: ASANA, external_id: '1205001' });
    expect(new Set(plan([asana]).writes.map((w) => w.targetKind))).toEqual(new Set(['asana_task']));
    const preview = plan([item()], { cfg: config('preview') });
    expect(preview.violations.map((v) => v.mode)).toEqual(['preview']);
    expect(preview.writes).toEqual([]);
  });
});
