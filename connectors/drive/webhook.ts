// Drive push notifications, the pure part (vendor-apis.md §4.5). Drive signs nothing: the proof that a
// notification comes from our channel is the channel token we chose when opening it
// (`changes.watch` body `token`), echoed in `X-Goog-Channel-Token`. Everything a notification says
// is in its headers; the body is empty for the changes feed. A notification is a hint: the handler
// answers 2xx, then the connection polls `changes.list` from its stored token. These helpers never do I/O.
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { toIssues, type Issue, type Normalized } from '../../mapping/model';

/** Header names as Node's IncomingHttpHeaders has them (lower case). */
export const CHANNEL_TOKEN_HEADER = 'x-goog-channel-token';
export const CHANNEL_ID_HEADER = 'x-goog-channel-id';
export const CHANNEL_EXPIRATION_HEADER = 'x-goog-channel-expiration';
export const MESSAGE_NUMBER_HEADER = 'x-goog-message-number';
export const RESOURCE_ID_HEADER = 'x-goog-resource-id';
export const RESOURCE_URI_HEADER = 'x-goog-resource-uri';
export const RESOURCE_STATE_HEADER = 'x-goog-resource-state';
export const CHANGED_HEADER = 'x-goog-changed';

/** A notification body is empty or tiny; anything larger is refused before it is parsed. */
export const MAX_WEBHOOK_BODY_BYTES = 65_536;

/**
 * `sync` first (the channel is open), then `change` for the changes feed, or for one file
 * `add | remove | update | trash | untrash` (Google's push guide; vendor-apis.md §4.5 marks the list [U]).
 */
export const RESOURCE_STATES = ['sync', 'change', 'add', 'remove', 'update', 'trash', 'untrash'] as const;

/**
 * True when `headerValue` is exactly the channel token `secret`. The compare is constant-time (over
 * SHA-256 digests, so lengths leak nothing either); a missing or empty header or secret is false. The
 * body plays no part: Drive signs nothing, and the body of a changes notification is empty.
 */
export function verifyDriveChannelToken(_rawBody: Buffer | string, headerValue: string | undefined, secret: string): boolean {
  if (typeof secret !== 'string' || secret === '') return false;
  if (typeof headerValue !== 'string' || headerValue === '') return false;
  const a = createHash('sha256').update(headerValue, 'utf8').digest();
  const b = createHash('sha256').update(secret, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export interface DriveNotification {
  channelId: string;
  resourceId: string;
  resourceState: (typeof RESOURCE_STATES)[number];
  /** Increases per channel; `sync` is 1. */
  messageNumber: number;
  /** For file channels' `update`: what changed (`content`, `parents`, `children`, `permissions`, `properties`). */
  changed: string[];
  /** When the channel expires (an HTTP date), or null: channels are not renewed by Drive. */
  expiration: string | null;
  resourceUri: string | null;
}

const Notification = z.object({
  channelId: z.string().min(1),
  resourceId: z.string().min(1),
  resourceState: z.enum(RESOURCE_STATES),
  messageNumber: z.string().regex(/^\d+$/, 'a decimal message number').transform(Number),
  changed: z.string().optional(),
  expiration: z.string().min(1).optional(),
  resourceUri: z.string().min(1).optional(),
});

type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Reads a notification's `X-Goog-*` headers (any case). Missing or malformed ones are issues with the
 * header as path; a header sent twice is ambiguous and an issue too. Does not check the channel token:
 * that is verifyDriveChannelToken, and the channel and resource ids must also match what was stored.
 */
export function parseDriveNotification(headers: Record<string, string | string[] | undefined>): Normalized<DriveNotification> {
  const issues: Issue[] = [];
  const repeated = new Set<string>();
  const get = (name: string): string | undefined => {
    const v = header(headers, name);
    if (Array.isArray(v)) {
      repeated.add(name);
      issues.push({ code: 'repeated_header', path: [name], message: `${name} was sent ${v.length} times` });
      return undefined;
    }
    return v as string | undefined;
  };
  const fields = {
    channelId: get(CHANNEL_ID_HEADER),
    resourceId: get(RESOURCE_ID_HEADER),
    resourceState: get(RESOURCE_STATE_HEADER),
    messageNumber: get(MESSAGE_NUMBER_HEADER),
    changed: get(CHANGED_HEADER),
    expiration: get(CHANNEL_EXPIRATION_HEADER),
    resourceUri: get(RESOURCE_URI_HEADER),
  };
  const headerOf: Record<keyof typeof fields, string> = {
    channelId: CHANNEL_ID_HEADER,
    resourceId: RESOURCE_ID_HEADER,
    resourceState: RESOURCE_STATE_HEADER,
    messageNumber: MESSAGE_NUMBER_HEADER,
    changed: CHANGED_HEADER,
    expiration: CHANNEL_EXPIRATION_HEADER,
    resourceUri: RESOURCE_URI_HEADER,
  };
  const r = Notification.safeParse(fields);
  if (!r.success) {
    // Paths name the header, not our field: that is what an operator can look for in a request log.
    for (const i of toIssues(r.error)) {
      const f = i.path[0] as keyof typeof fields | undefined;
      const name = f ? headerOf[f] : undefined;
      if (name && repeated.has(name)) continue; // already reported as repeated
      issues.push({ ...i, path: name ? [name, ...i.path.slice(1)] : i.path });
    }
  }
  if (issues.length > 0 || !r.success) return { ok: false, issues };
  const d = r.data;
  return {
    ok: true,
    value: {
      channelId: d.channelId,
      resourceId: d.resourceId,
      resourceState: d.resourceState,
      messageNumber: d.messageNumber,
      changed: (d.changed ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
      expiration: d.expiration ?? null,
      resourceUri: d.resourceUri ?? null,
    },
  };
}

function header(headers: HeaderMap, name: string): string | readonly string[] | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : headers[key];
  if (v === undefined || typeof v === 'string') return v;
  return v.length === 1 ? v[0] : v;
}

export interface DriveWebhookBody {
  /** What to do on any verified notification: the body says nothing about what changed. */
  next: 'call changes.list';
  /** The body, parsed when it was JSON (Drive sends none for changes), else null. */
  body: unknown;
}

/**
 * The connector map's `parse(rawBody)`: Drive's changes notifications have an empty body, so this
 * only checks the size and that a non-empty body is JSON, and says "call changes.list". The
 * notification itself is in the headers (parseDriveNotification).
 */
export function parseDriveWebhookBody(rawBody: Buffer | string): Normalized<DriveWebhookBody> {
  const bytes = typeof rawBody === 'string' ? Buffer.byteLength(rawBody) : rawBody.length;
  if (bytes > MAX_WEBHOOK_BODY_BYTES) return fail({ code: 'too_big', path: [], message: `webhook body of ${bytes} bytes exceeds ${MAX_WEBHOOK_BODY_BYTES}` });
  const text = (typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8')).trim();
  if (text === '') return { ok: true, value: { next: 'call changes.list', body: null } };
  try {
    return { ok: true, value: { next: 'call changes.list', body: JSON.parse(text) as unknown } };
  } catch (err) {
    return fail({ code: 'invalid_json', path: [], message: `webhook body is neither empty nor JSON: ${(err as Error).message}` });
  }
}

function fail(issue: Issue): Normalized<never> {
  return { ok: false, issues: [issue] };
}
