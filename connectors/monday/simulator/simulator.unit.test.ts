// The monday simulator's behaviours: a deterministic account built from the shared agency, paging
// with expiring cursors, complexity accounting and monday's limit errors, activity logs that tell
// the generator's ground truth, write-back, webhooks with the challenge handshake, and the official
// @mondaydotcomorg/api client end to end.

import { createHash, createHmac } from 'node:crypto';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type FragmentDefinitionNode, type OperationDefinitionNode, parse } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateAgency } from '../../asana/simulator';
import {
  type MondaySimulator,
  type TruthTransition,
  SIM_DEFAULT_TOKEN,
  createMondaySimulator,
  generateMonday,
  mondaySchema,
  queryCost,
} from './index';

type Json = Record<string, unknown>;

// The official client, loaded without its type declarations: they pull in the DOM lib
// (graphql-request → cross-fetch's `/// <reference lib="dom" />`), which changes the global fetch
// types of the whole program. What the test uses is typed here instead.
interface SdkClient {
  request<T>(query: string, variables?: Json): Promise<T>;
  rawRequest<T>(query: string, variables?: Json): Promise<{ data: T; extensions?: unknown; status: number }>;
  operations: {
    getMeOp(): Promise<{ me?: { email: string } | null }>;
    changeMultipleColumnValuesOp(v: { boardId: string; itemId: string; columnValues: string }): Promise<{ change_multiple_column_values?: { id: string } | null }>;
  };
}
interface SdkClientError extends Error {
  response: { status: number; errors?: { extensions?: Json }[] };
}
const SDK_PACKAGE = '@mondaydotcomorg/api';
const loadSdk = async (): Promise<{ ApiClient: new (config: { token: string; endpoint: string; apiVersion?: string }) => SdkClient; ClientError: new () => SdkClientError }> =>
  (await import(/* @vite-ignore */ SDK_PACKAGE)) as never;

const T0 = Date.parse('2026-11-21T09:00:00.000Z');

async function gql(endpoint: string, query: string, variables: Json = {}, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Json }> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: SIM_DEFAULT_TOKEN, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

const data = (r: { body: Json }): Json => {
  expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
  return r.body.data as Json;
};

describe('generateMonday', () => {
  it('builds the same account for the same agency and seed, and a different one for another seed', () => {
    const digest = (seed: string): string => {
      const m = generateMonday(generateAgency({ seed: 7, tasks: 150 }), { seed });
      const boards = m.dataset.boards.map((b) => ({ id: b.id, name: b.name, items: b.items.map((i) => [i.id, i.name, i.state, [...i.values.entries()]]), log: b.activity.map((a) => [a.id, a.event, a.createdAt, a.data()]) }));
      // Records point at each other; the digest follows values, not references.
      const drop = new Set(['item', 'board', 'uploadedBy', 'creator', 'update']);
      const text = JSON.stringify({ boards, truth: [...m.truth.items.values()] }, (k, v: unknown) => (drop.has(k) && typeof v === 'object' && v !== null ? (v as { id?: unknown }).id : v));
      return createHash('sha256').update(text).digest('hex');
    };
    expect(digest('a')).toBe(digest('a'));
    expect(digest('a')).not.toBe(digest('b'));
  });

  it('mirrors each campaign project as a board with a subitems board, stage by status column or by group', () => {
    const agency = generateAgency({ seed: 3, tasks: 600 });
    const m = generateMonday(agency, { seed: 3 });
    const boards = m.dataset.boards.filter((b) => b.type === 'board');
    expect(boards.map((b) => b.name)).toEqual(agency.dataset.projects.map((p) => p.name));
    expect(m.dataset.boards.filter((b) => b.type === 'sub_items_board').length).toBe(boards.length);
    expect(new Set(boards.map((b) => b.stageSource))).toEqual(new Set(['status', 'group']));
    for (const b of boards) {
      const tasks = agency.dataset.projects.find((p) => p.gid === b.projectGid)?.tasks ?? [];
      expect(b.items.map((i) => i.taskGid)).toEqual(tasks.map((t) => t.gid));
    }
    // Same people, same emails; client reviewers are guests.
    expect(m.dataset.users.map((u) => u.email)).toEqual(agency.dataset.users.map((u) => u.email));
    expect(m.dataset.users.filter((u) => u.role === 'client_reviewer').every((u) => u.userKind === 'guest')).toBe(true);
    // Every item's stage history is the Asana task's.
    for (const t of m.truth.items.values()) {
      const asana = agency.truth.tasks.get(t.taskGid as string);
      expect(t.transitions.map((x) => [x.from, x.to, x.at])).toEqual(asana?.transitions.map((x) => [x.from, x.to, x.at]));
    }
    const truths = [...m.truth.items.values()];
    expect(truths.some((t) => t.state === 'archived')).toBe(true);
    expect(truths.some((t) => t.state === 'deleted')).toBe(true);
    expect(truths.some((t) => t.versions.some((v) => v.source === 'asset'))).toBe(true);
    expect(truths.some((t) => t.versions.some((v) => v.source === 'google_drive'))).toBe(true);
    expect(truths.some((t) => t.updates.some((u) => u.parentUpdateId !== null))).toBe(true);
    expect(truths.some((t) => t.decisions.some((d) => d.status === 'changes_requested'))).toBe(true);
    // Item ids do not fit a 32-bit integer, as monday's do not.
    expect(Number(truths[0]?.itemId)).toBeGreaterThan(2 ** 31);
  });
});

