// Notion webhooks, the pure part: the verification handshake, the signature check and the delivery
// parser. The HTTP handler (body cap, 401 without detail, durable enqueue before the 2xx) lives with
// the API; these helpers never do I/O. Facts: ../shared/docs/vendor-apis.md §3.5, the SDK's
// build/src/webhooks.js (verifyWebhookSignature, signWebhookPayload) and api-endpoints/webhooks.d.ts,
// and ../shared/docs/engineering-facts.md §6.1 (verify over the raw body, compare in constant time,
// treat the payload as a hint and re-fetch).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { toIssues, type Issue, type Normalized } from '../../mapping/model';
import { NotionWebhookPayloadRaw } from './raw';

/** Where a delivery's proof arrives: `sha256=<hex HMAC-SHA256(raw body, verification token)>`. */
export const SIGNATURE_HEADER = 'X-Notion-Signature';
/** Deliveries are small JSON documents; anything larger is refused before it is parsed (engineering-facts §6.1). */
export const MAX_WEBHOOK_BODY_BYTES = 1_048_576;

const PREFIX = 'sha256=';
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

function bodyText(rawBody: Buffer | string): string {
  return typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
}

function bytesOf(rawBody: Buffer | string): number {
  return typeof rawBody === 'string' ? Buffer.byteLength(rawBody) : rawBody.length;
}

/**
 * True when `signatureHeader` is `sha256=` and the hex HMAC-SHA256 of exactly these bytes keyed by the
 * subscription's verification token: the rule of the SDK's `verifyWebhookSignature` (prefix, 64 hex
 * digits in any case, constant-time compare), computed synchronously with node:crypto because the
 * connector map's `verify` is synchronous (webhook.unit.test.ts checks both agree on every case).
 * Anything malformed is false, as is an empty token. Pass the raw body: re-serialized JSON differs.
 */
