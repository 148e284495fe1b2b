// monday.com → model. Pure: no I/O, no clock; ids, the stage map, people and roles come in through ctx
// (STYLE.md §5). A board is a Project; an item is an Asset whose stage comes from a status column or
// from its group (per board, `MondayStageConfig`); its file column entries are Versions, its updates
// and replies Comments, its approval subitems Decisions, and the board's activity log its
// StageTransitions (backfilled, with who and when). Archived and deleted items are tombstoned.
import { z } from 'zod';
import { personId, stableId } from '../../mapping/ids';
import { driveFileIdsIn, reconcileVersions, type VersionCandidate } from '../../mapping/linking';
import {
  Asset, AssetLink, Comment, DECISIONS, Decision, Project, StageTransition, Version,
  emptyBatch, toIssues, type Batch, type DecisionKind, type FieldValue, type Issue, type Normalized, type Person,
} from '../../mapping/model';
import { readStamp } from '../stamp';
import {
  CreatePulseData, GROUP_MOVE_EVENTS, GroupMoveData, MondayActivityLogRaw, MondayAssetRaw, MondayBoardRaw, MondayItemRaw, MondayReplyRaw,
  MondaySubitemRaw, MondayUpdateRaw, PulseData, STATE_EVENTS, StatusChangeData, activityDataObject, labelText, statusLabelsOf,
  type MondayColumnRaw, type MondayColumnValueRaw, type MondayFileEntryRaw, type MondayItemRaw as Item, type MondayUserRaw,
} from './raw';

// ---- configuration ---------------------------------------------------------------------------------

/** Where a board carries the creative stage, and how its values map to stages. */
export type MondayStageSource =
  /** A status column (by id or exact title); `map` goes from label text to stage id. */
  | { from: 'status_column'; column: string; map: Readonly<Record<string, string>> }
  /** The item's group; `map` goes from group title to stage id. */
  | { from: 'group'; map: Readonly<Record<string, string>> };

/** Per board id; the key `*` applies to every board not listed (e.g. all boards of a workspace). */
export type MondayStageConfig = Readonly<Record<string, MondayStageSource>>;

export type ResolvedStage =
  | { from: 'status_column'; columnId: string; columnTitle: string; labels: readonly StatusLabel[]; map: Readonly<Record<string, string>> }
  | { from: 'group'; groups: readonly string[]; map: Readonly<Record<string, string>> };

interface StatusLabel {
  index: number;
  label: string;
  isDone: boolean;
}

/** Which columns mean what; each by id or exact title. Defaults are in `columnRoles`. */
export interface MondayColumnsConfig {
  /** People column of the asset's owner (default: a people column titled Owner/Assignee/Person, else the first). */
  owner?: string;
  /** Date column of the due date (default: a date column whose title says due or deadline). */
  due?: string;
  /** Column holding the asset type (default: a column titled "Asset type"). */
  assetType?: string;
  /** File columns whose entries are versions (default: every file column). */
  files?: readonly string[];
}

/** Approval rounds as subitems: a status column holds the verdict, a people column the reviewer. */
export interface MondayDecisionsConfig {
  /** Subitem status column of the verdict, by id or title (default: the subitem's only status column, or one titled Decision/Approval). */
  column?: string;
  /** Subitem people column of the reviewer (default: the subitem's first people column). */
  reviewer?: string;
  /** Label → decision (default: the labels spelled like the decisions, any case: Approved, Approved with changes, Changes requested, Rejected). */
  map?: Readonly<Record<string, DecisionKind>>;
}

export interface MondayUser {
  email?: string | null;
  name?: string | null;
}

export interface MondayNormalizeContext {
  connectionId: string;
  /** The board the items come from (parsed), and its project's stable id. */
  board: { id: string; projectId: string; columns: readonly MondayColumnRaw[] };
  /** Its subitems board's columns, when known (titles of the decision and reviewer columns). */
  subitemColumns?: readonly MondayColumnRaw[];
  stage: ResolvedStage;
  /** People by monday user id (from `users(ids)`); ids not here are persons without email (reported). */
  users: ReadonlyMap<string, MondayUser>;
  /** A person's roles by email, from stageline.yaml `people`. */
  rolesOf: (email: string | null | undefined) => readonly string[];
  columns?: MondayColumnsConfig;
  decisions?: MondayDecisionsConfig;
}

/** One item and what was fetched with it; a missing list means "not fetched this time". */
export interface ItemBundle {
  /** As items_page / items return it: values, assets, updates and subitems inline. */
  item: unknown;
  /** Updates fetched apart from the item (itemUpdates when the inline list was full, boardUpdates in a window); replace `item.updates`. */
  updates?: unknown[];
  /** False when `updates` are only some of the item's (a window of boardUpdates): no comment is tombstoned then. Default true. */
  updatesComplete?: boolean;
  /** Entries of the board's activity log (any items: filtered by pulse id here). */
  activity?: unknown[];
  /** True (default) when `activity` reaches back to the item's creation; false for an incremental window. */
  activityComplete?: boolean;
  /** Entries of the subitems board's activity log (decision changes), any subitems. */
  subitemActivity?: unknown[];
}

/** What normalization noticed that is not a record: for the sync's report, never dropped silently. */
export interface ItemReport {
  itemId: string | null;
  /** The item's status or group, when the stage map does not know it (the asset's stage is null). */
  unmappedStatus: string | null;
  /** Subitems that are not approval rounds (no decision column): not modelled, counted here. */
  ignoredSubitems: number;
  /** User ids seen only as ids and absent from ctx.users: fetch them with users(ids) and normalize again. */
  unknownUsers: string[];
  /** Linked item ids per board-relation column: the model has no asset-to-asset relation (also in `fields`). */
  relations: { columnId: string; itemIds: string[] }[];
  /** File column entries that are not versions: monday docs, and assets monday reports as invalid. */
  skippedFiles: number;
}

// ---- boards ------------------------------------------------------------------------------------------

export function boardIdOf(connectionId: string, boardId: string): string {
  return stableId(connectionId, 'monday_board', boardId);
}

export function assetIdOf(connectionId: string, itemId: string): string {
  return stableId(connectionId, 'monday_item', itemId);
}

