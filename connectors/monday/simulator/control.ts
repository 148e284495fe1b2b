// The control surface tests, benchmarks and the demo drive the simulator with: people's edits
// (through the same store methods as the API's mutations, so each leaves its activity-log entry,
// webhook delivery and truth), what a write left behind, limits, faults, tokens, cursors, webhooks,
// call counts and the ground truth. Reachable in-process and as JSON over HTTP under /_sim/.

import { type IncomingMessage, type ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { type Limits, type LimitsConfig } from './limits';
import {
  type ActivityLogRec,
  type BoardTruth,
  type ColumnRec,
  type GroupRec,
  type ItemRec,
  type ItemTruth,
  type MondayDataset,
  type MondayTruth,
  type UpdateRec,
  type UserRec,
  isoMillis,
} from './model';
import { type CallStats, type FaultSpec, type MondayApi, type TokenKind, send } from './server';
import { type MondayStore } from './store';
import { cellJson, cellText } from './values';
import { type WebhookDelivery, type WebhookSender, WEBHOOK_EVENTS } from './webhooks';
import { parseColumnValues } from './writes';

export interface ColumnValueInfo {
  columnId: string;
  title: string;
  type: string;
  /** What `text` serves (null when empty). */
  text: string | null;
  /** What `value` serves, decoded (null when empty). */
  value: unknown;
}

export interface UpdateInfo {
  id: string;
  text: string;
  body: string;
  authorEmail: string;
  createdAt: string;
  replies: { id: string; text: string; authorEmail: string; createdAt: string }[];
}

export interface ActivityInfo {
  id: string;
  event: string;
  createdAt: string;
  userEmail: string;
  itemId: string | null;
  columnId: string | null;
  data: Record<string, unknown>;
}

export interface ComplexityBudgetInput {
  /** Personal tokens, reads and writes together (default 10,000,000). */
  perMinute?: number;
  /** The cap on one query (default 5,000,000). */
  perQueryMax?: number;
  appReadPerMinute?: number;
  appWritePerMinute?: number;
}

export interface MondaySimulatorControl {
  readonly dataset: MondayDataset;
  readonly truth: MondayTruth;
  /** Accepted unless revoked; acts as the account's "Creative Ops Bot" (personal token). */
  readonly defaultToken: string;
  readonly accountId: string;
  /** The campaign boards (subitem boards left out), in id order. */
  boardIds(): string[];

  // People's edits. `actor` is an email; the default is someone who would plausibly make the edit
  // (the item's owner for status changes and uploads, the board owner otherwise).
  /** Sets a status column by label text (default column: the board's stage column, else its first status column). */
  setStatus(itemId: string, label: string, options?: { columnId?: string; actor?: string }): void;
  /** Any column values, as change_multiple_column_values takes them (an object keyed by column id). */
  setColumnValues(itemId: string, values: Record<string, unknown>, actor?: string): void;
  moveItemToGroup(itemId: string, group: string, actor?: string): void;
  renameItem(itemId: string, name: string, actor?: string): void;
  archiveItem(itemId: string, actor?: string): void;
  deleteItem(itemId: string, actor?: string): void;
  restoreItem(itemId: string, actor?: string): void;
  createItem(boardId: string, input: { name: string; groupId?: string; values?: Record<string, unknown>; actor?: string }): string;
  addUpdate(itemId: string, text: string, actor?: string): string;
  addReply(updateId: string, text: string, actor?: string): string;
  /** An upload into a file column (default: the board's first file column): a new asset and the asset's next version. */
  addAsset(itemId: string, file: { name: string; size?: number; columnId?: string; actor?: string }): string;

  // What is stored, to assert a write against.
  columnValue(itemId: string, columnId: string): ColumnValueInfo | null;
  columnValues(itemId: string): ColumnValueInfo[];
  updatesOf(itemId: string): UpdateInfo[];
  /** A board's activity log, oldest first. */
  activityOf(boardId: string, filter?: { itemId?: string; columnId?: string }): ActivityInfo[];
  itemState(itemId: string): 'active' | 'archived' | 'deleted';
  truthOf(itemId: string): ItemTruth | undefined;
  boardTruth(boardId: string): BoardTruth | undefined;

  // Limits, faults, tokens, cursors.
  setComplexityBudget(budget: ComplexityBudgetInput): void;
  /** Every token's per-minute window starts afresh. */
  resetComplexityBudgets(): void;
  setDailyLimit(cap: number | null): void;
  /** Calls counted today (a rate-limited call and a complexity-only query count 0.1). */
  dailyCalls(): number;
  resetDailyCalls(): void;
  setRateLimit(perMinute: number | null): void;
  setMaxConcurrency(max: number | null): void;
  /** Delay before every answer, so concurrent requests overlap as over a network. */
  setLatency(ms: number): void;
  /** Answer 423 to a mutation on a board another mutation is still writing to. */
  setBoardLocking(enabled: boolean): void;
  /** The next matching requests fail with monday's error (a complexity storm: `{kind: 'complexity', times: 20}`). */
  injectFaults(fault: FaultSpec): void;
  clearFaults(): void;
  addToken(token: string, email: string, kind?: TokenKind): void;
  revokeToken(token: string): void;
  /** Every items_page cursor issued so far answers CursorExpiredError. */
  expireCursors(): void;
  setCursorTtl(ms: number): void;
  calls(): CallStats;
  resetCalls(): void;

  // Webhooks: monday as the sender.
  /** The challenge handshake with `url`, then a hook on the board (default: the first board, change_column_value). */
  registerWebhook(url: string, options?: { boardId?: string; event?: string; config?: Record<string, unknown>; actor?: string }): Promise<string>;
  removeWebhook(id: string): void;
  webhookDeliveries(): WebhookDelivery[];
  flushWebhooks(): Promise<void>;
  redeliverFailedWebhooks(): Promise<void>;
  /** POSTs `{"event": event}` to a registered hook as monday would. */
  sendWebhookEvent(webhookId: string, event: Record<string, unknown>): Promise<void>;
  /** Sign deliveries with an `Authorization` JWT (HS256), as app-created hooks are; null = unsigned (personal-token hooks). */
  setWebhookSigningSecret(secret: string | null): void;
}

class ControlError extends Error {}

export function createControl(store: MondayStore, api: MondayApi, limits: Limits, webhooks: WebhookSender, defaultToken: string): MondaySimulatorControl {
  const dataset = store.dataset;
  const item = (id: string): ItemRec => {
    const it = store.item(id);
    if (!it) throw new ControlError(`No item ${id}`);
    return it;
  };
  const who = (email: string | undefined, fallback: UserRec): UserRec => {
    if (email === undefined) return fallback;
    const u = store.userByEmail(email);
    if (!u) throw new ControlError(`No user with email ${email}`);
    return u;
  };
  const ownerOf = (it: ItemRec): UserRec => {
    const c = it.values.get('person');
    const id = c && c.t === 'people' ? c.persons[0]?.id : undefined;
    return (id !== undefined ? store.user(id) : undefined) ?? (it.parent ?? it).board.owner;
  };
  const boardOwner = (it: ItemRec): UserRec => (it.board.parentBoard ?? it.board).owner;
  const write = (it: ItemRec, values: Record<string, unknown>, actor: UserRec): void => {
    try {
      store.applyWrite(
        it,
        parseColumnValues(it.board, values, {
          now: store.clock(),
          createLabelsIfMissing: false,
          userExists: (id) => store.user(id) !== undefined,
          itemExists: (id) => store.item(id) !== undefined,
        }),
        actor,
      );
    } catch (err) {
      if (err instanceof GraphQLError) throw new ControlError(`${String((err.extensions as { code?: unknown }).code)}: ${err.message}`);
      throw err;
    }
  };
  const info = (it: ItemRec, c: ColumnRec): ColumnValueInfo => ({ columnId: c.id, title: c.title, type: c.type, text: cellText(it, c, store.lookup), value: cellJson(it, c) });
  const updateInfo = (u: UpdateRec): UpdateInfo => ({
    id: u.id,
    text: u.textBody,
    body: u.body,
    authorEmail: u.creator.email,
    createdAt: isoMillis(u.createdAt),
    replies: u.replies.map((r) => ({ id: r.id, text: r.textBody, authorEmail: r.creator.email, createdAt: isoMillis(r.createdAt) })),
  });
  const activityInfo = (e: ActivityLogRec): ActivityInfo => ({
    id: e.id,
    event: e.event,
    createdAt: isoMillis(e.createdAt),
    userEmail: e.user.email,
    itemId: e.itemId,
    columnId: e.columnId,
    data: e.data(),
  });
  const positive = (name: string, v: number): number => {
    if (!Number.isFinite(v) || v <= 0) throw new ControlError(`${name}: expected a positive number, got ${String(v)}`);
    return v;
  };
  const orNull = (name: string, v: number | null): number | null => (v === null ? null : positive(name, v));

  return {
    dataset,
    truth: store.truth,
    defaultToken,
    accountId: dataset.account.id,
    boardIds: () => dataset.boards.filter((b) => b.type === 'board').map((b) => b.id),

    setStatus(itemId, label, options = {}) {
      const it = item(itemId);
      const columnId = options.columnId ?? it.board.stageColumnId ?? it.board.columns.find((c) => c.type === 'status')?.id;
      if (!columnId) throw new ControlError(`Board ${it.board.id} has no status column`);
      write(it, { [columnId]: { label } }, who(options.actor, ownerOf(it)));
    },
    setColumnValues(itemId, values, actor) {
      const it = item(itemId);
      write(it, values, who(actor, ownerOf(it)));
    },
    moveItemToGroup(itemId, group, actor) {
      const it = item(itemId);
      const g: GroupRec | undefined = it.board.groups.find((x) => !x.deleted && (x.id === group || x.title === group));
      if (!g) throw new ControlError(`No group ${group} on board ${it.board.id}`);
      store.moveToGroup(it, g, who(actor, ownerOf(it)));
    },
    renameItem(itemId, name, actor) {
      const it = item(itemId);
      store.rename(it, name, who(actor, ownerOf(it)));
    },
    archiveItem(itemId, actor) {
      const it = item(itemId);
      store.setState(it, 'archived', who(actor, boardOwner(it)));
    },
    deleteItem(itemId, actor) {
      const it = item(itemId);
      store.setState(it, 'deleted', who(actor, boardOwner(it)));
    },
    restoreItem(itemId, actor) {
      const it = item(itemId);
      store.setState(it, 'active', who(actor, boardOwner(it)));
    },
    createItem(boardId, input) {
      const board = store.board(boardId);
      if (!board) throw new ControlError(`No board ${boardId}`);
      const group = input.groupId ? board.groups.find((g) => g.id === input.groupId || g.title === input.groupId) : board.groups.find((g) => !g.archived && !g.deleted);
      if (!group) throw new ControlError(`No group ${input.groupId ?? ''} on board ${boardId}`);
      const actor = who(input.actor, board.owner);
      const parsed = input.values
        ? parseColumnValues(board, input.values, { now: store.clock(), createLabelsIfMissing: false, userExists: (id) => store.user(id) !== undefined, itemExists: (id) => store.item(id) !== undefined })
        : null;
      return store.createItem(board, { name: input.name, group, parent: null, write: parsed }, actor).id;
    },
    addUpdate(itemId, text, actor) {
      const it = item(itemId);
      return store.addUpdate(it, text, who(actor, boardOwner(it))).id;
    },
    addReply(updateId, text, actor) {
      const u = store.updateOrReply(updateId);
      if (!u || u.kind !== 'update') throw new ControlError(`No update ${updateId}`);
      return store.addReply(u, text, who(actor, boardOwner(u.item))).id;
    },
    addAsset(itemId, file) {
      const it = item(itemId);
      const column = file.columnId ? it.board.columns.find((c) => c.id === file.columnId && c.type === 'file') : it.board.columns.find((c) => c.type === 'file');
      if (!column) throw new ControlError(`No file column ${file.columnId ?? ''} on board ${it.board.id}`);
      return store.addAsset(it, column, { name: file.name, size: file.size ?? 2_500_000 }, who(file.actor, ownerOf(it))).id;
    },

    columnValue(itemId, columnId) {
      const it = item(itemId);
      const c = it.board.columns.find((x) => x.id === columnId);
      return c ? info(it, c) : null;
    },
    columnValues(itemId) {
      const it = item(itemId);
      return it.board.columns.filter((c) => c.type !== 'name').map((c) => info(it, c));
    },
    updatesOf(itemId) {
      return item(itemId).updates.filter((u) => !u.deleted).map(updateInfo);
    },
    activityOf(boardId, filter = {}) {
      const b = store.board(boardId);
      if (!b) throw new ControlError(`No board ${boardId}`);
      return b.activity.filter((e) => (filter.itemId === undefined || e.itemId === filter.itemId) && (filter.columnId === undefined || e.columnId === filter.columnId)).map(activityInfo);
    },
    itemState: (itemId) => item(itemId).state,
    truthOf: (itemId) => store.truth.items.get(itemId),
    boardTruth: (boardId) => store.truth.boards.get(boardId),

    setComplexityBudget(budget) {
      const c: Partial<LimitsConfig> = {};
      if (budget.perMinute !== undefined) c.complexityPerMinute = positive('perMinute', budget.perMinute);
      if (budget.perQueryMax !== undefined) c.maxQueryComplexity = positive('perQueryMax', budget.perQueryMax);
      if (budget.appReadPerMinute !== undefined) c.appReadPerMinute = positive('appReadPerMinute', budget.appReadPerMinute);
      if (budget.appWritePerMinute !== undefined) c.appWritePerMinute = positive('appWritePerMinute', budget.appWritePerMinute);
      limits.config = { ...limits.config, ...c };
    },
    resetComplexityBudgets: () => limits.resetBudgets(),
    setDailyLimit(cap) {
      limits.config = { ...limits.config, dailyLimit: orNull('cap', cap) };
    },
    dailyCalls: () => Math.round(limits.dailyCalls(store.clock()) * 10) / 10,
    resetDailyCalls: () => limits.resetDaily(),
    setRateLimit(perMinute) {
      limits.config = { ...limits.config, rateLimitPerMinute: orNull('perMinute', perMinute) };
    },
    setMaxConcurrency(max) {
      limits.config = { ...limits.config, maxConcurrency: orNull('max', max) };
    },
    setLatency(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new ControlError(`ms: expected a number ≥ 0, got ${String(ms)}`);
      api.latencyMs = ms;
    },
    setBoardLocking(enabled) {
      api.lockBoards = enabled;
    },
    injectFaults: (fault) => api.injectFaults(fault),
    clearFaults: () => api.clearFaults(),
    addToken(token, email, kind = 'personal') {
      if (token.trim() === '') throw new ControlError('token: expected a non-empty string');
      api.tokens.set(token, { user: who(email, dataset.bot), kind });
    },
    revokeToken(token) {
      api.tokens.delete(token);
    },
    expireCursors: () => store.expireCursors(),
    setCursorTtl(ms) {
      store.cursorTtlMs = positive('ms', ms);
    },
    calls: () => api.calls(),
    resetCalls: () => api.resetCalls(),

    async registerWebhook(url, options = {}) {
      const boardId = options.boardId ?? dataset.boards.find((b) => b.type === 'board')?.id;
      if (!boardId || !store.board(boardId)) throw new ControlError(`No board ${boardId ?? ''}`);
      const event = options.event ?? 'change_column_value';
      if (!(WEBHOOK_EVENTS as readonly string[]).includes(event)) throw new ControlError(`event: ${event} is not a webhook event`);
      const hook = await webhooks.register({ boardId, url, event, config: options.config ?? null, user: who(options.actor, dataset.bot) });
      return hook.id;
    },
    removeWebhook(id) {
      if (!webhooks.remove(id)) throw new ControlError(`No webhook ${id}`);
    },
    webhookDeliveries: () => [...webhooks.deliveries],
    flushWebhooks: () => webhooks.flush(),
    redeliverFailedWebhooks: () => webhooks.redeliverFailed(),
    sendWebhookEvent: (webhookId, event) => webhooks.sendRaw(webhookId, event),
    setWebhookSigningSecret(secret) {
      webhooks.signingSecret = secret;
    },
  };
}

// ---- over HTTP ----------------------------------------------------------------------------------

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      try {
        const v = JSON.parse(text) as unknown;
        resolve(v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
      } catch (err) {
        reject(new ControlError(`Body is not JSON: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
    req.on('error', reject);
  });
}

export async function handleControlRequest(control: MondaySimulatorControl, api: MondayApi, req: IncomingMessage, res: ServerResponse, pathname: string, search: string): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const parts = pathname.split('/').filter((p) => p !== '').slice(1).map((p) => decodeURIComponent(p));
  const query = new URLSearchParams(search);
  if (method === 'GET' && parts[0] === 'assets' && parts.length === 2) {
    // Asset.public_url: a signed link valid for one hour.
    const id = parts[1] as string;
    const expires = Number(query.get('expires'));
    if (query.get('sig') !== api.assetSig(id, expires)) return send(res, { status: 403, body: { error: 'Signature does not match' } });
    if (api.store.clock() > expires) return send(res, { status: 403, body: { error: 'Request has expired' } });
    const asset = api.store.asset(id);
    if (!asset) return send(res, { status: 404, body: { error: 'No such asset' } });
    const bytes = Buffer.from(`stand-in bytes of ${asset.name} (${asset.size} bytes)\n`);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length, 'Content-Disposition': `attachment; filename="${asset.name}"` });
    res.end(bytes);
    return;
  }
  try {
    const body = method === 'GET' || method === 'DELETE' ? {} : await readJson(req);
    const data = await route(control, method, parts, body, query);
    send(res, { status: 200, body: data ?? { ok: true } });
  } catch (err) {
    const status = err instanceof ControlError || err instanceof RangeError || err instanceof TypeError ? 400 : 500;
    send(res, { status, body: { error: err instanceof Error ? err.message : String(err) } });
  }
}

async function route(c: MondaySimulatorControl, method: string, p: string[], body: Record<string, unknown>, query: URLSearchParams): Promise<unknown> {
  const str = (key: string): string => {
    const v = body[key];
    if (typeof v !== 'string') throw new ControlError(`${key}: expected a string`);
    return v;
  };
  const opt = (key: string): string | undefined => (typeof body[key] === 'string' ? (body[key] as string) : undefined);
  const num = (key: string): number | null => {
    const v = body[key];
    if (v !== null && typeof v !== 'number') throw new ControlError(`${key}: expected a number or null`);
    return v;
  };
  const id = p[1] ?? '';
  const literal = new Set(['deliveries', 'flush']);
  const shape = p.map((x, i) => (i === 1 && ['items', 'updates', 'boards', 'webhooks'].includes(p[0] ?? '') && !literal.has(x) ? '{id}' : i === 2 && p[0] === 'truth' && p[1] !== undefined ? '{id}' : x)).join('/');
  switch (`${method} /${shape}`) {
    case 'GET /info':
      return {
        accountId: c.accountId,
        token: c.defaultToken,
        boards: c.boardIds().map((b) => c.boardTruth(b)),
        items: c.truth.items.size,
      };
    case 'GET /calls':
      return c.calls();
    case 'POST /calls/reset':
      return c.resetCalls();
    case 'POST /items/{id}/status':
      return c.setStatus(id, str('label'), { columnId: opt('columnId'), actor: opt('actor') });
    case 'POST /items/{id}/values':
      return c.setColumnValues(id, (body.values ?? {}) as Record<string, unknown>, opt('actor'));
    case 'POST /items/{id}/move':
      return c.moveItemToGroup(id, str('group'), opt('actor'));
    case 'POST /items/{id}/rename':
      return c.renameItem(id, str('name'), opt('actor'));
    case 'POST /items/{id}/archive':
      return c.archiveItem(id, opt('actor'));
    case 'POST /items/{id}/delete':
      return c.deleteItem(id, opt('actor'));
    case 'POST /items/{id}/restore':
      return c.restoreItem(id, opt('actor'));
    case 'POST /items/{id}/updates':
      return { id: c.addUpdate(id, str('text'), opt('actor')) };
    case 'POST /updates/{id}/replies':
      return { id: c.addReply(id, str('text'), opt('actor')) };
    case 'POST /items/{id}/assets':
      return { id: c.addAsset(id, { name: str('name'), size: typeof body.size === 'number' ? body.size : undefined, columnId: opt('columnId'), actor: opt('actor') }) };
    case 'POST /boards/{id}/items':
      return { id: c.createItem(id, { name: str('name'), groupId: opt('groupId'), values: body.values as Record<string, unknown> | undefined, actor: opt('actor') }) };
    case 'GET /items/{id}/values':
      return c.columnValues(id);
    case 'GET /items/{id}/updates':
      return c.updatesOf(id);
    case 'GET /boards/{id}/activity':
      return c.activityOf(id, { itemId: query.get('itemId') ?? undefined, columnId: query.get('columnId') ?? undefined });
    case 'GET /truth': {
      const offset = Number(query.get('offset') ?? 0);
      const limit = Math.min(Number(query.get('limit') ?? 100), 1000);
      return { total: c.truth.items.size, items: [...c.truth.items.values()].slice(offset, offset + limit) };
    }
    case 'GET /truth/boards':
      return [...c.truth.boards.values()];
    case 'GET /truth/items/{id}': {
      const t = c.truthOf(p[2] ?? '');
      if (!t) throw new ControlError(`No truth for item ${p[2] ?? ''}`);
      return t;
    }
    case 'POST /complexity':
      return c.setComplexityBudget(body as ComplexityBudgetInput);
    case 'POST /complexity/reset':
      return c.resetComplexityBudgets();
    case 'POST /daily-limit':
      return c.setDailyLimit(num('cap'));
    case 'GET /daily-calls':
      return { calls: c.dailyCalls() };
    case 'POST /daily-calls/reset':
      return c.resetDailyCalls();
    case 'POST /rate-limit':
      return c.setRateLimit(num('perMinute'));
    case 'POST /concurrency':
      return c.setMaxConcurrency(num('max'));
    case 'POST /latency':
      return c.setLatency(Number(body.ms));
    case 'POST /board-locking':
      return c.setBoardLocking(body.enabled === true);
    case 'POST /faults':
      return c.injectFaults(body as unknown as FaultSpec);
    case 'DELETE /faults':
      return c.clearFaults();
    case 'POST /tokens':
      return c.addToken(str('token'), str('email'), (opt('kind') as TokenKind | undefined) ?? 'personal');
    case 'POST /tokens/revoke':
      return c.revokeToken(str('token'));
    case 'POST /cursors/expire':
      return c.expireCursors();
    case 'POST /cursors/ttl':
      return c.setCursorTtl(Number(body.ms));
    case 'POST /webhooks':
      return { id: await c.registerWebhook(str('url'), { boardId: opt('boardId'), event: opt('event'), config: body.config as Record<string, unknown> | undefined, actor: opt('actor') }) };
    case 'DELETE /webhooks/{id}':
      return c.removeWebhook(id);
    case 'GET /webhooks/deliveries':
      return c.webhookDeliveries();
    case 'POST /webhooks/flush':
      return c.flushWebhooks();
    case 'POST /webhooks/{id}/send':
      return c.sendWebhookEvent(id, (body.event ?? {}) as Record<string, unknown>);
    default:
      throw new ControlError(`No control route ${method} /_sim/${p.join('/')}`);
  }
}
