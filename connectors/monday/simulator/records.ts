// Record constructors and activity-log entries shared by the generator and the live store, so a
// generated history and a write made through the API leave exactly the same traces.

import {
  type ActivityLogRec,
  type BoardRec,
  type Cell,
  type ColumnRec,
  type GroupRec,
  type ItemRec,
  type MondayDataset,
  type UserRec,
} from './model';
import { LEGACY_TYPE, logValue } from './values';

type IdKind = keyof MondayDataset['nextIds'];

/** Ids are numeric strings that grow with creation time within a kind. */
export function nextId(dataset: MondayDataset, kind: IdKind): string {
  const id = dataset.nextIds[kind];
  dataset.nextIds[kind] = id + 1 + (kind === 'item' || kind === 'update' ? 3 : 0);
  return String(id);
}

export const isTopGroup = (group: GroupRec): boolean => group.board.groups.find((g) => !g.archived && !g.deleted) === group;

export function groupRef(group: GroupRec): Record<string, unknown> {
  return { id: group.id, title: group.title, color: group.color, is_top_group: isTopGroup(group) };
}

/** The part every item event's data starts with, as it is now (a snapshot to build the data from later). */
export function pulseData(item: ItemRec): () => Record<string, unknown> {
  const boardId = item.board.id;
  const groupId = item.group.id;
  const top = isTopGroup(item.group);
  const id = item.id;
  const name = item.name;
  return () => ({ board_id: Number(boardId), group_id: groupId, is_top_group: top, pulse_id: Number(id), pulse_name: name });
}

export interface LogInput {
  event: string;
  /** Built when the entry is read: everything it needs is captured when the entry is made. */
  data: () => Record<string, unknown>;
  user: UserRec;
  at: number;
  itemId?: string | null;
  columnId?: string | null;
  groupId?: string | null;
  entity?: 'pulse' | 'board';
}

/** Appends an activity-log entry to the board and returns it (the generator sorts each board's log once it is told). */
export function logActivity(board: BoardRec, uuid: () => string, input: LogInput): ActivityLogRec {
  const rec: ActivityLogRec = {
    id: uuid(),
    event: input.event,
    entity: input.entity ?? 'pulse',
    data: input.data,
    user: input.user,
    createdAt: input.at,
    board,
    itemId: input.itemId ?? null,
    columnId: input.columnId ?? null,
    groupId: input.groupId ?? null,
  };
  board.activity.push(rec);
  return rec;
}

export function logCreate(item: ItemRec, uuid: () => string, user: UserRec, at: number): ActivityLogRec {
  return logActivity(item.board, uuid, {
    event: 'create_pulse',
    data: withGroup(item),
    user,
    at,
    itemId: item.id,
    groupId: item.group.id,
  });
}

function withGroup(item: ItemRec): () => Record<string, unknown> {
  const base = pulseData(item);
  const title = item.group.title;
  const color = item.group.color;
  return () => ({ ...base(), group_name: title, group_color: color });
}

export function logColumnChange(item: ItemRec, column: ColumnRec, prev: Cell | null, next: Cell | null, uuid: () => string, user: UserRec, at: number): ActivityLogRec {
  return logActivity(item.board, uuid, {
    event: 'update_column_value',
    data: columnData(item, column, prev, next),
    user,
    at,
    itemId: item.id,
    columnId: column.id,
    groupId: item.group.id,
  });
}

function columnData(item: ItemRec, column: ColumnRec, prev: Cell | null, next: Cell | null): () => Record<string, unknown> {
  const base = pulseData(item);
  const title = column.title;
  // Cells are replaced, never changed in place, so the two values stay as they were.
  return () => ({
    ...base(),
    column_id: column.id,
    column_type: LEGACY_TYPE[column.type],
    column_title: title,
    value: logValue(next, column),
    previous_value: logValue(prev, column),
    is_column_with_hide_permissions: false,
  });
}

export function logGroupMove(item: ItemRec, from: GroupRec, to: GroupRec, uuid: () => string, user: UserRec, at: number): ActivityLogRec {
  return logActivity(item.board, uuid, {
    event: 'move_pulse_into_group',
    data: moveData(item, from, to),
    user,
    at,
    itemId: item.id,
    groupId: to.id,
  });
}

function moveData(item: ItemRec, from: GroupRec, to: GroupRec): () => Record<string, unknown> {
  const boardId = item.board.id;
  const id = item.id;
  const name = item.name;
  const source = groupRef(from);
  const dest = groupRef(to);
  return () => ({ board_id: Number(boardId), pulse_id: Number(id), pulse_name: name, source_group: { ...source }, dest_group: { ...dest } });
}

export function logRename(item: ItemRec, previous: string, uuid: () => string, user: UserRec, at: number): ActivityLogRec {
  return logActivity(item.board, uuid, {
    event: 'update_name',
    data: renameData(item, previous),
    user,
    at,
    itemId: item.id,
    groupId: item.group.id,
  });
}

function renameData(item: ItemRec, previous: string): () => Record<string, unknown> {
  const base = pulseData(item);
  const name = item.name;
  return () => ({ ...base(), value: { name }, previous_value: { name: previous } });
}

/** `archive_pulse`, `delete_pulse` or `restore_pulse`. */
export function logState(item: ItemRec, event: 'archive_pulse' | 'delete_pulse' | 'restore_pulse', uuid: () => string, user: UserRec, at: number): ActivityLogRec {
  return logActivity(item.board, uuid, {
    event,
    data: withGroup(item),
    user,
    at,
    itemId: item.id,
    groupId: item.group.id,
  });
}

export function newItem(
  dataset: MondayDataset,
  init: { name: string; board: BoardRec; group: GroupRec; createdAt: number; creator: UserRec; parent: ItemRec | null; taskGid: string | null },
): ItemRec {
  const id = nextId(dataset, 'item');
  const item: ItemRec = {
    kind: 'item',
    id,
    seq: Number(id),
    name: init.name,
    board: init.board,
    group: init.group,
    state: 'active',
    createdAt: init.createdAt,
    updatedAt: init.createdAt,
    creator: init.creator,
    values: new Map(),
    parent: init.parent,
    subitems: [],
    updates: [],
    taskGid: init.taskGid,
  };
  init.board.items.push(item);
  if (init.parent) init.parent.subitems.push(item);
  return item;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** monday stores update bodies as HTML; text_body is the plain text. */
export const htmlBody = (text: string): string => `<p>${escapeHtml(text)}</p>`;

export function textOfHtml(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>\s*<p>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .trim();
}
