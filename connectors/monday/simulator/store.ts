// The live account: indexes over the generated records, every write the API and the control
// surface make (each leaves the activity-log entry monday would, bumps updated_at, keeps the ground
// truth current and tells the webhook sender), item queries (rules, order, cursors), and signed
// items_page cursors that expire.

import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { cursorExpired, cursorInvalid } from './errors';
import {
  type ActivityLogRec,
  type AssetRec,
  type BoardRec,
  type Cell,
  type ColumnRec,
  type ColumnType,
  type EntityState,
  type GroupRec,
  type ItemRec,
  type ItemTruth,
  type MondayDataset,
  type MondayTruth,
  type ReplyRec,
  type StatusLabel,
  type UpdateRec,
  type UserRec,
  isoMillis,
} from './model';
import { htmlBody, logActivity, logColumnChange, logCreate, logGroupMove, logRename, logState, newItem, nextId, textOfHtml } from './records';
import { LEGACY_TYPE, type Lookup, labelAt } from './values';
import { DECISION_LABEL_OF } from './vocabulary';
import { type ParsedWrite } from './writes';

export type StoreEvent =
  | { type: 'column'; item: ItemRec; column: ColumnRec; prev: Cell | null; next: Cell | null; user: UserRec; at: number }
  | { type: 'create_item'; item: ItemRec; user: UserRec; at: number }
  | { type: 'rename'; item: ItemRec; previous: string; user: UserRec; at: number }
  | { type: 'move'; item: ItemRec; from: GroupRec; to: GroupRec; user: UserRec; at: number }
  | { type: 'state'; item: ItemRec; state: EntityState; previous: EntityState; user: UserRec; at: number }
  | { type: 'create_update'; update: UpdateRec; reply: ReplyRec | null; user: UserRec; at: number }
  | { type: 'delete_update'; update: UpdateRec; user: UserRec; at: number }
  | { type: 'create_column'; column: ColumnRec; user: UserRec; at: number };

export interface StoreOptions {
  /** Epoch milliseconds; default Date.now. Writes are never stamped before the generated history. */
  clock?: () => number;
  /** items_page cursor lifetime; default 60 minutes. */
  cursorTtlMs?: number;
}

/** Decision labels → truth statuses. */
const DECISION_OF: Record<string, 'approved' | 'changes_requested' | 'rejected' | undefined> = {
  [DECISION_LABEL_OF.approved]: 'approved',
  [DECISION_LABEL_OF.changes_requested]: 'changes_requested',
  [DECISION_LABEL_OF.rejected]: 'rejected',
};

interface Snapshot {
  ids: string[];
  boardId: string;
}

export class MondayStore {
  readonly clock: () => number;
  cursorTtlMs: number;
  readonly lookup: Lookup;
  private lastWrite: number;
  private readonly boards = new Map<string, BoardRec>();
  private readonly items = new Map<string, ItemRec>();
  private readonly users = new Map<string, UserRec>();
  private readonly usersByEmail = new Map<string, UserRec>();
  private readonly updates = new Map<string, UpdateRec | ReplyRec>();
  private readonly assets = new Map<string, AssetRec>();
  private readonly listeners: ((e: StoreEvent) => void)[] = [];
  private readonly secret = randomBytes(16);
  private readonly snapshots = new Map<string, Snapshot>();
  private cursorsExpiredBefore = 0;

  constructor(
    readonly dataset: MondayDataset,
    readonly truth: MondayTruth,
    options: StoreOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.cursorTtlMs = options.cursorTtlMs ?? 60 * 60_000;
    this.lastWrite = Date.parse(dataset.now);
    for (const u of dataset.users) {
      this.users.set(u.id, u);
      this.usersByEmail.set(u.email.toLowerCase(), u);
    }
    for (const b of dataset.boards) this.indexBoard(b);
    this.lookup = {
      account: dataset.account,
      userName: (id) => this.users.get(id)?.name ?? null,
      itemName: (id) => this.items.get(id)?.name ?? null,
    };
  }

  private indexBoard(b: BoardRec): void {
    this.boards.set(b.id, b);
    for (const it of b.items) {
      this.items.set(it.id, it);
      for (const u of it.updates) {
        this.updates.set(u.id, u);
        for (const r of u.replies) this.updates.set(r.id, r);
      }
      for (const cell of it.values.values()) if (cell.t === 'file') for (const f of cell.files) if (f.kind === 'asset') this.assets.set(f.asset.id, f.asset);
    }
  }

