// The monday.com sync engine, on the same terms as the Asana and Drive ones (activities/asana.ts,
// activities/drive.ts): each call is one bounded unit of work that commits records and the cursor
// that covers them in one transaction, so a crash, a rate limit, a spent budget or a worker restart
// resumes where the last commit left off, with no gap and no duplicate.
//
// Plan:         `boards` for the configured boards (or every item board of the workspaces) and their
//               subitems boards, in one call once known; every board's stage source, columns and
//               labels are checked against what monday serves, with errors that name the config path.
//               An incremental plan's `boards` call also reads each board's updates posted since the
//               earliest window of the connection opened (one page of 100: item ids and times), kept
//               with the board for its window.
// Full crawl:   per board, `items_page` then `next_items_page` at the largest page the complexity
//               budget allows (the per-item cost learnt by an earlier page is kept); for each page: the
//               items' whole activity log (stage history, backfilled from the board's first entry),
//               their approval subitems' decision log, updates past the 25 inline ones, and the
//               emails of the users they name; normalized and committed with the page's cursor. After
//               the last page, live assets the crawl did not see are tombstoned.
// Incremental:  per board, only when `boards` says the board or its subitems board changed since the
//               window opened: its activity log since then (changed, created, archived, deleted,
//               restored items), its subitems board's decision changes, and the items updated since
//               then (a new subitem touches its parent); on every board, the updates posted since then
//               (an update does not move `updated_at`, README Behaviour 12): those the plan read, when its
//               page reached back to the window's start and was not full, else `boards.updates` paged
//               (Behaviour 28). The items named are queued and read by id like a crawl's (archived and
//               deleted ones come back with `state`: tombstones). Windows reach back `overlap` before the
//               previous one ended and close where the plan looked; upserts are idempotent. With nothing
//               changed, a sync is the plan's one call. A board whose last crawl is older than
//               `reconcile_every` is crawled again.
// Daily cap:    the account's daily call count is kept in ops.state and taken before every request; a
//               sync that would exceed it stops where it is (what was committed stays), records
//               "daily call cap reached; resumes at <time>" on the run and the connection, and the next
//               run after the reset goes on from the stored cursors.
import type { PoolClient } from 'pg';
import { stableId } from '../mapping/ids';
import { emptyBatch, mergeBatches } from '../mapping/model';
import { durationMs, roleResolver, type MondayConnectionConfig } from '../mapping/config';
import type { LimiterRegistry } from '../connectors/limiter';
import {
  AbortedRequest, BOARD_UPDATES_PAGE, ExpiredCursor, MondayClient, budgetsFor, isItemBoard, type BoardUpdatesPage, type Budgets, type ItemSelection,
} from '../connectors/monday/client';
import { ComplexityBudget, DailyCallCap, DailyCapReached, type DailyUsage } from '../connectors/monday/limits';
import { DAILY_CALLS, ITEMS_BY_IDS_MAX, UPDATES_PER_ITEM, manifest } from '../connectors/monday/manifest';
import {
  approvalColumns, assetIdOf, boardIdOf, findColumn, normalizeBoard, normalizeItem, resolveStage, userIdsIn,
  type ItemBundle, type MondayNormalizeContext, type MondayStageConfig, type MondayUser, type ResolvedStage,
} from '../connectors/monday/normalize';
import { MondayActivityLogRaw, MondayBoardRaw, PulseData, activityDataObject, statusLabelsOf, type MondayColumnRaw } from '../connectors/monday/raw';
import { CallCounter, ConnectorError } from '../connectors/types';
import { limiterFor, type ActivityDeps } from './context';
import type { Scope, StepResult } from './asana';
import {
  addRunCounts, clearSeen, commitBatch, countsOf, dequeue, deleteCursor, enqueue, getCursor, markSeen, peekQueue, setCursor,
  tombstoneUnseenAssets, withTransaction, type QueueItem,
} from './db/store';
import { invalidConfig } from './failures';

/** Items read per drain of the fetch queue: a whole items page; ids go by 100 per `items` call, logs by the batch. */
const DRAIN_BATCH = 500;
/**
 * A page needs its listing, the items' log, the subitems' log and a users lookup: with fewer calls left
 * today than this, a sync stops before the next unit of work (plan, page, window or drain).
 */
const CALLS_PER_PAGE = 4;
/** Items updated in a window, per page: a page is priced by its limit, and few items change between two syncs. */
const UPDATED_PAGE = 50;

/** A board as the plan found it: what the steps normalize against, and what gates an incremental read. */
interface BoardMeta {
  /** The board as `boards` served it (columns with their settings, groups). */
  board: unknown;
  name: string;
  subitemsBoardId: string | null;
  subitemColumns: unknown[] | null;
  /** `Board.updated_at` of the board and of its subitems board at the plan. */
  updatedAt: string | null;
  subitemsUpdatedAt: string | null;
  /** When the plan asked (before the call): an incremental window may end here at the latest. */
  fetchedAt: string;
  /**
   * The board's updates posted from `from` to the plan, as the plan of an incremental sync read them in
   * its `boards` call: [item id, created_at] of each, newest first; `full` when the page was full (older
   * ones of the window may be missing). Null (or absent, in a cursor stored before) after a full plan.
   */
  updates?: PlannedUpdates | null;
}

interface PlannedUpdates {
  from: string;
  items: [string, string | null][];
  full: boolean;
}

interface BoardList {
  boards: string[];
  /** Item board → its subitems board, learnt from the subitems column's settings. */
  subitems: Record<string, string>;
}

interface CrawlCursor {
  /** The items_page cursor of the next page; null before the first. */
  cursor: string | null;
  lastPage: boolean;
  startedAt: string;
  pages: number;
}

/** Incremental windows: the next reads what changed from `at` − overlap; `crawledAt`: when the last complete crawl began. */
interface Watermark {
  at: string;
  crawledAt: string;
}

/** Why and until when syncs of a connection stop: the daily call cap. */
interface Pause {
  runId: string;
  resumeAt: string;
  message: string;
  at: string;
}

const streams = {
  boards: 'monday:boards',
  board: (b: string) => `monday:board:${b}`,
  crawl: (b: string) => `monday:crawl:${b}`,
  changes: (b: string) => `monday:changes:${b}`,
};
const stateKeys = {
  /** DailyUsage of the account's calls, per connection (connectors/monday/limits.ts DailyCallCap). */
  calls: (c: string) => `monday:daily_calls:${c}`,
  /** The per-item complexity learnt from the last items page, so the next sync's first page is already the largest. */
  itemCost: (c: string) => `monday:item_cost:${c}`,
  pause: (c: string) => `monday:pause:${c}`,
};

const iso = (ms: number) => new Date(ms).toISOString();
const where = (deps: ActivityDeps, cfg: MondayConnectionConfig) => deps.config().connections.findIndex((c) => c.id === cfg.id);

// ---- the client of an activity, its daily count and its budgets ---------------------------------------

