// The monday.com sender of the outbox (MondayItemSender) against the monday simulator in-process: an
// item's Ops status, metrics and stage revert go out as ONE change_multiple_column_values with only the
// columns that differ; the Ops status column and the metrics columns are found by title or created once
// per board; a group board's revert is a move to the stage's group; a comment is one stamped update;
// what the item already holds is not sent; a row that cannot be written is dropped alone, with the
// reason; mutations on one board never overlap; the daily call cap stops before anything is sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../connectors/limiter';
import { MondayClient } from '../connectors/monday/client';
import { DailyCallCap, DailyCapReached } from '../connectors/monday/limits';
import type { MondayStageConfig } from '../connectors/monday/normalize';
import { MondayBoardRaw, type MondayColumnRaw } from '../connectors/monday/raw';
import { SIM_DEFAULT_TOKEN, createMondaySimulator, type MondaySimulator } from '../connectors/monday/simulator';
import { MondayWriter, columnWriteForm } from '../connectors/monday/writeback';
import { readStamp, stampText } from '../connectors/stamp';
import { ConnectorError } from '../connectors/types';
import { OPS_STATUS_OPTIONS } from './enforce';
import type { Metric, ToolValues } from './metrics';
import { MondayItemSender, type MondayItemState, type OutboxRow } from './outbox';

const OPS = 'Ops status';
const FIELDS: Record<Metric, string> = { revision_round: 'Revision round', days_in_stage: 'Days in stage', cycle_time: 'Cycle time (days)' };

let sim: MondaySimulator;
let endpoint: string;
let writer: MondayWriter;
let sender: MondayItemSender;
let statusBoard: string;
let groupBoard: string;
let stage: MondayStageConfig;

const calls = (op: string) => sim.control.calls().byOperation[`mutation ${op}`] ?? 0;
const mutations = () => Object.fromEntries(Object.entries(sim.control.calls().byOperation).filter(([k]) => k.startsWith('mutation ')));
const itemsOf = (boardId: string) => [...sim.control.truth.items.values()].filter((t) => t.boardId === boardId && t.state === 'active' && t.kind === 'asset').map((t) => t.itemId);
/** A column's value as a person sees it, by the column's title. */
const shown = (itemId: string, title: string) => sim.control.columnValues(itemId).find((v) => v.title === title)?.text ?? null;

/**
 * The item as the sync engine stores it: the raw item (as items_page returns it), its values by column
 * title (status as label, numbers as numbers: normalize.ts fieldValue), a content hash.
 */
async function state(itemId: string, written: MondayItemState['written'] = null): Promise<MondayItemState> {
  const raw = await writer.client.item(itemId);
  const boardId = (raw as { board: { id: string } }).board.id;
  const [board] = await writer.client.boards({ ids: [boardId] });
  const columns: MondayColumnRaw[] = MondayBoardRaw.parse(board).columns ?? [];
  const values = columnWriteForm(raw, columns);
  const fields: Record<string, unknown> = {};
  for (const c of columns) {
    const v = values[c.id];
    if (c.type === 'numbers') fields[c.title] = v === null || v === undefined ? null : Number(v);
    else if (c.type === 'status') fields[c.title] = v && typeof v === 'object' && 'label' in v ? v.label : null;
  }
  return { boardId, raw, fields, hash: JSON.stringify(values), written };
}

let seq = 0;
function row(itemId: string, op: OutboxRow['op'], payload: Record<string, unknown>): OutboxRow {
  return { id: String(++seq), target_kind: 'monday_item', target_external_id: itemId, op, payload, asset_id: null, violation_id: null };
}
const opsRow = (itemId: string, value: string) => row(itemId, 'set_field', { field: OPS, value });
const metricsRow = (itemId: string, values: ToolValues) => row(itemId, 'set_metrics', { values, changed: [], fields: FIELDS });
const stageRow = (itemId: string, to: string) => row(itemId, 'set_stage', { stage: to, from: null });

beforeAll(async () => {
  sim = createMondaySimulator({ generate: { seed: 11, tasks: 60, projects: 2 } });
  ({ endpoint } = await sim.start());
  writer = new MondayWriter({ token: SIM_DEFAULT_TOKEN, baseUrl: endpoint, limiter: new RateLimiter(600_000, 8) });
  const boards = [...sim.control.truth.boards.values()];
  statusBoard = boards.find((b) => b.stageSource === 'status')!.boardId;
  groupBoard = boards.find((b) => b.stageSource === 'group')!.boardId;
  stage = { [statusBoard]: { from: 'status_column', column: 'Stage', map: sim.control.truth.defaultStageMap }, '*': { from: 'group', map: sim.control.truth.defaultStageMap } };
  sender = new MondayItemSender(writer, { connectionId: 'agency-monday', opsField: OPS, stage });
});
afterAll(() => sim?.stop());

