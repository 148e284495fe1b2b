// Records → Notion's JSON. Every function returns the SDK's own response type (@notionhq/client
// 5.26 `build/src/api-endpoints/*.d.ts`), so the compiler checks each shape against the spec; the
// 2026-03-11 differences are applied at the end (no deprecated `archived`, only `in_trash`).

import type {
  CommentObjectResponse,
  DataSourceObjectResponse,
  DatabaseObjectResponse,
  PageObjectResponse,
  PartialUserObjectResponse,
  PropertyItemListResponse,
  PropertyItemObjectResponse,
  RichTextItemResponse,
  UserObjectResponse,
} from '@notionhq/client';
import {
  type CommentRec,
  type DataSourceRec,
  type DatabaseRec,
  type FileRec,
  type NotionDataset,
  type NotionVersion,
  type PageRec,
  type PropertyRec,
  type UserRec,
  isoTime,
  plainText,
  textItem,
} from './model';
import { type Value, valueOf } from './values';

export type PagePropertyJson = PageObjectResponse['properties'][string];
type PropertyConfigJson = DataSourceObjectResponse['properties'][string];

/** How many items of a title, rich_text, people or relation value a page object carries (vendor-apis §7.3 [U]). */
export const PAGE_LIST_CAP = 25;

export interface SerializeContext {
  dataset: NotionDataset;
  version: NotionVersion;
  /** Whether the token may read people's emails (the "user information including email addresses" capability). */
  emails: boolean;
  /** A signed, expiring download URL for a Notion-hosted file. */
  signFile: (file: Extract<FileRec, { kind: 'file' }>) => { url: string; expiry_time: string };
  /** Property ids (decoded) to include; null = all. */
  only?: ReadonlySet<string> | null;
}

const hex = (id: string): string => id.replace(/-/g, '');
const slug = (s: string): string =>
  s
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
export const pageUrl = (title: string, id: string): string => `https://www.notion.so/${slug(title) ? `${slug(title)}-` : ''}${hex(id)}`;

/** Drops the deprecated `archived` key for 2026-03-11, which replaced it by `in_trash`. */
function versioned<T extends { archived: boolean }>(o: T, version: NotionVersion): T | Omit<T, 'archived'> {
  if (version === '2025-09-03') return o;
  const { archived: _archived, ...rest } = o;
  return rest;
}

export const partialUser = (u: UserRec): PartialUserObjectResponse => ({ object: 'user', id: u.id });

export function userJson(u: UserRec, ctx: Pick<SerializeContext, 'dataset' | 'emails'>, self = false): UserObjectResponse {
  const common = { object: 'user' as const, id: u.id, name: u.name, avatar_url: u.avatarUrl };
  if (u.type === 'person') return { ...common, type: 'person', person: ctx.emails && u.email !== null ? { email: u.email } : {} };
  // The token's own bot (GET /v1/users/me) carries its owner and workspace; other bots are bare.
  if (!self) return { ...common, type: 'bot', bot: {} };
  return {
    ...common,
    type: 'bot',
    bot: {
      owner: { type: 'workspace', workspace: true },
      workspace_id: ctx.dataset.workspace.id,
      workspace_limits: { max_file_upload_size_in_bytes: 5 * 1024 * 1024 },
      workspace_name: ctx.dataset.workspace.name,
    },
  };
}

function fileJson(f: FileRec, ctx: SerializeContext): Extract<PagePropertyJson, { type: 'files' }>['files'][number] {
  if (f.kind === 'external') return { name: f.name, type: 'external', external: { url: f.url } };
  return { name: f.name, type: 'file', file: ctx.signFile(f) };
}

function optionJson(prop: PropertyRec, id: string | null): { id: string; name: string; color: PropertyRec['options'][number]['color'] } | null {
  const o = id === null ? undefined : prop.options.find((x) => x.id === id);
  return o ? { id: o.id, name: o.name, color: o.color } : null;
}

function userValue(id: string, ctx: SerializeContext): UserObjectResponse | PartialUserObjectResponse {
  const u = ctx.dataset.usersById.get(id);
  return u ? userJson(u, ctx) : { object: 'user', id };
}

