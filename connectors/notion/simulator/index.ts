// Notion simulator: a local HTTP server that answers like Notion's REST API (`/v1`, Notion-Version
// 2025-09-03 and 2026-03-11) for what a sync connector uses, seeded with the same creative agency as
// the Asana, Drive and monday simulators. See README.md in this folder.

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { generateAgency } from '../../asana/simulator';
import { type NotionSimulatorControl, createControl, handleControlRequest } from './control';
import { NotionError } from './errors';
import { type GenerateNotionOptions, generateNotion } from './generator';
import { DEFAULT_RATE_LIMIT, type RateLimitConfig, checkRateLimit } from './limits';
import { type GeneratedNotion } from './model';
import { API_PREFIX, ALL_CAPABILITIES, NotionApi, type TokenCapabilities, send } from './server';
import { NotionStore } from './store';
import { WebhookSender } from './webhooks';

export { generateNotion, PROPERTY_NAMES } from './generator';
export type { GenerateNotionOptions } from './generator';
export { DEFAULT_RATE_LIMIT } from './limits';
export type { RateLimitConfig } from './limits';
export { API_PREFIX, FILE_URL_TTL_MS, MAX_BODY_BYTES, QUERY_RESULT_LIMIT, endpointOf } from './server';
export type { CallLogEntry, CallStats, FaultSpec, TokenCapabilities } from './server';
export { ERROR_CODES, STATUS_OF } from './errors';
export type { NotionErrorCode } from './errors';
export { SIGNATURE_HEADER, WEBHOOK_EVENT_TYPES, signBody } from './webhooks';
export type { WebhookDelivery, WebhookEventType, WebhookSubscription } from './webhooks';
export type { NotionSimulatorControl, PageState } from './control';
export { PAGE_LIST_CAP } from './serialize';
export { DEFAULT_NOTION_VERSION, NOTION_VERSIONS, floorMinute } from './model';
export type { DataSourceTruth, GeneratedNotion, NotionDataset, NotionTruth, NotionVersion, PageTruth, TruthComment, TruthVersion } from './model';

/** Accepted by every simulator unless revoked; acts as the integration's bot "Creative Ops Bot" (as in the other simulators). */
export const SIM_DEFAULT_TOKEN = 'sim-token';

export interface NotionSimulatorOptions {
  /** A workspace from generateNotion (the simulator mutates it; do not share it between simulators). */
  notion?: GeneratedNotion;
  /** Or generate one (and the agency behind it, unless given). */
  generate?: GenerateNotionOptions;
  /** What SIM_DEFAULT_TOKEN may do; default every capability (emails included). */
  defaultTokenCapabilities?: Partial<TokenCapabilities>;
  /** Extra tokens, each another integration with its own bot user. */
  tokens?: Record<string, { capabilities?: Partial<TokenCapabilities>; botName?: string }>;
  /** Per-token limit; default 3 requests/s with bursts of 10 (DEFAULT_RATE_LIMIT); null = unlimited. */
  rateLimit?: RateLimitConfig | null;
  /** Workspace-wide limit shared by all tokens; default none. */
  workspaceRateLimit?: RateLimitConfig | null;
  /** Rows one query returns before request_status says incomplete; default 10,000. */
  queryResultLimit?: number;
  /** Epoch milliseconds for limits, URL expiry and the timestamps of edits; default Date.now. */
  clock?: () => number;
  /** Delay before each answer (default 0). */
  latencyMs?: number;
}

export interface StartedNotionSimulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** What `new Client({ auth, baseUrl })` takes: the origin, no trailing slash (the SDK adds `/v1/`). */
  baseUrl: string;
  port: number;
}

export interface NotionSimulator {
  start(port?: number, host?: string): Promise<StartedNotionSimulator>;
  stop(): Promise<void>;
  control: NotionSimulatorControl;
}

