// Notion webhooks: the signature check agrees with the SDK's own verifyWebhookSignature on every case
// (good, tampered, wrong token, malformed headers), the verification handshake is recognized before
// anything else, and deliveries parse into the thin events the engine re-fetches from.
import { readFileSync } from 'node:fs';
import { signWebhookPayload, verifyWebhookSignature } from '@notionhq/client';
import { describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, isOwnEcho, parseNotionWebhook, signNotionPayload, verificationHandshake, verifyNotionSignature } from './webhook';

const raw = (name: string): string => readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');
const TOKEN = 'secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl';
const PAGE = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
const BOT = '9f0a1b2c-3d4e-4f5a-9b6c-7d8e9f0a1b2c';

describe('signature', () => {
  it('is the SDK signature: what signWebhookPayload produces verifies, and our signer matches it byte for byte', async () => {
    const body = raw('webhook-page-properties-updated');
    const sdk = await signWebhookPayload({ body, verificationToken: TOKEN });
    expect(signNotionPayload(body, TOKEN)).toBe(sdk);
    expect(verifyNotionSignature(body, sdk, TOKEN)).toBe(true);
    expect(verifyNotionSignature(Buffer.from(body), sdk, TOKEN)).toBe(true);
    expect(SIGNATURE_HEADER).toBe('X-Notion-Signature');
  });

  it('refuses a tampered body, another token and every malformed header, exactly where the SDK does', async () => {
    const body = raw('webhook-page-properties-updated');
    const good = signNotionPayload(body, TOKEN);
    const cases: [string, string | undefined, string][] = [
      [body.replace('Pk%3Bx', 'Pk%3By'), good, TOKEN],
      [body, good, `${TOKEN}x`],
      [body, good.toUpperCase().replace('SHA256=', 'sha256='), TOKEN], // upper-case hex of the right MAC: accepted by both
      [body, good.slice('sha256='.length), TOKEN],
      [body, `sha1=${good.slice(7)}`, TOKEN],
      [body, `${good}00`, TOKEN],
      [body, 'sha256=zz' + good.slice(9), TOKEN],
      [body, '', TOKEN],
      [body, undefined, TOKEN],
    ];
    const ours = cases.map(([b, sig, token]) => verifyNotionSignature(b, sig, token));
    const theirs = await Promise.all(cases.map(([b, sig, token]) => verifyWebhookSignature({ body: b, signature: sig as string, verificationToken: token })));
    expect(ours).toEqual(theirs);
    expect(ours).toEqual([false, false, true, false, false, false, false, false, false]);
    // An empty token never verifies (the SDK would compute an HMAC with an empty key).
    expect(verifyNotionSignature(body, signNotionPayload(body, ''), '')).toBe(false);
  });
});

describe('handshake and deliveries', () => {
  it('the first POST carries the verification token: recognized, answered 200, the token kept', () => {
    expect(verificationHandshake(raw('webhook-verification'))).toEqual({ status: 200, verificationToken: TOKEN });
    const parsed = parseNotionWebhook(raw('webhook-verification'));
    expect(parsed).toEqual({ ok: true, value: { kind: 'verification', verificationToken: TOKEN } });
    // Anything else is not a handshake: extra keys, a token with spaces or control characters, a delivery.
    expect(verificationHandshake(JSON.stringify({ verification_token: TOKEN, type: 'page.created' }))).toBeNull();
    expect(verificationHandshake(JSON.stringify({ verification_token: 'has space in it' }))).toBeNull();
    expect(verificationHandshake(raw('webhook-page-properties-updated'))).toBeNull();
  });

  it('a property change names the page, its data source and the changed property ids', () => {
    const parsed = parseNotionWebhook(raw('webhook-page-properties-updated'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok || parsed.value.kind !== 'event') throw new Error('expected an event');
    expect(parsed.value.event).toMatchObject({
      id: 'e7a1b2c3-d4e5-4f6a-8b7c-9d0e1f2a3b4c', type: 'page.properties_updated', at: '2026-10-16T10:02:31.428Z', attempt: 1,
      pageId: PAGE, dataSourceId: '2a1f4c3e-8b7d-4e6a-9c5b-1d2e3f4a5b6c', updatedProperties: ['Pk%3Bx', 'Ap%3Bv'], apiVersion: '2025-09-03',
      authors: [{ id: '7d8e9f0a-1b2c-4d3e-9f4a-5b6c7d8e9f0a', type: 'person' }],
    });
    expect(isOwnEcho(parsed.value.event, BOT)).toBe(false);
  });

  it("a comment event names the comment's page; one by the connection's own bot alone is its echo", () => {
    const parsed = parseNotionWebhook(raw('webhook-comment-created'));
    if (!parsed.ok || parsed.value.kind !== 'event') throw new Error('expected an event');
    const e = parsed.value.event;
    expect([e.type, e.pageId, e.entity, e.attempt]).toEqual(['comment.created', PAGE, { id: 'c4a2b3c4-d5e6-4f7a-8b9c-0d1e2f3a4b5c', type: 'comment' }, 2]);
    expect(isOwnEcho(e, BOT)).toBe(true);
    expect(isOwnEcho(e, 'another-bot')).toBe(false);
    expect(isOwnEcho({ authors: [...e.authors, { id: '7d8e9f0a-1b2c-4d3e-9f4a-5b6c7d8e9f0a', type: 'person' }] }, BOT)).toBe(false);
  });

  it('a body that is not a delivery is refused with the path of what is missing', () => {
    const noPage = JSON.parse(raw('webhook-comment-created')) as { data: Record<string, unknown> };
    delete noPage.data.page_id;
    expect(parseNotionWebhook(JSON.stringify(noPage))).toEqual({ ok: false, issues: [expect.objectContaining({ path: ['data', 'page_id'] })] });
    const noEntity = JSON.parse(raw('webhook-page-properties-updated')) as Record<string, unknown>;
    delete noEntity.entity;
    const r = parseNotionWebhook(JSON.stringify(noEntity));
    expect(r.ok ? [] : r.issues.map((i) => i.path.join('.'))).toEqual(['entity']);
    expect(parseNotionWebhook('{not json')).toMatchObject({ ok: false, issues: [{ code: 'invalid_json' }] });
    expect(parseNotionWebhook('x'.repeat(1_048_577))).toMatchObject({ ok: false, issues: [{ code: 'too_big' }] });
  });
});