/** The complexity budgets of each credential, shared like its limiter by every activity of the worker. */
const budgetRegistry = new WeakMap<LimiterRegistry, Map<string, Budgets>>();

function budgetsOf(deps: Pick<ActivityDeps, 'limiters'>, cfg: MondayConnectionConfig): Budgets {
  let byKey = budgetRegistry.get(deps.limiters);
  if (!byKey) budgetRegistry.set(deps.limiters, (byKey = new Map()));
  const key = `${stableId('limiter', 'token', cfg.token)}:${cfg.token_kind}:${cfg.plan}:${cfg.complexity_per_minute ?? ''}`;
  let b = byKey.get(key);
  if (!b) {
    if (cfg.complexity_per_minute === undefined) b = budgetsFor(cfg.token_kind, cfg.plan);
    else if (cfg.token_kind === 'personal') {
      const one = new ComplexityBudget(cfg.complexity_per_minute);
      b = { read: one, write: one };
    } else b = { read: new ComplexityBudget(cfg.complexity_per_minute), write: new ComplexityBudget(cfg.complexity_per_minute) };
    byKey.set(key, b);
  }
  return b;
}

/** The daily call cap of a connection: the configured one, else the plan's. */
export function dailyCapOf(cfg: MondayConnectionConfig): number {
  return cfg.daily_call_cap ?? DAILY_CALLS[cfg.plan];
}

/**
 * One activity's monday client, with the connection's stored daily count (every call it sends is
 * counted before it is sent) and the credential's shared limiter and budgets. `flush` writes what it
 * used (calls per operation and complexity points into the run, the daily count and the per-item cost
 * into ops.state) inside the caller's transaction.
 */
export class MondaySession {
  private saved: DailyUsage;
  private savedItemCost: number | null;

  private constructor(
    readonly client: MondayClient,
    readonly cap: DailyCallCap,
    private readonly cfg: MondayConnectionConfig,
    itemCost: number | null,
  ) {
    const u = cap.toJSON();
    this.saved = { day: u.day, used: u.used };
    this.savedItemCost = itemCost;
  }

  static async open(deps: ActivityDeps, cfg: MondayConnectionConfig, abortIf?: () => boolean): Promise<MondaySession> {
    const now = () => deps.clock().getTime();
    const { rows } = await deps.db.query<{ key: string; value: Record<string, unknown> }>('SELECT key, value FROM ops.state WHERE key = ANY($1::text[])', [
      [stateKeys.calls(cfg.id), stateKeys.itemCost(cfg.id)],
    ]);
    const usage = rows.find((r) => r.key === stateKeys.calls(cfg.id))?.value as DailyUsage | undefined;
    const cost = rows.find((r) => r.key === stateKeys.itemCost(cfg.id))?.value.perItem;
    const itemCost = typeof cost === 'number' && cost > 0 ? cost : null;
    const cap = new DailyCallCap(dailyCapOf(cfg), usage && typeof usage.day === 'string' ? { day: usage.day, used: Number(usage.used) || 0 } : null, { now: now() });
    const client = new MondayClient({
      token: cfg.token,
      ...(cfg.base_url ? { baseUrl: cfg.base_url } : {}),
      limiter: limiterFor(deps, cfg),
      counter: new CallCounter(),
      apiVersion: cfg.api_version,
      plan: cfg.plan,
      tokenKind: cfg.token_kind,
      dailyCap: cap,
      budgets: budgetsOf(deps, cfg),
      ...(itemCost !== null ? { itemCost } : {}),
      now,
      ...(abortIf ? { abortIf } : {}),
    });
    return new MondaySession(client, cap, cfg, itemCost);
  }

