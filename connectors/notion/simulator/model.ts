// The simulator's in-memory Notion workspace: records linked by reference (a page holds its data
// source, its property values and its comments), times in epoch milliseconds already rounded to the
// minute (Notion's timestamps are minute-granular, vendor-apis §3.4), turned into Notion's JSON only
// when a response is written (serialize.ts). Rich text is kept in Notion's response shape, because
// requests are normalised into it once, at write time. The ground-truth types live here too.

import type { RichTextItemResponse, SelectPropertyItemObjectResponse } from '@notionhq/client';
import { type AgencyRole, type CanonicalStage } from '../../asana/simulator/model';

/** The Notion-Version values the simulator answers (the SDK 5.26 default first). */
export const NOTION_VERSIONS = ['2025-09-03', '2026-03-11'] as const;
export type NotionVersion = (typeof NOTION_VERSIONS)[number];
export const DEFAULT_NOTION_VERSION: NotionVersion = '2025-09-03';

/** The option colours of select, multi-select and status properties (the SDK's SelectColor). */
export type SelectColor = NonNullable<SelectPropertyItemObjectResponse['select']>['color'];

export interface UserRec {
  readonly kind: 'user';
  readonly id: string;
  type: 'person' | 'bot';
  name: string;
  avatarUrl: string | null;
  /** Null when Notion does not give it out for this person (and always for bots). */
  email: string | null;
  /** Guests are not returned by GET /v1/users but can be read by id. */
  guest: boolean;
  /** The agency role and Asana user behind the person, when there is one. */
  role: AgencyRole | null;
  asanaGid: string | null;
}

export type PropertyType =
  | 'title'
  | 'rich_text'
  | 'number'
  | 'select'
  | 'multi_select'
  | 'status'
  | 'date'
  | 'people'
  | 'files'
  | 'relation'
  | 'unique_id'
  | 'url'
  | 'checkbox'
  | 'created_time'
  | 'created_by'
  | 'last_edited_time'
  | 'last_edited_by';

/** Types a PATCH cannot write (Notion computes them). */
export const READ_ONLY_TYPES: ReadonlySet<PropertyType> = new Set(['unique_id', 'created_time', 'created_by', 'last_edited_time', 'last_edited_by']);
/** Types whose page-object value is an array that Notion cuts at 25 items (vendor-apis §7.3 [U]). */
export const LIST_TYPES: ReadonlySet<PropertyType> = new Set(['title', 'rich_text', 'people', 'relation']);

export interface OptionRec {
  id: string;
  name: string;
  color: SelectColor;
  description: string | null;
}

export interface StatusGroupRec {
  id: string;
  name: string;
  color: SelectColor;
  optionIds: string[];
}

export interface RelationConfig {
  dataSource: DataSourceRec;
  /** The property on the other data source that mirrors this one (dual_property), if any. */
  syncedPropertyId: string | null;
  syncedPropertyName: string | null;
  /** The back side of a two-way relation: its value is read off the other side's stored values. */
  mirror: boolean;
}

export interface PropertyRec {
  /** Short, URL-encoded id ("title" for the title property), as Notion's are. */
  id: string;
  name: string;
  type: PropertyType;
  description: string | null;
  /** select, multi_select and status options, in their order. */
  options: OptionRec[];
  /** status only. */
  groups: StatusGroupRec[];
  numberFormat: string;
  relation: RelationConfig | null;
  /** unique_id only. */
  prefix: string | null;
}

export interface DatabaseRec {
  readonly kind: 'database';
  readonly id: string;
  title: string;
  description: string;
  createdTime: number;
  lastEditedTime: number;
  createdBy: UserRec;
  lastEditedBy: UserRec;
  inTrash: boolean;
  isLocked: boolean;
  /** When false, every read through the database answers 404 (not shared with the integration). */
  shared: boolean;
  dataSources: DataSourceRec[];
}

/** What a data source holds in the generated workspace. */
export type DataSourceRole = 'assets' | 'clients' | 'bulk';

export interface DataSourceRec {
  readonly kind: 'data_source';
  readonly id: string;
  name: string;
  role: DataSourceRole;
  database: DatabaseRec;
  properties: PropertyRec[];
  /** Every page ever created in it, trashed ones too, in creation order. */
  pages: PageRec[];
  nextUniqueId: number;
  createdTime: number;
  lastEditedTime: number;
  createdBy: UserRec;
  lastEditedBy: UserRec;
  /** The agency projects whose tasks are pages here. */
  projectGids: string[];
}

export interface HostedFile {
  kind: 'file';
  name: string;
  /** Stable id of the stored bytes; the served URL is signed and expires. */
  fileId: string;
}
export interface ExternalFile {
  kind: 'external';
  name: string;
  url: string;
}
export type FileRec = HostedFile | ExternalFile;

export type PropValue =
  | { t: 'title' | 'rich_text'; items: RichTextItemResponse[] }
  | { t: 'number'; n: number | null }
  | { t: 'select' | 'status'; optionId: string | null }
  | { t: 'multi_select'; optionIds: string[] }
  | { t: 'date'; date: { start: string; end: string | null; timeZone: string | null } | null }
  | { t: 'people'; userIds: string[] }
  | { t: 'files'; files: FileRec[] }
  | { t: 'relation'; pageIds: string[] }
  | { t: 'url'; url: string | null }
  | { t: 'checkbox'; v: boolean };

