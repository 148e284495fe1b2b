// monday normalization from fixtures shaped like real answers (fixtures/: every column type the
// connector reads, empty cells, `text` vs the JSON-string `value`, subitems, updates with replies,
// a file column with several assets, activity logs): what lands in the model, and what is reported.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { roleResolver } from '../../mapping/config';
import { personId, stableId } from '../../mapping/ids';
import { Asset, AssetLink, Comment, Decision, Person, Project, StageTransition, Version, type Batch } from '../../mapping/model';
import {
  activityTime, assetIdOf, normalizeBoard, normalizeItem, normalizeItemBundle, resolveStage, toIso, userIdsIn,
  type ItemBundle, type MondayNormalizeContext, type MondayStageConfig, type ResolvedStage,
} from './normalize';
import { MondayBoardRaw, statusLabelsOf, type MondayColumnRaw } from './raw';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const list = (name: string) => fixture(name) as unknown[];
const CONN = 'agency-monday';
const STAGE_MAP = {
  Briefing: 'brief', 'In Production': 'in_progress', 'Internal Review': 'internal_review', 'Client Review': 'client_review',
  Approved: 'approved', Delivered: 'delivered', 'On Hold': 'on_hold', Cancelled: 'cancelled',
};
const STAGES: MondayStageConfig = {
  '9100000001': { from: 'status_column', column: 'Stage', map: STAGE_MAP },
  '*': { from: 'group', map: STAGE_MAP },
};
const users = new Map((list('users') as { id: string; name: string; email: string }[]).map((u) => [u.id, u]));
const rolesOf = roleResolver({ people: [{ email: 'dana.whitfield@lumenlark.example', roles: ['creative_director'] }, { domain: 'acme.example', roles: ['client'] }] });
const emailOf = (email: string, userId: string) => personId(email, CONN, userId);

