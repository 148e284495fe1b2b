// The control surface tests, benchmarks and the demo drive the simulator with: people's edits in
// the app (through the same store methods as the API's writes, so each moves last_edited_time and
// sends its webhook), what a page looks like now, sharing, limits, faults, tokens, webhooks, call
// counts and the ground truth. Reachable in-process and as JSON over HTTP under /_sim/.

import { type IncomingMessage, type ServerResponse } from 'node:http';
import type { PageObjectResponse } from '@notionhq/client';
import { NotionError } from './errors';
import { type RateLimitConfig, checkRateLimit } from './limits';
import { type NotionDataset, type NotionTruth, type PageRec, type PageTruth, type UserRec, isoTime, normalizeId, plainText, textItem } from './model';
import { PROPERTY_NAMES } from './names';
import { type CallLogEntry, type CallStats, type FaultSpec, type NotionApi, ALL_CAPABILITIES, type TokenCapabilities, send } from './server';
import { pageJson } from './serialize';
import { type NotionStore } from './store';
import { computeTruth, pageTruth } from './truth';
import { type WebhookDelivery, type WebhookSender, type WebhookSubscription } from './webhooks';
import { parsePropertyWrites } from './writes';
import { type NotionVersion } from './model';

export interface PageState {
  /** The page as the default token reads it (2025-09-03, emails included). */
  page: PageObjectResponse;
  inTrash: boolean;
  lastEditedTime: string;
  lastEditedById: string;
  /** Every comment, resolved ones too. */
  comments: { id: string; discussionId: string; text: string; authorId: string; createdTime: string; resolved: boolean }[];
}

export interface NotionSimulatorControl {
  readonly dataset: NotionDataset;
  /** Accepted unless revoked; acts as the integration's bot "Creative Ops Bot", with every capability. */
  readonly defaultToken: string;
  /** The ground truth now (it follows every edit). */
  truth(): NotionTruth;
  truthOf(pageId: string): PageTruth | undefined;
  databaseIds(): string[];
  /** Data source ids, optionally only the asset (`assets`), `clients` or archive (`bulk`) ones. */
  dataSourceIds(role?: 'assets' | 'clients' | 'bulk'): string[];

  // People's edits in the app. `actor` is an email or a user id; by default the page's owner.
  /** Property values in the API's request shape (`{ Stage: { status: { name: 'Approved' } } }`). */
  editPage(pageId: string, properties: Record<string, unknown>, actor?: string): void;
  setStage(pageId: string, stage: string, actor?: string): void;
  trashPage(pageId: string, actor?: string): void;
  restorePage(pageId: string, actor?: string): void;
  createPage(dataSourceId: string, properties: Record<string, unknown>, actor?: string): string;
  /** A comment: a new discussion, or a reply when `discussionId` is given. Returns its id. */
  addComment(pageId: string, text: string, options?: { actor?: string; discussionId?: string }): string;
  resolveDiscussion(discussionId: string, actor?: string): void;
  reopenDiscussion(discussionId: string, actor?: string): void;
  pageState(pageId: string): PageState;

  // Access, limits, faults, tokens.
  unshareDatabase(databaseId: string): void;
  shareDatabase(databaseId: string): void;
  /** Per token; null = unlimited. */
  setRateLimit(limit: RateLimitConfig | null): void;
  /** Shared by every token of the workspace; null = unlimited (the default). */
  setWorkspaceRateLimit(limit: RateLimitConfig | null): void;
  /** Every bucket full again. */
  resetRateLimits(): void;
  /** Rows per query before request_status says incomplete (default 10,000). */
  setQueryResultLimit(rows: number): void;
  /** The next matching requests fail (`{code: 'service_overload', times: 3}`), or a share of them (`rate`). */
  injectFaults(fault: FaultSpec): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  /** Another integration's token (its own bot user); capabilities default to all. */
  addToken(token: string, options?: { capabilities?: Partial<TokenCapabilities>; botName?: string }): void;
  revokeToken(token: string): void;
  calls(): CallStats;
  callLog(): CallLogEntry[];
  resetCalls(): void;

  // Webhooks: Notion as the sender.
  /** The verification request to `url`, then signed deliveries of the chosen event types. */
  subscribeWebhook(url: string, options?: { eventTypes?: string[]; apiVersion?: NotionVersion; verificationToken?: string }): Promise<WebhookSubscription>;
  unsubscribeWebhook(subscriptionId: string): void;
  webhookDeliveries(): WebhookDelivery[];
  flushWebhooks(): Promise<void>;
  redeliverFailedWebhooks(): Promise<void>;
  sendWebhookPayload(subscriptionId: string, payload: Record<string, unknown>): Promise<void>;
}

