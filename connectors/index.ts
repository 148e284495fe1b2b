// Every connector, as a small typed map (STYLE.md §2). A connector is one folder with the same files
// as every other; index.unit.test.ts fails when a folder is missing from this map or lacks one of
// them, and test/conformance/ runs the same cases against every entry with its simulator (§4).
import type { CallCounter, ConnectorManifest } from './types';
import type { RateLimiter } from './limiter';
import type { Normalized } from '../mapping/model';
import { AsanaClient } from './asana/client';
import { manifest as asanaManifest } from './asana/manifest';
import { normalizeProject, normalizeTaskBundle } from './asana/normalize';
import type { AsanaSimulatorOptions } from './asana/simulator';
import { HOOK_SIGNATURE_HEADER, handshakeResponse, parseWebhookEvents, verifyAsanaSignature } from './asana/webhook';
import { AsanaWriter } from './asana/writeback';
import { DriveClient } from './drive/client';
import { manifest as driveManifest } from './drive/manifest';
import { normalizeFile, normalizeFileBundle } from './drive/normalize';
import type { DriveSimulatorOptions } from './drive/simulator';
import { CHANNEL_TOKEN_HEADER, parseDriveWebhookBody, verifyDriveChannelToken } from './drive/webhook';
import { DriveWriter } from './drive/writeback';
import { MondayClient } from './monday/client';
import { manifest as mondayManifest } from './monday/manifest';
import { normalizeBoard, normalizeItemBundle } from './monday/normalize';
import type { MondaySimulatorOptions } from './monday/simulator';
import { AUTHORIZATION_HEADER, challengeResponse, parseMondayWebhook, verifyMondayJwt } from './monday/webhook';
import { MondayWriter } from './monday/writeback';
import { NotionClient } from './notion/client';
import { manifest as notionManifest } from './notion/manifest';
import { normalizeDataSource, normalizePageBundle } from './notion/normalize';
import type { NotionSimulatorOptions } from './notion/simulator';
import { SIGNATURE_HEADER as NOTION_SIGNATURE_HEADER, parseNotionWebhook, verificationHandshake, verifyNotionSignature } from './notion/webhook';
import { NotionWriter } from './notion/writeback';

/** What every connector's client and writer take: the credential, where to send, and its limiter. */
export interface ConnectorClientOptions {
  token: string;
  /** The vendor's API root; a simulator's base URL in tests. Default: the manifest's. */
  baseUrl?: string;
  /** The credential's limiter, shared by reads and writes. */
  limiter: RateLimiter;
  counter?: CallCounter;
  timeoutMs?: number;
  abortIf?: () => boolean;
}

/** A started-on-demand local stand-in for the vendor's API. */
export interface SimulatorHandle {
  start(port?: number): Promise<{ baseUrl: string }>;
  stop(): Promise<void>;
}

export interface ConnectorModule {
  manifest: ConnectorManifest;
  /** Reads: SDK calls only, through the limiter, errors classified. */
  client: (opts: ConnectorClientOptions) => object;
  /** Write-back, on the same terms as the client. */
  writer: (opts: ConnectorClientOptions) => object;
  /** Pure raw → model entry points (vendor-specific contexts). */
  normalize: Readonly<Record<string, (raw: never, ctx: never) => unknown>>;
  webhook: {
    /** The header a delivery's proof arrives in. */
    signatureHeader: string;
    verify: (rawBody: Buffer | string, signatureHeader: string | undefined, secret: string) => boolean;
    parse: (rawBody: Buffer | string) => Normalized<unknown>;
    /** The subscription handshake, for vendors that have one in-band. */
    handshake?: (headers: never) => unknown;
  };
  /**
   * The connector's simulator, loaded on demand so that production code never imports test
   * machinery; options are the simulator's own (dataset size, seed, rate limit…).
   */
  simulator: (options: never) => Promise<SimulatorHandle>;
}

