// monday webhooks: the challenge echo, app-token JWTs (HS256 with the signing secret, expiry), the
// secret path of personal-token hooks, and deliveries parsed into events (ids as strings, times ISO).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stampText } from '../stamp';
import { JWT_LEEWAY_SECONDS, MAX_WEBHOOK_BODY_BYTES, challengeResponse, isOwnEcho, parseMondayWebhook, signMondayJwt, verifyMondayJwt, verifyPathSecret } from './webhook';

const raw = (name: string) => readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url));
const SECRET = 'app-signing-secret';
const NOW = Date.parse('2026-10-14T16:20:06Z');
const claims = { accountId: 20001, userId: 60000003, aud: 'https://hooks.example/monday', iat: NOW / 1000 - 1, exp: NOW / 1000 + 60 };

describe('the challenge', () => {
  it('is answered with HTTP 200 and the identical JSON', () => {
    const body = raw('webhook-challenge');
    const r = challengeResponse(body);
    expect(r).toEqual({ status: 200, contentType: 'application/json', body: '{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    expect(JSON.parse(r!.body)).toEqual(JSON.parse(body.toString('utf8')));
    expect(parseMondayWebhook(body)).toEqual({ ok: true, value: { kind: 'challenge', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' } });
  });

  it('anything else is not a challenge', () => {
    for (const b of ['', 'not json', '[]', '{"challenge": 5}', '{"challenge": ""}', JSON.stringify({ challenge: 'x', event: {} })]) expect(challengeResponse(b), b).toBeNull();
    expect(challengeResponse(raw('webhook-status-change'))).toBeNull();
  });
});

describe('JWT of app-token webhooks', () => {
  const token = signMondayJwt(claims, SECRET);

  it('a token signed with the signing secret, within its time, verifies (with or without Bearer)', () => {
    expect(verifyMondayJwt('', token, SECRET, NOW)).toBe(true);
    expect(verifyMondayJwt('', `Bearer ${token}`, SECRET, NOW)).toBe(true);
  });

  it('another secret, a tampered payload, expiry beyond the leeway, or a token not yet valid, does not', () => {
    expect(verifyMondayJwt('', token, 'other-secret', NOW)).toBe(false);
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, userId: 1 })).toString('base64url')}.${s}`;
    expect(verifyMondayJwt('', forged, SECRET, NOW)).toBe(false);
    expect(verifyMondayJwt('', token, SECRET, (claims.exp + JWT_LEEWAY_SECONDS - 1) * 1000)).toBe(true);
    expect(verifyMondayJwt('', token, SECRET, (claims.exp + JWT_LEEWAY_SECONDS + 1) * 1000)).toBe(false);
    expect(verifyMondayJwt('', signMondayJwt({ ...claims, nbf: NOW / 1000 + 600 }, SECRET), SECRET, NOW)).toBe(false);
  });

  it('alg none, another algorithm, garbage, an empty secret or no header are refused', () => {
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    expect(verifyMondayJwt('', none, SECRET, NOW)).toBe(false);
    const hs512Header = Buffer.from('{"alg":"HS512","typ":"JWT"}').toString('base64url');
    const [, p, s] = token.split('.');
    expect(verifyMondayJwt('', `${hs512Header}.${p}.${s}`, SECRET, NOW)).toBe(false);
    for (const bad of [undefined, '', 'a.b', 'a.b.c', '...', `${token}x`]) expect(verifyMondayJwt('', bad, SECRET, NOW), String(bad)).toBe(false);
    expect(verifyMondayJwt('', token, '', NOW)).toBe(false);
  });
});

describe('the secret path of personal-token webhooks', () => {
  it('matches exactly, in constant time; empty never matches', () => {
    expect(verifyPathSecret('s3cr3t-path-segment', 's3cr3t-path-segment')).toBe(true);
    expect(verifyPathSecret('s3cr3t-path-segmenT', 's3cr3t-path-segment')).toBe(false);
    expect(verifyPathSecret('s3cr3t', 's3cr3t-path-segment')).toBe(false);
    expect(verifyPathSecret(undefined, 'x')).toBe(false);
    expect(verifyPathSecret('', '')).toBe(false);
  });
});

describe('deliveries', () => {
  it('a status change: item, board and column ids as strings, values as sent, the change time as ISO', () => {
    const r = parseMondayWebhook(raw('webhook-status-change'));
    expect(r.ok).toBe(true);
    const e = r.ok && r.value.kind === 'event' ? r.value.event : null;
    expect(e).toMatchObject({
      type: 'update_column_value', boardId: '9100000001', itemId: '2300000011', parentItemId: null, columnId: 'status', columnType: 'color',
      changedAt: '2026-10-14T16:20:05.123Z', userId: '60000003', triggerUuid: '6f0b3c1e8a2d4e5f9a7b1c2d3e4f5a6b', subscriptionId: '510000001',
    });
    expect(e?.value).toMatchObject({ label: { index: 6, text: 'Client Review' } });
    expect(e?.previousValue).toMatchObject({ label: { text: 'In Production' } });
    expect(isOwnEcho(e!)).toBe(false);
  });

  it('Stageline’s own update coming back is recognized by its stamp', () => {
    const r = parseMondayWebhook(raw('webhook-create-update'));
    const e = r.ok && r.value.kind === 'event' ? r.value.event : null;
    expect(e).toMatchObject({ type: 'create_update', itemId: '2300000011', changedAt: '2026-10-15T08:00:00.412Z' });
    expect(isOwnEcho(e!)).toBe(true);
    expect(isOwnEcho({ textBody: 'a person wrote this' })).toBe(false);
    expect(isOwnEcho({ textBody: stampText('x', 'k') })).toBe(true);
  });

  it('a body that is not a delivery is refused with its path; an oversized body before parsing', () => {
    const bad = (b: string) => {
      const r = parseMondayWebhook(b);
      return r.ok ? [] : r.issues.map((i) => `${i.code} ${i.path.join('.')}`);
    };
    expect(bad('{')).toEqual(['invalid_json ']);
    expect(bad('{"events": []}')).toEqual(['invalid_type event']);
    expect(bad('{"event": {"type": "create_item", "boardId": "abc"}}')).toEqual(['invalid_format event.boardId']);
    expect(bad('{"event": {"boardId": 1}}')).toEqual(['invalid_type event.type']);
    expect(bad(' '.repeat(MAX_WEBHOOK_BODY_BYTES + 1))).toEqual(['too_big ']);
  });
});
