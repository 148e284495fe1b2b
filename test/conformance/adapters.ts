// How the one conformance suite (connectors.unit.test.ts, STYLE.md §4) drives each connector and its
// simulator. An adapter only translates: it starts the simulator, builds the connector's own client
// and writer from the map in connectors/index.ts, and reaches into the simulator's control surface
// for what a test needs to arrange (a revoked token, a 429, a deletion). The cases and their
// assertions live in the suite, the same for every connector.
import { connectors, type ConnectorId } from '../../connectors/index';
import { RateLimiter } from '../../connectors/limiter';
import { AsanaTaskRaw } from '../../connectors/asana/raw';
import { CF, SIM_DEFAULT_TOKEN, type AsanaSimulator } from '../../connectors/asana/simulator';
import { customFieldWriteForm, type CustomFieldWrites } from '../../connectors/asana/writeback';
import { DriveFileRaw } from '../../connectors/drive/raw';
import type { DriveSimulator } from '../../connectors/drive/simulator';
import type { MondayClient } from '../../connectors/monday/client';
import type { MondaySimulatorControl } from '../../connectors/monday/simulator';
import { approvalColumns, resolveStage, userIdsIn, type ItemBundle, type MondayUser } from '../../connectors/monday/normalize';
import { MondayBoardRaw, type MondayColumnRaw } from '../../connectors/monday/raw';
import { columnWriteForm, type ColumnWrite, type MondayWriter } from '../../connectors/monday/writeback';
import { decodeRowsCursor, encodeRowsCursor } from '../../connectors/notion/client';
import { resolveStage as resolveNotionStage, type NotionUser } from '../../connectors/notion/normalize';
import { NotionUserRaw, type NotionDataSourceRaw } from '../../connectors/notion/raw';
import { ERROR_CODES, PROPERTY_NAMES as NOTION_PROPERTIES, SIM_DEFAULT_TOKEN as SIM_NOTION_TOKEN, STATUS_OF, type NotionErrorCode, type NotionSimulatorControl } from '../../connectors/notion/simulator';
import { propertyWriteForm, type PropertyWrites } from '../../connectors/notion/writeback';
import { stableId } from '../../mapping/ids';
import type { Batch, Normalized, Project } from '../../mapping/model';

export const CASES = ['auth_revoked', 'rate_limited', 'pagination', 'resume', 'deletion', 'schema', 'writeback'] as const;
export type CaseName = (typeof CASES)[number];

export interface RecordRef {
  id: string;
  raw: unknown;
}

export interface ListPage {
  records: RecordRef[];
  /** The opaque cursor of the next page, as the engine stores it; null after the last page. */
  next: string | null;
}

/** A connector's read client, reduced to what the cases need. Errors are the client's own ConnectorErrors. */
export interface ConformanceClient {
  /** A cheap authenticated read (who am I). */
  probe(): Promise<unknown>;
  /** The containers (projects, boards, databases) the token can see. */
  containers(): Promise<RecordRef[]>;
  /** One page of a container's records; `pageSize` null: the client's default. */
  listPage(container: string, cursor: string | null, pageSize: number | null): Promise<ListPage>;
  /** One record by id, as a single-record GET. */
  fetchRecord(id: string): Promise<unknown>;
  /** Every child list the engine can fetch for a record (comments, files, sub-records), whole. */
  fetchChildren(record: RecordRef): Promise<unknown>;
}

/** Write-back on one writable field set, in the vendor's write form. */
export interface ConformanceWriter {
  /** The record's current values of its writable fields, read through the API. */
  current(recordId: string): Promise<Record<string, unknown>>;
  /** Sets `values`, skipping the call when `current` already holds them; true when a write was sent. */
  set(recordId: string, values: Record<string, unknown>, current: Record<string, unknown>): Promise<boolean>;
}

