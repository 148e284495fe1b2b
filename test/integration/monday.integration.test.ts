// monday.com through the whole stack (real PostgreSQL, real Temporal, the monday simulator seeded with
// the shared agency): a full sync lands exactly what the generator seeded — assets per board in their
// stages, stage history from the activity logs, versions from file columns, comments from updates and
// replies, decisions from approval subitems, persons by email — and incremental syncs pick up exactly
// what a person changed, with the fewest calls; bad configuration fails with errors naming the path.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableId } from '../../mapping/ids';
import type { MondayConnectionConfig } from '../../mapping/config';
import type { SyncTotals } from '../../activities';
import { SIM_DEFAULT_TOKEN, type ItemTruth } from '../../connectors/monday/simulator';
import { count, fingerprint, startStack, type Stack } from '../support/stack';

let stack: Stack;
let full: SyncTotals;
const run = promisify(execFile);
const m = () => stack.monday!;
const ctl = () => m().sim.control;
const assetOf = (itemId: string) => stableId(m().connectionId, 'monday_item', itemId);
const live = (): ItemTruth[] => [...m().truth.items.values()].filter((t) => t.state === 'active');
const second = (iso: string) => new Date(iso).toISOString().slice(0, 19);
const totalCalls = (t: SyncTotals) => Object.values(t.apiCalls).reduce((a, b) => a + b, 0);
/** Items a test changed: later tests leave them alone (an incremental window reaches back a few minutes and reads them again). */
const touched = new Set<string>();

beforeAll(async () => {
  const t0 = Date.now();
  // A budget of 50M points a minute (the simulator's and the connection's): these tests are not about the
  // budget (monday-resilience is), and 10M would make the later syncs wait for the minute the first spent.
  stack = await startStack({ tasks: 120, projects: 3, seed: 21, monday: { limits: { complexityPerMinute: 50_000_000 }, yaml: '    complexity_per_minute: 50000000\n' }, drive: {} });
  console.info(`stack ${Date.now() - t0} ms`);
  full = await stack.syncMonday('full');
  console.info(`full sync ${Date.now() - t0} ms`);
}, 240_000);
afterAll(async () => stack?.close());

