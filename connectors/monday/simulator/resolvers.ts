// The resolvers behind the 2026-10 schema: root queries and mutations, and one view per record
// type whose properties and methods are the schema's fields (graphql-js calls a method with the
// field's arguments). A field a view does not have is answered with an error naming it (see
// `fieldResolver`), so a query never gets a silent null for something the simulator does not model.

import { type GraphQLFieldResolver, type GraphQLTypeResolver } from 'graphql';
import { appError, invalidArgument, invalidBoard, invalidColumn, invalidItem, notFound, unsupported, unsupportedField } from './errors';
import {
  type AccountRec,
  type ActivityLogRec,
  type AssetRec,
  type BoardRec,
  type ColumnRec,
  type ColumnType,
  type FileEntry,
  type GroupRec,
  type ItemRec,
  type ReplyRec,
  type StatusLabel,
  type UpdateRec,
  type UserRec,
  type WebhookRec,
  type WorkspaceRec,
  activityTime,
  isoSeconds,
} from './model';
import { type Limits } from './limits';
import { selectItems, type ItemsQuery } from './query';
import { type MondayStore } from './store';
import { VALUE_TYPENAME, assetUrl, cellChangedAt, cellText, cellValue, labelAt } from './values';
import { type WebhookSender, WEBHOOK_EVENTS, WebhookError } from './webhooks';
import { type ParsedWrite, type WriteContext, parseColumnValue, parseColumnValues, parseSimpleValue } from './writes';
import { EMPTY_STATUS_INDEX, PALETTE, STATUS_COLUMN_COLOURS, borderOf } from './vocabulary';

export const ITEMS_PAGE_MAX = 500;
const BIG_ITEMS_QUERY_IDS = 100;
const BIG_ITEMS_QUERY_EVERY_MS = 120_000;

export interface Ctx {
  store: MondayStore;
  webhooks: WebhookSender;
  limits: Limits;
  me: UserRec;
  version: string;
  complexity: { before: number; after: number; query: number; resetIn: number };
  /** `http://127.0.0.1:<port>`: where public_url downloads are served. */
  origin: string;
  signAsset: (assetId: string, expires: number) => string;
}

type Args = Record<string, unknown>;

/** Properties and methods are fields; anything else is an error naming the field. */
export const fieldResolver: GraphQLFieldResolver<unknown, Ctx> = (source, args, ctx, info) => {
  if (source !== null && typeof source === 'object') {
    const v = (source as Record<string, unknown>)[info.fieldName];
    if (typeof v === 'function') return (v as (a: Args, c: Ctx) => unknown).call(source, args, ctx);
    if (v !== undefined || info.fieldName in source) return v;
  }
  throw unsupportedField(info.parentType.name, info.fieldName);
};

export const typeResolver: GraphQLTypeResolver<unknown, Ctx> = (value) => (value as { __typename?: string }).__typename;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : v === null || v === undefined ? null : String(v));
const ids = (v: unknown): string[] | null => (Array.isArray(v) ? v.map(String) : null);
const int = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);

function page<T>(list: T[], limit: number, pageNo: number): T[] {
  if (limit < 1) throw invalidArgument('limit must be a positive integer');
  if (pageNo < 1) throw invalidArgument('page must be a positive integer');
  return list.slice((pageNo - 1) * limit, pageNo * limit);
}

function timeArg(v: unknown, name: string): number | null {
  if (v === null || v === undefined) return null;
  const t = Date.parse(String(v));
  if (Number.isNaN(t)) throw invalidArgument(`${name}: not a valid date-time: ${String(v)}`);
  return t;
}

// ---- views --------------------------------------------------------------------------------------

const accountView = (a: AccountRec, ctx: Ctx): object => ({
  id: a.id,
  name: a.name,
  slug: a.slug,
  tier: a.tier,
  created_at: isoSeconds(a.createdAt),
  country_code: 'GB',
  is_during_trial: false,
  is_trial_expired: false,
  first_day_of_the_week: 'monday',
  show_timeline_weekends: true,
  logo: null,
  sign_up_product_kind: 'core',
  active_members_count: ctx.store.allUsers().filter((u) => u.enabled && u.userKind !== 'guest').length,
  plan: { max_users: 100, period: 'annual', tier: a.tier, version: 10 },
});

export function userView(u: UserRec): object {
  return {
    id: u.id,
    name: u.name,
    email: u.email,
    title: u.title,
    kind: u.userKind,
    created_at: isoSeconds(u.createdAt),
    url: `https://lumenlark.monday.com/users/${u.id}`,
    account_id: '',
    status: u.enabled ? 'ACTIVE' : 'INACTIVE',
    is_deleted: false,
    is_email_confirmed: true,
    time_zone_identifier: 'Europe/London',
    utc_hours_diff: 0,
    account: (_a: Args, ctx: Ctx) => accountView(ctx.store.dataset.account, ctx),
    phone: null,
    mobile_phone: null,
    location: null,
    birthday: null,
    country_code: null,
    last_activity: null,
  };
}