export interface RunningSimulator {
  baseUrl: string;
  /** A token the simulator accepts. */
  token: string;
  /** The connector's client with a token (default: `token`) and a rate (default SIMULATOR_PER_MINUTE) or a limiter to share. */
  client(opts?: { token?: string; perMinute?: number; limiter?: RateLimiter }): ConformanceClient;
  writer(opts?: { limiter?: RateLimiter }): ConformanceWriter;
  /** A new token that works until revoked. */
  issueToken(): string;
  revokeToken(token: string): void;
  /** The next request answers `status` (with a Retry-After in seconds if given). */
  injectFault(fault: { status: number; retryAfterSeconds?: number }): void;
  calls(): { total: number; earlyRetries: number; writes: number };
  /** Deletes a record as a user would in the vendor's UI. */
  deleteRecord(id: string): void;
  /** The simulator's ground truth: the live record ids of a container, in listing order. */
  truthIds(container: string): string[];
  normalizeContainer(raw: unknown): Normalized<Project>;
  normalizeRecord(container: string, record: RecordRef, children: unknown): Batch;
  /** A record and writable values that differ from what it holds now. */
  writeTarget(): { recordId: string; values: Record<string, unknown> };
  stop(): Promise<void>;
}

export interface ConformanceAdapter {
  id: ConnectorId;
  /** A page size the client can ask for, to make many pages from a small dataset; null when the vendor fixes it. */
  smallPageSize: number | null;
  /** A fresh simulator (one per case, so cases never see each other's edits) with two containers. */
  start(opts: { seed: string; perContainer: number }): Promise<RunningSimulator>;
  /** A case this connector cannot run, with the written reason why. Nothing else may skip. */
  skips: Partial<Record<CaseName, string>>;
}

// ---- Asana ----------------------------------------------------------------------------------------

/** The pace of a client when a case does not ask for one: a simulator on 127.0.0.1 is not rate limited. */
export const SIMULATOR_PER_MINUTE = 600_000;

const gidOf = (raw: unknown): string => {
  const gid = raw && typeof raw === 'object' ? (raw as { gid?: unknown }).gid : undefined;
  if (typeof gid !== 'string') throw new TypeError(`a record without a gid: ${JSON.stringify(raw)}`);
  return gid;
};

