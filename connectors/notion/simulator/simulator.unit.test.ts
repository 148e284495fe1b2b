// The Notion simulator's behaviours, driven through the official @notionhq/client 5.26: a workspace
// built from the shared agency, paging and the 10,000-row query cap, minute-granular timestamps and
// the overlap an incremental sync needs, trash, write validation, comments, users and the email
// capability, the rate limit and injected 529s, sharing, and signed webhooks the SDK verifies.

import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  APIResponseError,
  Client,
  type DataSourceObjectResponse,
  LogLevel,
  type PageObjectResponse,
  collectAllDataSourceRows,
  collectPaginatedAPI,
  isFullPage,
  signWebhookPayload,
  verifyWebhookSignature,
} from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgency } from '../../asana/simulator';
import { SECTION_NAMES } from '../../asana/simulator/model';
import { type NotionSimulator, PROPERTY_NAMES as P, SIM_DEFAULT_TOKEN, createNotionSimulator, generateNotion } from './index';

const T0 = Date.parse('2026-11-21T09:00:30.000Z');

/** A simulator on a clock the test moves; SDK retries off unless asked for. */
async function start(options: Parameters<typeof createNotionSimulator>[0] = {}): Promise<{ sim: NotionSimulator; notion: Client; baseUrl: string; clock: { now: number } }> {
  const clock = { now: T0 };
  const sim = createNotionSimulator({ generate: { seed: 5, tasks: 240 }, rateLimit: null, clock: () => clock.now, ...options });
  const { baseUrl } = await sim.start();
  return { sim, notion: new Client({ auth: SIM_DEFAULT_TOKEN, baseUrl, retry: false, logLevel: LogLevel.ERROR }), baseUrl, clock };
}