/** The value of one property inside a page object. */
export function propertyJson(page: PageRec, prop: PropertyRec, ctx: SerializeContext): PagePropertyJson {
  const v: Value = valueOf(page, prop);
  const id = prop.id;
  switch (v.t) {
    case 'title':
      return { id, type: 'title', title: v.items.slice(0, PAGE_LIST_CAP) };
    case 'rich_text':
      return { id, type: 'rich_text', rich_text: v.items.slice(0, PAGE_LIST_CAP) };
    case 'number':
      return { id, type: 'number', number: v.n };
    case 'select':
      return { id, type: 'select', select: optionJson(prop, v.optionId) };
    case 'status':
      return { id, type: 'status', status: optionJson(prop, v.optionId) };
    case 'multi_select':
      return { id, type: 'multi_select', multi_select: v.optionIds.map((o) => optionJson(prop, o)).filter((o) => o !== null) };
    case 'date':
      return { id, type: 'date', date: v.date ? { start: v.date.start, end: v.date.end, time_zone: v.date.timeZone } : null };
    case 'people':
      return { id, type: 'people', people: v.userIds.slice(0, PAGE_LIST_CAP).map((u) => userValue(u, ctx)) };
    case 'files':
      return { id, type: 'files', files: v.files.map((f) => fileJson(f, ctx)) };
    case 'relation': {
      // Notion adds `has_more` beside a relation's first 25 ids (not in the SDK type) [U].
      const value = { id, type: 'relation' as const, relation: v.pageIds.slice(0, PAGE_LIST_CAP).map((p) => ({ id: p })) };
      return Object.assign(value, { has_more: v.pageIds.length > PAGE_LIST_CAP });
    }
    case 'url':
      return { id, type: 'url', url: v.url };
    case 'checkbox':
      return { id, type: 'checkbox', checkbox: v.v };
    case 'time':
      return prop.type === 'created_time' ? { id, type: 'created_time', created_time: isoTime(v.ms) } : { id, type: 'last_edited_time', last_edited_time: isoTime(v.ms) };
    case 'user': {
      const u = ctx.dataset.usersById.get(v.id);
      const user = u ? partialUser(u) : { object: 'user' as const, id: v.id };
      return prop.type === 'created_by' ? { id, type: 'created_by', created_by: user } : { id, type: 'last_edited_by', last_edited_by: user };
    }
    case 'unique_id':
      return { id, type: 'unique_id', unique_id: { prefix: prop.prefix, number: v.n } };
  }
}

export const titleOf = (page: PageRec): string => {
  const v = page.values.get('title');
  return v && v.t === 'title' ? plainText(v.items) : '';
};

const decoded = (id: string): string => {
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
};

export function pageJson(page: PageRec, ctx: SerializeContext): PageObjectResponse | Omit<PageObjectResponse, 'archived'> {
  const properties: PageObjectResponse['properties'] = {};
  for (const prop of page.dataSource.properties) {
    if (ctx.only && !ctx.only.has(decoded(prop.id))) continue;
    properties[prop.name] = propertyJson(page, prop, ctx);
  }
  const s = page.dataSource;
  const o: PageObjectResponse = {
    object: 'page',
    id: page.id,
    created_time: isoTime(page.createdTime),
    last_edited_time: isoTime(page.lastEditedTime),
    created_by: partialUser(page.createdBy),
    last_edited_by: partialUser(page.lastEditedBy),
    cover: null,
    icon: null,
    parent: { type: 'data_source_id', data_source_id: s.id, database_id: s.database.id },
    in_trash: page.inTrash,
    archived: page.inTrash,
    is_archived: false,
    is_locked: page.isLocked,
    properties,
    url: pageUrl(titleOf(page), page.id),
    public_url: null,
  };
  return versioned(o, ctx.version);
}

function propertyConfigJson(prop: PropertyRec): PropertyConfigJson {
  const common = { id: prop.id, name: prop.name, description: prop.description };
  const options = prop.options.map((o) => ({ id: o.id, name: o.name, color: o.color, description: o.description }));
  switch (prop.type) {
    case 'number':
      return { ...common, type: 'number', number: { format: prop.numberFormat } };
    case 'select':
      return { ...common, type: 'select', select: { options } };
    case 'multi_select':
      return { ...common, type: 'multi_select', multi_select: { options } };
    case 'status':
      return { ...common, type: 'status', status: { options, groups: prop.groups.map((g) => ({ id: g.id, name: g.name, color: g.color, option_ids: [...g.optionIds] })) } };
    case 'relation': {
      const r = prop.relation;
      if (!r) throw new Error(`relation property ${prop.name} has no target`);
      const target = { database_id: r.dataSource.database.id, data_source_id: r.dataSource.id };
      return r.syncedPropertyId
        ? { ...common, type: 'relation', relation: { ...target, type: 'dual_property', dual_property: { synced_property_id: r.syncedPropertyId, synced_property_name: r.syncedPropertyName ?? '' } } }
        : { ...common, type: 'relation', relation: { ...target, type: 'single_property', single_property: {} } };
    }
    case 'unique_id':
      return { ...common, type: 'unique_id', unique_id: { prefix: prop.prefix } };
    case 'title':
      return { ...common, type: 'title', title: {} };
    case 'rich_text':
      return { ...common, type: 'rich_text', rich_text: {} };
    case 'date':
      return { ...common, type: 'date', date: {} };
    case 'people':
      return { ...common, type: 'people', people: {} };
    case 'files':
      return { ...common, type: 'files', files: {} };
    case 'url':
      return { ...common, type: 'url', url: {} };
    case 'checkbox':
      return { ...common, type: 'checkbox', checkbox: {} };
    case 'created_time':
      return { ...common, type: 'created_time', created_time: {} };
    case 'created_by':
      return { ...common, type: 'created_by', created_by: {} };
    case 'last_edited_time':
      return { ...common, type: 'last_edited_time', last_edited_time: {} };
    case 'last_edited_by':
      return { ...common, type: 'last_edited_by', last_edited_by: {} };
  }
}