/** A board as a Project; archived and deleted boards are archived projects. */
export function normalizeBoard(raw: unknown, ctx: { connectionId: string }): Normalized<Project> {
  const p = MondayBoardRaw.safeParse(raw);
  if (!p.success) return { ok: false, issues: toIssues(p.error) };
  const b = p.data;
  return validate(Project, {
    id: boardIdOf(ctx.connectionId, b.id),
    connectionId: ctx.connectionId,
    externalId: b.id,
    name: b.name.trim() || `(untitled board ${b.id})`,
    url: urlOrNull(b.url),
    archived: b.state !== 'active',
    remoteCreatedAt: toIso(b.created_at),
    remoteUpdatedAt: toIso(b.updated_at),
    raw,
  });
}

/** A column by id, else by exact title, else by title ignoring case and surrounding spaces. */
export function findColumn<C extends { id: string; title: string }>(columns: readonly C[], ref: string): C | undefined {
  const t = ref.trim().toLowerCase();
  return columns.find((c) => c.id === ref) ?? columns.find((c) => c.title === ref) ?? columns.find((c) => c.title.trim().toLowerCase() === t);
}

/**
 * The stage source of one board, checked against the board (config paths in issues start at `path`,
 * default `['stage', <board key>]`, and messages name the connection and the board). A board-specific
 * entry must name a status column the board has, and its map only labels (or group titles) the board
 * has; the `*` entry applies to boards that may differ, so its map is not checked label by label.
 * No entry for the board and no `*`: an issue. A map value that is not a stage id: an issue.
 */
export function resolveStage(rawBoard: unknown, config: MondayStageConfig, where: { connectionId: string; path?: (string | number)[] }): Normalized<ResolvedStage> {
  const p = MondayBoardRaw.safeParse(rawBoard);
  if (!p.success) return { ok: false, issues: toIssues(p.error, ['board']) };
  const board = p.data;
  const specific = Object.hasOwn(config, board.id);
  const key = specific ? board.id : '*';
  const source = specific ? config[board.id] : config['*'];
  const base = where.path ?? ['stage', key];
  const on = `connection "${where.connectionId}", board ${board.id} "${board.name}"`;
  if (!source) {
    return fail({ code: 'unknown_board', path: base, message: `${on}: no stage source for this board (add it under its id, or a "*" entry)` });
  }
  const issues: Issue[] = [];
  for (const [k, stage] of Object.entries(source.map)) {
    if (typeof stage !== 'string' || !/^[a-z][a-z0-9_]{0,62}$/.test(stage)) issues.push({ code: 'invalid_stage', path: [...base, 'map', k], message: `${on}: "${String(stage)}" is not a stage id (lower_snake_case)` });
  }
  if (source.from === 'group') {
    const groups = (board.groups ?? []).filter((g) => !g.deleted).map((g) => g.title);
    if (specific) {
      for (const title of Object.keys(source.map)) {
        if (!groups.includes(title)) issues.push({ code: 'unknown_group', path: [...base, 'map', title], message: `${on}: no group "${title}" (groups: ${groups.map((g) => `"${g}"`).join(', ') || 'none'})` });
      }
    }
    return issues.length ? { ok: false, issues } : { ok: true, value: { from: 'group', groups, map: source.map } };
  }
  const columns = board.columns ?? [];
  const statusColumns = columns.filter((c) => c.type === 'status');
  const column = findColumn(columns, source.column);
  if (!column) {
    issues.push({ code: 'unknown_column', path: [...base, 'column'], message: `${on}: no column "${source.column}" (status columns: ${statusColumns.map((c) => `"${c.title}" (${c.id})`).join(', ') || 'none'})` });
    return { ok: false, issues };
  }
  if (column.type !== 'status') {
    issues.push({ code: 'not_a_status_column', path: [...base, 'column'], message: `${on}: column "${column.title}" (${column.id}) is a ${column.type} column, not a status column` });
    return { ok: false, issues };
  }
  const labels = statusLabelsOf(column);
  if (labels === null) {
    issues.push({ code: 'unreadable_settings', path: [...base, 'column'], message: `${on}: the labels of status column "${column.title}" (${column.id}) cannot be read from its settings` });
    return { ok: false, issues };
  }
  if (specific) {
    for (const label of Object.keys(source.map)) {
      if (!labels.some((l) => l.label === label)) {
        issues.push({ code: 'unknown_label', path: [...base, 'map', label], message: `${on}: status column "${column.title}" has no label "${label}" (labels: ${labels.map((l) => `"${l.label}"`).join(', ')})` });
      }
    }
  }
  return issues.length ? { ok: false, issues } : { ok: true, value: { from: 'status_column', columnId: column.id, columnTitle: column.title, labels, map: source.map } };
}

// ---- items ---------------------------------------------------------------------------------------

/** Normalizes an item and what was fetched with it into one batch (see normalizeItem for the report). */
export function normalizeItemBundle(bundle: ItemBundle, ctx: MondayNormalizeContext): Batch {
  return normalizeItem(bundle, ctx).batch;
}

/**
 * An item and what was fetched with it → one batch, and a report of what normalization noticed. A
 * malformed item rejects the bundle; a malformed update, reply, asset, subitem or log entry is
 * rejected alone and the rest goes on. A child list that was fetched is complete: stored rows of that
 * kind it does not list were deleted at monday and are tombstoned (batch.complete).
 */
