// Asana simulator: a local HTTP server that answers like Asana's REST API, seeded with a
// deterministic creative-agency workspace. See README.md in this folder.

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type AsanaSimulatorControl, createControl, handleControlRequest } from './control';
import { type GenerateAgencyOptions, type GeneratedAgency, generateAgency } from './generator';
import { type UserRec } from './model';
import { API_BASE_PATH, AsanaApi, send } from './server';
import { AsanaStore } from './store';

export { generateAgency, DEFAULT_NOW, CF } from './generator';
export type { GenerateAgencyOptions, GeneratedAgency } from './generator';
export { SECTION_NAMES, DEFAULT_STAGE_MAP } from './model';
export type {
  AgencyDataset,
  AgencyTruth,
  AgencyRole,
  CanonicalStage,
  SectionName,
  TaskTruth,
  TruthComment,
  TruthDecision,
  TruthTransition,
  TruthVersion,
} from './model';
export type { AsanaSimulatorControl, CreateCustomFieldInput, CreateTaskInput, CustomFieldInfo, CustomFieldValueInfo, StoryInfo } from './control';
export type { CallStats, FaultSpec } from './server';
export { API_BASE_PATH } from './server';

/** Accepted by every simulator unless revoked; acts as the workspace's "Creative Ops Bot" user. */
export const SIM_DEFAULT_TOKEN = 'sim-token';

export interface AsanaSimulatorOptions {
  /** A dataset from generateAgency (the simulator mutates it; do not share it between simulators). */
  dataset?: GeneratedAgency;
  /** Or generate one. */
  generate?: GenerateAgencyOptions;
  /** Extra tokens: token → user gid. SIM_DEFAULT_TOKEN is always added. */
  tokens?: Record<string, string>;
  /** Requests per minute per token (Asana: 150 free, 1,500 paid); default unlimited. */
  rateLimitPerMinute?: number | null;
  /** Sync token lifetime; default 24 h. */
  syncTokenTtlMs?: number;
  /** Epoch milliseconds for rate limits, token expiry and write timestamps; default Date.now. */
  clock?: () => number;
}

export interface StartedSimulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `http://127.0.0.1:<port>/api/1.0`, what `ApiClient.basePath` should be set to. */
  baseUrl: string;
  port: number;
}

export interface AsanaSimulator {
  start(port?: number, host?: string): Promise<StartedSimulator>;
  stop(): Promise<void>;
  control: AsanaSimulatorControl;
}

export function createAsanaSimulator(options: AsanaSimulatorOptions): AsanaSimulator {
  const agency = options.dataset ?? (options.generate ? generateAgency(options.generate) : null);
  if (!agency) throw new TypeError('createAsanaSimulator: give `dataset` or `generate`');
  const store = new AsanaStore(agency.dataset, agency.truth, { clock: options.clock, syncTokenTtlMs: options.syncTokenTtlMs });
  const api = new AsanaApi(store);
  const defaultUser = agency.dataset.users[0] as UserRec;
  api.tokens.set(SIM_DEFAULT_TOKEN, defaultUser);
  for (const [token, userGid] of Object.entries(options.tokens ?? {})) {
    api.tokens.set(token, store.find('user', userGid, 'user'));
  }
  api.rateLimitPerMinute = options.rateLimitPerMinute ?? null;
  const control = createControl(store, api, SIM_DEFAULT_TOKEN);

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const search = q < 0 ? '' : url.slice(q + 1);
    let work: Promise<void>;
    if (pathname === API_BASE_PATH || pathname.startsWith(`${API_BASE_PATH}/`)) work = api.handle(req, res, pathname, search);
    else if (pathname.startsWith('/_sim/')) work = handleControlRequest(control, store, req, res, pathname, search);
    else {
      send(res, { status: 404, body: { errors: [{ message: 'No matching route for request' }] } });
      return;
    }
    work.catch((err: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: { errors: [{ message: `Simulator failure: ${String(err)}` }] } });
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
      return { url, baseUrl: `${url}${API_BASE_PATH}`, port: actual };
    },
    async stop() {
      const s = server;
      server = null;
      if (!s) return;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
}

export interface CliSimulatorOptions {
  port?: number;
  host?: string;
  tasks?: number;
  projects?: number;
  seed?: number | string;
  rateLimitPerMinute?: number | null;
}

/** For `stageline simulate asana`: generates, starts, and reports where to point a client. */
export async function startAsanaSimulatorFromCli(options: CliSimulatorOptions = {}): Promise<
  StartedSimulator & {
    token: string;
    workspaceGid: string;
    stop: () => Promise<void>;
    control: AsanaSimulatorControl;
    generatedInMs: number;
  }
> {
  const t0 = performance.now();
  const generated = generateAgency({ seed: options.seed ?? 1, tasks: options.tasks ?? 10_000, projects: options.projects });
  const generatedInMs = Math.round(performance.now() - t0);
  const sim = createAsanaSimulator({ dataset: generated, rateLimitPerMinute: options.rateLimitPerMinute ?? null });
  const started = await sim.start(options.port ?? 0, options.host);
  return {
    ...started,
    token: SIM_DEFAULT_TOKEN,
    workspaceGid: generated.dataset.workspace.gid,
    stop: () => sim.stop(),
    control: sim.control,
    generatedInMs,
  };
}
