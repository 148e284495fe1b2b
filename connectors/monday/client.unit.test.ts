// MondayClient through the official SDK: every failure shape monday uses (HTTP 200 with `errors`,
// 429 with Retry-After, the legacy top-level bodies, 423, timeouts) classified as the engine expects,
// against a stub server; the complexity budget and the daily cap enforced before a request is sent;
// and a whole simulated board read and normalized, equal to the simulator's ground truth.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { RateLimiter } from '../limiter';
import { CallCounter, ConnectorError, type ConnectorErrorKind } from '../types';
import {
  AbortedRequest, ExpiredCursor, MondayClient, budgetsFor, classifyMonday, isItemBoard, planOf, readFailure, updatedSinceQuery, type MondayClientOptions,
} from './client';
import { DailyCallCap, DailyCapReached } from './limits';
import { approvalColumns, normalizeBoard, normalizeItem, resolveStage, userIdsIn, type ItemBundle, type MondayNormalizeContext } from './normalize';
import { MondayBoardRaw } from './raw';
import { SIM_DEFAULT_TOKEN, createMondaySimulator, type MondaySimulator } from './simulator';
import { stableId } from '../../mapping/ids';
import { emptyBatch, mergeBatches } from '../../mapping/model';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const TOKEN = 'secret-token-value';

async function failure(p: Promise<unknown>, kind: ConnectorErrorKind): Promise<ConnectorError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err, `expected a ConnectorError of kind ${kind}`).toBeInstanceOf(ConnectorError);
  expect((err as ConnectorError).kind, (err as Error).message).toBe(kind);
  return err as ConnectorError;
}

// ---- a stub monday ----------------------------------------------------------------------------------

interface StubRequest {
  op: string;
  query: string;
  variables: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}
type StubReply = { status?: number; headers?: Record<string, string>; body?: unknown; raw?: string } | 'hang';

const OK = (data: Record<string, unknown>, c: { after?: number; query?: number; reset?: number } = {}) => ({
  body: { data: { complexity: { before: (c.after ?? 9_000_000) + (c.query ?? 100), after: c.after ?? 9_000_000, query: c.query ?? 100, reset_in_x_seconds: c.reset ?? 40 }, ...data }, extensions: { request_id: 'req-1' } },
});

