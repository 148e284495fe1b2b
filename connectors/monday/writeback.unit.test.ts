// MondayWriter: only the columns that differ, in ONE change_multiple_column_values per item (status by
// label, numbers as strings), nothing sent when all are equal, bad targets refused before anything is
// sent; stamped updates written once; one mutation at a time per board. Against the simulator (what
// lands, what monday counted) and the fixtures (the current values' write form).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../limiter';
import { readStamp, stampText } from '../stamp';
import { ConnectorError } from '../types';
import { MondayClient } from './client';
import { MondayBoardRaw, type MondayColumnRaw } from './raw';
import { SIM_DEFAULT_TOKEN, createMondaySimulator, type MondaySimulator } from './simulator';
import { BoardLocks, MondayWriter, columnWriteForm, htmlOf, type ColumnWrite } from './writeback';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const boardColumns = (): MondayColumnRaw[] => MondayBoardRaw.parse(fixture('board-status')).columns ?? [];

async function refused(p: Promise<unknown>): Promise<ConnectorError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConnectorError);
  expect((err as ConnectorError).kind).toBe('invalid_config');
  return err as ConnectorError;
}

describe('the current values in write form', () => {
  it('status as {label}, numbers as strings, text, dates, long text, people; empty cells null', () => {
    expect(columnWriteForm(fixture('item-full'), boardColumns())).toEqual({
      person: { personsAndTeams: [{ id: 60000003, kind: 'person' }] },
      status: { label: 'Client Review' },
      date4: { date: '2026-10-20' },
      text: 'ACME_HOLIDAY_BANNER-300x250',
      text0: '300x250',
      numbers: '1200',
      date1: { date: '2026-11-28', time: '09:00:00' },
      people: { personsAndTeams: [{ id: 60000007, kind: 'person' }, { id: 880001, kind: 'team' }] },
      long_text: { text: 'Banner for the holiday push. Master KV: https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUv/view' },
      ops_status: { label: 'Needs attention' },
      revision_round: '2',
    });
    const empty = columnWriteForm(fixture('item-minimal'), boardColumns());
    expect(empty).toMatchObject({ status: null, ops_status: null, numbers: null, text: '', text0: null, date4: null, person: null, long_text: null, revision_round: null });
    // Only `value`: the status label from the column's settings by index.
    expect(columnWriteForm(fixture('item-archived-value-only'), boardColumns())).toMatchObject({ status: { label: 'Delivered' }, numbers: '450.5', date4: { date: '2026-09-30', time: '17:00:00' } });
  });
});

