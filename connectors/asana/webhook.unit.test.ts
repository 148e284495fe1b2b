// Asana webhook helpers: a forged or altered delivery must never verify, a genuine one always
// must, and the handshake must echo the secret (vendor-apis.md §1.5, engineering-facts.md §6.1).
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_WEBHOOK_BODY_BYTES, handshakeResponse, parseWebhookEvents, verifyAsanaSignature } from './webhook';

const SECRET = 'b5a1c7d9e3f2a4b6c8d0e1f3a5b7c9d1';
// Bytes as Asana would send them: compact JSON, keys in Asana's order, a non-ASCII name.
const BODY = Buffer.from(
  JSON.stringify({
    events: [
      {
        user: { gid: '1100001', resource_type: 'user' },
        created_at: '2026-11-20T10:15:00.000Z',
        action: 'changed',
        resource: { gid: '1205001', resource_type: 'task', resource_subtype: 'default_task', name: 'Bannière 300x250' },
        parent: null,
        change: { field: 'custom_fields', action: 'changed' },
      },
      {
        user: { gid: '1100001', resource_type: 'user' },
        created_at: '2026-11-20T10:15:01.000Z',
        action: 'added',
        resource: { gid: '1207001', resource_type: 'story', resource_subtype: 'comment_added' },
        parent: { gid: '1205001', resource_type: 'task' },
      },
    ],
  }),
);
const sign = (body: Buffer | string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');

describe('verifyAsanaSignature', () => {
  it('accepts the hex HMAC-SHA256 of the raw body, as a Buffer or the same bytes as a string', () => {
    expect(verifyAsanaSignature(BODY, sign(BODY), SECRET)).toBe(true);
    expect(verifyAsanaSignature(BODY.toString('utf8'), sign(BODY), SECRET)).toBe(true);
  });

  it('rejects a signature made with another secret (a forged delivery)', () => {
    expect(verifyAsanaSignature(BODY, sign(BODY, 'not-the-secret'), SECRET)).toBe(false);
    expect(verifyAsanaSignature(BODY, sign(BODY), '')).toBe(false);
  });

  it('rejects a tampered body: one changed byte, or the same JSON re-serialized', () => {
    const tampered = Buffer.from(BODY);
    tampered[tampered.indexOf('changed')] = 'k'.charCodeAt(0);
    expect(verifyAsanaSignature(tampered, sign(BODY), SECRET)).toBe(false);
    const reserialized = JSON.stringify(JSON.parse(BODY.toString('utf8')), null, 1);
    expect(verifyAsanaSignature(reserialized, sign(BODY), SECRET)).toBe(false);
  });

  it('rejects a missing, empty, short, long, prefixed or non-hex header, and accepts upper-case hex of the right MAC', () => {
    const good = sign(BODY);
    expect(verifyAsanaSignature(BODY, undefined, SECRET)).toBe(false);
    expect(verifyAsanaSignature(BODY, '', SECRET)).toBe(false);
    expect(verifyAsanaSignature(BODY, good.slice(0, 63), SECRET)).toBe(false);
    expect(verifyAsanaSignature(BODY, good.slice(0, 32), SECRET)).toBe(false);
    expect(verifyAsanaSignature(BODY, `${good}00`, SECRET)).toBe(false);
    expect(verifyAsanaSignature(BODY, `sha256=${good}`, SECRET)).toBe(false);
    expect(verifyAsanaSignature(BODY, ` ${good}`, SECRET)).toBe(false);
    // Buffer.from(hex) stops at the first bad digit; a header like this must not decode to a prefix.
    expect(verifyAsanaSignature(BODY, `${good.slice(0, 62)}zz`, SECRET)).toBe(false);
    expect(verifyAsanaSignature(BODY, good.toUpperCase(), SECRET)).toBe(true);
    expect(verifyAsanaSignature(BODY, sign(BODY, 'other').toUpperCase(), SECRET)).toBe(false);
  });

  it('is false, not an exception, for input of the wrong type', () => {
    expect(verifyAsanaSignature(undefined as unknown as Buffer, sign(BODY), SECRET)).toBe(false);
    expect(verifyAsanaSignature(BODY, 42 as unknown as string, SECRET)).toBe(false);
    expect(verifyAsanaSignature(BODY, sign(BODY), undefined as unknown as string)).toBe(false);
  });
});

describe('handshakeResponse', () => {
  it('echoes X-Hook-Secret from Node headers (lower-case keys) and from Fetch Headers', () => {
    expect(handshakeResponse({ 'x-hook-secret': SECRET, 'content-type': 'application/json' })).toEqual({
      status: 200,
      headers: { 'X-Hook-Secret': SECRET },
      secret: SECRET,
    });
    expect(handshakeResponse(new Headers({ 'X-Hook-Secret': SECRET }))?.headers).toEqual({ 'X-Hook-Secret': SECRET });
    expect(handshakeResponse({ 'x-hook-secret': [SECRET] })?.secret).toBe(SECRET);
  });

  it('is null for a request that is not a handshake or carries a secret we could not echo safely', () => {
    expect(handshakeResponse({ 'x-hook-signature': sign(BODY) })).toBeNull();
    expect(handshakeResponse({ 'x-hook-secret': '' })).toBeNull();
    expect(handshakeResponse({ 'x-hook-secret': 'abc\r\nSet-Cookie: x=1' })).toBeNull();
    expect(handshakeResponse({ 'x-hook-secret': [SECRET, 'other'] })).toBeNull();
    expect(handshakeResponse(new Headers([['X-Hook-Secret', SECRET], ['X-Hook-Secret', 'other']]))).toBeNull();
  });
});

describe('parseWebhookEvents', () => {
  it('parses a delivery into Asana events', () => {
    const r = parseWebhookEvents(BODY);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.heartbeat).toBe(false);
    expect(r.value.rejected).toEqual([]);
    expect(r.value.events.map((e) => [e.action, e.resource.resource_type, e.resource.gid, e.parent?.gid ?? null])).toEqual([
      ['changed', 'task', '1205001', null],
      ['added', 'story', '1207001', '1205001'],
    ]);
  });

  it('treats an empty events list as a heartbeat', () => {
    expect(parseWebhookEvents('{"events":[]}')).toEqual({ ok: true, value: { events: [], heartbeat: true, rejected: [] } });
  });

  it('rejects a body that is not a delivery, with a code and a path', () => {
    expect(parseWebhookEvents('not json')).toMatchObject({ ok: false, issues: [{ code: 'invalid_json', path: [] }] });
    expect(parseWebhookEvents('{"data":[]}')).toMatchObject({ ok: false, issues: [{ code: 'invalid_type', path: ['events'] }] });
    expect(parseWebhookEvents('[]')).toMatchObject({ ok: false, issues: [{ code: 'invalid_type', path: [] }] });
    expect(parseWebhookEvents(Buffer.alloc(MAX_WEBHOOK_BODY_BYTES + 1, 0x20))).toMatchObject({ ok: false, issues: [{ code: 'too_big' }] });
  });

  it('keeps the good events of a delivery and reports a malformed one with its path, never dropping it silently', () => {
    const body = JSON.stringify({
      events: [
        { action: 'changed', resource: { gid: '1205001', resource_type: 'task' }, created_at: '2026-11-20T10:15:00.000Z' },
        { action: 'changed', resource: { gid: 'not-a-gid', resource_type: 'task' } },
      ],
    });
    const r = parseWebhookEvents(body);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.events.map((e) => e.resource.gid)).toEqual(['1205001']);
    expect(r.value.rejected).toHaveLength(1);
    expect(r.value.rejected[0]).toMatchObject({ stream: 'webhook_events', externalId: 'not-a-gid', issues: [{ path: ['events', 1, 'resource', 'gid'] }] });
  });
});