const asana: ConformanceAdapter = {
  id: 'asana',
  smallPageSize: 7,
  skips: {},
  async start({ seed, perContainer }) {
    const mod = connectors.asana;
    const sim: AsanaSimulator = await mod.simulator({ generate: { seed, tasks: perContainer * 2, projects: 2 } });
    const { baseUrl } = await sim.start();
    const c = sim.control;
    const workspace = c.dataset.workspace.gid;
    const concurrency = mod.manifest.rateLimit.concurrency.read;
    // Without a rate, pace for a local simulator (not the vendor's 1,500/min, which would make a
    // workspace walk take minutes); the rate-limit case passes the manifest's rate itself.
    const limiterFor = (o: { perMinute?: number; limiter?: RateLimiter }) => o.limiter ?? new RateLimiter(o.perMinute ?? SIMULATOR_PER_MINUTE, concurrency);
    let issued = 0;

    const client = (o: { token?: string; perMinute?: number; limiter?: RateLimiter } = {}): ConformanceClient => {
      const api = mod.client({ token: o.token ?? SIM_DEFAULT_TOKEN, baseUrl, limiter: limiterFor(o) });
      return {
        probe: () => api.me(),
        containers: async () => (await api.listProjects(workspace)).map((raw) => ({ id: gidOf(raw), raw })),
        async listPage(container, cursor, pageSize) {
          const page = await api.tasksPage(container, { offset: cursor, ...(pageSize !== null ? { limit: pageSize } : {}) });
          return { records: page.data.map((raw) => ({ id: gidOf(raw), raw })), next: page.nextOffset };
        },
        fetchRecord: (id) => api.task(id),
        // Everything a task can have fetched with it; the engine fetches less (README: attachments only
        // after an attachment_added story, subtasks only when num_subtasks > 0), never more.
        async fetchChildren(record) {
          const [stories, attachments, subs] = await Promise.all([api.stories(record.id), api.attachments(record.id), api.subtasks(record.id)]);
          const subtasks = await Promise.all(
            subs.map(async (s) => ((s as { resource_subtype?: string }).resource_subtype === 'approval' ? { task: s, stories: await api.stories(gidOf(s)) } : { task: s })),
          );
          return { stories, attachments, subtasks };
        },
      };
    };

    const reader = client();
    return {
      baseUrl,
      token: SIM_DEFAULT_TOKEN,
      client,
      writer(o = {}) {
        const w = mod.writer({ token: SIM_DEFAULT_TOKEN, baseUrl, limiter: limiterFor(o) });
        return {
          current: async (id) => customFieldWriteForm(AsanaTaskRaw.parse(await reader.fetchRecord(id))),
          set: (id, values, current) => w.setCustomFields(id, values as CustomFieldWrites, current as CustomFieldWrites),
        };
      },
      issueToken() {
        const token = `conformance-${++issued}`;
        c.addToken(token, c.dataset.users[1]!.gid);
        return token;
      },
      revokeToken: (token) => c.revokeToken(token),
      injectFault: (f) => c.injectFaults({ status: f.status, times: 1, ...(f.retryAfterSeconds !== undefined ? { retryAfterSeconds: f.retryAfterSeconds } : {}) }),
      calls() {
        const s = c.calls();
        const writes = Object.entries(s.byRoute).filter(([route]) => !route.startsWith('GET ')).reduce((n, [, k]) => n + k, 0);
        return { total: s.total, earlyRetries: s.earlyRetries, writes };
      },
      deleteRecord: (id) => c.deleteTask(id),
      truthIds: (container) => (c.dataset.projects.find((p) => p.gid === container)?.tasks ?? []).map((t) => t.gid),
      normalizeContainer: (raw) => mod.normalize.project(raw, { connectionId: 'conformance-asana' }),
      normalizeRecord(container, record, children) {
        const ch = children as { stories: unknown[]; attachments: unknown[]; subtasks: { task: unknown; stories?: unknown[] }[] };
        return mod.normalize.taskBundle(
          { task: record.raw, ...ch },
          {
            connectionId: 'conformance-asana',
            project: { gid: container, id: stableId('conformance-asana', 'asana_project', container) },
            stage: { source: { from: 'section' }, map: c.truth.defaultStageMap },
            rolesOf: (email) => {
              const u = email ? c.dataset.users.find((x) => x.email === email.toLowerCase()) : undefined;
              return u ? [u.role] : [];
            },
          },
        );
      },
      writeTarget() {
        // The "Asset type" enum: an option gid that the task does not hold now (vendor-apis.md §1.6).
        const project = c.dataset.projects[0]!;
        const task = project.tasks.find((t) => t.subtype === 'default_task')!;
        const field = project.settings[CF.assetType]!.field;
        const now = task.values[CF.assetType] as { gid?: string } | null;
        const option = field.options.find((o) => o.enabled && o.gid !== now?.gid)!;
        return { recordId: task.gid, values: { [field.gid]: option.gid } };
      },
      stop: () => sim.stop(),
    };
  },
};

// ---- Google Drive -----------------------------------------------------------------------------------

const idOf = (raw: unknown): string => {
  const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
  if (typeof id !== 'string') throw new TypeError(`a record without an id: ${JSON.stringify(raw)}`);
  return id;
};

/**
 * The containers are what a Drive connection is configured with: the shared drive (listed whole,
 * `corpora=drive`) and the My Drive hand-off folder (its direct children, `'…' in parents`). The
 * records are files and folders; a record's children are its revisions and comments; write-back
 * is appProperties.
 */