describe('MondayItemSender: one change_multiple_column_values per item', () => {
  it('first writes on a board: the Ops status column (with the Ops status labels) and three numbers columns made once, then ONE mutation per item', async () => {
    const items = itemsOf(statusBoard).slice(0, 6);
    sim.control.resetCalls();
    for (const [i, id] of items.entries()) {
      const { outcomes } = await sender.sendColumns([opsRow(id, i % 2 ? 'Approval missing' : 'Compliant'), metricsRow(id, { revision_round: i, days_in_stage: 3, cycle_time: i % 2 ? 12.5 : null })], id, await state(id));
      expect([...outcomes.values()].map((o) => o.state)).toEqual(['done', 'done']);
    }
    expect(mutations()).toEqual({
      'mutation create_status_column': 1,
      'mutation create_column': 3,
      'mutation change_multiple_column_values': items.length,
    });
    for (const [i, id] of items.entries()) {
      expect({ ops: shown(id, OPS), round: shown(id, FIELDS.revision_round), days: shown(id, FIELDS.days_in_stage), cycle: shown(id, FIELDS.cycle_time) }).toEqual({
        ops: i % 2 ? 'Approval missing' : 'Compliant', round: String(i), days: '3', cycle: i % 2 ? '12.5' : null,
      });
    }
    // The column Stageline made carries every Ops status label, none of them a "done" label.
    const [raw] = await writer.client.boards({ ids: [statusBoard] });
    const ops = (MondayBoardRaw.parse(raw).columns ?? []).filter((c) => c.title === OPS);
    expect(ops).toHaveLength(1);
    expect(Object.values((JSON.parse(ops[0]!.settings_str!) as { labels: Record<string, string> }).labels).sort()).toEqual([...OPS_STATUS_OPTIONS].sort());
    expect(sim.control.calls().concurrentBoardMutations).toBe(0);
  });

  it('sent again against what the items now hold: nothing is sent, every row skipped', async () => {
    const items = itemsOf(statusBoard).slice(0, 6);
    const before = calls('change_multiple_column_values');
    for (const [i, id] of items.entries()) {
      const { outcomes } = await sender.sendColumns([opsRow(id, i % 2 ? 'Approval missing' : 'Compliant'), metricsRow(id, { revision_round: i, days_in_stage: 3, cycle_time: i % 2 ? 12.5 : null })], id, await state(id));
      expect([...outcomes.values()].map((o) => o.state)).toEqual(['skipped', 'skipped']);
    }
    expect(calls('change_multiple_column_values') - before).toBe(0);
  });

  it('only the columns that differ are in the mutation (the activity log shows just those)', async () => {
    const id = itemsOf(statusBoard)[1]!;
    const logged = sim.control.activityOf(statusBoard, { itemId: id }).length;
    const before = calls('change_multiple_column_values');
    const { outcomes } = await sender.sendColumns([opsRow(id, 'Approval missing'), metricsRow(id, { revision_round: 1, days_in_stage: 4, cycle_time: 12.5 })], id, await state(id));
    expect([...outcomes.values()].map((o) => o.state)).toEqual(['done', 'done']);
    expect(calls('change_multiple_column_values') - before).toBe(1);
    const changed = sim.control.activityOf(statusBoard, { itemId: id }).slice(logged).map((e) => e.columnId);
    expect(changed.map((c) => sim.control.columnValue(id, c!)?.title)).toEqual([FIELDS.days_in_stage]);
  });

  it('metrics written but the item not pulled since: the write is what it holds, nothing is sent before the echo', async () => {
    const id = itemsOf(statusBoard)[2]!;
    const stale = await state(id);
    const before = calls('change_multiple_column_values');
    await sender.sendColumns([metricsRow(id, { revision_round: 7, days_in_stage: 8, cycle_time: 9.5 })], id, stale);
    expect(calls('change_multiple_column_values') - before).toBe(1);
    // The outbox records the write with the hash the item had when last pulled (ops.metric_writes).
    const written = { values: { revision_round: 7, days_in_stage: 8, cycle_time: 9.5 }, observedHash: stale.hash, seq: 1 };
    const { outcomes } = await sender.sendColumns([metricsRow(id, { revision_round: 7, days_in_stage: 8, cycle_time: 9.5 })], id, { ...stale, written });
    expect([...outcomes.values()].map((o) => o.state)).toEqual(['skipped']);
    expect(calls('change_multiple_column_values') - before).toBe(1);
    // Someone typed over a figure since (a new pull, a new hash): it is written again.
    sim.control.setColumnValues(id, { [sim.control.columnValues(id).find((v) => v.title === FIELDS.days_in_stage)!.columnId]: '99' });
    const typed = await sender.sendColumns([metricsRow(id, { revision_round: 7, days_in_stage: 8, cycle_time: 9.5 })], id, await state(id, written));
    expect([...typed.outcomes.values()].map((o) => o.state)).toEqual(['done']);
    expect(shown(id, FIELDS.days_in_stage)).toBe('8');
  });

  it('a revert on a status board is the stage label in the same single mutation; an item already there is skipped', async () => {
    const id = itemsOf(statusBoard).find((x) => sim.control.truthOf(x)!.stage === 'Delivered')!;
    const before = { change: calls('change_multiple_column_values'), all: Object.values(mutations()).reduce((a, b) => a + b, 0) };
    const { outcomes } = await sender.sendColumns([stageRow(id, 'client_review'), opsRow(id, 'Approval missing'), metricsRow(id, { revision_round: 2, days_in_stage: 0, cycle_time: null })], id, await state(id));
    expect([...outcomes.values()].map((o) => o.state)).toEqual(['done', 'done', 'done']);
    expect(calls('change_multiple_column_values') - before.change).toBe(1);
    expect(Object.values(mutations()).reduce((a, b) => a + b, 0) - before.all).toBe(1);
    expect(sim.control.truthOf(id)!.stage).toBe('Client Review');
    expect(shown(id, OPS)).toBe('Approval missing');
    // The stage history records the move (a real stage change, by the token's user).
    expect(sim.control.truthOf(id)!.transitions.at(-1)).toMatchObject({ from: 'Delivered', to: 'Client Review' });
    const again = await sender.sendColumns([stageRow(id, 'client_review')], id, await state(id));
    expect([...again.outcomes.values()]).toEqual([{ state: 'skipped', result: { label: 'Client Review' } }]);
    expect(calls('change_multiple_column_values') - before.change).toBe(1);
  });

  it('a row that cannot be written is dropped alone, with the reason; the rest of the item is sent', async () => {
    const id = itemsOf(statusBoard)[3]!;
    const before = calls('change_multiple_column_values');
    const rows = [stageRow(id, 'not_a_stage'), opsRow(id, 'Misnamed file'), metricsRow(id, { revision_round: 5, days_in_stage: 1, cycle_time: null })];
    const { outcomes } = await sender.sendColumns(rows, id, await state(id));
    expect(outcomes.get(rows[0]!.id)).toEqual({ state: 'dropped', error: `monday.com board ${statusBoard} "${sim.control.boardTruth(statusBoard)!.name}": status column "Stage" has no label (none in the stage map) for stage "not_a_stage"` });
    expect([outcomes.get(rows[1]!.id)!.state, outcomes.get(rows[2]!.id)!.state]).toEqual(['done', 'done']);
    expect(calls('change_multiple_column_values') - before).toBe(1);
  });
});