/** Everything stored for the connection's live assets, against the simulator's truth as it stands now. */
async function expectMatchesTruth(): Promise<void> {
  const conn = m().connectionId;
  const db = stack.db.pool;
  const { rows: assets } = await db.query<{ id: string; external_id: string; project: string; stage: string | null; source_status: string | null }>(
    `SELECT a.id, a.external_id, p.external_id AS project, a.stage, a.source_status FROM core.assets a JOIN core.projects p ON p.id = a.project_id
      WHERE a.connection_id = $1 AND a.deleted_at IS NULL`,
    [conn],
  );
  const truth = live();
  expect(assets.map((a) => a.external_id).sort()).toEqual(truth.map((t) => t.itemId).sort());
  const byId = new Map(assets.map((a) => [a.external_id, a]));
  const stageMap = m().truth.defaultStageMap as Record<string, string>;
  const { rows: persons } = await db.query<{ id: string; email: string | null }>('SELECT id, email FROM core.persons');
  const email = new Map(persons.map((p) => [p.id, p.email]));
  const rowsOf = async <T extends Record<string, unknown>>(sql: string) => {
    const { rows } = await db.query<T & { asset_id: string }>(sql, [conn]);
    const out = new Map<string, T[]>();
    for (const r of rows) out.set(r.asset_id, [...(out.get(r.asset_id) ?? []), r]);
    return out;
  };
  const transitions = await rowsOf<{ from_status: string | null; to_status: string | null; at: Date; actor_id: string | null; source: string }>(
    `SELECT asset_id, from_status, to_status, at, actor_id, source FROM core.stage_transitions WHERE connection_id = $1 ORDER BY asset_id, at, source DESC`,
  );
  const versions = await rowsOf<{ number: number; name: string; created_by: string | null }>(
    `SELECT asset_id, number, name, created_by FROM core.versions WHERE connection_id = $1 AND deleted_at IS NULL ORDER BY asset_id, number, name`,
  );
  const comments = await rowsOf<{ external_id: string; thread_external_id: string | null; author_id: string | null; remote_created_at: Date; body: string }>(
    `SELECT asset_id, external_id, thread_external_id, author_id, remote_created_at, body FROM core.comments WHERE connection_id = $1 AND deleted_at IS NULL ORDER BY asset_id, external_id`,
  );
  const decisions = await rowsOf<{ decision: string; reviewer_id: string | null; decided_at: Date }>(
    `SELECT asset_id, decision, reviewer_id, decided_at FROM core.decisions WHERE connection_id = $1 AND deleted_at IS NULL ORDER BY asset_id, decided_at`,
  );
  for (const t of truth) {
    const a = byId.get(t.itemId)!;
    const id = assetOf(t.itemId);
    expect({ item: t.itemId, board: a.project, status: a.source_status, stage: a.stage }).toEqual({ item: t.itemId, board: t.boardId, status: t.stage, stage: stageMap[t.stage] ?? null });
    expect({ item: t.itemId, history: (transitions.get(id) ?? []).map((x) => ({ from: x.from_status, to: x.to_status, at: x.at.toISOString(), by: email.get(x.actor_id ?? '') ?? null, source: x.source })) }).toEqual({
      item: t.itemId,
      history: t.transitions.map((x) => ({ from: x.from, to: x.to, at: x.at, by: x.userEmail, source: 'vendor_history' })),
    });
    expect({ item: t.itemId, versions: (versions.get(id) ?? []).map((v) => [v.number, v.name, email.get(v.created_by ?? '') ?? null]) }).toEqual({
      item: t.itemId,
      versions: [...t.versions].sort((x, y) => x.number - y.number || x.name.localeCompare(y.name)).map((v) => [v.number, v.name, v.uploaderEmail]),
    });
    expect({ item: t.itemId, comments: (comments.get(id) ?? []).map((c) => ({ id: c.external_id, thread: c.thread_external_id, by: email.get(c.author_id ?? '') ?? null, at: second(c.remote_created_at.toISOString()), text: c.body })) }).toEqual({
      item: t.itemId,
      comments: [...t.updates].sort((x, y) => x.updateId.localeCompare(y.updateId)).map((u) => ({ id: u.updateId, thread: u.parentUpdateId, by: u.authorEmail, at: second(u.createdAt), text: u.text })),
    });
    expect({ item: t.itemId, decisions: (decisions.get(id) ?? []).map((d) => ({ status: d.decision, by: email.get(d.reviewer_id ?? '') ?? null, at: d.decided_at.toISOString() })) }).toEqual({
      item: t.itemId,
      decisions: [...t.decisions].sort((x, y) => x.at.localeCompare(y.at)).map((d) => ({ status: d.status, by: d.reviewerEmail, at: d.at })),
    });
  }
}

