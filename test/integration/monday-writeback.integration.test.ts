// monday.com write-back (real PostgreSQL, real Temporal, the monday simulator): with rules enforced on
// the monday connection and metrics on, a full sync writes every item's Ops status and three metrics
// into its board's columns in ONE change_multiple_column_values per item (the Ops status column and the
// numbers columns made once per board), and one stamped update per opened violation; the next syncs
// pull Stageline's own writes back and write nothing; a gate broken later is reverted (status label, or
// the group) with one update, once; mutations never overlap on a board; monday's daily call cap stops
// the drain cleanly and the next sync sends what was left.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedAgency } from '../../connectors/asana/simulator';
import { readStamp } from '../../connectors/stamp';
import { COMPLIANT, OPS_STATUS } from '../../activities/enforce';
import { count, startStack, type Stack } from '../support/stack';
import { writebackRulesYaml } from '../support/agency-yaml';

const OPS = 'Ops status';
const FIELDS = { revision_round: 'Revision round', days_in_stage: 'Days in stage', cycle_time: 'Cycle time (days)' };
const ASANA = 'mw-asana';
const MONDAY = 'mw-monday';
const DAY = 86_400_000;

let stack: Stack;
let now = Date.now();
const sim = () => stack.monday!.sim.control;


/** Rules enforced on the monday connection only (previewed on Asana); metrics written back to it only. */
const rules = (agency: GeneratedAgency) => writebackRulesYaml(agency, { opsStatusField: OPS, enforce: MONDAY, noMetrics: ASANA });

/** Mutations the simulator received, by operation. */
function mutations(): Record<string, number> {
  return Object.fromEntries(Object.entries(sim().calls().byOperation).filter(([op]) => op.startsWith('mutation ')));
}
const total = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
/** A column's value as a person sees it, by title. */
const shown = (itemId: string, title: string) => sim().columnValues(itemId).find((v) => v.title === title)?.text ?? null;
const stamped = (itemId: string) => sim().updatesOf(itemId).filter((u) => readStamp(u.body) !== null);

async function syncMonday(mode: 'full' | 'incremental' = 'incremental') {
  const r = await stack.syncMonday(mode);
  expect(r.status).toBe('succeeded');
  return r;
}

/** The live monday items, with the figures the warehouse holds for them (docs/METRICS.md). */
async function items(): Promise<{ item: string; asset_id: string; revision_round: number; days_in_stage: number | null; cycle_time: string | null }[]> {
  const { rows } = await stack.db.pool.query(
    `SELECT d.external_id AS item, d.asset_id, d.revision_rounds AS revision_round,
            (SELECT greatest(0, r.as_of_on - t.entered_on) FROM warehouse.v_time_in_stage t CROSS JOIN warehouse.refresh_info r
              WHERE t.asset_id = d.asset_id AND t.is_open AND t.is_wip) AS days_in_stage,
            (SELECT round(c.cycle_time_seconds::numeric / 86400, 1)::text FROM warehouse.v_cycle_time c WHERE c.asset_id = d.asset_id) AS cycle_time
       FROM warehouse.dim_asset d WHERE d.deleted_at IS NULL AND d.connection_id = $1 ORDER BY 1`,
    [MONDAY],
  );
  return rows;
}

/** The kinds of each item's open enforced violations (every rule here comments: one update each). */
async function openViolations(): Promise<Map<string, string[]>> {
  const { rows } = await stack.db.pool.query<{ item: string; kinds: string[] }>(
    `SELECT a.external_id AS item, array_agg(v.kind) AS kinds FROM ops.violations v JOIN core.assets a ON a.id = v.asset_id
      WHERE v.connection_id = $1 AND v.state = 'open' AND v.mode = 'enforce' GROUP BY 1`,
    [MONDAY],
  );
  return new Map(rows.map((r) => [r.item, r.kinds]));
}
/** The Ops status an item should show: the label of its most serious open violation, else Compliant. */
const label = (kinds: string[]) => (Object.entries(OPS_STATUS).find(([k]) => kinds.includes(k))?.[1] ?? COMPLIANT);

beforeAll(async () => {
  stack = await startStack({ tasks: 60, projects: 2, seed: 41, connectionId: ASANA, monday: { connectionId: MONDAY }, topLevelYaml: rules, clock: () => new Date(now) });
  // Requests overlap as over a network, and monday refuses parallel mutations on one board (423).
  sim().setLatency(5);
  sim().setBoardLocking(true);
  await syncMonday('full');
}, 300_000);
afterAll(async () => stack?.close());

