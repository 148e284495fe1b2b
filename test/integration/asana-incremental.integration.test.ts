// Incremental syncs through Asana's Events API pick up exactly what changed, with the fewest calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personId, stableId } from '../../mapping/ids';
import { count, fingerprint, startStack, type Stack } from '../support/stack';

let stack: Stack;
const assetId = (gid: string) => stableId(stack.connectionId, 'asana_task', gid);

beforeAll(async () => {
  stack = await startStack({ tasks: 120, projects: 3, seed: 21 });
  await stack.sync('full');
});
afterAll(async () => stack?.close());

function pick(projectIndex: number, n: number): string[] {
  const project = stack.agency.dataset.projects[projectIndex]!;
  return project.tasks.filter((t) => t.subtype !== 'milestone').slice(0, n).map((t) => t.gid);
}

describe('incremental Asana sync', () => {
  it('with nothing changed makes one call per project and writes nothing', async () => {
    stack.sim.control.resetCalls();
    const before = await fingerprint(stack);
    const r = await stack.sync('incremental');
    const calls = stack.sim.control.calls();
    expect(calls.total).toBe(stack.agency.dataset.projects.length);
    expect(Object.keys(calls.byRoute)).toEqual(['GET /events']);
    expect(r.status).toBe('succeeded');
    expect(await fingerprint(stack)).toEqual(before);
  });

  it('after a rename, a section move, a new comment, a new attachment and a deleted task picks up exactly those', async () => {
    const [renamed, moved, commented, attached, deleted] = pick(1, 5) as [string, string, string, string, string];
    const c = stack.sim.control;
    c.renameTask(renamed, 'Renamed: spring hero banner 970x250');
    const target = stack.agency.truth.tasks.get(moved)!.section === 'On Hold' ? 'Cancelled' : 'On Hold';
    c.moveTaskToSection(moved, target);
    c.addComment(commented, 'Client asked for a warmer palette.');
    c.addAttachment(attached, 'HERO_BANNER-970x250_v09.psd');
    c.deleteTask(deleted);
    const before = await stack.db.pool.query('SELECT count(*)::int AS n FROM core.stage_transitions WHERE asset_id = $1', [assetId(moved)]);
    c.resetCalls();

    const r = await stack.sync('incremental');
    expect(r.status).toBe('succeeded');

    const row = async (gid: string) => (await stack.db.pool.query('SELECT name, stage, source_status, deleted_at FROM core.assets WHERE id = $1', [assetId(gid)])).rows[0];
    expect((await row(renamed)).name).toBe('Renamed: spring hero banner 970x250');
    expect(await row(moved)).toMatchObject({ source_status: target, stage: target === 'On Hold' ? 'on_hold' : 'cancelled' });
    const moves = await stack.db.pool.query(`SELECT to_status, source FROM core.stage_transitions WHERE asset_id = $1 ORDER BY at DESC LIMIT 1`, [assetId(moved)]);
    expect(moves.rows[0]).toEqual({ to_status: target, source: 'vendor_history' });
    expect(await count(stack, 'SELECT count(*) FROM core.stage_transitions WHERE asset_id = $1', [assetId(moved)])).toBe(before.rows[0].n + 1);
    expect(await count(stack, "SELECT count(*) FROM core.comments WHERE asset_id = $1 AND body = 'Client asked for a warmer palette.'", [assetId(commented)])).toBe(1);
    expect(await count(stack, "SELECT count(*) FROM core.versions WHERE asset_id = $1 AND name = 'HERO_BANNER-970x250_v09.psd' AND deleted_at IS NULL", [assetId(attached)])).toBe(1);
    expect((await row(deleted)).deleted_at).not.toBeNull();

    // Exactly those assets changed; nothing else was rewritten.
    expect(r.counts['assets.updated'] ?? 0).toBe(4);
    expect(r.counts['tombstoned']).toBe(1);

    // The uploader comes from the events feed, matched by email to a person already known.
    const upload = c.truthOf(attached)!.versions.at(-1)!;
    const v = await stack.db.pool.query("SELECT created_by FROM core.versions WHERE asset_id = $1 AND name = 'HERO_BANNER-970x250_v09.psd'", [assetId(attached)]);
    expect(v.rows[0].created_by).toBe(personId(upload.uploaderEmail, '', ''));

    // The fewest calls: one events call per project, one modified_since listing for the project that
    // changed, stories for the two tasks whose stories matter (the move and the comment), one attachment
    // listing for the upload. The rename needs no stories; the deletion needs nothing.
    const calls = c.calls().byRoute;
    expect(calls).toEqual({
      'GET /events': stack.agency.dataset.projects.length,
      'GET /tasks': 1,
      'GET /tasks/{gid}/stories': 2,
      'GET /attachments': 1,
    });
  });

  it('after an approval decision on a subtask re-reads only that task\'s subtasks', async () => {
    const truth = [...stack.agency.truth.tasks.values()].find((t) => !t.deleted && t.decisions.length > 0 && stack.agency.dataset.projects[2]!.gid === t.projectGid)!;
    const parent = stack.agency.dataset.projects[2]!.tasks.find((t) => t.gid === truth.taskGid)!;
    const sub = parent.subtasks.find((s) => s.subtype === 'approval')!;
    stack.sim.control.setApprovalStatus(sub.gid, 'rejected');
    stack.sim.control.resetCalls();
    const before = await count(stack, "SELECT count(*) FROM core.decisions WHERE asset_id = $1 AND decision = 'rejected'", [assetId(parent.gid)]);
    await stack.sync('incremental');
    expect(await count(stack, "SELECT count(*) FROM core.decisions WHERE asset_id = $1 AND decision = 'rejected'", [assetId(parent.gid)])).toBe(before + 1);
    const calls = stack.sim.control.calls().byRoute;
    expect(calls['GET /tasks/{gid}/subtasks']).toBe(1);
    expect(calls['GET /tasks/{gid}/stories']).toBe(parent.subtasks.filter((s) => s.subtype === 'approval').length);
  });

  it('after an expired sync token re-crawls the project and writes no duplicate', async () => {
    const before = await fingerprint(stack);
    stack.sim.control.expireSyncTokens();
    stack.sim.control.resetCalls();
    const r = await stack.sync('incremental');
    expect(r.status).toBe('succeeded');
    expect(r.counts['events.expired']).toBe(stack.agency.dataset.projects.length);
    // Every task was listed again…
    expect(stack.sim.control.calls().byRoute['GET /tasks']).toBeGreaterThanOrEqual(stack.agency.dataset.projects.length);
    // …and nothing was duplicated or changed.
    expect(await fingerprint(stack)).toEqual(before);
    expect(Object.entries(r.counts).filter(([k, v]) => /\.inserted$/.test(k) && k !== 'transitions.inserted' && v > 0)).toEqual([]);
  });
});