describe('full monday.com sync', () => {
  it('lands every live item of every board as an asset in its stage, with its history, versions, comments and decisions, as seeded', async () => {
    expect(full.status).toBe('succeeded');
    const boards = m().boardIds;
    expect(boards.length).toBeGreaterThanOrEqual(3);
    expect(new Set(boards.map((b) => m().truth.boards.get(b)!.stageSource))).toEqual(new Set(['status', 'group']));
    expect(await count(stack, `SELECT count(*) FROM core.projects WHERE connection_id = $1`, [m().connectionId])).toBe(boards.length);
    await expectMatchesTruth();
    const t = live();
    expect(t.reduce((n, x) => n + x.versions.length, 0)).toBeGreaterThan(50);
    expect(t.reduce((n, x) => n + x.updates.filter((u) => u.parentUpdateId).length, 0)).toBeGreaterThan(10);
    expect(t.reduce((n, x) => n + x.decisions.length, 0)).toBeGreaterThan(20);
    // Archived and deleted items in the seed never became live assets.
    expect([...m().truth.items.values()].some((x) => x.state !== 'active')).toBe(true);
    expect(await count(stack, `SELECT count(*) FROM ops.rejected_records WHERE connection_id = $1`, [m().connectionId])).toBe(0);
  });

  it('backfills about three months of stage history from the activity logs on the first sync', async () => {
    const { rows } = await stack.db.pool.query<{ earliest: Date; observed: string }>(
      `SELECT min(at) AS earliest, count(*) FILTER (WHERE source <> 'vendor_history') AS observed FROM core.stage_transitions WHERE connection_id = $1`,
      [m().connectionId],
    );
    expect(Date.parse(m().dataset.now) - rows[0]!.earliest.getTime()).toBeGreaterThan(80 * 86_400_000);
    expect(Number(rows[0]!.observed)).toBe(0);
  });

  it('knows every person by email, the same person as in the other tools', async () => {
    const { rows } = await stack.db.pool.query<{ email: string | null }>(
      `SELECT p.email FROM core.person_identities i JOIN core.persons p ON p.id = i.person_id WHERE i.connection_id = $1`,
      [m().connectionId],
    );
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.filter((r) => r.email === null)).toEqual([]);
    const emails = new Set(m().dataset.users.map((u) => u.email));
    for (const r of rows) expect(emails.has(r.email!)).toBe(true);
    expect(full.counts['monday.unknown_users'] ?? 0).toBe(0);
  });

  it('reads each board in pages as large as the complexity budget allows, and counts calls and points on the run', async () => {
    const c = ctl().calls().byOperationName;
    // One items page per board: the first at 100 (no per-item cost known yet), the others as large as
    // the learnt cost allows (up to 500), which holds each of these boards whole.
    expect(c.StagelineItemsPage).toBe(m().boardIds.length);
    expect(c.StagelineNextItemsPage ?? 0).toBe(0);
    expect(totalCalls(full)).toBe(ctl().calls().total);
    expect(full.counts['complexity.points']).toBeGreaterThan(0);
    console.info(`monday full sync: ${totalCalls(full)} calls (${JSON.stringify(full.apiCalls)}), ${full.counts['complexity.points']} complexity points`);
  });

  it('puts the monday assets in the warehouse, under source_vendor monday', async () => {
    expect(await count(stack, `SELECT count(*) FROM warehouse.v_asset WHERE source_vendor = 'monday' AND connection_id = $1`, [m().connectionId])).toBe(live().length);
  });
});

