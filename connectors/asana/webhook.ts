// Asana webhooks, the pure part: the handshake answer, the signature check and the delivery parser.
// The HTTP handler (body cap, 401 without detail, durable enqueue before the 2xx) lives with the
// API; these helpers never do I/O. Facts: ../shared/docs/vendor-apis.md §1.5 and
// ../shared/docs/engineering-facts.md §6.1 (verify over the raw body, compare in constant time,
// treat the payload as a hint and re-fetch).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { toIssues, type Issue, type Normalized, type RejectedRecord } from '../../mapping/model';
import { AsanaEventRaw } from './raw';

export const HOOK_SECRET_HEADER = 'X-Hook-Secret';
export const HOOK_SIGNATURE_HEADER = 'X-Hook-Signature';
/** Deliveries are small JSON documents; anything larger is refused before it is parsed (engineering-facts §6.1). */
export const MAX_WEBHOOK_BODY_BYTES = 1_048_576;

/** Node's IncomingHttpHeaders (lower-case keys) or a Fetch `Headers` (Hono's `c.req.raw.headers`). */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const want = name.toLowerCase();
  const key = Object.keys(headers).find((k) => k.toLowerCase() === want);
  const v = key === undefined ? undefined : headers[key];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  // A repeated header is ambiguous: which secret would we store? Refuse it rather than guess.
  return v.length === 1 ? v[0] : undefined;
}

// A secret goes back out in a response header and into storage: printable ASCII only, so it can
// neither split the response (CR/LF) nor be mangled by a header encoder.
const SECRET_RE = /^[\x21-\x7e]{1,256}$/;

/**
 * The answer to Asana's handshake, sent while our `POST /webhooks` is still open (vendor-apis.md §1.5):
 * 200 echoing `X-Hook-Secret`. `null` when the request carries no usable secret (not a handshake).
 * The caller stores `secret` (encrypted, STYLE.md §12) for verifying later deliveries.
 */
export function handshakeResponse(headers: HeaderSource): { status: 200; headers: { [HOOK_SECRET_HEADER]: string }; secret: string } | null {
  const secret = header(headers, HOOK_SECRET_HEADER);
  if (secret === undefined || !SECRET_RE.test(secret)) return null;
  return { status: 200, headers: { [HOOK_SECRET_HEADER]: secret }, secret };
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * True when `signatureHeader` is the hex HMAC-SHA256 of exactly these bytes keyed by `secret`.
 * Hex digits are compared as the 32 bytes they encode, so upper-case hex of the right MAC is
 * accepted (it proves the same thing); anything that is not 64 hex digits is false, as is an empty
 * secret. The compare is constant-time on equal-length buffers. Pass the raw body: re-serialized
 * JSON differs in whitespace and key order, and would never verify.
 */
export function verifyAsanaSignature(rawBody: Buffer | string, signatureHeader: string | undefined, secret: string): boolean {
  if (typeof secret !== 'string' || secret === '') return false;
  if (typeof signatureHeader !== 'string' || !HEX_SHA256.test(signatureHeader)) return false;
  if (typeof rawBody !== 'string' && !Buffer.isBuffer(rawBody)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(signatureHeader, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface AsanaWebhookDelivery {
  events: AsanaEventRaw[];
  /** An empty `events` list: Asana checking that the target is alive. Answer 2xx, enqueue nothing. */
  heartbeat: boolean;
  /** Events that did not fit `AsanaEventRaw`: counted and stored like any rejected record, never dropped silently. */
  rejected: RejectedRecord[];
}

const Envelope = z.looseObject({ events: z.array(z.unknown()) });

/**
 * Parses a delivery body. A body that is not `{"events":[…]}` is `ok: false` with issues (code +
 * path); inside a good envelope a malformed event is rejected alone (path `events.<i>.…`) and the
 * others go on, so one odd event does not lose the rest of the delivery.
 */
export function parseWebhookEvents(rawBody: Buffer | string): Normalized<AsanaWebhookDelivery> {
  const bytes = typeof rawBody === 'string' ? Buffer.byteLength(rawBody) : rawBody.length;
  if (bytes > MAX_WEBHOOK_BODY_BYTES) {
    return fail({ code: 'too_big', path: [], message: `webhook body of ${bytes} bytes exceeds ${MAX_WEBHOOK_BODY_BYTES}` });
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
  } catch (err) {
    return fail({ code: 'invalid_json', path: [], message: `webhook body is not JSON: ${(err as Error).message}` });
  }
  const env = Envelope.safeParse(json);
  if (!env.success) return { ok: false, issues: toIssues(env.error) };
  const events: AsanaEventRaw[] = [];
  const rejected: RejectedRecord[] = [];
  env.data.events.forEach((raw, i) => {
    const e = AsanaEventRaw.safeParse(raw);
    if (e.success) events.push(e.data);
    else rejected.push({ stream: 'webhook_events', externalId: gidOf(raw), issues: toIssues(e.error, ['events', i]), raw });
  });
  return { ok: true, value: { events, heartbeat: env.data.events.length === 0, rejected } };
}

function fail(issue: Issue): Normalized<never> {
  return { ok: false, issues: [issue] };
}

function gidOf(raw: unknown): string | null {
  const r = raw && typeof raw === 'object' ? (raw as { resource?: { gid?: unknown } }).resource : undefined;
  return r && typeof r.gid === 'string' ? r.gid : null;
}