describe('MondayItemSender on a board whose stage is the group', () => {
  it('an "Ops status" column the team made without a label: that write is dropped naming the label, nothing is created, the metrics go', async () => {
    await writer.client.createStatusColumn(groupBoard, OPS, [{ label: 'Compliant', color: 'done_green', index: 1 }, { label: 'Approval missing', color: 'stuck_red', index: 2 }]);
    const id = itemsOf(groupBoard)[0]!;
    const created = calls('create_status_column');
    const rows = [opsRow(id, 'Scope creep'), metricsRow(id, { revision_round: 3, days_in_stage: 2, cycle_time: null })];
    const { outcomes } = await sender.sendColumns(rows, id, await state(id));
    expect(outcomes.get(rows[0]!.id)!.state).toBe('dropped');
    expect(outcomes.get(rows[0]!.id)!.error).toMatch(/status column "Ops status" \(\w+\) has no label "Scope creep"; add it on the board \(labels are never created\)$/);
    expect(outcomes.get(rows[1]!.id)!.state).toBe('done');
    expect(calls('create_status_column')).toBe(created);
    expect(shown(id, FIELDS.revision_round)).toBe('3');
  });

  it('a revert moves the item to the stage\'s group (move_item_to_group), the columns in one mutation; sent again, nothing', async () => {
    const id = itemsOf(groupBoard).find((x) => sim.control.truthOf(x)!.stage === 'Delivered')!;
    const before = mutations();
    const rows = [stageRow(id, 'client_review'), opsRow(id, 'Approval missing')];
    const { outcomes } = await sender.sendColumns(rows, id, await state(id));
    expect(outcomes.get(rows[0]!.id)).toEqual({ state: 'done', result: { group: 'Client Review' } });
    expect(outcomes.get(rows[1]!.id)).toEqual({ state: 'done', result: { column: expect.any(String), label: 'Approval missing' } });
    const after = mutations();
    expect(Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - (before[k] ?? 0)]).filter(([, n]) => n !== 0))).toEqual({
      'mutation move_item_to_group': 1, 'mutation change_multiple_column_values': 1,
    });
    expect(sim.control.truthOf(id)!.stage).toBe('Client Review');
    const again = await sender.sendColumns([stageRow(id, 'client_review'), opsRow(id, 'Approval missing')], id, await state(id));
    expect([...again.outcomes.values()].map((o) => o.state)).toEqual(['skipped', 'skipped']);
    expect(mutations()).toEqual(after);
  });
});

