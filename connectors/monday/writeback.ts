// monday.com writes (vendor-apis.md §2.6): stage, status and metrics into an item's columns with ONE
// `change_multiple_column_values` per item, notes as updates. On the same terms as the reads (the
// MondayClient: limiter, complexity budget, daily cap, counter, error reading). Mutations on one board
// run one at a time (monday warns that parallel mutations on a board can corrupt it and answers 423
// "locked": BoardLocks). Idempotence across retries is the outbox's job; this file avoids a write
// whose target is already there when the caller says what is there.
import { canonicalJson } from '../../mapping/ids';
import { readStamp, stampText, stripStamp } from '../stamp';
import { type CallCounter, ConnectorError } from '../types';
import { MondayClient, assertId, type MondayClientOptions } from './client';
import { findColumn, textOfHtml, valueJson } from './normalize';
import { MondayColumnRaw, MondayItemRaw, statusLabelsOf } from './raw';

/**
 * A column value in the form `change_multiple_column_values` takes (vendor-apis.md §2.6): status by
 * label `{label}` (or `{index}`, or a bare label string), numbers as strings (a number is turned into
 * one), text as a string, date `{date, time?}`, long text `{text}`, people `{personsAndTeams}`, or
 * null to clear.
 */
export type ColumnWrite =
  | string
  | number
  | null
  | { label: string }
  | { index: number }
  | { date: string; time?: string | null }
  | { text: string }
  | { personsAndTeams: { id: number | string; kind: string }[] };

/** Serialises the mutations of each board: one at a time per board, any number of boards at once. */
export class BoardLocks {
  private tails = new Map<string, Promise<void>>();

  async run<T>(boardId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(boardId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(boardId, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(boardId) === tail) this.tails.delete(boardId);
    }
  }
}

export interface BoardInfo {
  /** For messages: the board's name. */
  name?: string;
  /** The board's columns with their settings: targets are checked against them before anything is sent. */
  columns?: readonly MondayColumnRaw[];
}

export class MondayWriter {
  readonly client: MondayClient;
  readonly counter: CallCounter;
  private readonly locks: BoardLocks;

  /** A writer on its own client, or on a client shared with reads (one budget, one daily count). */
  constructor(opts: (MondayClientOptions | { client: MondayClient }) & { boardLocks?: BoardLocks }) {
    this.client = 'client' in opts ? opts.client : new MondayClient(opts);
    this.counter = this.client.counter;
    this.locks = opts.boardLocks ?? new BoardLocks();
  }

  /**
   * Sets the columns of `target` (keyed by column id) whose value differs from `current` (the item's
   * values in the same form, e.g. `columnWriteForm`), in ONE `change_multiple_column_values`; nothing
   * differs: no call, false. With `board.columns`, every target column must exist on the board and a
   * status label must be one of the column's labels (labels are never created:
   * `create_labels_if_missing: false`), else `invalid_config` naming the board, the column and the
   * label, before anything is sent. Numbers are sent as strings.
   */
  async setColumns(boardId: string, itemId: string, target: Readonly<Record<string, ColumnWrite>>, current: Readonly<Record<string, ColumnWrite>> | null, board: BoardInfo = {}): Promise<boolean> {
    assertId('board id', boardId);
    assertId('item id', itemId);
    const where = `monday.com board ${boardId}${board.name ? ` "${board.name}"` : ''}`;
    const changes: Record<string, ColumnWrite> = {};
    for (const [columnId, raw] of Object.entries(target)) {
      if (columnId === '') throw new ConnectorError('invalid_config', `${where}: an empty column id`);
      const column = board.columns?.find((c) => c.id === columnId);
      if (board.columns && !column) {
        throw new ConnectorError('invalid_config', `${where}: no column "${columnId}" (columns: ${board.columns.map((c) => `"${c.title}" (${c.id})`).join(', ')})`);
      }
      const value = writeForm(raw, column, where);
      if (current && Object.hasOwn(current, columnId) && sameWrite(current[columnId] ?? null, value, column)) continue;
      changes[columnId] = value;
    }
    if (Object.keys(changes).length === 0) return false;
    await this.locks.run(boardId, () => this.client.changeMultipleColumnValues(boardId, itemId, changes));
    return true;
  }

  /**
   * An update (comment) on the item, shown as by the token's user. `text` is plain text (HTML-escaped
   * here, line breaks kept); with `stampKey` it is stamped (connectors/stamp.ts), so the next pull knows
   * it as Stageline's own. Idempotent against `existingBodies` (the item's update bodies as last read,
   * HTML or text): when one carries the same stamp, or the same text, no call is made and null comes
   * back. `boardId`, when given, orders the mutation with the board's other writes.
   */
  async addUpdate(itemId: string, text: string, existingBodies: readonly string[], opts: { stampKey?: string; boardId?: string } = {}): Promise<{ id: string } | null> {
    assertId('item id', itemId);
    if (typeof text !== 'string' || stripStamp(text).trim() === '') throw new ConnectorError('invalid_config', 'monday.com addUpdate: the update text is empty');
    const stamped = opts.stampKey ? stampText(text, opts.stampKey) : text;
    const key = readStamp(stamped);
    const wanted = stamped.trim();
    for (const body of existingBodies) {
      const plain = /<[a-z][^>]*>/i.test(body) ? textOfHtml(body) : body;
      if (key !== null && (readStamp(plain) === key || readStamp(body) === key)) return null;
      if (plain.trim() === wanted) return null;
    }
    const html = htmlOf(stamped);
    const send = () => this.client.createUpdate(itemId, html);
    const created = opts.boardId ? await this.locks.run(opts.boardId, send) : await send();
    return { id: created.id };
  }

