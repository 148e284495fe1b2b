// NotionClient and NotionWriter against the Notion simulator (connectors/notion/simulator/, driven
// through @notionhq/client unchanged): every row of a data source and nothing twice, past the
// 10,000-row cap (made small here) with equal created_time minutes at the window boundary, resumed
// from a stored cursor; 429 and 529 with their Retry-After and no SDK retry; 404 naming the object;
// lost capabilities; long property lists; comments; changes since a time; write-back that lands once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stableId } from '../../mapping/ids';
import { Asset, Comment, Person, Version, emptyBatch, mergeBatches } from '../../mapping/model';
import { RateLimiter } from '../limiter';
import { readStamp } from '../stamp';
import { CallCounter, ConnectorError, type ConnectorErrorKind } from '../types';
import { NotionClient, decodeRowsCursor, encodeRowsCursor, type RowsCursor } from './client';
import { normalizeDataSource, normalizePage, resolveStage, type NotionUser } from './normalize';
import { NotionUserRaw, type NotionDataSourceRaw } from './raw';
import { type NotionSimulator, PROPERTY_NAMES as P, SIM_DEFAULT_TOKEN, createNotionSimulator } from './simulator';
import { NotionWriter, propertyWriteForm } from './writeback';

const T0 = Date.parse('2026-11-21T09:00:30.000Z');
const CONN = 'client-unit';
const clock = { now: T0 };
let sim: NotionSimulator;
let baseUrl: string;

beforeAll(async () => {
  sim = createNotionSimulator({ generate: { seed: 'notion-client', tasks: 160, projects: 2 }, rateLimit: null, clock: () => clock.now });
  ({ baseUrl } = await sim.start());
});
afterAll(async () => {
  await sim.stop();
});
afterEach(() => {
  sim.control.clearFaults();
  sim.control.setQueryResultLimit(10_000);
});

const limiter = () => new RateLimiter(600_000, 4);
const client = (over: { token?: string; baseUrl?: string; limiter?: RateLimiter; counter?: CallCounter } = {}) =>
  new NotionClient({ token: over.token ?? SIM_DEFAULT_TOKEN, baseUrl: over.baseUrl ?? baseUrl, limiter: over.limiter ?? limiter(), ...(over.counter ? { counter: over.counter } : {}) });
const idOf = (row: unknown) => (row as { id: string }).id;
const assetSources = () => sim.control.dataSourceIds('assets');
/** The simulator's truth: the live pages of a data source. */
const livePages = (ds: string) => [...sim.control.truth().pages.values()].filter((p) => p.dataSourceId === ds && !p.inTrash).map((p) => p.pageId);

async function failure(p: Promise<unknown>, kind: ConnectorErrorKind): Promise<ConnectorError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConnectorError);
  expect((err as ConnectorError).kind).toBe(kind);
  return err as ConnectorError;
}

/** Every row through rowsPage, the cursor stored as the engine stores it (a string) between pages. */
async function walk(api: NotionClient, ds: string, opts: Parameters<NotionClient['rowsPage']>[2] = {}): Promise<{ ids: string[]; windows: number; pages: number }> {
  const ids: string[] = [];
  let stored: string | null = null;
  let windows = 1;
  let pages = 0;
  do {
    const cursor: RowsCursor | null = stored === null ? null : decodeRowsCursor(stored);
    const page = await api.rowsPage(ds, cursor, opts);
    ids.push(...page.rows.map(idOf));
    pages++;
    if (page.next) windows = page.next.windows;
    stored = page.next ? encodeRowsCursor(page.next) : null;
  } while (stored !== null);
  return { ids, windows, pages };
}

