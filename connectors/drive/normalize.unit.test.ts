// Drive payloads (fixtures shaped like real v3 responses, checked against the official client's
// schemas below) in, model records out: stable ids, checksums, trash, people, comment threads,
// complete sets, and rejects that keep the rest of the bundle.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { personId, stableId } from '../../mapping/ids';
import { FileComment, FileRevision, Person, StoredFile } from '../../mapping/model';
import { fileIdOf, normalizeFile, normalizeFileBundle, type DriveNormalizeContext } from './normalize';
import { DriveChangeRaw } from './raw';
import { SCHEMAS } from './simulator/schema';
import type { TypeNode } from './simulator/spec-types';

const fixture = <T = Record<string, unknown>>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as T;
const ctx: DriveNormalizeContext = { connectionId: 'conn-drive-1' };
const CONN = ctx.connectionId;

/** Every key and primitive of `value` fits `Schema$<schema>` of @googleapis/drive build/v3.d.ts. */
function fitsSchema(value: unknown, node: TypeNode, path: string): string[] {
  if (node.k === 'any') return [];
  if (node.k === 'string' || node.k === 'boolean' || node.k === 'number') return typeof value === node.k ? [] : [`${path}: expected ${node.k}`];
  if (node.k === 'array') return Array.isArray(value) ? value.flatMap((v, i) => fitsSchema(v, node.of, `${path}[${i}]`)) : [`${path}: expected an array`];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object`];
  const entries = Object.entries(value);
  if (node.k === 'map') return entries.flatMap(([k, v]) => fitsSchema(v, node.of, `${path}.${k}`));
  const props = node.k === 'ref' ? SCHEMAS[node.name]! : node.props;
  return entries.flatMap(([k, v]) => (props[k] ? fitsSchema(v, props[k], `${path}.${k}`) : [`${path}.${k}: not in the schema`]));
}

describe('fixtures', () => {
  it('the schema check bites: unknown fields and wrong types fail', () => {
    expect(fitsSchema({ id: 'x', colour: 'red' }, { k: 'ref', name: 'File' }, 'f')).toEqual(['f.colour: not in the schema']);
    expect(fitsSchema({ size: 12 }, { k: 'ref', name: 'File' }, 'f')).toEqual(['f.size: expected string']);
    expect(fitsSchema({ author: { emailAddress: 1 } }, { k: 'ref', name: 'Comment' }, 'c')).toEqual(['c.author.emailAddress: expected string']);
  });

  it.each([
    ['file-binary', 'File'], ['file-doc', 'File'], ['file-shared-drive', 'File'], ['file-trashed', 'File'],
    ['revisions-binary', 'RevisionList'], ['comments', 'CommentList'], ['files-before-move', 'FileList'], ['changes-after-move', 'ChangeList'],
  ])('%s is a Drive v3 %s (every field in @googleapis/drive@22.0.0 build/v3.d.ts, right types)', (name, schema) => {
    expect(fitsSchema(fixture(name), { k: 'ref', name: schema }, name)).toEqual([]);
  });
});

describe('normalizeFile', () => {
  it('maps a binary file: stable id, md5 checksum, int64 size, parents, appProperties, last modifier by email', () => {
    const raw = fixture('file-binary');
    const r = normalizeFile(raw, ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const f = r.value;
    expect(StoredFile.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      id: stableId(CONN, 'drive_file', '1Qm7vKx2RbT9wLcYhN4pZs8eJfU3aD6gE'),
      externalId: '1Qm7vKx2RbT9wLcYhN4pZs8eJfU3aD6gE',
      name: 'ACME_HOLIDAY_BANNER_970x250_v03.psd',
      isFolder: false,
      parentIds: ['1HkP3sW9cV2nB7xQeL5tR8yM4jD6fA0gU'],
      driveId: null,
      sizeBytes: 48_213_504,
      checksum: 'md5:9f2c4e1a7b3d5f60812a3b4c5d6e7f80',
      headRevisionId: '0B4wXq7mPzR2sVHl3dGtKcY9uNfJ1aE6bQ8iW5oTyS0vLZ',
      version: '17',
      url: 'https://drive.google.com/file/d/1Qm7vKx2RbT9wLcYhN4pZs8eJfU3aD6gE/view?usp=drivesdk',
      appProperties: { stageline_stage: 'internal_review', stageline_asset: 'ACME-0042' },
      // The same human as in Asana: the id is by (lower-cased) email, not by Drive account.
      modifiedById: personId('maya.chen@lumenlark.example', CONN, 'x'),
      remoteCreatedAt: '2026-10-02T09:14:05.312Z',
      remoteUpdatedAt: '2026-10-21T16:40:11.087Z',
      trashed: false,
      trashedAt: null,
    });
    expect(f.raw).toBe(raw);
    expect(fileIdOf(CONN, f.externalId)).toBe(f.id);
  });

  it('a Google Doc has a size but no checksum and no head revision', () => {
    const r = normalizeFile(fixture('file-doc'), ctx);
    expect(r.ok && r.value).toMatchObject({ mimeType: 'application/vnd.google-apps.document', sizeBytes: 26_624, checksum: null, headRevisionId: null, isFolder: false, appProperties: {} });
  });

  it('a shared-drive file keeps its driveId; a folder is a folder', () => {
    const r = normalizeFile(fixture('file-shared-drive'), ctx);
    expect(r.ok && r.value.driveId).toBe('0ADlITtxVptg4Uk9PVA');
    const folder = normalizeFile({ id: '1FoLdEr', name: 'Working', mimeType: 'application/vnd.google-apps.folder', parents: ['0ADlITtxVptg4Uk9PVA'] }, ctx);
    expect(folder.ok && folder.value).toMatchObject({ isFolder: true, sizeBytes: null, checksum: null, modifiedById: null, remoteUpdatedAt: null });
  });

  it('trash: trashedTime where Drive gives it (shared drives), else the last modification', () => {
    const shared = normalizeFile(fixture('file-trashed'), ctx);
    expect(shared.ok && shared.value).toMatchObject({ trashed: true, trashedAt: '2026-10-14T17:03:22.418Z' });
    const { trashedTime: _dropped, driveId: _d, ...myDrive } = fixture('file-trashed');
    const mine = normalizeFile(myDrive, ctx);
    expect(mine.ok && mine.value).toMatchObject({ trashed: true, trashedAt: '2026-09-30T08:12:45.000Z', driveId: null });
  });

  it('a malformed webViewLink is null, an empty name gets a placeholder, a hidden email falls back to the Drive account', () => {
    const r = normalizeFile({ ...fixture<Record<string, unknown>>('file-binary'), webViewLink: 'not a url', name: '  ', lastModifyingUser: { displayName: 'Outside Agency', permissionId: '0999' } }, ctx);
    expect(r.ok && r.value).toMatchObject({ url: null, name: '(untitled file 1Qm7vKx2RbT9wLcYhN4pZs8eJfU3aD6gE)', modifiedById: stableId(CONN, 'user', '0999') });
  });

  it('a malformed file is issues with paths, never a value', () => {
    const r = normalizeFile(fixture('file-malformed'), ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['createdTime', 'mimeType', 'size']);
  });
});

describe('normalizeFileBundle', () => {
  const binary = () => normalizeFileBundle({ file: fixture('file-binary'), revisions: fixture<{ revisions: unknown[] }>('revisions-binary').revisions, comments: fixture<{ comments: unknown[] }>('comments').comments }, ctx);

  it('a binary file with revisions: one FileRevision each, named after its upload, authored by email or Drive account', () => {
    const b = binary();
    expect(b.rejected).toEqual([]);
    expect(b.files).toHaveLength(1);
    const fileUuid = b.files[0]!.id;
    expect(b.fileRevisions.map((r) => FileRevision.parse(r))).toEqual(b.fileRevisions);
    expect(b.fileRevisions.map((r) => [r.name, r.sizeBytes, r.checksum, r.keepForever, r.authorName])).toEqual([
      ['ACME_HOLIDAY_BANNER_970x250_v01.psd', 40_112_128, 'md5:0a1b2c3d4e5f60718293a4b5c6d7e8f9', true, 'Maya Chen'],
      ['ACME_HOLIDAY_BANNER_970x250_v02.psd', 45_830_144, 'md5:1b2c3d4e5f60718293a4b5c6d7e8f90a', false, 'Rafa (freelance)'],
      // No originalFilename: the file's name.
      ['ACME_HOLIDAY_BANNER_970x250_v03.psd', 48_213_504, 'md5:9f2c4e1a7b3d5f60812a3b4c5d6e7f80', false, 'Maya Chen'],
    ]);
    const first = b.fileRevisions[0]!;
    expect(first).toMatchObject({
      id: stableId(CONN, 'drive_revision', '1Qm7vKx2RbT9wLcYhN4pZs8eJfU3aD6gE/0B4wXq7mPzR2sVGx1aBcDeFgHiJkLmNoPqRsTuVwXyZ01'),
      externalId: '1Qm7vKx2RbT9wLcYhN4pZs8eJfU3aD6gE/0B4wXq7mPzR2sVGx1aBcDeFgHiJkLmNoPqRsTuVwXyZ01',
      fileId: fileUuid,
      fileExternalId: '1Qm7vKx2RbT9wLcYhN4pZs8eJfU3aD6gE',
      createdAt: '2026-10-02T09:14:05.312Z',
      authorId: personId('maya.chen@lumenlark.example', CONN, 'x'),
    });
    expect(b.fileRevisions[1]!.authorId).toBe(stableId(CONN, 'user', '17789012345678901234'));
    expect(b.complete).toContainEqual({ kind: 'file_revision', assetId: fileUuid, scope: 'all', ids: b.fileRevisions.map((r) => r.id) });
  });

  it('persons: one per human, by email when Drive shows it (identity = permissionId), else by Drive account', () => {
    const b = binary();
    expect(b.persons.map((p) => Person.parse(p))).toEqual(b.persons);
    expect(b.persons).toHaveLength(2);
    expect(b.persons).toContainEqual({ id: personId('maya.chen@lumenlark.example', CONN, 'x'), email: 'maya.chen@lumenlark.example', name: 'Maya Chen', identity: { connectionId: CONN, externalId: '04512398765432109876' } });
    expect(b.persons).toContainEqual({ id: stableId(CONN, 'user', '17789012345678901234'), email: null, name: 'Rafa (freelance)', identity: { connectionId: CONN, externalId: '17789012345678901234' } });
  });

  it('comments: a row per comment and per reply, threads, resolve/reopen actions, deleted rows kept with an empty body, no author ids', () => {
    const b = binary();
    const fileUuid = b.files[0]!.id;
    expect(b.fileComments.map((c) => FileComment.parse(c))).toEqual(b.fileComments);
    const F = '1Qm7vKx2RbT9wLcYhN4pZs8eJfU3aD6gE';
    expect(b.fileComments.map((c) => [c.externalId, c.threadExternalId, c.action, c.resolved, c.deleted, c.body])).toEqual([
      [`${F}/AAABk3xYz01`, null, null, true, false, 'Logo feels cramped against the CTA — can we give it 16px more?'],
      [`${F}/AAABk3xYz01/AAABk3xYz02`, `${F}/AAABk3xYz01`, null, null, false, 'Done in v02.'],
      [`${F}/AAABk3xYz01/AAABk3xYz03`, `${F}/AAABk3xYz01`, 'resolve', null, false, 'Looks right now.'],
      [`${F}/AAABk3xYz10`, null, null, true, false, 'Colour of the sky is off vs the brand palette.'],
      [`${F}/AAABk3xYz10/AAABk3xYz11`, `${F}/AAABk3xYz10`, 'resolve', null, false, ''],
      [`${F}/AAABk3xYz10/AAABk3xYz12`, `${F}/AAABk3xYz10`, 'reopen', null, false, 'Client still sees it — reopening.'],
      [`${F}/AAABk3xYz10/AAABk3xYz13`, `${F}/AAABk3xYz10`, null, null, true, ''],
      [`${F}/AAABk3xYz20`, null, null, false, true, ''],
    ]);
    expect(b.fileComments[0]).toMatchObject({ id: stableId(CONN, 'drive_comment', `${F}/AAABk3xYz01`), quoted: 'Shop the Holiday edit', authorName: 'Maya C.', fileId: fileUuid, modifiedAt: '2026-10-14T09:30:00.000Z' });
    expect(b.fileComments[1]!.id).toBe(stableId(CONN, 'drive_reply', `${F}/AAABk3xYz01/AAABk3xYz02`));
    expect(b.fileComments.every((c) => c.authorId === null)).toBe(true);
    // Commenters are never persons here: Drive gives no email (matched by display name elsewhere).
    expect(b.persons.map((p) => p.name)).not.toContain('Jordan Ellis');
    expect(b.complete).toContainEqual({ kind: 'file_comment', assetId: fileUuid, scope: 'all', ids: b.fileComments.map((c) => c.id) });
  });

  it('a list that was not fetched makes no complete set; an empty fetched list is complete (and empty)', () => {
    const notFetched = normalizeFileBundle({ file: fixture('file-doc') }, ctx);
    expect(notFetched.complete).toEqual([]);
    expect(notFetched.persons).toHaveLength(1);
    const empty = normalizeFileBundle({ file: fixture('file-doc'), revisions: [], comments: [] }, ctx);
    const id = empty.files[0]!.id;
    expect(empty.complete).toEqual([
      { kind: 'file_revision', assetId: id, scope: 'all', ids: [] },
      { kind: 'file_comment', assetId: id, scope: 'all', ids: [] },
    ]);
  });

  it('a malformed file rejects the whole bundle into stream files, with its issues and raw', () => {
    const raw = fixture('file-malformed');
    const b = normalizeFileBundle({ file: raw, revisions: fixture<{ revisions: unknown[] }>('revisions-binary').revisions }, ctx);
    expect(b.files).toEqual([]);
    expect(b.fileRevisions).toEqual([]);
    expect(b.complete).toEqual([]);
    expect(b.rejected).toHaveLength(1);
    expect(b.rejected[0]).toMatchObject({ stream: 'files', externalId: '1BaDrEc0rD4x5c6v7b8n9m0q1w2e3r4t5', raw });
    expect(b.rejected[0]!.issues.map((i) => i.path[0]).sort()).toEqual(['createdTime', 'mimeType', 'size']);
  });

  it('a malformed revision, comment or reply is rejected alone; its id stays in the complete set so its stored row is not tombstoned', () => {
    const revisions = fixture<{ revisions: Record<string, unknown>[] }>('revisions-binary').revisions;
    const comments = fixture<{ comments: Record<string, unknown>[] }>('comments').comments;
    const badReply = { ...(comments[0]!.replies as Record<string, unknown>[])[0]!, action: 'assign' };
    const b = normalizeFileBundle({
      file: fixture('file-binary'),
      revisions: [revisions[0], { ...revisions[1], size: 45830144 }, revisions[2]],
      comments: [{ ...comments[0], replies: [badReply, (comments[0]!.replies as unknown[])[1]] }, { ...comments[1], createdTime: 'last week' }],
    }, ctx);
    expect(b.files).toHaveLength(1);
    expect(b.fileRevisions).toHaveLength(2);
    expect(b.rejected.map((r) => [r.stream, r.externalId, r.issues.map((i) => i.path.join('.'))])).toEqual([
      ['revisions', '1Qm7vKx2RbT9wLcYhN4pZs8eJfU3aD6gE/0B4wXq7mPzR2sVHk2bCdEfGhIjKlMnOpQrStUvWxYz02', ['size']],
      ['comments', '1Qm7vKx2RbT9wLcYhN4pZs8eJfU3aD6gE/AAABk3xYz01/AAABk3xYz02', ['replies.0.action']],
      ['comments', '1Qm7vKx2RbT9wLcYhN4pZs8eJfU3aD6gE/AAABk3xYz10', ['createdTime']],
    ]);
    expect(b.fileComments.map((c) => c.externalId.split('/').slice(1).join('/'))).toEqual(['AAABk3xYz01', 'AAABk3xYz01/AAABk3xYz03']);
    const revisionSet = b.complete.find((c) => c.kind === 'file_revision')!;
    expect(revisionSet.ids).toHaveLength(3);
    const commentSet = b.complete.find((c) => c.kind === 'file_comment')!;
    expect(commentSet.ids).toContain(stableId(CONN, 'drive_reply', '1Qm7vKx2RbT9wLcYhN4pZs8eJfU3aD6gE/AAABk3xYz01/AAABk3xYz02'));
    expect(commentSet.ids).toContain(stableId(CONN, 'drive_comment', '1Qm7vKx2RbT9wLcYhN4pZs8eJfU3aD6gE/AAABk3xYz10'));
  });

  it('a moved file: the same stable id before and after, its parents replaced (a crawl page, then a changes page)', () => {
    const before = fixture<{ files: unknown[] }>('files-before-move').files[0];
    const page = fixture<{ changes: unknown[]; newStartPageToken: string }>('changes-after-move');
    const changes = page.changes.map((c) => DriveChangeRaw.parse(c));
    expect(changes.map((c) => [c.fileId, c.removed])).toEqual([['1MvD8eFgH2jK3lZ4xC5vB6nM7qW8eR9tY', false], ['1GoNeX9wV8uT7sR6qP5oN4mL3kJ2iH1gF', true]]);
    expect(changes[1]!.file).toBeUndefined();
    const a = normalizeFileBundle({ file: before }, ctx).files[0]!;
    const b = normalizeFileBundle({ file: changes[0]!.file }, ctx).files[0]!;
    expect(b.id).toBe(a.id);
    expect([a.parentIds, b.parentIds]).toEqual([['1WrkN9bV8cX7zL6kJ5hG4fD3sA2qW1eR0'], ['1FnL7aB6cD5eF4gH3iJ2kL1mN0oP9qR8s']]);
    expect([a.version, b.version]).toEqual(['9', '10']);
  });

  it('is pure: the same payload twice gives equal batches', () => {
    expect(binary()).toEqual(binary());
  });
});
