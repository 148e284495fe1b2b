// The two small languages the simulator parses, tested without a server: `fields` (partial
// responses) and `q` (files.list search), including what each must refuse with Google's 400.

import { describe, expect, it } from 'vitest';
import { DriveError } from './errors';
import { type FieldTree, type Selection, checkFields, parseFields, project } from './fields';
import { type FileRec, MIME } from './model';
import { compileQuery, nameContains } from './query';
import { createFileRec } from './records';

const tree = (s: Selection): unknown => (s === true ? true : { ...(s.all ? { '*': true } : {}), ...Object.fromEntries([...s.children].map(([k, v]) => [k, tree(v)])) });
const reason = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e instanceof DriveError ? { status: e.status, ...e.items[0] } : e;
  }
  return 'no error';
};

describe('fields', () => {
  it('parses lists, nested parentheses, slash paths, `*` and spaces', () => {
    expect(tree(parseFields('nextPageToken, files(id,name,parents,md5Checksum,modifiedTime,lastModifyingUser(displayName,emailAddress))'))).toEqual({
      nextPageToken: true,
      files: { id: true, name: true, parents: true, md5Checksum: true, modifiedTime: true, lastModifyingUser: { displayName: true, emailAddress: true } },
    });
    expect(tree(parseFields('files/id,files/lastModifyingUser/displayName,kind'))).toEqual({ files: { id: true, lastModifyingUser: { displayName: true } }, kind: true });
    expect(tree(parseFields('*'))).toEqual({ '*': true });
    expect(tree(parseFields('files(*),nextPageToken'))).toEqual({ files: { '*': true }, nextPageToken: true });
    // A whole field stays whole when a sub-path of it is also named.
    expect(tree(parseFields('files,files/id'))).toEqual({ files: true });
  });

  it('refuses bad syntax and fields the schema lacks with 400 invalidParameter', () => {
    for (const bad of ['files(id', 'files)id', 'files(id))', 'a,,b', '', 'files(id name)']) {
      expect(reason(() => parseFields(bad)), bad).toMatchObject({ status: 400, reason: 'invalidParameter', location: 'fields' });
    }
    const check = (s: string, schema: string): unknown => reason(() => checkFields(parseFields(s), schema));
    expect(check('files(id,colour)', 'FileList')).toMatchObject({ message: 'Invalid field selection files/colour' });
    expect(check('name(first)', 'File')).toMatchObject({ reason: 'invalidParameter' });
    expect(check('nextPageToken', 'File')).toMatchObject({ message: 'Invalid field selection nextPageToken' });
    // Maps and inline objects accept their own keys.
    expect(check('appProperties(hub_stage),capabilities(canEdit),lastModifyingUser(me)', 'File')).toBe('no error');
    expect(check('changes(file(id,parents),removed),newStartPageToken', 'ChangeList')).toBe('no error');
  });

  it('projects plain values to the selection', () => {
    const sel = parseFields('a,b(c),d/e') as FieldTree;
    expect(project({ a: 1, b: [{ c: 2, x: 3 }], d: { e: 4, f: 5 }, z: 6 }, sel)).toEqual({ a: 1, b: [{ c: 2 }], d: { e: 4 } });
  });
});