class ControlError extends Error {}

export function createControl(store: NotionStore, api: NotionApi, webhooks: WebhookSender, defaultToken: string): NotionSimulatorControl {
  const ds = store.dataset;
  const page = (id: string): PageRec => {
    const p = ds.pagesById.get(normalizeId(id) ?? id);
    if (!p) throw new ControlError(`pageId: no page ${id}`);
    return p;
  };
  const person = (who: string): UserRec => {
    const u = ds.users.find((x) => x.email === who) ?? ds.usersById.get(normalizeId(who) ?? who);
    if (!u) throw new ControlError(`actor: no user with email or id ${who}`);
    return u;
  };
  const actorFor = (p: PageRec, who: string | undefined): UserRec => {
    if (who !== undefined) return person(who);
    const owner = p.dataSource.properties.find((x) => x.name === PROPERTY_NAMES.owner);
    const v = owner ? p.values.get(owner.id) : undefined;
    const id = v?.t === 'people' ? v.userIds[0] : undefined;
    return (id && ds.usersById.get(id)) || (p.createdBy.type === 'person' ? p.createdBy : (ds.users.find((u) => u.type === 'person') ?? ds.bot));
  };
  const database = (id: string) => {
    const db = ds.databasesById.get(normalizeId(id) ?? id);
    if (!db) throw new ControlError(`databaseId: no database ${id}`);
    return db;
  };
  const ctx = { dataset: ds, version: '2025-09-03' as const, emails: true, signFile: (f: { fileId: string; name: string; kind: 'file' }) => api.signFile('http://127.0.0.1', f) };

  return {
    dataset: ds,
    defaultToken,
    truth: () => computeTruth(ds),
    truthOf: (id) => {
      const p = ds.pagesById.get(normalizeId(id) ?? id);
      return p && p.dataSource.role === 'assets' ? pageTruth(ds, p) : undefined;
    },
    databaseIds: () => ds.databases.map((d) => d.id),
    dataSourceIds: (role) => ds.databases.flatMap((d) => d.dataSources).filter((s) => role === undefined || s.role === role).map((s) => s.id),

    editPage(pageId, properties, actor) {
      const p = page(pageId);
      const writes = parsePropertyWrites(properties, p.dataSource, ds, p, () => store.mintShortId(), 'properties');
      store.updatePage(p, writes, undefined, actorFor(p, actor));
    },
    setStage(pageId, stage, actor) {
      this.editPage(pageId, { [PROPERTY_NAMES.stage]: { status: { name: stage } } }, actor);
    },
    trashPage(pageId, actor) {
      const p = page(pageId);
      store.updatePage(p, [], true, actorFor(p, actor));
    },
    restorePage(pageId, actor) {
      const p = page(pageId);
      store.updatePage(p, [], false, actorFor(p, actor));
    },
    createPage(dataSourceId, properties, actor) {
      const s = ds.dataSourcesById.get(normalizeId(dataSourceId) ?? dataSourceId);
      if (!s) throw new ControlError(`dataSourceId: no data source ${dataSourceId}`);
      const writes = parsePropertyWrites(properties, s, ds, null, () => store.mintShortId(), 'properties');
      const who = actor !== undefined ? person(actor) : s.createdBy;
      return store.createPage(s, writes, who).id;
    },
    addComment(pageId, text, options = {}) {
      const p = page(pageId);
      if (text.length === 0 || text.length > 2000) throw new ControlError('text: expected 1 to 2000 characters');
      const who = actorFor(p, options.actor);
      let discussion: string | null = null;
      if (options.discussionId !== undefined) {
        discussion = normalizeId(options.discussionId) ?? options.discussionId;
        if (ds.discussions.get(discussion)?.[0]?.page !== p) throw new ControlError(`discussionId: no discussion ${options.discussionId} on page ${p.id}`);
      }
      return store.addComment(p, discussion, [textItem(text)], who, { type: 'user', resolvedName: who.name }).id;
    },
    resolveDiscussion(discussionId, actor) {
      const first = ds.discussions.get(discussionId)?.[0];
      if (!first) throw new ControlError(`discussionId: no discussion ${discussionId}`);
      store.setResolved(discussionId, true, actorFor(first.page, actor));
    },
    reopenDiscussion(discussionId, actor) {
      const first = ds.discussions.get(discussionId)?.[0];
      if (!first) throw new ControlError(`discussionId: no discussion ${discussionId}`);
      store.setResolved(discussionId, false, actorFor(first.page, actor));
    },
    pageState(pageId) {
      const p = page(pageId);
      return {
        page: pageJson(p, ctx) as PageObjectResponse,
        inTrash: p.inTrash,
        lastEditedTime: isoTime(p.lastEditedTime),
        lastEditedById: p.lastEditedBy.id,
        comments: p.comments.map((c) => ({ id: c.id, discussionId: c.discussionId, text: plainText(c.richText), authorId: c.author.id, createdTime: isoTime(c.createdTime), resolved: c.resolved })),
      };
    },

    unshareDatabase: (id) => void (database(id).shared = false),
    shareDatabase: (id) => void (database(id).shared = true),
    setRateLimit: (limit) => void (api.tokenBuckets.config = checkRateLimit(limit, 'rateLimit')),
    setWorkspaceRateLimit: (limit) => void (api.workspaceBucket.config = checkRateLimit(limit, 'workspaceRateLimit')),
    resetRateLimits() {
      api.tokenBuckets.reset();
      api.workspaceBucket.reset();
    },
    setQueryResultLimit(rows) {
      if (!Number.isInteger(rows) || rows < 1) throw new ControlError(`rows: expected an integer ≥ 1, got ${String(rows)}`);
      api.queryResultLimit = rows;
    },
    injectFaults: (fault) => api.injectFaults(fault),
    clearFaults: () => api.clearFaults(),
    setLatency(ms) {
      if (!(Number.isFinite(ms) && ms >= 0)) throw new ControlError(`ms: expected a number ≥ 0, got ${String(ms)}`);
      api.latencyMs = ms;
    },
    addToken(token, options = {}) {
      if (typeof token !== 'string' || token.trim() === '') throw new ControlError('token: expected a non-empty string');
      const name = options.botName ?? `Integration ${api.tokens.size + 1}`;
      let bot = ds.users.find((u) => u.type === 'bot' && u.name === name);
      if (!bot) {
        bot = { kind: 'user', id: store.mintId(), type: 'bot', name, avatarUrl: null, email: null, guest: false, role: null, asanaGid: null };
        ds.users.push(bot);
        ds.usersById.set(bot.id, bot);
      }
      api.tokens.set(token, { bot, capabilities: { ...ALL_CAPABILITIES, ...(options.capabilities ?? {}) } });
    },
    revokeToken: (token) => void api.tokens.delete(token),
    calls: () => api.calls(),
    callLog: () => api.callLog(),
    resetCalls: () => api.resetCalls(),

    subscribeWebhook: (url, options) => webhooks.subscribe(url, options),
    unsubscribeWebhook: (id) => webhooks.unsubscribe(id),
    webhookDeliveries: () => webhooks.deliveries.map((d) => ({ ...d, headers: { ...d.headers } })),
    flushWebhooks: () => webhooks.flush(),
    redeliverFailedWebhooks: () => webhooks.redeliverFailed(),
    sendWebhookPayload: (id, payload) => webhooks.sendRaw(id, payload),
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  const v: unknown = JSON.parse(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ControlError('body: expected a JSON object');
  return v as Record<string, unknown>;
}

/** `/_sim/…`: the control surface over HTTP, and the downloads of Notion-hosted files. */
export async function handleControlRequest(c: NotionSimulatorControl, api: NotionApi, req: IncomingMessage, res: ServerResponse, pathname: string, search: string): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const parts = pathname.slice('/_sim/'.length).split('/').filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(search);
  if (parts[0] === 'files' && method === 'GET') {
    req.resume();
    const fileId = parts[1] ?? '';
    const expires = Number(query.get('expires'));
    if (query.get('sig') !== api.fileSig(fileId, expires)) return send(res, { status: 403, body: { error: 'Signature does not match' } });
    if (api.store.clock() > expires) return send(res, { status: 403, body: { error: 'Request has expired' } });
    const bytes = Buffer.from(`stand-in bytes of ${parts[2] ?? fileId}\n`);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length });
    res.end(bytes);
    return;
  }
  try {
    const body = method === 'GET' || method === 'DELETE' ? (req.resume(), {}) : await readJson(req);
    const data = await route(c, method, parts, body, query);
    send(res, { status: 200, body: data ?? { ok: true } });
  } catch (err) {
    const status = err instanceof ControlError || err instanceof RangeError || err instanceof TypeError || err instanceof NotionError || err instanceof SyntaxError ? 400 : 500;
    send(res, { status, body: { error: err instanceof Error ? err.message : String(err) } });
  }
}