describe('MondayWriter against the simulator', () => {
  let sim: MondaySimulator;
  let endpoint: string;
  let writer: MondayWriter;
  let boardId: string;
  let columns: MondayColumnRaw[];
  let itemIds: string[];
  const mutations = () => sim.control.calls().byOperation['mutation change_multiple_column_values'] ?? 0;

  beforeAll(async () => {
    sim = createMondaySimulator({ generate: { seed: 3, tasks: 60, projects: 2 } });
    ({ endpoint } = await sim.start());
    writer = new MondayWriter({ token: SIM_DEFAULT_TOKEN, baseUrl: endpoint, limiter: new RateLimiter(600_000, 8) });
    const bt = [...sim.control.truth.boards.values()].find((b) => b.stageSource === 'status')!;
    boardId = bt.boardId;
    const [raw] = await writer.client.boards({ ids: [boardId] });
    columns = MondayBoardRaw.parse(raw).columns ?? [];
    itemIds = [...sim.control.truth.items.values()].filter((t) => t.boardId === boardId && t.state === 'active').map((t) => t.itemId);
  });
  afterAll(() => sim?.stop());

  const current = async (itemId: string) => columnWriteForm(await writer.client.item(itemId), columns);

  it('changes only what differs, all of it in one mutation; a second identical call sends nothing', async () => {
    const itemId = itemIds[0]!;
    const before = await current(itemId);
    const held = (before.status as { label?: string } | null)?.label;
    const target: Record<string, ColumnWrite> = { status: { label: held === 'On Hold' ? 'Approved' : 'On Hold' }, text0: before.text0 ?? null, numbers: 42 };
    const m0 = mutations();
    expect(await writer.setColumns(boardId, itemId, target, before, { name: 'board', columns })).toBe(true);
    expect(mutations() - m0).toBe(1);
    const after = await current(itemId);
    expect(after).toMatchObject({ status: target.status, numbers: '42', text0: before.text0 });
    // The write sent status and numbers only (Size already held its value): one log entry per changed column.
    const log = sim.control.activityOf(boardId, { itemId }).filter((e) => Date.parse(e.createdAt) >= Date.parse(sim.control.dataset.now));
    expect(log.map((e) => e.columnId).sort()).toEqual(['numbers', 'status']);
    expect(await writer.setColumns(boardId, itemId, target, after, { columns })).toBe(false);
    expect(await writer.setColumns(boardId, itemId, { numbers: '42.0' }, after, { columns })).toBe(false);
    expect(mutations() - m0).toBe(1);
  });

  it('a label the column does not have, or a column the board does not have, is refused before anything is sent', async () => {
    const m0 = mutations();
    const label = await refused(writer.setColumns(boardId, itemIds[1]!, { status: { label: 'Ready for print' } }, null, { name: 'ACME', columns }));
    expect(label.message).toBe(
      `monday.com board ${boardId} "ACME": status column "Stage" (status) has no label "Ready for print" (labels: "In Production", "Delivered", "On Hold", "Briefing", "Internal Review", "Client Review", "Approved", "Cancelled"); labels are never created`,
    );
    const col = await refused(writer.setColumns(boardId, itemIds[1]!, { ops_status: { label: 'OK' } }, null, { columns }));
    expect(col.message).toMatch(new RegExp(`^monday.com board ${boardId}: no column "ops_status" \\(columns: "Name" \\(name\\)`));
    await refused(writer.setColumns(boardId, itemIds[1]!, { numbers: 'forty-two' }, null, { columns }));
    expect(mutations() - m0).toBe(0);
  });

  it('without the board’s columns, monday’s own refusal of an unknown label comes back as invalid_config with its message', async () => {
    const err = await refused(writer.setColumns(boardId, itemIds[1]!, { status: { label: 'Ready for print' } }, null));
    expect(err.message).toMatch(/ColumnValueException/);
    expect(err.details.vendorMessage).toMatch(/Ready for print|label/);
  });

  it('mutations on one board run one at a time (monday answers parallel ones with 423 "locked")', async () => {
    sim.control.setLatency(40);
    sim.control.setBoardLocking(true);
    try {
      const locks = new BoardLocks();
      const w = new MondayWriter({ client: writer.client, boardLocks: locks });
      const before = sim.control.calls().concurrentBoardMutations;
      await Promise.all(itemIds.slice(2, 7).map((id, i) => w.setColumns(boardId, id, { numbers: String(100 + i) }, null, { columns })));
      expect(sim.control.calls().concurrentBoardMutations - before).toBe(0);
      // Without the per-board ordering, the same writes overlap (and monday may answer 423 "locked").
      const unordered = itemIds.slice(2, 7).map((id, i) => writer.client.changeMultipleColumnValues(boardId, id, { numbers: String(200 + i) }).catch((e: unknown) => e));
      const results = await Promise.all(unordered);
      const overlapped = sim.control.calls().concurrentBoardMutations - before;
      const locked = results.filter((r) => r instanceof ConnectorError && r.kind === 'rate_limited');
      expect(overlapped + locked.length).toBeGreaterThan(0);
    } finally {
      sim.control.setLatency(0);
      sim.control.setBoardLocking(false);
    }
  });

  // (The 423s above paused the credential's limiter for their Retry-After: this test waits that out first.)
  it('a stamped update is written once: the second call with the bodies read back sends nothing', async () => {
    const itemId = itemIds[7]!;
    const text = 'Naming: "banner <final>.png" should be ACME_BANNER-300x250_v02.png\nSee the naming guide.';
    const u0 = sim.control.calls().byOperation['mutation create_update'] ?? 0;
    const first = await writer.addUpdate(itemId, text, [], { stampKey: 'k1', boardId });
    expect(first?.id).toMatch(/^\d+$/);
    const bodies = sim.control.updatesOf(itemId).map((u) => u.body);
    const mine = sim.control.updatesOf(itemId).find((u) => u.id === first!.id)!;
    // The stamp survives the round trip; the visible text is the text (HTML-escaped on the way in).
    expect(readStamp(mine.body)).toBe('k1');
    expect(mine.text).toContain('banner <final>.png');
    expect(await writer.addUpdate(itemId, text, bodies, { stampKey: 'k1', boardId })).toBeNull();
    // Already stamped by the caller (the enforcement step does): the same.
    expect(await writer.addUpdate(itemId, stampText(text, 'k1'), bodies)).toBeNull();
    // Another stamp is another write.
    expect(await writer.addUpdate(itemId, text, bodies, { stampKey: 'k2' })).not.toBeNull();
    expect((sim.control.calls().byOperation['mutation create_update'] ?? 0) - u0).toBe(2);
    await refused(writer.addUpdate(itemId, stampText('  ', 'k3'), []));
  });

  it('a numbers column for metrics is found, or created once', async () => {
    const made = await writer.ensureNumbersColumn(boardId, 'Days in stage', { columns });
    expect(made.created).toBe(true);
    const [raw] = await writer.client.boards({ ids: [boardId] });
    const again = await writer.ensureNumbersColumn(boardId, 'Days in stage', { columns: MondayBoardRaw.parse(raw).columns ?? [] });
    expect(again).toEqual({ id: made.id, created: false });
    const wrong = await refused(writer.ensureNumbersColumn(boardId, 'Stage', { columns }));
    expect(wrong.message).toMatch(/column "Stage" \(status\) is a status column, not numbers/);
  });
});

describe('update bodies', () => {
  it('plain text is HTML-escaped, line breaks kept', () => {
    expect(htmlOf('a < b & "c"\nd')).toBe('a &lt; b &amp; &quot;c&quot;<br>d');
  });

  it('a writer shares its client (one budget, one daily count)', () => {
    const client = new MondayClient({ token: 't', limiter: new RateLimiter(1000, 1) });
    const w = new MondayWriter({ client });
    expect(w.client).toBe(client);
    expect(w.counter).toBe(client.counter);
  });
});