async function apiError(p: Promise<unknown>): Promise<APIResponseError> {
  try {
    await p;
  } catch (err) {
    if (APIResponseError.isAPIResponseError(err)) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

const pagesOf = (rows: unknown[]): PageObjectResponse[] => rows.filter((r): r is PageObjectResponse => isFullPage(r as PageObjectResponse));

describe('generateNotion', () => {
  it('builds the same workspace for the same seed, and a different one for another seed', () => {
    const digest = (seed: number): string => {
      const n = generateNotion({ seed, tasks: 120 });
      return createHash('sha256').update(JSON.stringify([...n.truth.pages.values()])).digest('hex');
    };
    expect(digest(1)).toBe(digest(1));
    expect(digest(1)).not.toBe(digest(2));
  });

  it('mirrors each campaign as a database of asset pages whose Stage, owner and versions are the agency task\'s', () => {
    const agency = generateAgency({ seed: 3, tasks: 400 });
    const n = generateNotion({ seed: 3, agency });
    const assets = n.truth.dataSources.filter((d) => d.role === 'assets');
    expect(assets.map((d) => d.name)).toEqual(agency.dataset.projects.map((p) => p.name));
    const tasks = agency.dataset.projects.flatMap((p) => p.tasks);
    expect(n.truth.pages.size).toBe(tasks.length);
    const byTask = new Map([...n.truth.pages.values()].map((t) => [t.taskGid, t]));
    for (const task of tasks) {
      const t = byTask.get(task.gid);
      expect(t?.stage, task.name).toBe(task.section?.name);
      expect(t?.name).toBe(task.name);
      expect(t?.ownerEmail ?? null).toBe(task.assignee?.email ?? null);
      expect(t?.versions.map((v) => v.name)).toEqual(task.attachments.filter((a) => !a.deleted).map((a) => a.name));
    }
    const all = [...n.truth.pages.values()];
    expect(new Set(all.map((t) => t.stage))).toEqual(new Set(SECTION_NAMES));
    expect(all.some((t) => t.inTrash)).toBe(true);
    expect(all.some((t) => t.resolvedComments > 0)).toBe(true);
    expect(all.some((t) => t.reviewerEmails.includes(null))).toBe(true);
    expect(all.every((t) => t.lastEditedTime.endsWith(':00.000Z') && t.createdTime <= t.lastEditedTime)).toBe(true);
  });

  it('groups projects into fewer databases when asked, and rejects impossible sizes naming the option', () => {
    const agency = generateAgency({ seed: 4, tasks: 600, projects: 3 });
    const n = generateNotion({ seed: 4, agency, databases: 1 });
    const assets = n.truth.dataSources.filter((d) => d.role === 'assets');
    expect(assets).toHaveLength(1);
    expect(assets[0]?.projectGids).toEqual(agency.dataset.projects.map((p) => p.gid));
    expect(() => generateNotion({ seed: 4, agency, databases: 4 })).toThrow(/databases/);
    expect(() => generateNotion({ seed: 4, agency, bulkPages: -1 })).toThrow(/bulkPages/);
  });
});

describe('reading through @notionhq/client', () => {
  let s: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    s = await start({ generate: { seed: 5, tasks: 240, bulkPages: 25_000 } });
  });
  afterAll(async () => s.sim.stop());

  it('pages a data source to the end with no gaps or repeats, and refuses page_size above 100', async () => {
    const ds = s.sim.control.dataSourceIds('assets')[0] as string;
    const rows = pagesOf(await collectPaginatedAPI(s.notion.dataSources.query, { data_source_id: ds, page_size: 7 }));
    const expected = [...s.sim.control.truth().pages.values()].filter((t) => t.dataSourceId === ds && !t.inTrash).map((t) => t.pageId);
    expect(rows.map((r) => r.id).sort()).toEqual([...expected].sort());
    const e = await apiError(s.notion.dataSources.query({ data_source_id: ds, page_size: 101 }));
    expect([e.status, e.code]).toEqual([400, 'validation_error']);
    expect(e.message).toContain('body.page_size');
  });

  it('stops one query at 10,000 rows with request_status incomplete; created_time windows read all 25,000 once', async () => {
    const bulk = s.sim.control.dataSourceIds('bulk')[0] as string;
    let cursor: string | undefined;
    let seen = 0;
    let last;
    do {
      last = await s.notion.dataSources.query({ data_source_id: bulk, start_cursor: cursor, filter_properties: ['title'] });
      seen += last.results.length;
      cursor = last.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toBe(10_000);
    expect(last.has_more).toBe(false);
    expect(last.request_status).toEqual({ type: 'incomplete', incomplete_reason: 'query_result_limit_reached' });
    const all = await collectAllDataSourceRows(s.notion, { data_source_id: bulk, filter_properties: ['title'] });
    expect(all).toHaveLength(25_000);
    expect(new Set(all.map((r) => r.id)).size).toBe(25_000);
    // 350 requests over local HTTP: a second or two alone, far more on a loaded 2-core machine.
  }, 120_000);

  it('serves the long side of a relation 25 at a time in the page and whole through the property endpoint', async () => {
    const clients = s.sim.control.dataSourceIds('clients')[0] as string;
    const rows = pagesOf((await s.notion.dataSources.query({ data_source_id: clients })).results);
    const truth = [...s.sim.control.truth().pages.values()].filter((t) => !t.inTrash);
    const big = rows.find((r) => truth.filter((t) => t.clientPageId === r.id).length > 25) as PageObjectResponse;
    expect(big).toBeDefined();
    const [name, value] = Object.entries(big.properties).find(([k]) => k.startsWith('Assets')) as unknown as [string, { id: string; relation: unknown[]; has_more: boolean }];
    expect(name).toMatch(/^Assets \(/);
    expect(value.relation).toHaveLength(25);
    expect(value.has_more).toBe(true);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const list = await s.notion.pages.properties.retrieve({ page_id: big.id, property_id: value.id, page_size: 10, start_cursor: cursor });
      if (list.object !== 'list') throw new Error('expected a property item list');
      for (const item of list.results) if (item.type === 'relation') ids.push(item.relation.id);
      cursor = list.next_cursor ?? undefined;
    } while (cursor);
    expect(ids.sort()).toEqual(truth.filter((t) => t.clientPageId === big.id).map((t) => t.pageId).sort());
  });

  it('gives person emails only to a token with the email capability; bots and some guests have none; guests are not listed', async () => {
    s.sim.control.addToken('no-email', { capabilities: { emails: false } });
    const plain = new Client({ auth: 'no-email', baseUrl: s.baseUrl, retry: false, logLevel: LogLevel.ERROR });
    const members = await collectPaginatedAPI(s.notion.users.list, { page_size: 5 });
    const dataset = s.sim.control.dataset;
    expect(members.map((u) => u.id).sort()).toEqual(dataset.users.filter((u) => !u.guest).map((u) => u.id).sort());
    const person = members.find((u) => u.type === 'person');
    expect(person?.type === 'person' && person.person.email).toMatch(/@/);
    expect(members.filter((u) => u.type === 'bot').every((u) => !('person' in u))).toBe(true);
    const guest = dataset.users.find((u) => u.guest && u.email === null);
    const guestWithEmail = dataset.users.find((u) => u.guest && u.email !== null);
    expect(await s.notion.users.retrieve({ user_id: guest?.id as string })).toMatchObject({ type: 'person', person: {} });
    expect(await s.notion.users.retrieve({ user_id: guestWithEmail?.id as string })).toMatchObject({ person: { email: guestWithEmail?.email } });
    expect(await plain.users.retrieve({ user_id: guestWithEmail?.id as string })).toMatchObject({ type: 'person', person: {} });
    const e = await apiError(s.notion.users.retrieve({ user_id: '00000000-0000-4000-8000-000000000000' }));
    expect(e.code).toBe('object_not_found');
  });

  it('answers 401 to an unknown token and 404 object_not_found for everything in an unshared database', async () => {
    const bad = new Client({ auth: 'nope', baseUrl: s.baseUrl, retry: false, logLevel: LogLevel.ERROR });
    expect((await apiError(bad.users.me({}))).code).toBe('unauthorized');
    const db = s.sim.control.databaseIds()[1] as string;
    const ds = s.sim.control.dataSourceIds('assets')[0] as string;
    const page = [...s.sim.control.truth().pages.values()].find((t) => t.dataSourceId === ds) as { pageId: string };
    s.sim.control.unshareDatabase(db);
    try {
      const reads = [
        () => s.notion.databases.retrieve({ database_id: db }),
        () => s.notion.dataSources.retrieve({ data_source_id: ds }),
        () => s.notion.dataSources.query({ data_source_id: ds }),
        () => s.notion.pages.retrieve({ page_id: page.pageId }),
        () => s.notion.comments.list({ block_id: page.pageId }),
      ];
      for (const read of reads) {
        const e = await apiError(read());
        expect([e.status, e.code]).toEqual([404, 'object_not_found']);
      }
    } finally {
      s.sim.control.shareDatabase(db);
    }
    expect((await s.notion.databases.retrieve({ database_id: db })).id).toBe(db);
  });
});

describe('changes, trash and writes', () => {
  let s: Awaited<ReturnType<typeof start>>;
  let ds: string;
  let pageId: string;
  beforeAll(async () => {
    s = await start();
    ds = s.sim.control.dataSourceIds('assets')[0] as string;
    pageId = ([...s.sim.control.truth().pages.values()].find((t) => t.dataSourceId === ds && !t.inTrash && t.stage !== 'Approved') as { pageId: string }).pageId;
  });
  afterAll(async () => s.sim.stop());

  const since = (at: string, op: 'on_or_after' | 'after' = 'on_or_after') =>
    s.notion.dataSources.query({ data_source_id: ds, filter: { timestamp: 'last_edited_time', last_edited_time: { [op]: at } as { on_or_after: string } }, sorts: [{ timestamp: 'last_edited_time', direction: 'ascending' }] });

  it('rounds last_edited_time down to the minute, so a window that starts at the sync\'s own clock misses an edit and an overlap finds it', async () => {
    s.clock.now = Date.parse('2026-11-21T10:20:40.000Z');
    s.sim.control.setStage(pageId, 'Approved');
    const syncClock = '2026-11-21T10:20:45.000Z';
    expect((await s.notion.pages.retrieve({ page_id: pageId }) as PageObjectResponse).last_edited_time).toBe('2026-11-21T10:20:00.000Z');
    expect((await since(syncClock)).results.map((r) => r.id)).not.toContain(pageId);
    expect((await since('2026-11-21T10:19:45.000Z')).results.map((r) => r.id)).toEqual([pageId]);
    expect((await since('2026-11-21T10:20:00.000Z', 'after')).results).toEqual([]);
    const compound = await s.notion.dataSources.query({
      data_source_id: ds,
      filter: { and: [{ timestamp: 'last_edited_time', last_edited_time: { on_or_after: '2026-11-21' } }, { property: P.stage, status: { equals: 'Approved' } }] },
    });
    expect(compound.results.map((r) => r.id)).toEqual([pageId]);
    expect(s.sim.control.truthOf(pageId)?.stage).toBe('Approved');
  });

  it('writes a status by name, a number and rich text, moving last_edited_time and last_edited_by to the integration', async () => {
    s.clock.now = Date.parse('2026-11-21T11:05:10.000Z');
    const me = await s.notion.users.me({});
    const out = (await s.notion.pages.update({
      page_id: pageId,
      properties: { [P.stage]: { status: { name: 'Client Review' } }, [P.revisionRound]: { number: 3 }, [P.opsStatus]: { rich_text: [{ text: { content: 'Needs client approval' } }] } },
    })) as PageObjectResponse;
    expect(out.last_edited_time).toBe('2026-11-21T11:05:00.000Z');
    expect(out.last_edited_by.id).toBe(me.id);
    expect(out.properties[P.stage]).toMatchObject({ type: 'status', status: { name: 'Client Review' } });
    expect(out.properties[P.revisionRound]).toMatchObject({ number: 3 });
    const state = s.sim.control.pageState(pageId);
    expect(state.page.properties[P.opsStatus]).toMatchObject({ rich_text: [{ plain_text: 'Needs client approval' }] });
  });

  it('refuses an unknown status, over-long text, too many items, a wrong type and an unknown property, and changes nothing', async () => {
    const before = s.sim.control.pageState(pageId);
    s.clock.now += 5 * 60_000;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ [P.stage]: { status: { name: 'Shipped' } } }, /Shipped/],
      [{ [P.opsStatus]: { rich_text: [{ text: { content: 'x'.repeat(2001) } }] } }, /rich_text\[0\]\.text\.content\.length should be ≤ `2000`/],
      [{ [P.opsStatus]: { rich_text: Array.from({ length: 101 }, () => ({ text: { content: 'a' } })) } }, /rich_text\.length should be ≤ `100`/],
      [{ [P.budget]: { number: '12' } }, /Budget\.number should be a number/],
      [{ [P.revisionRound]: { rich_text: [] } }, /expected to be number/],
      [{ Nope: { number: 1 } }, /Nope is not a property that exists/],
      [{ [P.lastEdited]: { last_edited_time: '2026-01-01' } }, /cannot be updated/],
    ];
    for (const [properties, message] of cases) {
      const e = await apiError(s.notion.pages.update({ page_id: pageId, properties: properties as never }));
      expect([e.status, e.code], JSON.stringify(properties).slice(0, 80)).toEqual([400, 'validation_error']);
      expect(e.message).toMatch(message);
    }
    expect(s.sim.control.pageState(pageId)).toEqual(before);
  });

  it('keeps trashed pages out of queries unless in_trash, still serves them, refuses edits until restored', async () => {
    s.sim.control.trashPage(pageId);
    const live = await collectPaginatedAPI(s.notion.dataSources.query, { data_source_id: ds });
    expect(live.map((r) => r.id)).not.toContain(pageId);
    const trash = await collectPaginatedAPI(s.notion.dataSources.query, { data_source_id: ds, in_trash: true });
    expect(trash.map((r) => r.id)).toContain(pageId);
    expect(pagesOf(trash).every((p) => p.in_trash)).toBe(true);
    expect(await s.notion.pages.retrieve({ page_id: pageId })).toMatchObject({ in_trash: true, archived: true });
    const e = await apiError(s.notion.pages.update({ page_id: pageId, properties: { [P.revisionRound]: { number: 4 } } }));
    expect(e.message).toMatch(/archived/);
    const restored = (await s.notion.pages.update({ page_id: pageId, in_trash: false, properties: { [P.revisionRound]: { number: 4 } } })) as PageObjectResponse;
    expect([restored.in_trash, restored.properties[P.revisionRound]]).toEqual([false, expect.objectContaining({ number: 4 })]);
    const v2026 = new Client({ auth: SIM_DEFAULT_TOKEN, baseUrl: s.baseUrl, notionVersion: '2026-03-11', retry: false, logLevel: LogLevel.ERROR });
    const page = await v2026.pages.retrieve({ page_id: pageId });
    expect('archived' in page).toBe(false);
    expect(page).toMatchObject({ in_trash: false });
  });

  it('lists unresolved comments only, paged; posts new discussions and replies as the integration', async () => {
    const withComments = [...s.sim.control.truth().pages.values()].find((t) => t.comments.length >= 3 && !t.inTrash) as { pageId: string; comments: { commentId: string; discussionId: string }[] };
    const listed = await collectPaginatedAPI(s.notion.comments.list, { block_id: withComments.pageId, page_size: 2 });
    expect(listed.map((c) => c.id)).toEqual(withComments.comments.map((c) => c.commentId));
    const first = withComments.comments[0] as { discussionId: string };
    s.sim.control.resolveDiscussion(first.discussionId);
    const after = await collectPaginatedAPI(s.notion.comments.list, { block_id: withComments.pageId });
    expect(after.some((c) => c.discussion_id === first.discussionId)).toBe(false);

    const made = await s.notion.comments.create({ parent: { page_id: withComments.pageId }, rich_text: [{ text: { content: 'Stageline: the naming convention is not met.' } }] });
    const me = await s.notion.users.me({});
    expect(made).toMatchObject({ created_by: { id: me.id }, display_name: { type: 'integration', resolved_name: me.name } });
    const reply = await s.notion.comments.create({ discussion_id: (made as { discussion_id: string }).discussion_id, rich_text: [{ text: { content: 'Fixed.' } }], display_name: { type: 'custom', custom: { name: 'Stageline' } } });
    expect(reply).toMatchObject({ discussion_id: (made as { discussion_id: string }).discussion_id, display_name: { type: 'custom', resolved_name: 'Stageline' } });
    const now = await collectPaginatedAPI(s.notion.comments.list, { block_id: withComments.pageId });
    expect(now.slice(-2).map((c) => c.id)).toEqual([made.id, reply.id]);
    const e = await apiError(s.notion.comments.create({ parent: { page_id: withComments.pageId }, rich_text: [{ text: { content: 'x'.repeat(2001) } }] }));
    expect(e.code).toBe('validation_error');
  });
});