function resolved(board: unknown, config: MondayStageConfig = STAGES): ResolvedStage {
  const r = resolveStage(board, config, { connectionId: CONN });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

function contextFor(boardName: string, over: Partial<MondayNormalizeContext> = {}): MondayNormalizeContext {
  const board = MondayBoardRaw.parse(fixture(boardName));
  return {
    connectionId: CONN,
    board: { id: board.id, projectId: stableId(CONN, 'monday_board', board.id), columns: board.columns ?? [] },
    subitemColumns: MondayBoardRaw.parse(fixture('subitems-board')).columns ?? [],
    stage: resolved(fixture(boardName)),
    users,
    rolesOf,
    ...over,
  };
}

const full = (over: Partial<ItemBundle> = {}): ItemBundle => ({ item: fixture('item-full'), ...over });
const byName = (b: Batch) => Object.fromEntries(b.versions.map((v) => [v.name, v]));

/** Every record of a batch passes the model's schemas, and nothing was rejected. */
function expectValid(b: Batch): void {
  expect(b.rejected).toEqual([]);
  for (const a of b.assets) Asset.parse(a);
  for (const l of b.links) AssetLink.parse(l);
  for (const v of b.versions) Version.parse(v);
  for (const c of b.comments) Comment.parse(c);
  for (const d of b.decisions) Decision.parse(d);
  for (const t of b.transitions) StageTransition.parse(t);
  for (const p of b.persons) Person.parse(p);
}

describe('boards', () => {
  it('a board is a project; archived and deleted boards are archived projects', () => {
    const p = normalizeBoard(fixture('board-status'), { connectionId: CONN });
    expect(p.ok).toBe(true);
    expect(p.ok && Project.parse(p.value)).toMatchObject({
      id: stableId(CONN, 'monday_board', '9100000001'), externalId: '9100000001', name: 'ACME Holiday 2026', archived: false,
      url: 'https://lumenlark.monday.com/boards/9100000001', remoteCreatedAt: '2026-08-20T08:00:00.000Z', remoteUpdatedAt: '2026-10-16T10:00:00.000Z',
    });
    const g = normalizeBoard(fixture('board-group'), { connectionId: CONN });
    expect(g.ok && g.value.archived).toBe(true);
    const bad = normalizeBoard({ id: 'x', name: 'n', state: 'active' }, { connectionId: CONN });
    expect(bad.ok ? [] : bad.issues.map((i) => i.path.join('.'))).toEqual(['id']);
  });

  it('reads status labels from settings_str (legacy map) and from settings (label list), leaving out deactivated labels', () => {
    const status = MondayBoardRaw.parse(fixture('board-status')).columns!.find((c) => c.id === 'status')!;
    expect(statusLabelsOf(status)?.map((l) => [l.index, l.label, l.isDone])).toEqual([
      [0, 'In Production', false], [1, 'Delivered', true], [2, 'On Hold', false], [3, 'Briefing', false], [4, 'Internal Review', false],
      [6, 'Client Review', false], [7, 'Approved', false], [8, 'Cancelled', false],
    ]);
    const priority = MondayBoardRaw.parse(fixture('board-group')).columns!.find((c) => c.id === 'priority')!;
    expect(statusLabelsOf(priority)?.map((l) => l.label)).toEqual(['Medium', 'Low', 'High']);
    expect(statusLabelsOf({ settings_str: 'not json' } as MondayColumnRaw)).toBeNull();
  });
});

describe('stage configuration against the board (bad input names the connection and the path)', () => {
  const board = fixture('board-status');
  const issues = (config: MondayStageConfig, b: unknown = board) => {
    const r = resolveStage(b, config, { connectionId: CONN });
    return r.ok ? [] : r.issues.map((i) => ({ code: i.code, path: i.path.join('.'), message: i.message }));
  };

  it('a status column by title or id, a group source, and `*` for boards not listed', () => {
    expect(resolved(board)).toMatchObject({ from: 'status_column', columnId: 'status', columnTitle: 'Stage' });
    expect(resolved(board, { '9100000001': { from: 'status_column', column: 'status', map: STAGE_MAP } })).toMatchObject({ columnId: 'status' });
    expect(resolved(fixture('board-group'))).toMatchObject({ from: 'group', groups: ['Briefing', 'In Production', 'Internal Review', 'Delivered', 'Old requests'] });
  });

  it('a status column that does not exist, or is not a status column', () => {
    expect(issues({ '9100000001': { from: 'status_column', column: 'Phase', map: {} } })).toEqual([
      { code: 'unknown_column', path: 'stage.9100000001.column', message: 'connection "agency-monday", board 9100000001 "ACME Holiday 2026": no column "Phase" (status columns: "Stage" (status), "Ops status" (ops_status))' },
    ]);
    expect(issues({ '9100000001': { from: 'status_column', column: 'Due date', map: {} } })[0]).toMatchObject({ code: 'not_a_status_column', path: 'stage.9100000001.column' });
  });

  it('a label or group the board does not have, and a value that is not a stage id', () => {
    expect(issues({ '9100000001': { from: 'status_column', column: 'Stage', map: { ...STAGE_MAP, 'Ready for print': 'approved', Approved: 'Approved!' } } })).toEqual([
      { code: 'invalid_stage', path: 'stage.9100000001.map.Approved', message: 'connection "agency-monday", board 9100000001 "ACME Holiday 2026": "Approved!" is not a stage id (lower_snake_case)' },
      { code: 'unknown_label', path: 'stage.9100000001.map.Ready for print', message: expect.stringMatching(/^connection "agency-monday", board 9100000001 "ACME Holiday 2026": status column "Stage" has no label "Ready for print" \(labels: "In Production", "Delivered"/) },
    ]);
    expect(issues({ '9100000003': { from: 'group', map: { Briefing: 'brief', Approved: 'approved' } } }, fixture('board-group'))).toEqual([
      { code: 'unknown_group', path: 'stage.9100000003.map.Approved', message: expect.stringContaining('no group "Approved"') },
    ]);
  });

  it('a board with no entry and no `*` is refused; `*` maps are not checked label by label (boards differ)', () => {
    expect(issues({ '123': { from: 'group', map: {} } })).toEqual([
      { code: 'unknown_board', path: 'stage.*', message: 'connection "agency-monday", board 9100000001 "ACME Holiday 2026": no stage source for this board (add it under its id, or a "*" entry)' },
    ]);
    expect(issues({ '*': { from: 'status_column', column: 'Stage', map: { 'Not on this board': 'brief' } } })).toEqual([]);
    const r = resolveStage(board, STAGES, { connectionId: CONN, path: ['connections', 2, 'stage', 'boards', '9100000001'] });
    expect(r.ok).toBe(true);
    const bad = resolveStage(board, { '9100000001': { from: 'status_column', column: 'Phase', map: {} } }, { connectionId: CONN, path: ['connections', 2, 'stage', 'boards', '9100000001'] });
    expect(bad.ok ? null : bad.issues[0]!.path).toEqual(['connections', 2, 'stage', 'boards', '9100000001', 'column']);
  });
});

describe('items', () => {
  const ctx = contextFor('board-status');

  it('an item with every column type: stage from the status column, owner, due date, fields by column title, Drive references', () => {
    const { batch: b, report } = normalizeItem(full(), ctx);
    expectValid(b);
    expect(b.assets).toHaveLength(1);
    const a = b.assets[0]!;
    expect(a).toMatchObject({
      id: assetIdOf(CONN, '2300000011'), externalId: '2300000011', projectId: stableId(CONN, 'monday_board', '9100000001'),
      name: 'Holiday banner 300x250', stage: 'client_review', sourceStatus: 'Client Review', assetType: null,
      ownerId: emailOf('maya.okafor@lumenlark.example', '60000003'), dueOn: '2026-10-20', dueAt: null, completedAt: null,
      url: 'https://lumenlark.monday.com/boards/9100000001/pulses/2300000011',
      remoteCreatedAt: '2026-09-01T09:15:00.000Z', remoteUpdatedAt: '2026-10-16T10:00:00.000Z',
    });
    expect(a.fields).toEqual({
      Owner: ['maya.okafor@lumenlark.example'],
      Stage: 'Client Review',
      'Due date': '2026-10-20',
      'Asset key': 'ACME_HOLIDAY_BANNER-300x250',
      Size: '300x250',
      Files: ['ACME_HOLIDAY_BANNER-300x250_v02.png', 'ACME_HOLIDAY_BANNER-300x250_v01.png', 'ACME_HOLIDAY_BANNER-300x250_v03.psd', 'holiday-banner-final-export.png'],
      Budget: 1200,
      'Go-live': '2026-11-28T09:00:00Z',
      'Client reviewer': ['jon.reyes@acme.example', 'team:880001'],
      // Ids, not names: the other item's rename must not rewrite this asset.
      'Go-live milestone': ['2300000001'],
      Brief: 'Banner for the holiday push. Master KV: https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUv/view',
      Rush: true,
      'Ops status': 'Needs attention',
      'Revision round': 2,
    });
    // A Drive URL in the brief, and the Google Drive link in the file column: explicit links (mapping/linking.ts).
    expect(a.fileRefs).toEqual(['1AbCdEfGhIjKlMnOpQrStUv', '1ZyXwVuTsRqPoNmLkJiHgFeDcBa']);
    expect(b.links).toEqual([expect.objectContaining({ kind: 'monday_item', externalId: '2300000011', assetId: a.id, via: 'primary', url: a.url })]);
    expect(report).toEqual({
      itemId: '2300000011', unmappedStatus: null, ignoredSubitems: 1, unknownUsers: [],
      relations: [{ columnId: 'connect_boards', itemIds: ['2300000001'] }], skippedFiles: 2,
    });
  });

  it('a file column with several assets and a Drive link: versions ordered by upload time, numbered by _vNN, an unnumbered export after them', () => {
    const b = normalizeItemBundle(full(), ctx);
    const v = byName(b);
    expect(Object.values(v).map((x) => [x.name, x.number]).sort((p, q) => Number(p[1]) - Number(q[1]))).toEqual([
      ['ACME_HOLIDAY_BANNER-300x250_v01.png', 1],
      ['ACME_HOLIDAY_BANNER-300x250_v02.png', 2],
      ['ACME_HOLIDAY_BANNER-300x250_v03.psd', 3],
      ['holiday-banner-final-export.png', 4],
    ]);
    expect(v['ACME_HOLIDAY_BANNER-300x250_v01.png']).toMatchObject({
      id: stableId(CONN, 'monday_asset', '1900000101'), externalId: '1900000101', source: 'file_column', host: 'monday', sizeBytes: 48211, fileRef: null,
      url: 'https://lumenlark.monday.com/protected_static/20001/resources/1900000101/ACME_HOLIDAY_BANNER-300x250_v01.png',
      createdAt: '2026-09-10T14:00:00.000Z', createdById: emailOf('maya.okafor@lumenlark.example', '60000003'),
    });
    expect(v['ACME_HOLIDAY_BANNER-300x250_v03.psd']).toMatchObject({
      externalId: '2300000011/700101', host: 'google_drive', fileRef: '1ZyXwVuTsRqPoNmLkJiHgFeDcBa', sizeBytes: null,
      url: 'https://drive.google.com/file/d/1ZyXwVuTsRqPoNmLkJiHgFeDcBa/view',
    });
    expect(v['holiday-banner-final-export.png']!.createdById).toBe(emailOf('priya.natarajan@lumenlark.example', '60000002'));
    // The invalid asset and the monday doc are not versions (counted in the report, above).
    expect(b.complete.find((c) => c.kind === 'version')).toEqual({ kind: 'version', assetId: assetIdOf(CONN, '2300000011'), scope: 'all', ids: b.versions.map((x) => x.id) });
  });

  it('updates and replies are comments; Stageline’s own stamped update is not, a person’s reply to it is; HTML bodies become text', () => {
    const b = normalizeItemBundle(full(), ctx);
    const c = Object.fromEntries(b.comments.map((x) => [x.externalId, x]));
    expect(Object.keys(c).sort()).toEqual(['3700000011', '3700000021', '3700000025', '3700000027', '3700000035', '3700000041']);
    expect(c['3700000021']).toMatchObject({
      id: stableId(CONN, 'monday_update', '3700000021'), threadExternalId: null, authorId: emailOf('jon.reyes@acme.example', '60000007'),
      body: 'Can we make the CTA bigger & move the logo left?\nAlso the snow looks grey.', createdAt: '2026-10-08T16:00:00.000Z', versionId: null,
    });
    expect(c['3700000025']).toMatchObject({ threadExternalId: '3700000021', body: 'On it, a new version is coming later today.' });
    // A reply whose creator object is missing: its creator_id is resolved through users(ids).
    expect(c['3700000027']!.authorId).toBe(emailOf('priya.natarajan@lumenlark.example', '60000002'));
    expect(c['3700000035']).toMatchObject({ threadExternalId: '3700000031', body: 'Renamed, thanks.' });
    // An approval subitem's update sits in that subitem's thread.
    expect(c['3700000041']).toMatchObject({ threadExternalId: '2300000095', body: 'Logo still too close to the edge.' });
    expect(b.complete.find((x) => x.kind === 'comment')).toEqual({ kind: 'comment', assetId: assetIdOf(CONN, '2300000011'), scope: 'all', ids: b.comments.map((x) => x.id) });
    // A window of new updates (boardUpdates) replaces the inline list and claims nothing about the others.
    const item = fixture('item-full') as { updates: unknown[] };
    const windowed = normalizeItemBundle(full({ updates: item.updates.slice(0, 1), updatesComplete: false }), ctx);
    expect(windowed.comments.map((x) => x.externalId)).toEqual(['3700000035', '3700000041']);
    expect(windowed.complete.find((x) => x.kind === 'comment')).toBeUndefined();
  });

  it('approval subitems are decisions (current verdict, by the reviewer, with the reviewer’s role); a subitem without a verdict is ignored and counted', () => {
    const b = normalizeItemBundle(full(), ctx);
    expect(b.decisions.map((d) => [d.externalId, d.decision, d.reviewerId, d.role, d.decidedAt])).toEqual([
      ['2300000091', 'approved', emailOf('dana.whitfield@lumenlark.example', '60000001'), 'creative_director', '2026-10-05T11:00:00.000Z'],
      ['2300000095', 'changes_requested', emailOf('jon.reyes@acme.example', '60000007'), 'client', '2026-10-16T10:00:00.000Z'],
    ]);
    expect(b.complete.find((x) => x.kind === 'decision')?.ids).toEqual(b.decisions.map((d) => d.id));
  });

  it('with the subitems board’s activity log, every verdict change is a decision by whoever made it; Pending is none', () => {
    const b = normalizeItemBundle(full({ subitemActivity: list('activity-subitems-board') }), ctx);
    expectValid(b);
    expect(b.decisions.map((d) => [d.decision, d.decidedAt, d.role])).toEqual([
      ['changes_requested', '2026-09-25T14:00:00.000Z', 'creative_director'],
      ['approved', '2026-10-05T11:00:00.000Z', 'creative_director'],
      ['changes_requested', '2026-10-16T10:00:00.000Z', 'client'],
    ]);
    expect(b.decisions[0]!.id).toBe(stableId(CONN, 'monday_decision', '2c3d4e5f-0001-4a5b-8c9d-000000000001'));
  });

  it('a decision column and labels from config', () => {
    const b = normalizeItemBundle(full(), { ...ctx, decisions: { column: 'Decision', reviewer: 'Reviewer', map: { 'Changes requested': 'rejected' } } });
    expect(b.decisions.map((d) => [d.externalId, d.decision])).toEqual([['2300000095', 'rejected']]);
  });

  it('stage history from the activity log: every change of the stage column, oldest first, with who and when; other items and columns left out', () => {
    const b = normalizeItemBundle(full({ activity: list('activity-status-board') }), ctx);
    expectValid(b);
    const maya = emailOf('maya.okafor@lumenlark.example', '60000003');
    const priya = emailOf('priya.natarajan@lumenlark.example', '60000002');
    expect(b.transitions.map((t) => [t.source, t.fromStage, t.toStage, t.at, t.actorId])).toEqual([
      ['vendor_history', null, 'brief', '2026-09-01T09:15:00.000Z', priya],
      ['vendor_history', 'brief', 'in_progress', '2026-09-03T08:00:00.000Z', maya],
      ['vendor_history', 'in_progress', 'internal_review', '2026-09-20T15:30:00.000Z', maya],
      ['vendor_history', 'internal_review', 'client_review', '2026-10-06T09:00:00.000Z', priya],
      ['vendor_history', 'client_review', 'in_progress', '2026-10-09T10:00:00.000Z', maya],
      ['vendor_history', 'in_progress', 'client_review', '2026-10-14T16:20:05.000Z', maya],
    ]);
    expect(b.transitions[1]).toMatchObject({ fromStatus: 'Briefing', toStatus: 'In Production', externalId: '0a1f2e3d-0004-4b5c-8d9e-000000000004', id: stableId(CONN, 'monday_activity', '0a1f2e3d-0004-4b5c-8d9e-000000000004') });
  });

  it('an initial stage when the log does not record the first one; none for an incremental window', () => {
    const log = list('activity-status-board');
    const later = log.filter((e) => ['0a1f2e3d-0008-4b5c-8d9e-000000000008', '0a1f2e3d-0009-4b5c-8d9e-000000000009'].includes((e as { id: string }).id));
    const window = normalizeItemBundle(full({ activity: later, activityComplete: false }), ctx);
    expect(window.transitions.map((t) => [t.source, t.toStage])).toEqual([['vendor_history', 'in_progress'], ['vendor_history', 'client_review']]);
    // The whole log, but it starts after creation: the first entry's `from` is the stage the item was created in.
    const truncated = normalizeItemBundle(full({ activity: later }), ctx);
    expect(truncated.transitions.map((t) => [t.source, t.fromStage, t.toStage, t.at])).toEqual([
      ['initial', null, 'client_review', '2026-09-01T09:15:00.000Z'],
      ['vendor_history', 'client_review', 'in_progress', '2026-10-09T10:00:00.000Z'],
      ['vendor_history', 'in_progress', 'client_review', '2026-10-14T16:20:05.000Z'],
    ]);
    // An empty log for a complete history: the item was created in its current stage.
    expect(normalizeItemBundle(full({ activity: [] }), ctx).transitions.map((t) => [t.source, t.toStage])).toEqual([['initial', 'client_review']]);
    // No log fetched: no history claimed.
    expect(normalizeItemBundle(full(), ctx).transitions).toEqual([]);
  });

  it('a group board: the stage is the group, its history the item’s creation and moves between groups', () => {
    const gctx = contextFor('board-group');
    const b = normalizeItemBundle({ item: fixture('item-group'), activity: list('activity-group-board') }, gctx);
    expectValid(b);
    expect(b.assets[0]).toMatchObject({ stage: 'internal_review', sourceStatus: 'Internal Review' });
    expect(b.assets[0]!.fields).toEqual({ Owner: ['maya.okafor@lumenlark.example'], Priority: 'High', Files: [] });
    expect(b.transitions.map((t) => [t.source, t.fromStatus, t.toStatus, t.at])).toEqual([
      ['vendor_history', null, 'Briefing', '2026-02-03T09:00:00.000Z'],
      ['vendor_history', 'Briefing', 'In Production', '2026-02-05T10:00:00.000Z'],
      ['vendor_history', 'In Production', 'Internal Review', '2026-02-20T16:00:00.000Z'],
    ]);
  });

  it('empty values: null text and value, an empty name, no files, no updates, no subitems', () => {
    const { batch: b, report } = normalizeItem({ item: fixture('item-minimal') }, ctx);
    expectValid(b);
    const a = b.assets[0]!;
    expect(a).toMatchObject({ name: '(untitled item 2300000012)', stage: null, sourceStatus: null, ownerId: null, dueOn: null, dueAt: null, url: null, fileRefs: [] });
    expect(a.fields).toEqual({
      Owner: [], Stage: null, 'Due date': null, 'Asset key': null, Size: null, Files: [], Budget: null, 'Go-live': null,
      'Client reviewer': [], 'Go-live milestone': [], Brief: null, Rush: false, 'Ops status': null, 'Revision round': null,
    });
    expect(b.versions).toEqual([]);
    expect(b.comments).toEqual([]);
    expect(b.complete.map((c) => [c.kind, c.scope, c.ids])).toEqual([['version', 'all', []], ['decision', 'all', []], ['comment', 'all', []]]);
    expect(report.unmappedStatus).toBeNull();
  });

  it('only `text` and the JSON-string `value`: status by index from the column settings, people, date with time, files, relation', () => {
    const { batch: b } = normalizeItem({ item: fixture('item-archived-value-only'), activity: list('activity-status-board') }, ctx);
    expectValid(b);
    const a = b.assets[0]!;
    expect(a).toMatchObject({
      stage: 'delivered', sourceStatus: 'Delivered', ownerId: emailOf('maya.okafor@lumenlark.example', '60000003'),
      dueOn: '2026-09-30', dueAt: '2026-09-30T17:00:00.000Z', completedAt: '2026-09-30T15:00:00.000Z',
    });
    expect(a.fields).toMatchObject({ Budget: 450.5, 'Go-live milestone': ['2300000001'], Files: ['ACME_HOLIDAY_EMAIL-600x200_v01.png', 'Header copy deck'] });
    expect(b.versions.map((v) => [v.name, v.number, v.host, v.sizeBytes, v.url])).toEqual([
      ['ACME_HOLIDAY_EMAIL-600x200_v01.png', 2, 'monday', 20110, 'https://lumenlark.monday.com/protected_static/20001/resources/1900000201/ACME_HOLIDAY_EMAIL-600x200_v01.png'],
      // A link without a _vNN, added before v01: placed by time, before it.
      ['Header copy deck', 1, 'link', null, 'https://example.com/copy-deck'],
    ]);
  });

  it('archived and deleted items are tombstoned at the time the log says (else their last update); the asset row stays', () => {
    const withLog = normalizeItemBundle({ item: fixture('item-archived-value-only'), activity: list('activity-status-board') }, ctx);
    expect(withLog.assets).toHaveLength(1);
    expect(withLog.tombstones).toEqual([{ kind: 'asset', ids: [assetIdOf(CONN, '2300000013')], at: '2026-10-02T11:59:00.000Z' }]);
    const noLog = normalizeItemBundle({ item: { ...(fixture('item-minimal') as object), state: 'deleted' } }, ctx);
    expect(noLog.tombstones).toEqual([{ kind: 'asset', ids: [assetIdOf(CONN, '2300000012')], at: '2026-09-05T10:00:00.000Z' }]);
    expect(normalizeItemBundle(full(), ctx).tombstones).toEqual([]);
  });

  it('a status the stage map does not know: null stage, the label kept and reported', () => {
    const partial = contextFor('board-status', { stage: resolved(fixture('board-status'), { '9100000001': { from: 'status_column', column: 'Stage', map: { Briefing: 'brief' } } }) });
    const { batch: b, report } = normalizeItem(full({ activity: list('activity-status-board') }), partial);
    expect(b.assets[0]).toMatchObject({ stage: null, sourceStatus: 'Client Review' });
    expect(report.unmappedStatus).toBe('Client Review');
    expect(b.transitions[0]).toMatchObject({ toStage: 'brief', toStatus: 'Briefing' });
    expect(b.transitions[1]).toMatchObject({ fromStage: 'brief', toStage: null, toStatus: 'In Production' });
  });

  it('people by email (lower-cased), one person per human; ids with no email known are reported for a users(ids) lookup', () => {
    const b = normalizeItemBundle(full({ activity: list('activity-status-board') }), ctx);
    expect(b.persons.find((p) => p.identity?.externalId === '60000003')).toEqual({
      id: emailOf('maya.okafor@lumenlark.example', '60000003'), email: 'maya.okafor@lumenlark.example', name: 'Maya Okafor', identity: { connectionId: CONN, externalId: '60000003' },
    });
    expect(new Set(b.persons.map((p) => p.id)).size).toBe(b.persons.length);
    // Without users(ids): a user seen inline with an email anywhere in the item (a creator, an uploader) is still one email person…
    const { batch: blind, report } = normalizeItem(full(), { ...ctx, users: new Map() });
    expect(report.unknownUsers).toEqual([]);
    expect(blind.comments.find((c) => c.externalId === '3700000027')!.authorId).toBe(emailOf('priya.natarajan@lumenlark.example', '60000002'));
    expect(blind.assets[0]!.ownerId).toBe(emailOf('maya.okafor@lumenlark.example', '60000003'));
    // …and one seen only by id is a person of the monday account, reported so that the engine looks it up and normalizes again.
    const seenById = normalizeItem({ item: fixture('item-archived-value-only') }, { ...ctx, users: new Map() });
    expect(seenById.report.unknownUsers).toEqual(['60000002']);
    expect(seenById.batch.versions.find((v) => v.name === 'Header copy deck')!.createdById).toBe(personId(null, CONN, '60000002'));
    expect(userIdsIn(full({ activity: list('activity-status-board') }))).toEqual(['60000001', '60000002', '60000003', '60000007', '60000009']);
    // An AI agent in a people column (`Kind` agent) is no person: not the owner, shown as agent:<id>.
    const withAgent = fixture('item-full') as { column_values: { id: string; persons_and_teams?: unknown[] }[] };
    withAgent.column_values.find((v) => v.id === 'person')!.persons_and_teams = [{ id: '990001', kind: 'agent' }, { id: '60000003', kind: 'person' }];
    const agentBatch = normalizeItemBundle({ item: withAgent }, ctx);
    expect(agentBatch.assets[0]!.ownerId).toBe(emailOf('maya.okafor@lumenlark.example', '60000003'));
    expect(agentBatch.assets[0]!.fields.Owner).toEqual(['agent:990001', 'maya.okafor@lumenlark.example']);
    // From JSON-string values too (people, file uploaders), teams and agents left out.
    expect(userIdsIn({ item: fixture('item-archived-value-only') })).toEqual(['60000002', '60000003']);
  });

  it('a malformed update, reply or log entry is rejected alone (with its path); a malformed item rejects the bundle', () => {
    const item = fixture('item-full') as { updates: Record<string, unknown>[] };
    item.updates = [{ id: '3700000099', created_at: '2026-10-01T00:00:00Z' }, { ...item.updates[2]!, replies: [{ id: '3700000098' }] }];
    const b = normalizeItemBundle({ item, activity: [{ id: 'x', event: 'update_column_value', data: '{not json', created_at: '17600000000000000' }] }, ctx);
    expect(b.assets).toHaveLength(1);
    expect(b.rejected.map((r) => [r.stream, r.externalId, r.issues[0]!.path.join('.')])).toEqual([
      ['updates', '3700000099', 'body'],
      ['updates', '3700000098', 'replies.0.body'],
      ['activity_logs', 'x', 'data'],
    ]);
    expect(b.comments.map((c) => c.externalId)).toEqual(['3700000011', '3700000041']);
    const broken = normalizeItemBundle({ item: { name: 'no id' } }, ctx);
    expect(broken.assets).toEqual([]);
    expect(broken.rejected[0]).toMatchObject({ stream: 'items', externalId: null });
  });
});

describe('times', () => {
  it('activity-log times are 17-digit counts of 100 ns; Date scalars are ISO', () => {
    expect(activityTime('17886096000000000')).toBe('2026-09-05T12:00:00.000Z');
    expect(activityTime('2026-09-05T12:00:00Z')).toBe('2026-09-05T12:00:00.000Z');
    expect(toIso('2026-09-05')).toBe('2026-09-05T00:00:00.000Z');
    expect(toIso('2026-09-05 12:00:00 UTC')).toBe('2026-09-05T12:00:00.000Z');
    expect(toIso('yesterday')).toBeNull();
  });
});
