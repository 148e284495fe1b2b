// Asana and Google Drive together (real PostgreSQL, real Temporal, both simulators seeded with the same
// agency): files join the assets their tasks track, by explicit link or by name; the rest are listed
// as orphans or misnamed; versions from attachments and revisions are numbered as one list; Drive
// comments land on their assets; the change feed keeps it current with the fewest calls.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableId } from '../../mapping/ids';
import { filesNeedingAttention } from '../../activities/db/queries';
import type { DriveFileTruth } from '../../connectors/drive/simulator';
import { count, fingerprint, startStack, type Stack } from '../support/stack';

let stack: Stack;
const drive = () => stack.drive!;
const assetOf = (taskGid: string) => stableId(stack.connectionId, 'asana_task', taskGid);
const revisionVersionId = (fileId: string, revId: string) => stableId(drive().connectionId, 'drive_revision', `${fileId}/${revId}`);
const liveFiles = (): DriveFileTruth[] => [...drive().truth.files.values()].filter((f) => !f.trashed && !f.deleted && !f.unshared);

beforeAll(async () => {
  stack = await startStack({ tasks: 160, projects: 3, seed: 11, drive: {} });
  const a = await stack.sync('full');
  const d = await stack.syncDrive('full');
  expect([a.status, d.status]).toEqual(['succeeded', 'succeeded']);
}, 240_000);
afterAll(async () => stack?.close());

async function linkStates(): Promise<Map<string, { state: string; asset_id: string | null; suggestion: string | null; detail: Record<string, unknown> }>> {
  const { rows } = await stack.db.pool.query(`SELECT external_id, state, asset_id, suggestion, detail FROM ops.file_links WHERE connection_id = $1`, [drive().connectionId]);
  return new Map(rows.map((r) => [r.external_id, r]));
}

describe('a joint Asana + Drive sync', () => {
  it('links exactly the seeded file↔task pairs and lists exactly the seeded orphans and misnamed files', async () => {
    const states = await linkStates();
    const files = liveFiles();
    expect(states.size).toBe(files.length);
    const linked = files.filter((f) => f.linkKind === 'explicit' || f.linkKind === 'name');
    expect(linked.length).toBeGreaterThan(50);
    for (const f of linked) expect({ file: f.name, ...states.get(f.fileId) }).toMatchObject({ file: f.name, state: 'linked', asset_id: assetOf(f.taskGid!) });
    const orphans = files.filter((f) => f.linkKind === 'orphan').map((f) => f.fileId).sort();
    expect([...states].filter(([, s]) => s.state === 'orphan').map(([id]) => id).sort()).toEqual(orphans);
    const misnamed = files.filter((f) => f.linkKind === 'misnamed');
    expect(misnamed.length).toBeGreaterThan(0);
    for (const f of misnamed) {
      const s = states.get(f.fileId)!;
      expect(s.state).toBe('misnamed');
      // Not linked, but pointed at the asset it belongs to.
      expect((s.detail.assetIds as string[]) ?? []).toContain(assetOf(f.taskGid!));
    }
    expect(await count(stack, `SELECT count(*) FROM ops.file_links WHERE state = 'conflict'`)).toBe(0);
    // The links themselves: one live drive_file link per linked file, on the task's asset.
    expect(await count(stack, `SELECT count(*) FROM core.asset_links WHERE kind = 'drive_file' AND deleted_at IS NULL`)).toBe(linked.length);
  });

  it('numbers versions from attachments and revisions as one list per asset, as the agency made them', async () => {
    const { rows } = await stack.db.pool.query<{ id: string; number: number; asset_id: string }>(`SELECT id, number, asset_id FROM core.versions WHERE deleted_at IS NULL`);
    const byId = new Map(rows.map((r) => [r.id, r]));
    let checked = 0;
    for (const [gid, t] of stack.agency.truth.tasks) {
      for (const v of t.versions) {
        const row = byId.get(stableId(stack.connectionId, 'asana_attachment', v.attachmentGid));
        if (!row) continue; // a task Stageline does not sync (none expected), caught by the count below
        expect({ task: gid, attachment: v.attachmentGid, number: row.number }).toEqual({ task: gid, attachment: v.attachmentGid, number: v.number });
        checked++;
      }
    }
    expect(checked).toBe([...stack.agency.truth.tasks.values()].reduce((n, t) => n + t.versions.length, 0));
    let revisions = 0;
    for (const f of liveFiles().filter((x) => x.linkKind === 'explicit' || x.linkKind === 'name')) {
      for (const r of f.revisions) {
        const row = byId.get(revisionVersionId(f.fileId, r.id));
        expect(row, `revision ${r.id} of ${f.name}`).toBeDefined();
        expect(row!.asset_id).toBe(assetOf(f.taskGid!));
        if (r.versionNumber !== null) expect({ file: f.name, rev: r.id, number: row!.number }).toEqual({ file: f.name, rev: r.id, number: r.versionNumber });
        revisions++;
      }
    }
    expect(revisions).toBeGreaterThan(50);
    // Orphans' and misnamed files' revisions are not versions of any asset.
    const unlinked = liveFiles().filter((f) => f.linkKind === 'orphan' || f.linkKind === 'misnamed');
    const stray = unlinked.flatMap((f) => f.revisions.map((r) => revisionVersionId(f.fileId, r.id)));
    expect(stray.filter((id) => byId.has(id))).toEqual([]);
  });

  it('puts Drive comments and replies on their assets, resolve and reopen kept, authors matched by display name only when right', async () => {
    const { rows } = await stack.db.pool.query<{ external_id: string; asset_id: string; action: string | null; email: string | null; deleted_at: string | null }>(
      `SELECT c.external_id, c.asset_id, c.action, p.email, c.deleted_at FROM core.comments c LEFT JOIN core.persons p ON p.id = c.author_id WHERE c.connection_id = $1`,
      [drive().connectionId],
    );
    const byExt = new Map(rows.map((r) => [r.external_id, r]));
    let comments = 0;
    let actions = 0;
    let matched = 0;
    for (const f of liveFiles().filter((x) => x.linkKind === 'explicit' || x.linkKind === 'name')) {
      for (const c of f.comments) {
        const entries = [{ ext: `${f.fileId}/${c.id}`, t: c, action: null as string | null }, ...c.replies.map((r) => ({ ext: `${f.fileId}/${c.id}/${r.id}`, t: r, action: r.action ?? null }))];
        for (const e of entries) {
          const row = byExt.get(e.ext);
          expect(row, e.ext).toBeDefined();
          expect(row!.asset_id).toBe(assetOf(f.taskGid!));
          expect(row!.deleted_at !== null).toBe(e.t.deleted);
          expect(row!.action).toBe(e.action);
          if (e.action) actions++;
          // Never a wrong person: a matched author is the one who wrote it; everyone the truth can match is matched.
          if (row!.email !== null) {
            expect(row!.email).toBe(e.t.authorEmail);
            matched++;
          }
          if (e.t.matchesEmail !== null && !e.t.deleted) expect(row!.email).toBe(e.t.matchesEmail);
          comments++;
        }
      }
    }
    expect(comments).toBeGreaterThan(20);
    expect(actions).toBeGreaterThan(0);
    expect(matched).toBeGreaterThan(0);
    const { rows: run } = await stack.db.pool.query(`SELECT counts FROM ops.sync_runs WHERE connection_id = $1 ORDER BY started_at DESC LIMIT 1`, [drive().connectionId]);
    expect(Number(run[0].counts['linking.unmatchedComments'])).toBeGreaterThan(0);
  });

  it('with nothing changed, an incremental Drive sync makes one call and writes nothing', async () => {
    const before = await fingerprint(stack);
    drive().sim.control.resetCalls();
    const r = await stack.syncDrive('incremental');
    expect(r.status).toBe('succeeded');
    expect(drive().sim.control.calls().byRoute).toEqual({ 'GET /changes': 1 });
    expect(await fingerprint(stack)).toEqual(before);
  });
});