export interface PageRec {
  readonly kind: 'page';
  readonly id: string;
  dataSource: DataSourceRec;
  /** Property id → value; computed types (created_time, unique_id…) are not stored here. */
  values: Map<string, PropValue>;
  uniqueId: number;
  createdTime: number;
  lastEditedTime: number;
  createdBy: UserRec;
  lastEditedBy: UserRec;
  inTrash: boolean;
  isLocked: boolean;
  /** Every comment, resolved ones too, oldest first. */
  comments: CommentRec[];
  /** The Asana task this page mirrors in the shared agency, if any. */
  taskGid: string | null;
  assetKey: string | null;
}

export interface CommentRec {
  readonly kind: 'comment';
  readonly id: string;
  page: PageRec;
  discussionId: string;
  createdTime: number;
  lastEditedTime: number;
  author: UserRec;
  richText: RichTextItemResponse[];
  displayName: { type: 'custom' | 'user' | 'integration'; resolvedName: string | null };
  /** Resolved discussions are not listed by GET /v1/comments. */
  resolved: boolean;
}

export interface WorkspaceInfo {
  id: string;
  name: string;
}

export interface NotionDataset {
  seed: string;
  /** ISO time the histories end at. */
  now: string;
  workspace: WorkspaceInfo;
  /** The integration behind the default token, and its bot user. */
  integrationId: string;
  bot: UserRec;
  users: UserRec[];
  databases: DatabaseRec[];
  usersById: Map<string, UserRec>;
  databasesById: Map<string, DatabaseRec>;
  dataSourcesById: Map<string, DataSourceRec>;
  pagesById: Map<string, PageRec>;
  commentsById: Map<string, CommentRec>;
  /** Discussion id → its comments, oldest first. */
  discussions: Map<string, CommentRec[]>;
  /** Next sequence for ids minted after generation. */
  nextSeq: number;
}

// ---- ground truth -------------------------------------------------------------------------------

export interface TruthVersion {
  /** 1-based position in the Files property (Notion keeps no file history: a version is an entry). */
  number: number;
  name: string;
  type: 'file' | 'external';
  /** External URL; null for Notion-hosted files, whose URLs expire. */
  url: string | null;
}
export interface TruthComment {
  commentId: string;
  discussionId: string;
  authorId: string;
  authorEmail: string | null;
  createdTime: string;
  text: string;
}
export interface PageTruth {
  pageId: string;
  dataSourceId: string;
  databaseId: string;
  taskGid: string | null;
  assetKey: string | null;
  name: string;
  /** The Stage status option name (an agency section name). */
  stage: string | null;
  ownerEmail: string | null;
  reviewerEmails: (string | null)[];
  /** The Due date's start, as served. */
  due: string | null;
  clientPageId: string | null;
  versions: TruthVersion[];
  /** Unresolved comments, oldest first: what GET /v1/comments lists. */
  comments: TruthComment[];
  /** Comments in resolved discussions: a correct sync cannot see them. */
  resolvedComments: number;
  inTrash: boolean;
  createdTime: string;
  lastEditedTime: string;
  lastEditedById: string;
}
export interface DataSourceTruth {
  dataSourceId: string;
  databaseId: string;
  name: string;
  role: DataSourceRole;
  projectGids: string[];
  shared: boolean;
  pages: number;
  /** The schema now, in order: each property's name and type (select and status with their option names). */
  properties: { name: string; type: PropertyType; options?: string[] }[];
  lastEditedTime: string;
}
export interface NotionTruth {
  /** The Stage status options (the agency's section names) and how Stageline maps them by default. */
  stageNames: readonly string[];
  defaultStageMap: Readonly<Record<string, CanonicalStage>>;
  dataSources: DataSourceTruth[];
  /** Asset pages (of the `assets` data sources), trashed ones too, in creation order. */
  pages: Map<string, PageTruth>;
}

export interface GeneratedNotion {
  dataset: NotionDataset;
  truth: NotionTruth;
}

const MINUTE = 60_000;
/** Notion stores created_time and last_edited_time to the minute (vendor-apis §3.4 [U]). */
export const floorMinute = (ms: number): number => Math.floor(ms / MINUTE) * MINUTE;
/** `2026-11-20T12:03:00.000Z`: Notion's timestamp rendering. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();
export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Notion ids are UUIDs; requests may send them with or without dashes. */
export function normalizeId(raw: string): string | null {
  const hex = raw.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const plainText = (items: readonly RichTextItemResponse[]): string => items.map((i) => i.plain_text).join('');

/** A plain text run in Notion's response shape. */
export function textItem(content: string, link: string | null = null): RichTextItemResponse {
  return {
    type: 'text',
    text: { content, link: link === null ? null : { url: link } },
    annotations: { bold: false, italic: false, strikethrough: false, underline: false, code: false, color: 'default' },
    plain_text: content,
    href: link,
  };
}