  /**
   * A numbers column titled `title` on the board, created when there is none (`create_column`); a
   * column of that title but another type is `invalid_config` naming it. Returns the column id.
   */
  async ensureNumbersColumn(boardId: string, title: string, board: Required<Pick<BoardInfo, 'columns'>> & BoardInfo): Promise<{ id: string; created: boolean }> {
    const existing = findColumn(board.columns, title);
    if (existing) {
      if (existing.type !== 'numbers') throw new ConnectorError('invalid_config', `monday.com board ${boardId}${board.name ? ` "${board.name}"` : ''}: column "${existing.title}" (${existing.id}) is a ${existing.type} column, not numbers: rename it or configure another title`);
      return { id: existing.id, created: false };
    }
    const col = await this.locks.run(boardId, () => this.client.createColumn(boardId, title, 'numbers'));
    const id = col && typeof col === 'object' ? (col as { id?: unknown }).id : undefined;
    if (typeof id !== 'string') throw new ConnectorError('schema_drift', 'monday.com mutation create_column: the answer has no column id', { endpoint: 'mutation create_column' });
    return { id, created: true };
  }
  /**
   * A status column titled `title`, created with the labels `labels` (in that order) when the board
   * has none (`create_status_column`: typed labels, a fixed palette, index 5 skipped: it is monday's
   * empty label). A column of that title but another type is `invalid_config` naming it. An existing
   * status column is taken as it is, and the labels it lacks are listed in `missing`: labels are the
   * team's to add (a write of a missing label is refused by `setColumns`, naming it).
   */
  async ensureStatusColumn(boardId: string, title: string, labels: readonly string[], board: Required<Pick<BoardInfo, 'columns'>> & BoardInfo): Promise<{ column: MondayColumnRaw; created: boolean; missing: string[] }> {
    assertId('board id', boardId);
    const where = `monday.com board ${boardId}${board.name ? ` "${board.name}"` : ''}`;
    const wanted = [...new Set(labels)];
    if (wanted.length === 0 || wanted.some((l) => typeof l !== 'string' || l.trim() === '')) throw new ConnectorError('invalid_config', `${where}: status column "${title}" needs non-empty labels`);
    const existing = findColumn(board.columns, title);
    if (existing) {
      if (existing.type !== 'status') throw new ConnectorError('invalid_config', `${where}: column "${existing.title}" (${existing.id}) is a ${existing.type} column, not status: rename it or configure another title`);
      const have = (statusLabelsOf(existing) ?? []).map((l) => l.label);
      return { column: existing, created: false, missing: wanted.filter((l) => !have.includes(l)) };
    }
    if (wanted.length > STATUS_INDEXES.length) throw new ConnectorError('invalid_config', `${where}: status column "${title}": at most ${STATUS_INDEXES.length} labels`);
    const defs = wanted.map((label, i) => ({ label, color: STATUS_COLORS[i % STATUS_COLORS.length]!, index: STATUS_INDEXES[i]!, is_done: false }));
    const col = await this.locks.run(boardId, () => this.client.createStatusColumn(boardId, title, defs));
    const parsed = MondayColumnRaw.safeParse(col);
    if (!parsed.success) throw new ConnectorError('schema_drift', 'monday.com mutation create_status_column: the answer has no column', { endpoint: 'mutation create_status_column' });
    return { column: parsed.data, created: true, missing: [] };
  }

  /**
   * The item into the group `groupId` of its board (`move_item_to_group`), in the board's order of
   * mutations; nothing is sent when `currentGroupId` is already that group (false).
   */
  async moveToGroup(boardId: string, itemId: string, groupId: string, currentGroupId: string | null = null): Promise<boolean> {
    assertId('board id', boardId);
    assertId('item id', itemId);
    if (currentGroupId !== null && currentGroupId === groupId) return false;
    await this.locks.run(boardId, () => this.client.moveItemToGroup(itemId, groupId));
    return true;
  }
}

/**
 * Labels of a status column Stageline creates: any index but 5 (monday's empty label), colours from
 * StatusColumnColors (the 2026-10 SDL), the first green, the next ones the warning colours.
 */
const STATUS_INDEXES = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19] as const;
const STATUS_COLORS = ['done_green', 'stuck_red', 'working_orange', 'dark_orange', 'purple', 'lipstick', 'bright_blue', 'american_gray'] as const;

/** Plain text as an update body: HTML-escaped, line breaks as `<br>` (monday stores bodies as HTML). */
export function htmlOf(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\r?\n/g, '<br>');
}

