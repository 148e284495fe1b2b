// The generator (determinism, the same agency as the Asana simulator, the quirks it must contain,
// a ground truth that agrees with what is served) and the simulator's behaviour as a client sees
// it: paging to the end without duplicates, the change feed after every kind of edit, quotas,
// revoked tokens, expired page tokens, faults, the HTTP control surface, and 10,000 files.

import { createHash } from 'node:crypto';
import { auth, drive, type drive_v3 } from '@googleapis/drive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GeneratedAgency, createAsanaSimulator, generateAgency, SIM_DEFAULT_TOKEN as ASANA_TOKEN } from '../../asana/simulator';
import { type DriveFileTruth, type DriveSimulator, type GeneratedDrive, MIME, SIM_DEFAULT_TOKEN, carriesKey, createDriveSimulator, generateDrive, startDriveSimulatorFromCli } from './index';

type Json = Record<string, unknown>;

// ---- helpers ------------------------------------------------------------------------------------

function fingerprint(g: GeneratedDrive): string {
  const h = createHash('sha256');
  for (const f of g.dataset.files) {
    h.update(JSON.stringify([f.id, f.name, f.mimeType, f.parents, f.driveId, f.createdTime, f.modifiedTime, f.trashed, f.deleted, f.version, f.owner.email]));
    for (const r of f.revisions) h.update(JSON.stringify([r.id, r.modifiedTime, r.size, r.md5, r.author.email, r.keepForever]));
    for (const c of f.comments) h.update(JSON.stringify([c.id, c.author.displayName, c.content, c.resolved, c.deleted, c.replies.map((r) => [r.id, r.action, r.content])]));
  }
  h.update(JSON.stringify(g.dataset.changes.map((c) => [c.id, c.file.id, c.time])));
  h.update(JSON.stringify([...g.truth.files.values()]));
  return h.digest('hex');
}

function agencyFingerprint(a: GeneratedAgency): string {
  return createHash('sha256')
    .update(JSON.stringify(a.dataset.projects.flatMap((p) => p.tasks.map((t) => [t.gid, t.name, t.modifiedAt, t.attachments.map((x) => [x.gid, x.name, x.externalRef])]))))
    .digest('hex');
}