describe('monday simulator', () => {
  let now = T0;
  const clock = (): number => now;
  let sim: MondaySimulator;
  let endpoint: string;

  beforeAll(async () => {
    sim = createMondaySimulator({ generate: { seed: 'behaviours', tasks: 400, projects: 2 }, clock });
    endpoint = (await sim.start()).endpoint;
  });
  afterAll(async () => {
    await sim?.stop();
  });
  afterEach(() => {
    now += 120_000;
    sim.control.clearFaults();
    sim.control.setComplexityBudget({ perMinute: 10_000_000, perQueryMax: 5_000_000 });
    sim.control.setRateLimit(null);
    sim.control.setDailyLimit(null);
    sim.control.resetDailyCalls();
    sim.control.resetComplexityBudgets();
  });

  const statusBoard = (): string => sim.control.boardIds().find((b) => sim.control.boardTruth(b)?.stageSource === 'status') as string;
  const groupBoard = (): string => sim.control.boardIds().find((b) => sim.control.boardTruth(b)?.stageSource === 'group') as string;

  it('tells the stage histories of the ground truth through activity logs (status changes, group moves)', async () => {
    const users = data(await gql(endpoint, '{ users(limit: 500) { id email } }')).users as { id: string; email: string }[];
    const email = new Map(users.map((u) => [u.id, u.email]));
    for (const boardId of sim.control.boardIds()) {
      const bt = sim.control.boardTruth(boardId);
      const logs: Json[] = [];
      for (let pageNo = 1; ; pageNo++) {
        const page = ((data(await gql(endpoint, `query L($b: [ID!], $p: Int) { boards(ids: $b) { activity_logs(limit: 1000, page: $p) { id event data user_id created_at } } }`, { b: [boardId], p: pageNo })).boards as Json[])[0] as Json).activity_logs as Json[];
        logs.push(...page);
        if (page.length < 1000) break;
      }
      const history = new Map<string, TruthTransition[]>();
      // Newest first from the API; replay oldest first.
      for (const l of [...logs].reverse()) {
        const d = JSON.parse(String(l.data)) as Json;
        const at = new Date(Number(String(l.created_at).slice(0, -4))).toISOString();
        const who = email.get(String(l.user_id)) as string;
        let step: TruthTransition | null = null;
        if (bt?.stageSource === 'status' && l.event === 'update_column_value' && d.column_id === bt.stageColumnId) {
          const label = (v: unknown): string | null => (v ? (((v as Json).label as Json).text as string) : null);
          step = { from: label(d.previous_value), to: label(d.value) as string, at, userEmail: who, activityLogId: String(l.id) };
        } else if (bt?.stageSource === 'group' && l.event === 'create_pulse') {
          step = { from: null, to: String(d.group_name), at, userEmail: who, activityLogId: String(l.id) };
        } else if (bt?.stageSource === 'group' && l.event === 'move_pulse_into_group') {
          step = { from: String((d.source_group as Json).title), to: String((d.dest_group as Json).title), at, userEmail: who, activityLogId: String(l.id) };
        }
        if (step) history.set(String(d.pulse_id), [...(history.get(String(d.pulse_id)) ?? []), step]);
      }
      const truths = [...sim.control.truth.items.values()].filter((t) => t.boardId === boardId);
      expect(truths.length).toBeGreaterThan(100);
      for (const t of truths) expect(history.get(t.itemId), t.itemId).toEqual(t.transitions);
    }
  });

  it('pages a board of 1,200 items at 500 a page: every active item exactly once, then a null cursor', async () => {
    const big = createMondaySimulator({ generate: { seed: 'paging', tasks: 1200, projects: 1 }, clock });
    const url = (await big.start()).endpoint;
    try {
      const board = big.control.boardIds()[0] as string;
      const expected = big.control.dataset.boards.find((b) => b.id === board)?.items.filter((i) => i.state === 'active').map((i) => i.id) ?? [];
      expect(expected.length).toBeGreaterThan(1100);
      const first = ((data(await gql(url, `query { boards(ids: [${board}]) { items_page(limit: 500) { cursor items { id } } } }`)).boards as Json[])[0] as Json).items_page as Json;
      const seen = (first.items as Json[]).map((i) => i.id as string);
      let cursor = first.cursor as string | null;
      let calls = 1;
      while (cursor) {
        const next = data(await gql(url, 'query N($c: String!) { next_items_page(cursor: $c, limit: 500) { cursor items { id } } }', { c: cursor })).next_items_page as Json;
        seen.push(...(next.items as Json[]).map((i) => i.id as string));
        cursor = next.cursor as string | null;
        calls++;
      }
      expect(calls).toBe(Math.ceil(expected.length / 500));
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(expected);
      expect(big.control.calls().byOperation).toEqual({ 'query boards': 1, 'query next_items_page': calls - 1 });
    } finally {
      await big.stop();
    }
  });

  it('refuses more than 500 items a page', async () => {
    const r = await gql(endpoint, `query { boards(ids: [${statusBoard()}]) { items_page(limit: 501) { cursor } } }`);
    expect(r.status).toBe(200);
    expect((r.body.errors as Json[])[0]).toMatchObject({ path: ['boards', 0, 'items_page'], extensions: { code: 'InvalidArgumentException' } });
  });

  it('expires a cursor 60 minutes after it was issued, with CursorExpiredError', async () => {
    const page = async (): Promise<string> =>
      (((data(await gql(endpoint, `query { boards(ids: [${statusBoard()}]) { items_page(limit: 10) { cursor } } }`)).boards as Json[])[0] as Json).items_page as Json).cursor as string;
    const next = (c: string): Promise<{ status: number; body: Json }> => gql(endpoint, 'query N($c: String!) { next_items_page(cursor: $c, limit: 10) { cursor items { id } } }', { c });
    const fresh = await page();
    now += 59 * 60_000;
    expect(data(await next(fresh)).next_items_page).toBeTruthy();
    const old = await page();
    now += 61 * 60_000;
    const r = await next(old);
    expect(r.status).toBe(200);
    expect(r.body.data).toBeNull();
    expect((r.body.errors as Json[])[0]).toMatchObject({ message: expect.stringContaining('CursorExpiredError'), path: ['next_items_page'], extensions: { code: 'CursorExpiredError' } });
    const again = await page();
    sim.control.expireCursors();
    expect(((await next(again)).body.errors as Json[])[0]).toMatchObject({ extensions: { code: 'CursorExpiredError' } });
    expect(((await next('forged.cursor')).body.errors as Json[])[0]).toMatchObject({ extensions: { code: 'CursorException' } });
  });

  it('charges each query its complexity: before − query = after, and the next query starts from there', async () => {
    const query = `query Page($b: [ID!]) { complexity { before after query reset_in_x_seconds } boards(ids: $b) { items_page(limit: 100) { cursor items { id name column_values { id text value } updates(limit: 10) { id body replies { id body } } } } } }`;
    const a = data(await gql(endpoint, query, { b: [statusBoard()] })).complexity as Json;
    const b = data(await gql(endpoint, query, { b: [statusBoard()] })).complexity as Json;
    const doc = parse(query);
    const op = doc.definitions[0] as OperationDefinitionNode;
    const cost = queryCost(mondaySchema(), op, new Map<string, FragmentDefinitionNode>(), { b: [statusBoard()] });
    expect(a).toEqual({ before: 10_000_000, after: 10_000_000 - cost, query: cost, reset_in_x_seconds: 60 });
    expect(b).toMatchObject({ before: 10_000_000 - cost, after: 10_000_000 - 2 * cost, query: cost });
    // boards(ids: [one]) → items_page(limit: 100) → cursor + items { id name column_values(15 × 3) updates(limit: 10) { id body replies(10 × 2) } }
    const items = 1 + 1 + 1 + (1 + 15 * 3) + (1 + 10 * (1 + 1 + (1 + 10 * 2)));
    expect(cost).toBe(1 + 1 * (1 + 100 * (1 + items)));
    expect(sim.control.calls().complexityCharged).toBeGreaterThanOrEqual(2 * cost);
  });

  it('answers an exhausted budget with HTTP 200, COMPLEXITY_BUDGET_EXHAUSTED and retry_in_seconds, and resets a minute later', async () => {
    sim.control.setComplexityBudget({ perMinute: 30_000 }); // the query below costs 24,502
    const q = `query { boards(ids: [${statusBoard()}]) { items_page(limit: 500) { items { id name column_values { id text value } } } } }`;
    expect((await gql(endpoint, q)).status).toBe(200);
    const r = await gql(endpoint, q, {}, { 'API-Version': '2026-10' });
    expect(r.status).toBe(200);
    expect(r.headers.get('retry-after')).toBe('60');
    expect(r.body).toEqual({
      errors: [{ message: 'Complexity budget exhausted', extensions: { code: 'COMPLEXITY_BUDGET_EXHAUSTED', retry_in_seconds: 60 } }],
      extensions: { request_id: expect.any(String) },
      account_id: Number(sim.control.accountId),
    });
    now += 20_000;
    // 2025-01 and 2025-04 add the budget figures; older versions answer the legacy ComplexityException.
    const v04 = await gql(endpoint, q, {}, { 'API-Version': '2025-04' });
    expect((v04.body.errors as Json[])[0]).toMatchObject({ extensions: { code: 'COMPLEXITY_BUDGET_EXHAUSTED', retry_in_seconds: 40, complexity: expect.any(Number), complexity_budget_left: expect.any(Number), complexity_budget_limit: 30_000, status_code: 429 } });
    const v10 = await gql(endpoint, q, {}, { 'API-Version': '2024-10' });
    expect(v10.body).toMatchObject({ error_code: 'ComplexityException', status_code: 429, error_message: expect.stringContaining('reset in 40 seconds') });
    expect(sim.control.calls().earlyRetries).toBeGreaterThanOrEqual(2);
    now += 41_000;
    expect(data(await gql(endpoint, q)).boards).toBeTruthy();
  });

  it('refuses a query over 5,000,000 points whatever the budget', async () => {
    const r = await gql(endpoint, '{ boards(limit: 100) { items_page(limit: 500) { items { updates(limit: 100) { id } } } } }');
    expect(r.status).toBe(200);
    expect((r.body.errors as Json[])[0]).toMatchObject({ message: expect.stringMatching(/^Query has complexity of \d+, which exceeds max complexity of 5000000$/), extensions: { code: 'maxComplexityExceeded' } });
  });

  it('answers the minute limit with HTTP 429, RATE_LIMIT_EXCEEDED and Retry-After', async () => {
    sim.control.setRateLimit(3);
    for (let i = 0; i < 3; i++) expect((await gql(endpoint, '{ me { id } }')).status).toBe(200);
    now += 15_000;
    const r = await gql(endpoint, '{ me { id } }');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('45');
    expect(r.body).toMatchObject({ errors: [{ message: 'Rate Limit Exceeded', extensions: { code: 'RATE_LIMIT_EXCEEDED', retry_in_seconds: 45 } }] });
    now += 45_000;
    expect((await gql(endpoint, '{ me { id } }')).status).toBe(200);
  });

  it('counts calls per day (a complexity-only query counts 0.1) and stops at the daily cap until midnight UTC', async () => {
    now = Date.parse('2026-11-22T23:00:00.000Z');
    sim.control.setDailyLimit(3);
    data(await gql(endpoint, '{ complexity { before } }'));
    for (let i = 0; i < 3; i++) data(await gql(endpoint, '{ me { id } }'));
    expect(sim.control.dailyCalls()).toBe(3.1);
    const r = await gql(endpoint, '{ me { id } }');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('3600');
    expect(r.body).toMatchObject({ errors: [{ message: 'Daily limit exceeded', extensions: { code: 'DAILY_LIMIT_EXCEEDED', retry_in_seconds: 3600 } }] });
    expect(sim.control.dailyCalls()).toBe(3.2);
    now = Date.parse('2026-11-23T00:00:01.000Z');
    expect((await gql(endpoint, '{ me { id } }')).status).toBe(200);
  });

  it('injects a complexity storm, then answers normally', async () => {
    sim.control.injectFaults({ kind: 'complexity', times: 3, retryInSeconds: 7, rootField: 'next_items_page' });
    const first = ((data(await gql(endpoint, `query { boards(ids: [${statusBoard()}]) { items_page(limit: 5) { cursor } } }`)).boards as Json[])[0] as Json).items_page as Json;
    for (let i = 0; i < 3; i++) {
      const r = await gql(endpoint, 'query N($c: String!) { next_items_page(cursor: $c, limit: 5) { cursor } }', { c: first.cursor });
      expect((r.body.errors as Json[])[0]).toMatchObject({ extensions: { code: 'COMPLEXITY_BUDGET_EXHAUSTED', retry_in_seconds: 7 } });
      now += 7_000;
    }
    expect(data(await gql(endpoint, 'query N($c: String!) { next_items_page(cursor: $c, limit: 5) { cursor } }', { c: first.cursor })).next_items_page).toBeTruthy();
  });

  it('writes status by label: activity log, updated_at, truth; an unknown label changes nothing', async () => {
    const board = statusBoard();
    const item = [...sim.control.truth.items.values()].find((t) => t.boardId === board && t.state === 'active' && t.stage === 'Internal Review')?.itemId as string;
    const before = sim.control.truthOf(item)?.transitions.length ?? 0;
    const vals = JSON.stringify({ status: { label: 'Client Review' }, text0: '300x600' });
    const r = data(await gql(endpoint, 'mutation S($b: ID!, $i: ID!, $v: JSON!) { change_multiple_column_values(board_id: $b, item_id: $i, column_values: $v) { id updated_at } }', { b: board, i: item, v: vals }));
    expect((r.change_multiple_column_values as Json).updated_at).toBe(new Date(now).toISOString().replace('.000Z', 'Z'));
    expect(sim.control.columnValue(item, 'status')).toMatchObject({ text: 'Client Review', value: { index: 6, post_id: null } });
    expect(sim.control.columnValue(item, 'text0')?.text).toBe('300x600');
    const t = sim.control.truthOf(item);
    expect(t?.transitions.length).toBe(before + 1);
    expect(t?.transitions.at(-1)).toMatchObject({ from: 'Internal Review', to: 'Client Review', userEmail: 'ops-bot@lumenlark.example' });
    const log = sim.control.activityOf(board, { itemId: item, columnId: 'status' }).at(-1);
    expect(log?.data).toMatchObject({ value: { label: { text: 'Client Review', index: 6 } }, previous_value: { label: { text: 'Internal Review' } } });

    const bad = await gql(endpoint, 'mutation S($b: ID!, $i: ID!, $v: JSON!) { change_multiple_column_values(board_id: $b, item_id: $i, column_values: $v) { id } }', { b: board, i: item, v: JSON.stringify({ text0: 'changed', status: { label: 'Sent to printer' } }) });
    expect((bad.body.errors as Json[])[0]).toMatchObject({ extensions: { code: 'ColumnValueException' } });
    expect(sim.control.columnValue(item, 'text0')?.text).toBe('300x600');
    // create_labels_if_missing adds the label at the first free index (5 is the empty label).
    data(await gql(endpoint, 'mutation S($b: ID!, $i: ID!, $v: JSON!) { change_multiple_column_values(board_id: $b, item_id: $i, column_values: $v, create_labels_if_missing: true) { id } }', { b: board, i: item, v: JSON.stringify({ status: { label: 'Sent to printer' } }) }));
    expect(sim.control.columnValue(item, 'status')).toMatchObject({ text: 'Sent to printer', value: { index: 9 } });
  });

  it('keeps write-back calls per board countable, and can lock a board against parallel mutations', async () => {
    const board = statusBoard();
    const items = [...sim.control.truth.items.values()].filter((t) => t.boardId === board && t.state === 'active').slice(0, 3).map((t) => t.itemId);
    sim.control.resetCalls();
    sim.control.setLatency(30);
    sim.control.setBoardLocking(true);
    try {
      const m = (i: string): Promise<{ status: number }> => gql(endpoint, `mutation { create_update(item_id: ${i}, body: "Naming check passed") { id } }`);
      const answers = await Promise.all(items.map(m));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 423, 423]);
      expect(sim.control.calls().concurrentBoardMutations).toBe(2);
      for (const i of items) expect((await m(i)).status).toBe(200);
      expect(sim.control.calls().mutationsByBoard[board]).toBe(6);
    } finally {
      sim.control.setLatency(0);
      sim.control.setBoardLocking(false);
    }
  });

  it('echoes the challenge, then delivers column changes to the registered URL', async () => {
    const received: { headers: IncomingMessage['headers']; body: Json }[] = [];
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
        received.push({ headers: req.headers, body });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify('challenge' in body ? { challenge: body.challenge } : {}));
      });
    });
    const silent: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    await Promise.all([new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r())), new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))]);
    try {
      const board = statusBoard();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/monday`;
      const hook = await sim.control.registerWebhook(url, { boardId: board, event: 'change_status_column_value', config: { columnId: 'status' } });
      expect(received[0]?.body).toEqual({ challenge: expect.any(String) });
      await expect(sim.control.registerWebhook(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, { boardId: board })).rejects.toThrow('Failed to communicate with URL provided');
      const item = [...sim.control.truth.items.values()].find((t) => t.boardId === board && t.state === 'active' && t.stage === 'In Production')?.itemId as string;
      sim.control.setStatus(item, 'Internal Review');
      sim.control.setColumnValues(item, { text0: 'not a status change' });
      await sim.control.flushWebhooks();
      expect(received.length).toBe(2);
      expect(received[1]?.body.event).toMatchObject({
        type: 'update_column_value',
        app: 'monday',
        boardId: Number(board),
        pulseId: Number(item),
        columnId: 'status',
        columnType: 'color',
        value: { label: { text: 'Internal Review', index: 4 } },
        previousValue: { label: { text: 'In Production', index: 0 } },
        subscriptionId: Number(hook),
      });
      expect(received[1]?.headers.authorization).toBeUndefined();
      sim.control.setWebhookSigningSecret('app-signing-secret');
      sim.control.setStatus(item, 'Client Review');
      await sim.control.flushWebhooks();
      const jwt = String(received[2]?.headers.authorization);
      const [h, p, s] = jwt.split('.');
      expect(createHmac('sha256', 'app-signing-secret').update(`${h}.${p}`).digest('base64url')).toBe(s);
      expect(JSON.parse(Buffer.from(String(p), 'base64url').toString())).toMatchObject({ aud: url, accountId: Number(sim.control.accountId) });
    } finally {
      sim.control.setWebhookSigningSecret(null);
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('delivers group moves, new updates and subitem changes to the hooks that asked for them', async () => {
    const bodies: Json[] = [];
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
        if (!('challenge' in body)) bodies.push(body.event as Json);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const board = groupBoard();
      for (const event of ['item_moved_to_any_group', 'create_update', 'change_subitem_column_value']) await sim.control.registerWebhook(url, { boardId: board, event });
      const t = [...sim.control.truth.items.values()].find((x) => x.boardId === board && x.state === 'active' && x.stage === 'In Production' && x.decisions.length > 0);
      const item = t?.itemId as string;
      sim.control.moveItemToGroup(item, 'Internal Review');
      sim.control.addUpdate(item, 'v03 is up for review');
      sim.control.setStatus(t?.decisions[0]?.subitemId as string, 'Rejected', { columnId: 'status' });
      await sim.control.flushWebhooks();
      expect(bodies.map((b) => b.type)).toEqual(['move_pulse_into_group', 'create_update', 'update_column_value']);
      expect(bodies[0]).toMatchObject({ pulseId: Number(item), sourceGroup: { title: 'In Production' }, destGroup: { title: 'Internal Review' } });
      expect(bodies[1]).toMatchObject({ pulseId: Number(item), textBody: 'v03 is up for review', replyId: null });
      expect(bodies[2]).toMatchObject({ parentItemId: item, columnType: 'color', value: { label: { text: 'Rejected' } } });
      expect(sim.control.truthOf(item)?.transitions.at(-1)).toMatchObject({ from: 'In Production', to: 'Internal Review' });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('limits a root items query with more than 100 ids to once per 2 minutes, and applies its default limit of 25', async () => {
    const ids = [...sim.control.truth.items.keys()].slice(0, 150);
    const first = data(await gql(endpoint, `query { items(ids: [${ids.join(',')}]) { id } }`));
    expect((first.items as Json[]).length).toBe(25);
    const again = await gql(endpoint, `query { items(ids: [${ids.join(',')}], limit: 150) { id } }`);
    expect((again.body.errors as Json[])[0]).toMatchObject({ extensions: { code: 'FIELD_LIMIT_EXCEEDED', retry_in_seconds: 120 } });
    now += 120_000;
    expect((data(await gql(endpoint, `query { items(ids: [${ids.join(',')}], limit: 150) { id } }`)).items as Json[]).length).toBe(150);
  });

  it('reports archive and delete through items(ids:) state, and leaves them out of items_page', async () => {
    const board = groupBoard();
    const [a, d] = [...sim.control.truth.items.values()].filter((t) => t.boardId === board && t.state === 'active').map((t) => t.itemId);
    sim.control.archiveItem(a as string);
    sim.control.deleteItem(d as string);
    const items = data(await gql(endpoint, `query { items(ids: [${a}, ${d}]) { id state } }`)).items as Json[];
    expect(items).toEqual([{ id: a, state: 'archived' }, { id: d, state: 'deleted' }]);
    expect(sim.control.truthOf(d as string)?.state).toBe('deleted');
    const listed: string[] = [];
    let page = ((data(await gql(endpoint, `query { boards(ids: [${board}]) { items_page(limit: 500) { cursor items { id } } } }`)).boards as Json[])[0] as Json).items_page as Json;
    for (;;) {
      listed.push(...(page.items as Json[]).map((i) => String(i.id)));
      if (!page.cursor) break;
      page = data(await gql(endpoint, 'query N($c: String!) { next_items_page(cursor: $c, limit: 500) { cursor items { id } } }', { c: page.cursor })).next_items_page as Json;
    }
    expect(listed).not.toContain(a);
    expect(listed).not.toContain(d);
    expect(sim.control.activityOf(board, { itemId: d }).at(-1)?.event).toBe('delete_pulse');
  });

  it('filters items_page on __last_updated__ for an incremental sync', async () => {
    const board = statusBoard();
    const since = new Date(now).toISOString();
    now += 1000;
    const item = [...sim.control.truth.items.values()].find((t) => t.boardId === board && t.state === 'active')?.itemId as string;
    sim.control.setColumnValues(item, { text0: '728x90' });
    const q = `query Q($b: [ID!], $since: CompareValue!) { boards(ids: $b) { items_page(limit: 500, query_params: { rules: [{ column_id: "__last_updated__", compare_value: $since, operator: greater_than, compare_attribute: "UPDATED_AT" }] }) { items { id } } } }`;
    const page = ((data(await gql(endpoint, q, { b: [board], since: ['EXACT', since] })).boards as Json[])[0] as Json).items_page as Json;
    expect((page.items as Json[]).map((i) => i.id)).toEqual([item]);
  });

  it('records a reviewer\'s decision on a subitem in the truth, and serves uploads behind a signed public_url for an hour', async () => {
    const board = statusBoard();
    const t = [...sim.control.truth.items.values()].find((x) => x.boardId === board && x.state === 'active' && x.decisions.some((d) => d.status === 'changes_requested')) as NonNullable<ReturnType<typeof sim.control.truthOf>>;
    const round = t.decisions.find((d) => d.status === 'changes_requested');
    const sub = round?.subitemId as string;
    const before = t.decisions.length;
    const reviewer = round?.reviewerEmail as string;
    expect(sim.control.columnValue(sub, 'status')?.text).toBe('Changes requested');
    sim.control.setStatus(sub, 'Approved', { columnId: 'status', actor: reviewer });
    expect(sim.control.truthOf(t.itemId)?.decisions.length).toBe(before + 1);
    expect(sim.control.truthOf(t.itemId)?.decisions.at(-1)).toMatchObject({ subitemId: sub, status: 'approved', reviewerEmail: reviewer });

    const assetId = sim.control.addAsset(t.itemId, { name: 'BRAND_KV-3840x2160_v07.psd', size: 120_000_000 });
    expect(sim.control.truthOf(t.itemId)?.versions.at(-1)).toMatchObject({ number: 7, source: 'asset', fileId: assetId });
    const asset = (data(await gql(endpoint, `query { assets(ids: [${assetId}]) { id name file_size public_url } }`)).assets as Json[])[0] as Json;
    expect(asset).toMatchObject({ name: 'BRAND_KV-3840x2160_v07.psd', file_size: 120_000_000 });
    expect((await fetch(String(asset.public_url))).status).toBe(200);
    expect((await fetch(String(asset.public_url).replace(/sig=[^&]+/, 'sig=forged'))).status).toBe(403);
    now += 3_601_000;
    expect((await fetch(String(asset.public_url))).status).toBe(403);
  });

  it('is controllable over HTTP under /_sim/', async () => {
    const base = endpoint.replace(/\/v2$/, '');
    const j = async (method: string, path: string, body?: Json): Promise<{ status: number; body: Json }> => {
      const res = await fetch(`${base}/_sim${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
      return { status: res.status, body: (await res.json()) as Json };
    };
    const info = (await j('GET', '/info')).body;
    expect(info).toMatchObject({ accountId: sim.control.accountId, token: SIM_DEFAULT_TOKEN });
    const board = statusBoard();
    const item = [...sim.control.truth.items.values()].find((t) => t.boardId === board && t.state === 'active')?.itemId as string;
    expect((await j('POST', `/items/${item}/status`, { label: 'On Hold' })).status).toBe(200);
    expect(sim.control.truthOf(item)?.stage).toBe('On Hold');
    const bad = await j('POST', `/items/${item}/status`, { label: 'Nope' });
    expect(bad).toMatchObject({ status: 400, body: { error: expect.stringContaining('ColumnValueException') } });
    const u = (await j('POST', `/items/${item}/updates`, { text: 'Client paused this one.' })).body.id as string;
    await j('POST', `/updates/${u}/replies`, { text: 'Noted.' });
    expect((await j('GET', `/items/${item}/updates`)).body).toEqual(expect.arrayContaining([expect.objectContaining({ id: u, text: 'Client paused this one.', replies: [expect.objectContaining({ text: 'Noted.' })] })]));
    expect(((await j('GET', `/boards/${board}/activity?itemId=${item}&columnId=status`)).body as unknown as Json[]).at(-1)).toMatchObject({ event: 'update_column_value', data: { value: { label: { text: 'On Hold' } } } });
    expect((await j('POST', '/daily-limit', { cap: 'x' })).status).toBe(400);
    expect((await j('GET', '/calls')).body).toMatchObject({ total: expect.any(Number) });
    expect((await j('GET', `/truth/items/${item}`)).body).toMatchObject({ itemId: item, stage: 'On Hold' });
  });

  it('answers API-Version, falling back to 2026-10 for a missing or malformed one', async () => {
    expect((await gql(endpoint, '{ version { value } }', {}, { 'API-Version': '2025-07' })).headers.get('api-version')).toBe('2025-07');
    const r = await gql(endpoint, '{ version { value kind } }', {}, { 'API-Version': '2025-13' });
    expect(r.headers.get('api-version')).toBe('2026-10');
    expect(data(r).version).toEqual({ value: '2026-10', kind: 'current' });
  });

  it('works with the official @mondaydotcomorg/api client: a query, a mutation, and a ClientError for an HTTP 200 error', async () => {
    const { ApiClient, ClientError } = await loadSdk();
    const client = new ApiClient({ token: SIM_DEFAULT_TOKEN, endpoint, apiVersion: '2026-10' });
    const me = await client.operations.getMeOp();
    expect(me.me?.email).toBe('ops-bot@lumenlark.example');
    const board = statusBoard();
    const res = await client.request<{ boards: { items_page: { cursor: string | null; items: { id: string; column_values: { id: string; label?: string | null }[] }[] } }[]; complexity: { query: number } }>(
      `query ($b: [ID!]) { complexity { query } boards(ids: $b) { items_page(limit: 50) { cursor items { id column_values(ids: ["status"]) { id ... on StatusValue { label } } } } } }`,
      { b: [board] },
    );
    expect(res.boards[0]?.items_page.items.length).toBe(50);
    expect(res.complexity.query).toBeGreaterThan(0);
    const item = res.boards[0]?.items_page.items.find((i) => i.column_values[0]?.label === 'In Production')?.id as string;
    const changed = await client.operations.changeMultipleColumnValuesOp({ boardId: board, itemId: item, columnValues: JSON.stringify({ status: { label: 'Internal Review' } }) });
    expect(changed.change_multiple_column_values?.id).toBe(item);
    expect(sim.control.columnValue(item, 'status')?.text).toBe('Internal Review');
    const raw = await client.rawRequest<{ me: { id: string } }>('{ me { id } }');
    expect(raw.extensions).toMatchObject({ request_id: expect.any(String) });
    const err = await client.request('mutation ($b: ID!, $i: ID!) { change_simple_column_value(board_id: $b, item_id: $i, column_id: "status", value: "Nope") { id } }', { b: board, i: item }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect((err as SdkClientError).response.status).toBe(200);
    expect((err as SdkClientError).response.errors?.[0]?.extensions).toMatchObject({ code: 'ColumnValueException' });
  });
});