export function createNotionSimulator(options: NotionSimulatorOptions): NotionSimulator {
  const notion = options.notion ?? (options.generate ? generateNotion(options.generate) : null);
  if (!notion) throw new TypeError('createNotionSimulator: give `notion` or `generate`');
  const store = new NotionStore(notion.dataset, options.clock ?? Date.now);
  const rateLimit = checkRateLimit(options.rateLimit === undefined ? DEFAULT_RATE_LIMIT : options.rateLimit, 'rateLimit');
  const api = new NotionApi(store, rateLimit, checkRateLimit(options.workspaceRateLimit ?? null, 'workspaceRateLimit'));
  api.latencyMs = options.latencyMs ?? 0;
  if (options.queryResultLimit !== undefined) {
    if (!Number.isInteger(options.queryResultLimit) || options.queryResultLimit < 1) throw new RangeError(`queryResultLimit: expected an integer ≥ 1, got ${String(options.queryResultLimit)}`);
    api.queryResultLimit = options.queryResultLimit;
  }
  api.tokens.set(SIM_DEFAULT_TOKEN, { bot: notion.dataset.bot, capabilities: { ...ALL_CAPABILITIES, ...(options.defaultTokenCapabilities ?? {}) } });
  const webhooks = new WebhookSender(store, notion.dataset);
  const control = createControl(store, api, webhooks, SIM_DEFAULT_TOKEN);
  for (const [token, o] of Object.entries(options.tokens ?? {})) control.addToken(token, o);

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const search = q < 0 ? '' : url.slice(q + 1);
    let work: Promise<void>;
    if (pathname === API_PREFIX || pathname.startsWith(`${API_PREFIX}/`)) work = api.handle(req, res, pathname, search);
    else if (pathname.startsWith('/_sim/')) work = handleControlRequest(control, api, req, res, pathname, search);
    else {
      req.resume();
      const e = new NotionError('invalid_request_url', `Invalid request URL: ${pathname} (the API is under ${API_PREFIX}/; a base URL with a trailing slash sends //v1/).`);
      send(res, { status: e.status, body: { object: 'error', status: e.status, code: e.code, message: e.message, request_id: 'simulator' } });
      return;
    }
    work.catch((err: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: { object: 'error', status: 500, code: 'internal_server_error', message: `Simulator failure: ${String(err)}`, request_id: 'simulator' } });
      else res.destroy();
    });
  };

  let server: Server | null = null;
  return {
    control,
    async start(port = 0, host = '127.0.0.1') {
      if (server) throw new Error('simulator already started');
      const s = createServer({ keepAliveTimeout: 30_000 }, listener);
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => resolve());
      });
      const actual = (s.address() as AddressInfo).port;
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
      return { url, baseUrl: url, port: actual };
    },
    async stop() {
      const s = server;
      server = null;
      if (!s) return;
      await webhooks.flush();
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
}

export interface CliNotionSimulatorOptions {
  port?: number;
  host?: string;
  /** Same as the other simulators', so all of them serve the same agency. */
  tasks?: number;
  projects?: number;
  seed?: number | string;
  databases?: number;
  bulkPages?: number;
  rateLimit?: RateLimitConfig | null;
}

/** For `stageline simulate notion`: generates the agency and its workspace, starts, and reports where to point a client. */
export async function startNotionSimulatorFromCli(options: CliNotionSimulatorOptions = {}): Promise<
  StartedNotionSimulator & { token: string; databaseIds: string[]; dataSourceIds: string[]; stop: () => Promise<void>; control: NotionSimulatorControl; generatedInMs: number }
> {
  const t0 = performance.now();
  const seed = options.seed ?? 1;
  const agency = generateAgency({ seed, tasks: options.tasks ?? 10_000, projects: options.projects });
  const notion = generateNotion({ seed, agency, databases: options.databases, bulkPages: options.bulkPages });
  const generatedInMs = Math.round(performance.now() - t0);
  const sim = createNotionSimulator({ notion, rateLimit: options.rateLimit });
  const started = await sim.start(options.port ?? 0, options.host);
  return {
    ...started,
    token: SIM_DEFAULT_TOKEN,
    databaseIds: sim.control.databaseIds(),
    dataSourceIds: sim.control.dataSourceIds(),
    stop: () => sim.stop(),
    control: sim.control,
    generatedInMs,
  };
}
