// Stage history is backfilled from the vendor's own record on the first sync (issue 5, item 1): a new
// customer gets months of history from day one. Checked against the generator's ground truth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableId } from '../../mapping/ids';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ tasks: 120, projects: 2, seed: 51 });
  expect((await stack.sync('full')).status).toBe('succeeded');
}, 180_000);
afterAll(async () => stack?.close());

describe('stage history backfill', () => {
  it('a first sync yields, for every task, the section moves its stories record, with their times: the same history as the ground truth', async () => {
    const { rows } = await stack.db.pool.query<{ asset_id: string; from_status: string | null; to_status: string | null; at: Date; source: string }>(
      `SELECT asset_id, from_status, to_status, at, source FROM core.stage_transitions WHERE connection_id = $1 ORDER BY asset_id, at, source DESC`,
      [stack.connectionId],
    );
    const byAsset = new Map<string, typeof rows>();
    for (const r of rows) byAsset.set(r.asset_id, [...(byAsset.get(r.asset_id) ?? []), r]);
    let moves = 0;
    let earliest = Infinity;
    for (const [gid, t] of stack.agency.truth.tasks) {
      if (t.deleted) continue;
      const got = (byAsset.get(stableId(stack.connectionId, 'asana_task', gid)) ?? []).map((r) => ({ from: r.from_status, to: r.to_status, at: r.at.toISOString() }));
      const want = t.transitions.map((x) => ({ from: x.from, to: x.to, at: new Date(x.at).toISOString() }));
      expect({ task: gid, history: got }).toEqual({ task: gid, history: want });
      moves += want.length;
      for (const w of want) earliest = Math.min(earliest, Date.parse(w.at));
    }
    expect(moves).toBeGreaterThan(300);
    // About three months of history, not just "since Stageline was installed".
    expect(Date.parse(stack.agency.dataset.now) - earliest).toBeGreaterThan(80 * 86_400_000);
    expect(rows.every((r) => r.source !== 'observed')).toBe(true);
  });
});