function withAccount(view: object, ctx: Ctx): object {
  return { ...view, account_id: ctx.store.dataset.account.id };
}

const workspaceView = (w: WorkspaceRec): object => ({
  id: w.id,
  name: w.name,
  description: w.description,
  kind: 'open',
  state: 'active',
  is_default_workspace: false,
  created_at: isoSeconds(w.createdAt),
});

function settingsOf(c: ColumnRec): Record<string, unknown> {
  switch (c.type) {
    case 'status': {
      const labels: Record<string, string> = {};
      const positions: Record<string, number> = {};
      const colours: Record<string, unknown> = {};
      c.labels.forEach((l, i) => {
        labels[String(l.index)] = l.label;
        positions[String(l.index)] = i;
        colours[String(l.index)] = { color: l.color, border: l.border, var_name: l.varName };
      });
      colours[String(EMPTY_STATUS_INDEX)] = { color: PALETTE.empty.color, border: PALETTE.empty.border, var_name: PALETTE.empty.varName };
      return { done_colors: c.labels.filter((l) => l.isDone).map((l) => l.index), labels, labels_positions_v2: positions, labels_colors: colours };
    }
    case 'board_relation':
      return { allowCreateReflectionColumn: false, boardIds: c.linkedBoardIds.map(Number) };
    case 'subtasks':
      return { allowMultipleItems: true, itemTypeName: 'item', displayType: 'BOARD_INLINE', boardIds: c.board.subitemsBoard ? [Number(c.board.subitemsBoard.id)] : [] };
    default:
      return {};
  }
}

function columnView(c: ColumnRec): object {
  return {
    id: c.id,
    title: c.title,
    description: c.description,
    type: c.type,
    width: c.width,
    archived: c.archived,
    settings: () => settingsOf(c),
    settings_str: () => JSON.stringify(settingsOf(c)),
    revision: String(c.revision),
  };
}

const groupView = (g: GroupRec): object => ({
  id: g.id,
  title: g.title,
  color: g.color,
  position: g.position,
  archived: g.archived,
  deleted: g.deleted,
  items_page: (a: Args, ctx: Ctx) => itemsPage(g.board, g.id, a, ctx),
});

function boardView(b: BoardRec): object {
  return {
    id: b.id,
    name: b.name,
    description: b.description,
    state: b.state,
    board_kind: b.boardKind,
    type: b.type,
    workspace_id: b.workspace.id,
    workspace: () => workspaceView(b.workspace),
    created_at: isoSeconds(b.createdAt),
    updated_at: isoSeconds(b.updatedAt),
    url: `https://lumenlark.monday.com/boards/${b.id}`,
    permissions: 'everyone',
    item_terminology: 'item',
    board_folder_id: null,
    items_count: () => b.items.filter((it) => it.state === 'active').length,
    items_limit: 10_000,
    owner: (_a: Args, ctx: Ctx) => withAccount(userView(b.owner), ctx),
    creator: (_a: Args, ctx: Ctx) => withAccount(userView(b.owner), ctx),
    owners: (_a: Args, ctx: Ctx) => [withAccount(userView(b.owner), ctx)],
    subscribers: (_a: Args, ctx: Ctx) => b.subscribers.map((u) => withAccount(userView(u), ctx)),
    top_group: () => groupView(b.groups.find((g) => !g.archived && !g.deleted) ?? (b.groups[0] as GroupRec)),
    columns: (a: Args) => {
      const want = ids(a.ids);
      const types = ids(a.types);
      return b.columns.filter((c) => !c.archived && (!want || want.includes(c.id)) && (!types || types.includes(c.type))).map(columnView);
    },
    groups: (a: Args) => {
      const want = ids(a.ids);
      return b.groups.filter((g) => !g.deleted && (!want || want.includes(g.id))).map(groupView);
    },
    items_page: (a: Args, ctx: Ctx) => itemsPage(b, null, a, ctx),
    activity_logs: (a: Args) => activityLogs(b, a),
    updates: (a: Args) => {
      const from = timeArg(a.from_date, 'from_date');
      const to = timeArg(a.to_date, 'to_date');
      const want = ids(a.ids);
      const all = b.items.flatMap((it) => (it.state === 'deleted' ? [] : it.updates.filter((u) => !u.deleted)));
      const list = all.filter((u) => (!want || want.includes(u.id)) && (from === null || u.createdAt >= from) && (to === null || u.createdAt <= to)).sort((x, y) => y.createdAt - x.createdAt || y.seq - x.seq);
      return page(list, int(a.limit, 25), int(a.page, 1)).map(updateView);
    },
  };
}