const richTitle = (s: string): RichTextItemResponse[] => (s ? [textItem(s)] : []);

export function dataSourceJson(s: DataSourceRec, version: NotionVersion): DataSourceObjectResponse | Omit<DataSourceObjectResponse, 'archived'> {
  const properties: DataSourceObjectResponse['properties'] = {};
  for (const p of s.properties) properties[p.name] = propertyConfigJson(p);
  const o: DataSourceObjectResponse = {
    object: 'data_source',
    id: s.id,
    title: richTitle(s.name),
    description: [],
    parent: { type: 'database_id', database_id: s.database.id },
    database_parent: { type: 'workspace', workspace: true },
    is_inline: false,
    in_trash: s.database.inTrash,
    archived: s.database.inTrash,
    created_time: isoTime(s.createdTime),
    last_edited_time: isoTime(s.lastEditedTime),
    created_by: partialUser(s.createdBy),
    last_edited_by: partialUser(s.lastEditedBy),
    properties,
    icon: null,
    cover: null,
    url: `https://www.notion.so/${hex(s.database.id)}?v=${hex(s.id)}`,
    public_url: null,
  };
  return versioned(o, version);
}

export function databaseJson(db: DatabaseRec, version: NotionVersion): DatabaseObjectResponse | Omit<DatabaseObjectResponse, 'archived'> {
  const o: DatabaseObjectResponse = {
    object: 'database',
    id: db.id,
    title: richTitle(db.title),
    description: richTitle(db.description),
    parent: { type: 'workspace', workspace: true },
    is_inline: false,
    in_trash: db.inTrash,
    archived: db.inTrash,
    is_locked: db.isLocked,
    created_time: isoTime(db.createdTime),
    last_edited_time: isoTime(db.lastEditedTime),
    data_sources: db.dataSources.map((s) => ({ id: s.id, name: s.name })),
    icon: null,
    cover: null,
    url: pageUrl(db.title, db.id),
    public_url: null,
  };
  return versioned(o, version);
}

export function commentJson(c: CommentRec): CommentObjectResponse {
  return {
    object: 'comment',
    id: c.id,
    parent: { type: 'page_id', page_id: c.page.id },
    discussion_id: c.discussionId,
    created_time: isoTime(c.createdTime),
    last_edited_time: isoTime(c.lastEditedTime),
    created_by: partialUser(c.author),
    rich_text: c.richText,
    display_name: { type: c.displayName.type, resolved_name: c.displayName.resolvedName },
  };
}

/** One property item of GET /v1/pages/{id}/properties/{property_id} for a non-list property. */
export function propertyItemJson(page: PageRec, prop: PropertyRec, ctx: SerializeContext): PropertyItemObjectResponse {
  const v = propertyJson(page, prop, ctx);
  // The page-object value and the property item differ only by `object`, for the single-value types.
  return { ...(v as object), object: 'property_item' } as PropertyItemObjectResponse;
}

/** A page of list-property items (title, rich_text, people, relation): one item per element. */
export function propertyItemList(
  page: PageRec,
  prop: PropertyRec,
  start: number,
  size: number,
  ctx: SerializeContext,
  nextUrl: (cursor: string) => string,
  cursorAt: (index: number) => string,
): PropertyItemListResponse {
  const v = valueOf(page, prop);
  const items: PropertyItemObjectResponse[] = [];
  let total = 0;
  if (v.t === 'title' || v.t === 'rich_text') {
    total = v.items.length;
    for (const it of v.items.slice(start, start + size)) items.push(v.t === 'title' ? { object: 'property_item', id: prop.id, type: 'title', title: it } : { object: 'property_item', id: prop.id, type: 'rich_text', rich_text: it });
  } else if (v.t === 'people') {
    total = v.userIds.length;
    for (const u of v.userIds.slice(start, start + size)) items.push({ object: 'property_item', id: prop.id, type: 'people', people: userValue(u, ctx) });
  } else if (v.t === 'relation') {
    total = v.pageIds.length;
    for (const p of v.pageIds.slice(start, start + size)) items.push({ object: 'property_item', id: prop.id, type: 'relation', relation: { id: p } });
  }
  const more = start + size < total;
  const next = more ? cursorAt(start + size) : null;
  const type = prop.type as 'title' | 'rich_text' | 'people' | 'relation';
  const listHead = { id: prop.id, next_url: next ? nextUrl(next) : null };
  const propertyItem =
    type === 'title'
      ? { ...listHead, type, title: {} }
      : type === 'rich_text'
        ? { ...listHead, type, rich_text: {} }
        : type === 'people'
          ? { ...listHead, type, people: {} }
          : { ...listHead, type, relation: {} };
  return { object: 'list', results: items, next_cursor: next, has_more: more, type: 'property_item', property_item: propertyItem };
}