describe('incremental monday.com sync', () => {
  const boardsOf = (source: 'status' | 'group') => m().boardIds.filter((b) => m().truth.boards.get(b)!.stageSource === source);
  const pick = (pred: (t: ItemTruth) => boolean, taken: Set<string>): ItemTruth => {
    const t = live().find((x) => !taken.has(x.itemId) && !touched.has(x.itemId) && x.kind === 'asset' && pred(x));
    if (!t) throw new Error('no such item in the seed');
    taken.add(t.itemId);
    touched.add(t.itemId);
    return t;
  };

  it('with nothing changed, reads the boards and their new updates in one call, and writes nothing', async () => {
    const before = await fingerprint(stack);
    ctl().resetCalls();
    const r = await stack.syncMonday('incremental');
    expect(r.status).toBe('succeeded');
    const n = m().boardIds.length;
    // `boards` for every board and its subitems board, with each board's updates posted since the
    // earliest window opened (an update does not move updated_at): nothing moved, nothing was posted.
    expect(ctl().calls().byOperationName).toEqual({ StagelineBoardsWithUpdates: 1 });
    expect(totalCalls(r)).toBe(1);
    expect(r.counts['monday.boards_unchanged']).toBe(n);
    expect(r.counts['monday.updates_from_plan']).toBe(n);
    expect(await fingerprint(stack)).toEqual(before);
    console.info(`monday incremental, nothing changed: ${totalCalls(r)} calls for ${n} boards, ${r.counts['complexity.points']} complexity points`);
  });

  it('picks up exactly a status change, a group move, an update with a reply, an upload and a decision', async () => {
    const taken = new Set<string>();
    const c = ctl();
    const onStatus = pick((t) => t.boardId === boardsOf('status')[0] && t.stage !== 'On Hold', taken);
    c.setStatus(onStatus.itemId, 'On Hold');
    const onGroup = pick((t) => t.boardId === boardsOf('group')[0] && t.stage !== 'Client Review', taken);
    c.moveItemToGroup(onGroup.itemId, 'Client Review');
    const commented = pick(() => true, taken);
    const update = c.addUpdate(commented.itemId, 'Please check the bleed on the left edge.');
    c.addReply(update, 'Fixed, new version uploaded.');
    const uploaded = pick((t) => t.assetKey !== null && t.versions.some((v) => v.source === 'asset'), taken);
    const next = Math.max(...uploaded.versions.map((v) => v.number)) + 1;
    c.addAsset(uploaded.itemId, { name: `${uploaded.assetKey}_v${String(next).padStart(2, '0')}.psd`, size: 2_400_000 });
    const reviewed = pick((t) => t.decisions.length > 0, taken);
    const round = reviewed.decisions.at(-1)!;
    c.setColumnValues(round.subitemId, { status: { label: round.status === 'approved' ? 'Changes requested' : 'Approved' } });

    ctl().resetCalls();
    const r = await stack.syncMonday('incremental');
    expect(r.status).toBe('succeeded');
    await expectMatchesTruth();
    // Exactly the five items were read and written again; nothing else.
    expect(r.counts.tasks).toBe(5);
    expect((r.counts['assets.updated'] ?? 0) + (r.counts['assets.inserted'] ?? 0)).toBe(5);
    expect(m().truth.items.get(uploaded.itemId)!.versions.at(-1)!.number).toBe(next);
    const ops = ctl().calls().byOperationName;
    expect(ops.StagelineItemsByIds).toBe(m().boardIds.filter((b) => [onStatus, onGroup, commented, uploaded, reviewed].some((t) => t.boardId === b)).length);
    console.info(`monday incremental, five changes: ${totalCalls(r)} calls (${JSON.stringify(ops)}), ${r.counts['complexity.points']} complexity points`);
  });

  it('picks up a new item, an archived one and a deleted one; the two are tombstoned when the log says', async () => {
    const taken = new Set<string>();
    const c = ctl();
    const board = boardsOf('status')[0]!;
    const created = c.createItem(board, { name: 'ACME holiday — new 970x250 billboard', values: { status: { label: 'Briefing' }, text: 'ACME_HOLIDAY_BILLBOARD-970x250' } });
    touched.add(created);
    const archived = pick((t) => t.boardId === board, taken);
    c.archiveItem(archived.itemId);
    const deleted = pick((t) => t.boardId === boardsOf('group')[0], taken);
    c.deleteItem(deleted.itemId);
    const r = await stack.syncMonday('incremental');
    expect(r.status).toBe('succeeded');
    await expectMatchesTruth();
    const { rows } = await stack.db.pool.query<{ external_id: string; deleted_at: Date | null; stage: string | null }>(
      `SELECT external_id, deleted_at, stage FROM core.assets WHERE id = ANY($1::uuid[])`,
      [[created, archived.itemId, deleted.itemId].map(assetOf)],
    );
    const by = new Map(rows.map((x) => [x.external_id, x]));
    expect(by.get(created)).toMatchObject({ deleted_at: null, stage: 'brief' });
    for (const [t, event] of [[archived, 'archive_pulse'], [deleted, 'delete_pulse']] as const) {
      const logged = c.activityOf(t.boardId, { itemId: t.itemId }).filter((e) => e.event === event).at(-1)!;
      expect(by.get(t.itemId)!.deleted_at?.toISOString()).toBe(new Date(logged.createdAt).toISOString());
    }
    expect(r.counts.tombstoned).toBeGreaterThanOrEqual(2);
  });

  it('picks up a new approval round: a subitem created with a decision, found through its parent', async () => {
    const taken = new Set<string>();
    const parent = pick((t) => t.decisions.length > 0, taken);
    const before = m().truth.items.get(parent.itemId)!.decisions.length;
    // create_subitem through the API, as a person's client would: the Decision column set at creation.
    const res = await fetch(m().endpoint, {
      method: 'POST',
      headers: { Authorization: SIM_DEFAULT_TOKEN, 'Content-Type': 'application/json', 'API-Version': '2026-10' },
      body: JSON.stringify({
        query: 'mutation ($parent: ID!, $values: JSON) { create_subitem(parent_item_id: $parent, item_name: "Round 3 — client", column_values: $values) { id } }',
        variables: { parent: parent.itemId, values: JSON.stringify({ status: { label: 'Approved' } }) },
      }),
    });
    const body = (await res.json()) as { data?: { create_subitem?: { id: string } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(m().truth.items.get(parent.itemId)!.decisions.length).toBe(before + 1);
    const r = await stack.syncMonday('incremental');
    expect(r.status).toBe('succeeded');
    expect(r.counts['monday.new_subitems']).toBe(1);
    await expectMatchesTruth();
  });

  it('a reply to an older update is not in the window (monday lists updates by when they were posted); the reconciliation crawl (`reconcile_every`) finds it', async () => {
    const c = ctl();
    const isOld = (u: ItemTruth['updates'][number]) => u.parentUpdateId === null && Date.parse(u.createdAt) < Date.parse(m().dataset.now) - 86_400_000;
    const t = live().find((x) => !touched.has(x.itemId) && x.updates.some(isOld))!;
    touched.add(t.itemId);
    const old = t.updates.find(isOld)!;
    const reply = c.addReply(old.updateId, 'Following up on this one.');
    const inc = await stack.syncMonday('incremental');
    expect(inc.status).toBe('succeeded');
    expect(await count(stack, `SELECT count(*) FROM core.comments WHERE connection_id = $1 AND external_id = $2`, [m().connectionId, reply])).toBe(0);
    // A board whose last crawl is older than reconcile_every is crawled again, whatever the mode asked.
    stack.reconfigure((y) => y.replace(`    vendor: monday\n`, `    vendor: monday\n    reconcile_every: 1s\n`));
    try {
      const t0 = Date.now();
      const r = await stack.syncMonday('incremental');
      console.info(`reconcile: ${Date.now() - t0} ms, ${JSON.stringify(r.apiCalls)} ${r.counts['complexity.points']} points; sim charged ${ctl().calls().complexityCharged}`);
      expect(r.status).toBe('succeeded');
      expect(r.counts.pages).toBe(m().boardIds.length);
      expect(await count(stack, `SELECT count(*) FROM core.comments WHERE connection_id = $1 AND external_id = $2 AND deleted_at IS NULL`, [m().connectionId, reply])).toBe(1);
      await expectMatchesTruth();
    } finally {
      stack.reconfigure((y) => y.replace(`    reconcile_every: 1s\n`, ''));
    }
  });
});

describe('bad input', () => {
  /** Runs a full sync of the monday connection with `edit` applied to its config; returns the failure message. */
  async function failWith(edit: (c: MondayConnectionConfig) => MondayConnectionConfig): Promise<{ message: string; idx: number }> {
    const cfg = stack.config;
    const idx = cfg.connections.findIndex((c) => c.id === m().connectionId);
    const original = cfg.connections[idx]!;
    stack.config = { ...cfg, connections: cfg.connections.map((c, i) => (i === idx ? edit(c as MondayConnectionConfig) : c)) } as typeof cfg;
    try {
      const err = await stack.syncMonday('full').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const { rows } = await stack.db.pool.query(`SELECT state FROM ops.connections WHERE id = $1`, [m().connectionId]);
      expect(rows[0].state).toBe('error');
      return { message: String((err as WorkflowFailedError).cause?.message), idx };
    } finally {
      stack.config = { ...stack.config, connections: stack.config.connections.map((c, i) => (i === idx ? original : c)) } as typeof cfg;
    }
  }
  const statusBoard = () => m().boardIds.find((b) => m().truth.boards.get(b)!.stageSource === 'status')!;

  it('an unknown board id names the connection and the path', async () => {
    const { message, idx } = await failWith((c) => ({ ...c, boards: [...c.boards!, '9999999999'], stage: { ...c.stage, '9999999999': c.stage[statusBoard()]! } }));
    expect(message).toContain(`connections.${idx}.boards.${m().boardIds.length}: board 9999999999 does not exist, was deleted, or is not shared with the token of connection "${m().connectionId}"`);
  });

  it('a status column the board does not have names the connection, the board and the path', async () => {
    const b = statusBoard();
    const { message, idx } = await failWith((c) => ({ ...c, stage: { ...c.stage, [b]: { from: 'status_column', column: 'Phase', map: { Briefing: 'brief' } } } }));
    expect(message).toMatch(new RegExp(`connections\\.${idx}\\.stage\\.${b}\\.column: connection "${m().connectionId}", board ${b} "[^"]+": no column "Phase" \\(status columns: "Stage" \\(status\\)`));
  });

  it('a label the board does not have names the connection, the board, the label and the path', async () => {
    const b = statusBoard();
    const { message, idx } = await failWith((c) => ({ ...c, stage: { ...c.stage, [b]: { from: 'status_column', column: 'Stage', map: { ...(c.stage[b] as { map: Record<string, string> }).map, 'Waiting on legal': 'on_hold' } } } }));
    expect(message).toMatch(new RegExp(`connections\\.${idx}\\.stage\\.${b}\\.map\\.Waiting on legal: connection "${m().connectionId}", board ${b} "[^"]+": status column "Stage" has no label "Waiting on legal" \\(labels: "In Production"`));
  });

  it('`stageline config check --live` rejects a label the board does not have and an unknown board with their paths and exit code 2, reading only; the good file passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stageline-monday-'));
    const b = statusBoard();
    const files = { good: join(dir, 'good.yaml'), bad: join(dir, 'bad.yaml') };
    writeFileSync(files.good, stack.yaml);
    writeFileSync(
      files.bad,
      stack.yaml
        .replace(`"${b}": { from: status_column, column: Stage, map: { `, `"${b}": { from: status_column, column: Stage, map: { "Waiting on legal": on_hold, `)
        .replace(`boards: [${m().boardIds.map((x) => `"${x}"`).join(', ')}]`, `boards: [${[...m().boardIds, '9999999999'].map((x) => `"${x}"`).join(', ')}]`)
        .replace(`    stage:\n      "${m().boardIds[0]}"`, `    stage:\n      "9999999999": { from: group, map: { Briefing: brief } }\n      "${m().boardIds[0]}"`),
    );
    const env = { ...process.env, ...stack.env };
    const cli = (file: string) => run('npx', ['tsx', 'cli/main.ts', '--config', file, 'config', 'check', '--live'], { env, cwd: process.cwd() }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    const before = await fingerprint(stack);
    const [ok, ko] = [await cli(files.good), await cli(files.bad)];
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain(`${m().connectionId} (monday): live check OK — ${m().boardIds.length} board(s)`);
    expect(ko.code, ko.out).toBe(2);
    const idx = stack.config.connections.findIndex((c) => c.id === m().connectionId);
    expect(ko.out).toContain(`connections.${idx}.boards.${m().boardIds.length}: board 9999999999 does not exist, was deleted, or is not shared with the token of connection "${m().connectionId}"`);
    expect(ko.out).toMatch(new RegExp(`connections\\.${idx}\\.stage\\.${b}\\.map\\.Waiting on legal: connection "${m().connectionId}", board ${b} "[^"]+": status column "Stage" has no label "Waiting on legal"`));
    expect(await fingerprint(stack)).toEqual(before);
  });

  it('a decision column the subitems do not have names the connection, the board and the path', async () => {
    const { message, idx } = await failWith((c) => ({ ...c, decisions: { column: 'Verdict' } }));
    expect(message).toMatch(new RegExp(`connections\\.${idx}\\.decisions\\.column: connection "${m().connectionId}", board \\d+ "[^"]+": its subitems have no column "Verdict" \\(columns: `));
  });

  it('after a failed plan, the connection syncs again once the config is fixed, with nothing duplicated', async () => {
    const before = await fingerprint(stack);
    const r = await stack.syncMonday('incremental');
    expect(r.status).toBe('succeeded');
    expect(await fingerprint(stack)).toEqual(before);
  });
});

