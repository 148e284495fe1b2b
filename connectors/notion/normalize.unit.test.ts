// Notion normalization from fixtures shaped like real answers (fixtures/: every property type the SDK
// types, an empty status, hosted and external files, people without email and a group, a trashed
// page, comments with mentions and a block anchor, Stageline's own stamped comment): what lands in
// the model, and what is reported.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { roleResolver } from '../../mapping/config';
import { personId, stableId } from '../../mapping/ids';
import { Asset, AssetLink, Comment, Decision, Person, Project, StageTransition, Version, type Batch } from '../../mapping/model';
import {
  assetIdOf, decisionRoles, dueOf, normalizeDataSource, normalizePage, normalizePageBundle, propertyRoles, resolveStage, userIdsIn,
  type NotionNormalizeContext, type NotionStageConfig, type NotionUser, type ResolvedNotionStage,
} from './normalize';
import { NotionDataSourceRaw, NotionListRaw } from './raw';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const CONN = 'agency-notion';
const DS = '2a1f4c3e-8b7d-4e6a-9c5b-1d2e3f4a5b6c';
const PAGE = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
const DANA = '6c7d8e9f-0a1b-4c2d-8e3f-4a5b6c7d8e9f';
const OMAR = '7d8e9f0a-1b2c-4d3e-9f4a-5b6c7d8e9f0a';
const PRIYA = '8e9f0a1b-2c3d-4e4f-8a5b-6c7d8e9f0a1b';
const STAGE_MAP = {
  Briefing: 'brief', 'In Production': 'in_progress', 'Internal Review': 'internal_review', 'Client Review': 'client_review',
  Approved: 'approved', Delivered: 'delivered', 'On Hold': 'on_hold', Cancelled: 'cancelled',
};
const STAGES: NotionStageConfig = { [DS]: { property: 'Stage', map: STAGE_MAP } };
const usersList = (NotionListRaw.parse(fixture('users')).results as { id: string; name: string; type: 'person' | 'bot'; person?: { email?: string } }[]);
const users = new Map<string, NotionUser>(usersList.map((u) => [u.id, { name: u.name, email: u.person?.email ?? null, type: u.type }]));
const rolesOf = roleResolver({ people: [{ email: 'dana.whitfield@lumenlark.example', roles: ['creative_director'] }, { domain: 'acme.example', roles: ['client'] }] });

