// The simulator's in-memory monday account: records linked by reference (an item holds its board,
// group, values, updates and assets), times in epoch milliseconds, turned into monday's string
// formats only when a response is written. The ground-truth types live here too.

import { type AgencyRole, type CanonicalStage } from '../../asana/simulator/model';

export type UserKind = 'admin' | 'member' | 'guest';

export interface UserRec {
  readonly kind: 'user';
  readonly id: string;
  name: string;
  email: string;
  /** monday's account role; client reviewers are guests. */
  userKind: UserKind;
  title: string;
  role: AgencyRole;
  createdAt: number;
  /** The Asana user this person is in the shared agency (same email). */
  asanaGid: string | null;
  enabled: boolean;
}

export interface AccountRec {
  id: string;
  name: string;
  slug: string;
  tier: string;
  createdAt: number;
}

export interface WorkspaceRec {
  readonly kind: 'workspace';
  readonly id: string;
  name: string;
  description: string;
  createdAt: number;
}

/** The column types the simulator models (ColumnType enum values of the 2026-10 schema). */
export type ColumnType = 'name' | 'status' | 'people' | 'date' | 'text' | 'long_text' | 'numbers' | 'file' | 'board_relation' | 'subtasks';

export interface StatusLabel {
  index: number;
  label: string;
  color: string;
  border: string;
  varName: string;
  isDone: boolean;
}

export interface ColumnRec {
  readonly kind: 'column';
  readonly id: string;
  title: string;
  type: ColumnType;
  description: string | null;
  width: number | null;
  archived: boolean;
  /** Status columns only, in index order. */
  labels: StatusLabel[];
  /** board_relation columns: the boards it links to. */
  linkedBoardIds: string[];
  /** Bumped whenever the column's settings change. */
  revision: number;
  board: BoardRec;
}

export interface GroupRec {
  readonly kind: 'group';
  readonly id: string;
  title: string;
  color: string;
  position: string;
  archived: boolean;
  deleted: boolean;
  board: BoardRec;
}

export type EntityState = 'active' | 'archived' | 'deleted';

/** How a board carries the creative stage. */
export type StageSource = 'status' | 'group';

export interface BoardRec {
  readonly kind: 'board';
  readonly id: string;
  readonly seq: number;
  name: string;
  description: string;
  boardKind: 'public' | 'private' | 'share';
  type: 'board' | 'sub_items_board';
  state: EntityState;
  workspace: WorkspaceRec;
  createdAt: number;
  updatedAt: number;
  owner: UserRec;
  subscribers: UserRec[];
  columns: ColumnRec[];
  groups: GroupRec[];
  /** Every item ever created on the board (deleted ones too), in id order. */
  items: ItemRec[];
  /** Activity log, oldest first. */
  activity: ActivityLogRec[];
  /** Null for subitem boards. */
  stageSource: StageSource | null;
  /** The status column holding the stage on `status` boards. */
  stageColumnId: string | null;
  subitemsBoard: BoardRec | null;
  parentBoard: BoardRec | null;
  /** The Asana project the board mirrors (same agency), if any. */
  projectGid: string | null;
}

export interface StatusCell {
  t: 'status';
  index: number;
  changedAt: number;
}
export interface PeopleCell {
  t: 'people';
  persons: { id: string; kind: 'person' | 'team' }[];
  changedAt: number;
}
export interface DateCell {
  t: 'date';
  date: string;
  time: string | null;
  changedAt: number;
}
export interface TextCell {
  t: 'text';
  text: string;
}
export interface LongTextCell {
  t: 'long_text';
  text: string;
  changedAt: number;
}
export interface NumbersCell {
  t: 'numbers';
  number: string;
}
export interface FileLinkEntry {
  kind: 'link';
  fileId: string;
  linkKind: 'google_drive' | 'link' | 'dropbox' | 'box' | 'onedrive';
  name: string;
  url: string;
  createdAt: number;
  creator: UserRec;
}
export interface FileAssetEntry {
  kind: 'asset';
  asset: AssetRec;
}
export type FileEntry = FileAssetEntry | FileLinkEntry;
export interface FileCell {
  t: 'file';
  files: FileEntry[];
  changedAt: number;
}
export interface RelationCell {
  t: 'board_relation';
  itemIds: string[];
  changedAt: number;
}
export type Cell = StatusCell | PeopleCell | DateCell | TextCell | LongTextCell | NumbersCell | FileCell | RelationCell;

export interface ItemRec {
  readonly kind: 'item';
  readonly id: string;
  readonly seq: number;
  name: string;
  board: BoardRec;
  group: GroupRec;
  state: EntityState;
  createdAt: number;
  updatedAt: number;
  creator: UserRec;
  /** Column id → value; absent = empty. */
  values: Map<string, Cell>;
  parent: ItemRec | null;
  subitems: ItemRec[];
  /** Top-level updates, oldest first. */
  updates: UpdateRec[];
  /** The Asana task (or approval subtask) the item mirrors, if any. */
  taskGid: string | null;
}