describe('monday.com write-back', () => {
  it('a full sync writes each item once: its Ops status and metrics in ONE change_multiple_column_values, the columns made once per board', async () => {
    const live = await items();
    const boards = stack.monday!.boardIds.length;
    expect(live.length).toBeGreaterThan(20);
    const m = mutations();
    expect({ status: m['mutation create_status_column'], numbers: m['mutation create_column'], items: m['mutation change_multiple_column_values'] }).toEqual({
      status: boards, numbers: 3 * boards, items: live.length,
    });
    // No revert rule here: only column writes and updates.
    expect(Object.keys(m).sort()).toEqual(['mutation change_multiple_column_values', 'mutation create_column', 'mutation create_status_column', 'mutation create_update']);
    expect(sim().calls().concurrentBoardMutations).toBe(0);
    const { rows } = await stack.db.pool.query<{ state: string; n: string }>(`SELECT state, count(*) AS n FROM ops.outbox WHERE connection_id = $1 GROUP BY 1`, [MONDAY]);
    expect(Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]))).toMatchObject({ done: expect.any(Number) });
    expect(rows.filter((r) => r.state !== 'done')).toEqual([]);
    // The writes count against the account's day like the reads: the stored daily count is monday's.
    const { rows: day } = await stack.db.pool.query<{ used: number }>(`SELECT (value ->> 'used')::int AS used FROM ops.state WHERE key = $1`, [`monday:daily_calls:${MONDAY}`]);
    expect(day[0]?.used).toBe(sim().dailyCalls());
    console.log(`monday first write: ${JSON.stringify(m)} for ${live.length} items on ${boards} boards; ${sim().dailyCalls()} calls today in all`);
  });

  it('a rules violation on a monday item is written back exactly once: one update per opened violation, the Ops status column set', async () => {
    const open = await openViolations();
    expect(open.size).toBeGreaterThan(3);
    const live = await items();
    for (const { item } of live) {
      const kinds = open.get(item) ?? [];
      expect({ item, updates: stamped(item).length, ops: shown(item, OPS) }).toEqual({ item, updates: kinds.length, ops: label(kinds) });
    }
    expect(new Set(live.map(({ item }) => shown(item, OPS))).size).toBeGreaterThan(1);
    expect(mutations()['mutation create_update']).toBe([...open.values()].reduce((a, b) => a + b.length, 0));
  });

  it('the metrics columns hold the warehouse\'s figures', async () => {
    const kinds = { wip: 0, delivered: 0 };
    for (const e of await items()) {
      expect({ item: e.item, round: shown(e.item, FIELDS.revision_round), days: shown(e.item, FIELDS.days_in_stage), cycle: shown(e.item, FIELDS.cycle_time) }).toEqual({
        item: e.item, round: String(e.revision_round), days: e.days_in_stage === null ? null : String(e.days_in_stage), cycle: e.cycle_time === null ? null : String(Number(e.cycle_time)),
      });
      if (e.days_in_stage !== null) kinds.wip++;
      if (e.cycle_time !== null) kinds.delivered++;
    }
    expect(kinds.wip).toBeGreaterThan(5);
    expect(kinds.delivered).toBeGreaterThan(3);
  });

  it('the next syncs pull Stageline\'s own writes back and write nothing', async () => {
    const outbox = await count(stack, `SELECT count(*) FROM ops.outbox`);
    sim().resetCalls();
    await syncMonday();
    expect(mutations()).toEqual({});
    sim().resetCalls();
    await syncMonday();
    expect(mutations()).toEqual({});
    const resync = sim().calls().total;
    expect(await count(stack, `SELECT count(*) FROM ops.outbox`)).toBe(outbox);
    // Stageline's updates are not comments, and its column writes are no stage history.
    expect(await count(stack, `SELECT count(*) FROM core.comments c JOIN core.assets a ON a.id = c.asset_id WHERE a.connection_id = $1 AND c.body LIKE '%Stageline standards%'`, [MONDAY])).toBe(0);
    expect(await count(stack, `SELECT count(*) FROM core.stage_transitions WHERE created_at > (SELECT min(created_at) FROM ops.outbox)`)).toBe(0);
    console.log(`monday resync with nothing changed: ${total(mutations())} mutations, ${resync} calls (reads)`);
  });

  it('a gate broken later is reverted on both board kinds (the stage label, or the group), with one update, once', async () => {
    stack.reconfigure((y) => y.replace(/(id: client-approval-before-delivery[\s\S]*?action: )comment/, '$1revert'));
    const statusBoard = stack.monday!.boardIds.find((b) => stack.monday!.truth.boards.get(b)!.stageSource === 'status')!;
    const groupBoard = stack.monday!.boardIds.find((b) => stack.monday!.truth.boards.get(b)!.stageSource === 'group')!;
    const pick = (board: string) =>
      [...stack.monday!.truth.items.values()].find((t) => t.boardId === board && t.kind === 'asset' && t.state === 'active' && ['In Production', 'Internal Review', 'Client Review'].includes(t.stage ?? '') && !t.decisions.some((d) => d.status === 'approved'));
    const a = pick(statusBoard)!;
    const b = pick(groupBoard)!;
    expect([a, b].every(Boolean)).toBe(true);
    const from = { a: a.stage, b: b.stage };
    const gateUpdates = (item: string) => stamped(item).filter((u) => u.text.includes('(client-approval-before-delivery)')).length;
    const before = { a: gateUpdates(a.itemId), b: gateUpdates(b.itemId) };
    sim().setStatus(a.itemId, 'Delivered');
    sim().moveItemToGroup(b.itemId, 'Delivered');
    sim().resetCalls();
    await syncMonday();
    expect(sim().truthOf(a.itemId)!.stage).toBe(from.a);
    expect(sim().truthOf(b.itemId)!.stage).toBe(from.b);
    expect(gateUpdates(a.itemId) - before.a).toBe(1);
    expect(gateUpdates(b.itemId) - before.b).toBe(1);
    expect([shown(a.itemId, OPS), shown(b.itemId, OPS)]).toEqual(['Approval missing', 'Approval missing']);
    const m = mutations();
    // The status board's revert is in the item's one column mutation; the group board's is a move.
    expect(m['mutation move_item_to_group']).toBe(1);
    expect(m['mutation change_multiple_column_values']).toBeLessThanOrEqual(2);
    expect(sim().calls().concurrentBoardMutations).toBe(0);

    // The echo and the consequences of the move (days in stage, the status once the gate is no longer passed), then nothing.
    for (let i = 0; i < 2; i++) await syncMonday();
    sim().resetCalls();
    await syncMonday();
    expect(mutations()).toEqual({});
    expect(gateUpdates(a.itemId) - before.a).toBe(1);
    expect(gateUpdates(b.itemId) - before.b).toBe(1);
    expect([sim().truthOf(a.itemId)!.stage, sim().truthOf(b.itemId)!.stage]).toEqual([from.a, from.b]);
  });

  it('monday\'s daily call cap stops the drain cleanly: the writes stay pending, the next sync sends them', async () => {
    const { item, revision_round: round } = (await items())[0]!;
    // Someone types over a figure: the next sync writes it back, but monday says the day's calls are spent.
    const column = sim().columnValues(item).find((v) => v.title === FIELDS.revision_round)!.columnId;
    sim().setColumnValues(item, { [column]: '99' });
    sim().injectFaults({ kind: 'daily', rootField: 'change_multiple_column_values', times: 1 });
    sim().resetCalls();
    const run = await syncMonday();
    // The run says so: the writes it could not send today are still waiting.
    expect(run.counts).toMatchObject({ 'writes.stopped_daily_cap': 1, 'writes.pending': expect.any(Number) });
    const pending = await count(stack, `SELECT count(*) FROM ops.outbox WHERE connection_id = $1 AND state = 'pending'`, [MONDAY]);
    expect(pending).toBeGreaterThan(0);
    expect(shown(item, FIELDS.revision_round)).toBe('99');
    expect(mutations()['mutation change_multiple_column_values'] ?? 0).toBe(1);
    expect(await count(stack, `SELECT count(*) FROM ops.outbox WHERE connection_id = $1 AND state = 'dropped'`, [MONDAY])).toBe(0);
    // The next day (the cap has reset): the next sync goes on from where the drain stopped.
    now += DAY;
    await syncMonday();
    expect(await count(stack, `SELECT count(*) FROM ops.outbox WHERE connection_id = $1 AND state = 'pending'`, [MONDAY])).toBe(0);
    expect(shown(item, FIELDS.revision_round)).toBe(String(round));
  });
});
