// monday.com webhooks, the pure part: the `challenge` echo, the JWT check of app-token webhooks, the
// secret-path check of personal-token ones, and the delivery parser. The HTTP handler (body cap, 401
// without detail, durable enqueue before the 2xx) lives with the API; these helpers never do I/O.
// Facts: ../shared/docs/vendor-apis.md §2.5 (the signing details are [U]) and
// ../shared/docs/engineering-facts.md §6.1 (verify, compare in constant time, treat the payload as a
// hint and re-fetch).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { toIssues, type Issue, type Normalized } from '../../mapping/model';
import { readStamp } from '../stamp';
import { MondayWebhookEventRaw } from './raw';

/** Where an app-token webhook's JWT arrives (Node's IncomingHttpHeaders has it lower case). */
export const AUTHORIZATION_HEADER = 'Authorization';
/** Deliveries are small JSON documents; anything larger is refused before it is parsed (engineering-facts §6.1). */
export const MAX_WEBHOOK_BODY_BYTES = 1_048_576;
/** Clock skew tolerated on `exp` and `nbf`. */
export const JWT_LEEWAY_SECONDS = 60;

function bodyText(rawBody: Buffer | string): string {
  return typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
}

function bytesOf(rawBody: Buffer | string): number {
  return typeof rawBody === 'string' ? Buffer.byteLength(rawBody) : rawBody.length;
}

/**
 * The answer to monday's subscription check (vendor-apis.md §2.5): when `create_webhook` runs, monday
 * POSTs `{"challenge": "<random>"}` to the URL and expects HTTP 200 with the identical JSON. Returns
 * that answer, or null when the body is not a challenge (then it is a delivery: parseMondayWebhook).
 * The challenge is answered before any signature check: monday sends it while the webhook is being
 * created, and it reveals nothing but what it carries.
 */
