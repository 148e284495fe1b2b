// Column writes: what change_multiple_column_values, change_column_value and
// change_simple_column_value accept per column type, turned into cells, with monday's errors for
// what it refuses. Formats are the ones the API reference documents per column type (status
// `{"label"}`/`{"index"}` or the label text, people `{"personsAndTeams"}`, date `{"date","time"}`,
// numbers as a string, text as a string, long text `{"text"}`, board relation `{"item_ids"}`; null or
// "" clears). A label the column lacks is a ColumnValueException listing the labels, unless
// create_labels_if_missing is set.

import { type GraphQLError } from 'graphql';
import { appError, columnValueError, invalidArgument, invalidColumn } from './errors';
import { type BoardRec, type Cell, type ColumnRec, type StatusLabel } from './model';
import { EMPTY_STATUS_INDEX, PALETTE } from './vocabulary';

export interface WriteContext {
  now: number;
  createLabelsIfMissing: boolean;
  userExists(id: string): boolean;
  itemExists(id: string): boolean;
}

export interface ParsedWrite {
  /** Column id → new cell (null clears). */
  cells: Map<string, Cell | null>;
  /** A new item name, when `name` is among the keys. */
  name: string | null;
  /** Labels to add first (create_labels_if_missing). */
  newLabels: { column: ColumnRec; label: StatusLabel }[];
}

/** Ruby's rendering of a value, which monday's ColumnValueException error_data carries. */
function rubyInspect(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(rubyInspect).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}=>${rubyInspect(x)}`).join(', ')}}`;
  return String(v);
}

const COLUMN_CLASS: Record<string, string> = {
  status: 'StatusColumn',
  people: 'MultiplePersonColumn',
  date: 'DateColumn',
  text: 'TextColumn',
  long_text: 'LongTextColumn',
  numbers: 'NumericColumn',
  file: 'FileColumn',
  board_relation: 'BoardRelationColumn',
  subtasks: 'SubtasksColumn',
  name: 'NameColumn',
};

function valueError(column: ColumnRec, raw: unknown, message: string): GraphQLError {
  return columnValueError(message, { column_value: rubyInspect(raw), column_type: COLUMN_CLASS[column.type] ?? column.type });
}

/** Parses the `column_values` argument (a JSON-encoded string, or an object sent as a variable). */
export function parseColumnValues(board: BoardRec, input: unknown, ctx: WriteContext): ParsedWrite {
  let map: unknown = input;
  if (typeof input === 'string') {
    try {
      map = JSON.parse(input);
    } catch {
      throw appError('JsonParseException', 'Syntax error in JSON input', { statusCode: 400, errorData: { json: input.slice(0, 200) } });
    }
  }
  if (map === null || typeof map !== 'object' || Array.isArray(map)) throw invalidArgument('column_values: expected a JSON object keyed by column id', { column_values: rubyInspect(map) });
  const out: ParsedWrite = { cells: new Map(), name: null, newLabels: [] };
  for (const [key, raw] of Object.entries(map as Record<string, unknown>)) {
    if (key === 'name') {
      if (typeof raw !== 'string' || raw.trim() === '') throw invalidArgument('name: expected a non-empty string');
      if (raw.length > 255) throw appError('ItemNameTooLongException', 'Item name must be 255 characters or fewer', { errorData: { name_length: raw.length } });
      out.name = raw;
      continue;
    }
    const column = board.columns.find((c) => c.id === key && !c.archived);
    if (!column) throw invalidColumn(key);
    out.cells.set(key, parseCell(column, raw, ctx, out));
  }
  return out;
}

/** One column's value (change_column_value's JSON `value`, decoded if it is a string). */
export function parseColumnValue(column: ColumnRec, input: unknown, ctx: WriteContext): ParsedWrite {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch {
      throw appError('JsonParseException', 'Syntax error in JSON input', { statusCode: 400, errorData: { json: input.slice(0, 200) } });
    }
  }
  const out: ParsedWrite = { cells: new Map(), name: null, newLabels: [] };
  out.cells.set(column.id, parseCell(column, raw, ctx, out));
  return out;
}

/** change_simple_column_value: the value as plain text (a label, a date, ids separated by commas). */
export function parseSimpleValue(column: ColumnRec, input: string | null, ctx: WriteContext): ParsedWrite {
  const out: ParsedWrite = { cells: new Map(), name: null, newLabels: [] };
  out.cells.set(column.id, parseCell(column, input, ctx, out));
  return out;
}