/**
 * Connector folders under construction: their simulator lands first, the connector files follow.
 * Each is exempt from the shape checks until it joins the map, and says why.
 */
export const PENDING_CONNECTORS: Readonly<Record<string, string>> = {};

export const connectors = {
  asana: {
    manifest: asanaManifest,
    client: (opts: ConnectorClientOptions) => new AsanaClient(opts),
    writer: (opts: ConnectorClientOptions) => new AsanaWriter(opts),
    normalize: { project: normalizeProject, taskBundle: normalizeTaskBundle },
    webhook: { signatureHeader: HOOK_SIGNATURE_HEADER, verify: verifyAsanaSignature, parse: parseWebhookEvents, handshake: handshakeResponse },
    simulator: async (options: AsanaSimulatorOptions) => (await import('./asana/simulator')).createAsanaSimulator(options),
  },
  drive: {
    manifest: driveManifest,
    client: (opts: ConnectorClientOptions) => new DriveClient(opts),
    writer: (opts: ConnectorClientOptions) => new DriveWriter(opts),
    normalize: { file: normalizeFile, fileBundle: normalizeFileBundle },
    // No signature: the proof is the channel token chosen when the channel was opened (drive/webhook.ts).
    webhook: { signatureHeader: CHANNEL_TOKEN_HEADER, verify: verifyDriveChannelToken, parse: parseDriveWebhookBody },
    // start() answers { baseUrl: 'http://127.0.0.1:P/drive/v3', rootUrl, … }; DriveClient takes either form.
    simulator: async (options: DriveSimulatorOptions) => (await import('./drive/simulator')).createDriveSimulator(options),
  },
  monday: {
    manifest: mondayManifest,
    client: (opts: ConnectorClientOptions) => new MondayClient(opts),
    writer: (opts: ConnectorClientOptions) => new MondayWriter(opts),
    normalize: { board: normalizeBoard, itemBundle: normalizeItemBundle },
    // App-token deliveries carry an HS256 JWT in Authorization; personal-token hooks are unsigned and
    // prove themselves by a secret path segment (monday/webhook.ts verifyPathSecret). The subscription
    // challenge arrives in the body and is echoed as is.
    webhook: { signatureHeader: AUTHORIZATION_HEADER, verify: verifyMondayJwt, parse: parseMondayWebhook, handshake: challengeResponse },
    // start() answers { url, endpoint: 'http://127.0.0.1:P/v2', port }, and the endpoint as baseUrl: what MondayClient takes.
    simulator: async (options: MondaySimulatorOptions) => {
      const sim = (await import('./monday/simulator')).createMondaySimulator(options);
      return {
        control: sim.control,
        stop: () => sim.stop(),
        start: async (port?: number) => {
          const started = await sim.start(port);
          return { ...started, baseUrl: started.endpoint };
        },
      };
    },
  },
  notion: {
    manifest: notionManifest,
    client: (opts: ConnectorClientOptions) => new NotionClient(opts),
    writer: (opts: ConnectorClientOptions) => new NotionWriter(opts),
    normalize: { dataSource: normalizeDataSource, pageBundle: normalizePageBundle },
    // `X-Notion-Signature: sha256=<hex HMAC>` keyed by the subscription's verification token, which
    // arrives once, unsigned, in the body of the first POST (notion/webhook.ts verificationHandshake).
    webhook: { signatureHeader: NOTION_SIGNATURE_HEADER, verify: verifyNotionSignature, parse: parseNotionWebhook, handshake: verificationHandshake },
    // start() answers { url, baseUrl: 'http://127.0.0.1:P', port }: the origin NotionClient takes (the SDK adds /v1).
    simulator: async (options: NotionSimulatorOptions) => (await import('./notion/simulator')).createNotionSimulator(options),
  },
} satisfies Record<string, ConnectorModule>;

export type ConnectorId = keyof typeof connectors;
export const CONNECTOR_IDS = Object.keys(connectors) as ConnectorId[];