  onEvent(listener: (e: StoreEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(e: StoreEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Time of a write: never before the generated history, strictly increasing. */
  tick(): number {
    this.lastWrite = Math.max(this.clock(), this.lastWrite + 1);
    return this.lastWrite;
  }

  // ---- lookups ----------------------------------------------------------------------------------

  board(id: string): BoardRec | undefined {
    return this.boards.get(id);
  }
  item(id: string): ItemRec | undefined {
    return this.items.get(id);
  }
  user(id: string): UserRec | undefined {
    return this.users.get(id);
  }
  userByEmail(email: string): UserRec | undefined {
    return this.usersByEmail.get(email.toLowerCase());
  }
  updateOrReply(id: string): UpdateRec | ReplyRec | undefined {
    return this.updates.get(id);
  }
  asset(id: string): AssetRec | undefined {
    return this.assets.get(id);
  }
  allBoards(): BoardRec[] {
    return this.dataset.boards;
  }
  allUsers(): UserRec[] {
    return this.dataset.users;
  }

  /** The truth entry an item's history belongs to (a subitem's is its parent's). */
  truthOfItem(item: ItemRec): ItemTruth | undefined {
    return this.truth.items.get((item.parent ?? item).id);
  }

  private touch(item: ItemRec, at: number): void {
    if (at > item.updatedAt) item.updatedAt = at;
    if (at > item.board.updatedAt) item.board.updatedAt = at;
  }

  // ---- writes -----------------------------------------------------------------------------------

  /** Applies parsed column values (and a new name) to an item: all or nothing, one log entry per changed column. */
  applyWrite(item: ItemRec, write: ParsedWrite, user: UserRec): void {
    const at = this.tick();
    for (const { column, label } of write.newLabels) {
      if (!column.labels.some((l) => l.index === label.index)) {
        column.labels.push(label);
        column.labels.sort((a, b) => a.index - b.index);
        column.revision++;
      }
    }
    if (write.name !== null && write.name !== item.name) this.rename(item, write.name, user, at);
    for (const [columnId, next] of write.cells) {
      const column = item.board.columns.find((c) => c.id === columnId) as ColumnRec;
      this.setCell(item, column, next === null ? null : { ...next, ...('changedAt' in next ? { changedAt: at } : {}) } as Cell, user, at);
    }
  }

  /** Sets one cell; a no-op when the value does not change (monday logs nothing then either). */
  setCell(item: ItemRec, column: ColumnRec, next: Cell | null, user: UserRec, at = this.tick()): boolean {
    const prev = item.values.get(column.id) ?? null;
    if (sameCell(prev, next)) return false;
    if (next) item.values.set(column.id, next);
    else item.values.delete(column.id);
    if (next && next.t === 'file') for (const f of next.files) if (f.kind === 'asset') this.assets.set(f.asset.id, f.asset);
    logColumnChange(item, column, prev, next, randomUUID, user, at);
    this.touch(item, at);
    this.recordStatusTruth(item, column, prev, next, user, at);
    this.emit({ type: 'column', item, column, prev, next, user, at });
    return true;
  }

  private recordStatusTruth(item: ItemRec, column: ColumnRec, prev: Cell | null, next: Cell | null, user: UserRec, at: number): void {
    if (column.type !== 'status') return;
    const truth = this.truthOfItem(item);
    if (!truth) return;
    const label = (c: Cell | null): string | null => (c && c.t === 'status' ? (labelAt(column, c.index)?.label ?? null) : null);
    if (!item.parent && item.board.stageSource === 'status' && column.id === item.board.stageColumnId) {
      const to = label(next);
      if (to === null) return;
      const entry = item.board.activity[item.board.activity.length - 1] as ActivityLogRec;
      truth.transitions.push({ from: truth.transitions.length > 0 ? label(prev) : null, to, at: isoMillis(at), userEmail: user.email, activityLogId: entry.id });
      truth.stage = to;
    } else if (item.parent && item.board.type === 'sub_items_board' && column.title === 'Decision') {
      const status = DECISION_OF[label(next) ?? ''];
      if (status) truth.decisions.push({ subitemId: item.id, status, reviewerEmail: user.email, at: isoMillis(at), versionNumber: truth.versions.length > 0 ? (truth.versions[truth.versions.length - 1]?.number ?? null) : null });
    }
  }

  rename(item: ItemRec, name: string, user: UserRec, at = this.tick()): void {
    const previous = item.name;
    if (previous === name) return;
    item.name = name;
    logRename(item, previous, randomUUID, user, at);
    this.touch(item, at);
    this.emit({ type: 'rename', item, previous, user, at });
  }

  moveToGroup(item: ItemRec, to: GroupRec, user: UserRec): void {
    const from = item.group;
    if (from === to) return;
    const at = this.tick();
    item.group = to;
    const entry = logGroupMove(item, from, to, randomUUID, user, at);
    this.touch(item, at);
    const truth = this.truthOfItem(item);
    if (truth && !item.parent && item.board.stageSource === 'group') {
      truth.transitions.push({ from: from.title, to: to.title, at: isoMillis(at), userEmail: user.email, activityLogId: entry.id });
      truth.stage = to.title;
    }
    this.emit({ type: 'move', item, from, to, user, at });
  }

  /** Archive, delete or restore an item; its subitems follow. */
  setState(item: ItemRec, state: EntityState, user: UserRec): void {
    const previous = item.state;
    if (previous === state) return;
    const at = this.tick();
    item.state = state;
    for (const s of item.subitems) if (s.state !== 'deleted' || state === 'deleted') s.state = state;
    logState(item, state === 'archived' ? 'archive_pulse' : state === 'deleted' ? 'delete_pulse' : 'restore_pulse', randomUUID, user, at);
    this.touch(item, at);
    const truth = this.truth.items.get(item.id);
    if (truth) truth.state = state;
    this.emit({ type: 'state', item, state, previous, user, at });
  }

  createItem(board: BoardRec, init: { name: string; group: GroupRec; parent: ItemRec | null; write: ParsedWrite | null }, user: UserRec): ItemRec {
    const at = this.tick();
    const item = newItem(this.dataset, { name: init.name, board, group: init.group, createdAt: at, creator: user, parent: init.parent, taskGid: null });
    this.items.set(item.id, item);
    logCreate(item, randomUUID, user, at);
    if (!init.parent && board.stageSource) {
      const truth: ItemTruth = {
        itemId: item.id,
        boardId: board.id,
        taskGid: null,
        kind: 'asset',
        assetKey: null,
        stageSource: board.stageSource,
        stage: '',
        transitions: [],
        versions: [],
        updates: [],
        decisions: [],
        state: 'active',
      };
      if (board.stageSource === 'group') {
        truth.stage = init.group.title;
        truth.transitions.push({ from: null, to: init.group.title, at: isoMillis(at), userEmail: user.email, activityLogId: board.activity[board.activity.length - 1]?.id ?? '' });
      }
      this.truth.items.set(item.id, truth);
    }
    this.touch(item, at);
    if (init.parent) this.touch(init.parent, at);
    this.emit({ type: 'create_item', item, user, at });
    if (init.write) {
      for (const [columnId, cell] of init.write.cells) {
        const column = board.columns.find((c) => c.id === columnId) as ColumnRec;
        for (const { column: c, label } of init.write.newLabels) if (c === column && !c.labels.some((l) => l.index === label.index)) c.labels.push(label);
        this.setCell(item, column, cell, user, at);
      }
      const truth = this.truth.items.get(item.id);
      const key = item.values.get('text');
      if (truth && key && key.t === 'text') truth.assetKey = key.text;
    }
    return item;
  }

  addUpdate(item: ItemRec, body: string, user: UserRec): UpdateRec {
    const at = this.tick();
    const id = nextId(this.dataset, 'update');
    const html = /<[a-z][\s\S]*>/i.test(body) ? body : htmlBody(body);
    const u: UpdateRec = { kind: 'update', id, seq: Number(id), body: html, textBody: textOfHtml(html), creator: user, createdAt: at, updatedAt: at, item, replies: [], deleted: false };
    item.updates.push(u);
    this.updates.set(id, u);
    this.truthOfItem(item)?.updates.push({ updateId: id, parentUpdateId: null, itemId: item.id, authorEmail: user.email, createdAt: isoMillis(at), text: u.textBody });
    this.emit({ type: 'create_update', update: u, reply: null, user, at });
    return u;
  }

  addReply(update: UpdateRec, body: string, user: UserRec): ReplyRec {
    const at = this.tick();
    const id = nextId(this.dataset, 'update');
    const html = /<[a-z][\s\S]*>/i.test(body) ? body : htmlBody(body);
    const r: ReplyRec = { kind: 'reply', id, body: html, textBody: textOfHtml(html), creator: user, createdAt: at, updatedAt: at, update };
    update.replies.push(r);
    update.updatedAt = at;
    this.updates.set(id, r);
    this.truthOfItem(update.item)?.updates.push({ updateId: id, parentUpdateId: update.id, itemId: update.item.id, authorEmail: user.email, createdAt: isoMillis(at), text: r.textBody });
    this.emit({ type: 'create_update', update, reply: r, user, at });
    return r;
  }

  deleteUpdate(update: UpdateRec, user: UserRec): void {
    if (update.deleted) return;
    const at = this.tick();
    update.deleted = true;
    const truth = this.truthOfItem(update.item);
    if (truth) truth.updates = truth.updates.filter((u) => u.updateId !== update.id && u.parentUpdateId !== update.id);
    this.emit({ type: 'delete_update', update, user, at });
  }

  /** An upload into a file column: a new asset at the end of the column, and the asset's next version in the truth. */
  addAsset(item: ItemRec, column: ColumnRec, file: { name: string; size: number }, user: UserRec): AssetRec {
    const at = this.tick();
    const asset: AssetRec = {
      kind: 'asset',
      id: nextId(this.dataset, 'asset'),
      name: file.name,
      extension: file.name.includes('.') ? (file.name.split('.').pop() as string) : '',
      size: file.size,
      createdAt: at,
      uploadedBy: user,
      item,
      columnId: column.id,
      isImage: /\.(png|jpe?g|gif|webp)$/i.test(file.name),
    };
    const prev = item.values.get(column.id);
    const files = prev && prev.t === 'file' ? [...prev.files] : [];
    files.push({ kind: 'asset', asset });
    this.setCell(item, column, { t: 'file', files, changedAt: at }, user, at);
    const truth = this.truthOfItem(item);
    if (truth && !item.parent) {
      const m = /_v(\d{2,})\.[A-Za-z0-9]+$/.exec(file.name);
      const number = m ? Number(m[1]) : (truth.versions.at(-1)?.number ?? 0) + 1;
      truth.versions.push({ number, name: file.name, createdAt: isoMillis(at), uploaderEmail: user.email, source: 'asset', fileId: asset.id });
    }
    return asset;
  }

  createColumn(board: BoardRec, init: { id: string; title: string; type: ColumnType; description: string | null; labels: StatusLabel[]; after: ColumnRec | null }, user: UserRec): ColumnRec {
    const at = this.tick();
    const column: ColumnRec = { kind: 'column', id: init.id, title: init.title, type: init.type, description: init.description, width: null, archived: false, labels: init.labels, linkedBoardIds: [], revision: 1, board };
    const i = init.after ? board.columns.indexOf(init.after) + 1 : board.columns.length;
    board.columns.splice(i, 0, column);
    logActivity(board, randomUUID, { event: 'create_column', entity: 'board', data: () => ({ board_id: Number(board.id), column_id: column.id, column_title: init.title, column_type: LEGACY_TYPE[init.type] }), user, at, columnId: column.id });
    if (at > board.updatedAt) board.updatedAt = at;
    this.emit({ type: 'create_column', column, user, at });
    return column;
  }

  // ---- item queries and cursors -------------------------------------------------------------------

  /** Opens a result set; returns the first page and the cursor of the rest (null when it fits). */
  openItems(ids: string[], boardId: string, limit: number): { items: ItemRec[]; cursor: string | null } {
    const page = ids.slice(0, limit).map((id) => this.items.get(id) as ItemRec);
    if (ids.length <= limit) return { items: page, cursor: null };
    const snapId = randomBytes(9).toString('base64url');
    this.snapshots.set(snapId, { ids, boardId });
    return { items: page, cursor: this.cursor(snapId, limit) };
  }

  /** The next page of a cursor's result set; expired and forged cursors are monday's errors. */
  nextItems(cursor: string, limit: number): { items: ItemRec[]; cursor: string | null; boardId: string } {
    const [payload, sig] = cursor.split('.');
    if (!payload || !sig || sig !== this.sign(payload)) throw cursorInvalid();
    const [snapId = '', offsetText = '', issuedText = ''] = Buffer.from(payload, 'base64url').toString('utf8').split(':');
    const issued = Number(issuedText);
    const offset = Number(offsetText);
    const snap = this.snapshots.get(snapId);
    if (!snap || issued < this.cursorsExpiredBefore || this.clock() - issued > this.cursorTtlMs) {
      this.snapshots.delete(snapId);
      throw cursorExpired();
    }
    // Items deleted since the result set was opened are left out; everything else in its current state.
    const ids = snap.ids.slice(offset, offset + limit);
    const items = ids.map((id) => this.items.get(id) as ItemRec).filter((it) => it.state !== 'deleted');
    const rest = offset + limit < snap.ids.length;
    if (!rest) this.snapshots.delete(snapId);
    return { items, cursor: rest ? this.cursor(snapId, offset + limit) : null, boardId: snap.boardId };
  }

  private cursor(snapId: string, offset: number): string {
    const payload = Buffer.from(`${snapId}:${offset}:${this.clock()}`, 'utf8').toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url').slice(0, 16);
  }

  /** Every cursor issued so far answers CursorExpiredError from now on. */
  expireCursors(): void {
    this.cursorsExpiredBefore = this.clock() + 1;
    this.snapshots.clear();
  }
}

function sameCell(a: Cell | null, b: Cell | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.t !== b.t) return false;
  const strip = (c: Cell): unknown => ({ ...c, changedAt: undefined, files: c.t === 'file' ? c.files.map((f) => (f.kind === 'asset' ? f.asset.id : f.fileId)) : undefined });
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}
