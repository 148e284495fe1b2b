// DriveWriter against the Drive simulator, through the official SDK: every write lands where Drive
// would put it (read back with DriveClient), is counted once, is skipped when the target is already
// there, checks Drive's property limits before sending, and fails with the same connector errors as reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../limiter';
import { CallCounter, ConnectorError } from '../types';
import { DriveClient } from './client';
import { DriveFileRaw } from './raw';
import { createDriveSimulator, type DriveSimulator } from './simulator';
import { DriveWriter } from './writeback';

const TOKEN = 'sim-token';
let sim: DriveSimulator;
let rootUrl: string;

beforeAll(async () => {
  sim = createDriveSimulator({ generate: { seed: 1, tasks: 60 } });
  rootUrl = (await sim.start()).rootUrl;
});
afterAll(async () => {
  await sim?.stop();
});

const limiter = () => new RateLimiter(600_000, 8);
const writer = (counter = new CallCounter(), token = TOKEN) => new DriveWriter({ token, baseUrl: rootUrl, limiter: limiter(), counter });
const reader = () => new DriveClient({ token: TOKEN, baseUrl: rootUrl, limiter: limiter() });
const propsOf = async (fileId: string) => DriveFileRaw.parse(await reader().getFile(fileId)).appProperties ?? {};
const patches = () => sim.control.calls().byRoute['PATCH /files/{fileId}'] ?? 0;
const commentPosts = () => sim.control.calls().byRoute['POST /files/{fileId}/comments'] ?? 0;

/** Live binary files, one per test (by position), so tests never see each other's writes. */
const fileAt = (i: number, where: 'shared' | 'my' = 'shared'): string => {
  const files = [...sim.control.truth.files.values()].filter(
    (f) => !f.deleted && !f.trashed && !f.mimeType.startsWith('application/vnd.google-apps.') && (where === 'shared' ? f.driveId !== null : f.driveId === null),
  );
  return files[i]!.fileId;
};

async function failure(p: Promise<unknown>, kind: string): Promise<ConnectorError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConnectorError);
  expect((err as ConnectorError).kind, (err as Error).message).toBe(kind);
  return err as ConnectorError;
}