describe('reads', () => {
  it('who am I, the workspace users with their emails, a database and its data source schema', async () => {
    const api = client();
    const me = await api.me();
    expect(me).toMatchObject({ id: sim.control.dataset.bot.id, type: 'bot' });
    const users = (await api.users()).map((u) => NotionUserRaw.parse(u));
    const members = sim.control.dataset.users.filter((u) => users.some((x) => x.id === u.id));
    expect(members.length).toBeGreaterThan(5);
    for (const u of members) if (u.type === 'person' && u.email) expect(users.find((x) => x.id === u.id)?.person?.email).toBe(u.email);
    const assets = sim.control.truth().dataSources.find((d) => d.role === 'assets')!;
    const db = await api.database(assets.databaseId);
    expect(db.data_sources.map((d) => d.id)).toContain(assets.dataSourceId);
    const ds = await api.dataSource(assets.dataSourceId);
    expect(Object.values(ds.properties).map((p) => p.name)).toEqual(expect.arrayContaining([P.name, P.stage, P.files]));
    expect(api.counter.toJSON()).toMatchObject({ 'GET /users/me': 1, 'GET /databases/{id}': 1, 'GET /data_sources/{id}': 1 });
  });

  it('every row of a data source once, in created_time order, resumed from a stored cursor on any page', async () => {
    const [ds] = assetSources();
    const { ids, pages, windows } = await walk(client(), ds!, { pageSize: 7 });
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(windows).toBe(1);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(livePages(ds!).sort());
  });

  it('a data source larger than the cap: windows by created_time return every row once, checked against the truth', async () => {
    const ds = assetSources()[1]!;
    sim.control.setQueryResultLimit(20);
    const counter = new CallCounter();
    const { ids, windows } = await walk(client({ counter }), ds, { pageSize: 9 });
    expect(windows).toBeGreaterThan(2);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(livePages(ds).sort());
    // A capped query ends with has_more false: without request_status the walk would stop at 20 rows.
    expect(ids.length).toBeGreaterThan(20);
    expect(counter.toJSON()['POST /data_sources/{id}/query']).toBeGreaterThan(windows);
  });

  it('rows sharing the created_time minute at a window boundary are neither lost nor repeated; more rows in one minute than the cap is an error naming the minute', async () => {
    const ds = assetSources()[0]!;
    const make = (minute: string, n: number, tag: string) => {
      clock.now = Date.parse(minute) + 15_000;
      return Array.from({ length: n }, (_, i) => sim.control.createPage(ds, { [P.name]: { title: [{ text: { content: `${tag} ${i}` } }] } }));
    };
    const a = make('2030-01-01T10:00:00.000Z', 5, 'A');
    const b = make('2030-01-01T10:01:00.000Z', 5, 'B');
    sim.control.setQueryResultLimit(7);
    const since = { timestamp: 'created_time', created_time: { on_or_after: '2030-01-01T10:00:00.000Z' } } as const;
    // Window 1: A0-4 and B0-1, cut inside minute B; window 2 starts at B's minute and skips B0-1.
    const { ids, windows } = await walk(client(), ds, { pageSize: 3, filter: since });
    expect(windows).toBe(2);
    expect([...ids].sort()).toEqual([...a, ...b].sort());
    const c = make('2030-01-01T10:05:00.000Z', 8, 'C');
    const hole = { timestamp: 'created_time', created_time: { on_or_after: '2030-01-01T10:05:00.000Z' } } as const;
    const err = await failure(walk(client(), ds, { filter: hole }), 'invalid_config');
    expect(err.message).toContain('share created_time 2030-01-01T10:05:00.000Z');
    expect(c).toHaveLength(8);
    for (const id of [...a, ...b, ...c]) sim.control.trashPage(id);
    clock.now = T0;
  });

  it('changedSince finds a page edited after a time, sorted by last edit, and filter_properties trims every row', async () => {
    const ds = assetSources()[0]!;
    const page = livePages(ds)[3]!;
    clock.now = Date.parse('2031-02-03T04:05:06.000Z');
    sim.control.setStage(page, 'Approved');
    const api = client();
    const changed = await api.changedSince(ds, '2031-02-03T04:05:00.000Z', null);
    expect(changed.rows.map(idOf)).toEqual([page]);
    expect(changed.next).toBeNull();
    const stageId = (await api.dataSource(ds)).properties[P.stage]!.id;
    const trimmed = await api.rowsPage(ds, null, { pageSize: 5, filterProperties: [stageId] });
    for (const row of trimmed.rows) expect(Object.values((row as { properties: Record<string, { id: string }> }).properties).map((p) => p.id)).toEqual([stageId]);
    clock.now = T0;
  });

  it('a trashed page leaves the rows but still reads (200, in_trash), and normalizes to a tombstone', async () => {
    const ds = assetSources()[1]!;
    const page = livePages(ds)[2]!;
    clock.now = Date.parse('2031-03-04T05:06:07.000Z');
    sim.control.trashPage(page);
    const api = client();
    const { ids } = await walk(api, ds);
    expect(ids).not.toContain(page);
    expect([...ids].sort()).toEqual(livePages(ds).sort());
    const raw = await api.page(page);
    expect(raw).toMatchObject({ id: page, in_trash: true });
    const schema = await api.dataSource(ds);
    const stage = resolveStage(schema, { '*': { property: P.stage, map: sim.control.truth().defaultStageMap } }, { connectionId: CONN });
    if (!stage.ok) throw new Error('stage');
    const { batch } = normalizePage({ page: raw }, { connectionId: CONN, dataSource: { id: ds, projectId: stableId(CONN, 'notion_data_source', ds), properties: schema.properties }, stage: stage.value, users: new Map(), rolesOf: () => [] });
    expect(batch.tombstones).toEqual([{ kind: 'asset', ids: [stableId(CONN, 'notion_page', page)], at: '2031-03-04T05:06:00.000Z' }]);
    sim.control.restorePage(page);
    clock.now = T0;
  });

  it('a long relation is read whole through the property endpoint', async () => {
    const api = client();
    const [clients] = sim.control.dataSourceIds('clients');
    const rows = (await api.allRows(clients!)).rows as { id: string; properties: Record<string, { id: string; type: string; has_more?: boolean; relation?: unknown[] }> }[];
    const long = rows.flatMap((r) => Object.values(r.properties).filter((p) => p.type === 'relation' && p.has_more === true).map((p) => ({ page: r.id, prop: p })))[0];
    expect(long, 'a client page with more related assets than a page object carries').toBeDefined();
    const items = await api.propertyItems(long!.page, long!.prop.id);
    expect(items.length).toBeGreaterThan(long!.prop.relation!.length);
    expect(new Set(items.map((i) => (i as { relation: { id: string } }).relation.id)).size).toBe(items.length);
  });

  it('comments: the unresolved ones of a page, as the truth lists them', async () => {
    const api = client();
    const withComments = [...sim.control.truth().pages.values()].find((p) => p.comments.length > 1 && !p.inTrash)!;
    const got = await api.comments(withComments.pageId);
    expect(got.map(idOf)).toEqual(withComments.comments.map((c) => c.commentId));
  });

  it('a whole simulated workspace normalizes with zero rejections, every record valid, comments and versions as the truth has them', async () => {
    const api = client();
    const users = new Map<string, NotionUser>((await api.users()).map((u) => NotionUserRaw.parse(u)).map((u) => [u.id, { email: u.person?.email ?? null, name: u.name ?? null, type: u.type ?? null }]));
    const batch = emptyBatch();
    let rows = 0;
    let truncated = 0;
    for (const dsId of assetSources()) {
      const raw: NotionDataSourceRaw = await api.dataSource(dsId);
      const project = normalizeDataSource(raw, { connectionId: CONN });
      expect(project.ok).toBe(true);
      const stage = resolveStage(raw, { '*': { property: P.stage, map: sim.control.truth().defaultStageMap } }, { connectionId: CONN });
      if (!stage.ok) throw new Error(JSON.stringify(stage.issues));
      for (const page of (await api.allRows(dsId)).rows) {
        const { batch: b, report } = normalizePage(
          { page, comments: await api.comments(idOf(page)) },
          { connectionId: CONN, dataSource: { id: dsId, projectId: stableId(CONN, 'notion_data_source', dsId), properties: raw.properties }, stage: stage.value, users, rolesOf: () => [] },
        );
        mergeBatches(batch, b);
        rows++;
        truncated += report.truncated.length;
        const truth = sim.control.truthOf(idOf(page))!;
        expect(b.comments.map((c) => c.externalId), truth.pageId).toEqual(truth.comments.map((c) => c.commentId));
        expect(b.versions.map((v) => [v.name, v.url]), truth.pageId).toEqual(truth.versions.map((v) => [v.name, v.url]));
        expect(b.assets[0]!.sourceStatus).toBe(truth.stage);
      }
    }
    expect(batch.rejected).toEqual([]);
    expect(batch.assets).toHaveLength(rows);
    for (const a of batch.assets) Asset.parse(a);
    for (const v of batch.versions) Version.parse(v);
    for (const c of batch.comments) Comment.parse(c);
    for (const p of batch.persons) Person.parse(p);
    expect(batch.versions.length).toBeGreaterThan(0);
    expect(batch.comments.length).toBeGreaterThan(0);
    expect(truncated).toBe(0);
  });

  it('a base URL with a trailing slash still reaches /v1 (the SDK would send //v1/)', async () => {
    await expect(client({ baseUrl: `${baseUrl}/` }).me()).resolves.toMatchObject({ id: sim.control.dataset.bot.id });
  });
});