describe('MondayItemSender: updates, ordering, limits', () => {
  it('a comment is one stamped update; once the item is read back with it, nothing is sent again', async () => {
    const id = itemsOf(statusBoard)[4]!;
    const text = stampText('No client approval before delivery.\nHow to fix: ask the client to approve v2.', 'k0123456789abcde');
    const before = calls('create_update');
    const first = await sender.sendComment(row(id, 'comment', { text, stamp: 'k0123456789abcde' }), id, await state(id));
    expect(first.state).toBe('done');
    const mine = sim.control.updatesOf(id).filter((u) => readStamp(u.body) === 'k0123456789abcde');
    expect(mine).toHaveLength(1);
    expect(mine[0]!.text).toContain('How to fix: ask the client to approve v2.');
    const second = await sender.sendComment(row(id, 'comment', { text, stamp: 'k0123456789abcde' }), id, await state(id));
    expect(second).toEqual({ state: 'skipped', result: null });
    expect(calls('create_update') - before).toBe(1);
  });

  it('items of one board sent at once never overlap on the board (monday answers that with 423 "locked")', async () => {
    sim.control.setLatency(30);
    sim.control.setBoardLocking(true);
    try {
      const items = itemsOf(statusBoard).slice(6, 12);
      const states = await Promise.all(items.map((id) => state(id)));
      const before = sim.control.calls().concurrentBoardMutations;
      const m0 = calls('change_multiple_column_values');
      const sent = await Promise.all(items.map((id, i) => sender.sendColumns([opsRow(id, 'Review overdue'), metricsRow(id, { revision_round: 1, days_in_stage: i, cycle_time: null })], id, states[i]!)));
      expect(sent.flatMap((s) => [...s.outcomes.values()].map((o) => o.state))).toEqual(items.flatMap(() => ['done', 'done']));
      expect(calls('change_multiple_column_values') - m0).toBe(items.length);
      expect(sim.control.calls().concurrentBoardMutations - before).toBe(0);
    } finally {
      sim.control.setLatency(0);
      sim.control.setBoardLocking(false);
    }
  });

  it('an item that is not stored, or deleted at monday, is not_found (the outbox drops its rows with the message)', async () => {
    const err = await sender.sendColumns([opsRow('1234567890', 'Compliant')], '1234567890', null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).kind).toBe('not_found');
    const id = itemsOf(statusBoard)[5]!;
    const s = await state(id);
    sim.control.deleteItem(id);
    const gone = await sender.sendColumns([opsRow(id, 'Scope creep')], id, s).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ConnectorError);
    expect(['not_found', 'invalid_config']).toContain((gone as ConnectorError).kind);
  });

  it('the account\'s daily call cap reached: DailyCapReached before anything is sent (the drain stops, rows stay pending)', async () => {
    const now = Date.now();
    const spent = new DailyCallCap(10, { day: new Date(now).toISOString().slice(0, 10), used: 10 }, { now });
    const capped = new MondayItemSender(new MondayWriter({ client: new MondayClient({ token: SIM_DEFAULT_TOKEN, baseUrl: endpoint, limiter: new RateLimiter(600_000, 8), dailyCap: spent }) }), { connectionId: 'agency-monday', opsField: OPS, stage });
    const id = itemsOf(statusBoard)[0]!;
    const s = await state(id);
    const total = sim.control.calls().total;
    const err = await capped.sendColumns([opsRow(id, 'Scope creep')], id, s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DailyCapReached);
    expect((err as DailyCapReached).resumeAt).toBe(new Date(Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate() + 1)).toISOString());
    expect(sim.control.calls().total).toBe(total);
  });
});