describe('DriveWriter.setAppProperties', () => {
  it('writes the keys that differ, once; the same target again with what was read back makes no call', async () => {
    const id = fileAt(0);
    const counter = new CallCounter();
    const w = writer(counter);
    const before = patches();
    const current = await propsOf(id);
    const versionBefore = Number(DriveFileRaw.parse(await reader().getFile(id)).version);
    expect(await w.setAppProperties(id, { stageline_stage: 'client_review', stageline_asset: 'ACME-0042' }, current)).toBe(true);
    const landed = await propsOf(id);
    expect(landed).toMatchObject({ stageline_stage: 'client_review', stageline_asset: 'ACME-0042' });
    expect(await w.setAppProperties(id, { stageline_stage: 'client_review', stageline_asset: 'ACME-0042' }, landed)).toBe(false);
    expect(patches() - before).toBe(1);
    expect(counter.toJSON()).toEqual({ 'PATCH /files/{fileId}': 1 });
    // The write moved the file's version by one (the changes feed lists it; the next sync re-reads it).
    expect(Number(DriveFileRaw.parse(await reader().getFile(id)).version)).toBe(versionBefore + 1);
  });

  it('sends only the changed key when others already hold their target', async () => {
    const id = fileAt(1);
    await writer().setAppProperties(id, { a: '1', b: '2' }, await propsOf(id));
    const before = patches();
    expect(await writer().setAppProperties(id, { a: '1', b: '3' }, await propsOf(id))).toBe(true);
    expect(await propsOf(id)).toMatchObject({ a: '1', b: '3' });
    expect(patches() - before).toBe(1);
  });

  it('null deletes a key the file holds; null on a key it does not hold is no call', async () => {
    const id = fileAt(2);
    await writer().setAppProperties(id, { keep: 'yes', drop: 'soon' }, await propsOf(id));
    const before = patches();
    expect(await writer().setAppProperties(id, { drop: null }, await propsOf(id))).toBe(true);
    const after = await propsOf(id);
    expect(after).toMatchObject({ keep: 'yes' });
    expect('drop' in after).toBe(false);
    expect(await writer().setAppProperties(id, { drop: null, never: null }, after)).toBe(false);
    expect(patches() - before).toBe(1);
  });

  it('works on My Drive and shared-drive files alike', async () => {
    for (const id of [fileAt(3, 'my'), fileAt(3)]) {
      expect(await writer().setAppProperties(id, { stageline_stage: 'approved' }, await propsOf(id))).toBe(true);
      expect((await propsOf(id)).stageline_stage).toBe('approved');
    }
  });

  it('checks Drive\'s limits before sending: 124 bytes of UTF-8 per key + value, 30 private properties; the limits themselves pass', async () => {
    const id = fileAt(4);
    const before = patches();
    // 'é' is two bytes: 'k' + 62 × 'é' = 125 bytes, though only 63 characters.
    const tooLong = await failure(writer().setAppProperties(id, { k: 'é'.repeat(62) }, {}), 'invalid_config');
    expect(tooLong.message).toContain('"k"');
    expect(tooLong.message).toContain('125 bytes');
    const thirty = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`p${i}`, 'x']));
    const tooMany = await failure(writer().setAppProperties(id, { extra: 'x' }, thirty), 'invalid_config');
    expect(tooMany.message).toContain('"extra"');
    expect(tooMany.message).toContain('31 private properties');
    await failure(writer().setAppProperties(id, { '': 'x' }, {}), 'invalid_config');
    expect(patches()).toBe(before);
    // Exactly at the limits: Drive (here its simulator) takes them.
    expect(await writer().setAppProperties(id, { k: `${'é'.repeat(61)}x` }, await propsOf(id))).toBe(true);
    const current = await propsOf(id);
    const fill = Object.fromEntries(Array.from({ length: 30 - Object.keys(current).length }, (_, i) => [`p${i}`, 'x']));
    expect(await writer().setAppProperties(id, fill, current)).toBe(true);
    expect(Object.keys(await propsOf(id))).toHaveLength(30);
    // A delete makes room: replacing one key with another at 30 is allowed.
    expect(await writer().setAppProperties(id, { p0: null, q: 'y' }, await propsOf(id))).toBe(true);
    expect(patches() - before).toBe(3);
  });

  it('fails like a read: unknown file not_found, revoked token auth_revoked, quota rate_limited', async () => {
    await failure(writer().setAppProperties('1NoSuchFileAnywhere0000000000000x', { a: 'b' }, {}), 'not_found');
    await failure(writer(new CallCounter(), 'not-a-token').setAppProperties(fileAt(5), { a: 'b' }, {}), 'auth_revoked');
    sim.control.injectFaults({ method: 'PATCH', status: 403, times: 1 }); // userRateLimitExceeded
    const err = await failure(writer().setAppProperties(fileAt(5), { a: 'b' }, {}), 'rate_limited');
    expect(err.details).toMatchObject({ status: 403, endpoint: 'PATCH /files/{fileId}' });
    expect(err.details.retryAfterMs).toBeUndefined();
  });
});

describe('DriveWriter.addComment', () => {
  it('posts a comment that reads back; the same text again, with the bodies read back, makes no call', async () => {
    const id = fileAt(6);
    const counter = new CallCounter();
    const w = writer(counter);
    const before = commentPosts();
    const text = 'Stageline: approved by the client (ACME-0042 v03)';
    const made = await w.addComment(id, text, []);
    expect(made).toEqual({ id: expect.any(String) });
    const comments = (await reader().comments(id)) as { id: string; content: string; author?: { displayName?: string } }[];
    const mine = comments.find((c) => c.id === made!.id)!;
    expect(mine).toMatchObject({ content: text, author: { displayName: 'Creative Ops Bot' } });
    expect(await w.addComment(id, text, comments.map((c) => c.content))).toBeNull();
    expect(commentPosts() - before).toBe(1);
    expect(counter.toJSON()).toEqual({ 'POST /files/{fileId}/comments': 1 });
  });

  it('refuses empty text without a call', async () => {
    const before = commentPosts();
    await failure(writer().addComment(fileAt(7), '   ', []), 'invalid_config');
    expect(commentPosts()).toBe(before);
  });

  it('fails like a read on an unknown file', async () => {
    await failure(writer().addComment('1NoSuchFileAnywhere0000000000000x', 'hello', []), 'not_found');
  });
});
