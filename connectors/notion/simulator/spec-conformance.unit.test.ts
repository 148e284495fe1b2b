// The simulator's answers against the SDK's own declarations (@notionhq/client 5.26
// `build/src/api-endpoints/*.d.ts`): at the type level, what each endpoint answers is the SDK's
// response type; at run time, every object type the simulator returns carries every required key the
// .d.ts declares for it (read from the declaration file itself, so a newer SDK that adds a key fails
// here), under both Notion-Version values; error bodies use only the SDK's error codes.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { APIErrorCode, Client, type CommentObjectResponse, type DataSourceObjectResponse, type DatabaseObjectResponse, LogLevel, type PageObjectResponse, type UpdateDataSourceResponse, type UserObjectResponse } from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { ERROR_CODES, type NotionSimulator, SIM_DEFAULT_TOKEN, createNotionSimulator } from './index';
import { commentJson, dataSourceJson, databaseJson, pageJson, userJson } from './serialize';

const require = createRequire(import.meta.url);
const ENDPOINTS = join(dirname(require.resolve('@notionhq/client')), 'api-endpoints');

/** The required top-level keys of `type <name> = { … }` in an SDK declaration file. */
function requiredKeys(file: string, name: string): string[] {
  const text = readFileSync(join(ENDPOINTS, file), 'utf8');
  const at = text.search(new RegExp(`type ${name} = \\{`));
  if (at < 0) throw new Error(`no type ${name} in ${file}`);
  const keys: string[] = [];
  let depth = 0;
  let i = text.indexOf('{', at);
  for (; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{') depth++;
    else if (ch === '}') {
      if (--depth === 0) break;
    } else if (depth === 1 && /[a-z_]/.test(ch ?? '') && /[\s{;]/.test(text[i - 1] ?? '')) {
      const m = /^([a-z_]+)(\??):/.exec(text.slice(i));
      if (m) {
        if (m[2] !== '?') keys.push(m[1] as string);
        i += m[0].length - 1;
      }
    }
  }
  return keys;
}

const missing = (value: unknown, keys: string[]): string[] => keys.filter((k) => !(k in (value as object)));

describe('the SDK declarations the checks read', () => {
  it('finds the required keys of the object types', () => {
    expect(requiredKeys('common.d.ts', 'PageObjectResponse')).toEqual(expect.arrayContaining(['object', 'id', 'created_time', 'last_edited_time', 'in_trash', 'archived', 'properties', 'parent']));
    expect(requiredKeys('common.d.ts', 'PageObjectResponse')).toHaveLength(16);
    expect(requiredKeys('data-sources.d.ts', 'QueryDataSourceResponse')).toEqual(['type', 'page_or_data_source', 'object', 'next_cursor', 'has_more', 'results']);
  });
});

describe('answers against the SDK response types', () => {
  let sim: NotionSimulator;
  let baseUrl: string;
  beforeAll(async () => {
    sim = createNotionSimulator({ generate: { seed: 9, tasks: 120 }, rateLimit: null });
    baseUrl = (await sim.start()).baseUrl;
  });
  afterAll(async () => sim.stop());

  for (const version of ['2025-09-03', '2026-03-11'] as const) {
    it(`${version}: every object carries the keys its type requires`, async () => {
      const notion = new Client({ auth: SIM_DEFAULT_TOKEN, baseUrl, notionVersion: version, retry: false, logLevel: LogLevel.ERROR });
      // `archived` is "present for backwards compatibility with API versions prior to 2026-03-11".
      const req = (file: string, name: string): string[] => requiredKeys(file, name).filter((k) => version === '2025-09-03' || k !== 'archived');
      const problems: string[] = [];
      const check = (what: string, value: unknown, keys: string[]): void => {
        const gone = missing(value, keys);
        if (gone.length > 0) problems.push(`${what}: missing ${gone.join(', ')}`);
      };
      const me = await notion.users.me({});
      check('users.me', me, [...req('common.d.ts', 'UserObjectResponseCommon'), ...req('common.d.ts', 'BotUserObjectResponse')]);
      const users = await notion.users.list({});
      check('users.list', users, req('users.d.ts', 'ListUsersResponse'));
      const person = users.results.find((u) => u.type === 'person');
      check('person', person, [...req('common.d.ts', 'UserObjectResponseCommon'), ...req('common.d.ts', 'PersonUserObjectResponse')]);
      const dbId = sim.control.databaseIds()[1] as string;
      const db = await notion.databases.retrieve({ database_id: dbId });
      check('database', db, req('databases.d.ts', 'DatabaseObjectResponse'));
      for (const ref of (db as DatabaseObjectResponse).data_sources) check('data_sources[]', ref, req('databases.d.ts', 'DataSourceReferenceResponse'));
      const dsId = sim.control.dataSourceIds('assets')[0] as string;
      const ds = await notion.dataSources.retrieve({ data_source_id: dsId });
      check('data source', ds, req('data-sources.d.ts', 'DataSourceObjectResponse'));
      for (const prop of Object.values((ds as { properties: Record<string, unknown> }).properties)) check('property config', prop, req('data-sources.d.ts', 'DatabasePropertyConfigResponseCommon'));
      // PATCH /v1/data_sources/{id} answers the whole data source (UpdateDataSourceResponse), new properties included.
      const updated = await notion.dataSources.update({ data_source_id: dsId, properties: { [`Score ${version}`]: { number: { format: 'percent' } }, [`Gate ${version}`]: { select: { options: [{ name: 'Open' }] } }, [`Flow ${version}`]: { status: {} } } });
      check('data source update', updated, req('data-sources.d.ts', 'DataSourceObjectResponse'));
      const added = Object.entries((updated as { properties: Record<string, { type: string }> }).properties).filter(([name]) => name.endsWith(version));
      expect(added.map(([, p]) => p.type).sort()).toEqual(['number', 'select', 'status']);
      for (const [name, prop] of added) {
        check(`new property ${name}`, prop, [...req('data-sources.d.ts', 'DatabasePropertyConfigResponseCommon'), prop.type]);
        const config = (prop as unknown as Record<string, unknown>)[prop.type] as object;
        check(`new property ${name} config`, config, prop.type === 'number' ? ['format'] : prop.type === 'select' ? ['options'] : ['options', 'groups']);
      }
      if (version === '2026-03-11') expect('archived' in updated).toBe(false);
      const q = await notion.dataSources.query({ data_source_id: dsId, page_size: 20 });
      check('query', q, req('data-sources.d.ts', 'QueryDataSourceResponse'));
      for (const page of q.results) {
        check('page', page, req('common.d.ts', 'PageObjectResponse'));
        for (const [name, v] of Object.entries((page as PageObjectResponse).properties)) {
          check(`property ${name}`, v, ['id', 'type', (v as { type: string }).type]);
          if (v.type === 'files') for (const f of v.files) check('file', f, ['name', 'type', f.type]);
          if (v.type === 'people') for (const u of v.people) check('people[]', u, ['object', 'id']);
        }
      }
      if (version === '2026-03-11') expect(q.results.some((p) => 'archived' in p)).toBe(false);
      const withComments = [...sim.control.truth().pages.values()].find((t) => t.comments.length > 0) as { pageId: string };
      const comments = await notion.comments.list({ block_id: withComments.pageId });
      check('comments.list', comments, req('comments.d.ts', 'ListCommentsResponse'));
      for (const c of comments.results) check('comment', c, req('comments.d.ts', 'CommentObjectResponse'));
      const page = q.results[0] as PageObjectResponse;
      const title = await notion.pages.properties.retrieve({ page_id: page.id, property_id: 'title' });
      check('property item list', title, req('pages.d.ts', 'PropertyItemPropertyItemListResponse'));
      const stageId = (page.properties.Stage as { id: string }).id;
      check('property item', await notion.pages.properties.retrieve({ page_id: page.id, property_id: stageId }), req('pages.d.ts', 'StatusPropertyItemObjectResponse'));
      expect(problems).toEqual([]);
    });
  }

  it('error bodies are the SDK\'s error object with one of its codes, for every code the simulator can answer', async () => {
    expect([...ERROR_CODES].sort()).toEqual(Object.values(APIErrorCode).sort());
    const notion = new Client({ auth: SIM_DEFAULT_TOKEN, baseUrl, retry: false, logLevel: LogLevel.ERROR });
    for (const code of ERROR_CODES) {
      sim.control.injectFaults({ code, times: 1 });
      const res = await fetch(`${baseUrl}/v1/users/me`, { headers: { Authorization: `Bearer ${SIM_DEFAULT_TOKEN}`, 'Notion-Version': '2025-09-03' } });
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ object: 'error', status: res.status, code });
      expect(typeof body.message === 'string' && typeof body.request_id === 'string').toBe(true);
    }
    sim.control.injectFaults({ code: 'conflict_error' });
    await expect(notion.users.me({})).rejects.toMatchObject({ name: 'APIResponseError', code: 'conflict_error', status: 409 });
  });

  it('webhook payloads carry every key of BaseWebhookPayload and their event type', async () => {
    const base = requiredKeys('webhooks.d.ts', 'BaseWebhookPayload');
    const bodies: string[] = [];
    const { createServer } = await import('node:http');
    const receiver = createServer((req, res) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += c.toString()));
      req.on('end', () => {
        bodies.push(b);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (receiver.address() as { port: number }).port;
      await sim.control.subscribeWebhook(`http://127.0.0.1:${port}/`);
      const t = [...sim.control.truth().pages.values()].find((p) => !p.inTrash) as { pageId: string };
      sim.control.trashPage(t.pageId);
      sim.control.restorePage(t.pageId);
      await sim.control.flushWebhooks();
      const events = bodies.slice(1).map((b) => JSON.parse(b) as Record<string, unknown>);
      expect(events.map((e) => e.type)).toEqual(['page.deleted', 'page.undeleted']);
      for (const e of events) expect(missing(e, [...base, 'type', 'entity', 'data'])).toEqual([]);
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});

describe('type level', () => {
  it('each serializer answers the SDK type of its endpoint', () => {
    expectTypeOf(pageJson).returns.toMatchTypeOf<PageObjectResponse | Omit<PageObjectResponse, 'archived'>>();
    expectTypeOf(databaseJson).returns.toMatchTypeOf<DatabaseObjectResponse | Omit<DatabaseObjectResponse, 'archived'>>();
    expectTypeOf(dataSourceJson).returns.toHaveProperty('properties');
    expectTypeOf<DataSourceObjectResponse>().toMatchTypeOf<UpdateDataSourceResponse>();
    expectTypeOf(commentJson).returns.toEqualTypeOf<CommentObjectResponse>();
    expectTypeOf(userJson).returns.toEqualTypeOf<UserObjectResponse>();
  });
});