export function verifyNotionSignature(rawBody: Buffer | string, signatureHeader: string | undefined, verificationToken: string): boolean {
  if (typeof verificationToken !== 'string' || verificationToken === '') return false;
  if (typeof signatureHeader !== 'string' || !signatureHeader.startsWith(PREFIX)) return false;
  const hex = signatureHeader.slice(PREFIX.length);
  if (!HEX_SHA256.test(hex)) return false;
  if (typeof rawBody !== 'string' && !Buffer.isBuffer(rawBody)) return false;
  const expected = createHmac('sha256', verificationToken).update(rawBody).digest();
  const given = Buffer.from(hex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The header value Notion would send for this body and token (tests; the simulator uses the SDK's signWebhookPayload). */
export function signNotionPayload(rawBody: Buffer | string, verificationToken: string): string {
  return `${PREFIX}${createHmac('sha256', verificationToken).update(rawBody).digest('hex')}`;
}

// A token is stored (encrypted) and pasted back into Notion's UI: printable ASCII only, bounded.
const TOKEN_RE = /^[\x21-\x7e]{8,512}$/;
const Verification = z.strictObject({ verification_token: z.string().regex(TOKEN_RE, 'printable ASCII, 8-512 characters') });

/**
 * Notion's subscription check (vendor-apis.md §3.5): when a subscription is created in the
 * integration's settings, Notion POSTs `{"verification_token": "<secret>"}` once, unsigned (the token
 * is the key it will sign with from then on). The answer is a plain 200; the token is stored for
 * verifying deliveries and shown to the operator, who pastes it into Notion to activate the
 * subscription. Returns null when the body is not exactly that (then it is a delivery).
 */
export function verificationHandshake(rawBody: Buffer | string): { status: 200; verificationToken: string } | null {
  if (bytesOf(rawBody) > 4_096) return null;
  let json: unknown;
  try {
    json = JSON.parse(bodyText(rawBody));
  } catch {
    return null;
  }
  const v = Verification.safeParse(json);
  return v.success ? { status: 200, verificationToken: v.data.verification_token } : null;
}

/** The thin event the engine acts on: which page, data source or comment changed, and who did it. Notion events carry no values: re-fetch. */
export interface NotionWebhookEvent {
  /** The delivery's event id: a retried delivery (attempt_number > 1) carries the same id. */
  id: string;
  type: string;
  /** When the change happened (`timestamp`), ISO. */
  at: string;
  attempt: number;
  workspaceId: string;
  subscriptionId: string;
  integrationId: string;
  entity: { id: string; type: string };
  /** The page to re-read: the entity of `page.*` events, `data.page_id` of `comment.*` events; else null. */
  pageId: string | null;
  /** The data source concerned: the entity of `data_source.*` events, else the parent's `data_source_id` when given. */
  dataSourceId: string | null;
  /** `page.properties_updated`: the ids of the properties that changed. */
  updatedProperties: string[];
  /** Who made the change: people and bots (integrations) by user id. */
  authors: { id: string; type: string }[];
  apiVersion: string | null;
  raw: unknown;
}

export type NotionWebhookDelivery = { kind: 'verification'; verificationToken: string } | { kind: 'event'; event: NotionWebhookEvent };

/**
 * Parses a delivery body: the verification handshake, or one event (Notion sends one event per
 * request). A body that is neither is `ok: false` with issues (code + path, e.g. `entity.id`).
 */
export function parseNotionWebhook(rawBody: Buffer | string): Normalized<NotionWebhookDelivery> {
  const bytes = bytesOf(rawBody);
  if (bytes > MAX_WEBHOOK_BODY_BYTES) return fail({ code: 'too_big', path: [], message: `webhook body of ${bytes} bytes exceeds ${MAX_WEBHOOK_BODY_BYTES}` });
  const hs = verificationHandshake(rawBody);
  if (hs) return { ok: true, value: { kind: 'verification', verificationToken: hs.verificationToken } };
  let json: unknown;
  try {
    json = JSON.parse(bodyText(rawBody));
  } catch (err) {
    return fail({ code: 'invalid_json', path: [], message: `webhook body is not JSON: ${(err as Error).message}` });
  }
  const p = NotionWebhookPayloadRaw.safeParse(json);
  if (!p.success) return { ok: false, issues: toIssues(p.error) };
  const e = p.data;
  const family = e.type.split('.')[0];
  const pageId = family === 'page' && e.entity.type === 'page' ? e.entity.id : family === 'comment' ? (e.data?.page_id ?? null) : null;
  if (family === 'comment' && pageId === null) return fail({ code: 'invalid_type', path: ['data', 'page_id'], message: `a ${e.type} event names no page` });
  const dataSourceId = family === 'data_source' ? e.entity.id : (e.data?.parent?.data_source_id ?? null);
  return {
    ok: true,
    value: {
      kind: 'event',
      event: {
        id: e.id,
        type: e.type,
        at: new Date(Date.parse(e.timestamp)).toISOString(),
        attempt: e.attempt_number,
        workspaceId: e.workspace_id,
        subscriptionId: e.subscription_id,
        integrationId: e.integration_id,
        entity: { id: e.entity.id, type: e.entity.type },
        pageId,
        dataSourceId,
        updatedProperties: (e.data?.updated_properties ?? []).map((x) => (typeof x === 'string' ? x : x.id)),
        authors: e.authors.map((a) => ({ id: a.id, type: a.type })),
        apiVersion: e.api_version ?? null,
        raw: json,
      },
    },
  };
}

/**
 * Stageline's own write coming back: every author of the event is the integration's bot user (the
 * `GET /v1/users/me` id of the connection's token). A person's edit in the same second is listed as
 * an author too, so it is never mistaken for an echo. Comments are recognized by their stamp
 * (normalize.ts), property writes by value (writeback.ts never sends a value already there).
 */
export function isOwnEcho(event: Pick<NotionWebhookEvent, 'authors'>, botUserId: string): boolean {
  return event.authors.length > 0 && event.authors.every((a) => a.type === 'bot' && a.id === botUserId);
}

function fail(issue: Issue): Normalized<never> {
  return { ok: false, issues: [issue] };
}