describe('q', () => {
  const me = { email: 'ops-bot@lumenlark.example', displayName: 'Creative Ops Bot', emailVisible: true, permissionId: '1', asanaUserGid: null, asanaName: null };
  const folderA = createFileRec({ seq: 0, id: 'A', name: 'Working', mimeType: MIME.folder, parent: null, createdTime: 0, owner: me, driveId: 'D' });
  const file = (seq: number, name: string, mimeType: string, modified: string, trashed = false, parent: FileRec = folderA): FileRec => {
    const f = createFileRec({ seq, id: `f${seq}`, name, mimeType, parent, createdTime: Date.parse(modified), owner: me });
    f.trashed = trashed;
    return f;
  };
  const files = [
    file(1, 'ACME_HOLIDAY_BANNER-300x250_v03.psd', 'image/vnd.adobe.photoshop', '2026-11-10T10:00:00Z'),
    file(2, 'ACME — Holiday 2026 — Creative brief', MIME.document, '2026-10-01T10:00:00Z'),
    file(3, 'old hero shot (do not use).psd', 'image/vnd.adobe.photoshop', '2026-09-01T10:00:00Z', true),
    file(4, "Maya's notes.txt", 'text/plain', '2026-11-15T10:00:00Z', false, createFileRec({ seq: 9, id: 'B', name: 'Other', mimeType: MIME.folder, parent: null, createdTime: 0, owner: me })),
  ];
  const run = (q: string): string[] => {
    const c = compileQuery(q, { myDriveRootId: 'ROOT', meEmail: me.email });
    return files.filter(c.test).map((f) => f.id);
  };

  it('evaluates terms with and/or/not and parentheses, `and` binding tighter than `or`', () => {
    expect(run("'A' in parents")).toEqual(['f1', 'f2', 'f3']);
    expect(run("'A' in parents and trashed = false")).toEqual(['f1', 'f2']);
    expect(run(`mimeType != '${MIME.document}' and not trashed = true`)).toEqual(['f1', 'f4']);
    expect(run(`mimeType = '${MIME.document}' or trashed = true and 'B' in parents`)).toEqual(['f2']);
    expect(run(`(mimeType = '${MIME.document}' or trashed = true) and 'A' in parents`)).toEqual(['f2', 'f3']);
    expect(run("modifiedTime > '2026-11-01T00:00:00' and modifiedTime <= '2026-11-10T10:00:00Z'")).toEqual(['f1']);
    expect(run("modifiedTime >= '2026-11-10'")).toEqual(['f1', 'f4']);
    expect(run("name = 'Maya\\'s notes.txt'")).toEqual(['f4']);
    expect(run("name contains 'x' OR trashed = true")).toEqual(['f3']);
    expect(run("mimeType contains 'photoshop'")).toEqual(['f1', 'f3']);
    expect(run("'me' in owners and 'B' in parents")).toEqual(['f4']);
    expect(compileQuery("trashed = false and 'A' in parents", { myDriveRootId: 'R', meEmail: '' }).parent).toBe('A');
    expect(compileQuery("'root' in parents", { myDriveRootId: 'R', meEmail: '' }).parent).toBe('R');
  });

  it('name contains matches word prefixes only, ignoring case', () => {
    expect(run("name contains 'acme_holiday'")).toEqual(['f1']);
    expect(run("name contains 'holiday'")).toEqual(['f1', 'f2']);
    expect(run("name contains 'OLIDAY'")).toEqual([]);
    expect(nameContains('HelloWorld', 'Hello')).toBe(true);
    expect(nameContains('HelloWorld', 'World')).toBe(false);
    expect(nameContains('ACME_HOLIDAY_BANNER-300x250_v03.psd', '300x250')).toBe(true);
  });

  it('refuses what Drive refuses with 400 invalid on q, and says which valid terms it does not serve', () => {
    for (const bad of ["name = 'open", "name contains x", "trashed = 'false'", "'A' in", "'A' in parents and", "(trashed = true", 'starred > true', "modifiedTime > 'last week'", "size = '1'", "name = 'a' xor name = 'b'", '']) {
      expect(reason(() => run(bad)), bad).toMatchObject({ status: 400, reason: 'invalid', location: 'q', message: 'Invalid Value' });
    }
    expect(reason(() => run("fullText contains 'banner'"))).toMatchObject({ status: 400, location: 'q', message: expect.stringMatching(/does not serve.*fullText/) });
    expect(reason(() => run('sharedWithMe = true'))).toMatchObject({ status: 400, message: expect.stringMatching(/sharedWithMe/) });
  });
});
