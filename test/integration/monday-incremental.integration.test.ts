// monday.com incremental syncs by the calls they make (real PostgreSQL, real Temporal, the monday
// simulator's call log): with nothing changed, the plan's one `boards` call, which also reads every
// board's updates posted since the earliest window opened, is the whole sync; a comment posted since the
// last sync is found in that call; a board with more new updates than one page still has them all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableId } from '../../mapping/ids';
import type { SyncTotals } from '../../activities';
import type { ItemTruth } from '../../connectors/monday/simulator';
import { count, fingerprint, startStack, type Stack } from '../support/stack';

let stack: Stack;
const m = () => stack.monday!;
const ctl = () => m().sim.control;
const assetOf = (itemId: string) => stableId(m().connectionId, 'monday_item', itemId);
const totalCalls = (t: SyncTotals) => Object.values(t.apiCalls).reduce((a, b) => a + b, 0);
const live = (board: string): ItemTruth[] => [...m().truth.items.values()].filter((t) => t.state === 'active' && t.kind === 'asset' && t.boardId === board);

/** Whether Stageline holds the comment (a monday update) on the item's asset. */
const stored = async (itemId: string, updateId: string): Promise<boolean> =>
  (await count(stack, `SELECT count(*) FROM core.comments WHERE connection_id = $1 AND external_id = $2 AND asset_id = $3 AND deleted_at IS NULL`, [m().connectionId, updateId, assetOf(itemId)])) === 1;

beforeAll(async () => {
  // Six boards; a budget of 50M points a minute so that no sync waits for the minute the crawl spent.
  stack = await startStack({ tasks: 180, projects: 6, seed: 23, monday: { limits: { complexityPerMinute: 50_000_000 }, yaml: '    complexity_per_minute: 50000000\n' } });
  const full = await stack.syncMonday('full');
  expect(full.status).toBe('succeeded');
}, 240_000);
afterAll(async () => stack?.close());

describe('incremental monday.com sync, by its calls', () => {
  it('with nothing changed, makes one call for the whole connection (the plan\'s boards query) and writes nothing', async () => {
    const n = m().boardIds.length;
    expect(n).toBe(6);
    const before = await fingerprint(stack);
    ctl().resetCalls();
    const r = await stack.syncMonday('incremental');
    expect(r.status).toBe('succeeded');
    // Boards and subitems boards with each board's updates since the window opened, in one query.
    expect(ctl().calls().byOperationName).toEqual({ StagelineBoardsWithUpdates: 1 });
    expect(ctl().calls().total).toBe(1);
    expect(totalCalls(r)).toBe(1);
    expect(r.counts['monday.boards_unchanged']).toBe(n);
    expect(r.counts['monday.updates_from_plan']).toBe(n);
    expect(await fingerprint(stack)).toEqual(before);
    // The plan query is priced far under one query's 5M cap (boards × 100 updates × 3 fields).
    const points = r.counts['complexity.points']!;
    expect(points).toBe(ctl().calls().complexityCharged);
    expect(points).toBeLessThan(50_000);
    console.info(`monday incremental, nothing changed: ${totalCalls(r)} call for ${n} boards; plan query ${points} complexity points`);
  });

  it('picks up an update posted since the last sync from the plan\'s page, with no call for the board\'s updates', async () => {
    const board = m().boardIds[0]!;
    const item = live(board)[0]!;
    const update = ctl().addUpdate(item.itemId, 'Can we get the logo 10% larger on this one?');
    const reply = ctl().addReply(update, 'On it.');
    ctl().resetCalls();
    const r = await stack.syncMonday('incremental');
    expect(r.status).toBe('succeeded');
    expect(await stored(item.itemId, update)).toBe(true);
    expect(await stored(item.itemId, reply)).toBe(true);
    const ops = ctl().calls().byOperationName;
    expect(ops.StagelineBoardsWithUpdates).toBe(1);
    expect(ops.StagelineBoardUpdates).toBeUndefined();
    expect(ops.StagelineItemsByIds).toBe(1);
    expect(r.counts.tasks).toBe(1);
    expect(r.counts['monday.updates_from_plan']).toBe(m().boardIds.length);
    console.info(`monday incremental, one new update: ${totalCalls(r)} calls (${JSON.stringify(ops)})`);
  });

  it('a board with more new updates than the plan\'s page (100) pages its updates, and the oldest one is not missed', async () => {
    const board = m().boardIds[1]!;
    const [first, ...others] = live(board);
    const rest = others.slice(0, 4);
    expect(rest).toHaveLength(4);
    // The oldest of 101: the plan's page (newest first) holds the other 100, not this one.
    const oldest = ctl().addUpdate(first!.itemId, 'First round of feedback: the headline wraps badly.');
    const newer: [string, string][] = [];
    for (let i = 0; i < 100; i++) {
      const t = rest[i % rest.length]!;
      newer.push([t.itemId, ctl().addUpdate(t.itemId, `Note ${i + 1} on the copy deck.`)]);
    }
    ctl().resetCalls();
    const r = await stack.syncMonday('incremental');
    expect(r.status).toBe('succeeded');
    expect(await stored(first!.itemId, oldest)).toBe(true);
    for (const [itemId, u] of newer) expect(await stored(itemId, u)).toBe(true);
    const ops = ctl().calls().byOperationName;
    // That board alone: a full page and the one after it; every other board from the plan's page.
    expect(ops.StagelineBoardUpdates).toBe(2);
    expect(r.counts['monday.updates_from_plan']).toBe(m().boardIds.length - 1);
    console.info(`monday incremental, 101 new updates on one board: ${totalCalls(r)} calls (${JSON.stringify(ops)})`);
  });
});