function itemsPage(b: BoardRec, groupId: string | null, a: Args, ctx: Ctx): object {
  const limit = int(a.limit, 25);
  if (limit < 1 || limit > ITEMS_PAGE_MAX) throw invalidArgument(`limit: items_page takes 1 to ${ITEMS_PAGE_MAX} items per page, got ${limit}`, { limit });
  const cursor = str(a.cursor);
  if (cursor) {
    const next = ctx.store.nextItems(cursor, limit);
    if (next.boardId !== b.id) throw appError('CursorException', 'CursorException: The cursor belongs to another board', { statusCode: 400 });
    return { cursor: next.cursor, items: next.items.map(itemView) };
  }
  const list = selectItems(b, groupId, (a.query_params ?? null) as ItemsQuery | null, ctx.store.clock());
  const first = ctx.store.openItems(list, b.id, limit);
  return { cursor: first.cursor, items: first.items.map(itemView) };
}

function activityLogs(b: BoardRec, a: Args): object[] {
  const from = timeArg(a.from, 'from');
  const to = timeArg(a.to, 'to');
  const cols = ids(a.column_ids);
  const items = ids(a.item_ids);
  const groups = ids(a.group_ids);
  const users = ids(a.user_ids);
  const out: ActivityLogRec[] = [];
  for (let i = b.activity.length - 1; i >= 0; i--) {
    const e = b.activity[i] as ActivityLogRec;
    if (from !== null && e.createdAt < from) break;
    if (to !== null && e.createdAt > to) continue;
    if (cols && (e.columnId === null || !cols.includes(e.columnId))) continue;
    if (items && (e.itemId === null || !items.includes(e.itemId))) continue;
    if (groups && (e.groupId === null || !groups.includes(e.groupId))) continue;
    if (users && !users.includes(e.user.id)) continue;
    out.push(e);
  }
  return page(out, int(a.limit, 25), int(a.page, 1)).map((e) => ({
    id: e.id,
    event: e.event,
    entity: e.entity,
    data: JSON.stringify(e.data()),
    user_id: e.user.id,
    account_id: (_x: Args, ctx: Ctx) => ctx.store.dataset.account.id,
    created_at: activityTime(e.createdAt),
  }));
}

function assetView(a: AssetRec): object {
  return {
    id: a.id,
    name: a.name,
    file_extension: a.extension,
    file_size: a.size,
    created_at: isoSeconds(a.createdAt),
    url: (_x: Args, ctx: Ctx) => assetUrl(ctx.store.dataset.account, a.id, a.name),
    public_url: (_x: Args, ctx: Ctx) => ctx.signAsset(a.id, ctx.store.clock() + 3_600_000),
    url_thumbnail: a.isImage ? (_x: Args, ctx: Ctx) => `${assetUrl(ctx.store.dataset.account, a.id, a.name)}?thumb=1` : null,
    original_geometry: null,
    uploaded_by: (_x: Args, ctx: Ctx) => withAccount(userView(a.uploadedBy), ctx),
  };
}

function fileItemView(f: FileEntry): object {
  if (f.kind === 'asset') {
    return {
      __typename: 'FileAssetValue',
      asset_id: f.asset.id,
      name: f.asset.name,
      is_image: f.asset.isImage,
      created_at: isoSeconds(f.asset.createdAt),
      creator_id: f.asset.uploadedBy.id,
      creator: (_x: Args, ctx: Ctx) => withAccount(userView(f.asset.uploadedBy), ctx),
      asset: () => assetView(f.asset),
    };
  }
  return {
    __typename: 'FileLinkValue',
    file_id: f.fileId,
    kind: f.linkKind,
    name: f.name,
    url: f.url,
    created_at: isoSeconds(f.createdAt),
    creator_id: f.creator.id,
    creator: (_x: Args, ctx: Ctx) => withAccount(userView(f.creator), ctx),
  };
}