describe('incremental Drive sync', () => {
  const linkedNamed = () => liveFiles().filter((f) => f.linkKind === 'name' && f.category === 'asset' && f.revisions.length > 0);

  it('turns a newly uploaded revision into the asset\'s next version', async () => {
    const f = linkedNamed()[0]!;
    const task = stack.agency.truth.tasks.get(f.taskGid!)!;
    const top = Math.max(...task.versions.map((v) => v.number), ...[...drive().truth.files.values()].filter((x) => x.taskGid === f.taskGid).flatMap((x) => x.versionNumbers));
    const next = top + 1;
    const ext = f.name.slice(f.name.lastIndexOf('.'));
    const uploaded = `${f.assetKey}_v${String(next).padStart(2, '0')}${ext}`;
    drive().sim.control.resetCalls();
    const revId = drive().sim.control.addRevision(f.fileId, { size: 3_210_000, originalFilename: uploaded });
    const r = await stack.syncDrive('incremental');
    expect(r.status).toBe('succeeded');
    const calls = drive().sim.control.calls().byRoute;
    expect(calls).toEqual({ 'GET /changes': 1, 'GET /files/{fileId}/revisions': 1, 'GET /files/{fileId}/comments': 1 });
    const { rows } = await stack.db.pool.query(`SELECT number, asset_id, size_bytes FROM core.versions WHERE id = $1`, [revisionVersionId(f.fileId, revId)]);
    expect(rows[0]).toEqual({ number: next, asset_id: assetOf(f.taskGid!), size_bytes: '3210000' });
    expect(drive().truth.files.get(f.fileId)!.revisions.at(-1)!.versionNumber).toBe(next);
    // The asset's list is still 1…n without gaps.
    const nums = await stack.db.pool.query<{ n: number }>(`SELECT DISTINCT number AS n FROM core.versions WHERE asset_id = $1 AND deleted_at IS NULL ORDER BY 1`, [assetOf(f.taskGid!)]);
    expect(nums.rows.map((x) => x.n)).toEqual(Array.from({ length: next }, (_, i) => i + 1));
  });

  it('turns a trashed file into a tombstone while its asset keeps the history', async () => {
    const f = linkedNamed()[1]!;
    const asset = assetOf(f.taskGid!);
    const before = await stack.db.pool.query(`SELECT id, number FROM core.versions WHERE asset_id = $1 ORDER BY id`, [asset]);
    drive().sim.control.trashFile(f.fileId);
    const r = await stack.syncDrive('incremental');
    expect(r.status).toBe('succeeded');
    const file = await stack.db.pool.query(`SELECT deleted_at, trashed_at FROM core.files WHERE connection_id = $1 AND external_id = $2`, [drive().connectionId, f.fileId]);
    expect(file.rows[0].deleted_at).not.toBeNull();
    // Every version row is still there with the same number; the trashed file's revisions are marked deleted.
    const after = await stack.db.pool.query(`SELECT id, number, deleted_at FROM core.versions WHERE asset_id = $1 ORDER BY id`, [asset]);
    expect(after.rows.map((x) => ({ id: x.id, number: x.number }))).toEqual(before.rows);
    const revIds = new Set(f.revisions.map((x) => revisionVersionId(f.fileId, x.id)));
    for (const row of after.rows) expect(row.deleted_at !== null).toBe(revIds.has(row.id));
    expect(await count(stack, `SELECT count(*) FROM core.asset_links WHERE kind = 'drive_file' AND external_id = $1 AND asset_id = $2`, [f.fileId, asset])).toBe(1);
    expect(await count(stack, `SELECT count(*) FROM ops.file_links WHERE external_id = $1`, [f.fileId])).toBe(0);
  });

  it('reports a renamed file that now breaks the naming pattern, and keeps it on its asset', async () => {
    const f = linkedNamed()[2]!;
    const asset = assetOf(f.taskGid!);
    const versionsBefore = await count(stack, `SELECT count(*) FROM core.versions WHERE asset_id = $1 AND deleted_at IS NULL`, [asset]);
    drive().sim.control.renameFile(f.fileId, 'banner FINAL final.psd');
    const r = await stack.syncDrive('incremental');
    expect(r.status).toBe('succeeded');
    const s = (await linkStates()).get(f.fileId)!;
    expect(s).toMatchObject({ state: 'misnamed', asset_id: asset });
    expect(s.detail.keptLink).toBe(true);
    expect(await count(stack, `SELECT count(*) FROM core.asset_links WHERE kind = 'drive_file' AND external_id = $1 AND asset_id = $2 AND deleted_at IS NULL`, [f.fileId, asset])).toBe(1);
    expect(await count(stack, `SELECT count(*) FROM core.versions WHERE asset_id = $1 AND deleted_at IS NULL`, [asset])).toBe(versionsBefore);
    const attention = await filesNeedingAttention(stack.db.pool, drive().connectionId, 1000);
    expect(attention.find((a) => a.fileId === f.fileId)).toMatchObject({ state: 'misnamed', name: 'banner FINAL final.psd' });
  });

  it('ignores changes outside the configured folders', async () => {
    const c = drive().sim.control;
    // A file in My Drive's root, outside the hand-off folder and the shared drive.
    const myDriveRoot = drive().truth.myDriveRootId;
    const outside = c.createFile({ name: 'ACME_HOLIDAY_PERSONAL-300x250_v01.psd', parentId: myDriveRoot });
    const r = await stack.syncDrive('incremental');
    expect(r.status).toBe('succeeded');
    expect(await count(stack, `SELECT count(*) FROM core.files WHERE external_id = $1`, [outside])).toBe(0);
    expect(r.counts['changes.ignored']).toBeGreaterThanOrEqual(1);
  });

  it('after a rejected change token, takes a fresh one and re-crawls with no duplicates', async () => {
    const before = await fingerprint(stack);
    drive().sim.control.expirePageTokens();
    const r = await stack.syncDrive('incremental');
    expect(r.status).toBe('succeeded');
    expect(r.counts['changes.token_rejected']).toBe(1);
    expect(await fingerprint(stack)).toEqual(before);
  });
});

describe('bad input', () => {
  it('a folder that does not exist or is not shared fails the sync with an error naming the connection and the path', async () => {
    const cfg = stack.config;
    const idx = cfg.connections.findIndex((c) => c.id === drive().connectionId);
    const original = cfg.connections[idx]!;
    stack.config = { ...cfg, connections: cfg.connections.map((c, i) => (i === idx ? { ...c, folders: ['1NoSuchFolderXXXXXXXXXXXX'] } : c)) } as typeof cfg;
    try {
      const err = await stack.syncDrive('full').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(String((err as WorkflowFailedError).cause?.message)).toMatch(
        new RegExp(`connections\\.${idx}\\.folders\\.0: folder 1NoSuchFolderXXXXXXXXXXXX does not exist or is not shared with the account of connection "${drive().connectionId}"`),
      );
    } finally {
      stack.config = { ...stack.config, connections: stack.config.connections.map((c, i) => (i === idx ? original : c)) } as typeof cfg;
    }
    const { rows } = await stack.db.pool.query(`SELECT state, state_message FROM ops.connections WHERE id = $1`, [drive().connectionId]);
    expect(rows[0].state).toBe('error');
  });
});
