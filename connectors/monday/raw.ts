// Zod schemas of the monday.com payloads normalize reads: what the GraphQL documents in client.ts
// select, with the types of ../shared/specs/monday_schema.graphql (API 2026-10). Objects are loose
// (monday adds fields over time), ids are strings (`ID` scalars; a number is accepted and turned into
// its decimal string, as older answers and webhook payloads carry numbers), and whatever the docs
// mark [U] (activity-log `data`, webhook payloads, status settings) is read leniently.
import { z } from 'zod';

/** An `ID`: a string of digits in answers, a number in activity-log data and webhooks. */
export const MondayId = z.union([z.string().regex(/^\d+$/, 'a monday id (digits)'), z.number().int().nonnegative()]).transform((v) => String(v));

/** Group, column and other string keys that are not numeric (`topics`, `status`, `date4`). */
const Key = z.string().min(1);

/** `Date` and `ISO8601DateTime` scalars come as strings; normalize.ts reads them leniently (toIso). */
const Time = z.string().min(1);

export const MondayUserRaw = z.looseObject({
  id: MondayId,
  name: z.string().nullish(),
  email: z.string().nullish(),
});
export type MondayUserRaw = z.infer<typeof MondayUserRaw>;

export const MondayColumnRaw = z.looseObject({
  id: Key,
  title: z.string(),
  type: z.string(),
  archived: z.boolean().nullish(),
  /** `Column.settings_str: String!`: the column's settings as a JSON string (status labels live here). */
  settings_str: z.string().nullish(),
  /** `Column.settings: JSON` (newer): the same settings as an object, when asked for. */
  settings: z.unknown().optional(),
});
export type MondayColumnRaw = z.infer<typeof MondayColumnRaw>;

export const MondayGroupRaw = z.looseObject({
  id: Key,
  title: z.string(),
  color: z.string().nullish(),
  position: z.string().nullish(),
  archived: z.boolean().nullish(),
  deleted: z.boolean().nullish(),
});
export type MondayGroupRaw = z.infer<typeof MondayGroupRaw>;

/** `State`: active, archived, deleted (and `all`, a filter value only). */
export const MondayState = z.enum(['active', 'archived', 'deleted', 'all']);

export const MondayBoardRaw = z.looseObject({
  id: MondayId,
  name: z.string(),
  state: MondayState,
  board_kind: z.string().nullish(),
  /** `BoardObjectType`: board, sub_items_board, document, custom_object. */
  type: z.string().nullish(),
  workspace_id: MondayId.nullish(),
  description: z.string().nullish(),
  created_at: Time.nullish(),
  updated_at: Time.nullish(),
  url: z.string().nullish(),
  groups: z.array(MondayGroupRaw).nullish(),
  columns: z.array(MondayColumnRaw).nullish(),
});
export type MondayBoardRaw = z.infer<typeof MondayBoardRaw>;

// ---- column values -------------------------------------------------------------------------------

/** An entry of `FileValue.files` (union FileAssetValue | FileLinkValue | FileDocValue | FileAssetInvalidValue). */
export const MondayFileEntryRaw = z.looseObject({
  __typename: z.string().nullish(),
  /** FileAssetValue, FileAssetInvalidValue: the uploaded asset (`Item.assets` has its url and size). */
  asset_id: MondayId.nullish(),
  /** FileLinkValue, FileDocValue (an `ID`: digits in practice, any string accepted). */
  file_id: z.union([z.string().min(1), z.number()]).transform((v) => String(v)).nullish(),
  name: z.string().nullish(),
  /** FileLinkValue: `FileLinkValueKind` (box, dropbox, google_drive, link, onedrive). */
  kind: z.string().nullish(),
  url: z.string().nullish(),
  is_image: z.boolean().nullish(),
  created_at: Time.nullish(),
  creator_id: MondayId.nullish(),
  /** FileAssetInvalidValue: why the asset cannot be served. */
  error: z.string().nullish(),
});
export type MondayFileEntryRaw = z.infer<typeof MondayFileEntryRaw>;

/**
 * A `ColumnValue` with the typed fields of its implementation where the selection asked for them
 * (StatusValue, PeopleValue, DateValue, FileValue, BoardRelationValue, NumbersValue); `text` is the
 * display string and `value` the raw JSON string, both null when the cell is empty.
 */
export const MondayColumnValueRaw = z.looseObject({
  id: Key,
  type: z.string(),
  text: z.string().nullish(),
  /** A JSON-encoded string; an already-decoded object is accepted too. */
  value: z.unknown().optional(),
  __typename: z.string().nullish(),
  // StatusValue
  index: z.number().int().nullish(),
  label: z.string().nullish(),
  is_done: z.boolean().nullish(),
  updated_at: Time.nullish(),
  // PeopleValue
  persons_and_teams: z.array(z.looseObject({ id: MondayId, kind: z.string().nullish() })).nullish(),
  // DateValue
  date: z.string().nullish(),
  time: z.string().nullish(),
  // FileValue
  files: z.array(MondayFileEntryRaw).nullish(),
  // BoardRelationValue
  linked_item_ids: z.array(MondayId).nullish(),
  display_value: z.string().nullish(),
  // NumbersValue
  number: z.number().nullish(),
});
export type MondayColumnValueRaw = z.infer<typeof MondayColumnValueRaw>;