function columnValueView(item: ItemRec, c: ColumnRec, ctx: Ctx): object {
  const cell = item.values.get(c.id);
  const base: Record<string, unknown> = {
    __typename: VALUE_TYPENAME[c.type],
    id: c.id,
    type: c.type,
    is_leaf: true,
    column: () => columnView(c),
    text: () => cellText(item, c, ctx.store.lookup),
    value: () => cellValue(item, c),
  };
  switch (c.type) {
    case 'status': {
      const l: StatusLabel | undefined = cell && cell.t === 'status' ? labelAt(c, cell.index) : undefined;
      return {
        ...base,
        index: cell && cell.t === 'status' ? cell.index : null,
        label: l?.label ?? null,
        is_done: l ? l.isDone : null,
        label_style: l ? { color: l.color, border: l.border } : null,
        update_id: null,
        updated_at: () => cellChangedAt(item, c),
      };
    }
    case 'people':
      return { ...base, persons_and_teams: cell && cell.t === 'people' ? cell.persons.map((p) => ({ id: p.id, kind: p.kind })) : null, updated_at: () => cellChangedAt(item, c) };
    case 'date':
      return { ...base, date: cell && cell.t === 'date' ? cell.date : null, time: cell && cell.t === 'date' ? cell.time : null, icon: null, updated_at: () => cellChangedAt(item, c) };
    case 'long_text':
      return { ...base, updated_at: () => cellChangedAt(item, c) };
    case 'numbers':
      return { ...base, number: cell && cell.t === 'numbers' ? Number(cell.number) : null, symbol: null, direction: null };
    case 'file':
      return { ...base, files: cell && cell.t === 'file' ? cell.files.map(fileItemView) : [] };
    case 'board_relation': {
      const linked = cell && cell.t === 'board_relation' ? cell.itemIds : [];
      return {
        ...base,
        linked_item_ids: linked,
        linked_items: () => linked.map((id) => ctx.store.item(id)).filter((it): it is ItemRec => it !== undefined && it.state !== 'deleted').map(itemView),
        display_value: () => cellText(item, c, ctx.store.lookup) ?? '',
        updated_at: () => cellChangedAt(item, c),
      };
    }
    case 'subtasks': {
      const subs = item.subitems.filter((s) => s.state !== 'deleted');
      return { ...base, subitems_ids: subs.map((s) => s.id), subitems: () => subs.map(itemView), display_value: () => cellText(item, c, ctx.store.lookup) ?? '' };
    }
    default:
      return base;
  }
}

function replyView(r: ReplyRec): object {
  return {
    id: r.id,
    body: r.body,
    text_body: r.textBody,
    kind: 'text',
    creator_id: r.creator.id,
    creator: (_x: Args, ctx: Ctx) => withAccount(userView(r.creator), ctx),
    created_at: isoSeconds(r.createdAt),
    updated_at: isoSeconds(r.updatedAt),
    edited_at: isoSeconds(r.updatedAt),
    likes: [],
    pinned_to_top: [],
    assets: [],
  };
}

function updateView(u: UpdateRec): object {
  return {
    id: u.id,
    body: u.body,
    text_body: u.textBody,
    creator_id: u.creator.id,
    creator: (_x: Args, ctx: Ctx) => withAccount(userView(u.creator), ctx),
    created_at: isoSeconds(u.createdAt),
    updated_at: isoSeconds(u.updatedAt),
    edited_at: isoSeconds(u.createdAt),
    item_id: u.item.id,
    item: () => itemView(u.item),
    original_creation_date: null,
    replies: () => u.replies.map(replyView),
    assets: [],
    likes: [],
    pinned_to_top: [],
  };
}

/** A reply returned by create_update(parent_id:): monday answers with an Update object. */
function replyAsUpdateView(r: ReplyRec): object {
  return { ...replyView(r), item_id: r.update.item.id, item: () => itemView(r.update.item), original_creation_date: null, replies: [] };
}

export function itemView(it: ItemRec): object {
  return {
    id: it.id,
    name: it.name,
    state: it.state,
    created_at: isoSeconds(it.createdAt),
    updated_at: isoSeconds(it.updatedAt),
    creator_id: it.creator.id,
    creator: (_x: Args, ctx: Ctx) => withAccount(userView(it.creator), ctx),
    group: () => groupView(it.group),
    board: () => boardView(it.board),
    parent_item: () => (it.parent ? itemView(it.parent) : null),
    subitems: () => it.subitems.filter((s) => s.state !== 'deleted').map(itemView),
    url: `https://lumenlark.monday.com/boards/${it.board.id}/pulses/${it.id}`,
    relative_link: `/boards/${it.board.id}/pulses/${it.id}`,
    email: `pulse-${it.id}@lumenlark.monday.com`,
    subscribers: (_x: Args, ctx: Ctx) => [withAccount(userView(it.creator), ctx)],
    column_values: (a: Args, ctx: Ctx) => {
      const want = ids(a.ids);
      const types = ids(a.types);
      return it.board.columns.filter((c) => c.type !== 'name' && !c.archived && (!want || want.includes(c.id)) && (!types || types.includes(c.type))).map((c) => columnValueView(it, c, ctx));
    },
    updates: (a: Args) => {
      const want = ids(a.ids);
      const list = it.updates.filter((u) => !u.deleted && (!want || want.includes(u.id))).reverse();
      return page(list, int(a.limit, 25), int(a.page, 1)).map(updateView);
    },
    updates_page: (a: Args) => {
      const limit = int(a.limit, 25);
      const list = it.updates.filter((u) => !u.deleted).reverse();
      let offset = 0;
      const cursor = str(a.cursor);
      if (cursor) {
        const m = /^u:(\d+):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
        if (!m || m[1] !== it.id) throw appError('CursorException', 'CursorException: The cursor provided for pagination is invalid', { statusCode: 400 });
        offset = Number(m[2]);
      }
      const slice = list.slice(offset, offset + limit);
      const next = offset + limit < list.length ? Buffer.from(`u:${it.id}:${offset + limit}`).toString('base64url') : null;
      return { updates: slice.map(updateView), cursor: next };
    },
    assets: (a: Args) => {
      const source = str(a.assets_source) ?? 'all';
      if (source === 'gallery') return [];
      const cols = ids(a.column_ids);
      const out: object[] = [];
      for (const c of it.board.columns) {
        if (c.type !== 'file' || (cols && !cols.includes(c.id))) continue;
        const cell = it.values.get(c.id);
        if (cell && cell.t === 'file') for (const f of cell.files) if (f.kind === 'asset') out.push(assetView(f.asset));
      }
      return out;
    },
  };
}