function parseCell(column: ColumnRec, raw: unknown, ctx: WriteContext, out: ParsedWrite): Cell | null {
  if (raw === null || raw === undefined || raw === '') return null;
  const now = ctx.now;
  switch (column.type) {
    case 'status':
      return parseStatus(column, raw, ctx, out);
    case 'text': {
      if (typeof raw === 'string' || typeof raw === 'number') return { t: 'text', text: String(raw) };
      throw valueError(column, raw, 'Text columns take a string');
    }
    case 'long_text': {
      const text = typeof raw === 'string' ? raw : raw && typeof raw === 'object' && typeof (raw as { text?: unknown }).text === 'string' ? (raw as { text: string }).text : null;
      if (text === null) throw valueError(column, raw, 'Long text columns take {"text": "..."} or a string');
      return text === '' ? null : { t: 'long_text', text, changedAt: now };
    }
    case 'numbers': {
      const s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : null;
      if (s === null || !/^-?\d+(\.\d+)?$/.test(s)) throw valueError(column, raw, 'Numbers columns take a number, sent as a string');
      return { t: 'numbers', number: s };
    }
    case 'date': {
      let date: unknown;
      let time: unknown = null;
      if (typeof raw === 'string') [date, time = null] = raw.trim().split(/\s+/);
      else if (typeof raw === 'object') ({ date, time = null } = raw as { date?: unknown; time?: unknown });
      if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw valueError(column, raw, 'invalid date');
      if (time !== null && (typeof time !== 'string' || !/^\d{2}:\d{2}(:\d{2})?$/.test(time))) throw valueError(column, raw, 'invalid time');
      const t = typeof time === 'string' ? (time.length === 5 ? `${time}:00` : time) : null;
      return { t: 'date', date, time: t, changedAt: now };
    }
    case 'people': {
      let persons: { id: string; kind: 'person' | 'team' }[];
      if (typeof raw === 'string' || typeof raw === 'number') {
        persons = String(raw).split(',').map((s) => s.trim()).filter((s) => s !== '').map((id) => ({ id, kind: 'person' as const }));
      } else if (typeof raw === 'object' && Array.isArray((raw as { personsAndTeams?: unknown }).personsAndTeams)) {
        persons = [];
        for (const p of (raw as { personsAndTeams: unknown[] }).personsAndTeams) {
          const id = p && typeof p === 'object' ? (p as { id?: unknown }).id : undefined;
          const kind = p && typeof p === 'object' ? ((p as { kind?: unknown }).kind ?? 'person') : undefined;
          if ((typeof id !== 'number' && typeof id !== 'string') || (kind !== 'person' && kind !== 'team')) throw valueError(column, raw, 'People columns take {"personsAndTeams": [{"id": <user id>, "kind": "person"}]}');
          persons.push({ id: String(id), kind });
        }
      } else throw valueError(column, raw, 'People columns take {"personsAndTeams": [{"id": <user id>, "kind": "person"}]}');
      for (const p of persons) if (p.kind === 'team' || !ctx.userExists(p.id)) throw valueError(column, raw, `There is no user with id ${p.id} in this account`);
      return persons.length === 0 ? null : { t: 'people', persons, changedAt: now };
    }
    case 'board_relation': {
      const ids = raw && typeof raw === 'object' ? (raw as { item_ids?: unknown }).item_ids : undefined;
      if (!Array.isArray(ids)) throw valueError(column, raw, 'Board relation columns take {"item_ids": [<item id>, ...]}');
      const list = ids.map((x) => String(x));
      for (const id of list) if (!ctx.itemExists(id)) throw valueError(column, raw, `Item ${id} does not exist`);
      return list.length === 0 ? null : { t: 'board_relation', itemIds: list, changedAt: now };
    }
    case 'file':
    case 'subtasks':
    case 'name':
      throw valueError(column, raw, `${column.type} columns cannot be changed with column values; ${column.type === 'file' ? 'upload with add_file_to_column' : column.type === 'name' ? 'send the "name" key' : 'use create_subitem'}`);
  }
}

function labelsText(column: ColumnRec): string {
  return `{${column.labels.map((l) => `${l.index}: ${l.label}`).join(', ')}}`;
}

const NEW_LABEL_COLOURS = [PALETTE.blue, PALETTE.purple, PALETTE.yellow, PALETTE.grass, PALETTE.darkRed, PALETTE.darkBlue];

function parseStatus(column: ColumnRec, raw: unknown, ctx: WriteContext, out: ParsedWrite): Cell | null {
  let index: number | null = null;
  let label: string | null = null;
  if (typeof raw === 'number') index = raw;
  else if (typeof raw === 'string') {
    if (/^\d+$/.test(raw.trim())) index = Number(raw.trim());
    else label = raw;
  } else if (typeof raw === 'object' && raw !== null) {
    const o = raw as { index?: unknown; label?: unknown };
    if (typeof o.index === 'number' || (typeof o.index === 'string' && /^\d+$/.test(o.index))) index = Number(o.index);
    else if (typeof o.label === 'string') label = o.label;
    else if (o.label === null || o.index === null) return null;
    else throw valueError(column, raw, 'Status columns take {"label": "<label>"} or {"index": <index>}');
  } else throw valueError(column, raw, 'Status columns take {"label": "<label>"} or {"index": <index>}');
  if (index !== null) {
    if (index === EMPTY_STATUS_INDEX) return null;
    if (!column.labels.some((l) => l.index === index)) throw valueError(column, raw, `This status label index doesn't exist, possible statuses are: ${labelsText(column)}`);
    return { t: 'status', index, changedAt: ctx.now };
  }
  const text = label as string;
  if (text === '') return null;
  const found = column.labels.find((l) => l.label === text) ?? out.newLabels.find((n) => n.column === column && n.label.label === text)?.label;
  if (found) return { t: 'status', index: found.index, changedAt: ctx.now };
  if (!ctx.createLabelsIfMissing) throw valueError(column, raw, `This status label doesn't exist, possible statuses are: ${labelsText(column)}`);
  const used = new Set([...column.labels.map((l) => l.index), ...out.newLabels.filter((n) => n.column === column).map((n) => n.label.index), EMPTY_STATUS_INDEX]);
  let next = 0;
  while (used.has(next)) next++;
  if (column.labels.length + out.newLabels.length >= 40) throw valueError(column, raw, 'A status column has at most 40 labels');
  const c = NEW_LABEL_COLOURS[next % NEW_LABEL_COLOURS.length] as (typeof NEW_LABEL_COLOURS)[number];
  const created: StatusLabel = { index: next, label: text, color: c.color, border: c.border, varName: c.varName, isDone: false };
  out.newLabels.push({ column, label: created });
  return { t: 'status', index: next, changedAt: ctx.now };
}