export function challengeResponse(rawBody: Buffer | string): { status: 200; contentType: 'application/json'; body: string; challenge: string } | null {
  if (bytesOf(rawBody) > MAX_WEBHOOK_BODY_BYTES) return null;
  let json: unknown;
  try {
    json = JSON.parse(bodyText(rawBody));
  } catch {
    return null;
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return null;
  const o = json as { challenge?: unknown; event?: unknown };
  if (typeof o.challenge !== 'string' || o.challenge === '' || o.challenge.length > 1024 || o.event !== undefined) return null;
  return { status: 200, contentType: 'application/json', body: JSON.stringify({ challenge: o.challenge }), challenge: o.challenge };
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function b64urlJson(part: string): Record<string, unknown> | null {
  if (!B64URL.test(part)) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * True when `authorization` holds a JWT (optionally after `Bearer `) signed HS256 with the app's
 * signing secret, not expired (`exp`) and already valid (`nbf`), with JWT_LEEWAY_SECONDS of skew. Any
 * other algorithm — `none` above all — is false, as are a missing header, an empty secret and a
 * malformed token. Only webhooks created with an app's token are signed [U: vendor-apis.md §2.5];
 * the JWT does not cover the body, so a verified delivery is still only a hint: the item is re-fetched.
 * `rawBody` is unused and kept for the connector map's verify signature.
 */
export function verifyMondayJwt(_rawBody: Buffer | string, authorization: string | undefined, signingSecret: string, nowMs: number = Date.now()): boolean {
  if (typeof signingSecret !== 'string' || signingSecret === '') return false;
  if (typeof authorization !== 'string') return false;
  const token = authorization.trim().replace(/^Bearer\s+/i, '');
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const [h, p, s] = parts as [string, string, string];
  const header = b64urlJson(h);
  const payload = b64urlJson(p);
  if (!header || !payload || header.alg !== 'HS256' || !B64URL.test(s)) return false;
  const expected = createHmac('sha256', signingSecret).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  const now = nowMs / 1000;
  if (payload.exp !== undefined && !(typeof payload.exp === 'number' && payload.exp + JWT_LEEWAY_SECONDS > now)) return false;
  if (payload.nbf !== undefined && !(typeof payload.nbf === 'number' && payload.nbf - JWT_LEEWAY_SECONDS <= now)) return false;
  return true;
}

/** A JWT as monday would send it (tests and the simulator): HS256 over `payload` with the secret. */
export function signMondayJwt(payload: Record<string, unknown>, signingSecret: string): string {
  const h = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const s = createHmac('sha256', signingSecret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${s}`;
}

/**
 * Webhooks created with a personal token are unsigned: the proof is a secret path segment chosen when
 * the webhook was created (`…/webhooks/monday/<connection>/<secret>`). True when `given` is exactly
 * `expected`, compared in constant time over SHA-256 digests (lengths leak nothing); empty is false.
 * The handler also checks that the event's `boardId` is one the connection syncs.
 */
export function verifyPathSecret(given: string | undefined, expected: string): boolean {
  if (typeof expected !== 'string' || expected === '' || typeof given !== 'string' || given === '') return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export interface MondayWebhookEvent {
  type: string;
  boardId: string;
  /** The item (`pulseId`; newer payloads also send `itemId`), or null for board-level events. */
  itemId: string | null;
  /** For subitem events: the parent item. */
  parentItemId: string | null;
  columnId: string | null;
  columnType: string | null;
  /** The new and previous values as sent (shapes per column type [U]). */
  value: unknown;
  previousValue: unknown;
  /** When the change happened (from `changedAt`, epoch seconds), else `triggerTime`, ISO; null if neither. */
  changedAt: string | null;
  userId: string | null;
  /** Identifies the delivery: duplicates (monday retries for about 30 minutes [U]) carry the same uuid. */
  triggerUuid: string | null;
  subscriptionId: string | null;
  /** For update events, the update's plain text (to recognize Stageline's own stamped updates). */
  textBody: string | null;
  raw: unknown;
}

export type MondayWebhookDelivery = { kind: 'challenge'; challenge: string } | { kind: 'event'; event: MondayWebhookEvent };

const Envelope = z.looseObject({ event: z.unknown() });

/**
 * Parses a delivery body: a challenge, or `{"event": {…}}`. A body that is neither is `ok: false` with
 * issues (code + path, e.g. `event.boardId`).
 */
export function parseMondayWebhook(rawBody: Buffer | string): Normalized<MondayWebhookDelivery> {
  const bytes = bytesOf(rawBody);
  if (bytes > MAX_WEBHOOK_BODY_BYTES) return fail({ code: 'too_big', path: [], message: `webhook body of ${bytes} bytes exceeds ${MAX_WEBHOOK_BODY_BYTES}` });
  const challenge = challengeResponse(rawBody);
  if (challenge) return { ok: true, value: { kind: 'challenge', challenge: challenge.challenge } };
  let json: unknown;
  try {
    json = JSON.parse(bodyText(rawBody));
  } catch (err) {
    return fail({ code: 'invalid_json', path: [], message: `webhook body is not JSON: ${(err as Error).message}` });
  }
  const env = Envelope.safeParse(json);
  if (!env.success || env.data.event === undefined) return fail({ code: 'invalid_type', path: ['event'], message: 'expected {"event": {…}} or {"challenge": "…"}' });
  const e = MondayWebhookEventRaw.safeParse(env.data.event);
  if (!e.success) return { ok: false, issues: toIssues(e.error, ['event']) };
  const ev = e.data;
  const changedAt =
    typeof ev.changedAt === 'number' && Number.isFinite(ev.changedAt)
      ? new Date(Math.round(ev.changedAt * 1000)).toISOString()
      : ev.triggerTime && Number.isFinite(Date.parse(ev.triggerTime))
        ? new Date(Date.parse(ev.triggerTime)).toISOString()
        : null;
  return {
    ok: true,
    value: {
      kind: 'event',
      event: {
        type: ev.type,
        boardId: ev.boardId,
        itemId: ev.pulseId ?? ev.itemId ?? null,
        parentItemId: ev.parentItemId ?? null,
        columnId: ev.columnId ?? null,
        columnType: ev.columnType ?? null,
        value: ev.value ?? null,
        previousValue: ev.previousValue ?? null,
        changedAt,
        userId: ev.userId ?? null,
        triggerUuid: ev.triggerUuid ?? null,
        subscriptionId: ev.subscriptionId ?? null,
        textBody: ev.textBody ?? null,
        raw: env.data.event,
      },
    },
  };
}

/**
 * Stageline's own update coming back: its text carries a stamp (connectors/stamp.ts). The event's
 * `userId` alone proves nothing: a personal token belongs to a person, whose own edits in monday carry
 * the same user id as Stageline's writes. A column change is recognized as an echo by the engine,
 * which compares the new value with what the outbox wrote (a write whose target is already there is
 * never sent again, so the echo changes nothing).
 */
export function isOwnEcho(event: Pick<MondayWebhookEvent, 'textBody'>): boolean {
  return readStamp(event.textBody) !== null;
}

function fail(issue: Issue): Normalized<never> {
  return { ok: false, issues: [issue] };
}
