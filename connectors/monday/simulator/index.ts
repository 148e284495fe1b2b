// monday.com simulator: a local HTTP server that answers like monday's GraphQL API (`POST /v2`,
// schema 2026-10) for what a sync connector uses, seeded with the same creative agency as the Asana
// and Drive simulators. See README.md in this folder.

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type GenerateAgencyOptions, type GeneratedAgency, generateAgency } from '../../asana/simulator';
import { type MondaySimulatorControl, createControl, handleControlRequest } from './control';
import { type GenerateMondayOptions, generateMonday } from './generator';
import { Limits, type LimitsConfig } from './limits';
import { type GeneratedMonday } from './model';
import { mondaySchema } from './schema';
import { API_PATH, MondayApi, type TokenKind, send } from './server';
import { MondayStore } from './store';
import { WebhookSender } from './webhooks';

export { generateMonday, COLUMN_IDS } from './generator';
export type { GenerateMondayOptions } from './generator';
export { DEFAULT_LIMITS } from './limits';
export type { LimitsConfig } from './limits';
export { queryCost, MUTATION_BASE_COST, NOMINAL_LIST_SIZE } from './complexity';
export { mondaySchema, publishedSdl, SCHEMA_API_VERSION, SCHEMA_PATH } from './schema';
export { API_PATH, resolveVersion } from './server';
export type { CallStats, FaultSpec, TokenKind } from './server';
export type { ActivityInfo, ColumnValueInfo, ComplexityBudgetInput, MondaySimulatorControl, UpdateInfo } from './control';
export type { WebhookDelivery } from './webhooks';
export { ITEMS_PAGE_MAX } from './resolvers';
export { STAGE_LABELS, DECISION_LABELS, PRIORITY_LABELS } from './vocabulary';
export type { BoardTruth, GeneratedMonday, ItemTruth, MondayDataset, MondayTruth, StageSource, TruthDecision, TruthTransition, TruthUpdate, TruthVersion } from './model';

/** Accepted by every simulator unless revoked; acts as the account's "Creative Ops Bot" (as in the Asana and Drive simulators). */
export const SIM_DEFAULT_TOKEN = 'sim-token';

export interface GenerateMondaySimOptions extends Partial<GenerateAgencyOptions>, Omit<GenerateMondayOptions, 'seed'> {
  seed: number | string;
  /** The agency to build the account for; default generateAgency({ seed, tasks, projects, now }). */
  agency?: GeneratedAgency;
}

export interface MondaySimulatorOptions {
  /** An account from generateMonday (the simulator mutates it; do not share it between simulators). */
  monday?: GeneratedMonday;
  /** Or generate one (and the agency behind it, unless given). */
  generate?: GenerateMondaySimOptions;
  /** Extra tokens: token → email of a person of the account, optionally an app token (separate read and write budgets). */
  tokens?: Record<string, string | { email: string; kind: TokenKind }>;
  /** Limits; default 10M complexity points per minute, 5M per query, no daily cap, no minute or concurrency limit. */
  limits?: Partial<LimitsConfig>;
  /** Epoch milliseconds for limits, cursor expiry and the timestamps of writes; default Date.now. */
  clock?: () => number;
  /** items_page cursor lifetime; default 60 minutes. */
  cursorTtlMs?: number;
  /** Delay before each answer (default 0). */
  latencyMs?: number;
}

export interface StartedMondaySimulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `http://127.0.0.1:<port>/v2`: what `new ApiClient({ token, endpoint })` takes. */
  endpoint: string;
  port: number;
}

export interface MondaySimulator {
  start(port?: number, host?: string): Promise<StartedMondaySimulator>;
  stop(): Promise<void>;
  control: MondaySimulatorControl;
}

export function createMondaySimulator(options: MondaySimulatorOptions): MondaySimulator {
  let monday = options.monday;
  if (!monday && options.generate) {
    const g = options.generate;
    const agency = g.agency ?? generateAgency({ seed: g.seed, tasks: g.tasks ?? 300, projects: g.projects, now: g.now });
    monday = generateMonday(agency, { seed: g.seed, boards: g.boards, groupBoardShare: g.groupBoardShare });
  }
  if (!monday) throw new TypeError('createMondaySimulator: give `monday` or `generate`');
  const store = new MondayStore(monday.dataset, monday.truth, { clock: options.clock, cursorTtlMs: options.cursorTtlMs });
  const limits = new Limits(options.limits);
  const webhooks = new WebhookSender(store, monday.dataset);
  const api = new MondayApi(store, limits, webhooks, mondaySchema());
  api.latencyMs = options.latencyMs ?? 0;
  api.tokens.set(SIM_DEFAULT_TOKEN, { user: monday.dataset.bot, kind: 'personal' });
  const control = createControl(store, api, limits, webhooks, SIM_DEFAULT_TOKEN);
  for (const [token, who] of Object.entries(options.tokens ?? {})) {
    if (typeof who === 'string') control.addToken(token, who);
    else control.addToken(token, who.email, who.kind);
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const search = q < 0 ? '' : url.slice(q + 1);
    let work: Promise<void>;
    if (pathname === API_PATH || pathname.startsWith(`${API_PATH}/`)) work = api.handle(req, res, pathname);
    else if (pathname.startsWith('/_sim/')) work = handleControlRequest(control, api, req, res, pathname, search);
    else {
      req.resume();
      send(res, { status: 404, body: { errors: [{ message: `No route ${pathname}: the API is POST ${API_PATH}` }] } });
      return;
    }
    work.catch((err: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: { errors: [{ message: `Simulator failure: ${String(err)}`, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] } });
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
      return { url, endpoint: `${url}${API_PATH}`, port: actual };
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

export interface CliMondaySimulatorOptions {
  port?: number;
  host?: string;
  /** Same as the Asana and Drive simulators', so all three serve the same agency. */
  tasks?: number;
  projects?: number;
  seed?: number | string;
  /** How many of the agency's projects become boards; default all. */
  boards?: number;
  limits?: Partial<LimitsConfig>;
}

/** For `stageline simulate monday`: generates the agency and its monday account, starts, and reports where to point a client. */
export async function startMondaySimulatorFromCli(options: CliMondaySimulatorOptions = {}): Promise<
  StartedMondaySimulator & {
    token: string;
    boardIds: string[];
    stop: () => Promise<void>;
    control: MondaySimulatorControl;
    generatedInMs: number;
  }
> {
  const t0 = performance.now();
  const seed = options.seed ?? 1;
  const agency = generateAgency({ seed, tasks: options.tasks ?? 10_000, projects: options.projects });
  const monday = generateMonday(agency, { seed, boards: options.boards });
  const generatedInMs = Math.round(performance.now() - t0);
  const sim = createMondaySimulator({ monday, limits: options.limits });
  const started = await sim.start(options.port ?? 0, options.host);
  return {
    ...started,
    token: SIM_DEFAULT_TOKEN,
    boardIds: sim.control.boardIds(),
    stop: () => sim.stop(),
    control: sim.control,
    generatedInMs,
  };
}