  /** Records calls, points, the daily count and the per-item cost, in the caller's transaction. */
  async flush(tx: PoolClient, syncRunId: string, counts: Record<string, number> = {}): Promise<void> {
    const points = Object.values(this.client.points.drain()).reduce((a, b) => a + b, 0);
    await addRunCounts(tx, syncRunId, points ? { ...counts, 'complexity.points': points } : counts, this.client.counter.drain());
    const now = this.cap.toJSON();
    const delta = now.day === this.saved.day ? now.used - this.saved.used : now.used;
    if (delta !== 0 || now.day !== this.saved.day) {
      // Added to what is stored (another activity of the account may have counted meanwhile); a new day starts over.
      await tx.query(
        `INSERT INTO ops.state (key, value) VALUES ($1, jsonb_build_object('day', $2::text, 'used', $3::int, 'cap', $4::int))
         ON CONFLICT (key) DO UPDATE SET updated_at = now(), value = CASE
           WHEN ops.state.value ->> 'day' = $2 THEN jsonb_build_object('day', $2::text, 'used', coalesce((ops.state.value ->> 'used')::int, 0) + $3::int, 'cap', $4::int)
           WHEN coalesce(ops.state.value ->> 'day', '') < $2 THEN EXCLUDED.value
           ELSE ops.state.value END`,
        [stateKeys.calls(this.cfg.id), now.day, delta, now.cap],
      );
      this.saved = { day: now.day, used: now.used };
    }
    const cost = this.client.itemCost();
    if (cost !== null && cost !== this.savedItemCost) {
      await tx.query(
        `INSERT INTO ops.state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [stateKeys.itemCost(this.cfg.id), JSON.stringify({ perItem: cost })],
      );
      this.savedItemCost = cost;
    }
  }
}

/**
 * Runs an engine call. A DailyCapReached (ours, before sending; or monday's DAILY_LIMIT_EXCEEDED)
 * stops it cleanly: the pause is recorded on the run (once) and `stopped()` is returned, so the
 * workflow ends the sync with what was committed. Any other failure records the calls it made and
 * is rethrown for Temporal to retry (or not).
 */
async function guarded<T>(deps: ActivityDeps, cfg: MondayConnectionConfig, s: MondaySession, syncRunId: string, body: () => Promise<T>, stopped: () => T): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof DailyCapReached) {
      await recordPause(deps, cfg, s, syncRunId, err);
      return stopped();
    }
    await withTransaction(deps.db, (tx) => s.flush(tx, syncRunId)).catch(() => undefined);
    throw err;
  }
}

async function recordPause(deps: ActivityDeps, cfg: MondayConnectionConfig, s: MondaySession, syncRunId: string, err: DailyCapReached): Promise<void> {
  const message =
    `daily call cap reached; resumes at ${err.resumeAt}` +
    (err.source === 'client' ? ` (${err.used} of ${err.cap} calls used today, UTC)` : ' (monday.com answered DAILY_LIMIT_EXCEEDED)');
  const pause: Pause = { runId: syncRunId, resumeAt: err.resumeAt, message, at: deps.clock().toISOString() };
  const first = await withTransaction(deps.db, async (tx) => {
    const { rows } = await tx.query<{ value: Pause }>('SELECT value FROM ops.state WHERE key = $1 FOR UPDATE', [stateKeys.pause(cfg.id)]);
    const isFirst = rows[0]?.value.runId !== syncRunId;
    await tx.query(`INSERT INTO ops.state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`, [
      stateKeys.pause(cfg.id),
      JSON.stringify(isFirst ? pause : { ...rows[0]!.value }),
    ]);
    await s.flush(tx, syncRunId, isFirst ? { 'daily_cap.reached': 1 } : {});
    return isFirst;
  });
  if (first) deps.log.warn(`monday.com ${message}`, { connection: cfg.id });
}

/**
 * Stops before a unit of work the day's calls cannot finish (a page needs CALLS_PER_PAGE), rather than
 * spend calls on work that cannot be committed; what is left stays for write-back.
 */
function ensureCalls(deps: ActivityDeps, s: MondaySession): void {
  const left = s.client.callsLeftToday();
  if (left < CALLS_PER_PAGE) throw new DailyCapReached(s.client.resetsAt(), s.cap.cap, s.cap.cap - left, 'client', deps.clock().getTime());
}

/** The note a run of the connection ended with, when the daily call cap stopped it: for finishSync and `stageline status`. */
export async function mondayRunNote(db: ActivityDeps['db'], connectionId: string, syncRunId: string): Promise<string | null> {
  const { rows } = await db.query<{ value: Pause }>('SELECT value FROM ops.state WHERE key = $1', [stateKeys.pause(connectionId)]);
  const p = rows[0]?.value;
  return p && p.runId === syncRunId ? p.message : null;
}

// ---- boards: the plan ----------------------------------------------------------------------------------

/** The subitems board of an item board: the subitems column's settings name it (`boardIds`). */
function subitemsBoardOf(raw: unknown): string | null {
  const b = MondayBoardRaw.safeParse(raw);
  if (!b.success) return null;
  for (const c of b.data.columns ?? []) {
    if (c.type !== 'subtasks' || c.archived) continue;
    try {
      const s = JSON.parse(c.settings_str ?? '{}') as { boardIds?: unknown };
      const id = Array.isArray(s.boardIds) ? s.boardIds[0] : undefined;
      if (typeof id === 'number' || (typeof id === 'string' && /^\d+$/.test(id))) return String(id);
    } catch {
      // unreadable settings: no subitems board known
    }
  }
  return null;
}

const idOf = (raw: unknown): string | null => {
  const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : typeof id === 'number' ? String(id) : null;
};
const stateOf = (raw: unknown) => (raw && typeof raw === 'object' ? (raw as { state?: unknown }).state : undefined);
const updatedAtOf = (raw: unknown): string | null => {
  const u = raw && typeof raw === 'object' ? (raw as { updated_at?: unknown }).updated_at : undefined;
  return typeof u === 'string' ? u : null;
};

/**
 * The boards of the connection as monday serves them now, with their subitems boards: one `boards`
 * call when the subitems boards are known from an earlier plan, two the first time. Unknown or
 * unshared board ids are `connections.N.boards.J` problems, never an empty board.
 */
async function fetchBoards(
  s: Pick<MondaySession, 'client'>,
  cfg: MondayConnectionConfig,
  idx: number,
  known: BoardList | null,
  problems: string[],
  updatesFrom: string | null,
): Promise<{ items: unknown[]; byId: Map<string, unknown>; updates: Map<string, BoardUpdatesPage> }> {
  const byId = new Map<string, unknown>();
  const updates = new Map<string, BoardUpdatesPage>();
  const put = (list: unknown[]) => list.forEach((b) => idOf(b) && byId.set(idOf(b)!, b));
  // An incremental plan reads each board's new updates in the same call (README Behaviours 12, 25).
  const read = async (scope: { ids: string[] } | { workspaceIds: string[] }): Promise<unknown[]> => {
    if (updatesFrom === null) return s.client.boards(scope);
    const r = await s.client.boardsWithUpdates(scope, { from: updatesFrom, limit: BOARD_UPDATES_PAGE });
    for (const [id, page] of r.updates) updates.set(id, page);
    return r.boards;
  };
  const configured = cfg.boards ?? [];
  if (configured.length) {
    const subs = [...new Set(configured.map((b) => known?.subitems[b]).filter((x): x is string => typeof x === 'string'))];
    try {
      put(await read({ ids: [...configured, ...subs] }));
    } catch (err) {
      if (!(err instanceof ConnectorError && err.kind === 'not_found')) throw err;
      // Which ids? One call each, on this error path only.
      for (const [j, id] of configured.entries()) {
        try {
          put(await s.client.boards({ ids: [id] }));
        } catch (e) {
          if (!(e instanceof ConnectorError && e.kind === 'not_found')) throw e;
          problems.push(`connections.${idx}.boards.${j}: board ${id} does not exist, was deleted, or is not shared with the token of connection "${cfg.id}"`);
        }
      }
    }
  }
  if (cfg.workspaces?.length) {
    const listed = await read({ workspaceIds: cfg.workspaces });
    put(listed);
    cfg.workspaces.forEach((w, j) => {
      if (!listed.some((b) => String((b as { workspace_id?: unknown }).workspace_id) === w)) {
        problems.push(`connections.${idx}.workspaces.${j}: workspace ${w} has no board the token of connection "${cfg.id}" can see (or does not exist)`);
      }
    });
  }
  const items: unknown[] = [];
  const seen = new Set<string>();
  for (const id of [...configured, ...(cfg.workspaces?.length ? [...byId.keys()] : [])]) {
    const raw = byId.get(id);
    if (!raw || seen.has(id)) continue;
    seen.add(id);
    if (!isItemBoard(raw)) {
      const j = configured.indexOf(id);
      if (j >= 0) problems.push(`connections.${idx}.boards.${j}: board ${id} is a ${String((raw as { type?: unknown }).type)}, not a board of items (subitems are read through their parent board)`);
      continue;
    }
    if (cfg.workspaces?.length && !configured.includes(id) && !cfg.workspaces.includes(String((raw as { workspace_id?: unknown }).workspace_id))) continue;
    items.push(raw);
  }
  // Subitems boards not served yet (the first plan, or a new board): one more call.
  const missing = [...new Set(items.map(subitemsBoardOf).filter((x): x is string => x !== null && !byId.has(x)))];
  if (missing.length) {
    try {
      put(await s.client.boards({ ids: missing }));
    } catch (err) {
      if (!(err instanceof ConnectorError && err.kind === 'not_found')) throw err;
      for (const id of missing) put(await s.client.boards({ ids: [id] }).catch(() => []));
    }
  }
  return { items, byId, updates };
}

/**
 * The plan's checks against the boards monday serves now, with no database and nothing written: what
 * `stageline config check --live` runs. Its one or two `boards` calls count against the account's
 * daily calls (monday counts them) but not against the connection's stored count.
 */
export async function inspectMonday(deps: Pick<ActivityDeps, 'limiters' | 'clock'>, cfg: MondayConnectionConfig, idx: number): Promise<{ boards: number; problems: string[] }> {
  const now = () => deps.clock().getTime();
  const client = new MondayClient({
    token: cfg.token,
    ...(cfg.base_url ? { baseUrl: cfg.base_url } : {}),
    limiter: limiterFor(deps, cfg),
    counter: new CallCounter(),
    apiVersion: cfg.api_version,
    plan: cfg.plan,
    tokenKind: cfg.token_kind,
    dailyCap: new DailyCallCap(dailyCapOf(cfg), null, { now: now() }),
    budgets: budgetsOf(deps, cfg),
    now,
  });
  const problems: string[] = [];
  const { items, byId } = await fetchBoards({ client }, cfg, idx, null, problems, null);
  return { boards: items.length, problems: [...problems, ...checkBoards(cfg, idx, items, byId)] };
}

/** Every check of the configuration against the live boards, each naming the connection and the path. */
function checkBoards(cfg: MondayConnectionConfig, idx: number, items: unknown[], byId: Map<string, unknown>): string[] {
  const problems: string[] = [];
  const base = `connections.${idx}`;
  const on = (b: { id: string; name: string }) => `connection "${cfg.id}", board ${b.id} "${b.name}"`;
  const ids = new Set(items.map(idOf));
  for (const key of Object.keys(cfg.stage)) {
    if (key !== '*' && !ids.has(key)) {
      problems.push(`${base}.stage.${key}: board ${key} is not among the boards connection "${cfg.id}" syncs (${[...ids].join(', ') || 'none'})`);
    }
  }
  const columnRefs: { path: string; ref: string; type: string }[] = [];
  const c = cfg.columns ?? {};
  if (c.owner) columnRefs.push({ path: 'columns.owner', ref: c.owner, type: 'people' });
  if (c.due) columnRefs.push({ path: 'columns.due', ref: c.due, type: 'date' });
  if (c.asset_type) columnRefs.push({ path: 'columns.asset_type', ref: c.asset_type, type: '' });
  (c.files ?? []).forEach((f, j) => columnRefs.push({ path: `columns.files.${j}`, ref: f, type: 'file' }));
  const missingOn = new Map<string, string[]>();
  for (const raw of items) {
    const p = MondayBoardRaw.safeParse(raw);
    if (!p.success) {
      problems.push(`${base}: board ${idOf(raw) ?? '?'} cannot be read (${p.error.issues[0]?.message ?? 'unexpected shape'})`);
      continue;
    }
    const board = p.data;
    const key = Object.hasOwn(cfg.stage, board.id) ? board.id : '*';
    const r = resolveStage(raw, cfg.stage as MondayStageConfig, { connectionId: cfg.id, path: ['connections', idx, 'stage', key] });
    if (!r.ok) for (const i of r.issues) problems.push(`${i.path.join('.')}: ${i.message}`);
    const columns = (board.columns ?? []).filter((x) => !x.archived);
    for (const ref of columnRefs) {
      const col = findColumn(columns, ref.ref);
      if (!col) missingOn.set(ref.path, [...(missingOn.get(ref.path) ?? []), board.id]);
      else if (ref.type && col.type !== ref.type) problems.push(`${base}.${ref.path}: ${on(board)}: column "${col.title}" (${col.id}) is a ${col.type} column, not a ${ref.type} column`);
    }
    const sub = subitemsBoardOf(raw);
    const subCols = sub ? (MondayBoardRaw.safeParse(byId.get(sub)).data?.columns ?? null) : null;
    const d = cfg.decisions;
    if (d && subCols) {
      const live = subCols.filter((x) => !x.archived);
      const ap = approvalColumns(live, toDecisions(cfg));
      if (d.column && !ap.decision) problems.push(`${base}.decisions.column: ${on(board)}: its subitems have no column "${d.column}" (columns: ${live.map((x) => `"${x.title}" (${x.id})`).join(', ')})`);
      if (d.reviewer && !ap.reviewer) problems.push(`${base}.decisions.reviewer: ${on(board)}: its subitems have no column "${d.reviewer}"`);
      const col = ap.decision ? live.find((x) => x.id === ap.decision) : undefined;
      if (col && col.type !== 'status') problems.push(`${base}.decisions.column: ${on(board)}: subitem column "${col.title}" is a ${col.type} column, not a status column`);
      if (col && col.type === 'status' && d.map) {
        const labels = statusLabelsOf(col)?.map((l) => l.label) ?? null;
        for (const label of Object.keys(d.map)) {
          if (labels && !labels.includes(label)) problems.push(`${base}.decisions.map.${label}: ${on(board)}: subitem column "${col.title}" has no label "${label}" (labels: ${labels.map((l) => `"${l}"`).join(', ')})`);
        }
      }
    }
  }
  for (const ref of columnRefs) {
    const missing = missingOn.get(ref.path) ?? [];
    // A board listed by id must have the column; a workspace's boards may differ, but one of them must.
    const listed = missing.filter((b) => cfg.boards?.includes(b));
    const none = missing.length === items.length && items.length > 0;
    for (const b of none ? missing : listed) {
      const raw = MondayBoardRaw.parse(items.find((x) => idOf(x) === b));
      problems.push(`${base}.${ref.path}: ${on(raw)}: no column "${ref.ref}" (columns: ${(raw.columns ?? []).filter((x) => !x.archived && x.type !== 'name').map((x) => `"${x.title}" (${x.id})`).join(', ')})`);
    }
  }
  return problems;
}

const toDecisions = (cfg: MondayConnectionConfig) => {
  const d = cfg.decisions;
  if (!d) return undefined;
  return { ...(d.column ? { column: d.column } : {}), ...(d.reviewer ? { reviewer: d.reviewer } : {}), ...(d.map ? { map: d.map } : {}) };
};

/**
 * Finds the boards to sync, checks the configuration against them (unknown board ids, missing
 * status columns, labels or groups a board lacks: errors naming the connection and the path), and
 * keeps each board as served for the steps. One scope per item board; full when asked, when a crawl
 * is under way, when the board has never been crawled, or when its last crawl is older than
 * `reconcile_every`.
 */
export async function planMonday(deps: ActivityDeps, cfg: MondayConnectionConfig, input: { syncRunId: string; mode: 'full' | 'incremental' }): Promise<Scope[]> {
  const s = await MondaySession.open(deps, cfg);
  const idx = where(deps, cfg);
  const fetchedAt = deps.clock().toISOString();
  const known = await getCursor<BoardList>(deps.db, cfg.id, streams.boards);
  const updatesFrom = input.mode === 'incremental' ? await earliestWindow(deps, cfg, known) : null;
  const fetched = await guarded(
    deps, cfg, s, input.syncRunId,
    async () => {
      ensureCalls(deps, s);
      const problems: string[] = [];
      const r = await fetchBoards(s, cfg, idx, known, problems, updatesFrom);
      return { ...r, problems };
    },
    () => null,
  );
  if (fetched === null) {
    // The day's calls are spent: the boards of the last plan, so each scope can say so and stop.
    return scopesOf(deps, cfg, input.mode, known?.boards ?? []);
  }
  const { items, byId, updates } = fetched;
  const problems = [...fetched.problems, ...checkBoards(cfg, idx, items, byId)];
  const batch = emptyBatch();
  const list: BoardList = { boards: [], subitems: {} };
  for (const raw of items) {
    const p = normalizeBoard(raw, { connectionId: cfg.id });
    if (p.ok) batch.projects.push(p.value);
    else batch.rejected.push({ stream: 'boards', externalId: idOf(raw), issues: p.issues, raw });
  }
  await withTransaction(deps.db, async (tx) => {
    if (!problems.length) {
      for (const raw of items) {
        const id = idOf(raw)!;
        const sub = subitemsBoardOf(raw);
        const subRaw = sub ? byId.get(sub) : undefined;
        const meta: BoardMeta = {
          board: raw,
          name: String((raw as { name?: unknown }).name ?? id),
          subitemsBoardId: sub && subRaw ? sub : null,
          subitemColumns: subRaw ? ((MondayBoardRaw.safeParse(subRaw).data?.columns as unknown[] | undefined) ?? null) : null,
          updatedAt: updatedAtOf(raw),
          subitemsUpdatedAt: subRaw ? updatedAtOf(subRaw) : null,
          fetchedAt,
          updates: updatesFrom !== null && updates.has(id) ? plannedUpdates(updatesFrom, updates.get(id)!) : null,
        };
        await setCursor(tx, cfg.id, streams.board(id), meta);
        if (stateOf(raw) === 'active') list.boards.push(id);
        if (sub) list.subitems[id] = sub;
      }
      await setCursor(tx, cfg.id, streams.boards, list);
    }
    const c = await commitBatch(tx, batch, { connectionId: cfg.id, syncRunId: input.syncRunId, now: fetchedAt });
    await s.flush(tx, input.syncRunId, countsOf(c));
  });
  if (problems.length) throw invalidConfig(problems.join('; '));
  const inactive = items.filter((b) => stateOf(b) !== 'active').length;
  if (inactive) deps.log.info('monday.com boards not active are archived projects and are not read', { connection: cfg.id, boards: inactive });
  return scopesOf(deps, cfg, input.mode, list.boards);
}

/**
 * Where the earliest incremental window of the connection's boards opens (its watermark − overlap), for
 * the plan to read every board's updates from there in its `boards` call; null when no board has a
 * window yet (every board is crawled).
 */
async function earliestWindow(deps: ActivityDeps, cfg: MondayConnectionConfig, known: BoardList | null): Promise<string | null> {
  let earliest: number | null = null;
  for (const b of known?.boards ?? []) {
    const wm = await getCursor<Watermark>(deps.db, cfg.id, streams.changes(b));
    const at = wm ? Date.parse(wm.at) : NaN;
    if (Number.isFinite(at)) earliest = Math.min(earliest ?? at, at);
  }
  return earliest === null ? null : iso(earliest - durationMs(cfg.overlap));
}

/** What pull() needs of a board's updates page: the item and time of each. */
function plannedUpdates(from: string, page: BoardUpdatesPage): PlannedUpdates {
  const items: [string, string | null][] = [];
  for (const u of page.updates) {
    const rec = u as { item_id?: unknown; created_at?: unknown };
    const item = typeof rec.item_id === 'string' || typeof rec.item_id === 'number' ? String(rec.item_id) : null;
    if (item !== null) items.push([item, typeof rec.created_at === 'string' ? rec.created_at : null]);
  }
  return { from, items, full: page.full };
}

async function scopesOf(deps: ActivityDeps, cfg: MondayConnectionConfig, mode: 'full' | 'incremental', boards: string[]): Promise<Scope[]> {
  const scopes: Scope[] = [];
  const reconcile = cfg.reconcile_every ? durationMs(cfg.reconcile_every) : null;
  const now = deps.clock().getTime();
  for (const id of boards) {
    const meta = await getCursor<BoardMeta>(deps.db, cfg.id, streams.board(id));
    const crawl = await getCursor<CrawlCursor>(deps.db, cfg.id, streams.crawl(id));
    const wm = await getCursor<Watermark>(deps.db, cfg.id, streams.changes(id));
    const due = reconcile !== null && wm !== null && now - Date.parse(wm.crawledAt) >= reconcile;
    scopes.push({ id, name: meta?.name ?? id, mode: mode === 'full' || crawl !== null || wm === null || due ? 'full' : 'incremental' });
  }
  return scopes;
}

// ---- reading items -----------------------------------------------------------------------------------

interface BoardContext {
  meta: BoardMeta;
  ctx: Omit<MondayNormalizeContext, 'users'>;
  selection: ItemSelection;
  decisionColumn: string | null;
}

/** How a board's items are read and normalized, from the board the plan stored. */
async function boardContext(deps: ActivityDeps, cfg: MondayConnectionConfig, board: string): Promise<BoardContext> {
  const meta = await getCursor<BoardMeta>(deps.db, cfg.id, streams.board(board));
  if (!meta) throw invalidConfig(`connection "${cfg.id}": board ${board} was not planned (run a full sync)`);
  const idx = where(deps, cfg);
  const key = Object.hasOwn(cfg.stage, board) ? board : '*';
  const stage = resolveStage(meta.board, cfg.stage as MondayStageConfig, { connectionId: cfg.id, path: ['connections', idx, 'stage', key] });
  if (!stage.ok) throw invalidConfig(stage.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const parsed = MondayBoardRaw.parse(meta.board);
  const subitemColumns = (meta.subitemColumns ?? undefined) as MondayColumnRaw[] | undefined;
  const ap = subitemColumns ? approvalColumns(subitemColumns, toDecisions(cfg)) : { decision: null, reviewer: null };
  const wanted = [ap.decision, ap.reviewer].filter((x): x is string => x !== null);
  const c = cfg.columns;
  const columns = c ? { ...(c.owner ? { owner: c.owner } : {}), ...(c.due ? { due: c.due } : {}), ...(c.asset_type ? { assetType: c.asset_type } : {}), ...(c.files ? { files: c.files } : {}) } : undefined;
  const decisions = toDecisions(cfg);
  return {
    meta,
    decisionColumn: ap.decision,
    selection: wanted.length ? { subitemColumns: wanted } : {},
    ctx: {
      connectionId: cfg.id,
      board: { id: board, projectId: boardIdOf(cfg.id, board), columns: parsed.columns ?? [] },
      ...(subitemColumns ? { subitemColumns } : {}),
      stage: stage.value as ResolvedStage,
      rolesOf: roleResolver(deps.config()),
      ...(columns ? { columns } : {}),
      ...(decisions ? { decisions } : {}),
    },
  };
}

/** Emails and names of the users Stageline already knows for the connection, by monday user id. */
async function knownUsers(deps: ActivityDeps, connectionId: string, ids: string[]): Promise<Map<string, MondayUser>> {
  if (!ids.length) return new Map();
  const { rows } = await deps.db.query<{ external_id: string; email: string | null; name: string | null }>(
    `SELECT i.external_id, p.email, p.name FROM core.person_identities i JOIN core.persons p ON p.id = i.person_id
      WHERE i.connection_id = $1 AND i.external_id = ANY($2::text[]) AND p.email IS NOT NULL`,
    [connectionId, ids],
  );
  return new Map(rows.map((r) => [r.external_id, { email: r.email, name: r.name }]));
}

/** The item an activity-log entry is about (`data.pulse_id`), or null (a board-level entry, an unreadable one). */
function pulseIdOf(entry: unknown): string | null {
  const e = MondayActivityLogRaw.safeParse(entry);
  if (!e.success) return null;
  const data = activityDataObject(e.data);
  const p = data ? PulseData.safeParse(data) : null;
  return p?.success ? p.data.pulse_id : null;
}

/** Activity-log entries by the item they are about; null for those naming none. */
function byPulse(entries: unknown[]): Map<string | null, unknown[]> {
  const m = new Map<string | null, unknown[]>();
  for (const e of entries) {
    const id = pulseIdOf(e);
    const list = m.get(id);
    if (list) list.push(e);
    else m.set(id, [e]);
  }
  return m;
}

const boardOfItem = (raw: unknown): string | null => idOf(raw && typeof raw === 'object' ? (raw as { board?: unknown }).board : null);
const subitemIdsOf = (raw: unknown): string[] => {
  const subs = raw && typeof raw === 'object' ? (raw as { subitems?: unknown }).subitems : undefined;
  return Array.isArray(subs) ? subs.map(idOf).filter((x): x is string => x !== null) : [];
};

async function settle<T extends readonly unknown[]>(work: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const r = await Promise.allSettled(work);
  const failed = r.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw failed.reason;
  return r.map((x) => (x as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * Reads what the items need besides their payload — their whole activity log (stage history from
 * the first entry: `activityComplete`), their subitems' decision log, updates past the inline ones,
 * the emails of the users they name — and normalizes them into one batch. Payloads missing from
 * `items` are read by id (≤ 100 per call); ids monday no longer returns at all are tombstoned; items
 * of another board (a subitem, an item moved away) are left out and counted.
 */
async function readItems(
  deps: ActivityDeps,
  cfg: MondayConnectionConfig,
  s: MondaySession,
  bc: BoardContext,
  items: { id: string; raw?: unknown }[],
): Promise<{ batch: ReturnType<typeof emptyBatch>; counts: Record<string, number>; done: string[] }> {
  const board = bc.ctx.board.id;
  const now = deps.clock().toISOString();
  const payloads = new Map<string, unknown>();
  for (const it of items) if (it.raw !== undefined) payloads.set(it.id, it.raw);
  const need = items.filter((i) => !payloads.has(i.id)).map((i) => i.id);
  for (let i = 0; i < need.length; i += ITEMS_BY_IDS_MAX) {
    for (const raw of await s.client.itemsByIds(need.slice(i, i + ITEMS_BY_IDS_MAX), bc.selection)) {
      const id = idOf(raw);
      if (id !== null) payloads.set(id, raw);
    }
  }
  const counts: Record<string, number> = {};
  const bump = (k: string, n = 1) => n && (counts[k] = (counts[k] ?? 0) + n);
  const gone = need.filter((id) => !payloads.has(id));
  const own: [string, unknown][] = [];
  for (const [id, raw] of payloads) {
    const b = boardOfItem(raw);
    if (b !== null && b !== board) bump('monday.other_board');
    else own.push([id, raw]);
  }
  const ids = own.map(([id]) => id);
  const subIds = [...new Set(own.flatMap(([, raw]) => subitemIdsOf(raw)))];
  const truncated = own.filter(([, raw]) => {
    const u = (raw as { updates?: unknown }).updates;
    return Array.isArray(u) && u.length >= UPDATES_PER_ITEM;
  });
  const [activity, subitemActivity, moreUpdates] = await settle<[unknown[], unknown[], [string, unknown[]][]]>([
    ids.length ? s.client.allActivityLogs(board, { itemIds: ids }) : Promise.resolve([]),
    subIds.length && bc.meta.subitemsBoardId && bc.decisionColumn
      ? s.client.allActivityLogs(bc.meta.subitemsBoardId, { itemIds: subIds, columnIds: [bc.decisionColumn] })
      : Promise.resolve([]),
    Promise.all(
      truncated.map(async ([id]): Promise<[string, unknown[]]> => {
        const all: unknown[] = [];
        let cursor: string | null = null;
        do {
          const page = await s.client.itemUpdates(id, cursor);
          all.push(...page.updates);
          cursor = page.cursor;
        } while (cursor);
        return [id, all];
      }),
    ),
  ]);
  // The logs are read once for the whole batch: each item gets its own entries and its subitems'
  // (picked out by pulse id), so a page costs one parse per entry, not one per entry and item.
  // Entries naming no item (board-level events, unreadable ones) go to the first item alone, so an
  // unreadable one is rejected once and a board-level one is ignored once.
  const logOf = byPulse(activity);
  const subLogOf = byPulse(subitemActivity);
  const updatesOf = new Map(moreUpdates);
  const bundles: ItemBundle[] = own.map(([id, raw], i) => ({
    item: raw,
    activity: [...(i === 0 ? logOf.get(null) ?? [] : []), ...(logOf.get(id) ?? [])],
    activityComplete: true,
    subitemActivity: [...(i === 0 ? subLogOf.get(null) ?? [] : []), ...subitemIdsOf(raw).flatMap((sub) => subLogOf.get(sub) ?? [])],
    ...(updatesOf.has(id) ? { updates: updatesOf.get(id)!, updatesComplete: true } : {}),
  }));
  const userIds = [...new Set(bundles.flatMap(userIdsIn))];
  const users = await knownUsers(deps, cfg.id, userIds);
  const missing = userIds.filter((u) => !users.has(u));
  if (missing.length) {
    for (const u of await s.client.users(missing)) {
      const id = idOf(u);
      const rec = u as { email?: unknown; name?: unknown };
      if (id !== null) users.set(id, { email: typeof rec.email === 'string' ? rec.email : null, name: typeof rec.name === 'string' ? rec.name : null });
    }
  }
  const ctx: MondayNormalizeContext = { ...bc.ctx, users };
  const batch = emptyBatch();
  for (const b of bundles) {
    const { batch: one, report } = normalizeItem(b, ctx);
    mergeBatches(batch, one);
    if (report.unmappedStatus !== null) bump('monday.unmapped_status');
    bump('monday.ignored_subitems', report.ignoredSubitems);
    bump('monday.unknown_users', report.unknownUsers.length);
    bump('monday.skipped_files', report.skippedFiles);
  }
  if (gone.length) batch.tombstones.push({ kind: 'asset', ids: gone.map((g) => assetIdOf(cfg.id, g)), at: now });
  bump('tasks', own.length);
  return { batch, counts, done: [...ids, ...gone, ...[...payloads.keys()].filter((id) => !ids.includes(id))] };
}

// ---- steps -------------------------------------------------------------------------------------------

const idle = (): StepResult => ({ done: true, tasks: 0, records: 0, rejected: 0, apiCalls: 0 });

/**
 * One unit of work on a board: drain what the incremental pull queued, else (full mode) read the
 * next items page. `done` once the queue is empty and the crawl (if any) has finished, or when the
 * daily call cap stops the sync.
 */
export async function stepMonday(deps: ActivityDeps, cfg: MondayConnectionConfig, input: { syncRunId: string; scope: Scope }): Promise<StepResult> {
  const board = input.scope.id;
  const s = await MondaySession.open(deps, cfg);
  return guarded(deps, cfg, s, input.syncRunId, () => step(deps, cfg, s, input.syncRunId, board, input.scope.mode), idle);
}

async function step(deps: ActivityDeps, cfg: MondayConnectionConfig, s: MondaySession, syncRunId: string, board: string, mode: Scope['mode']): Promise<StepResult> {
  const queued = await peekQueue(deps.db, cfg.id, board, DRAIN_BATCH);
  if (queued.length) return drain(deps, cfg, s, syncRunId, board, queued);
  if (mode === 'incremental') return idle();

  const crawl = await getCursor<CrawlCursor>(deps.db, cfg.id, streams.crawl(board));
  const now = deps.clock().toISOString();
  if (crawl?.lastPage) {
    // Every page is committed: what the crawl did not see is gone (archived, deleted, moved away).
    const tombstoned = await withTransaction(deps.db, async (tx) => {
      const n = await tombstoneUnseenAssets(tx, cfg.id, board, boardIdOf(cfg.id, board), now);
      await deleteCursor(tx, cfg.id, streams.crawl(board));
      // The next incremental window opens where this crawl began (minus the overlap).
      await setCursor(tx, cfg.id, streams.changes(board), { at: crawl.startedAt, crawledAt: crawl.startedAt } satisfies Watermark);
      await addRunCounts(tx, syncRunId, n ? { tombstoned: n } : {}, {});
      return n;
    });
    deps.log.info('monday.com crawl finished', { connection: cfg.id, board, tombstoned });
    return { done: true, tasks: 0, records: tombstoned, rejected: 0, apiCalls: 0 };
  }

  const bc = await boardContext(deps, cfg, board);
  const cursor: CrawlCursor = crawl ?? { cursor: null, lastPage: false, startedAt: now, pages: 0 };
  if (!crawl) await withTransaction(deps.db, (tx) => clearSeen(tx, cfg.id, board));
  ensureCalls(deps, s);
  let page;
  try {
    page = cursor.cursor ? await s.client.nextItemsPage(cursor.cursor, undefined, bc.selection) : await s.client.itemsPage(board, { ...bc.selection, ...(await firstPageLimit(deps, cfg, s, board)) });
  } catch (err) {
    // Cursors live about an hour (README Behaviour 11): the board's listing starts again from page one,
    // keeping what it saw; content hashes make the repeated pages free to write.
    if (!(err instanceof ExpiredCursor && cursor.cursor)) throw err;
    deps.log.warn('monday.com items cursor refused; restarting the board', { connection: cfg.id, board });
    await withTransaction(deps.db, async (tx) => {
      await setCursor(tx, cfg.id, streams.crawl(board), { ...cursor, cursor: null } satisfies CrawlCursor);
      await s.flush(tx, syncRunId, { 'crawl.cursor_expired': 1 });
    });
    return { done: false, tasks: 0, records: 0, rejected: 0, apiCalls: 1 };
  }
  // The page and its cursor are committed first, the items queued with their payloads: if reading
  // what they need fails (a 429 on the activity log), the retry drains the queue instead of paying for
  // the page again (a page of 500 is most of a minute's complexity budget).
  const items: QueueItem[] = [];
  const batch = emptyBatch();
  for (const raw of page.items) {
    const id = idOf(raw);
    if (id === null) batch.rejected.push({ stream: 'items', externalId: null, issues: [{ code: 'invalid_type', path: ['id'], message: 'an item without an id' }], raw });
    else items.push({ externalId: id, needs: ['item'], detail: { item: raw } });
  }
  const next: CrawlCursor = { cursor: page.cursor, lastPage: page.cursor === null, startedAt: cursor.startedAt, pages: cursor.pages + 1 };
  await withTransaction(deps.db, async (tx) => {
    await enqueue(tx, cfg.id, board, items);
    await markSeen(tx, cfg.id, board, items.map((i) => i.externalId));
    await setCursor(tx, cfg.id, streams.crawl(board), next);
    const c = batch.rejected.length ? await commitBatch(tx, batch, { connectionId: cfg.id, syncRunId, now }) : null;
    await s.flush(tx, syncRunId, { ...(c ? countsOf(c) : {}), pages: 1 });
  });
  deps.heartbeat?.({ board, pages: next.pages });
  const drained = items.length ? await drain(deps, cfg, s, syncRunId, board, items) : { done: false, tasks: 0, records: 0, rejected: 0, apiCalls: 0 };
  return { ...drained, done: false, rejected: drained.rejected + batch.rejected.length, apiCalls: drained.apiCalls + 1 };
}

/**
 * The first page of a board crawled before: no larger than the board was then (with room to grow).
 * monday prices a page by its limit, not by what it returns (README Behaviour 4), so a small board read
 * at the largest page would spend the minute's budget on items that are not there. A board never
 * crawled gets the largest page the budget allows.
 */
async function firstPageLimit(deps: ActivityDeps, cfg: MondayConnectionConfig, s: MondaySession, board: string): Promise<{ limit?: number }> {
  const { rows } = await deps.db.query<{ n: string }>('SELECT count(*) AS n FROM core.assets WHERE connection_id = $1 AND project_id = $2 AND deleted_at IS NULL', [
    cfg.id,
    boardIdOf(cfg.id, board),
  ]);
  const known = Number(rows[0]?.n ?? 0);
  if (known === 0) return {};
  return { limit: Math.min(s.client.itemsLimit(), manifest.pageSize.max, Math.ceil(known * 1.2) + 20) };
}

/** Reads and commits queued items (a crawl's page, or an incremental window's changes) with their dequeue, in one transaction. */
async function drain(deps: ActivityDeps, cfg: MondayConnectionConfig, s: MondaySession, syncRunId: string, board: string, queued: QueueItem[]): Promise<StepResult> {
  ensureCalls(deps, s);
  const bc = await boardContext(deps, cfg, board);
  const now = deps.clock().toISOString();
  const read = await readItems(deps, cfg, s, bc, queued.map((q) => ({ id: q.externalId, ...(q.detail?.item !== undefined ? { raw: q.detail.item } : {}) })));
  const calls = s.client.counter.total;
  const counts = await withTransaction(deps.db, async (tx) => {
    const c = await commitBatch(tx, read.batch, { connectionId: cfg.id, syncRunId, now });
    await dequeue(tx, cfg.id, board, queued.map((q) => q.externalId));
    await s.flush(tx, syncRunId, { ...countsOf(c), ...read.counts });
    return c;
  });
  deps.heartbeat?.({ board, drained: queued.length });
  const records = Object.values(counts.records).reduce((n, r) => n + r.inserted + r.updated + r.unchanged, 0);
  return { done: false, tasks: read.counts.tasks ?? 0, records, rejected: counts.rejected, apiCalls: calls };
}

// ---- incremental ---------------------------------------------------------------------------------------

/**
 * Finds what changed on a board since its window opened and queues those items (read by the steps,
 * as a crawl reads them). `recrawl: true` when the board has never been crawled.
 */
export async function pullMondayChanges(deps: ActivityDeps, cfg: MondayConnectionConfig, input: { syncRunId: string; scope: Scope }): Promise<{ recrawl: boolean; queued: number; events: number }> {
  const board = input.scope.id;
  const wm = await getCursor<Watermark>(deps.db, cfg.id, streams.changes(board));
  if (!wm) return { recrawl: true, queued: 0, events: 0 };
  const s = await MondaySession.open(deps, cfg);
  return guarded(deps, cfg, s, input.syncRunId, () => pull(deps, cfg, s, input.syncRunId, board, wm), () => ({ recrawl: false, queued: 0, events: 0 }));
}

async function pull(deps: ActivityDeps, cfg: MondayConnectionConfig, s: MondaySession, syncRunId: string, board: string, wm: Watermark): Promise<{ recrawl: boolean; queued: number; events: number }> {
  const bc = await boardContext(deps, cfg, board);
  const meta = bc.meta;
  const startedAt = deps.clock().toISOString();
  const from = iso(Date.parse(wm.at) - durationMs(cfg.overlap));
  const after = (t: string | null) => t === null || !Number.isFinite(Date.parse(t)) || Date.parse(t) >= Date.parse(from);
  // The window closes where the plan looked at the boards: a change after that is in the next window.
  const closes = Date.parse(meta.fetchedAt) < Date.parse(startedAt) ? meta.fetchedAt : startedAt;
  const ids = new Map<string, Record<string, unknown>>();
  const want = (id: string, detail: Record<string, unknown> = {}) => ids.set(id, { ...ids.get(id), ...detail });
  const counts: Record<string, number> = {};
  let events = 0;

  // The board or its subitems board changed since the window opened (`Board.updated_at`, README
  // Behaviour 25): its log names the items; its subitems board's log the approval rounds decided.
  const boardChanged = after(meta.updatedAt);
  const subChanged = meta.subitemsBoardId !== null && after(meta.subitemsUpdatedAt);
  // The updates the plan read in its `boards` call answer for this window when they reach back to its
  // start and the page was not full (README Behaviour 28); the window closes at the plan (`closes`),
  // so what was posted after the plan is in the next window.
  const planned = meta.updates ?? null;
  const fromPlan = planned !== null && !planned.full && Date.parse(planned.from) <= Date.parse(from);
  if (boardChanged || subChanged || !fromPlan) ensureCalls(deps, s);
  if (boardChanged || subChanged) {
    const [log, subLog] = await settle<[unknown[], unknown[]]>([
      s.client.allActivityLogs(board, { from }),
      subChanged && bc.decisionColumn ? s.client.allActivityLogs(meta.subitemsBoardId!, { from, columnIds: [bc.decisionColumn] }) : Promise.resolve([]),
    ]);
    events += log.length + subLog.length;
    for (const e of log) {
      const id = pulseIdOf(e);
      if (id !== null) want(id);
    }
    const subitems = new Set(subLog.map(pulseIdOf).filter((x): x is string => x !== null));
    if (subitems.size) {
      // Approval rounds decided: their parents, as stored.
      const { rows } = await deps.db.query<{ external_id: string; sub: string }>(
        `SELECT a.external_id, sub ->> 'id' AS sub FROM core.assets a, jsonb_array_elements(coalesce(a.raw -> 'subitems', '[]'::jsonb)) AS sub
          WHERE a.connection_id = $1 AND a.project_id = $2 AND sub ->> 'id' = ANY($3::text[])`,
        [cfg.id, boardIdOf(cfg.id, board), [...subitems]],
      );
      for (const r of rows) want(r.external_id);
      if (new Set(rows.map((r) => r.sub)).size < subitems.size) {
        // A round on a subitem not seen before: creating it touched its parent's `updated_at` without
        // an entry in the parent board's log, so the items updated since the window opened name it.
        // Small pages: a page is priced by its limit, and few items change in a window.
        let page = await s.client.updatedItemsSince(board, from, { ...bc.selection, limit: Math.min(UPDATED_PAGE, s.client.itemsLimit()) });
        for (;;) {
          for (const raw of page.items) if (idOf(raw)) want(idOf(raw)!, { item: raw });
          if (!page.cursor) break;
          page = await s.client.nextItemsPage(page.cursor, Math.min(UPDATED_PAGE, s.client.itemsLimit()), bc.selection);
        }
        counts['monday.new_subitems'] = subitems.size - new Set(rows.map((r) => r.sub)).size;
      }
    }
  } else counts['monday.boards_unchanged'] = 1;

  // Updates (comments) posted since the window opened: they leave `updated_at` alone (Behaviour 12).
  if (fromPlan) {
    // monday serves `created_at` to the second: compared from the second the window opens in, so an
    // update in that second is kept (the windows overlap anyway, and upserts are idempotent).
    const opens = Math.floor(Date.parse(from) / 1000) * 1000;
    for (const [item, at] of planned.items) {
      const t = at === null ? NaN : Date.parse(at);
      if (Number.isFinite(t) && t < opens) continue;
      events++;
      want(item);
    }
    counts['monday.updates_from_plan'] = 1;
  } else {
    for (let p = 1; ; p++) {
      const updates = await s.client.boardUpdates(board, { from, limit: BOARD_UPDATES_PAGE, page: p });
      events += updates.length;
      for (const u of updates) {
        const item = (u as { item_id?: unknown }).item_id;
        if (typeof item === 'string' || typeof item === 'number') want(String(item));
      }
      if (updates.length < BOARD_UPDATES_PAGE) break;
    }
  }

  const items: QueueItem[] = [...ids].map(([externalId, detail]) => ({ externalId, needs: ['item'], detail }));
  await withTransaction(deps.db, async (tx) => {
    await enqueue(tx, cfg.id, board, items);
    await setCursor(tx, cfg.id, streams.changes(board), { at: closes, crawledAt: wm.crawledAt } satisfies Watermark);
    await s.flush(tx, syncRunId, { ...counts, events, queued: items.length });
  });
  return { recrawl: false, queued: items.length, events };
}

export { manifest as mondayManifest, AbortedRequest };