class Stub {
  requests: StubRequest[] = [];
  private server: Server | null = null;
  endpoint = '';
  constructor(public handler: (r: StubRequest) => StubReply) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const j = JSON.parse(body) as { query: string; variables?: Record<string, unknown> };
        const op = /(?:query|mutation) (\w+)/.exec(j.query)?.[1] ?? '?';
        const r: StubRequest = { op, query: j.query, variables: j.variables ?? {}, headers: req.headers };
        this.requests.push(r);
        const reply = this.handler(r);
        if (reply === 'hang') return;
        res.writeHead(reply.status ?? 200, { 'content-type': reply.raw ? 'text/html' : 'application/json', ...(reply.headers ?? {}) });
        res.end(reply.raw ?? JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v2`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

/** A client on a fake clock: sleeps advance it and are recorded. */
function clientOn(stub: Stub, over: Partial<MondayClientOptions> = {}) {
  const clock = { t: T0 };
  const sleeps: number[] = [];
  const now = () => clock.t;
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    clock.t += ms;
  };
  const limiter = new RateLimiter(600_000, 4, now, sleep);
  const client = new MondayClient({ token: TOKEN, baseUrl: stub.endpoint, limiter, now, sleep, ...over });
  return { client, clock, sleeps, limiter };
}

// ---- classification ---------------------------------------------------------------------------------

/** A graphql-request ClientError as far as readFailure reads it. */
const clientError = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => ({
  name: 'Error',
  message: 'GraphQL Error',
  response: { ...body, status, headers: new Headers(headers) },
});
const ext = (code: string, more: Record<string, unknown> = {}) => ({ errors: [{ message: `${code} happened`, extensions: { code, ...more } }] });

describe('classifyMonday: every answer monday uses for a failure', () => {
  it.each([
    ['200 COMPLEXITY_BUDGET_EXHAUSTED with retry_in_seconds', clientError(200, ext('COMPLEXITY_BUDGET_EXHAUSTED', { retry_in_seconds: 7 })), { kind: 'rate_limited', retryAfterMs: 7000, complexity: true }],
    ['the same code spelt complexityBudgetExhausted', clientError(200, ext('complexityBudgetExhausted', { retry_in_seconds: 7 })), { kind: 'rate_limited', retryAfterMs: 7000, complexity: true }],
    ['2025-01 shape: status_code 429 and budget fields', clientError(200, ext('COMPLEXITY_BUDGET_EXHAUSTED', { retry_in_seconds: 3, complexity: 900, complexity_budget_left: 12, complexity_budget_limit: 10_000_000, status_code: 429 })), { kind: 'rate_limited', retryAfterMs: 3000, complexity: true }],
    ['legacy top-level ComplexityException: "reset in 12 seconds"', clientError(200, { error_code: 'ComplexityException', status_code: 429, error_message: 'Complexity budget exhausted, query cost 30001 budget remaining 29999 out of 1000000 reset in 12 seconds', account_id: 1 }), { kind: 'rate_limited', retryAfterMs: 12000, complexity: true }],
    ['429 RATE_LIMIT_EXCEEDED with Retry-After', clientError(429, ext('RATE_LIMIT_EXCEEDED'), { 'retry-after': '3' }), { kind: 'rate_limited', retryAfterMs: 3000 }],
    ['429 with both: the longer wait', clientError(429, ext('RATE_LIMIT_EXCEEDED', { retry_in_seconds: 9 }), { 'retry-after': '3' }), { kind: 'rate_limited', retryAfterMs: 9000 }],
    ['429 with nothing to say how long: a minute', clientError(429, {}), { kind: 'rate_limited', retryAfterMs: 60000 }],
    ['IP_RATE_LIMIT_EXCEEDED', clientError(429, ext('IP_RATE_LIMIT_EXCEEDED', { retry_in_seconds: 10 })), { kind: 'rate_limited', retryAfterMs: 10000 }],
    ['maxConcurrencyExceeded', clientError(429, ext('maxConcurrencyExceeded')), { kind: 'rate_limited', retryAfterMs: 60000 }],
    ['legacy FIELD_LIMIT_EXCEEDED with error_data.retry_in_seconds', clientError(200, { error_code: 'FIELD_LIMIT_EXCEEDED', status_code: 429, error_message: 'Concurrency limit exceeded for the field', error_data: { retry_in_seconds: 15, entity: 'boards' } }), { kind: 'rate_limited', retryAfterMs: 15000 }],
    ['DAILY_LIMIT_EXCEEDED', clientError(429, ext('DAILY_LIMIT_EXCEEDED'), { 'retry-after': '3600' }), { kind: 'rate_limited', daily: true, retryAfterMs: 3_600_000 }],
    ['423 Resource is currently locked', clientError(423, { errors: [{ message: 'Resource is currently locked, please try again later', extensions: { code: 'ResourceLocked' } }] }), { kind: 'rate_limited', retryAfterMs: 10000 }],
    ['423 with a Retry-After', clientError(423, {}, { 'retry-after': '2' }), { kind: 'rate_limited', retryAfterMs: 2000 }],
    ['401 Not Authenticated', clientError(401, ext('Unauthorized', { status_code: 401 })), { kind: 'auth_revoked' }],
    ['200 UserUnauthorizedException (status_code 403)', clientError(200, ext('UserUnauthorizedException', { status_code: 403, error_data: {} })), { kind: 'auth_revoked' }],
    ['500 with an HTML page', { name: 'Error', response: { error: '<html>oops</html>', status: 500, headers: new Headers() } }, { kind: 'vendor_unavailable' }],
    ['504 with a Retry-After', clientError(504, {}, { 'retry-after': '5' }), { kind: 'vendor_unavailable', retryAfterMs: 5000 }],
    ['200 INTERNAL_SERVER_ERROR', clientError(200, ext('INTERNAL_SERVER_ERROR', { status_code: 500 })), { kind: 'vendor_unavailable' }],
    ['200 InvalidBoardIdException', clientError(200, ext('InvalidBoardIdException', { status_code: 200 })), { kind: 'not_found' }],
    ['200 InvalidItemIdException', clientError(200, ext('InvalidItemIdException')), { kind: 'not_found' }],
    ['200 InvalidColumnIdException', clientError(200, ext('InvalidColumnIdException')), { kind: 'invalid_config' }],
    ['200 ColumnValueException (a label the column lacks)', clientError(200, ext('ColumnValueException', { error_data: { column_type: 'color' } })), { kind: 'invalid_config' }],
    ['200 maxComplexityExceeded (one query over 5M): not a wait', clientError(200, { errors: [{ message: 'Query has complexity of 6000000, which exceeds max complexity of 5000000', extensions: { code: 'maxComplexityExceeded' } }] }), { kind: 'invalid_config' }],
    ['200 ComplexityException over the cap (legacy): not a wait either', clientError(200, { errors: [{ message: 'Query has complexity of 6000000, which exceeds max complexity of 5000000', extensions: { code: 'ComplexityException' } }] }), { kind: 'invalid_config' }],
    ['200 CursorExpiredError', clientError(200, ext('CursorExpiredError')), { kind: 'invalid_config', cursorExpired: true }],
    ['400 parse error', clientError(400, { errors: [{ message: 'Parse error on ")" (RPAREN) at [1, 31]' }] }), { kind: 'invalid_config' }],
    ['200 GRAPHQL_VALIDATION_FAILED', clientError(200, ext('GRAPHQL_VALIDATION_FAILED')), { kind: 'invalid_config' }],
    ['the SDK’s timeout (AbortError)', { name: 'AbortError', message: 'This operation was aborted' }, { kind: 'vendor_unavailable' }],
    ['fetch failed (connection refused)', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), { kind: 'vendor_unavailable' }],
  ])('%s', (_title, err, verdict) => {
    const f = readFailure(err);
    expect(f).not.toBeNull();
    expect(classifyMonday(f!, T0)).toEqual(verdict);
  });

  it('a bug of ours is not a vendor answer', () => {
    expect(readFailure(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBeNull();
    expect(readFailure(new RangeError('nope'))).toBeNull();
  });

  it('a retry_in_seconds ahead of an HTTP-date Retry-After', () => {
    const f = readFailure(clientError(429, {}, { 'retry-after': new Date(T0 + 4000).toUTCString() }))!;
    expect(classifyMonday(f, T0)).toEqual({ kind: 'rate_limited', retryAfterMs: 4000 });
  });
});

// ---- through the SDK, against a stub ----------------------------------------------------------------

describe('MondayClient against a stub', () => {
  let stub: Stub;
  let reply: (r: StubRequest) => StubReply;
  beforeAll(async () => {
    stub = await new Stub((r) => reply(r)).start();
  });
  afterAll(() => stub.stop());
  const fresh = () => {
    stub.requests = [];
  };

  it('sends the token as is, the pinned API-Version, and asks every query for complexity', async () => {
    fresh();
    reply = () => OK({ me: { id: '42', name: 'Ops Bot', email: 'ops@x.example', account: { id: '7', slug: 'x', tier: 'standard', is_during_trial: false, plan: { tier: 'standard' } } } });
    const { client } = clientOn(stub);
    expect(await client.me()).toEqual({ id: '42', name: 'Ops Bot', email: 'ops@x.example', plan: 'standard', accountId: '7' });
    const r = stub.requests[0]!;
    expect(r.headers.authorization).toBe(TOKEN);
    expect(r.headers['api-version']).toBe('2026-10');
    expect(r.query).toContain('complexity { before after query reset_in_x_seconds }');
    expect(client.counter.toJSON()).toEqual({ 'query me': 1 });
    expect(client.points.toJSON()).toEqual({ 'query me': 100 });
  });

  it('HTTP 200 with `errors` is a failure, named by operation, code and monday’s words, never the token', async () => {
    reply = () => ({ body: { data: { boards: null }, errors: [{ message: 'Column not found', path: ['boards', 0, 'columns'], extensions: { code: 'InvalidColumnIdException', status_code: 200 } }], account_id: 1 } });
    const { client } = clientOn(stub);
    const err = await failure(client.boards({ ids: ['123'] }), 'invalid_config');
    expect(err.message).toBe('monday.com query boards: HTTP 200 — InvalidColumnIdException: Column not found (at boards.0.columns)');
    expect(err.details).toMatchObject({ status: 200, endpoint: 'query boards', vendorMessage: 'InvalidColumnIdException: Column not found (at boards.0.columns)' });
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain(TOKEN);
  });

  it('a 429 with Retry-After is rate_limited with that wait, and every request of the credential waits it out', async () => {
    fresh();
    let n = 0;
    reply = () => (n++ === 0 ? { status: 429, headers: { 'retry-after': '2' }, body: { errors: [{ message: 'Rate Limit Exceeded', extensions: { code: 'RATE_LIMIT_EXCEEDED' } }] } } : OK({ users: [] }));
    const { client, sleeps } = clientOn(stub);
    const err = await failure(client.users(['1']), 'rate_limited');
    expect(err.details.retryAfterMs).toBe(2000);
    await client.users(['1']);
    expect(sleeps).toContain(2000);
  });

  it('an exhausted complexity budget holds the next query until it resets; an answer’s budget paces the next query', async () => {
    fresh();
    let n = 0;
    reply = () => (n++ === 0 ? { body: { data: null, errors: [{ message: 'Complexity budget exhausted', extensions: { code: 'COMPLEXITY_BUDGET_EXHAUSTED', retry_in_seconds: 25 } }] } } : OK({ users: [] }, { after: 50, query: 80, reset: 30 }));
    const { client, sleeps } = clientOn(stub);
    await failure(client.users(['1']), 'rate_limited');
    await client.users(['1']); // waits the 25 s (the limiter's pause and the budget), then learns: 80 points, 50 left, reset in 30 s
    expect(sleeps.filter((s) => s >= 25_000)).toEqual([25_000]);
    sleeps.length = 0;
    await client.users(['1']); // expected cost 80 > 50 left: waits for the reset before sending
    expect(sleeps).toEqual([30_000]);
    expect(stub.requests).toHaveLength(3);
  });

  it.each([
    ['COMPLEXITY_BUDGET_EXHAUSTED with retry_in_seconds: 1 (HTTP 200)', { body: { data: null, errors: [{ message: 'Complexity budget exhausted', extensions: { code: 'COMPLEXITY_BUDGET_EXHAUSTED', retry_in_seconds: 1 } }] } }, 1_000],
    ['an HTTP 429 complexity error with Retry-After: 2 only', { status: 429, headers: { 'retry-after': '2' }, body: { errors: [{ message: 'Complexity budget exhausted', extensions: { code: 'COMPLEXITY_BUDGET_EXHAUSTED' } }] } }, 2_000],
  ] as const)('after %s the next query waits what monday said, not until the last answer’s reset (40 s away)', async (_title, exhausted, waitMs) => {
    fresh();
    let n = 0;
    // The first answer leaves 5M points and a window resetting in 40 s; another client of the account
    // then spends the rest, so monday refuses the second query and names its own wait.
    reply = () => (n++ === 1 ? (exhausted as StubReply) : OK({ users: [] }, { after: 5_000_000, query: 80, reset: 40 }));
    const { client, sleeps, clock } = clientOn(stub);
    await client.users(['1']);
    const err = await failure(client.users(['1']), 'rate_limited');
    expect(err.details.retryAfterMs).toBe(waitMs);
    const t = clock.t;
    sleeps.length = 0;
    await client.users(['1']);
    expect(sleeps.filter((s) => s >= 100)).toEqual([waitMs]);
    expect(clock.t - t).toBeLessThan(waitMs + 100);
    expect(stub.requests).toHaveLength(3);
  });

  it('the daily cap: a call that would exceed it is not sent and says when the sync resumes', async () => {
    fresh();
    reply = () => OK({ users: [] });
    const cap = new DailyCallCap(2, null, { now: T0 });
    const { client } = clientOn(stub, { dailyCap: cap });
    await client.users(['1']);
    expect(client.callsLeftToday()).toBe(1);
    await client.users(['1']);
    const err = await failure(client.users(['1']), 'rate_limited');
    expect(err).toBeInstanceOf(DailyCapReached);
    expect(err).toMatchObject({ resumeAt: '2026-11-26T00:00:00.000Z', source: 'client' });
    // The fake clock moved by the limiter's sub-millisecond pacing: the wait ends at midnight, to the millisecond.
    expect(err.details.retryAfterMs).toBe(14 * 3600_000);
    expect(stub.requests).toHaveLength(2);
    expect(client.resetsAt()).toBe('2026-11-26T00:00:00.000Z');
    expect(cap.toJSON()).toEqual({ day: '2026-11-25', used: 2, cap: 2 });
  });

  it('monday’s DAILY_LIMIT_EXCEEDED is a DailyCapReached too, and spends the day on our side', async () => {
    fresh();
    reply = () => ({ status: 429, headers: { 'retry-after': '50400' }, body: { errors: [{ message: 'Daily limit exceeded', extensions: { code: 'DAILY_LIMIT_EXCEEDED' } }] } });
    const { client } = clientOn(stub, { plan: 'standard' });
    const err = await failure(client.users(['1']), 'rate_limited');
    expect(err).toBeInstanceOf(DailyCapReached);
    expect(err).toMatchObject({ source: 'vendor', resumeAt: '2026-11-26T00:00:00.000Z', cap: 1000 });
    expect(err.message).toMatch(/DAILY_LIMIT_EXCEEDED.*resumes at 2026-11-26T00:00:00\.000Z/);
    expect(client.callsLeftToday()).toBe(0);
    await failure(client.users(['1']), 'rate_limited');
    expect(stub.requests).toHaveLength(1);
  });

  it('items pages: the first page is small, its complexity sets the next page’s size (≤ 500); full update lists are flagged', async () => {
    fresh();
    const items = (n: number, updates = 1) => Array.from({ length: n }, (_, i) => ({ id: String(100 + i), name: `i${i}`, column_values: [], updates: Array.from({ length: updates }, (_u, k) => ({ id: String(k + 1), body: 'x' })) }));
    reply = (r) =>
      r.op === 'StagelineItemsPage'
        ? OK({ boards: [{ id: '9', items_page: { cursor: 'c1', items: [...items(1, 25), ...items(2)] } }] }, { query: 2_000_000, after: 8_000_000 })
        : OK({ next_items_page: { cursor: null, items: items(1) } }, { query: 225 * 20_000, after: 3_000_000 });
    const { client } = clientOn(stub);
    const first = await client.itemsPage('9', { subitemColumns: ['status', 'person'] });
    expect(first).toMatchObject({ cursor: 'c1', limit: 100, truncatedUpdates: ['100'] });
    expect(client.itemCost()).toBe(20_000);
    const next = await client.nextItemsPage(first.cursor!);
    expect(next).toMatchObject({ cursor: null, limit: 225 });
    expect(stub.requests.map((r) => r.variables)).toEqual([
      { board: ['9'], limit: 100, updatesLimit: 25, subitemColumns: ['status', 'person'] },
      { cursor: 'c1', limit: 225, updatesLimit: 25 },
    ]);
    expect(client.counter.toJSON()).toEqual({ 'query boards.items_page': 1, 'query next_items_page': 1 });
    expect(client.points.toJSON()).toEqual({ 'query boards.items_page': 2_000_000, 'query next_items_page': 4_500_000 });
    // A cost learnt by an earlier sync: the first page is already the largest.
    expect(clientOn(stub, { itemCost: 2_000 }).client.itemsLimit()).toBe(500);
  });

  it('items updated since a time, through query_params on __last_updated__', async () => {
    fresh();
    reply = () => OK({ boards: [{ id: '9', items_page: { cursor: null, items: [] } }] });
    const { client } = clientOn(stub);
    await client.updatedItemsSince('9', '2026-11-24T09:55:00Z', { limit: 500 });
    expect(stub.requests[0]!.variables.queryParams).toEqual(updatedSinceQuery('2026-11-24T09:55:00Z'));
    expect(updatedSinceQuery('2026-11-24T09:55:00Z')).toEqual({ rules: [{ column_id: '__last_updated__', compare_value: ['2026-11-24T09:55:00Z'], operator: 'greater_than', compare_attribute: 'UPDATED_AT' }] });
    await failure(client.updatedItemsSince('9', 'last tuesday'), 'invalid_config');
  });

  it('an unknown board id is not_found naming it; a refused cursor is an ExpiredCursor', async () => {
    fresh();
    reply = (r) => (r.op === 'StagelineBoards' ? OK({ boards: [{ id: '1', name: 'a', state: 'active' }] }) : { body: { data: null, errors: [{ message: 'CursorExpiredError: The cursor provided has expired', extensions: { code: 'CursorExpiredError' } }] } });
    const { client } = clientOn(stub);
    const err = await failure(client.boards({ ids: ['1', '404404'] }), 'not_found');
    expect(err.message).toBe("monday.com board 404404: not found, deleted, or not shared with the token's user");
    const cursorErr = await failure(client.nextItemsPage('old', 10), 'invalid_config');
    expect(cursorErr).toBeInstanceOf(ExpiredCursor);
    await failure(client.boards({ ids: ['12a'] }), 'invalid_config');
    expect(stub.requests).toHaveLength(2);
  });

  it('the activity log: a page shorter than asked is the last one, and no empty page is asked for after it', async () => {
    fresh();
    const log = Array.from({ length: 3 }, (_, i) => ({ id: `e${i}`, event: 'x', data: '{}', created_at: '17000000000000000' }));
    reply = (r) => OK({ boards: [{ id: '9', activity_logs: log.slice(((r.variables.page as number) - 1) * (r.variables.limit as number), (r.variables.page as number) * (r.variables.limit as number)) }] });
    const { client } = clientOn(stub);
    expect((await client.allActivityLogs('9')).map((e) => (e as { id: string }).id)).toEqual(['e0', 'e1', 'e2']);
    expect(stub.requests.map((r) => [r.variables.limit, r.variables.page])).toEqual([[1000, 1]]);
    // An empty log is one call too.
    fresh();
    reply = () => OK({ boards: [{ id: '9', activity_logs: [] }] });
    expect(await client.allActivityLogs('9', { from: '2026-11-24T00:00:00Z' })).toEqual([]);
    expect(stub.requests).toHaveLength(1);
  });

  it('the activity log of a server that caps pages at 100 whatever is asked: the cap is found once, nothing lost, nothing twice', async () => {
    fresh();
    const log = Array.from({ length: 250 }, (_, i) => ({ id: `e${i}`, event: 'x', data: '{}', created_at: '17000000000000000' }));
    const cap = 100;
    reply = (r) => {
      const limit = Math.min(r.variables.limit as number, cap);
      const page = r.variables.page as number;
      return OK({ boards: [{ id: '9', activity_logs: log.slice((page - 1) * limit, page * limit) }] });
    };
    const { client } = clientOn(stub);
    const all = (await client.allActivityLogs('9')).map((e) => (e as { id: string }).id);
    expect(all).toEqual(log.map((e) => e.id));
    // A first page of exactly 100 may be a cap: one page more at 100 proves it, and the paging goes on at it.
    expect(stub.requests.map((r) => [r.variables.limit, r.variables.page])).toEqual([[1000, 1], [100, 2], [100, 3]]);
    // The same client asks at the cap from then on: a short page is the last, with no page more.
    fresh();
    expect(await client.allActivityLogs('9')).toHaveLength(250);
    expect(stub.requests.map((r) => [r.variables.limit, r.variables.page])).toEqual([[100, 1], [100, 2], [100, 3]]);
    fresh();
    reply = () => OK({ boards: [{ id: '9', activity_logs: log.slice(0, 30) }] });
    expect(await client.allActivityLogs('9')).toHaveLength(30);
    expect(stub.requests.map((r) => [r.variables.limit, r.variables.page])).toEqual([[100, 1]]);
  });

  it('the activity log of a board with exactly 25 entries on a server that honours the limit: one page more proves the end', async () => {
    fresh();
    const log = Array.from({ length: 25 }, (_, i) => ({ id: `e${i}`, event: 'x', data: '{}', created_at: '17000000000000000' }));
    reply = (r) => OK({ boards: [{ id: '9', activity_logs: log.slice(((r.variables.page as number) - 1) * (r.variables.limit as number), (r.variables.page as number) * (r.variables.limit as number)) }] });
    const { client } = clientOn(stub);
    expect(await client.allActivityLogs('9')).toHaveLength(25);
    expect(stub.requests.map((r) => [r.variables.limit, r.variables.page])).toEqual([[1000, 1], [25, 2]]);
    // No cap was proven: a later short page of another size is the last.
    fresh();
    reply = () => OK({ boards: [{ id: '9', activity_logs: log.slice(0, 7) }] });
    expect(await client.allActivityLogs('9')).toHaveLength(7);
    expect(stub.requests.map((r) => [r.variables.limit, r.variables.page])).toEqual([[1000, 1]]);
  });

  it('every page of a board’s activity log, until a short page; times and filters passed through', async () => {
    fresh();
    reply = (r) => OK({ boards: [{ id: '9', activity_logs: Array.from({ length: r.variables.page === 1 ? 2 : 1 }, (_, i) => ({ id: `e${r.variables.page as number}-${i}`, event: 'x', data: '{}', created_at: '17000000000000000' })) }] });
    const { client } = clientOn(stub);
    const entries = await client.allActivityLogs('9', { from: '2026-01-01T00:00:00Z', columnIds: ['status'], limit: 2 });
    expect(entries.map((e) => (e as { id: string }).id)).toEqual(['e1-0', 'e1-1', 'e2-0']);
    expect(stub.requests.map((r) => r.variables)).toEqual([
      { board: ['9'], limit: 2, page: 1, from: '2026-01-01T00:00:00Z', columnIds: ['status'] },
      { board: ['9'], limit: 2, page: 2, from: '2026-01-01T00:00:00Z', columnIds: ['status'] },
    ]);
  });

  it('a board’s updates in a window, page by page', async () => {
    fresh();
    reply = () => OK({ boards: [{ id: '9', updates: [{ id: '1', body: '<p>x</p>', item_id: '5' }] }] });
    const { client } = clientOn(stub);
    expect(await client.boardUpdates('9', { from: '2026-11-24T00:00:00Z', page: 2 })).toEqual([{ id: '1', body: '<p>x</p>', item_id: '5' }]);
    expect(stub.requests[0]!.variables).toEqual({ board: ['9'], from: '2026-11-24T00:00:00Z', limit: 100, page: 2 });
    expect(client.counter.toJSON()).toEqual({ 'query boards.updates': 1 });
  });

  it('change_multiple_column_values gets ONE JSON-encoded map (stringified once), counted as a write', async () => {
    fresh();
    reply = () => OK({ change_multiple_column_values: { id: '5', updated_at: '2026-11-25T10:00:01Z' } });
    const { client } = clientOn(stub);
    await client.changeMultipleColumnValues('9', '5', { status: { label: 'Client Review' }, numbers: '3' });
    const v = stub.requests[0]!.variables;
    expect(v).toEqual({ board: '9', item: '5', values: '{"status":{"label":"Client Review"},"numbers":"3"}' });
    expect(stub.requests[0]!.query).toContain('create_labels_if_missing: false');
    expect(client.counter.toJSON()).toEqual({ 'mutation change_multiple_column_values': 1 });
  });

  it('a timeout, a refused connection, and an HTML 500 are vendor_unavailable', async () => {
    reply = () => 'hang';
    const { client } = clientOn(stub, { timeoutMs: 150 });
    const t = await failure(client.users(['1']), 'vendor_unavailable');
    expect(t.message).toBe('monday.com query users: no answer within the timeout');
    const dead = clientOn({ endpoint: 'http://127.0.0.1:9/v2' } as Stub).client;
    await failure(dead.users(['1']), 'vendor_unavailable');
    reply = () => ({ status: 500, raw: '<html><body>Internal Server Error</body></html>' });
    const e = await failure(clientOn(stub).client.users(['1']), 'vendor_unavailable');
    expect(e.message).toBe('monday.com query users: HTTP 500 — <html><body>Internal Server Error</body></html>');
  });

  it('once a page has failed, its other requests are not sent', async () => {
    fresh();
    const { client } = clientOn(stub, { abortIf: () => true });
    await expect(client.users(['1'])).rejects.toBeInstanceOf(AbortedRequest);
    expect(stub.requests).toHaveLength(0);
  });

  it('budgets per token kind and plan; plans from the account tier', () => {
    const personal = budgetsFor('personal', 'pro');
    expect(personal.read).toBe(personal.write);
    expect(personal.read.limit).toBe(10_000_000);
    const app = budgetsFor('app', 'pro');
    expect(app.read).not.toBe(app.write);
    expect(planOf('Standard')).toBe('standard');
    expect(planOf('pro', true)).toBe('trial');
    expect(planOf('enterprise_plus')).toBeNull();
    expect(isItemBoard({ type: 'sub_items_board' })).toBe(false);
    expect(isItemBoard({ type: 'board' })).toBe(true);
  });
});

// ---- a whole simulated board -----------------------------------------------------------------------------

describe('against the monday simulator: a board read page by page and normalized equals the ground truth', () => {
  let sim: MondaySimulator;
  let endpoint: string;
  beforeAll(async () => {
    sim = createMondaySimulator({ generate: { seed: 7, tasks: 90, projects: 2 } });
    ({ endpoint } = await sim.start());
  });
  afterAll(() => sim?.stop());

  it('incremental reads: items updated since a time, and updates posted since then (which leave updated_at alone)', async () => {
    const client = new MondayClient({ token: SIM_DEFAULT_TOKEN, baseUrl: endpoint, limiter: new RateLimiter(600_000, 8) });
    const bt = [...sim.control.truth.boards.values()].find((b) => b.stageSource === 'status')!;
    const live = [...sim.control.truth.items.values()].filter((t) => t.boardId === bt.boardId && t.state === 'active');
    const [changed, commented] = [live[0]!.itemId, live[1]!.itemId];
    const before = new Date(Date.now() - 1000).toISOString();
    expect((await client.updatedItemsSince(bt.boardId, before)).items).toEqual([]);
    sim.control.setStatus(changed, live[0]!.stage === 'On Hold' ? 'Approved' : 'On Hold');
    const updateId = sim.control.addUpdate(commented, 'Please check the bleed.');
    const page = await client.updatedItemsSince(bt.boardId, before, { limit: 50 });
    expect(page.items.map((i) => (i as { id: string }).id)).toEqual([changed]);
    const updates = await client.boardUpdates(bt.boardId, { from: before });
    expect(updates.map((u) => [(u as { id: string }).id, (u as { item_id: string }).item_id])).toEqual([[updateId, commented]]);
  });

  it('boards with their updates since a time, in one call: the same boards, each board\'s page of updates, priced boards × updates limit', async () => {
    // A simulator of its own: no update another test posted is in the window.
    const sim = createMondaySimulator({ generate: { seed: 8, tasks: 60, projects: 2 } });
    const { endpoint } = await sim.start();
    onTestFinished(() => sim.stop());
    const client = new MondayClient({ token: SIM_DEFAULT_TOKEN, baseUrl: endpoint, limiter: new RateLimiter(600_000, 8) });
    const boards = [...sim.control.truth.boards.values()];
    const ids = boards.flatMap((b) => [b.boardId, b.subitemsBoardId]);
    const [a, b] = boards;
    const items = (board: string) => [...sim.control.truth.items.values()].filter((t) => t.boardId === board && t.state === 'active').map((t) => t.itemId);
    const since = new Date(Date.now() - 1000).toISOString();
    const onA = sim.control.addUpdate(items(a!.boardId)[0]!, 'Crop is off by a few pixels.');
    const onB = items(b!.boardId).slice(0, 3).map((item) => [item, sim.control.addUpdate(item, 'Approved from our side.')] as const);

    const plain = await client.boards({ ids });
    const withUpdates = await client.boardsWithUpdates({ ids }, { from: since, limit: 3 });
    // The boards as `boards` serves them, with no `updates` left on them.
    expect(withUpdates.boards).toEqual(plain);
    const page = (id: string) => withUpdates.updates.get(id)!;
    expect(page(a!.boardId)).toEqual({ updates: [{ id: onA, item_id: items(a!.boardId)[0], created_at: expect.any(String) }], full: false });
    // Newest first; three asked, three there: full (older ones of the window may be on the next page).
    expect(page(b!.boardId).updates.map((u) => [(u as { item_id: string }).item_id, (u as { id: string }).id])).toEqual([...onB].reverse());
    expect(page(b!.boardId).full).toBe(true);
    expect(page(a!.subitemsBoardId)).toEqual({ updates: [], full: false });
    expect(client.counter.toJSON()).toEqual({ 'query boards': 1, 'query boards+updates': 1 });
    // Nested lists multiply: each board pays for its updates list (1) and `limit` × (id item_id created_at).
    const points = client.points.toJSON();
    expect(points['query boards+updates']! - points['query boards']!).toBe(ids.length * (1 + 3 * 3));
    await failure(client.boardsWithUpdates({ ids }, { from: 'yesterday' }), 'invalid_config');
    await failure(client.boardsWithUpdates({ ids }, { from: since, limit: 500 }), 'invalid_config');
  });

  for (const source of ['status', 'group'] as const) {
    it(`a ${source} board`, async () => {
      const counter = new CallCounter();
      const client = new MondayClient({ token: SIM_DEFAULT_TOKEN, baseUrl: endpoint, limiter: new RateLimiter(600_000, 8), counter });
      const truth = sim.control.truth;
      const bt = [...truth.boards.values()].find((b) => b.stageSource === source)!;
      const [rawBoard, rawSub] = await client.boards({ ids: [bt.boardId, bt.subitemsBoardId] });
      expect(isItemBoard(rawBoard)).toBe(true);
      expect(isItemBoard(rawSub)).toBe(false);
      const board = MondayBoardRaw.parse(rawBoard);
      const subColumns = MondayBoardRaw.parse(rawSub).columns ?? [];
      const approval = approvalColumns(subColumns);
      expect(approval).toEqual({ decision: 'status', reviewer: 'person' });
      const stageMap = truth.defaultStageMap as Record<string, string>;
      const stage = resolveStage(rawBoard, { '*': source === 'status' ? { from: 'status_column', column: 'Stage', map: stageMap } : { from: 'group', map: stageMap } }, { connectionId: 'sim' });
      expect(stage.ok ? [] : stage.issues).toEqual([]);

      // Every page, small ones, so cursors are followed.
      const items: unknown[] = [];
      let page = await client.itemsPage(bt.boardId, { limit: 7, subitemColumns: [approval.decision!, approval.reviewer!] });
      items.push(...page.items);
      while (page.cursor) {
        page = await client.nextItemsPage(page.cursor, 7, { subitemColumns: [approval.decision!, approval.reviewer!] });
        items.push(...page.items);
      }
      const live = [...truth.items.values()].filter((t) => t.boardId === bt.boardId && t.state === 'active');
      expect(items.map((i) => (i as { id: string }).id)).toEqual(live.map((t) => t.itemId));

      const activity = await client.allActivityLogs(bt.boardId);
      const subitemActivity = await client.allActivityLogs(bt.subitemsBoardId, { columnIds: [approval.decision!] });
      const bundles: ItemBundle[] = items.map((item) => ({ item, activity, subitemActivity }));
      const users = new Map((await client.users([...new Set(bundles.flatMap(userIdsIn))])).map((u) => [(u as { id: string }).id, u as { email: string; name: string }]));
      const project = normalizeBoard(rawBoard, { connectionId: 'sim' });
      expect(project.ok).toBe(true);
      const ctx: MondayNormalizeContext = {
        connectionId: 'sim',
        board: { id: board.id, projectId: stableId('sim', 'monday_board', board.id), columns: board.columns ?? [] },
        subitemColumns: subColumns,
        stage: stage.ok ? stage.value : (null as never),
        users,
        rolesOf: () => [],
      };
      const all = emptyBatch();
      for (const b of bundles) {
        const { batch, report } = normalizeItem(b, ctx);
        expect(report.unknownUsers).toEqual([]);
        expect(report.unmappedStatus).toBeNull();
        mergeBatches(all, batch);
      }
      expect(all.rejected).toEqual([]);
      expect(all.assets).toHaveLength(live.length);
      const emailOf = new Map(all.persons.map((p) => [p.id, p.email]));

      for (const t of live) {
        const assetId = stableId('sim', 'monday_item', t.itemId);
        const asset = all.assets.find((a) => a.id === assetId)!;
        expect(asset.sourceStatus, t.itemId).toBe(t.stage);
        // Stage history: every transition of the truth, with its time and who made it.
        const got = all.transitions.filter((x) => x.assetId === assetId).map((x) => ({ from: x.fromStatus, to: x.toStatus, at: x.at, user: emailOf.get(x.actorId ?? '') ?? null }));
        expect(got, t.itemId).toEqual(t.transitions.map((x) => ({ from: x.from, to: x.to, at: x.at, user: x.userEmail })));
        // Versions: names and numbers.
        const versions = all.versions.filter((v) => v.assetId === assetId).map((v) => [v.number, v.name]).sort((a, b) => Number(a[0]) - Number(b[0]));
        expect(versions, t.itemId).toEqual(t.versions.map((v) => [v.number, v.name]));
        // Updates and replies, with their authors and threads.
        // Update times are `Date` scalars, to the second; the truth keeps milliseconds.
        const second = (iso: string) => iso.slice(0, 19);
        const comments = all.comments.filter((c) => c.assetId === assetId).map((c) => ({ id: c.externalId, thread: c.threadExternalId, text: c.body, author: emailOf.get(c.authorId ?? '') ?? null, at: second(c.createdAt) }));
        expect(comments.sort((a, b) => a.id.localeCompare(b.id)), t.itemId).toEqual(
          t.updates.map((u) => ({ id: u.updateId, thread: u.parentUpdateId, text: u.text, author: u.authorEmail, at: second(u.createdAt) })).sort((a, b) => a.id.localeCompare(b.id)),
        );
        // Decisions from the subitems board's log.
        const decisions = all.decisions.filter((d) => d.assetId === assetId).map((d) => ({ status: d.decision, reviewer: emailOf.get(d.reviewerId ?? '') ?? null, at: d.decidedAt }));
        expect(decisions, t.itemId).toEqual(t.decisions.map((d) => ({ status: d.status, reviewer: d.reviewerEmail, at: d.at })));
      }
      expect(counter.toJSON()['query boards.activity_logs']).toBeGreaterThan(0);
    }, 60_000);
  }
});