// ---- assets, updates ----------------------------------------------------------------------------

export const MondayAssetRaw = z.looseObject({
  id: MondayId,
  name: z.string(),
  /** The account-protected URL (stable). `public_url` expires after an hour and is never stored. */
  url: z.string().nullish(),
  file_extension: z.string().nullish(),
  file_size: z.number().int().nonnegative().nullish(),
  created_at: Time.nullish(),
  uploaded_by: MondayUserRaw.nullish(),
});
export type MondayAssetRaw = z.infer<typeof MondayAssetRaw>;

export const MondayReplyRaw = z.looseObject({
  id: MondayId,
  /** HTML. */
  body: z.string(),
  text_body: z.string().nullish(),
  created_at: Time.nullish(),
  updated_at: Time.nullish(),
  creator_id: MondayId.nullish(),
  creator: MondayUserRaw.nullish(),
});
export type MondayReplyRaw = z.infer<typeof MondayReplyRaw>;

export const MondayUpdateRaw = MondayReplyRaw.extend({
  /** `Update.item_id: String`. */
  item_id: MondayId.nullish(),
  edited_at: Time.nullish(),
  replies: z.array(z.unknown()).nullish(),
});
export type MondayUpdateRaw = z.infer<typeof MondayUpdateRaw>;

// ---- items --------------------------------------------------------------------------------------

const itemShape = {
  id: MondayId,
  name: z.string(),
  state: MondayState.nullish(),
  created_at: Time.nullish(),
  updated_at: Time.nullish(),
  url: z.string().nullish(),
  creator_id: MondayId.nullish(),
  creator: MondayUserRaw.nullish(),
  group: z.looseObject({ id: Key, title: z.string() }).nullish(),
  board: z.looseObject({ id: MondayId }).nullish(),
  column_values: z.array(MondayColumnValueRaw).default([]),
  /** Children are parsed one by one by normalize, so one bad update does not reject the item. */
  assets: z.array(z.unknown()).nullish(),
  updates: z.array(z.unknown()).nullish(),
};

/** A subitem (it lives on the parent board's `sub_items_board`). */
export const MondaySubitemRaw = z.looseObject({ ...itemShape, parent_item: z.looseObject({ id: MondayId }).nullish() });
export type MondaySubitemRaw = z.infer<typeof MondaySubitemRaw>;

export const MondayItemRaw = z.looseObject({ ...itemShape, subitems: z.array(z.unknown()).nullish() });
export type MondayItemRaw = z.infer<typeof MondayItemRaw>;

// ---- activity logs -------------------------------------------------------------------------------

/**
 * `ActivityLogType`: every field a String in the SDL. `created_at` is a 17-digit count of 100-ns units
 * since the epoch [U: vendor-apis.md §2.2; the simulator serves it so]; an ISO time is accepted too.
 * `data` is a JSON string whose keys depend on `event` (parsed by `activityData`).
 */
export const MondayActivityLogRaw = z.looseObject({
  id: z.string().min(1),
  event: z.string().min(1),
  entity: z.string().nullish(),
  data: z.union([z.string(), z.record(z.string(), z.unknown())]),
  user_id: MondayId.nullish(),
  account_id: MondayId.nullish(),
  created_at: z.union([z.string().min(1), z.number()]),
});
export type MondayActivityLogRaw = z.infer<typeof MondayActivityLogRaw>;

/** A status label as activity logs describe it: `{index, text, style, is_done}`, or just its text [U]. */
const LabelRef = z.union([
  z.string(),
  z.looseObject({ index: z.number().int().nullish(), text: z.string().nullish(), label: z.string().nullish(), is_done: z.boolean().nullish() }),
]);

/** The value side of an `update_column_value` entry on a status column: `{label, post_id}` or null. */
const StatusSide = z.looseObject({ label: LabelRef.nullish() }).nullish();

export const StatusChangeData = z.looseObject({
  pulse_id: MondayId,
  column_id: Key,
  column_type: z.string().nullish(),
  column_title: z.string().nullish(),
  value: StatusSide,
  previous_value: StatusSide,
});
export type StatusChangeData = z.infer<typeof StatusChangeData>;

const GroupRef = z.looseObject({ id: Key.nullish(), title: z.string().nullish() });

export const GroupMoveData = z.looseObject({
  pulse_id: MondayId,
  source_group: GroupRef.nullish(),
  dest_group: GroupRef.nullish(),
});
export type GroupMoveData = z.infer<typeof GroupMoveData>;

export const CreatePulseData = z.looseObject({
  pulse_id: MondayId,
  group_id: Key.nullish(),
  group_name: z.string().nullish(),
});
export type CreatePulseData = z.infer<typeof CreatePulseData>;