const webhookView = (h: WebhookRec): object => ({ id: h.id, board_id: h.boardId, event: h.event, config: h.config === null ? null : JSON.stringify(h.config) });

// ---- root fields --------------------------------------------------------------------------------

function boardOf(ctx: Ctx, id: unknown): BoardRec {
  const b = ctx.store.board(String(id));
  if (!b || b.state === 'deleted') throw invalidBoard(String(id));
  return b;
}

function itemOf(ctx: Ctx, id: unknown, board?: BoardRec): ItemRec {
  if (id === null || id === undefined) throw invalidArgument('item_id is required');
  const it = ctx.store.item(String(id));
  if (!it || it.state === 'deleted' || (board && it.board !== board)) throw invalidItem(String(id));
  return it;
}

function writeContext(ctx: Ctx, a: Args): WriteContext {
  return {
    now: ctx.store.clock(),
    createLabelsIfMissing: a.create_labels_if_missing === true,
    userExists: (id) => ctx.store.user(id) !== undefined,
    itemExists: (id) => {
      const it = ctx.store.item(id);
      return it !== undefined && it.state !== 'deleted';
    },
  };
}

function columnOf(board: BoardRec, id: unknown): ColumnRec {
  const c = board.columns.find((x) => x.id === String(id) && !x.archived);
  if (!c) throw invalidColumn(String(id));
  return c;
}

const CREATABLE: readonly ColumnType[] = ['status', 'text', 'long_text', 'numbers', 'date', 'people'];

