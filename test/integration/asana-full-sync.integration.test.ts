// A full sync of a seeded agency workspace, through a real Temporal server into a real PostgreSQL,
// lands exactly what the generator seeded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personId, stableId } from '../../mapping/ids';
import { startStack, count, type Stack } from '../support/stack';
import type { SyncTotals } from '../../activities';

let stack: Stack;
let totals: SyncTotals;

beforeAll(async () => {
  stack = await startStack({ tasks: 120, projects: 3, seed: 11 });
  totals = await stack.sync('full');
});
afterAll(async () => stack?.close());

const truthTasks = () => [...stack.agency.truth.tasks.values()].filter((t) => !t.deleted);

describe('full Asana sync', () => {
  it('lands every seeded task as an asset in its canonical stage', async () => {
    const { rows } = await stack.db.pool.query('SELECT external_id, stage, source_status FROM core.assets WHERE connection_id = $1 AND deleted_at IS NULL', [stack.connectionId]);
    const got = new Map(rows.map((r) => [r.external_id, r]));
    const truth = truthTasks();
    expect(got.size).toBe(truth.length);
    for (const t of truth) {
      expect(got.get(t.taskGid)?.source_status).toBe(t.section);
      expect(got.get(t.taskGid)?.stage).toBe(stack.agency.truth.defaultStageMap[t.section as keyof typeof stack.agency.truth.defaultStageMap]);
    }
    expect(totals.status).toBe('succeeded');
    expect(await count(stack, 'SELECT count(*) FROM core.projects WHERE connection_id = $1', [stack.connectionId])).toBe(stack.agency.dataset.projects.length);
  });

  it('reconstructs each asset\'s stage history from the section_changed stories, with their timestamps', async () => {
    const { rows } = await stack.db.pool.query(
      `SELECT a.external_id, t.from_status, t.to_status, t.at FROM core.stage_transitions t JOIN core.assets a ON a.id = t.asset_id
        WHERE t.connection_id = $1 ORDER BY a.external_id, t.at, t.source DESC`, [stack.connectionId]);
    const got = new Map<string, { from: string | null; to: string; at: string }[]>();
    for (const r of rows) got.set(r.external_id, [...(got.get(r.external_id) ?? []), { from: r.from_status, to: r.to_status, at: r.at.toISOString() }]);
    for (const t of truthTasks()) {
      expect(got.get(t.taskGid), `task ${t.taskGid}`).toEqual(t.transitions.map((x) => ({ from: x.from, to: x.to, at: x.at })));
    }
  });

  it('lands every version with its number and uploader, every comment with its author, every decision with reviewer and version', async () => {
    for (const t of truthTasks().slice(0, 60)) {
      const assetId = stableId(stack.connectionId, 'asana_task', t.taskGid);
      const { rows: v } = await stack.db.pool.query('SELECT number, name, created_by FROM core.versions WHERE asset_id = $1 AND deleted_at IS NULL ORDER BY number', [assetId]);
      expect(v.map((r) => [r.number, r.name, r.created_by])).toEqual(t.versions.map((x) => [x.number, x.name, personId(x.uploaderEmail, '', '')]));
      const { rows: c } = await stack.db.pool.query('SELECT external_id, author_id FROM core.comments WHERE asset_id = $1 AND deleted_at IS NULL ORDER BY external_id', [assetId]);
      expect(c.map((r) => [r.external_id, r.author_id])).toEqual([...t.comments].sort((a, b) => a.storyGid.localeCompare(b.storyGid)).map((x) => [x.storyGid, personId(x.authorEmail, '', '')]));
      const { rows: d } = await stack.db.pool.query(
        `SELECT d.decision, d.reviewer_id, d.decided_at, v.number FROM core.decisions d LEFT JOIN core.versions v ON v.id = d.version_id
          WHERE d.asset_id = $1 AND d.deleted_at IS NULL ORDER BY d.decided_at`, [assetId]);
      expect(d.map((r) => [r.decision, r.reviewer_id, r.decided_at.toISOString(), r.number])).toEqual(
        [...t.decisions].sort((a, b) => a.at.localeCompare(b.at)).map((x) => [x.status, personId(x.reviewerEmail, '', ''), x.at, x.versionNumber]),
      );
    }
    const sum = (k: 'versions' | 'comments' | 'decisions') => truthTasks().reduce((n, t) => n + t[k].length, 0);
    expect(await count(stack, 'SELECT count(*) FROM core.versions WHERE connection_id = $1', [stack.connectionId])).toBe(sum('versions'));
    expect(await count(stack, 'SELECT count(*) FROM core.comments WHERE connection_id = $1', [stack.connectionId])).toBe(sum('comments'));
    expect(await count(stack, 'SELECT count(*) FROM core.decisions WHERE connection_id = $1', [stack.connectionId])).toBe(sum('decisions'));
  });

  it('keeps the raw vendor payload beside each normalized row, and rejects nothing from a clean workspace', async () => {
    expect(await count(stack, "SELECT count(*) FROM core.assets WHERE connection_id = $1 AND (raw->>'gid') = external_id", [stack.connectionId])).toBe(truthTasks().length);
    expect(await count(stack, 'SELECT count(*) FROM ops.rejected_records WHERE connection_id = $1', [stack.connectionId])).toBe(0);
  });

  it('makes the fewest calls: one stories listing per task, attachments only where a story shows a file', async () => {
    const calls = stack.sim.control.calls().byRoute;
    const tasks = truthTasks();
    const projects = stack.agency.dataset.projects.length;
    const withFiles = tasks.filter((t) => t.versions.length > 0).length;
    expect(calls['GET /tasks/{task_gid}/stories'] ?? calls['GET /tasks/{gid}/stories']).toBeGreaterThanOrEqual(tasks.length);
    const attachmentCalls = Object.entries(calls).filter(([k]) => k.startsWith('GET /attachments')).reduce((n, [, v]) => n + v, 0);
    expect(attachmentCalls).toBe(withFiles);
    const taskPages = Object.entries(calls).filter(([k]) => k === 'GET /tasks').reduce((n, [, v]) => n + v, 0);
    expect(taskPages).toBe(stack.agency.dataset.projects.reduce((n, p) => n + Math.max(1, Math.ceil(p.tasks.length / 100)), 0));
    expect(totals.apiCalls).toBeDefined();
    expect(Object.values(totals.apiCalls).reduce((a, b) => a + b, 0)).toBe(stack.sim.control.calls().total);
    expect(projects).toBeGreaterThan(1);
  });

  it('a second full sync writes nothing new: every row is unchanged by its content hash', async () => {
    const again = await stack.sync('full');
    const written = Object.entries(again.counts).filter(([k, v]) => /\.(inserted|updated)$/.test(k) && v > 0);
    expect(written).toEqual([]);
    expect(again.counts['assets.unchanged']).toBe(truthTasks().length);
  });
});