export const PulseData = z.looseObject({ pulse_id: MondayId });

/** Item moves between groups: the name monday logs, and the one a third-party client lists [U]. */
export const GROUP_MOVE_EVENTS: ReadonlySet<string> = new Set(['move_pulse_into_group', 'move_pulse_to_group']);
export const STATE_EVENTS: Readonly<Record<string, 'archived' | 'deleted' | 'active'>> = {
  archive_pulse: 'archived',
  delete_pulse: 'deleted',
  restore_pulse: 'active',
};

/** `data` as an object: the JSON string parsed, or null when it is not a JSON object. */
export function activityDataObject(entry: Pick<MondayActivityLogRaw, 'data'>): Record<string, unknown> | null {
  if (typeof entry.data !== 'string') return entry.data;
  try {
    const v: unknown = JSON.parse(entry.data);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The label text of a LabelRef, or null. */
export function labelText(ref: z.infer<typeof LabelRef> | null | undefined): string | null {
  if (ref == null) return null;
  if (typeof ref === 'string') return ref;
  return ref.text ?? ref.label ?? null;
}

// ---- webhooks ------------------------------------------------------------------------------------

/**
 * The `event` of a webhook delivery (vendor-apis.md §2.5, from documented examples [U completeness]).
 * Items are "pulses" in payloads; ids come as numbers.
 */
export const MondayWebhookEventRaw = z.looseObject({
  type: z.string().min(1),
  app: z.string().nullish(),
  boardId: MondayId,
  groupId: z.string().nullish(),
  pulseId: MondayId.nullish(),
  itemId: MondayId.nullish(),
  pulseName: z.string().nullish(),
  parentItemId: MondayId.nullish(),
  parentItemBoardId: MondayId.nullish(),
  columnId: z.string().nullish(),
  columnType: z.string().nullish(),
  columnTitle: z.string().nullish(),
  value: z.unknown().optional(),
  previousValue: z.unknown().optional(),
  /** Epoch seconds with a fraction (documented examples) [U]. */
  changedAt: z.number().nullish(),
  userId: MondayId.nullish(),
  triggerTime: z.string().nullish(),
  triggerUuid: z.string().nullish(),
  originalTriggerUuid: z.string().nullish(),
  subscriptionId: MondayId.nullish(),
  isTopGroup: z.boolean().nullish(),
  updateId: MondayId.nullish(),
  textBody: z.string().nullish(),
});
export type MondayWebhookEventRaw = z.infer<typeof MondayWebhookEventRaw>;

// ---- status settings -----------------------------------------------------------------------------

export interface StatusLabelInfo {
  index: number;
  label: string;
  isDone: boolean;
}

/**
 * The labels of a status column from its settings (`settings` object, else `settings_str` parsed).
 * Two shapes are read [U which one a given account serves]: the long-standing
 * `{"labels": {"0": "Working on it", …}, "done_colors": [1]}` and the newer
 * `{"labels": [{"id"|"index": 0, "label": "Working on it", "is_done": false}, …]}`. Empty labels and
 * deactivated ones (`is_deactivated`) are left out. Sorted by index. Null when no labels are readable.
 */
export function statusLabelsOf(column: Pick<MondayColumnRaw, 'settings' | 'settings_str'>): StatusLabelInfo[] | null {
  let settings: unknown = column.settings;
  if ((settings === undefined || settings === null) && typeof column.settings_str === 'string') {
    try {
      settings = JSON.parse(column.settings_str);
    } catch {
      return null;
    }
  }
  if (!settings || typeof settings !== 'object') return null;
  const s = settings as { labels?: unknown; done_colors?: unknown };
  const done = new Set(Array.isArray(s.done_colors) ? s.done_colors.filter((x): x is number => typeof x === 'number') : []);
  const out: StatusLabelInfo[] = [];
  if (Array.isArray(s.labels)) {
    for (const l of s.labels) {
      if (!l || typeof l !== 'object') continue;
      const o = l as { id?: unknown; index?: unknown; label?: unknown; is_done?: unknown; is_deactivated?: unknown };
      const index = typeof o.index === 'number' ? o.index : typeof o.id === 'number' ? o.id : Number(o.id);
      if (!Number.isInteger(index) || typeof o.label !== 'string' || o.label.trim() === '' || o.is_deactivated === true) continue;
      out.push({ index, label: o.label, isDone: o.is_done === true || done.has(index) });
    }
  } else if (s.labels && typeof s.labels === 'object') {
    for (const [k, v] of Object.entries(s.labels as Record<string, unknown>)) {
      const index = Number(k);
      const label = typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { label?: unknown }).label === 'string' ? (v as { label: string }).label : null;
      if (!Number.isInteger(index) || label === null || label.trim() === '') continue;
      out.push({ index, label, isDone: done.has(index) });
    }
  } else return null;
  return out.sort((a, b) => a.index - b.index);
}