const googleDrive: ConformanceAdapter = {
  id: 'drive',
  smallPageSize: 7,
  skips: {
    rate_limited:
      'Drive answers quota excess with 403 userRateLimitExceeded or 429 rateLimitExceeded and no Retry-After (it documents exponential backoff), ' +
      'and its simulator cannot add one to a fault, so "waits 2000 ms as told" has nothing to wait for. ' +
      'connectors/drive/client.unit.test.ts covers both quota forms (rate_limited with no retryAfterMs, the shared limiter paused) and a Retry-After from a stub server.',
    schema:
      'the case counts Assets, Versions, Decisions and StageTransitions, and Drive yields none: its records are StoredFiles with FileRevisions and FileComments, ' +
      'which become Versions and Comments only when mapping/linking.ts links a file to an asset. ' +
      'connectors/drive/client.unit.test.ts normalizes every file of a simulated Drive (revisions and comments fetched) against StoredFile, FileRevision, FileComment and Person, with zero rejections.',
  },
  async start({ seed, perContainer }) {
    const mod = connectors.drive;
    const sim: DriveSimulator = await mod.simulator({ generate: { seed, tasks: perContainer * 2, projects: 2 } });
    const { baseUrl } = await sim.start();
    const c = sim.control;
    const sharedDriveId = c.sharedDriveId;
    const limiterFor = (o: { perMinute?: number; limiter?: RateLimiter }) => o.limiter ?? new RateLimiter(o.perMinute ?? SIMULATOR_PER_MINUTE, 10);
    let issued = 0;

    const client = (o: { token?: string; perMinute?: number; limiter?: RateLimiter } = {}): ConformanceClient => {
      const api = mod.client({ token: o.token ?? c.defaultToken, baseUrl, limiter: limiterFor(o) });
      return {
        probe: () => api.about(),
        containers: async () => [
          { id: sharedDriveId, raw: await api.getDrive(sharedDriveId) },
          ...(await Promise.all(c.rootFolderIds.filter((id) => id !== sharedDriveId).map(async (id) => ({ id, raw: await api.getFile(id) })))),
        ],
        async listPage(container, cursor, pageSize) {
          const size = pageSize ?? undefined;
          const page = container === sharedDriveId ? await api.listDriveFiles(container, cursor, size) : await api.listChildren([container], cursor, size);
          return { records: page.files.map((raw) => ({ id: idOf(raw), raw })), next: page.nextPageToken };
        },
        fetchRecord: (id) => api.getFile(id),
        async fetchChildren(record) {
          const [revisions, comments] = await Promise.all([api.revisions(record.id), api.comments(record.id)]);
          return { revisions, comments };
        },
      };
    };

    const reader = client();
    return {
      baseUrl,
      token: c.defaultToken,
      client,
      writer(o = {}) {
        const w = mod.writer({ token: c.defaultToken, baseUrl, limiter: limiterFor(o) });
        return {
          current: async (id) => DriveFileRaw.parse(await reader.fetchRecord(id)).appProperties ?? {},
          set: (id, values, current) => w.setAppProperties(id, values as Record<string, string | null>, current as Record<string, string>),
        };
      },
      issueToken() {
        const token = `conformance-${++issued}`;
        c.addToken(token, c.dataset.people.find((p) => p.email !== c.dataset.bot.email)!.email);
        return token;
      },
      revokeToken: (token) => c.revokeToken(token),
      injectFault(f) {
        if (f.retryAfterSeconds !== undefined) throw new Error('the Drive simulator sends no Retry-After (see skips.rate_limited)');
        c.injectFaults({ status: f.status, times: 1 });
      },
      calls() {
        const s = c.calls();
        const writes = Object.entries(s.byRoute).filter(([route]) => !route.startsWith('GET ')).reduce((n, [, k]) => n + k, 0);
        // No Retry-After is ever sent, so no retry can come before it: nothing to count.
        return { total: s.total, earlyRetries: 0, writes };
      },
      // Permanent deletion (404 from then on); trashing keeps the file readable and is a StoredFile flag.
      deleteRecord: (id) => c.deleteFile(id),
      truthIds(container) {
        const live = c.dataset.files.filter((f) => !f.deleted && !f.hidden && !f.isRoot && !f.trashed);
        const inContainer = container === sharedDriveId ? live.filter((f) => f.driveId === sharedDriveId) : live.filter((f) => f.parents[0] === container);
        return inContainer.sort((a, b) => a.seq - b.seq).map((f) => f.id);
      },
      normalizeContainer: () => ({
        ok: false,
        issues: [{ code: 'not_applicable', path: [], message: 'Drive containers are a shared drive and folders (StoredFiles), not Projects; see skips.schema' }],
      }),
      normalizeRecord: (_container, record, children) =>
        mod.normalize.fileBundle({ file: record.raw, ...(children as { revisions: unknown[]; comments: unknown[] }) }, { connectionId: 'conformance-drive' }),
      writeTarget() {
        const f = c.dataset.files.find((x) => x.driveId === sharedDriveId && !x.isRoot && !x.deleted && !x.trashed && !x.mimeType.startsWith('application/vnd.google-apps.'))!;
        return { recordId: f.id, values: { stageline_stage: f.appProperties.stageline_stage === 'approved' ? 'delivered' : 'approved' } };
      },
      stop: () => sim.stop(),
    };
  },
};