async function route(c: NotionSimulatorControl, method: string, p: string[], body: Record<string, unknown>, query: URLSearchParams): Promise<unknown> {
  const str = (key: string): string => {
    const v = body[key];
    if (typeof v !== 'string') throw new ControlError(`${key}: expected a string`);
    return v;
  };
  const opt = (key: string): string | undefined => (typeof body[key] === 'string' ? (body[key] as string) : undefined);
  const obj = (key: string): Record<string, unknown> => {
    const v = body[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ControlError(`${key}: expected an object`);
    return v as Record<string, unknown>;
  };
  const limit = (): RateLimitConfig | null => (body.limit === null ? null : (obj('limit') as unknown as RateLimitConfig));
  const id = p[1] ?? '';
  const literal = new Set(['deliveries', 'flush', 'redeliver']);
  const shape = p.map((x, i) => (i === 1 && ['pages', 'data_sources', 'databases', 'discussions', 'webhooks'].includes(p[0] ?? '') && !literal.has(x) ? '{id}' : i === 2 && p[0] === 'truth' ? '{id}' : x)).join('/');
  switch (`${method} /${shape}`) {
    case 'GET /info':
      return { token: c.defaultToken, workspace: c.dataset.workspace, databases: c.databaseIds(), dataSources: c.truth().dataSources };
    case 'GET /truth': {
      const all = [...c.truth().pages.values()];
      const offset = Number(query.get('offset') ?? 0);
      const n = Math.min(Number(query.get('limit') ?? 100), 1000);
      return { total: all.length, pages: all.slice(offset, offset + n) };
    }
    case 'GET /truth/pages/{id}': {
      const t = c.truthOf(p[2] ?? '');
      if (!t) throw new ControlError(`No truth for page ${p[2] ?? ''}`);
      return t;
    }
    case 'GET /calls':
      return c.calls();
    case 'GET /calls/log':
      return c.callLog();
    case 'POST /calls/reset':
      return c.resetCalls();
    case 'GET /pages/{id}':
      return c.pageState(id);
    case 'POST /pages/{id}/properties':
      return c.editPage(id, obj('properties'), opt('actor'));
    case 'POST /pages/{id}/stage':
      return c.setStage(id, str('stage'), opt('actor'));
    case 'POST /pages/{id}/trash':
      return c.trashPage(id, opt('actor'));
    case 'POST /pages/{id}/restore':
      return c.restorePage(id, opt('actor'));
    case 'POST /pages/{id}/comments':
      return { id: c.addComment(id, str('text'), { actor: opt('actor'), discussionId: opt('discussionId') }) };
    case 'POST /data_sources/{id}/pages':
      return { id: c.createPage(id, obj('properties'), opt('actor')) };
    case 'POST /discussions/{id}/resolve':
      return c.resolveDiscussion(id, opt('actor'));
    case 'POST /discussions/{id}/reopen':
      return c.reopenDiscussion(id, opt('actor'));
    case 'POST /databases/{id}/unshare':
      return c.unshareDatabase(id);
    case 'POST /databases/{id}/share':
      return c.shareDatabase(id);
    case 'POST /rate-limit':
      return c.setRateLimit(limit());
    case 'POST /workspace-rate-limit':
      return c.setWorkspaceRateLimit(limit());
    case 'POST /rate-limit/reset':
      return c.resetRateLimits();
    case 'POST /query-result-limit':
      return c.setQueryResultLimit(Number(body.rows));
    case 'POST /faults':
      return c.injectFaults(body as unknown as FaultSpec);
    case 'DELETE /faults':
      return c.clearFaults();
    case 'POST /latency':
      return c.setLatency(Number(body.ms));
    case 'POST /tokens':
      return c.addToken(str('token'), { capabilities: body.capabilities as Partial<TokenCapabilities> | undefined, botName: opt('botName') });
    case 'POST /tokens/revoke':
      return c.revokeToken(str('token'));
    case 'POST /webhooks': {
      const sub = await c.subscribeWebhook(str('url'), { eventTypes: body.eventTypes as string[] | undefined, apiVersion: opt('apiVersion') as NotionVersion | undefined, verificationToken: opt('verificationToken') });
      return sub;
    }
    case 'DELETE /webhooks/{id}':
      return c.unsubscribeWebhook(id);
    case 'GET /webhooks/deliveries':
      return c.webhookDeliveries();
    case 'POST /webhooks/flush':
      return c.flushWebhooks();
    case 'POST /webhooks/redeliver':
      return c.redeliverFailedWebhooks();
    case 'POST /webhooks/{id}/send':
      return c.sendWebhookPayload(id, obj('payload'));
    default:
      throw new ControlError(`No control route ${method} /_sim/${p.join('/')}`);
  }
}