export function normalizeItem(bundle: ItemBundle, ctx: MondayNormalizeContext): { batch: Batch; report: ItemReport } {
  const out = emptyBatch();
  const report: ItemReport = { itemId: idOfRaw(bundle.item), unmappedStatus: null, ignoredSubitems: 0, unknownUsers: [], relations: [], skippedFiles: 0 };
  const parsed = MondayItemRaw.safeParse(bundle.item);
  if (!parsed.success) {
    out.rejected.push({ stream: 'items', externalId: report.itemId, issues: toIssues(parsed.error), raw: bundle.item });
    return { batch: out, report };
  }
  const item = parsed.data;
  const conn = ctx.connectionId;
  const assetId = assetIdOf(conn, item.id);
  const people = new People(ctx, conn);
  people.learn([bundle.item, bundle.updates ?? []]);
  const columns = ctx.board.columns;
  const values = new Map(item.column_values.map((v) => [v.id, v]));
  const roles = columnRoles(columns, ctx.columns);

  // ---- stage
  const status = statusOf(item, ctx.stage, columns);
  const stage = mapStage(ctx.stage, status);
  if (status !== null && stage === null) report.unmappedStatus = status;

  // ---- fields (by column title), relations, Drive references
  const fields: Record<string, FieldValue> = {};
  const titles = new Map<string, number>();
  for (const c of columns) titles.set(c.title, (titles.get(c.title) ?? 0) + 1);
  const fileRefs = new Set<string>();
  for (const c of columns) {
    if (c.type === 'name' || c.type === 'subtasks' || c.archived) continue;
    const v = values.get(c.id);
    const key = (titles.get(c.title) ?? 0) > 1 ? `${c.title} (${c.id})` : c.title;
    fields[key] = fieldValue(c, v, people);
    if (c.type === 'board_relation' && v) {
      const ids = relationIds(v);
      if (ids.length) report.relations.push({ columnId: c.id, itemIds: ids });
    }
    if (v && (c.type === 'text' || c.type === 'long_text' || c.type === 'link')) for (const id of driveFileIdsIn(v.text ?? '')) fileRefs.add(id);
  }
  const typeValue = roles.assetType ? fields[fieldKey(roles.assetType, titles)] : undefined;

  // ---- due date, owner, completion
  const due = roles.due ? values.get(roles.due.id) : undefined;
  const dueOn = due?.date && /^\d{4}-\d{2}-\d{2}$/.test(due.date) ? due.date : (dateOf(due) ?? null);
  const dueTime = due?.time ?? (valueJson(due) as { time?: unknown } | null)?.time;
  const dueAt = dueOn && typeof dueTime === 'string' && dueTime !== '' ? toIso(`${dueOn}T${dueTime.length === 5 ? `${dueTime}:00` : dueTime}Z`) : null;
  const ownerValue = roles.owner ? values.get(roles.owner.id) : undefined;
  const ownerId = personIdsOf(ownerValue).map((id) => people.byId(id)).find((p) => p !== null) ?? null;
  const stageValue = ctx.stage.from === 'status_column' ? values.get(ctx.stage.columnId) : undefined;
  const done = stageValue?.is_done === true || (ctx.stage.from === 'status_column' && status !== null && ctx.stage.labels.find((l) => l.label === status)?.isDone === true);
  const changedAt = (valueJson(stageValue) as { changed_at?: unknown } | null)?.changed_at;
  const completedAt = done ? (toIso(stageValue?.updated_at) ?? toIso(typeof changedAt === 'string' ? changedAt : null)) : null;

  // ---- versions from file columns (collected first: their Drive links are explicit file references)
  const assets = new Map<string, z.infer<typeof MondayAssetRaw>>();
  for (const a of item.assets ?? []) {
    const r = MondayAssetRaw.safeParse(a);
    if (r.success) assets.set(r.data.id, r.data);
    else out.rejected.push({ stream: 'assets', externalId: idOfRaw(a), issues: toIssues(r.error), raw: a });
  }
  const versionInputs = fileEntries(item, roles.files, values, assets, report);
  for (const v of versionInputs) if (v.fileRef) fileRefs.add(v.fileRef);

  const asset = validate(Asset, {
    id: assetId,
    connectionId: conn,
    externalId: item.id,
    projectId: ctx.board.projectId,
    name: item.name.trim() || `(untitled item ${item.id})`,
    assetType: typeof typeValue === 'string' ? typeValue : null,
    stage,
    sourceStatus: status,
    ownerId,
    dueOn,
    dueAt,
    completedAt,
    url: urlOrNull(item.url),
    fields,
    fileRefs: [...fileRefs],
    remoteCreatedAt: toIso(item.created_at),
    remoteUpdatedAt: toIso(item.updated_at),
    raw: bundle.item,
  });
  if (!asset.ok) {
    out.rejected.push({ stream: 'items', externalId: item.id, issues: asset.issues, raw: bundle.item });
    return { batch: out, report };
  }
  out.assets.push(asset.value);
  out.links.push(AssetLink.parse({ id: stableId(conn, 'link:monday_item', item.id), assetId, connectionId: conn, kind: 'monday_item', externalId: item.id, url: asset.value.url, via: 'primary' }));

  // ---- versions, numbered by `_vNN` where names carry one, else by time (mapping/linking.ts)
  pushVersions(versionInputs, assetId, conn, people, out);

  // ---- updates and replies → comments
  const inlineUpdates = bundle.updates ?? item.updates;
  if (inlineUpdates) pushUpdates(inlineUpdates, null, assetId, conn, people, out);

  // ---- stage history from the board's activity log
  const log = bundle.activity ? parseLog(bundle.activity, out) : undefined;
  if (log) pushTransitions(log.filter((e) => e.itemId === item.id), bundle.activityComplete !== false, item, status, assetId, ctx, people, out);

  // ---- subitems: approval rounds → decisions (and any updates they carry as thread comments); others counted
  const subLog = bundle.subitemActivity ? parseLog(bundle.subitemActivity, out) : [];
  if (item.subitems) {
    for (const rawSub of item.subitems) {
      const sp = MondaySubitemRaw.safeParse(rawSub);
      if (!sp.success) {
        out.rejected.push({ stream: 'subitems', externalId: idOfRaw(rawSub), issues: toIssues(sp.error), raw: rawSub });
        continue;
      }
      const sub = sp.data;
      const decision = decisionColumnOf(sub, ctx);
      if (!decision) {
        report.ignoredSubitems++;
        continue;
      }
      if (sub.updates) pushUpdates(sub.updates, sub.id, assetId, conn, people, out);
      pushDecisions(sub, decision, subLog.filter((e) => e.itemId === sub.id), assetId, ctx, people, out);
    }
    out.complete.push({ kind: 'decision', assetId, scope: 'all', ids: out.decisions.map((d) => d.id) });
  }
  // The item's updates with their replies, and whatever subitem updates the payload carries, are every
  // comment this connector reads for the asset (client.ts does not select subitem updates: their
  // complexity is too high, documents.ts SUBITEM): one complete set.
  if (inlineUpdates && bundle.updatesComplete !== false) out.complete.push({ kind: 'comment', assetId, scope: 'all', ids: out.comments.map((c) => c.id) });

  // ---- archive and deletion → tombstone (the asset keeps its row, its history and its last state)
  if (item.state === 'archived' || item.state === 'deleted') {
    const gone = (log ?? []).filter((e) => e.itemId === item.id && STATE_EVENTS[e.event] === item.state).map((e) => e.at).sort().at(-1);
    const at = gone ?? toIso(item.updated_at) ?? toIso(item.created_at);
    if (at) out.tombstones.push({ kind: 'asset', ids: [assetId], at });
  }

  out.persons.push(...people.all());
  report.unknownUsers = people.unknown();
  return { batch: out, report };
}