describe('errors', () => {
  it('429 with Retry-After: rate_limited with the wait, one request only (SDK retries off), and the credential paused', async () => {
    const slept: number[] = [];
    let now = 1_000_000;
    const paced = new RateLimiter(600_000, 4, () => now, async (ms) => {
      slept.push(ms);
      now += ms;
    });
    const api = client({ limiter: paced });
    sim.control.resetCalls();
    sim.control.injectFaults({ code: 'rate_limited', retryAfterSeconds: 3, endpoint: 'GET /v1/users/me' });
    const err = await failure(api.me(), 'rate_limited');
    expect(err.details).toMatchObject({ status: 429, retryAfterMs: 3000, endpoint: 'GET /users/me' });
    expect(sim.control.calls().byEndpoint['GET /v1/users/me']).toBe(1);
    // The next request of the same credential waits the vendor's time before it is sent.
    await api.me();
    expect(slept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2_900);
  });

  it('529 service_overload is a slow-down too, with its Retry-After', async () => {
    sim.control.injectFaults({ code: 'service_overload', retryAfterSeconds: 2 });
    const err = await failure(client().me(), 'rate_limited');
    expect(err.details).toMatchObject({ status: 529, retryAfterMs: 2000 });
  });

  it('404 object_not_found names the data source; an unshared database answers the same', async () => {
    const missing = '0f0f0f0f-0000-4000-8000-000000000000';
    const err = await failure(client().queryDataSource(missing), 'not_found');
    expect(err.details.status).toBe(404);
    expect(err.message).toContain(`data source ${missing}`);
    const [dbId] = sim.control.databaseIds();
    sim.control.unshareDatabase(dbId!);
    try {
      await failure(client().database(dbId!), 'not_found');
    } finally {
      sim.control.shareDatabase(dbId!);
    }
  });

  it('a revoked token is auth_revoked (401); a token without the comment capability is auth_revoked (403 restricted_resource)', async () => {
    sim.control.addToken('revoked-soon');
    sim.control.revokeToken('revoked-soon');
    expect((await failure(client({ token: 'revoked-soon' }).me(), 'auth_revoked')).details.status).toBe(401);
    sim.control.addToken('no-comments', { capabilities: { readComments: false } });
    const page = livePages(assetSources()[0]!)[0]!;
    const err = await failure(client({ token: 'no-comments' }).comments(page), 'auth_revoked');
    expect(err.details.status).toBe(403);
    expect(err.message).toContain('restricted_resource');
  });

  it('a user Notion cannot show is null and counted as ignored (manifest.ignore), not an error; other failures still are', async () => {
    const api = client();
    expect(await api.userOrNull('0e0e0e0e-0000-4000-8000-000000000000')).toBeNull();
    expect(api.ignored.toJSON()).toEqual({ 'GET /users/{id} object_not_found': 1 });
    expect(await api.userOrNull(sim.control.dataset.bot.id)).toMatchObject({ id: sim.control.dataset.bot.id });
    sim.control.injectFaults({ code: 'service_unavailable' });
    await failure(api.userOrNull(sim.control.dataset.bot.id), 'vendor_unavailable');
  });

  it('a refused connection is vendor_unavailable (retryable), not a bug of ours', async () => {
    const err = await failure(client({ baseUrl: 'http://127.0.0.1:1' }).me(), 'vendor_unavailable');
    expect(err.message).toMatch(/^Notion GET \/users\/me \(the token\): network error/);
  });

  it('a page size outside 1-100 is refused before sending', async () => {
    await failure(client().queryDataSource(assetSources()[0]!, { pageSize: 101 }), 'invalid_config');
  });
});