describe('whole workspaces', () => {
  it('a connection on the boards\' workspaces syncs the same boards (subitems boards are not boards of their own) and writes nothing new', async () => {
    const before = await fingerprint(stack);
    const cfg = stack.config;
    const idx = cfg.connections.findIndex((c) => c.id === m().connectionId);
    const original = cfg.connections[idx] as MondayConnectionConfig;
    const workspaces = [...new Set(m().boardIds.map((b) => m().truth.boards.get(b)!.workspaceId))];
    const { boards: _listed, ...rest } = original;
    stack.config = { ...cfg, connections: cfg.connections.map((c, i) => (i === idx ? { ...rest, workspaces } : c)) } as typeof cfg;
    try {
      const r = await stack.syncMonday('full');
      expect(r.status).toBe('succeeded');
      expect(r.counts.pages).toBe(m().boardIds.length);
      expect(await count(stack, `SELECT count(*) FROM core.projects WHERE connection_id = $1`, [m().connectionId])).toBe(m().boardIds.length);
      expect(await fingerprint(stack)).toEqual(before);
    } finally {
      stack.config = { ...stack.config, connections: stack.config.connections.map((c, i) => (i === idx ? original : c)) } as typeof cfg;
    }
  });
});

describe('cross-tool linking', () => {
  it('joins Drive files to the monday items they belong to, by the Drive links in file columns and by the asset key in their names', async () => {
    expect((await stack.syncDrive('full')).status).toBe('succeeded');
    const drive = stack.drive!;
    const itemOfTask = new Map([...m().truth.items.values()].filter((t) => t.taskGid && t.state === 'active').map((t) => [t.taskGid!, t.itemId]));
    const { rows } = await stack.db.pool.query<{ external_id: string; state: string; asset_id: string | null; via: string | null }>(
      `SELECT l.external_id, l.state, l.asset_id, a.via FROM ops.file_links l
         LEFT JOIN core.asset_links a ON a.kind = 'drive_file' AND a.connection_id = l.connection_id AND a.external_id = l.external_id AND a.deleted_at IS NULL
        WHERE l.connection_id = $1`,
      [drive.connectionId],
    );
    const states = new Map(rows.map((r) => [r.external_id, r]));
    const files = [...drive.truth.files.values()].filter((f) => !f.trashed && !f.deleted && !f.unshared && (f.linkKind === 'explicit' || f.linkKind === 'name'));
    const onLiveItems = files.filter((f) => itemOfTask.has(f.taskGid!));
    expect(onLiveItems.length).toBeGreaterThan(30);
    const via = new Set<string>();
    for (const f of onLiveItems) {
      const got = states.get(f.fileId);
      expect({ file: f.name, state: got?.state, asset: got?.asset_id }).toEqual({ file: f.name, state: 'linked', asset: assetOf(itemOfTask.get(f.taskGid!)!) });
      via.add(got!.via ?? '');
    }
    // Both ways: a google_drive link in the item's file column, and the asset key in the file's name.
    expect([...via].sort()).toEqual(['explicit', 'name']);
    // Linked files' revisions joined the monday items' versions: one numbered list per asset.
    const { rows: nums } = await stack.db.pool.query<{ asset_id: string; numbers: number[] }>(
      `SELECT asset_id, array_agg(DISTINCT number ORDER BY number) AS numbers FROM core.versions WHERE deleted_at IS NULL AND asset_id = ANY($1::uuid[]) GROUP BY asset_id`,
      [[...new Set(onLiveItems.map((f) => assetOf(itemOfTask.get(f.taskGid!)!)))]],
    );
    for (const r of nums) expect(r.numbers).toEqual(Array.from({ length: r.numbers.length }, (_, i) => i + 1));
    expect(await count(stack, `SELECT count(*) FROM ops.file_links WHERE state = 'conflict'`)).toBe(0);
  });
});