/**
 * Every user id an item bundle refers to by id only (people columns, creators, uploaders, update
 * authors, activity-log users), so the engine can fetch the missing ones with users(ids) first.
 */
export function userIdsIn(bundle: ItemBundle): string[] {
  const ids = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'string' && /^\d+$/.test(v)) ids.add(v);
    else if (typeof v === 'number' && Number.isInteger(v)) ids.add(String(v));
  };
  const walk = (x: unknown, key: string | null): void => {
    if (Array.isArray(x)) {
      for (const y of x) walk(y, key);
      return;
    }
    if (!x || typeof x !== 'object') return;
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
      if (k === 'creator_id' || k === 'user_id' || k === 'createdBy') add(v);
      else if ((k === 'creator' || k === 'uploaded_by') && v && typeof v === 'object') add((v as { id?: unknown }).id);
      else if ((k === 'value' || k === 'data') && typeof v === 'string' && /personsAndTeams|createdBy/.test(v)) {
        // JSON-string values (people, files) and activity-log data name users by id too.
        try {
          walk(JSON.parse(v), k);
        } catch {
          // not JSON: nothing to learn
        }
      } else if ((k === 'persons_and_teams' || k === 'personsAndTeams') && Array.isArray(v)) {
        for (const p of v) {
          const kind = (p as { kind?: unknown }).kind;
          if (kind === undefined || kind === 'person') add((p as { id?: unknown }).id);
        }
      } else if (v && typeof v === 'object') walk(v, k);
    }
  };
  walk([bundle.item, bundle.updates ?? [], bundle.activity ?? [], bundle.subitemActivity ?? []], null);
  return [...ids].sort();
}

// ---- people ------------------------------------------------------------------------------------------

class People {
  private persons = new Map<string, Person>();
  private missing = new Set<string>();
  /** Users seen inline with their email somewhere in the bundle (creators, uploaders). */
  private inline = new Map<string, MondayUser>();

  constructor(private readonly ctx: MondayNormalizeContext, private readonly conn: string) {}

  /**
   * Learns the users a payload carries inline (`creator`, `uploaded_by` objects), before any id is
   * resolved: a person seen by id in one place and with an email in another is one person.
   */
  learn(payload: unknown): void {
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) {
        for (const y of x) walk(y);
        return;
      }
      if (!x || typeof x !== 'object') return;
      for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
        if ((k === 'creator' || k === 'uploaded_by') && v && typeof v === 'object') {
          const u = v as { id?: unknown; email?: unknown; name?: unknown };
          const id = typeof u.id === 'number' ? String(u.id) : u.id;
          if (typeof id === 'string' && typeof u.email === 'string' && u.email.trim() !== '') {
            this.inline.set(id, { email: u.email, name: typeof u.name === 'string' ? u.name : null });
          }
        } else if (v && typeof v === 'object') walk(v);
      }
    };
    walk(payload);
  }

  /** The person behind a user id: by email when known (the same human as in other tools), else by monday account. */
  byId(userId: string | null | undefined, inline?: MondayUserRaw | null): string | null {
    if (!userId) return null;
    const known = this.ctx.users.get(userId) ?? this.inline.get(userId);
    const rawEmail = (known?.email ?? inline?.email ?? '').trim().toLowerCase();
    const email = rawEmail && z.email().safeParse(rawEmail).success ? rawEmail : null;
    const name = (known?.name ?? inline?.name ?? '').trim() || null;
    if (!known && !inline?.email) this.missing.add(userId);
    const id = personId(email, this.conn, userId);
    const prev = this.persons.get(id);
    if (!prev || (!prev.name && name) || (!prev.email && email)) {
      this.persons.set(id, { id, email: email ?? prev?.email ?? null, name: name ?? prev?.name ?? null, identity: { connectionId: this.conn, externalId: userId } });
    }
    return id;
  }

  user(u: MondayUserRaw | null | undefined, fallbackId?: string | null): string | null {
    return u ? this.byId(u.id, u) : this.byId(fallbackId ?? null);
  }

  email(personId: string | null): string | null {
    if (!personId) return null;
    return this.persons.get(personId)?.email ?? null;
  }

  label(userId: string): string {
    const known = this.ctx.users.get(userId);
    return known?.email?.trim().toLowerCase() || known?.name?.trim() || `user:${userId}`;
  }

  all(): Person[] {
    return [...this.persons.values()];
  }

  /** Ids that stayed unknown: neither in ctx.users nor seen inline with an email. */
  unknown(): string[] {
    return [...this.missing].sort();
  }
}

// ---- values ------------------------------------------------------------------------------------------

/** `value` decoded: the JSON string parsed (an object passed through), null when empty or not JSON. */
export function valueJson(v: Pick<MondayColumnValueRaw, 'value'> | undefined): unknown {
  const raw = v?.value;
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return null;
  }
}

/** A people value's entries (typed `persons_and_teams`, else `value`'s `personsAndTeams`). */
function peopleOf(v: MondayColumnValueRaw | undefined): { id: string; kind: string }[] {
  if (!v) return [];
  if (v.persons_and_teams) return v.persons_and_teams.map((p) => ({ id: p.id, kind: p.kind ?? 'person' }));
  const j = valueJson(v) as { personsAndTeams?: { id?: unknown; kind?: unknown }[] } | null;
  return (j?.personsAndTeams ?? [])
    .filter((p) => typeof p.id === 'number' || (typeof p.id === 'string' && /^\d+$/.test(p.id)))
    .map((p) => ({ id: String(p.id), kind: typeof p.kind === 'string' ? p.kind : 'person' }));
}

