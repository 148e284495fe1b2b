// Drive push notifications: the channel token is the only proof (no signature), everything else is
// in X-Goog-* headers, and the body of a changes notification is empty.
import { describe, expect, it } from 'vitest';
import { CHANNEL_TOKEN_HEADER, MAX_WEBHOOK_BODY_BYTES, parseDriveNotification, parseDriveWebhookBody, verifyDriveChannelToken } from './webhook';

const SECRET = 'chan-tok_3f9a1c7e5b2d4f608a1b3c5d7e9f0a2b';

/** What Node's IncomingHttpHeaders holds for a changes notification (lower-case keys). */
const changeHeaders = (over: Record<string, string | string[] | undefined> = {}) => ({
  'content-length': '0',
  'x-goog-channel-id': '01234567-89ab-4cde-8f01-23456789abcd',
  'x-goog-channel-expiration': 'Wed, 25 Nov 2026 10:00:00 GMT',
  'x-goog-channel-token': SECRET,
  'x-goog-message-number': '4021',
  'x-goog-resource-id': 'ret08u3rv24htgh289g',
  'x-goog-resource-uri': 'https://www.googleapis.com/drive/v3/changes?alt=json&includeItemsFromAllDrives=true&pageToken=10412&supportsAllDrives=true',
  'x-goog-resource-state': 'change',
  ...over,
});

describe('verifyDriveChannelToken', () => {
  it('accepts exactly the channel token we chose, whatever the body', () => {
    expect(verifyDriveChannelToken('', SECRET, SECRET)).toBe(true);
    expect(verifyDriveChannelToken(Buffer.from('anything'), SECRET, SECRET)).toBe(true);
  });

  it('refuses a wrong, truncated, extended, differently-cased, missing or empty token, and an empty secret', () => {
    expect(verifyDriveChannelToken('', 'chan-tok_wrong', SECRET)).toBe(false);
    expect(verifyDriveChannelToken('', SECRET.slice(0, -1), SECRET)).toBe(false);
    expect(verifyDriveChannelToken('', `${SECRET}x`, SECRET)).toBe(false);
    expect(verifyDriveChannelToken('', SECRET.toUpperCase(), SECRET)).toBe(false);
    expect(verifyDriveChannelToken('', undefined, SECRET)).toBe(false);
    expect(verifyDriveChannelToken('', '', SECRET)).toBe(false);
    expect(verifyDriveChannelToken('', '', '')).toBe(false);
  });

  it('reads the header the connector map names', () => {
    const h = changeHeaders();
    expect(verifyDriveChannelToken('', h[CHANNEL_TOKEN_HEADER] as string, SECRET)).toBe(true);
  });
});

describe('parseDriveNotification', () => {
  it('reads a changes notification', () => {
    expect(parseDriveNotification(changeHeaders())).toEqual({
      ok: true,
      value: {
        channelId: '01234567-89ab-4cde-8f01-23456789abcd',
        resourceId: 'ret08u3rv24htgh289g',
        resourceState: 'change',
        messageNumber: 4021,
        changed: [],
        expiration: 'Wed, 25 Nov 2026 10:00:00 GMT',
        resourceUri: expect.stringContaining('/drive/v3/changes') as string,
      },
    });
  });

  it('reads the first `sync` message and a file update with X-Goog-Changed, in any header case', () => {
    const sync = parseDriveNotification(changeHeaders({ 'x-goog-resource-state': 'sync', 'x-goog-message-number': '1' }));
    expect(sync.ok && [sync.value.resourceState, sync.value.messageNumber]).toEqual(['sync', 1]);
    const { 'x-goog-resource-state': _s, ...rest } = changeHeaders();
    const update = parseDriveNotification({ ...rest, 'X-Goog-Resource-State': 'update', 'X-Goog-Changed': 'content, properties' });
    expect(update.ok && update.value).toMatchObject({ resourceState: 'update', changed: ['content', 'properties'] });
  });

  it('missing or malformed headers are issues whose path is the header', () => {
    const r = parseDriveNotification(changeHeaders({ 'x-goog-channel-id': undefined, 'x-goog-message-number': 'four', 'x-goog-resource-state': 'exploded' }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => [i.path.join('.'), i.code]).sort()).toEqual([
      ['x-goog-channel-id', 'invalid_type'],
      ['x-goog-message-number', 'invalid_format'],
      ['x-goog-resource-state', 'invalid_value'],
    ]);
  });

  it('a header sent twice is ambiguous: an issue, not a guess', () => {
    const r = parseDriveNotification(changeHeaders({ 'x-goog-resource-id': ['a', 'b'] }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues).toEqual([{ code: 'repeated_header', path: ['x-goog-resource-id'], message: 'x-goog-resource-id was sent 2 times' }]);
    const once = parseDriveNotification(changeHeaders({ 'x-goog-resource-id': ['only'] }));
    expect(once.ok && once.value.resourceId).toBe('only');
  });
});

describe('parseDriveWebhookBody', () => {
  it('an empty body (every changes notification) says: call changes.list', () => {
    expect(parseDriveWebhookBody('')).toEqual({ ok: true, value: { next: 'call changes.list', body: null } });
    expect(parseDriveWebhookBody(Buffer.alloc(0))).toEqual({ ok: true, value: { next: 'call changes.list', body: null } });
  });

  it('a JSON body is kept; anything else, or too much, is an issue', () => {
    expect(parseDriveWebhookBody('{"kind":"api#channel"}')).toEqual({ ok: true, value: { next: 'call changes.list', body: { kind: 'api#channel' } } });
    const bad = parseDriveWebhookBody('<html>');
    expect(!bad.ok && bad.issues[0]!.code).toBe('invalid_json');
    const big = parseDriveWebhookBody(Buffer.alloc(MAX_WEBHOOK_BODY_BYTES + 1, 32));
    expect(!big.ok && big.issues[0]!.code).toBe('too_big');
  });
});