async function api(base: string, path: string, init: { method?: string; token?: string | null; json?: unknown } = {}) {
  const headers: Record<string, string> = {};
  const token = init.token === undefined ? SIM_DEFAULT_TOKEN : init.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (init.json !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method: init.method ?? 'GET', headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

function client(rootUrl: string, token = SIM_DEFAULT_TOKEN): drive_v3.Drive {
  const oauth = new auth.OAuth2();
  oauth.setCredentials({ access_token: token });
  return drive({ version: 'v3', rootUrl, auth: oauth, retry: false });
}

async function withSimulator<T>(options: Parameters<typeof createDriveSimulator>[0], run: (sim: DriveSimulator, base: string, rootUrl: string) => Promise<T>): Promise<T> {
  const sim = createDriveSimulator(options);
  const { baseUrl, rootUrl } = await sim.start();
  try {
    return await run(sim, baseUrl, rootUrl);
  } finally {
    await sim.stop();
  }
}

const ALL = 'corpora=allDrives&includeItemsFromAllDrives=true&supportsAllDrives=true';
const CHANGES_ALL = 'includeItemsFromAllDrives=true&supportsAllDrives=true';

/** Follows a changes feed from `token` to its end; returns the changes and the next start token. */
async function drain(base: string, token: string, extra = CHANGES_ALL, pageSize = 1000): Promise<{ changes: Json[]; next: string; pages: number }> {
  const changes: Json[] = [];
  let at = token;
  for (let pages = 1; ; pages++) {
    const r = await api(base, `/changes?pageToken=${at}&pageSize=${pageSize}&${extra}&fields=*`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    changes.push(...(r.body.changes as Json[]));
    if (typeof r.body.nextPageToken === 'string') {
      expect(r.body.newStartPageToken).toBeUndefined();
      at = r.body.nextPageToken;
      continue;
    }
    expect(r.body.newStartPageToken).toEqual(expect.any(String));
    return { changes, next: r.body.newStartPageToken as string, pages };
  }
}

// ---- the generator --------------------------------------------------------------------------------

describe('generateDrive', () => {
  const agency = generateAgency({ seed: 'drive-gen', tasks: 2_000 });
  const before = agencyFingerprint(agency);
  const gen = generateDrive(agency, { seed: 'drive-gen' });
  const files = [...gen.truth.files.values()];
  const tasks = agency.dataset.projects.flatMap((p) => p.tasks);

  it('is deterministic, and does not touch the agency it is built from', () => {
    const again = generateDrive(generateAgency({ seed: 'drive-gen', tasks: 2_000 }), { seed: 'drive-gen' });
    expect(fingerprint(again)).toBe(fingerprint(gen));
    expect(fingerprint(generateDrive(agency, { seed: 'other' }))).not.toBe(fingerprint(gen));
    expect(agencyFingerprint(agency)).toBe(before);
  });

  it('builds the agency’s shared drive: a folder per client and per campaign, named like the Asana projects', () => {
    expect(gen.dataset.sharedDrive.name).toBe('Lumen & Lark Creative');
    const folders = [...gen.truth.folders.values()];
    for (const p of agency.dataset.projects) {
      const campaign = folders.filter((f) => f.role === 'campaign' && f.projectGid === p.gid);
      expect(campaign.map((f) => f.name)).toEqual([p.name]);
      const path = campaign[0]?.path ?? '';
      expect(path).toMatch(new RegExp(`^Lumen & Lark Creative/${p.client.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\([A-Z]+\\)/`));
      for (const sub of ['Briefs', 'Working', 'Final']) expect(folders.some((f) => f.path === `${path}/${sub}` && f.projectGid === p.gid)).toBe(true);
    }
    expect(gen.truth.rootFolderIds).toEqual([gen.truth.sharedDriveId, expect.any(String)]);
    expect(gen.truth.folders.get(gen.truth.rootFolderIds[1] as string)?.path).toBe('My Drive/Freelance hand-offs');
  });

  it('holds every Drive-hosted Asana attachment under the id its view_url names', () => {
    let n = 0;
    for (const t of tasks) {
      for (const a of t.attachments) {
        if (a.host !== 'gdrive') continue;
        n++;
        const f = gen.truth.files.get(a.externalRef ?? '');
        expect(f, a.name).toMatchObject({ name: a.name, linkKind: 'explicit', taskGid: t.gid, attachmentGids: [a.gid], deleted: false });
      }
    }
    expect(n).toBeGreaterThan(100);
  });

  it('links files to tasks by key, and contains orphans, misnamed files, documents and several-revision files', () => {
    const keys = new Map(tasks.map((t) => [t.values[4], t] as const));
    const by = (kind: string): DriveFileTruth[] => files.filter((f) => f.linkKind === kind);
    for (const f of by('name')) {
      expect(carriesKey(f.name, f.assetKey as string), f.name).not.toBeNull();
      expect(keys.get(f.assetKey)?.gid).toBe(f.taskGid);
    }
    const misnamed = by('misnamed');
    expect(misnamed.length).toBeGreaterThan(10);
    for (const f of misnamed) {
      expect(carriesKey(f.name, f.assetKey as string)).toBeNull();
      expect(keys.get(f.assetKey)?.gid).toBe(f.taskGid);
    }
    // The three ways the name gets the key wrong: a typo, the wrong case, no size.
    expect(misnamed.some((f) => f.name.toLowerCase().startsWith((f.assetKey as string).toLowerCase()) && !f.name.startsWith(f.assetKey as string))).toBe(true);
    expect(misnamed.some((f) => f.name.startsWith(`${(f.assetKey as string).split('-')[0] as string}_v`))).toBe(true);
    expect(misnamed.some((f) => !f.name.toLowerCase().startsWith((f.assetKey as string).split('-')[0]?.toLowerCase() as string) && f.name.length >= (f.assetKey as string).length)).toBe(true);
    const strays = by('orphan').filter((f) => f.category === 'stray');
    expect(strays.length).toBeGreaterThan(10);
    for (const f of strays) {
      expect([f.taskGid, f.assetKey]).toEqual([null, null]);
      for (const k of keys.keys()) if (typeof k === 'string') expect(f.name.toLowerCase().includes(k.toLowerCase().split('-')[0] as string)).toBe(false);
    }
    const docs = files.filter((f) => f.category === 'document');
    expect(new Set(docs.map((f) => f.mimeType))).toEqual(new Set([MIME.document, MIME.spreadsheet, MIME.presentation]));
    for (const d of docs) for (const r of d.revisions) expect([r.md5, r.size]).toEqual([null, null]);
    const multi = files.filter((f) => f.versionNumbers.length > 1 && f.linkKind === 'name');
    expect(multi.length).toBeGreaterThan(10);
    for (const f of multi) expect(carriesKey(f.name, f.assetKey as string)?.version).toBe(Math.max(...f.versionNumbers));
    expect(files.some((f) => f.category === 'asset' && f.folderPath.startsWith('My Drive/'))).toBe(true);
  });

  it('moves, trashes, deletes, purges old revisions and keeps some forever', () => {
    const moved = files.filter((f) => f.previousFolderPaths.length > 0);
    expect(moved.length).toBeGreaterThan(0);
    for (const f of moved) expect([f.previousFolderPaths[0]?.endsWith('/Working'), f.folderPath.endsWith('/Final')]).toEqual([true, true]);
    expect(files.filter((f) => f.trashed && !f.deleted).length).toBeGreaterThan(3);
    expect(files.filter((f) => f.deleted).length).toBeGreaterThan(0);
    expect(files.some((f) => f.linkKind === 'explicit' && f.deleted)).toBe(false);
    expect(files.reduce((n, f) => n + f.purgedRevisions, 0)).toBeGreaterThan(0);
    expect(files.some((f) => f.revisions.some((r) => r.keepForever))).toBe(true);
  });

  it('saves each version to Drive with the bytes uploaded to Asana, and copies the content into Final/', () => {
    const taskOf = new Map(tasks.map((t) => [t.gid, t] as const));
    let sameBytes = 0;
    let copies = 0;
    for (const f of files) {
      if (f.category !== 'asset' || f.taskGid === null) continue;
      const task = taskOf.get(f.taskGid);
      const versions = agency.truth.tasks.get(f.taskGid)?.versions ?? [];
      // The last save of each version the file holds is the final one (an earlier one is an intermediate save).
      const lastSave = new Map<number, (typeof f.revisions)[number]>();
      for (const r of f.revisions) if (r.versionNumber !== null) lastSave.set(r.versionNumber, r);
      for (const [n, r] of lastSave) {
        const attachmentGid = versions.find((v) => v.number === n)?.attachmentGid;
        const att = task?.attachments.find((a) => a.gid === attachmentGid);
        if (att?.host !== 'asana') continue;
        expect(r.size, f.name).toBe(att.size);
        sameBytes++;
      }
      if (f.folderPath.endsWith('/Final') && f.previousFolderPaths.length === 0) {
        // A copy (files.copy keeps the content): the size and md5 of the latest save of the same version.
        const [r] = f.revisions;
        expect(f.revisions).toHaveLength(1);
        expect(r?.versionNumber).toBe(versions.at(-1)?.number);
        const holders = files.filter((o) => o !== f && o.taskGid === f.taskGid && o.versionNumbers.includes(r?.versionNumber ?? -1));
        if (holders.length > 0) {
          expect(holders.some((o) => o.revisions.some((x) => x.md5 === r?.md5 && x.size === r?.size && x.versionNumber === r?.versionNumber)), f.name).toBe(true);
          copies++;
        } else {
          // No other Drive file holds that version: the copy is the Asana upload, downloaded (its bytes when Asana hosts it).
          const upload = task?.attachments.find((a) => a.gid === versions.at(-1)?.attachmentGid);
          if (upload?.host === 'asana') expect(r?.size).toBe(upload.size);
        }
      }
    }
    expect(sameBytes).toBeGreaterThan(500);
    expect(copies).toBeGreaterThan(20);
  });

  it('writes comment threads by people whose display names sometimes match their Asana names and sometimes not', () => {
    const comments = files.flatMap((f) => f.comments);
    const replies = comments.flatMap((c) => c.replies);
    expect(comments.length).toBeGreaterThan(300);
    expect(comments.some((c) => c.deleted)).toBe(true);
    expect(replies.some((r) => r.action === 'resolve') && replies.some((r) => r.action === 'reopen')).toBe(true);
    expect(comments.filter((c) => c.resolved).every((c) => c.replies.filter((r) => r.action !== null).at(-1)?.action === 'resolve')).toBe(true);
    const users = new Map(agency.dataset.users.map((u) => [u.name, u.email]));
    for (const x of [...comments, ...replies]) expect(x.matchesEmail).toBe(users.get(x.authorDisplayName) ?? null);
    const unmatched = comments.filter((c) => c.matchesEmail === null);
    expect(unmatched.length).toBeGreaterThan(10);
    expect(comments.length - unmatched.length).toBeGreaterThan(unmatched.length);
    expect(unmatched.some((c) => !c.authorEmail.endsWith('.example') || gen.truth.people.find((p) => p.email === c.authorEmail)?.asanaUserGid === null)).toBe(true);
    expect(gen.truth.people.some((p) => p.asanaUserGid !== null && !p.displayNameMatches)).toBe(true);
  });
});

// ---- the simulator ------------------------------------------------------------------------------

describe('Drive simulator', () => {
  let sim: DriveSimulator;
  let base: string;
  let rootUrl: string;
  let driveId: string;

  beforeAll(async () => {
    sim = createDriveSimulator({ generate: { seed: 'sim', tasks: 300 } });
    ({ baseUrl: base, rootUrl } = await sim.start());
    driveId = sim.control.sharedDriveId;
  });
  afterAll(async () => {
    await sim?.stop();
  });

  const live = (): DriveFileTruth[] => [...sim.control.truth.files.values()].filter((f) => !f.deleted && !f.unshared);

  it('serves exactly what the truth says: files, folders, paths, revisions, comments', async () => {
    const c = client(rootUrl);
    const served = new Map<string, drive_v3.Schema$File>();
    let pageToken: string | undefined;
    do {
      const r = await c.files.list({ corpora: 'allDrives', includeItemsFromAllDrives: true, supportsAllDrives: true, pageSize: 1000, pageToken, fields: 'nextPageToken,files(*)' });
      for (const f of r.data.files ?? []) served.set(f.id as string, f);
      pageToken = r.data.nextPageToken ?? undefined;
    } while (pageToken);
    const folders = [...sim.control.truth.folders.values()].filter((f) => f.role !== 'root');
    expect(new Set(served.keys())).toEqual(new Set([...live().map((f) => f.fileId), ...folders.map((f) => f.folderId)]));
    const roots = new Map([[sim.control.truth.sharedDriveId, 'Lumen & Lark Creative'], [sim.control.dataset.myDriveRoot.id, 'My Drive']]);
    const pathOf = (id: string): string => {
      const f = served.get(id);
      if (!f) return roots.get(id) ?? '?';
      return `${pathOf(f.parents?.[0] ?? '')}/${f.name ?? ''}`;
    };
    for (const t of live()) {
      const f = served.get(t.fileId) as drive_v3.Schema$File;
      expect([f.name, f.mimeType, f.trashed, f.driveId ?? null]).toEqual([t.name, t.mimeType, t.trashed, t.driveId]);
      expect(pathOf(f.parents?.[0] ?? '')).toBe(t.folderPath);
      const head = t.revisions.at(-1);
      if (t.mimeType.startsWith('application/vnd.google-apps.')) {
        expect([f.md5Checksum, f.headRevisionId]).toEqual([undefined, undefined]);
      } else {
        expect([f.md5Checksum, f.size, f.headRevisionId]).toEqual([head?.md5, String(head?.size), head?.id]);
      }
    }
    for (const t of live().filter((x) => x.comments.length > 0 || x.revisions.length > 1).slice(0, 80)) {
      const revs = await c.revisions.list({ fileId: t.fileId, pageSize: 1000, fields: 'revisions(id,modifiedTime,size,md5Checksum,lastModifyingUser(emailAddress))' });
      expect((revs.data.revisions ?? []).map((r) => [r.id, r.modifiedTime, r.size ?? null, r.md5Checksum ?? null])).toEqual(
        t.revisions.map((r) => [r.id, r.modifiedTime, r.size === null ? null : String(r.size), r.md5]),
      );
      (revs.data.revisions ?? []).forEach((r, i) => {
        // Some outside accounts hide their email; when it is there it is the author's.
        if (r.lastModifyingUser?.emailAddress !== undefined) expect(r.lastModifyingUser.emailAddress).toBe(t.revisions[i]?.authorEmail);
      });
      const comments = await c.comments.list({ fileId: t.fileId, includeDeleted: true, pageSize: 100, fields: 'comments(id,author,deleted,resolved,content,replies(id,action,author(displayName)))' });
      expect((comments.data.comments ?? []).map((x) => [x.id, x.author?.displayName, x.deleted, x.resolved, x.replies?.map((r) => [r.id, r.action ?? null, r.author?.displayName])])).toEqual(
        t.comments.map((x) => [x.id, x.authorDisplayName, x.deleted, x.resolved, x.replies.map((r) => [r.id, r.action, r.authorDisplayName])]),
      );
      for (const x of comments.data.comments ?? []) {
        expect(x.author && 'emailAddress' in x.author).toBe(false);
        if (x.deleted) expect(x.content).toBe('');
      }
    }
    // Deleted files answer 404.
    const gone = [...sim.control.truth.files.values()].find((f) => f.deleted);
    if (gone) expect((await api(base, `/files/${gone.fileId}?supportsAllDrives=true`)).status).toBe(404);
  });

  it('every gdrive attachment the Asana simulator serves resolves to a Drive file', async () => {
    // The same seed and size give the same agency in both simulators.
    const asana = createAsanaSimulator({ generate: { seed: 'sim', tasks: 300 } });
    const { baseUrl: asanaBase } = await asana.start();
    try {
      let n = 0;
      for (const p of asana.control.dataset.projects) {
        for (const t of p.tasks) {
          if (!t.attachments.some((a) => a.host === 'gdrive')) continue;
          const res = await fetch(`${asanaBase}/attachments?parent=${t.gid}&opt_fields=name,host,view_url`, { headers: { Authorization: `Bearer ${ASANA_TOKEN}` } });
          for (const a of ((await res.json()) as { data: Json[] }).data) {
            if (a.host !== 'gdrive') continue;
            const id = /^https:\/\/drive\.google\.com\/file\/d\/([\w-]+)\/view$/.exec(a.view_url as string)?.[1];
            const f = await api(base, `/files/${id ?? ''}?supportsAllDrives=true&fields=id,name`);
            expect(f.body).toEqual({ id, name: a.name });
            expect(sim.control.truthOf(id ?? '')?.attachmentGids).toEqual([a.gid]);
            n++;
          }
        }
      }
      expect(n).toBeGreaterThan(10);
    } finally {
      await asana.stop();
    }
  });

  it('pages files to the end without duplicates, in any order, while files are added', async () => {
    const all = await api(base, `/files?${ALL}&pageSize=1000&fields=files(id)`);
    const total = (all.body.files as Json[]).length;
    for (const [orderBy, size] of [[null, 7], ['name desc', 13], ['modifiedTime desc,name', 50], ['folder,name_natural', 1000], ['createdTime', 1]] as const) {
      const ids: string[] = [];
      let token: string | null = null;
      let added = false;
      do {
        const r = await api(base, `/files?${ALL}&pageSize=${size}${orderBy ? `&orderBy=${encodeURIComponent(orderBy)}` : ''}&fields=nextPageToken,files(id,name)${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`);
        expect(r.status).toBe(200);
        ids.push(...(r.body.files as Json[]).map((f) => f.id as string));
        token = (r.body.nextPageToken as string | undefined) ?? null;
        if (!added && orderBy === null) {
          sim.control.createFile({ name: 'late addition.png', parentId: sim.control.rootFolderIds[1] as string });
          added = true;
        }
        if (size === 1 && ids.length > 40) break;
      } while (token);
      expect(new Set(ids).size, String(orderBy)).toBe(ids.length);
      if (size !== 1) expect(ids.length).toBeGreaterThanOrEqual(total);
    }
    const byName = await api(base, `/files?${ALL}&pageSize=1000&orderBy=name&fields=files(name)&q=${encodeURIComponent(`mimeType != '${MIME.folder}'`)}`);
    const names = (byName.body.files as Json[]).map((f) => (f.name as string).toLowerCase());
    expect(names).toEqual([...names].sort());
  });

  it('filters with q: parents, trashed, mimeType, name contains (prefix), modifiedTime, and/or/not, parentheses', async () => {
    const working = [...sim.control.truth.folders.values()].find((f) => f.role === 'Working') as { folderId: string; path: string };
    const q = async (query: string, scope = ALL): Promise<string[]> => {
      const r = await api(base, `/files?${scope}&pageSize=1000&fields=files(id)&q=${encodeURIComponent(query)}`);
      expect(r.status, `${query}: ${JSON.stringify(r.body)}`).toBe(200);
      return (r.body.files as Json[]).map((f) => f.id as string).sort();
    };
    const inWorking = live().filter((f) => f.folderPath === working.path);
    expect(await q(`'${working.folderId}' in parents`)).toEqual(inWorking.map((f) => f.fileId).sort());
    expect(await q(`'${working.folderId}' in parents and trashed = false`)).toEqual(inWorking.filter((f) => !f.trashed).map((f) => f.fileId).sort());
    expect(await q(`'${working.folderId}' in parents and not trashed = false`)).toEqual(inWorking.filter((f) => f.trashed).map((f) => f.fileId).sort());
    const docs = live().filter((f) => f.mimeType === MIME.document).map((f) => f.fileId).sort();
    expect(await q(`mimeType = '${MIME.document}'`)).toEqual(docs);
    const nonFolders = await q(`mimeType != '${MIME.folder}' and (trashed = true or trashed = false)`);
    expect(nonFolders).toEqual(live().map((f) => f.fileId).sort());
    const key = live().find((f) => f.linkKind === 'name')?.assetKey as string;
    const prefix = key.split('-')[0] as string;
    const hits = await q(`name contains '${prefix}'`);
    expect(hits.length).toBeGreaterThan(0);
    // Prefix matching on words: the middle of a word does not match.
    expect(await q(`name contains '${prefix.slice(2)}'`)).not.toEqual(hits);
    const since = '2026-11-01T00:00:00';
    const times = await api(base, `/files?${ALL}&pageSize=1000&fields=files(id,modifiedTime)`);
    const recent = (times.body.files as Json[]).filter((f) => (f.modifiedTime as string) > `${since}.000Z`).map((f) => f.id as string).sort();
    expect(recent.length).toBeGreaterThan(0);
    expect(await q(`modifiedTime > '${since}'`)).toEqual(recent);
    expect(await q(`('${working.folderId}' in parents or mimeType = '${MIME.document}') and trashed = false`)).toEqual(
      [...new Set([...inWorking.filter((f) => !f.trashed).map((f) => f.fileId), ...docs])].sort(),
    );
    // The user corpus without includeItemsFromAllDrives does not reach into the shared drive.
    expect(await q(`'${working.folderId}' in parents`, 'pageSize=1000')).toEqual([]);
    for (const bad of ["name = 'x", 'name contains x', "'x' in owners and", 'trashed = maybe', "fullText contains 'banner'", "modifiedTime > 'yesterday'"]) {
      const r = await api(base, `/files?q=${encodeURIComponent(bad)}`);
      expect(r.status, bad).toBe(400);
      expect(((r.body.error as Json).errors as Json[])[0]).toMatchObject({ reason: 'invalid', location: 'q' });
    }
  });

  it('pages the change log without duplicates; the last page carries newStartPageToken', async () => {
    const small = await drain(base, '1', CHANGES_ALL, 7);
    const large = await drain(base, '1', CHANGES_ALL, 1000);
    expect(small.changes.map((c) => c.fileId)).toEqual(large.changes.map((c) => c.fileId));
    expect(small.pages).toBeGreaterThan(10);
    expect(large.pages).toBe(1);
    const ids = small.changes.map((c) => c.fileId as string);
    expect(new Set(ids).size).toBe(ids.length);
    // Every file and folder ever made is in the feed once; deleted ones as removals without a file.
    const expected = [...sim.control.truth.files.keys(), ...[...sim.control.truth.folders.values()].filter((f) => f.role !== 'root').map((f) => f.folderId)];
    expect(new Set(ids)).toEqual(new Set(expected));
    for (const c of small.changes) {
      const gone = sim.control.truthOf(c.fileId as string)?.deleted === true;
      expect(c.removed).toBe(gone);
      expect('file' in c).toBe(!gone);
    }
    const times = small.changes.map((c) => c.time as string);
    expect(times).toEqual([...times].sort());
    expect(small.next).toBe(sim.control.startPageToken());
    // Scopes: My Drive only by default; the shared drive alone with driveId.
    const mine = await drain(base, '1', '');
    expect(mine.changes.every((c) => (c.file as Json | undefined)?.driveId === undefined)).toBe(true);
    const shared = await drain(base, '1', `driveId=${driveId}&supportsAllDrives=true&includeItemsFromAllDrives=true`);
    expect(shared.changes.length + mine.changes.length).toBe(large.changes.length);
    const noRemovals = await drain(base, '1', `${CHANGES_ALL}&includeRemoved=false`);
    expect(noRemovals.changes.some((c) => c.removed)).toBe(false);
  });

  it('reports every kind of edit in the change feed, a file once per window', async () => {
    const c = sim.control;
    let token = c.startPageToken();
    const next = async (): Promise<Json[]> => {
      const r = await drain(base, token);
      token = r.next;
      return r.changes;
    };
    const asset = live().find((f) => f.linkKind === 'name' && !f.trashed && f.driveId !== null) as DriveFileTruth;
    const final = [...c.truth.folders.values()].find((f) => f.role === 'Final') as { folderId: string; path: string };
    expect(await next()).toEqual([]);

    const before = [...asset.versionNumbers];
    const key = asset.assetKey as string;
    const next2 = Math.max(...before) + 7;
    // A designer uploads v(N) over the file ("Manage versions → upload" keeps the uploaded file's name).
    const rev = c.addRevision(asset.fileId, { size: 1234, md5: 'a'.repeat(32), originalFilename: `${key}_v${String(next2).padStart(2, '0')}.psd` });
    let changes = await next();
    expect(changes).toEqual([expect.objectContaining({ fileId: asset.fileId, removed: false, changeType: 'file', file: expect.objectContaining({ headRevisionId: rev, md5Checksum: 'a'.repeat(32), size: '1234' }) })]);
    expect(c.truthOf(asset.fileId)?.versionNumbers).toEqual([...before, next2]);
    expect(c.truthOf(asset.fileId)?.revisions.at(-1)).toMatchObject({ id: rev, versionNumber: next2 });
    // A re-save under the file's own name is that version again; a name without a number for the key is the asset's next version.
    const resave = c.addRevision(asset.fileId, { size: 1300 });
    expect(c.truthOf(asset.fileId)?.revisions.at(-1)).toMatchObject({ id: resave, versionNumber: carriesKey(asset.name, key)?.version });
    const untitled = c.addRevision(asset.fileId, { size: 1400, originalFilename: 'Untitled-1.psd' });
    expect(c.truthOf(asset.fileId)?.revisions.at(-1)).toMatchObject({ id: untitled, versionNumber: next2 + 1 });
    expect(c.truthOf(asset.fileId)?.versionNumbers).toEqual([...before, next2, next2 + 1]);
    expect(c.dataset.files.find((f) => f.id === asset.fileId)?.revisions.at(-1)?.originalFilename).toBe('Untitled-1.psd');
    changes = await next();
    expect(changes.map((x) => x.fileId)).toEqual([asset.fileId]);

    c.renameFile(asset.fileId, 'final_final_banner.psd');
    changes = await next();
    expect(changes).toEqual([expect.objectContaining({ file: expect.objectContaining({ name: 'final_final_banner.psd' }) })]);
    expect(c.truthOf(asset.fileId)?.linkKind).toBe('misnamed');

    c.moveFile(asset.fileId, final.folderId);
    changes = await next();
    expect((changes[0]?.file as Json).parents).toEqual([final.folderId]);
    expect(c.truthOf(asset.fileId)).toMatchObject({ folderPath: final.path, previousFolderPaths: [expect.stringMatching(/\/Working$/)] });

    c.trashFile(asset.fileId);
    changes = await next();
    expect(changes[0]?.file).toMatchObject({ trashed: true, explicitlyTrashed: true, trashingUser: expect.any(Object), trashedTime: expect.any(String) });
    c.untrashFile(asset.fileId);
    expect((await next())[0]?.file).toMatchObject({ trashed: false });

    const commentId = c.addComment(asset.fileId, 'Logo too small', { author: c.truth.people.find((p) => !p.displayNameMatches && p.asanaUserGid !== null)?.email });
    expect((await next()).map((x) => x.fileId)).toEqual([asset.fileId]);
    c.addReply(asset.fileId, commentId, 'Fixed', { action: 'resolve' });
    c.addReply(asset.fileId, commentId, 'Still small', { action: 'reopen' });
    c.deleteComment(asset.fileId, commentId);
    c.setAppProperties(asset.fileId, { hub_stage: 'client_review' });
    // Several edits, one change: Drive lists a file once, with its latest state.
    changes = await next();
    expect(changes).toHaveLength(1);
    expect((changes[0]?.file as Json).appProperties).toEqual({ hub_stage: 'client_review' });
    expect(c.truthOf(asset.fileId)?.comments.at(-1)).toMatchObject({ id: commentId, deleted: true, resolved: false, replies: [{ action: 'resolve' }, { action: 'reopen' }] });

    const created = c.createFile({ name: `${asset.assetKey as string}_v09.psd`, parentId: final.folderId, size: 99 });
    changes = await next();
    expect(changes).toEqual([expect.objectContaining({ fileId: created, file: expect.objectContaining({ name: `${asset.assetKey as string}_v09.psd` }) })]);
    expect(c.truthOf(created)).toMatchObject({ linkKind: 'name', taskGid: asset.taskGid, versionNumbers: [9] });

    c.deleteFile(created);
    changes = await next();
    expect(changes).toEqual([{ kind: 'drive#change', changeType: 'file', fileId: created, removed: true, time: expect.any(String) }]);
    expect((await api(base, `/files/${created}?supportsAllDrives=true`)).status).toBe(404);

    const other = live().find((f) => f.driveId !== null && f.fileId !== asset.fileId && !f.trashed) as DriveFileTruth;
    c.unshareFile(other.fileId);
    expect(await next()).toEqual([expect.objectContaining({ fileId: other.fileId, removed: true })]);
    expect((await api(base, `/files/${other.fileId}?supportsAllDrives=true`)).status).toBe(404);

    // Trashing a folder trashes what is in it (not explicitly); the feed carries each of them.
    const folder = c.createFile({ name: 'Exports', parentId: final.folderId, mimeType: MIME.folder });
    const inner = c.createFile({ name: 'export.png', parentId: folder });
    await next();
    c.trashFile(folder);
    changes = await next();
    expect(new Map(changes.map((x) => [x.fileId, (x.file as Json).explicitlyTrashed]))).toEqual(new Map([[folder, true], [inner, false]]));

    // The write-back through the API leaves the same traces.
    const r = await api(base, `/files/${asset.fileId}?supportsAllDrives=true&fields=id,appProperties`, { method: 'PATCH', json: { appProperties: { hub_stage: 'approved' } } });
    expect(r.body).toEqual({ id: asset.fileId, appProperties: { hub_stage: 'approved' } });
    changes = await next();
    expect((changes[0]?.file as Json).lastModifyingUser).toBeDefined();
    // An identical write changes nothing.
    await api(base, `/files/${asset.fileId}?supportsAllDrives=true`, { method: 'PATCH', json: { appProperties: { hub_stage: 'approved' } } });
    expect(await next()).toEqual([]);
  });

  it('answers over quota with 403 userRateLimitExceeded or 429 rateLimitExceeded, without Retry-After, and counts them', async () => {
    let now = Date.parse('2026-11-21T09:00:00Z');
    await withSimulator({ generate: { seed: 5, tasks: 60 }, clock: () => now, quotaPerMinute: 3 }, async (s, b) => {
      s.control.resetCalls();
      for (let i = 0; i < 3; i++) expect((await api(b, '/files?pageSize=1')).status).toBe(200);
      const first = await api(b, '/files?pageSize=1');
      const second = await api(b, '/files?pageSize=1');
      expect([first.status, second.status]).toEqual([403, 429]);
      expect(first.body).toEqual({ error: { code: 403, message: 'User rate limit exceeded.', errors: [{ domain: 'usageLimits', reason: 'userRateLimitExceeded', message: 'User rate limit exceeded.' }] } });
      expect(second.body).toMatchObject({ error: { code: 429, errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded' }] } });
      expect([first.headers.get('retry-after'), second.headers.get('retry-after')]).toEqual([null, null]);
      s.control.setQuota(3, '403');
      expect((await api(b, '/about?fields=kind')).status).toBe(403);
      expect((await api(b, '/about?fields=kind')).status).toBe(403);
      s.control.setQuota(3, '429');
      expect((await api(b, '/about?fields=kind')).status).toBe(429);
      // Another token has its own window; the window slides.
      s.control.addToken('designer-token', s.control.truth.people[3]?.email as string);
      expect((await api(b, '/about?fields=user', { token: 'designer-token' })).status).toBe(200);
      now += 61_000;
      expect((await api(b, '/about?fields=kind')).status).toBe(200);
      now += 61_000;
      const calls = s.control.calls();
      expect(calls).toMatchObject({ total: 10, rateLimited: 5, byReason: { userRateLimitExceeded: 3, rateLimitExceeded: 2 } });
      expect(calls.byRoute).toEqual({ 'GET /files': 5, 'GET /about': 5 });
      expect(calls.byStatus).toEqual({ 200: 5, 403: 3, 429: 2 });
      // The official client, retries off, surfaces the quota error at once.
      s.control.setQuota(1, '403');
      const c = client(`${b.replace(/\/drive\/v3$/, '')}/`);
      await c.about.get({ fields: 'kind' });
      await expect(c.about.get({ fields: 'kind' })).rejects.toMatchObject({ status: 403 });
    });
  });

  it('a revoked or unknown token gets 401 authError, a missing one 401 Login Required; other tokens act as other people', async () => {
    await withSimulator({ generate: { seed: 9, tasks: 50 } }, async (s, b, root) => {
      const person = s.control.truth.people.find((p) => p.asanaUserGid !== null && p.email !== 'ops-bot@lumenlark.example');
      s.control.addToken('person-token', person?.email as string);
      expect((await api(b, '/about?fields=user(displayName,me)', { token: 'person-token' })).body).toEqual({ user: { displayName: person?.displayName, me: true } });
      expect((await api(b, '/files', { token: null })).body).toMatchObject({ error: { code: 401, errors: [{ reason: 'required', location: 'Authorization' }] } });
      expect((await api(b, '/files', { token: 'nope' })).body).toMatchObject({ error: { code: 401, message: 'Invalid Credentials', errors: [{ reason: 'authError' }] } });
      expect((await api(b, '/files')).status).toBe(200);
      s.control.revokeToken(SIM_DEFAULT_TOKEN);
      await expect(client(root).files.list({})).rejects.toMatchObject({ status: 401 });
      expect((await api(b, '/files', { token: 'person-token' })).status).toBe(200);
    });
  });

  it('expirePageTokens: stale change and list tokens answer 400 Invalid Value; a fresh start token works', async () => {
    await withSimulator({ generate: { seed: 10, tasks: 50 } }, async (s, b) => {
      const start = (await api(b, '/changes/startPageToken')).body.startPageToken as string;
      const page = await api(b, `/files?${ALL}&pageSize=2&fields=nextPageToken,files(id)`);
      s.control.expirePageTokens();
      for (const path of [`/changes?pageToken=${start}&${CHANGES_ALL}`, `/changes?pageToken=1`, `/files?${ALL}&pageSize=2&pageToken=${encodeURIComponent(page.body.nextPageToken as string)}`]) {
        const r = await api(b, path);
        expect(r.body, path).toEqual({ error: { code: 400, message: 'Invalid Value', errors: [{ domain: 'global', reason: 'invalid', message: 'Invalid Value', location: 'pageToken', locationType: 'parameter' }] } });
      }
      const fresh = (await api(b, '/changes/startPageToken')).body.startPageToken as string;
      expect((await api(b, `/changes?pageToken=${fresh}`)).status).toBe(200);
      // A token from the future, or not a number, is invalid too.
      expect((await api(b, `/changes?pageToken=${Number(fresh) + 5}`)).status).toBe(400);
      expect((await api(b, '/changes')).body).toMatchObject({ error: { errors: [{ reason: 'required', location: 'pageToken' }] } });
    });
  });

  it('injects faults by method and path, then recovers', async () => {
    const c = sim.control;
    c.resetCalls();
    c.injectFaults({ status: 503, times: 2, pathPrefix: '/changes' });
    expect((await api(base, '/changes/startPageToken')).body).toMatchObject({ error: { code: 503, errors: [{ reason: 'backendError' }] } });
    expect((await api(base, '/changes?pageToken=1')).status).toBe(503);
    expect((await api(base, '/changes/startPageToken')).status).toBe(200);
    c.injectFaults({ status: 403, method: 'PATCH' });
    expect((await api(base, '/files?pageSize=1')).status).toBe(200);
    const f = live().find((x) => x.driveId !== null) as DriveFileTruth;
    expect((await api(base, `/files/${f.fileId}?supportsAllDrives=true`, { method: 'PATCH', json: { starred: true } })).body).toMatchObject({ error: { code: 403, errors: [{ reason: 'userRateLimitExceeded' }] } });
    c.injectFaults({ status: 429, pathPrefix: '/upload/drive/v3' });
    expect((await api(base, `/files/${f.fileId}?supportsAllDrives=true`, { method: 'PATCH', json: {} })).status).toBe(200);
    c.injectFaults({ status: 400, reason: 'badRequest', message: 'Nope', body: { custom: true } });
    expect((await api(base, '/about?fields=kind')).body).toEqual({ custom: true });
    c.clearFaults();
    expect(c.calls()).toMatchObject({ rateLimited: 1, byStatus: { 503: 2, 403: 1, 400: 1 } });
  });

  it('is driveable over HTTP under /_sim', async () => {
    const root = base.replace(/\/drive\/v3$/, '');
    const info = (await (await fetch(`${root}/_sim/info`)).json()) as Json;
    expect(info).toMatchObject({ defaultToken: SIM_DEFAULT_TOKEN, sharedDrive: { id: driveId }, rootFolderIds: sim.control.rootFolderIds });
    const post = async (path: string, body: unknown) => (await fetch(`${root}/_sim${path}`, { method: 'POST', body: JSON.stringify(body) })).json() as Promise<Json>;
    const parentId = sim.control.rootFolderIds[1] as string;
    const created = await post('/files', { name: 'brief notes.pdf', parentId, size: 10 });
    const id = created.id as string;
    expect(sim.control.truthOf(id)?.name).toBe('brief notes.pdf');
    expect((await post(`/files/${id}/revisions`, { size: 20 })).id).toEqual(expect.any(String));
    const asset = [...sim.control.truth.files.values()].find((f) => f.linkKind === 'name' && !f.deleted && !f.unshared) as DriveFileTruth;
    const uploaded = `${asset.assetKey as string}_v42.psd`;
    const rev = (await post(`/files/${asset.fileId}/revisions`, { size: 30, originalFilename: uploaded })).id as string;
    expect(sim.control.truthOf(asset.fileId)?.revisions.at(-1)).toMatchObject({ id: rev, versionNumber: 42 });
    expect(sim.control.truthOf(asset.fileId)?.versionNumbers).toContain(42);
    expect(sim.control.dataset.files.find((f) => f.id === asset.fileId)?.revisions.at(-1)?.originalFilename).toBe(uploaded);
    await post(`/files/${id}/rename`, { name: 'brief notes v2.pdf' });
    const comment = (await post(`/files/${id}/comments`, { content: 'hi' })).id as string;
    expect((await post(`/files/${id}/comments/${comment}/replies`, { action: 'resolve' })).id).toEqual(expect.any(String));
    await post(`/files/${id}/trash`, {});
    expect(sim.control.truthOf(id)).toMatchObject({ name: 'brief notes v2.pdf', trashed: true, comments: [{ resolved: true }] });
    await post('/quota', { perMinute: 1, mode: '429' });
    await api(base, '/files?pageSize=1');
    expect((await api(base, '/files?pageSize=1')).status).toBe(429);
    await post('/quota', { perMinute: null });
    const truth = (await (await fetch(`${root}/_sim/truth/files/${id}`)).json()) as Json;
    expect(truth.fileId).toBe(id);
    const page = (await (await fetch(`${root}/_sim/truth?limit=5`)).json()) as Json;
    expect((page.files as unknown[]).length).toBe(5);
    expect(((await (await fetch(`${root}/_sim/calls`)).json()) as Json).total).toBeGreaterThan(0);
    const bad = await fetch(`${root}/_sim/files/nope/rename`, { method: 'POST', body: '{"name":"x"}' });
    expect(bad.status).toBe(404);
  });

  it('works with the official client end to end: crawl a folder tree, incremental sync, write-back', async () => {
    const c = client(rootUrl);
    const start = (await c.changes.getStartPageToken({ supportsAllDrives: true })).data.startPageToken as string;
    // Recursive crawl of the shared drive from its root, folder by folder.
    const queue = [driveId];
    const found: string[] = [];
    while (queue.length > 0) {
      const folder = queue.shift() as string;
      let pageToken: string | undefined;
      do {
        const r = await c.files.list({ q: `'${folder}' in parents and trashed = false`, corpora: 'drive', driveId, includeItemsFromAllDrives: true, supportsAllDrives: true, pageSize: 1000, pageToken, fields: 'nextPageToken,files(id,mimeType)' });
        for (const f of r.data.files ?? []) {
          if (f.mimeType === MIME.folder) queue.push(f.id as string);
          else found.push(f.id as string);
        }
        pageToken = r.data.nextPageToken ?? undefined;
      } while (pageToken);
    }
    expect(new Set(found)).toEqual(new Set(live().filter((f) => f.driveId === driveId && !f.trashed).map((f) => f.fileId)));
    const target = live().find((f) => f.driveId === driveId && f.category === 'asset' && !f.trashed) as DriveFileTruth;
    await c.files.update({ fileId: target.fileId, supportsAllDrives: true, media: { mimeType: target.mimeType, body: 'v-next' } }, { rootUrl });
    await c.comments.create({ fileId: target.fileId, fields: 'id', requestBody: { content: 'Ops status: on track' } });
    const feed = await c.changes.list({ pageToken: start, includeItemsFromAllDrives: true, supportsAllDrives: true, fields: 'newStartPageToken,changes(fileId,file(headRevisionId))' });
    expect(feed.data.changes?.map((x) => x.fileId)).toEqual([target.fileId]);
    expect(feed.data.changes?.[0]?.file?.headRevisionId).toBe(sim.control.truthOf(target.fileId)?.revisions.at(-1)?.id);
  });

  it('starts from the CLI helper with the root folders and token to print', async () => {
    const started = await startDriveSimulatorFromCli({ tasks: 60, seed: 3 });
    try {
      expect(started.rootUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const about = await api(started.baseUrl, '/about?fields=user(emailAddress)', { token: started.token });
      expect(about.body).toEqual({ user: { emailAddress: 'ops-bot@lumenlark.example' } });
      const root = await api(started.baseUrl, `/files/${started.rootFolderIds[1] ?? ''}?fields=name,mimeType`, { token: started.token });
      expect(root.body).toEqual({ name: 'Freelance hand-offs', mimeType: MIME.folder });
      expect(started.rootFolderIds[0]).toBe(started.sharedDriveId);
      // Same seed and size as the Asana simulator would use: the same attachments point here.
      const agency = generateAgency({ seed: 3, tasks: 60 });
      const ids = agency.dataset.projects.flatMap((p) => p.tasks.flatMap((t) => t.attachments.filter((a) => a.host === 'gdrive').map((a) => a.externalRef)));
      for (const id of ids) expect(started.control.truthOf(id ?? '')?.linkKind).toBe('explicit');
    } finally {
      await started.stop();
    }
  });
});

describe('Drive simulator at 10,000 files', () => {
  it('pages every file and every change of a 10,000-file drive', async () => {
    await withSimulator({ generate: { seed: 'scale', tasks: 10_800 } }, async (s, b) => {
      const truth = [...s.control.truth.files.values()];
      expect(truth.length).toBeGreaterThanOrEqual(10_000);
      const ids = new Set<string>();
      let token: string | null = null;
      let pages = 0;
      do {
        const r = await api(b, `/files?${ALL}&pageSize=1000&fields=nextPageToken,files(id,name,parents,md5Checksum,modifiedTime,lastModifyingUser(displayName,emailAddress))${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`);
        for (const f of r.body.files as Json[]) ids.add(f.id as string);
        token = (r.body.nextPageToken as string | undefined) ?? null;
        pages++;
      } while (token);
      expect(ids.size).toBe(truth.filter((f) => !f.deleted).length + s.control.truth.folders.size - 2);
      expect(pages).toBe(Math.ceil(ids.size / 1000));
      const feed = await drain(b, '1');
      expect(feed.pages).toBe(Math.ceil(feed.changes.length / 1000));
      expect(feed.changes.length).toBe(truth.length + s.control.truth.folders.size - 2);
    });
  }, 60_000);
});