// ---- monday.com ------------------------------------------------------------------------------------

const MONDAY_TOKEN = 'sim-token';

/**
 * The containers are boards (item boards; each has a subitems board read through it), the records
 * items, a record's children what the engine reads with an item: its activity log (stage history),
 * its approval subitems' decision log, and the emails of the users it names. Write-back is
 * `change_multiple_column_values` on the item's Budget (numbers) column.
 */
const monday: ConformanceAdapter = {
  id: 'monday',
  smallPageSize: 7,
  skips: {
    deletion:
      'monday never answers 404 for a deleted item: `items(ids)` returns it with HTTP 200 and `state: "deleted"` (connectors/monday/README.md Behaviour 23), ' +
      'so "not_found with status 404" cannot happen; the engine tombstones the item from that state, at the time its activity log records the deletion. ' +
      'test/integration/monday.integration.test.ts ("archive and delete …") deletes and archives items in the simulator and checks the tombstones after an incremental sync, ' +
      'and that the listing (items_page) no longer returns them; connectors/monday/normalize.unit.test.ts covers the state → tombstone mapping.',
  },
  async start({ seed, perContainer }) {
    const mod = connectors.monday;
    const sim = await mod.simulator({ generate: { seed, tasks: perContainer * 2, projects: 2 } });
    const { baseUrl } = await sim.start();
    const c: MondaySimulatorControl = sim.control;
    const limiterFor = (o: { perMinute?: number; limiter?: RateLimiter }) => o.limiter ?? new RateLimiter(o.perMinute ?? SIMULATOR_PER_MINUTE, 8);
    const boardIds = [...c.truth.boards.keys()];
    let issued = 0;
    // Board and subitems-board columns, learnt when the containers are listed (what a plan keeps).
    const boards = new Map<string, { raw: unknown; columns: MondayColumnRaw[]; subitemColumns: MondayColumnRaw[]; subitemsBoardId: string }>();

    const client = (o: { token?: string; perMinute?: number; limiter?: RateLimiter } = {}): ConformanceClient => {
      const api = mod.client({ token: o.token ?? MONDAY_TOKEN, baseUrl, limiter: limiterFor(o) }) as MondayClient;
      const selection = (board: string) => {
        const b = boards.get(board);
        const ap = b ? approvalColumns(b.subitemColumns) : { decision: null, reviewer: null };
        const cols = [ap.decision, ap.reviewer].filter((x): x is string => x !== null);
        return cols.length ? { subitemColumns: cols } : {};
      };
      const boardOf = (raw: unknown) => String((raw as { board?: { id?: unknown } }).board?.id ?? '');
      return {
        probe: () => api.me(),
        async containers() {
          const truth = boardIds.map((id) => c.truth.boards.get(id)!);
          const raws = await api.boards({ ids: [...boardIds, ...truth.map((t) => t.subitemsBoardId)] });
          const byId = new Map(raws.map((r) => [String((r as { id: unknown }).id), r]));
          for (const t of truth) {
            const raw = byId.get(t.boardId)!;
            boards.set(t.boardId, {
              raw,
              columns: MondayBoardRaw.parse(raw).columns ?? [],
              subitemColumns: MondayBoardRaw.parse(byId.get(t.subitemsBoardId)).columns ?? [],
              subitemsBoardId: t.subitemsBoardId,
            });
          }
          return boardIds.map((id) => ({ id, raw: byId.get(id) }));
        },
        async listPage(container, cursor, pageSize) {
          const limit = pageSize ?? undefined;
          const page = cursor ? await api.nextItemsPage(cursor, limit, selection(container)) : await api.itemsPage(container, { ...(limit ? { limit } : {}), ...selection(container) });
          return { records: page.items.map((raw) => ({ id: idOf(raw), raw })), next: page.cursor };
        },
        fetchRecord: (id) => api.item(id),
        async fetchChildren(record) {
          const board = boardOf(record.raw);
          const b = boards.get(board);
          const subIds = (((record.raw as { subitems?: { id: string }[] }).subitems) ?? []).map((x) => x.id);
          const decision = b ? approvalColumns(b.subitemColumns).decision : null;
          const [activity, subitemActivity] = await Promise.all([
            api.allActivityLogs(board, { itemIds: [record.id] }),
            b && decision && subIds.length ? api.allActivityLogs(b.subitemsBoardId, { itemIds: subIds, columnIds: [decision] }) : Promise.resolve([]),
          ]);
          const bundle: ItemBundle = { item: record.raw, activity, subitemActivity };
          const ids = userIdsIn(bundle);
          const users = ids.length ? await api.users(ids) : [];
          return { activity, subitemActivity, users };
        },
      };
    };

    const reader = mod.client({ token: MONDAY_TOKEN, baseUrl, limiter: limiterFor({}) }) as MondayClient;
    const columnsOf = async (itemId: string) => {
      const t = c.truthOf(itemId)!;
      const [raw] = await reader.boards({ ids: [t.boardId] });
      return { boardId: t.boardId, columns: MondayBoardRaw.parse(raw).columns ?? [] };
    };
    return {
      baseUrl,
      token: MONDAY_TOKEN,
      client,
      writer(o = {}) {
        const w = mod.writer({ token: MONDAY_TOKEN, baseUrl, limiter: limiterFor(o) }) as MondayWriter;
        return {
          async current(id) {
            const { columns } = await columnsOf(id);
            return columnWriteForm(await reader.item(id), columns);
          },
          async set(id, values, current) {
            const { boardId, columns } = await columnsOf(id);
            return w.setColumns(boardId, id, values as Record<string, ColumnWrite>, current as Record<string, ColumnWrite>, { columns });
          },
        };
      },
      issueToken() {
        const token = `conformance-${++issued}`;
        c.addToken(token, c.dataset.users.find((u) => u.email !== c.dataset.bot.email)!.email);
        return token;
      },
      revokeToken: (token) => c.revokeToken(token),
      injectFault: (f) =>
        c.injectFaults(
          f.status === 429 && f.retryAfterSeconds !== undefined
            ? { kind: 'rate_limit', retryInSeconds: f.retryAfterSeconds, times: 1 }
            : { kind: 'http', status: f.status, times: 1 },
        ),
      calls() {
        const st = c.calls();
        const writes = Object.entries(st.byOperation).filter(([op]) => op.startsWith('mutation ')).reduce((n, [, k]) => n + k, 0);
        return { total: st.total, earlyRetries: st.earlyRetries, writes };
      },
      deleteRecord: (id) => c.deleteItem(id),
      truthIds: (container) => [...c.truth.items.values()].filter((t) => t.boardId === container && t.state === 'active').map((t) => t.itemId),
      normalizeContainer: (raw) => mod.normalize.board(raw, { connectionId: 'conformance-monday' }),
      normalizeRecord(container, record, children) {
        const ch = children as { activity: unknown[]; subitemActivity: unknown[]; users: unknown[] };
        const b = boards.get(container)!;
        const bt = c.truth.boards.get(container)!;
        const map = c.truth.defaultStageMap as Record<string, string>;
        const stage = resolveStage(b.raw, { '*': bt.stageSource === 'status' ? { from: 'status_column', column: bt.stageColumnId!, map } : { from: 'group', map } }, { connectionId: 'conformance-monday' });
        if (!stage.ok) throw new Error(stage.issues.map((i) => i.message).join('; '));
        const users = new Map<string, MondayUser>(ch.users.map((u) => [idOf(u), u as MondayUser]));
        return mod.normalize.itemBundle(
          { item: record.raw, activity: ch.activity, subitemActivity: ch.subitemActivity },
          {
            connectionId: 'conformance-monday',
            board: { id: container, projectId: stableId('conformance-monday', 'monday_board', container), columns: b.columns },
            subitemColumns: b.subitemColumns,
            stage: stage.value,
            users,
            rolesOf: (email) => {
              const u = email ? c.dataset.users.find((x) => x.email === email.toLowerCase()) : undefined;
              return u ? [u.role] : [];
            },
          },
        );
      },
      writeTarget() {
        // The Budget numbers column of a live item: a value it does not hold now.
        const t = [...c.truth.items.values()].find((x) => x.state === 'active' && x.kind === 'asset')!;
        const now = c.columnValue(t.itemId, 'numbers')?.text ?? '';
        return { recordId: t.itemId, values: { numbers: now === '4242' ? '4343' : '4242' } };
      },
      stop: () => sim.stop(),
    };
  },
};