/** The people of a people value, in order: not teams, nor agents (`Kind` in the SDL: agent, person, team). */
function personIdsOf(v: MondayColumnValueRaw | undefined): string[] {
  return peopleOf(v).filter((p) => p.kind === 'person').map((p) => p.id);
}

function relationIds(v: MondayColumnValueRaw): string[] {
  if (v.linked_item_ids) return v.linked_item_ids;
  const j = valueJson(v) as { linkedPulseIds?: { linkedPulseId?: unknown }[] } | null;
  return (j?.linkedPulseIds ?? []).map((x) => x.linkedPulseId).filter((x): x is number | string => typeof x === 'number' || typeof x === 'string').map(String);
}

function dateOf(v: MondayColumnValueRaw | undefined): string | null {
  if (!v) return null;
  const j = valueJson(v) as { date?: unknown } | null;
  return typeof j?.date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(j.date) ? j.date : null;
}

/** A status value's label: the typed field, else `text`, else the label its `value` index names in the column's settings. */
function statusLabel(v: MondayColumnValueRaw | undefined, column: MondayColumnRaw | undefined): string | null {
  if (!v) return null;
  if (v.label) return v.label;
  if (v.text) return v.text;
  const j = valueJson(v) as { index?: unknown } | null;
  if (column && typeof j?.index === 'number') return statusLabelsOf(column)?.find((l) => l.index === j.index)?.label ?? null;
  return null;
}

/** Display-ready value of a column (Asset.fields): labels, emails, dates, numbers, names; ids for relations. */
function fieldValue(c: MondayColumnRaw, v: MondayColumnValueRaw | undefined, people: People): FieldValue {
  if (!v) return c.type === 'people' || c.type === 'file' || c.type === 'board_relation' ? [] : null;
  switch (c.type) {
    case 'status':
      return statusLabel(v, c);
    case 'people':
      return peopleOf(v).map((p) => (p.kind === 'person' ? people.label(p.id) : `${p.kind}:${p.id}`));
    case 'date': {
      const date = v.date ?? dateOf(v);
      if (!date) return null;
      const time = v.time ?? ((valueJson(v) as { time?: unknown } | null)?.time as string | undefined);
      return time ? `${date}T${time.length === 5 ? `${time}:00` : time}Z` : date;
    }
    case 'numbers': {
      if (typeof v.number === 'number') return v.number;
      const n = Number(v.text ?? valueJson(v));
      return (v.text ?? '') !== '' && Number.isFinite(n) ? n : null;
    }
    case 'checkbox': {
      const j = valueJson(v) as { checked?: unknown } | null;
      return j?.checked === true || j?.checked === 'true';
    }
    case 'file':
      return fileList(v).map((f) => f.name ?? '').filter((n) => n !== '');
    case 'board_relation':
      return relationIds(v);
    default:
      // An empty text cell: `text` is "" and `value` null.
      return v.text === '' || v.text === undefined ? null : v.text;
  }
}

/** The column key a column's value sits under in `fields`. */
function fieldKey(c: MondayColumnRaw, titles: Map<string, number>): string {
  return (titles.get(c.title) ?? 0) > 1 ? `${c.title} (${c.id})` : c.title;
}

/** The columns that mean owner, due date, asset type and versions on this board. */
export function columnRoles(columns: readonly MondayColumnRaw[], cfg: MondayColumnsConfig = {}): { owner?: MondayColumnRaw; due?: MondayColumnRaw; assetType?: MondayColumnRaw; files: MondayColumnRaw[] } {
  const live = columns.filter((c) => !c.archived);
  const ofType = (t: string) => live.filter((c) => c.type === t);
  const owner = cfg.owner ? findColumn(live, cfg.owner) : (ofType('people').find((c) => /^(owner|assignee|person|people)$/i.test(c.title.trim())) ?? ofType('people')[0]);
  const due = cfg.due ? findColumn(live, cfg.due) : ofType('date').find((c) => /\b(due|deadline)\b/i.test(c.title));
  const assetType = findColumn(live, cfg.assetType ?? 'Asset type');
  const files = cfg.files ? cfg.files.map((f) => findColumn(live, f)).filter((c): c is MondayColumnRaw => c !== undefined) : ofType('file');
  return { ...(owner ? { owner } : {}), ...(due ? { due } : {}), ...(assetType ? { assetType } : {}), files };
}

// ---- stage ---------------------------------------------------------------------------------------------

/** The tool's status name for the item under the board's stage source: the status label, or the group title. */
export function statusOf(item: Pick<Item, 'column_values' | 'group'>, stage: ResolvedStage, columns: readonly MondayColumnRaw[]): string | null {
  if (stage.from === 'group') return item.group?.title ?? null;
  const v = item.column_values.find((x) => x.id === stage.columnId);
  return statusLabel(v, columns.find((c) => c.id === stage.columnId));
}

function mapStage(stage: ResolvedStage, status: string | null | undefined): string | null {
  return status != null ? (stage.map[status] ?? null) : null;
}

// ---- files → versions ------------------------------------------------------------------------------

interface VersionInput {
  externalId: string;
  kind: 'asset' | 'link';
  name: string;
  createdAt: string | null;
  creatorId: string | null;
  creator: MondayUserRaw | null;
  url: string | null;
  host: string | null;
  sizeBytes: number | null;
  fileRef: string | null;
  raw: unknown;
}