export const rootValue = {
  // Queries
  boards(a: Args, ctx: Ctx): object[] {
    const want = ids(a.ids);
    const state = str(a.state) ?? 'active';
    const ws = ids(a.workspace_ids);
    const kind = str(a.board_kind);
    let list = ctx.store.allBoards().filter((b) => (state === 'all' || b.state === state) && (!want || want.includes(b.id)) && (!ws || ws.includes(b.workspace.id)) && (!kind || b.boardKind === kind));
    if (str(a.order_by) === 'created_at') list = [...list].reverse();
    return page(list, int(a.limit, 25), int(a.page, 1)).map(boardView);
  },
  items(a: Args, ctx: Ctx): object[] {
    const want = ids(a.ids);
    if (!want || want.length === 0) throw invalidArgument('ids: the items query needs item ids (list a board\'s items with items_page)');
    const now = ctx.store.clock();
    if (want.length > BIG_ITEMS_QUERY_IDS) {
      const wait = ctx.limits.bigItemsQueryAt + BIG_ITEMS_QUERY_EVERY_MS - now;
      if (wait > 0) {
        throw appError('FIELD_LIMIT_EXCEEDED', `An items query with more than ${BIG_ITEMS_QUERY_IDS} ids runs once per 2 minutes`, {
          statusCode: 429,
          errorData: { retry_in_seconds: Math.ceil(wait / 1000), entity: 'items' },
          extra: { retry_in_seconds: Math.ceil(wait / 1000) },
        });
      }
      ctx.limits.bigItemsQueryAt = now;
    }
    const set = new Set(want);
    let list = [...set].map((id) => ctx.store.item(id)).filter((it): it is ItemRec => it !== undefined);
    if (a.exclude_nonactive === true) list = list.filter((it) => it.state === 'active');
    list.sort((x, y) => (a.newest_first === true ? y.seq - x.seq : x.seq - y.seq));
    return page(list, int(a.limit, 25), int(a.page, 1)).map(itemView);
  },
  next_items_page(a: Args, ctx: Ctx): object {
    const limit = int(a.limit, 25);
    if (limit < 1 || limit > ITEMS_PAGE_MAX) throw invalidArgument(`limit: next_items_page takes 1 to ${ITEMS_PAGE_MAX} items per page, got ${limit}`, { limit });
    const next = ctx.store.nextItems(String(a.cursor), limit);
    return { cursor: next.cursor, items: next.items.map(itemView) };
  },
  users(a: Args, ctx: Ctx): object[] {
    const want = ids(a.ids);
    const emails = ids(a.emails)?.map((e) => e.toLowerCase()) ?? null;
    const name = str(a.name)?.toLowerCase() ?? null;
    const kind = str(a.kind) ?? 'all';
    let list = ctx.store.allUsers().filter(
      (u) =>
        (!want || want.includes(u.id)) &&
        (!emails || emails.includes(u.email.toLowerCase())) &&
        (!name || u.name.toLowerCase().includes(name)) &&
        (kind === 'all' || kind === 'non_pending' || (kind === 'guests' ? u.userKind === 'guest' : u.userKind !== 'guest')) &&
        (u.enabled || a.non_active === true),
    );
    if (a.newest_first === true) list = [...list].reverse();
    return page(list, int(a.limit, 200), int(a.page, 1)).map((u) => withAccount(userView(u), ctx));
  },
  me(_a: Args, ctx: Ctx): object {
    return withAccount(userView(ctx.me), ctx);
  },
  account(_a: Args, ctx: Ctx): object {
    return accountView(ctx.store.dataset.account, ctx);
  },
  version(_a: Args, ctx: Ctx): object {
    return { display_name: ctx.version, kind: 'current', value: ctx.version };
  },
  complexity(_a: Args, ctx: Ctx): object {
    return { before: ctx.complexity.before, after: ctx.complexity.after, query: ctx.complexity.query, reset_in_x_seconds: ctx.complexity.resetIn };
  },
  updates(a: Args, ctx: Ctx): object[] {
    const from = timeArg(a.from_date, 'from_date');
    const to = timeArg(a.to_date, 'to_date');
    const want = ids(a.ids);
    const list: UpdateRec[] = [];
    for (const b of ctx.store.allBoards()) {
      if (b.state === 'deleted') continue;
      for (const it of b.items) {
        if (it.state === 'deleted') continue;
        for (const u of it.updates) if (!u.deleted && (!want || want.includes(u.id)) && (from === null || u.createdAt >= from) && (to === null || u.createdAt <= to)) list.push(u);
      }
    }
    list.sort((x, y) => y.createdAt - x.createdAt || y.seq - x.seq);
    return page(list, int(a.limit, 25), int(a.page, 1)).map(updateView);
  },
  assets(a: Args, ctx: Ctx): object[] {
    return (ids(a.ids) ?? []).map((id) => ctx.store.asset(id)).filter((x): x is AssetRec => x !== undefined && x.item.state !== 'deleted').map(assetView);
  },
  webhooks(a: Args, ctx: Ctx): object[] {
    const board = boardOf(ctx, a.board_id);
    return ctx.store.dataset.webhooks.filter((h) => h.boardId === board.id).map(webhookView);
  },
  workspaces(a: Args, ctx: Ctx): object[] {
    const want = ids(a.ids);
    const list = ctx.store.dataset.workspaces.filter((w) => !want || want.includes(w.id));
    return page(list, int(a.limit, 25), int(a.page, 1)).map(workspaceView);
  },

  // Mutations
  change_multiple_column_values(a: Args, ctx: Ctx): object {
    const board = boardOf(ctx, a.board_id);
    const item = itemOf(ctx, a.item_id, board);
    ctx.store.applyWrite(item, parseColumnValues(board, a.column_values, writeContext(ctx, a)), ctx.me);
    return itemView(item);
  },
  change_column_value(a: Args, ctx: Ctx): object {
    const board = boardOf(ctx, a.board_id);
    const item = itemOf(ctx, a.item_id, board);
    if (a.column_id === 'name') {
      const name = typeof a.value === 'string' ? (JSON.parse(a.value) as unknown) : a.value;
      ctx.store.applyWrite(item, parseColumnValues(board, { name }, writeContext(ctx, a)), ctx.me);
    } else ctx.store.applyWrite(item, parseColumnValue(columnOf(board, a.column_id), a.value, writeContext(ctx, a)), ctx.me);
    return itemView(item);
  },
  change_simple_column_value(a: Args, ctx: Ctx): object {
    const board = boardOf(ctx, a.board_id);
    const item = itemOf(ctx, a.item_id, board);
    if (a.column_id === 'name') ctx.store.applyWrite(item, parseColumnValues(board, { name: a.value }, writeContext(ctx, a)), ctx.me);
    else ctx.store.applyWrite(item, parseSimpleValue(columnOf(board, a.column_id), str(a.value), writeContext(ctx, a)), ctx.me);
    return itemView(item);
  },
  create_update(a: Args, ctx: Ctx): object {
    const body = String(a.body);
    if (body.trim() === '') throw invalidArgument('body: an update needs text');
    if (a.parent_id !== null && a.parent_id !== undefined) {
      const parent = ctx.store.updateOrReply(String(a.parent_id));
      if (!parent || parent.kind !== 'update' || parent.deleted) throw notFound('Update', String(a.parent_id));
      return replyAsUpdateView(ctx.store.addReply(parent, body, ctx.me));
    }
    return updateView(ctx.store.addUpdate(itemOf(ctx, a.item_id), body, ctx.me));
  },
  delete_update(a: Args, ctx: Ctx): object {
    const u = ctx.store.updateOrReply(String(a.id));
    if (!u || u.kind !== 'update' || u.deleted) throw notFound('Update', String(a.id));
    ctx.store.deleteUpdate(u, ctx.me);
    return updateView(u);
  },
  create_column(a: Args, ctx: Ctx): object {
    const board = boardOf(ctx, a.board_id);
    const type = String(a.column_type) as ColumnType;
    if (!CREATABLE.includes(type)) throw unsupported(`creating ${type} columns (it creates ${CREATABLE.join(', ')})`);
    const labels = type === 'status' ? statusDefaults(a.defaults) : [];
    return columnView(ctx.store.createColumn(board, newColumn(board, a, type, labels), ctx.me));
  },
  create_status_column(a: Args, ctx: Ctx): object {
    const board = boardOf(ctx, a.board_id);
    const defaults = a.defaults as { labels?: { label: string; color: string; index: number; description?: string | null; is_done?: boolean | null }[] } | null | undefined;
    let labels: StatusLabel[];
    if (!defaults) labels = statusDefaults(null);
    else {
      const seen = new Set<number>();
      labels = (defaults.labels ?? []).map((l) => {
        if (l.index < 0 || l.index === EMPTY_STATUS_INDEX || seen.has(l.index)) throw invalidArgument(`defaults.labels: index ${l.index} is taken or reserved (5 is the empty label)`, { index: l.index });
        seen.add(l.index);
        const color = STATUS_COLUMN_COLOURS[l.color] ?? PALETTE.grey.color;
        return { index: l.index, label: l.label, color, border: borderOf(color), varName: l.color.replace(/_/g, '-'), isDone: l.is_done === true };
      });
      if (labels.length === 0 || labels.length > 40) throw invalidArgument('defaults.labels: a status column has 1 to 40 labels');
      labels.sort((x, y) => x.index - y.index);
    }
    return columnView(ctx.store.createColumn(board, newColumn(board, a, 'status', labels), ctx.me));
  },
  async create_webhook(a: Args, ctx: Ctx): Promise<object> {
    const board = boardOf(ctx, a.board_id);
    const event = String(a.event);
    if (!(WEBHOOK_EVENTS as readonly string[]).includes(event)) throw invalidArgument(`event: ${event} is not a webhook event`);
    let config: Record<string, unknown> | null = null;
    if (a.config !== null && a.config !== undefined) {
      try {
        config = (typeof a.config === 'string' ? JSON.parse(a.config) : a.config) as Record<string, unknown>;
      } catch {
        throw appError('JsonParseException', 'Syntax error in JSON input', { statusCode: 400, errorData: { json: String(a.config).slice(0, 200) } });
      }
    }
    if ((event === 'change_specific_column_value' && typeof config?.columnId !== 'string') || (event === 'item_moved_to_specific_group' && typeof config?.groupId !== 'string')) {
      throw invalidArgument(`config: ${event} needs ${event === 'change_specific_column_value' ? '{"columnId": "<column id>"}' : '{"groupId": "<group id>"}'}`);
    }
    try {
      return webhookView(await ctx.webhooks.register({ boardId: board.id, url: String(a.url), event, config, user: ctx.me }));
    } catch (err) {
      if (err instanceof WebhookError) throw appError('InvalidUrlException', err.message, { errorData: { url: String(a.url) } });
      throw err;
    }
  },
  delete_webhook(a: Args, ctx: Ctx): object {
    const h = ctx.webhooks.remove(String(a.id));
    if (!h) throw notFound('Webhook', String(a.id));
    return webhookView(h);
  },
  archive_item(a: Args, ctx: Ctx): object {
    const it = itemOf(ctx, a.item_id);
    ctx.store.setState(it, 'archived', ctx.me);
    return itemView(it);
  },
  delete_item(a: Args, ctx: Ctx): object {
    const it = itemOf(ctx, a.item_id);
    ctx.store.setState(it, 'deleted', ctx.me);
    return itemView(it);
  },
  create_item(a: Args, ctx: Ctx): object {
    const board = boardOf(ctx, a.board_id);
    if (board.type === 'sub_items_board') throw invalidArgument('board_id: create subitems with create_subitem');
    const name = String(a.item_name);
    if (name.length > 255) throw appError('ItemNameTooLongException', 'Item name must be 255 characters or fewer');
    const gid = str(a.group_id);
    const group = gid ? board.groups.find((g) => g.id === gid && !g.deleted) : board.groups.find((g) => !g.archived && !g.deleted);
    if (!group) throw appError('InvalidGroupIdException', `Group not found: ${gid ?? '(top group)'}`, { errorData: { group_id: gid } });
    const write: ParsedWrite | null = a.column_values ? parseColumnValues(board, a.column_values, writeContext(ctx, a)) : null;
    return itemView(ctx.store.createItem(board, { name: write?.name ?? name, group, parent: null, write }, ctx.me));
  },
  create_subitem(a: Args, ctx: Ctx): object {
    const parent = itemOf(ctx, a.parent_item_id);
    const board = parent.board.subitemsBoard;
    if (!board) throw invalidArgument('parent_item_id: subitems cannot have subitems');
    const write: ParsedWrite | null = a.column_values ? parseColumnValues(board, a.column_values, writeContext(ctx, a)) : null;
    return itemView(ctx.store.createItem(board, { name: String(a.item_name), group: board.groups[0] as GroupRec, parent, write }, ctx.me));
  },
  move_item_to_group(a: Args, ctx: Ctx): object {
    const it = itemOf(ctx, a.item_id);
    const group = it.board.groups.find((g) => g.id === String(a.group_id) && !g.deleted);
    if (!group) throw appError('InvalidGroupIdException', `Group not found: ${String(a.group_id)}`, { errorData: { group_id: String(a.group_id) } });
    ctx.store.moveToGroup(it, group, ctx.me);
    return itemView(it);
  },
};