describe('data-source schema: PATCH /v1/data_sources/{id} through dataSources.update', () => {
  let s: Awaited<ReturnType<typeof start>>;
  let ds: string;
  beforeAll(async () => {
    s = await start({ generate: { seed: 11, tasks: 60 } });
    ds = s.sim.control.dataSourceIds('assets')[0] as string;
  });
  afterAll(async () => s.sim.stop());

  const schema = async () => (await s.notion.dataSources.retrieve({ data_source_id: ds })) as DataSourceObjectResponse;
  const livePages = async () => pagesOf(await collectPaginatedAPI(s.notion.dataSources.query, { data_source_id: ds }));

  it('adds number (with its format), select (with its options), rich text and status properties: in the answer, the schema, every page (empty) and the truth; the data source is edited by the integration', async () => {
    const pagesBefore = (await livePages()).map((p) => [p.id, p.last_edited_time]);
    s.clock.now = Date.parse('2026-11-21T12:07:40.000Z');
    const me = await s.notion.users.me({});
    const answer = (await s.notion.dataSources.update({
      data_source_id: ds,
      properties: {
        'Approval score': { number: { format: 'percent' }, description: 'Share of approvers who signed off' },
        'Review outcome': { select: { options: [{ name: 'Passed', color: 'green' }, { name: 'Needs work' }] } },
        'Reviewer notes': { rich_text: {} },
        'Legal status': { status: {} },
      },
    })) as DataSourceObjectResponse;
    expect(answer.last_edited_time).toBe('2026-11-21T12:07:00.000Z');
    expect(answer.last_edited_by.id).toBe(me.id);
    const got = await schema();
    expect(got.properties).toEqual(answer.properties);
    expect(got.properties['Approval score']).toMatchObject({ type: 'number', number: { format: 'percent' }, description: 'Share of approvers who signed off' });
    const outcome = got.properties['Review outcome'];
    expect(outcome?.type === 'select' && outcome.select.options.map((o) => [o.name, o.color])).toEqual([['Passed', 'green'], ['Needs work', expect.any(String)]]);
    expect(got.properties['Reviewer notes']).toMatchObject({ type: 'rich_text', rich_text: {} });
    // Status options cannot be set through the API: a new status property has the app's defaults.
    const legal = got.properties['Legal status'];
    expect(legal?.type === 'status' && legal.status.options.map((o) => o.name)).toEqual(['Not started', 'In progress', 'Done']);
    expect(legal?.type === 'status' && legal.status.groups.map((g) => [g.name, g.option_ids.length])).toEqual([['To-do', 1], ['In progress', 1], ['Complete', 1]]);

    const pages = await livePages();
    expect(pages.length).toBeGreaterThan(0);
    for (const p of pages) {
      expect(p.properties['Approval score']).toMatchObject({ type: 'number', number: null });
      expect(p.properties['Review outcome']).toMatchObject({ type: 'select', select: null });
      expect(p.properties['Reviewer notes']).toMatchObject({ type: 'rich_text', rich_text: [] });
      expect(p.properties['Legal status']).toMatchObject({ type: 'status', status: null });
    }
    // A schema change edits no page.
    expect(pages.map((p) => [p.id, p.last_edited_time])).toEqual(pagesBefore);
    const truth = s.sim.control.truth().dataSources.find((d) => d.dataSourceId === ds);
    expect(truth?.lastEditedTime).toBe('2026-11-21T12:07:00.000Z');
    expect(truth?.properties).toEqual(expect.arrayContaining([
      { name: 'Approval score', type: 'number' },
      { name: 'Review outcome', type: 'select', options: ['Passed', 'Needs work'] },
      { name: 'Reviewer notes', type: 'rich_text' },
      { name: 'Legal status', type: 'status', options: ['Not started', 'In progress', 'Done'] },
    ]));

    // The new properties take values like any other.
    const page = pages[0] as PageObjectResponse;
    const written = (await s.notion.pages.update({ page_id: page.id, properties: { 'Approval score': { number: 0.75 }, 'Review outcome': { select: { name: 'Passed' } }, 'Legal status': { status: { name: 'Done' } } } })) as PageObjectResponse;
    expect(written.properties['Approval score']).toMatchObject({ number: 0.75 });
    expect(written.properties['Review outcome']).toMatchObject({ select: { name: 'Passed' } });
    expect(written.properties['Legal status']).toMatchObject({ status: { name: 'Done' } });
  });

  it('renames a property by id and removes one by name (null), with its values; adds select options and drops those left out', async () => {
    const before = await schema();
    const notes = before.properties['Reviewer notes'] as { id: string };
    const outcome = before.properties['Review outcome'] as { select: { options: { id: string; name: string }[] } };
    const passed = outcome.select.options.find((o) => o.name === 'Passed') as { id: string };
    const answer = (await s.notion.dataSources.update({
      data_source_id: ds,
      properties: { [notes.id]: { name: 'Review notes' }, 'Approval score': null, 'Review outcome': { select: { options: [{ id: passed.id }, { name: 'Escalated', color: 'red' }] } } },
    })) as DataSourceObjectResponse;
    expect(Object.keys(answer.properties)).toContain('Review notes');
    expect(Object.keys(answer.properties)).not.toContain('Reviewer notes');
    expect(answer.properties['Approval score']).toBeUndefined();
    expect(answer.properties['Review notes']).toMatchObject({ id: notes.id, type: 'rich_text' });
    const after = answer.properties['Review outcome'];
    expect(after?.type === 'select' && after.select.options.map((o) => o.name)).toEqual(['Passed', 'Escalated']);
    for (const p of await livePages()) {
      expect(Object.keys(p.properties)).not.toContain('Approval score');
      expect(p.properties['Review notes']).toMatchObject({ type: 'rich_text' });
    }
    const e = await apiError(s.notion.pages.update({ page_id: (await livePages())[0]!.id, properties: { 'Approval score': { number: 1 } } }));
    expect(e.message).toMatch(/Approval score is not a property that exists/);
  });

  it('refuses a wrong type, a duplicate name, too many or duplicate options, status options and the title\'s removal with validation_error naming the path, and changes nothing', async () => {
    const before = await schema();
    s.clock.now += 10 * 60_000;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ Score: { decimal: {} } }, /body\.properties\.Score\.decimal should be not present/],
      [{ Score: { type: 'select', number: {} } }, /body\.properties\.Score\.type should be `"number"`/],
      [{ Score: { description: 'no type' } }, /should have a property type to create "Score"/],
      [{ Score: { number: { format: 'Dollars!' } } }, /body\.properties\.Score\.number\.format should be a number format/],
      [{ 'Review notes': { name: P.stage } }, /body\.properties\.Review notes\.name should be a name no other property has/],
      [{ Score: { name: P.brief, number: {} } }, /body\.properties\.Score\.name should be a name no other property has/],
      [{ Pick: { select: { options: [{ name: 'A' }, { name: 'A' }] } } }, /body\.properties\.Pick\.select\.options\[1\]\.name should be unique/],
      [{ Pick: { select: { options: Array.from({ length: 101 }, (_, i) => ({ name: `o${i}` })) } } }, /body\.properties\.Pick\.select\.options\.length should be ≤ `100`/],
      [{ Pick: { select: { options: [{ name: 'a,b' }] } } }, /should not contain commas/],
      [{ Pick: { select: { options: [{ name: 'A', color: 'teal' }] } } }, /body\.properties\.Pick\.select\.options\[0\]\.color should be one of/],
      [{ Gate: { status: { options: [{ name: 'Open' }] } } }, /body\.properties\.Gate\.status\.options: it is not possible to update the name or options values of a status property/],
      [{ [P.stage]: { status: { options: [{ name: 'Shipped' }] } } }, /status\.options: it is not possible/],
      [{ [P.name]: null }, /the title property cannot be removed/],
      [{ Nope: null }, /Nope is not a property that exists/],
      [{ [P.revisionRound]: { select: {} } }, /changing Revision round from number to select is not modelled/],
      [{ Score: { number: {} }, Other: { name: 'Score', rich_text: {} } }, /body\.properties\.Other\.name should be a name no other property has/],
      [{ Huge: { name: 'x'.repeat(101), number: {} } }, /body\.properties\.Huge\.name\.length should be ≤ `100`/],
    ];
    for (const [properties, message] of cases) {
      const e = await apiError(s.notion.dataSources.update({ data_source_id: ds, properties: properties as never }));
      expect([e.status, e.code], JSON.stringify(properties).slice(0, 80)).toEqual([400, 'validation_error']);
      expect(e.message, JSON.stringify(properties).slice(0, 80)).toMatch(message);
    }
    expect(await schema()).toEqual(before);
  });

  it('needs the update-content capability (403 restricted_resource); an unknown data source is 404', async () => {
    s.sim.control.addToken('read-only', { capabilities: { updateContent: false } });
    const readOnly = new Client({ auth: 'read-only', baseUrl: s.baseUrl, retry: false, logLevel: LogLevel.ERROR });
    const before = await schema();
    const e = await apiError(readOnly.dataSources.update({ data_source_id: ds, properties: { Score: { number: {} } } }));
    expect([e.status, e.code]).toEqual([403, 'restricted_resource']);
    expect(await schema()).toEqual(before);
    const gone = await apiError(s.notion.dataSources.update({ data_source_id: '00000000-0000-4000-8000-000000000000', properties: { Score: { number: {} } } }));
    expect([gone.status, gone.code]).toEqual([404, 'object_not_found']);
  });
});

