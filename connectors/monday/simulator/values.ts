// Column values the way monday serves them: `text` (a display string, null when empty), `value`
// (a JSON-encoded string, null when empty), the typed fields of each ColumnValue implementation,
// and the shapes activity logs and webhook payloads carry. Formats follow the column-type pages
// of monday's API reference where they show one (status `{"index","post_id","changed_at"}`,
// people `personsAndTeams`, date `{"date","time"}`, board relation `linkedPulseIds`); the rest is
// assumed and listed in README.md.

import {
  type AccountRec,
  type Cell,
  type ColumnRec,
  type ColumnType,
  type FileEntry,
  type ItemRec,
  type StatusLabel,
  isoMillis,
  isoSeconds,
} from './model';

/** The column types activity logs and webhooks name (monday's internal names, e.g. status = `color`). */
export const LEGACY_TYPE: Readonly<Record<ColumnType, string>> = {
  name: 'name',
  status: 'color',
  people: 'multiple-person',
  date: 'date',
  text: 'text',
  long_text: 'long-text',
  numbers: 'numeric',
  file: 'file',
  board_relation: 'board-relation',
  subtasks: 'subtasks',
};

/** The concrete ColumnValue type of the schema for each column type. */
export const VALUE_TYPENAME: Readonly<Record<ColumnType, string>> = {
  name: 'TextValue',
  status: 'StatusValue',
  people: 'PeopleValue',
  date: 'DateValue',
  text: 'TextValue',
  long_text: 'LongTextValue',
  numbers: 'NumbersValue',
  file: 'FileValue',
  board_relation: 'BoardRelationValue',
  subtasks: 'SubtasksValue',
};

export interface Lookup {
  account: AccountRec;
  userName(id: string): string | null;
  itemName(id: string): string | null;
}

export function labelAt(column: ColumnRec, index: number): StatusLabel | undefined {
  return column.labels.find((l) => l.index === index);
}

export function assetUrl(account: AccountRec, assetId: string, name: string): string {
  return `https://${account.slug}.monday.com/protected_static/${account.id}/resources/${assetId}/${encodeURIComponent(name)}`;
}

function fileUrl(account: AccountRec, f: FileEntry): string {
  return f.kind === 'asset' ? assetUrl(account, f.asset.id, f.asset.name) : f.url;
}

const num = (id: string): number => Number(id);

/** The raw JSON of a cell as `value` serves it (decoded). */
export function cellJson(item: ItemRec, column: ColumnRec): unknown {
  if (column.type === 'subtasks') {
    const live = item.subitems.filter((s) => s.state !== 'deleted');
    return live.length === 0 ? null : { linkedPulseIds: live.map((s) => ({ linkedPulseId: num(s.id) })) };
  }
  const cell = item.values.get(column.id);
  if (!cell) return null;
  switch (cell.t) {
    case 'status':
      return { index: cell.index, post_id: null, changed_at: isoMillis(cell.changedAt) };
    case 'people':
      return { changed_at: isoMillis(cell.changedAt), personsAndTeams: cell.persons.map((p) => ({ id: num(p.id), kind: p.kind })) };
    case 'date':
      return { date: cell.date, time: cell.time, changed_at: isoMillis(cell.changedAt) };
    case 'text':
      return cell.text;
    case 'long_text':
      return { text: cell.text, changed_at: isoMillis(cell.changedAt) };
    case 'numbers':
      return cell.number;
    case 'file':
      return { files: cell.files.map(fileJson) };
    case 'board_relation':
      return { changed_at: isoMillis(cell.changedAt), linkedPulseIds: cell.itemIds.map((id) => ({ linkedPulseId: num(id) })) };
  }
}

function fileJson(f: FileEntry): Record<string, unknown> {
  if (f.kind === 'asset') {
    return {
      name: f.asset.name,
      assetId: num(f.asset.id),
      isImage: String(f.asset.isImage),
      fileType: 'ASSET',
      createdAt: f.asset.createdAt,
      createdBy: f.asset.uploadedBy.id,
    };
  }
  return {
    name: f.name,
    fileId: f.fileId,
    fileType: f.linkKind === 'google_drive' ? 'GOOGLE_DRIVE' : f.linkKind.toUpperCase(),
    linkToFile: f.url,
    createdAt: f.createdAt,
    createdBy: f.creator.id,
  };
}

/** `value`: the JSON-encoded string, or null for an empty cell. */
export function cellValue(item: ItemRec, column: ColumnRec): string | null {
  const json = cellJson(item, column);
  return json === null ? null : JSON.stringify(json);
}

/** `text`: what the cell shows; null for an empty cell (as monday documents for status). */
export function cellText(item: ItemRec, column: ColumnRec, lookup: Lookup): string | null {
  if (column.type === 'subtasks') {
    const live = item.subitems.filter((s) => s.state !== 'deleted');
    return live.length === 0 ? null : live.map((s) => s.name).join(', ');
  }
  const cell = item.values.get(column.id);
  if (!cell) return null;
  return cellTextOf(cell, column, lookup);
}

export function cellTextOf(cell: Cell, column: ColumnRec, lookup: Lookup): string | null {
  switch (cell.t) {
    case 'status':
      return labelAt(column, cell.index)?.label ?? null;
    case 'people':
      return cell.persons.map((p) => lookup.userName(p.id) ?? p.id).join(', ');
    case 'date':
      return cell.time ? `${cell.date} ${cell.time.slice(0, 5)}` : cell.date;
    case 'text':
    case 'long_text':
      return cell.text;
    case 'numbers':
      return cell.number;
    case 'file':
      return cell.files.map((f) => fileUrl(lookup.account, f)).join(', ');
    case 'board_relation':
      return cell.itemIds.map((id) => lookup.itemName(id) ?? id).join(', ');
  }
}

/** When the cell last changed (`updated_at` of the typed values), or null. */
export function cellChangedAt(item: ItemRec, column: ColumnRec): string | null {
  const cell = item.values.get(column.id);
  if (!cell || !('changedAt' in cell)) return null;
  return isoSeconds(cell.changedAt);
}

// ---- the shapes activity logs and webhooks carry ------------------------------------------------

/** A status label as activity logs and webhooks describe it. */
export function labelObject(l: StatusLabel): Record<string, unknown> {
  return { index: l.index, text: l.label, style: { color: l.color, border: l.border, var_name: l.varName }, is_done: l.isDone };
}

/** The `value` / `previous_value` of an `update_column_value` log entry for a cell (null = empty). */
export function logValue(cell: Cell | null, column: ColumnRec): unknown {
  if (!cell) return null;
  switch (cell.t) {
    case 'status': {
      const l = labelAt(column, cell.index);
      return { label: l ? labelObject(l) : { index: cell.index, text: null, style: null, is_done: false }, post_id: null };
    }
    case 'people':
      return { personsAndTeams: cell.persons.map((p) => ({ id: num(p.id), kind: p.kind })), changed_at: isoMillis(cell.changedAt) };
    case 'date':
      return { date: cell.date, time: cell.time, changed_at: isoMillis(cell.changedAt) };
    case 'text':
      return { value: cell.text };
    case 'long_text':
      return { text: cell.text, changed_at: isoMillis(cell.changedAt) };
    case 'numbers':
      return { value: cell.number };
    case 'file':
      return { files: cell.files.map(fileJson) };
    case 'board_relation':
      return { linkedPulseIds: cell.itemIds.map((id) => ({ linkedPulseId: num(id) })), changed_at: isoMillis(cell.changedAt) };
  }
}