// ---- Notion ----------------------------------------------------------------------------------------

/** The SDK's error code a status stands for (simulator STATUS_OF inverted): the simulator injects codes. */
const notionCodeOf = (status: number): NotionErrorCode => {
  const code = ERROR_CODES.find((c) => STATUS_OF[c] === status);
  if (!code) throw new Error(`no Notion error code answers HTTP ${status}`);
  return code;
};

/**
 * The containers are the asset data sources (one per campaign database), the records their pages
 * (rowsPage: sorted by created_time, the cursor a RowsCursor as JSON), a record's children its
 * comments. Write-back is `PATCH /v1/pages/{id}` on the page's "Revision round" number. Decisions come
 * from a verdict property; the simulated workspace has none, so the adapter configures its Stage as
 * the verdict (a team whose "Approved" status is the client's sign-off: a configuration
 * normalize.ts NotionDecisionsConfig allows), reviewed by the page's Reviewers.
 */
const notion: ConformanceAdapter = {
  id: 'notion',
  smallPageSize: 7,
  skips: {
    deletion:
      'Notion answers a page in the trash with HTTP 200 and `in_trash: true` (GET /v1/pages/{id} still reads it, simulator README "Trash"), and the API ' +
      'cannot delete a page for good, so "not_found with status 404" cannot happen for a deleted record; the trashed page leaves the query, and normalize ' +
      'tombstones it from `in_trash` (connectors/notion/README.md Behaviour 24; normalize.unit.test.ts "a trashed page is a tombstone…"; ' +
      'client.unit.test.ts "a trashed page leaves the rows…", which trashes pages in the simulator, checks the listing and the tombstone). ' +
      'A page that is no longer shared answers 404 object_not_found: client.unit.test.ts "404 object_not_found names the data source…".',
  },
  async start({ seed, perContainer }) {
    const mod = connectors.notion;
    const sim = await mod.simulator({ generate: { seed, tasks: perContainer * 2, projects: 2 }, rateLimit: null });
    const { baseUrl } = await sim.start();
    const c: NotionSimulatorControl = sim.control;
    const limiterFor = (o: { perMinute?: number; limiter?: RateLimiter }) => o.limiter ?? new RateLimiter(o.perMinute ?? SIMULATOR_PER_MINUTE, 3);
    const containerIds = c.dataSourceIds('assets');
    // Notion keeps no stage history; the one transition normalize can vouch for is the stage of a page
    // never edited since it was created (README Behaviour 16). Every generated page has history after
    // its creation, so each container gets a brief just filed, as a workspace being worked in has.
    for (const id of containerIds) {
      c.createPage(id, { [NOTION_PROPERTIES.name]: { title: [{ text: { content: 'New brief, just filed' } }] }, [NOTION_PROPERTIES.stage]: { status: { name: 'Briefing' } } });
    }
    let issued = 0;
    const schemas = new Map<string, NotionDataSourceRaw>();
    const usersSeen = new Map<string, NotionUser>();

    const client = (o: { token?: string; perMinute?: number; limiter?: RateLimiter } = {}): ConformanceClient => {
      const api = mod.client({ token: o.token ?? SIM_NOTION_TOKEN, baseUrl, limiter: limiterFor(o) });
      return {
        probe: () => api.me(),
        async containers() {
          const out: RecordRef[] = [];
          for (const id of containerIds) {
            const raw = await api.dataSource(id);
            schemas.set(id, raw);
            out.push({ id, raw });
          }
          for (const u of await api.users()) {
            const p = NotionUserRaw.parse(u);
            usersSeen.set(p.id, { email: p.person?.email ?? null, name: p.name ?? null, type: p.type ?? null });
          }
          return out;
        },
        async listPage(container, cursor, pageSize) {
          const page = await api.rowsPage(container, cursor === null ? null : decodeRowsCursor(cursor), pageSize !== null ? { pageSize } : {});
          return { records: page.rows.map((raw) => ({ id: idOf(raw), raw })), next: page.next ? encodeRowsCursor(page.next) : null };
        },
        fetchRecord: (id) => api.page(id),
        async fetchChildren(record) {
          return { comments: await api.comments(record.id) };
        },
      };
    };

    const reader = mod.client({ token: SIM_NOTION_TOKEN, baseUrl, limiter: limiterFor({}) });
    return {
      baseUrl,
      token: SIM_NOTION_TOKEN,
      client,
      writer(o = {}) {
        const w = mod.writer({ token: SIM_NOTION_TOKEN, baseUrl, limiter: limiterFor(o) });
        return {
          current: async (id) => propertyWriteForm(await reader.page(id)),
          set: (id, values, current) => w.setProperties(id, values as PropertyWrites, current as PropertyWrites),
        };
      },
      issueToken() {
        const token = `conformance-${++issued}`;
        c.addToken(token);
        return token;
      },
      revokeToken: (token) => c.revokeToken(token),
      injectFault: (f) => c.injectFaults({ code: notionCodeOf(f.status), times: 1, ...(f.retryAfterSeconds !== undefined ? { retryAfterSeconds: f.retryAfterSeconds } : {}) }),
      calls() {
        const st = c.calls();
        // Writes are PATCHes and comments; a data-source query is a POST that only reads.
        const writes = Object.entries(st.byEndpoint).filter(([e]) => e.startsWith('PATCH ') || e === 'POST /v1/comments').reduce((n, [, k]) => n + k, 0);
        return { total: st.total, earlyRetries: st.earlyRetries, writes };
      },
      deleteRecord: (id) => c.trashPage(id),
      // The listing order: created_time ascending, ties by page id (the simulator's total order).
      truthIds: (container) =>
        [...c.truth().pages.values()]
          .filter((p) => p.dataSourceId === container && !p.inTrash)
          .sort((a, b) => Date.parse(a.createdTime) - Date.parse(b.createdTime) || (a.pageId < b.pageId ? -1 : a.pageId > b.pageId ? 1 : 0))
          .map((p) => p.pageId),
      normalizeContainer: (raw) => mod.normalize.dataSource(raw, { connectionId: 'conformance-notion' }),
      normalizeRecord(container, record, children) {
        const raw = schemas.get(container)!;
        const map = c.truth().defaultStageMap as Record<string, string>;
        const stage = resolveNotionStage(raw, { '*': { property: NOTION_PROPERTIES.stage, map } }, { connectionId: 'conformance-notion' });
        if (!stage.ok) throw new Error(stage.issues.map((i) => i.message).join('; '));
        return mod.normalize.pageBundle(
          { page: record.raw, comments: (children as { comments: unknown[] }).comments },
          {
            connectionId: 'conformance-notion',
            dataSource: { id: container, projectId: stableId('conformance-notion', 'notion_data_source', container), properties: raw.properties },
            stage: stage.value,
            users: usersSeen,
            rolesOf: (email) => {
              const u = email ? c.dataset.users.find((x) => x.email === email.toLowerCase()) : undefined;
              return u?.role ? [u.role] : [];
            },
            decisions: { property: NOTION_PROPERTIES.stage, map: { Approved: 'approved' } },
          },
        );
      },
      writeTarget() {
        const t = [...c.truth().pages.values()].find((p) => !p.inTrash)!;
        const now = propertyWriteForm(c.pageState(t.pageId).page)[NOTION_PROPERTIES.revisionRound] as { number: number | null } | undefined;
        return { recordId: t.pageId, values: { [NOTION_PROPERTIES.revisionRound]: { number: now?.number === 4 ? 5 : 4 } } };
      },
      stop: () => sim.stop(),
    };
  },
};

/** One adapter per connector in the map: adding a connector without one does not compile. */
export const adapters: { readonly [K in ConnectorId]: ConformanceAdapter & { id: K } } = {
  asana: { ...asana, id: 'asana' },
  drive: { ...googleDrive, id: 'drive' },
  monday: { ...monday, id: 'monday' },
  notion: { ...notion, id: 'notion' },
};