/** A target in the form sent: numbers as strings, a bare status label as `{label}`; checked against the column when known. */
function writeForm(value: ColumnWrite, column: MondayColumnRaw | undefined, where: string): ColumnWrite {
  if (value === undefined) throw new ConnectorError('invalid_config', `${where}: a column value is undefined (use null to clear)`);
  const type = column?.type;
  const name = column ? `column "${column.title}" (${column.id})` : 'a column';
  if (type === 'numbers' || (type === undefined && typeof value === 'number')) {
    if (value === null || value === '') return null;
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
    if (!Number.isFinite(n)) throw new ConnectorError('invalid_config', `${where}: ${name} takes a number, not ${JSON.stringify(value)}`);
    return typeof value === 'string' ? value.trim() : String(value);
  }
  if (type === 'status') {
    if (value === null) return null;
    const v = typeof value === 'string' ? { label: value } : value;
    const labels = statusLabelsOf(column!) ?? [];
    if (typeof v === 'object' && 'label' in v && typeof v.label === 'string') {
      if (!labels.some((l) => l.label === v.label)) {
        throw new ConnectorError('invalid_config', `${where}: status ${name} has no label "${v.label}" (labels: ${labels.map((l) => `"${l.label}"`).join(', ') || 'none'}); labels are never created`);
      }
      return { label: v.label };
    }
    if (typeof v === 'object' && 'index' in v && typeof v.index === 'number') {
      if (!labels.some((l) => l.index === v.index)) throw new ConnectorError('invalid_config', `${where}: status ${name} has no label at index ${v.index}`);
      return v;
    }
    throw new ConnectorError('invalid_config', `${where}: status ${name} takes {label} or {index}, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** Equal as monday stores them; a false "different" costs one redundant write, a false "equal" would lose one. */
function sameWrite(a: ColumnWrite, b: ColumnWrite, column: MondayColumnRaw | undefined): boolean {
  const empty = (v: ColumnWrite) => v === null || v === '' || (typeof v === 'object' && v !== null && 'label' in v && v.label === '');
  if (empty(a) || empty(b)) return empty(a) && empty(b);
  const labelOf = (v: ColumnWrite): string | null => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object' && 'label' in v) return v.label;
    if (v && typeof v === 'object' && 'index' in v && column) return statusLabelsOf(column)?.find((l) => l.index === v.index)?.label ?? null;
    return null;
  };
  if (column?.type === 'status') return labelOf(a) !== null && labelOf(a) === labelOf(b);
  if (column?.type === 'numbers' || (typeof a !== 'object' && typeof b !== 'object' && (typeof a === 'number' || typeof b === 'number'))) {
    return Number(a) === Number(b);
  }
  if (typeof a === 'string' || typeof b === 'string') return String(a) === String(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return canonicalJson(a) === canonicalJson(b);
  if ('date' in a && 'date' in b) {
    const x = a as { date: string; time?: string | null };
    const y = b as { date: string; time?: string | null };
    return x.date === y.date && (x.time ?? null) === (y.time ?? null);
  }
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * An item's current values in the form `setColumns` writes, for the columns a writer touches: status
 * as `{label}`, numbers as strings, text as strings, dates as `{date, time?}`, long text as `{text}`,
 * people as `{personsAndTeams}`; an empty cell is null. Other column types are left out, so a write to
 * them is always sent.
 */
export function columnWriteForm(rawItem: unknown, columns: readonly MondayColumnRaw[]): Record<string, ColumnWrite> {
  const item = MondayItemRaw.parse(rawItem);
  const out: Record<string, ColumnWrite> = {};
  for (const v of item.column_values) {
    const column = columns.find((c) => c.id === v.id);
    const type = column?.type ?? v.type;
    const json = valueJson(v) as Record<string, unknown> | string | null;
    switch (type) {
      case 'status': {
        let label = v.label ?? v.text ?? null;
        if (label === null && json && typeof json === 'object' && typeof json.index === 'number' && column) label = statusLabelsOf(column)?.find((l) => l.index === json.index)?.label ?? null;
        out[v.id] = label ? { label } : null;
        break;
      }
      case 'numbers':
        out[v.id] = v.text !== null && v.text !== undefined && v.text !== '' ? v.text : typeof v.number === 'number' ? String(v.number) : null;
        break;
      case 'text':
        out[v.id] = v.text ?? null;
        break;
      case 'long_text':
        out[v.id] = v.text ? { text: v.text } : null;
        break;
      case 'date': {
        const date = v.date ?? (json && typeof json === 'object' && typeof json.date === 'string' ? json.date : null);
        const time = v.time ?? (json && typeof json === 'object' && typeof json.time === 'string' ? json.time : null);
        out[v.id] = date ? { date, ...(time ? { time } : {}) } : null;
        break;
      }
      case 'people': {
        const list = v.persons_and_teams ?? (json && typeof json === 'object' && Array.isArray(json.personsAndTeams) ? (json.personsAndTeams as { id: number | string; kind: string }[]) : []);
        out[v.id] = list.length ? { personsAndTeams: list.map((p) => ({ id: Number(p.id), kind: p.kind ?? 'person' })) } : null;
        break;
      }
      default:
        break;
    }
  }
  return out;
}
