// Google Drive simulator: a local HTTP server that answers like Drive API v3 for what a sync
// connector uses, seeded with the same creative agency as the Asana simulator. See README.md.

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type GenerateAgencyOptions, type GeneratedAgency, generateAgency } from '../../asana/simulator';
import { type DriveSimulatorControl, createControl, handleControlRequest } from './control';
import { routeNotFound } from './errors';
import { generateDrive } from './generator';
import { type GeneratedDrive } from './model';
import { API_PREFIX, DriveApi, type QuotaErrorMode, UPLOAD_PREFIX, send } from './server';
import { DriveStore } from './store';

export { generateDrive, REVISION_PURGE_MS } from './generator';
export type { GenerateDriveOptions } from './generator';
export { MIME, MIME_BY_EXT } from './model';
export type {
  CommentTruth,
  DriveDataset,
  DriveFileTruth,
  DriveTruth,
  FileCategory,
  FolderTruth,
  GeneratedDrive,
  LinkKind,
  PersonTruth,
  ReplyTruth,
  RevisionTruth,
} from './model';
export type { CreateFileInput, DriveSimulatorControl } from './control';
export type { CallStats, FaultSpec, QuotaErrorMode } from './server';
export { API_PREFIX, UPLOAD_PREFIX } from './server';
export { carriesKey } from './truth';

/** Accepted by every simulator unless revoked; acts as the agency's "Creative Ops Bot" (as in the Asana simulator). */
export const SIM_DEFAULT_TOKEN = 'sim-token';

export interface GenerateDriveSimOptions extends Partial<GenerateAgencyOptions> {
  seed: number | string;
  /** The agency to build the Drive for; default generateAgency({ seed, tasks, projects, now }). */
  agency?: GeneratedAgency;
}

export interface DriveSimulatorOptions {
  /** A Drive from generateDrive (the simulator mutates it; do not share it between simulators). */
  drive?: GeneratedDrive;
  /** Or generate one (and the agency behind it, unless given). */
  generate?: GenerateDriveSimOptions;
  /** Extra tokens: token → email of an agency person. SIM_DEFAULT_TOKEN is always added. */
  tokens?: Record<string, string>;
  /** Requests per minute per token; default unlimited. */
  quotaPerMinute?: number | null;
  /** What an excess answers: 403 userRateLimitExceeded, 429 rateLimitExceeded, or the two in turn (default). */
  quotaError?: QuotaErrorMode;
  /** Epoch milliseconds for the quota window and the timestamps of writes; default Date.now. */
  clock?: () => number;
}

export interface StartedDriveSimulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `http://127.0.0.1:<port>/`: what `drive({ version: 'v3', rootUrl })` takes (and, per call, media uploads). */
  rootUrl: string;
  /** `http://127.0.0.1:<port>/drive/v3` */
  baseUrl: string;
  port: number;
}

export interface DriveSimulator {
  start(port?: number, host?: string): Promise<StartedDriveSimulator>;
  stop(): Promise<void>;
  control: DriveSimulatorControl;
}

export function createDriveSimulator(options: DriveSimulatorOptions): DriveSimulator {
  let drive = options.drive;
  if (!drive && options.generate) {
    const g = options.generate;
    const agency = g.agency ?? generateAgency({ seed: g.seed, tasks: g.tasks ?? 300, projects: g.projects, now: g.now });
    drive = generateDrive(agency, { seed: g.seed });
  }
  if (!drive) throw new TypeError('createDriveSimulator: give `drive` or `generate`');
  const store = new DriveStore(drive.dataset, drive.truth, { clock: options.clock });
  const api = new DriveApi(store);
  api.tokens.set(SIM_DEFAULT_TOKEN, drive.dataset.bot);
  for (const [token, email] of Object.entries(options.tokens ?? {})) api.tokens.set(token, store.person(email));
  api.quotaPerMinute = options.quotaPerMinute ?? null;
  if (options.quotaError) api.quotaError = options.quotaError;
  const control = createControl(store, api, SIM_DEFAULT_TOKEN);

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const search = q < 0 ? '' : url.slice(q + 1);
    let work: Promise<void>;
    if (pathname.startsWith(`${API_PREFIX}/`) || pathname.startsWith(`${UPLOAD_PREFIX}/`)) work = api.handle(req, res, pathname, search);
    else if (pathname.startsWith('/_sim/')) work = handleControlRequest(control, req, res, pathname, search);
    else {
      send(res, { status: 404, body: routeNotFound().body() });
      return;
    }
    work.catch((err: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: { error: { code: 500, message: `Simulator failure: ${String(err)}`, errors: [] } } });
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
      return { url, rootUrl: `${url}/`, baseUrl: `${url}${API_PREFIX}`, port: actual };
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

export interface CliDriveSimulatorOptions {
  port?: number;
  host?: string;
  /** Same as the Asana simulator's, so both serve the same agency. */
  tasks?: number;
  projects?: number;
  seed?: number | string;
  quotaPerMinute?: number | null;
  quotaError?: QuotaErrorMode;
}

/** For `stageline simulate drive`: generates the agency and its Drive, starts, and reports where to point a client. */
export async function startDriveSimulatorFromCli(options: CliDriveSimulatorOptions = {}): Promise<
  StartedDriveSimulator & {
    token: string;
    rootFolderIds: string[];
    sharedDriveId: string;
    stop: () => Promise<void>;
    control: DriveSimulatorControl;
    generatedInMs: number;
  }
> {
  const t0 = performance.now();
  const seed = options.seed ?? 1;
  const agency = generateAgency({ seed, tasks: options.tasks ?? 10_000, projects: options.projects });
  const drive = generateDrive(agency, { seed });
  const generatedInMs = Math.round(performance.now() - t0);
  const sim = createDriveSimulator({ drive, quotaPerMinute: options.quotaPerMinute ?? null, quotaError: options.quotaError });
  const started = await sim.start(options.port ?? 0, options.host);
  return {
    ...started,
    token: SIM_DEFAULT_TOKEN,
    rootFolderIds: drive.truth.rootFolderIds,
    sharedDriveId: drive.truth.sharedDriveId,
    stop: () => sim.stop(),
    control: sim.control,
    generatedInMs,
  };
}