describe('NotionWriter against the simulator', () => {
  it('properties in one PATCH that lands, then nothing to send; an unknown status option refused before sending', async () => {
    const ds = assetSources()[0]!;
    const page = livePages(ds)[5]!;
    const reader = client();
    const writer = new NotionWriter({ client: reader });
    const schema = (await reader.dataSource(ds)).properties;
    sim.control.resetCalls();
    const target = { [P.revisionRound]: { number: 3 }, [P.opsStatus]: { rich_text: 'Over the revision cap' }, [P.stage]: { status: 'Client Review' } };
    const before = propertyWriteForm(await reader.page(page));
    expect(await writer.setProperties(page, target, before, { schema, stampKey: 'ops1' })).toBe(true);
    const after = propertyWriteForm(await reader.page(page));
    expect(after).toMatchObject({ [P.revisionRound]: { number: 3 }, [P.opsStatus]: { rich_text: 'Over the revision cap' }, [P.stage]: { status: 'Client Review' } });
    expect(await writer.setProperties(page, target, after, { schema, stampKey: 'ops1' })).toBe(false);
    await failure(writer.setProperties(page, { [P.stage]: { status: 'Done' } }, after, { schema }), 'invalid_config');
    expect(sim.control.calls().byEndpoint['PATCH /v1/pages/{id}']).toBe(1);
  });

  it('a violation comment is posted once, stamped; read back, it is recognized as Stageline\'s own', async () => {
    const ds = assetSources()[0]!;
    const page = livePages(ds)[6]!;
    const reader = client();
    const writer = new NotionWriter({ client: reader });
    sim.control.resetCalls();
    const first = await writer.addViolationComments(page, [{ key: 'v-naming', text: 'Naming: expected ACME-HOL-0042_banner_300x250_v03.png' }], await reader.comments(page));
    expect(first[0]!.id).not.toBeNull();
    const listed = await reader.comments(page);
    const mine = listed.find((c) => idOf(c) === first[0]!.id) as { rich_text: { plain_text: string }[] };
    expect(readStamp(mine.rich_text.map((t) => t.plain_text).join(''))).toBe('v-naming');
    const again = await writer.addViolationComments(page, [{ key: 'v-naming', text: 'Naming: expected ACME-HOL-0042_banner_300x250_v03.png' }], listed);
    expect(again).toEqual([{ key: 'v-naming', id: null }]);
    expect(sim.control.calls().byEndpoint['POST /v1/comments']).toBe(1);
    const raw = await reader.dataSource(ds);
    const stage = resolveStage(raw, { '*': { property: P.stage, map: sim.control.truth().defaultStageMap } }, { connectionId: CONN });
    if (!stage.ok) throw new Error('stage');
    const { batch, report } = normalizePage(
      { page: await reader.page(page), comments: listed },
      { connectionId: CONN, dataSource: { id: ds, projectId: stableId(CONN, 'notion_data_source', ds), properties: raw.properties }, stage: stage.value, users: new Map(), rolesOf: () => [] },
    );
    expect(report.ownComments).toBe(1);
    expect(batch.comments.map((c) => c.externalId)).not.toContain(first[0]!.id);
  });
});