/** A file column's entries: the typed `files` when selected, else `value`'s `files` (legacy keys). */
function fileList(v: MondayColumnValueRaw): MondayFileEntryRaw[] {
  if (v.files) return v.files;
  const j = valueJson(v) as { files?: unknown[] } | null;
  if (!Array.isArray(j?.files)) return [];
  return j.files.map((f) => {
    const o = (f ?? {}) as { name?: unknown; assetId?: unknown; fileId?: unknown; fileType?: unknown; linkToFile?: unknown; createdAt?: unknown; createdBy?: unknown };
    const type = typeof o.fileType === 'string' ? o.fileType.toUpperCase() : '';
    const created = typeof o.createdAt === 'number' ? new Date(o.createdAt).toISOString() : typeof o.createdAt === 'string' ? o.createdAt : null;
    const id = (x: unknown) => (typeof x === 'number' || (typeof x === 'string' && /^\d+$/.test(x)) ? String(x) : null);
    const key = (x: unknown) => (typeof x === 'number' || (typeof x === 'string' && x !== '') ? String(x) : null);
    return type === 'ASSET'
      ? { __typename: 'FileAssetValue', asset_id: id(o.assetId), name: typeof o.name === 'string' ? o.name : null, created_at: created, creator_id: id(o.createdBy) }
      : {
          __typename: type === 'MONDAY_DOC' ? 'FileDocValue' : 'FileLinkValue',
          file_id: key(o.fileId),
          kind: type.toLowerCase() || null,
          name: typeof o.name === 'string' ? o.name : null,
          url: typeof o.linkToFile === 'string' ? o.linkToFile : null,
          created_at: created,
          creator_id: id(o.createdBy),
        };
  });
}

function fileEntries(item: Item, fileColumns: MondayColumnRaw[], values: Map<string, MondayColumnValueRaw>, assets: Map<string, z.infer<typeof MondayAssetRaw>>, report: ItemReport): VersionInput[] {
  const out: VersionInput[] = [];
  for (const col of fileColumns) {
    const v = values.get(col.id);
    if (!v) continue;
    for (const f of fileList(v)) {
      const type = f.__typename ?? (f.asset_id ? 'FileAssetValue' : 'FileLinkValue');
      if (type === 'FileAssetInvalidValue' || f.error || type === 'FileDocValue') {
        report.skippedFiles++;
        continue;
      }
      if (type === 'FileAssetValue' && f.asset_id) {
        const a = assets.get(f.asset_id);
        out.push({
          externalId: f.asset_id,
          kind: 'asset',
          name: f.name ?? a?.name ?? `(unnamed file ${f.asset_id})`,
          createdAt: toIso(f.created_at) ?? toIso(a?.created_at),
          creatorId: f.creator_id ?? a?.uploaded_by?.id ?? null,
          creator: a?.uploaded_by && (!f.creator_id || a.uploaded_by.id === f.creator_id) ? a.uploaded_by : null,
          url: a?.url ?? null,
          host: 'monday',
          sizeBytes: a?.file_size ?? null,
          fileRef: null,
          raw: { entry: f, asset: a ?? null },
        });
      } else if (f.file_id) {
        const drive = f.kind === 'google_drive' || /drive\.google\.com|docs\.google\.com/.test(f.url ?? '');
        out.push({
          externalId: `${item.id}/${f.file_id}`,
          kind: 'link',
          name: f.name ?? f.url ?? `(unnamed link ${f.file_id})`,
          createdAt: toIso(f.created_at),
          creatorId: f.creator_id ?? null,
          creator: null,
          url: f.url ?? null,
          host: f.kind ?? null,
          sizeBytes: null,
          fileRef: drive ? (driveFileIdsIn(f.url)[0] ?? null) : null,
          raw: { entry: f },
        });
      } else report.skippedFiles++;
    }
  }
  return out;
}

function pushVersions(inputs: VersionInput[], assetId: string, conn: string, people: People, out: Batch): void {
  const usable = inputs.filter((v) => v.createdAt !== null);
  for (const v of inputs) {
    if (v.createdAt === null) out.rejected.push({ stream: 'files', externalId: v.externalId, issues: [{ code: 'missing_time', path: ['created_at'], message: 'a file column entry without created_at cannot be placed in the version order' }], raw: v.raw });
  }
  const source = 'file_column' as const;
  const candidates: VersionCandidate[] = usable.map((v) => ({
    connectionId: conn, externalId: v.externalId, source, fileId: v.fileRef, name: v.name, createdAt: v.createdAt!, checksum: null, sizeBytes: v.sizeBytes,
  }));
  const numbers = new Map<string, number>();
  for (const rv of reconcileVersions({ key: null }, candidates)) {
    for (const c of [rv.candidate, ...rv.merged.map((m) => m.candidate)]) numbers.set(c.externalId, rv.number);
  }
  for (const v of usable) {
    const idKind = v.kind === 'asset' ? 'monday_asset' : 'monday_file_link';
    const ver = validate(Version, {
      id: stableId(conn, idKind, v.externalId),
      connectionId: conn,
      externalId: v.externalId,
      assetId,
      number: numbers.get(v.externalId) ?? 1,
      name: v.name,
      source,
      url: urlOrNull(v.url),
      host: v.host,
      sizeBytes: v.sizeBytes,
      checksum: null,
      fileRef: v.fileRef,
      createdById: people.byId(v.creatorId, v.creator),
      createdAt: v.createdAt,
      raw: v.raw,
    });
    if (ver.ok) out.versions.push(ver.value);
    else out.rejected.push({ stream: 'files', externalId: v.externalId, issues: ver.issues, raw: v.raw });
  }
  out.complete.push({ kind: 'version', assetId, scope: 'all', ids: usable.map((v) => stableId(conn, v.kind === 'asset' ? 'monday_asset' : 'monday_file_link', v.externalId)) });
}

// ---- updates → comments ------------------------------------------------------------------------------

/** Plain text of an update: `text_body` when monday gives it, else the HTML body reduced to text. */
export function textOfUpdate(u: { body: string; text_body?: string | null | undefined }): string {
  if (typeof u.text_body === 'string') return u.text_body;
  return textOfHtml(u.body);
}