describe('control surface over HTTP', () => {
  it('edits a page as a person, reads its truth and counts calls per endpoint under /_sim/', async () => {
    const s = await start();
    try {
      const t = [...s.sim.control.truth().pages.values()].find((p) => !p.inTrash && p.stage !== 'Delivered') as { pageId: string };
      const post = (path: string, body: unknown) => fetch(`${s.baseUrl}/_sim/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post(`pages/${t.pageId}/stage`, { stage: 'Delivered' })).status).toBe(200);
      expect(((await post(`pages/${t.pageId}/stage`, { stage: 'Shipped' })).status)).toBe(400);
      const truth = (await (await fetch(`${s.baseUrl}/_sim/truth/pages/${t.pageId}`)).json()) as { stage: string; lastEditedTime: string };
      expect(truth).toMatchObject({ stage: 'Delivered', lastEditedTime: '2026-11-21T09:00:00.000Z' });
      await s.notion.pages.retrieve({ page_id: t.pageId });
      const calls = (await (await fetch(`${s.baseUrl}/_sim/calls`)).json()) as { byEndpoint: Record<string, number> };
      expect(calls.byEndpoint).toEqual({ 'GET /v1/pages/{id}': 1 });
    } finally {
      await s.sim.stop();
    }
  });
});

describe('limits and faults', () => {
  it('answers 429 rate_limited with an integer Retry-After and the reason once a token\'s burst is spent, and admits it again after the wait', async () => {
    const s = await start({ rateLimit: { perSecond: 1, burst: 2 } });
    try {
      await s.notion.users.me({});
      await s.notion.users.me({});
      const e = await apiError(s.notion.users.me({}));
      expect([e.status, e.code]).toEqual([429, 'rate_limited']);
      expect(e.headers instanceof Headers ? e.headers.get('retry-after') : null).toBe('1');
      expect(e.additional_data).toEqual({ rate_limit_reason: 'public_api_request_rate_limit' });
      await apiError(s.notion.users.me({}));
      expect(s.sim.control.calls().earlyRetries).toBe(1);
      s.clock.now += 1000;
      expect((await s.notion.users.me({})).type).toBe('bot');
    } finally {
      await s.sim.stop();
    }
  });

  it('answers injected 529 service_overload, which the SDK\'s own retries ride out when they are on', async () => {
    const s = await start();
    try {
      s.sim.control.injectFaults({ code: 'service_overload', times: 1 });
      const e = await apiError(s.notion.users.me({}));
      expect([e.status, e.code]).toEqual([529, 'service_overload']);
      s.sim.control.injectFaults({ code: 'service_overload', times: 2, retryAfterSeconds: 0, endpoint: 'GET /v1/users/me' });
      const retrying = new Client({ auth: SIM_DEFAULT_TOKEN, baseUrl: s.baseUrl, logLevel: LogLevel.ERROR });
      expect((await retrying.users.me({})).type).toBe('bot');
      expect(s.sim.control.calls().byStatus).toMatchObject({ '529': 3, '200': 1 });
    } finally {
      await s.sim.stop();
    }
  });

  it('requires Notion-Version and echoes it, and refuses a body over 500 KB', async () => {
    const s = await start();
    try {
      const url = `${s.baseUrl}/v1/users/me`;
      const auth = { Authorization: `Bearer ${SIM_DEFAULT_TOKEN}` };
      const missing = await fetch(url, { headers: auth });
      expect([missing.status, ((await missing.json()) as { code: string }).code]).toEqual([400, 'invalid_request']);
      const ok = await fetch(url, { headers: { ...auth, 'Notion-Version': '2026-03-11' } });
      expect([ok.status, ok.headers.get('notion-version')]).toEqual([200, '2026-03-11']);
      const ds = s.sim.control.dataSourceIds('assets')[0] as string;
      const big = await fetch(`${s.baseUrl}/v1/data_sources/${ds}/query`, { method: 'POST', headers: { ...auth, 'Notion-Version': '2025-09-03', 'Content-Type': 'application/json' }, body: JSON.stringify({ filter: { property: 'Name', title: { contains: 'x'.repeat(600_000) } } }) });
      expect([big.status, ((await big.json()) as { code: string }).code]).toEqual([400, 'validation_error']);
    } finally {
      await s.sim.stop();
    }
  });
});

describe('webhooks', () => {
  let receiver: Server;
  let url: string;
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/notion`;
  });
  afterAll(async () => new Promise<void>((r) => receiver.close(() => r())));

  it('sends the verification token first, then thin events signed so that the SDK\'s verifyWebhookSignature accepts them', async () => {
    const s = await start();
    try {
      const sub = await s.sim.control.subscribeWebhook(url);
      expect(JSON.parse(received[0]?.body ?? '{}')).toEqual({ verification_token: sub.verificationToken });
      const page = [...s.sim.control.truth().pages.values()].find((t) => !t.inTrash) as { pageId: string; dataSourceId: string };
      s.sim.control.setStage(page.pageId, 'Delivered');
      s.sim.control.addComment(page.pageId, 'Looks great.');
      await s.sim.control.flushWebhooks();
      const events = received.slice(1).map((r) => ({ ...r, payload: JSON.parse(r.body) as Record<string, unknown> }));
      expect(events.map((e) => e.payload.type)).toEqual(['page.properties_updated', 'comment.created']);
      const updated = events[0] as (typeof events)[number];
      expect(updated.payload).toMatchObject({ entity: { id: page.pageId, type: 'page' }, data: { parent: { type: 'database', data_source_id: page.dataSourceId }, updated_properties: [expect.any(String)] }, attempt_number: 1, api_version: '2025-09-03' });
      for (const e of events) {
        const signature = e.headers['x-notion-signature'] as string;
        expect(await verifyWebhookSignature({ body: e.body, signature, verificationToken: sub.verificationToken })).toBe(true);
        expect(await signWebhookPayload({ body: e.body, verificationToken: sub.verificationToken })).toBe(signature);
        expect(await verifyWebhookSignature({ body: e.body.replace('Delivered', 'Approved').replace('page', 'Page'), signature, verificationToken: sub.verificationToken })).toBe(false);
      }
    } finally {
      await s.sim.stop();
    }
  });
});