export interface ReplyRec {
  readonly kind: 'reply';
  readonly id: string;
  body: string;
  textBody: string;
  creator: UserRec;
  createdAt: number;
  updatedAt: number;
  update: UpdateRec;
}

export interface UpdateRec {
  readonly kind: 'update';
  readonly id: string;
  readonly seq: number;
  body: string;
  textBody: string;
  creator: UserRec;
  createdAt: number;
  updatedAt: number;
  item: ItemRec;
  replies: ReplyRec[];
  deleted: boolean;
}

export interface AssetRec {
  readonly kind: 'asset';
  readonly id: string;
  name: string;
  extension: string;
  size: number;
  createdAt: number;
  uploadedBy: UserRec;
  item: ItemRec;
  columnId: string;
  isImage: boolean;
}

export interface ActivityLogRec {
  readonly id: string;
  event: string;
  entity: 'pulse' | 'board';
  /** The entry's data (built when read; encoded to the `data` JSON string when served). */
  data: () => Record<string, unknown>;
  user: UserRec;
  createdAt: number;
  board: BoardRec;
  itemId: string | null;
  columnId: string | null;
  groupId: string | null;
}

export interface WebhookRec {
  readonly id: string;
  boardId: string;
  url: string;
  event: string;
  config: Record<string, unknown> | null;
  createdAt: number;
  createdBy: UserRec;
}

// ---- ground truth -------------------------------------------------------------------------------

export interface TruthTransition {
  from: string | null;
  to: string;
  at: string;
  userEmail: string;
  /** The activity-log entry that records the change (create_pulse for the first entry on group boards). */
  activityLogId: string;
}
export interface TruthVersion {
  number: number;
  name: string;
  createdAt: string;
  uploaderEmail: string;
  /** `asset` = uploaded to the file column (Item.assets); otherwise a link in it. */
  source: 'asset' | 'google_drive' | 'link';
  /** Asset id for uploads, the file column entry's file id for links. */
  fileId: string;
}
export interface TruthUpdate {
  updateId: string;
  /** The update a reply belongs to; null for top-level updates. */
  parentUpdateId: string | null;
  /** The item or subitem the update is on. */
  itemId: string;
  authorEmail: string;
  createdAt: string;
  text: string;
}
export interface TruthDecision {
  subitemId: string;
  status: 'approved' | 'changes_requested' | 'rejected';
  reviewerEmail: string;
  at: string;
  /** The latest version uploaded before the decision; null if none was. */
  versionNumber: number | null;
}
export interface ItemTruth {
  itemId: string;
  boardId: string;
  taskGid: string | null;
  kind: 'asset' | 'milestone';
  assetKey: string | null;
  stageSource: StageSource;
  /** Current stage label (status boards) or group title (group boards) = the last transition's `to`. */
  stage: string;
  transitions: TruthTransition[];
  versions: TruthVersion[];
  updates: TruthUpdate[];
  decisions: TruthDecision[];
  state: EntityState;
}
export interface BoardTruth {
  boardId: string;
  name: string;
  projectGid: string | null;
  workspaceId: string;
  stageSource: StageSource;
  /** The status column holding the stage (status boards), null on group boards. */
  stageColumnId: string | null;
  subitemsBoardId: string;
  /** Stage name → the label (status boards) or group title (group boards) that carries it. */
  stageLabels: Record<string, string>;
}
export interface MondayTruth {
  /** The eight stage names, as labels or group titles (same as the Asana sections). */
  stageNames: readonly string[];
  defaultStageMap: Readonly<Record<string, CanonicalStage>>;
  boards: Map<string, BoardTruth>;
  /** Top-level items by id, in creation order per board. */
  items: Map<string, ItemTruth>;
}

export interface MondayDataset {
  seed: string;
  now: string;
  account: AccountRec;
  workspaces: WorkspaceRec[];
  users: UserRec[];
  /** The account's integration user (what the default token acts as). */
  bot: UserRec;
  /** Every board, subitem boards included, in id order. */
  boards: BoardRec[];
  webhooks: WebhookRec[];
  /** Next ids per kind: ids increase with creation time within a kind. */
  nextIds: { board: number; item: number; update: number; asset: number; user: number; webhook: number; file: number };
}

export interface GeneratedMonday {
  dataset: MondayDataset;
  truth: MondayTruth;
}

/** monday's `Date` / `ISO8601DateTime` renderings: second precision, `Z`. */
export const isoSeconds = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
export const isoMillis = (ms: number): string => new Date(ms).toISOString();
export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** Activity-log `created_at`: a 17-digit string in 100-nanosecond units since the epoch. */
export const activityTime = (ms: number): string => `${ms}0000`;