export function textOfHtml(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>\s*<p[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

/**
 * Updates (and their replies) as comments. `thread`: the subitem an update sits on (null on the item
 * itself); a reply's thread is its update. Stageline's own updates (stamped when written,
 * connectors/stamp.ts) are its writes coming back, not feedback, and are skipped; a person's reply to
 * one is feedback and is kept.
 */
function pushUpdates(list: unknown[], thread: string | null, assetId: string, conn: string, people: People, out: Batch): void {
  for (const raw of list) {
    const p = MondayUpdateRaw.safeParse(raw);
    if (!p.success) {
      out.rejected.push({ stream: 'updates', externalId: idOfRaw(raw), issues: toIssues(p.error), raw });
      continue;
    }
    const u = p.data;
    const text = textOfUpdate(u);
    if (readStamp(text) === null && readStamp(u.body) === null) pushComment(u, text, thread, assetId, conn, people, out, raw);
    (u.replies ?? []).forEach((rawReply, i) => {
      const rp = MondayReplyRaw.safeParse(rawReply);
      if (!rp.success) {
        out.rejected.push({ stream: 'updates', externalId: idOfRaw(rawReply), issues: toIssues(rp.error, ['replies', i]), raw: rawReply });
        return;
      }
      const r = rp.data;
      const replyText = textOfUpdate(r);
      if (readStamp(replyText) !== null || readStamp(r.body) !== null) return;
      pushComment(r, replyText, u.id, assetId, conn, people, out, rawReply);
    });
  }
}

function pushComment(u: MondayReplyRaw, body: string, thread: string | null, assetId: string, conn: string, people: People, out: Batch, raw: unknown): void {
  const c = validate(Comment, {
    id: stableId(conn, 'monday_update', u.id),
    connectionId: conn,
    externalId: u.id,
    assetId,
    versionId: null, // attributed in SQL to the version current when the comment was written
    authorId: people.user(u.creator, u.creator_id),
    body,
    createdAt: toIso(u.created_at),
    threadExternalId: thread,
    raw,
  });
  if (c.ok) out.comments.push(c.value);
  else out.rejected.push({ stream: 'updates', externalId: u.id, issues: c.issues, raw });
}

// ---- activity log → stage transitions ------------------------------------------------------------------

interface LogEntry {
  id: string;
  event: string;
  at: string;
  userId: string | null;
  itemId: string | null;
  data: Record<string, unknown>;
  raw: unknown;
}

/** Activity-log `created_at`: 17 digits of 100-ns units since the epoch [U], or an ISO time. */
export function activityTime(v: string | number): string | null {
  const s = String(v).trim();
  if (/^\d{16,}$/.test(s)) return new Date(Number(s.slice(0, -4))).toISOString();
  return toIso(s);
}

function parseLog(entries: unknown[], out: Batch): LogEntry[] {
  const list: LogEntry[] = [];
  for (const raw of entries) {
    const p = MondayActivityLogRaw.safeParse(raw);
    if (!p.success) {
      out.rejected.push({ stream: 'activity_logs', externalId: idOfRaw(raw), issues: toIssues(p.error), raw });
      continue;
    }
    const e = p.data;
    const data = activityDataObject(e);
    const at = activityTime(e.created_at);
    if (!data || !at) {
      out.rejected.push({ stream: 'activity_logs', externalId: e.id, issues: [{ code: data ? 'invalid_time' : 'invalid_json', path: [data ? 'created_at' : 'data'], message: data ? `unreadable created_at ${JSON.stringify(e.created_at)}` : 'data is not a JSON object' }], raw });
      continue;
    }
    const pulse = PulseData.safeParse(data);
    list.push({ id: e.id, event: e.event, at, userId: e.user_id ?? null, itemId: pulse.success ? pulse.data.pulse_id : null, data, raw });
  }
  // Newest first as served: oldest first here, ties by id so the order never depends on the page order.
  return list.sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
}

function pushTransitions(log: LogEntry[], complete: boolean, item: Item, status: string | null, assetId: string, ctx: MondayNormalizeContext, people: People, out: Batch): void {
  const conn = ctx.connectionId;
  const stage = ctx.stage;
  type Move = { e: LogEntry; from: string | null; to: string | null };
  const moves: Move[] = [];
  for (const e of log) {
    if (stage.from === 'status_column') {
      if (e.event !== 'update_column_value') continue;
      const d = StatusChangeData.safeParse(e.data);
      if (!d.success) {
        if (e.data.column_id === stage.columnId) out.rejected.push({ stream: 'activity_logs', externalId: e.id, issues: toIssues(d.error, ['data']), raw: e.raw });
        continue;
      }
      if (d.data.column_id !== stage.columnId) continue;
      moves.push({ e, from: labelText(d.data.previous_value?.label), to: labelText(d.data.value?.label) });
    } else if (GROUP_MOVE_EVENTS.has(e.event)) {
      const d = GroupMoveData.safeParse(e.data);
      if (!d.success) {
        out.rejected.push({ stream: 'activity_logs', externalId: e.id, issues: toIssues(d.error, ['data']), raw: e.raw });
        continue;
      }
      moves.push({ e, from: d.data.source_group?.title ?? null, to: d.data.dest_group?.title ?? null });
    } else if (e.event === 'create_pulse') {
      const d = CreatePulseData.safeParse(e.data);
      if (d.success && d.data.group_name) moves.push({ e, from: null, to: d.data.group_name });
    }
  }
  // The stage the item was created in, when no entry of the log records it: only when the log reaches
  // back to the item's creation (an incremental window says nothing about the start).
  const first = moves[0];
  const initialStatus = first ? first.from : status;
  const createdAt = toIso(item.created_at);
  if (complete && initialStatus !== null && createdAt) {
    out.transitions.push(StageTransition.parse({
      id: stableId(conn, 'monday_initial_stage', item.id),
      connectionId: conn,
      externalId: `${item.id}:initial`,
      assetId,
      fromStage: null,
      toStage: mapStage(stage, initialStatus),
      fromStatus: null,
      toStatus: initialStatus,
      at: createdAt,
      actorId: null,
      source: 'initial',
      raw: null,
    }));
  }
  for (const m of moves) {
    const t = validate(StageTransition, {
      id: stableId(conn, 'monday_activity', m.e.id),
      connectionId: conn,
      externalId: m.e.id,
      assetId,
      fromStage: mapStage(stage, m.from),
      toStage: mapStage(stage, m.to),
      fromStatus: m.from,
      toStatus: m.to,
      at: m.e.at,
      actorId: people.byId(m.e.userId),
      source: 'vendor_history',
      raw: m.e.raw,
    });
    if (t.ok) out.transitions.push(t.value);
    else out.rejected.push({ stream: 'activity_logs', externalId: m.e.id, issues: t.issues, raw: m.e.raw });
  }
}

// ---- subitems → decisions ------------------------------------------------------------------------------

const DEFAULT_DECISION_MAP: Readonly<Record<string, DecisionKind>> = Object.fromEntries(DECISIONS.map((d) => [d.replace(/_/g, ' '), d]));

function decisionOfLabel(label: string | null, ctx: MondayNormalizeContext): DecisionKind | null {
  if (!label) return null;
  const map = ctx.decisions?.map;
  if (map) return map[label] ?? null;
  return DEFAULT_DECISION_MAP[label.trim().toLowerCase()] ?? null;
}

/**
 * The columns of an approval round on a subitems board: the decision (a status column: the one
 * configured, else one titled Decision/Approval, else the board's only status column) and the
 * reviewer (a people column: the one configured, else the first). What the client reads of subitems
 * (`ItemSelection.subitemColumns`): each column read costs complexity on every subitem of a page.
 */
export function approvalColumns(subitemColumns: readonly MondayColumnRaw[], cfg: MondayDecisionsConfig = {}): { decision: string | null; reviewer: string | null } {
  const live = subitemColumns.filter((c) => !c.archived);
  const statuses = live.filter((c) => c.type === 'status');
  const decision = cfg.column ? findColumn(live, cfg.column) : (statuses.find((c) => /decision|approval/i.test(c.title)) ?? (statuses.length === 1 ? statuses[0] : undefined));
  const reviewer = cfg.reviewer ? findColumn(live, cfg.reviewer) : live.find((c) => c.type === 'people');
  return { decision: decision?.id ?? null, reviewer: reviewer?.id ?? null };
}

/**
 * The decision column of an approval subitem, or undefined for any other subitem. Every subitem of a
 * board shares the subitems board's columns, so a subitem is an approval round when its decision
 * column holds a label (Pending included); one whose decision is empty is an ordinary to-do.
 */
function decisionColumnOf(sub: z.infer<typeof MondaySubitemRaw>, ctx: MondayNormalizeContext): string | undefined {
  const cols = ctx.subitemColumns;
  const ref = ctx.decisions?.column;
  let id: string | undefined;
  if (cols) id = approvalColumns(cols, ctx.decisions).decision ?? undefined;
  else if (ref) id = ref;
  else {
    const statuses = sub.column_values.filter((v) => v.type === 'status');
    id = statuses.length === 1 ? statuses[0]!.id : undefined;
  }
  const v = id === undefined ? undefined : sub.column_values.find((x) => x.id === id);
  return v && statusLabel(v, cols?.find((c) => c.id === id)) ? id : undefined;
}

function pushDecisions(sub: z.infer<typeof MondaySubitemRaw>, columnId: string, log: LogEntry[], assetId: string, ctx: MondayNormalizeContext, people: People, out: Batch): void {
  const conn = ctx.connectionId;
  const reviewerColumn = ctx.subitemColumns
    ? approvalColumns(ctx.subitemColumns, ctx.decisions).reviewer
    : (ctx.decisions?.reviewer ?? sub.column_values.find((v) => v.type === 'people')?.id);
  const reviewerUser = personIdsOf(sub.column_values.find((v) => v.id === reviewerColumn))[0] ?? null;
  const push = (externalId: string, kind: DecisionKind, at: string | null, reviewerId: string | null, raw: unknown) => {
    const email = people.email(reviewerId);
    const d = validate(Decision, {
      id: stableId(conn, 'monday_decision', externalId),
      connectionId: conn,
      externalId,
      assetId,
      versionId: null, // attributed in SQL to the version current at decision time, whatever tool it came from
      decision: kind,
      reviewerId,
      role: ctx.rolesOf(email)[0] ?? null,
      decidedAt: at,
      raw,
    });
    if (d.ok) out.decisions.push(d.value);
    else out.rejected.push({ stream: 'decisions', externalId, issues: d.issues, raw });
  };
  // Every change of the decision column in the subitems board's log is a decision, by whoever made it.
  const changes = log
    .filter((e) => e.event === 'update_column_value' && e.data.column_id === columnId)
    .map((e) => ({ e, d: StatusChangeData.safeParse(e.data) }))
    .filter((x) => x.d.success)
    .map((x) => ({ e: x.e, kind: decisionOfLabel(labelText(x.d.data!.value?.label), ctx) }))
    .filter((x): x is { e: LogEntry; kind: DecisionKind } => x.kind !== null);
  if (changes.length) {
    for (const c of changes) push(c.e.id, c.kind, c.e.at, people.byId(c.e.userId) ?? people.byId(reviewerUser), { subitem: sub, log: c.e.raw });
    return;
  }
  // Without the log: the verdict the subitem holds now, by its reviewer, when the column last changed.
  const v = sub.column_values.find((x) => x.id === columnId);
  const kind = decisionOfLabel(statusLabel(v, ctx.subitemColumns?.find((c) => c.id === columnId)), ctx);
  if (kind) push(sub.id, kind, toIso(v?.updated_at) ?? toIso(sub.updated_at), people.byId(reviewerUser), { subitem: sub });
}

// ---- helpers ---------------------------------------------------------------------------------------------

/**
 * A monday time as ISO 8601 with an offset, or null. `Date` and `ISO8601DateTime` scalars come as
 * ISO strings ("2026-09-01T09:15:00Z"); a bare date is midnight UTC; anything unreadable is null
 * (and the record that needs it is rejected with its path, never silently dated).
 */
export function toIso(v: string | null | undefined): string | null {
  if (!v) return null;
  const s = v.trim();
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s)) {
    const t = Date.parse(s);
    return Number.isFinite(t) ? new Date(t).toISOString() : null;
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return `${s}T00:00:00.000Z`;
  const t = Date.parse(s.replace(' UTC', 'Z').replace(' ', 'T'));
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/** A URL or null: a malformed URL is not a reason to reject a record. */
function urlOrNull(u: string | null | undefined): string | null {
  return u && z.url().safeParse(u).success ? u : null;
}

function validate<T>(schema: z.ZodType<T>, value: unknown): Normalized<T> {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: toIssues(r.error) };
}

function fail(issue: Issue): Normalized<never> {
  return { ok: false, issues: [issue] };
}

function idOfRaw(x: unknown): string | null {
  const id = x && typeof x === 'object' ? (x as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : typeof id === 'number' ? String(id) : null;
}