function resolved(config: NotionStageConfig = STAGES): ResolvedNotionStage {
  const r = resolveStage(fixture('data-source'), config, { connectionId: CONN });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

function ctx(over: Partial<NotionNormalizeContext> = {}): NotionNormalizeContext {
  const ds = NotionDataSourceRaw.parse(fixture('data-source'));
  return { connectionId: CONN, dataSource: { id: ds.id, projectId: stableId(CONN, 'notion_data_source', ds.id), properties: ds.properties }, stage: resolved(), users, rolesOf, ...over };
}

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

describe('data sources', () => {
  it('a data source is a project; a trashed one is archived', () => {
    const p = normalizeDataSource(fixture('data-source'), { connectionId: CONN });
    expect(p.ok && Project.parse(p.value)).toMatchObject({
      id: stableId(CONN, 'notion_data_source', DS), externalId: DS, name: 'ACME Holiday 2026', archived: false,
      url: 'https://www.notion.so/2a1f4c3e8b7d4e6a9c5b1d2e3f4a5b6c', remoteCreatedAt: '2026-08-20T08:00:00.000Z', remoteUpdatedAt: '2026-10-16T10:00:00.000Z',
    });
    const trashed = { ...(fixture('data-source') as object), in_trash: true };
    const t = normalizeDataSource(trashed, { connectionId: CONN });
    expect(t.ok && t.value.archived).toBe(true);
    const bad = normalizeDataSource({ object: 'data_source', id: DS, title: 'not rich text', properties: {} }, { connectionId: CONN });
    expect(bad.ok ? [] : bad.issues.map((i) => i.path.join('.'))).toEqual(['title']);
  });

  it('resolves the stage property with its options and status groups, by name or id', () => {
    const r = resolved();
    expect(r).toMatchObject({ propertyId: 'Pk%3Bx', propertyName: 'Stage', type: 'status' });
    expect(r.options.map((o) => `${o.name}:${o.group}`)).toContain('Client Review:In progress');
    expect(r.options.find((o) => o.name === 'Delivered')?.group).toBe('Complete');
    const byId = resolveStage(fixture('data-source'), { '*': { property: 'Pk%3Bx', map: STAGE_MAP } }, { connectionId: CONN });
    expect(byId.ok && byId.value.propertyName).toBe('Stage');
    const select = resolveStage(fixture('data-source'), { '*': { property: 'approval', map: { Approved: 'approved' } } }, { connectionId: CONN });
    expect(select.ok && select.value.type).toBe('select');
  });

  it('stage configuration errors name the path, the property and what the data source has', () => {
    const missing = resolveStage(fixture('data-source'), { [DS]: { property: 'Phase', map: {} } }, { connectionId: CONN });
    expect(missing.ok).toBe(false);
    if (!missing.ok) {
      expect(missing.issues[0]).toMatchObject({ code: 'unknown_property', path: ['stage', DS, 'property'] });
      expect(missing.issues[0]!.message).toContain('"Stage"');
    }
    const wrongType = resolveStage(fixture('data-source'), { [DS]: { property: 'Owner', map: {} } }, { connectionId: CONN });
    expect(wrongType.ok ? null : wrongType.issues[0]).toMatchObject({ code: 'not_a_status_property' });
    const option = resolveStage(fixture('data-source'), { [DS]: { property: 'Stage', map: { ...STAGE_MAP, Archived: 'delivered', Review: 'Client Review' } } }, { connectionId: CONN });
    expect(option.ok ? [] : option.issues.map((i) => `${i.code} ${i.path.join('.')}`).sort()).toEqual([
      `invalid_stage stage.${DS}.map.Review`, `unknown_option stage.${DS}.map.Archived`, `unknown_option stage.${DS}.map.Review`,
    ]);
    const none = resolveStage(fixture('data-source'), {}, { connectionId: CONN });
    expect(none.ok ? null : none.issues[0]).toMatchObject({ code: 'unknown_data_source', path: ['stage', '*'] });
  });

  it('finds the owner, due, asset type, files and decision properties by name', () => {
    const ds = NotionDataSourceRaw.parse(fixture('data-source'));
    const roles = propertyRoles(ds.properties, {}, 'Pk%3Bx');
    expect([roles.owner?.name, roles.due?.name, roles.assetType?.name, roles.files.map((f) => f.name)]).toEqual(['Owner', 'Due', 'Asset type', ['Files']]);
    const d = decisionRoles(ds.properties, {}, 'Pk%3Bx');
    expect([d.decision?.name, d.reviewer?.name, d.decidedOn?.name]).toEqual(['Approval', 'Reviewers', 'Decided on']);
    expect(propertyRoles(ds.properties, { owner: 'Reviewers' }).owner?.name).toBe('Reviewers');
  });
});

describe('pages', () => {
  it('a page is an asset with its stage, owner by email, due date and every property as a display value', () => {
    const { batch, report } = normalizePage({ page: fixture('page-full') }, ctx());
    expectValid(batch);
    expect(batch.assets).toHaveLength(1);
    const a = batch.assets[0]!;
    expect(a).toMatchObject({
      id: assetIdOf(CONN, PAGE), externalId: PAGE, projectId: stableId(CONN, 'notion_data_source', DS), name: 'ACME-HOL-0042 Holiday banner 300x250',
      assetType: 'Banner', stage: 'client_review', sourceStatus: 'Client Review', ownerId: personId('dana.whitfield@lumenlark.example', CONN, DANA),
      dueOn: '2026-11-20', dueAt: '2026-11-20T16:00:00.000Z', completedAt: null, url: 'https://www.notion.so/3c4d5e6f7a8b4c9d8e0f1a2b3c4d5e6f',
      remoteCreatedAt: '2026-09-01T09:15:00.000Z', remoteUpdatedAt: '2026-10-16T10:02:00.000Z',
    });
    expect(a.fields).toMatchObject({
      Stage: 'Client Review', Owner: ['dana.whitfield@lumenlark.example'], Reviewers: ['omar.haddad@acme.example', 'Priya Raman', 'group:Client team'],
      Due: '2026-11-20T17:00:00.000+01:00', Channels: ['Social', 'Display'], Budget: 1250.5, ID: 'ACME-42', 'Asset key': 'ACME-HOL-0042',
      Client: ['0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d'], Rush: true, 'Days left': 35, 'Ops status': null, 'Proof link': 'https://proof.example/acme/0042',
      Files: ['ACME-HOL-0042_banner_300x250_v01.png', 'ACME-HOL-0042_banner_300x250_v02.png', 'moodboard.pdf'], 'Created by': 'dana.whitfield@lumenlark.example',
      Brief: 'Warm, snowy. Master file: drive link@Omar Haddad',
    });
    // A property type the connector does not read (place) is left out, not guessed.
    expect(a.fields).not.toHaveProperty('Place');
    // Drive files named by an external file entry and by a link inside rich text are explicit references.
    expect(a.fileRefs.sort()).toEqual(['1AbCdEfGhIjKlMnOpQrStUvWxYz012345', '1ZyXwVuTsRqPoNmLkJiHgFeDcBa98765']);
    expect(batch.links).toEqual([{ id: stableId(CONN, 'link:notion_page', PAGE), assetId: a.id, connectionId: CONN, kind: 'notion_page', externalId: PAGE, url: a.url, via: 'primary' }]);
    expect(report).toMatchObject({ pageId: PAGE, unmappedStatus: null, unknownUsers: [], truncated: [], relations: [{ propertyName: 'Client', pageIds: ['0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d'] }] });
  });

  it('people: one person per human by email (lower case), a stable id without email, and groups and bots are not persons', () => {
    const { batch } = normalizePage({ page: fixture('page-full') }, ctx());
    const byEmail = Object.fromEntries(batch.persons.map((p) => [p.email ?? p.name, p]));
    expect(Object.keys(byEmail).sort()).toEqual(['Priya Raman', 'dana.whitfield@lumenlark.example', 'omar.haddad@acme.example']);
    expect(byEmail['Priya Raman']).toEqual({ id: stableId(CONN, 'user', PRIYA), email: null, name: 'Priya Raman', identity: { connectionId: CONN, externalId: PRIYA } });
    expect(byEmail['omar.haddad@acme.example']!.id).toBe(personId('omar.haddad@acme.example', 'any-other-connection', 'x'));
  });

  it('files: hosted files are versions without their expiring URL, external ones keep theirs, numbered by _vNN then by position', () => {
    const { batch } = normalizePage({ page: fixture('page-full') }, ctx());
    const byName = Object.fromEntries(batch.versions.map((v) => [v.name, v]));
    expect(Object.keys(byName)).toHaveLength(3);
    const hosted = byName['ACME-HOL-0042_banner_300x250_v01.png']!;
    expect(hosted).toMatchObject({ number: 1, source: 'files_property', url: null, host: 'notion', fileRef: null, createdAt: '2026-09-01T09:15:00.000Z' });
    expect(JSON.stringify(hosted)).not.toContain('X-Amz');
    expect(hosted.externalId).toBe(`${PAGE}/Fl%5Ds/0000/ACME-HOL-0042_banner_300x250_v01.png`);
    expect(byName['ACME-HOL-0042_banner_300x250_v02.png']).toMatchObject({ number: 2, url: 'https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view?usp=sharing', host: 'drive.google.com', fileRef: '1AbCdEfGhIjKlMnOpQrStUvWxYz012345' });
    expect(byName['moodboard.pdf']).toMatchObject({ number: 3, host: 'files.example' });
    // The files property is read whole: an entry no longer there is tombstoned.
    expect(batch.complete).toEqual([{ kind: 'version', assetId: assetIdOf(CONN, PAGE), scope: 'all', ids: batch.versions.map((v) => v.id) }]);
    // Re-reading the page gives new signed URLs and the same versions.
    const again = copy(fixture('page-full')) as { properties: { Files: { files: { file?: { url: string } }[] } } };
    again.properties.Files.files[0]!.file!.url = 'https://prod-files-secure.s3.us-west-2.amazonaws.com/e1f2a3b4/other?X-Amz-Signature=zzz';
    expect(normalizePageBundle({ page: again }, ctx()).versions).toEqual(batch.versions);
  });

  it('a verdict property is a decision by the first reviewer, on its decided-on date, with the role from config', () => {
    const { batch } = normalizePage({ page: fixture('page-full') }, ctx());
    expect(batch.decisions).toHaveLength(1);
    expect(batch.decisions[0]).toMatchObject({
      decision: 'changes_requested', reviewerId: personId('omar.haddad@acme.example', CONN, OMAR), role: 'client', decidedAt: '2026-10-15T00:00:00.000Z', externalId: `${PAGE}/Ap%3Bv/a-chg`,
    });
    // Pending is not a decision; without a decided-on date the page's last edit dates it.
    const pending = copy(fixture('page-full')) as { properties: Record<string, unknown> };
    pending.properties.Approval = { id: 'Ap%3Bv', type: 'select', select: { id: 'a-pend', name: 'Pending', color: 'gray' } };
    expect(normalizePageBundle({ page: pending }, ctx()).decisions).toEqual([]);
    const undated = copy(fixture('page-full')) as { properties: Record<string, unknown> };
    undated.properties['Decided on'] = { id: 'De%3Bo', type: 'date', date: null };
    expect(normalizePageBundle({ page: undated }, ctx()).decisions[0]!.decidedAt).toBe('2026-10-16T10:02:00.000Z');
  });

  it('comments: feedback with mentions as plain text, block comments in their block thread, Stageline stamped ones counted as echoes, a bad one rejected alone', () => {
    const comments = NotionListRaw.parse(fixture('comments')).results;
    const { batch, report } = normalizePage({ page: fixture('page-full'), comments }, ctx());
    expect(batch.comments.map((c) => [c.body, c.authorId, c.threadExternalId])).toEqual([
      ['Logo is too small; please enlarge and check the @Dana Whitfield copy.', personId('omar.haddad@acme.example', CONN, OMAR), null],
      ['Updated in v02.', personId('dana.whitfield@lumenlark.example', CONN, DANA), null],
      ['This headline reads oddly.', stableId(CONN, 'user', PRIYA), 'b1a2b3c4-d5e6-4f7a-8b9c-0d1e2f3a4b5c'],
    ]);
    for (const c of batch.comments) Comment.parse(c);
    expect(report.ownComments).toBe(1);
    expect(batch.rejected.map((r) => [r.stream, r.externalId, r.issues.map((i) => i.path.join('.'))])).toEqual([
      ['comments', 'c5a2b3c4-d5e6-4f7a-8b9c-0d1e2f3a4b5c', ['comments.4.created_time']],
    ]);
    // Resolved comments leave the list: no complete set, so they are never tombstoned by a re-read.
    expect(batch.complete.filter((c) => c.kind === 'comment')).toEqual([]);
  });

  it('an empty status is no stage and nothing unmapped; a status the map lacks is reported', () => {
    const { batch, report } = normalizePage({ page: fixture('page-empty-status') }, ctx());
    expectValid(batch);
    expect(batch.assets[0]).toMatchObject({ stage: null, sourceStatus: null, ownerId: null, dueOn: null, dueAt: null, assetType: null });
    expect(batch.assets[0]!.fields).toMatchObject({ Owner: [], Files: [], Channels: [], Budget: null, 'Ops note': expect.stringContaining('Checked by Stageline') });
    expect(report.unmappedStatus).toBeNull();
    expect(batch.versions).toEqual([]);
    expect(batch.transitions).toEqual([]);
    const partial = normalizePage({ page: fixture('page-full') }, ctx({ stage: { ...resolved(), map: { Briefing: 'brief' } } }));
    expect(partial.batch.assets[0]).toMatchObject({ stage: null, sourceStatus: 'Client Review' });
    expect(partial.report.unmappedStatus).toBe('Client Review');
  });

  it('a page never edited since it was created records the stage it was created in; an edited one records none', () => {
    const fresh = copy(fixture('page-empty-status')) as { properties: Record<string, unknown> };
    fresh.properties.Stage = { id: 'Pk%3Bx', type: 'status', status: { id: 's-brief', name: 'Briefing', color: 'gray' } };
    const { batch } = normalizePage({ page: fresh }, ctx());
    expect(batch.transitions).toEqual([expect.objectContaining({ fromStage: null, toStage: 'brief', toStatus: 'Briefing', at: '2026-10-02T14:31:00.000Z', source: 'initial', actorId: personId('omar.haddad@acme.example', CONN, OMAR) })]);
    expect(normalizePageBundle({ page: fixture('page-full') }, ctx()).transitions).toEqual([]);
  });

  it('a trashed page is a tombstone at its last edit, with its asset and last state kept', () => {
    const { batch } = normalizePage({ page: fixture('page-trashed') }, ctx());
    expectValid(batch);
    expect(batch.assets[0]).toMatchObject({ stage: 'cancelled', ownerId: personId('dana.whitfield@lumenlark.example', CONN, DANA) });
    expect(batch.tombstones).toEqual([{ kind: 'asset', ids: [assetIdOf(CONN, '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b')], at: '2026-10-10T16:20:00.000Z' }]);
    // `archived` alone (answers before 2026-03-11 without in_trash) still means trashed.
    const legacy = copy(fixture('page-trashed')) as Record<string, unknown>;
    delete legacy.in_trash;
    expect(normalizePageBundle({ page: legacy }, ctx()).tombstones).toHaveLength(1);
  });

  it('a malformed page is rejected whole with the path of every problem; nothing is half-applied', () => {
    const { batch } = normalizePage({ page: fixture('page-malformed') }, ctx());
    expect(batch.assets).toEqual([]);
    expect(batch.rejected).toHaveLength(1);
    expect(batch.rejected[0]!.issues.map((i) => i.path.join('.'))).toEqual(['created_time']);
    const badProps = copy(fixture('page-malformed')) as Record<string, unknown>;
    badProps.created_time = '2026-10-10T16:20:00.000Z';
    const r = normalizePage({ page: badProps }, ctx()).batch;
    expect(r.assets).toEqual([]);
    expect(r.rejected[0]!.issues.map((i) => i.path.join('.')).sort()).toEqual(['properties.Budget.number', 'properties.Stage.status.name']);
    const other = { ...(fixture('page-full') as object), parent: { type: 'data_source_id', data_source_id: 'ffffffff-8b7d-4e6a-9c5b-1d2e3f4a5b6c', database_id: 'x' } };
    expect(normalizePageBundle({ page: other }, ctx()).rejected[0]!.issues[0]).toMatchObject({ code: 'wrong_parent', path: ['parent', 'data_source_id'] });
  });

  it('a relation that says has_more is reported truncated until its whole list is read, then the items replace it', () => {
    const long = copy(fixture('page-full')) as { properties: { Client: { has_more: boolean } } };
    long.properties.Client.has_more = true;
    expect(normalizePage({ page: long }, ctx()).report.truncated).toEqual([{ propertyId: 'Cl%3Ft', propertyName: 'Client' }]);
    const items = NotionListRaw.parse(fixture('property-items-relation')).results;
    const { batch, report } = normalizePage({ page: long, propertyItems: { 'Cl%3Ft': items } }, ctx());
    expect(report.truncated).toEqual([]);
    expect(batch.assets[0]!.fields.Client).toEqual(['0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d', '0b1c2d3e-4f5a-4b6c-9d7e-9f0a1b2c3d4e']);
    const wrong = normalizePage({ page: long, propertyItems: { 'Cl%3Ft': [{ object: 'property_item', id: 'Cl%3Ft', type: 'people', people: {} }] } }, ctx()).batch;
    expect(wrong.rejected[0]!.issues[0]).toMatchObject({ path: ['properties', 'Client', 'relation', 'items', 0, 'type'] });
  });

  it('a rich-text value that fills the inline cap may be cut: reported until its items replace it', () => {
    const long = copy(fixture('page-full')) as { properties: { Brief: { rich_text: unknown[] } } };
    const run = (n: number) => ({ type: 'text', text: { content: `part ${n} `, link: null }, annotations: {}, plain_text: `part ${n} `, href: null });
    long.properties.Brief.rich_text = Array.from({ length: 25 }, (_, i) => run(i));
    expect(normalizePage({ page: long }, ctx()).report.truncated).toEqual([{ propertyId: 'Br%3Bf', propertyName: 'Brief' }]);
    const items = Array.from({ length: 30 }, (_, i) => ({ object: 'property_item', id: 'Br%3Bf', type: 'rich_text', rich_text: run(i) }));
    const whole = normalizePage({ page: long, propertyItems: { 'Br%3Bf': items } }, ctx());
    expect(whole.report.truncated).toEqual([]);
    expect(whole.batch.assets[0]!.fields.Brief).toBe(Array.from({ length: 30 }, (_, i) => `part ${i} `).join(''));
  });

  it('users the context does not know are persons without email, listed for the engine to fetch', () => {
    const { batch, report } = normalizePage({ page: fixture('page-trashed') }, ctx({ users: new Map() }));
    expect(report.unknownUsers).toEqual([DANA]);
    expect(batch.persons).toEqual([{ id: stableId(CONN, 'user', DANA), email: null, name: null, identity: { connectionId: CONN, externalId: DANA } }]);
    expect(userIdsIn({ page: fixture('page-full'), comments: NotionListRaw.parse(fixture('comments')).results })).toEqual(
      [DANA, OMAR, PRIYA, '9f0a1b2c-3d4e-4f5a-9b6c-7d8e9f0a1b2c'].sort(),
    );
  });

  it('due dates: a bare date is dueOn only; a date-time is dueAt in UTC and dueOn as written', () => {
    expect(dueOf('2026-01-31')).toEqual({ dueOn: '2026-01-31', dueAt: null });
    expect(dueOf('2026-01-31T00:30:00.000+02:00')).toEqual({ dueOn: '2026-01-31', dueAt: '2026-01-30T22:30:00.000Z' });
    expect(dueOf('soon')).toEqual({ dueOn: null, dueAt: null });
  });
});

describe('list envelopes', () => {
  it('a capped query says so in request_status, which the schema keeps', () => {
    const q = NotionListRaw.parse(fixture('query-incomplete'));
    expect(q.has_more).toBe(false);
    expect(q.request_status).toEqual({ type: 'incomplete', incomplete_reason: 'query_result_limit_reached' });
  });
});