/** The id, title and place of a new column (create_column, create_status_column). */
function newColumn(board: BoardRec, a: Args, type: ColumnType, labels: StatusLabel[]): { id: string; title: string; type: ColumnType; description: string | null; labels: StatusLabel[]; after: ColumnRec | null } {
  const title = String(a.title).trim();
  if (title === '') throw invalidArgument('title: a column needs a title');
  let id = str(a.id);
  if (id !== null) {
    if (!/^[a-z][a-z0-9_]{0,19}$/.test(id)) throw invalidArgument('id: lowercase letters, digits and underscores, at most 20 characters, starting with a letter', { id });
    const taken = id;
    if (board.columns.some((c) => c.id === taken)) throw appError('ColumnIdAlreadyExistsException', `A column with id ${taken} already exists on the board`, { errorData: { column_id: taken } });
  } else {
    let n = 0;
    const base = `${type}_mk${board.columns.length.toString(36)}`;
    id = base;
    while (board.columns.some((c) => c.id === id)) id = `${base}${++n}`;
  }
  const after = a.after_column_id ? columnOf(board, a.after_column_id) : null;
  return { id, title, type, description: str(a.description), labels, after };
}

/** create_column `defaults` for a status column: `{"labels": {"1": "Done", ...}}` (JSON, or a JSON string). */
function statusDefaults(defaults: unknown): StatusLabel[] {
  if (defaults === null || defaults === undefined) {
    return [
      { index: 0, label: 'Working on it', ...colour(PALETTE.orange), isDone: false },
      { index: 1, label: 'Done', ...colour(PALETTE.green), isDone: true },
      { index: 2, label: 'Stuck', ...colour(PALETTE.red), isDone: false },
    ];
  }
  let d: unknown = defaults;
  if (typeof d === 'string') {
    try {
      d = JSON.parse(d);
    } catch {
      throw appError('JsonParseException', 'Syntax error in JSON input', { statusCode: 400 });
    }
  }
  const labels = d && typeof d === 'object' ? (d as { labels?: unknown }).labels : undefined;
  if (!labels || typeof labels !== 'object' || Array.isArray(labels)) throw invalidArgument('defaults: expected {"labels": {"<index>": "<label>"}}');
  const palette = [PALETTE.orange, PALETTE.green, PALETTE.red, PALETTE.blue, PALETTE.purple, PALETTE.grey, PALETTE.darkBlue, PALETTE.grass, PALETTE.yellow];
  return Object.entries(labels as Record<string, unknown>)
    .map(([k, v]) => {
      const index = Number(k);
      if (!Number.isInteger(index) || index < 0 || index === EMPTY_STATUS_INDEX || typeof v !== 'string') throw invalidArgument(`defaults: label ${k} must be a string at an index other than 5`);
      return { index, label: v, ...colour(palette[index % palette.length] as (typeof palette)[number]), isDone: false };
    })
    .sort((x, y) => x.index - y.index);
}

const colour = (c: { color: string; border: string; varName: string }): { color: string; border: string; varName: string } => ({ color: c.color, border: c.border, varName: c.varName });

