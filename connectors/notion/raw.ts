// Zod schemas of the Notion payloads this connector reads, from the types of `@notionhq/client@5.26.0`
// (build/src/api-endpoints/common.d.ts PageObjectResponse and the property value types,
// data-sources.d.ts DataSourceObjectResponse and QueryDataSourceResponse, databases.d.ts,
// comments.d.ts, users.d.ts, pages.d.ts PropertyItemListResponse, webhooks.d.ts), API version
// 2025-09-03. Objects are loose (Notion adds fields over time: `is_archived`, `is_locked`, new
// property types), but what normalize reads is typed strictly: a page whose `created_time` is not a
// timestamp, or a status value without a name, is rejected with its path, never guessed.
import { z } from 'zod';

/** Ids are UUIDs with dashes in answers (requests accept them without). Any non-empty string is kept as sent. */
export const NotionId = z.string().min(1);

/** `created_time`, `last_edited_time`, comment times: ISO 8601 with `Z` (common.d.ts: `string`). */
const Time = z.iso.datetime({ offset: true });

// ---- users ----------------------------------------------------------------------------------------

/** `PartialUserObjectResponse`: `created_by`, `last_edited_by`, people entries in some answers. */
export const NotionPartialUserRaw = z.looseObject({ object: z.literal('user'), id: NotionId });
export type NotionPartialUserRaw = z.infer<typeof NotionPartialUserRaw>;

/**
 * `UserObjectResponse`: a person (`person.email` only with the "read user information including
 * email addresses" capability, vendor-apis.md §3.2) or a bot. `name` may be null.
 */
export const NotionUserRaw = z.looseObject({
  object: z.literal('user'),
  id: NotionId,
  type: z.enum(['person', 'bot']).optional(),
  name: z.string().nullish(),
  avatar_url: z.string().nullish(),
  person: z.looseObject({ email: z.string().optional() }).optional(),
  bot: z.looseObject({}).optional(),
});
export type NotionUserRaw = z.infer<typeof NotionUserRaw>;

/** `GroupObjectResponse`: a people value may hold a group (not a person). */
export const NotionGroupRaw = z.looseObject({ object: z.literal('group'), id: NotionId, name: z.string().nullish() });

// ---- rich text, dates, files ------------------------------------------------------------------------

/** `RichTextItemResponse`: text, mention or equation; `plain_text` is what a person reads. */
export const NotionRichTextRaw = z.looseObject({
  type: z.string(),
  plain_text: z.string(),
  href: z.string().nullish(),
  text: z.looseObject({ content: z.string(), link: z.looseObject({ url: z.string() }).nullish() }).optional(),
});
export type NotionRichTextRaw = z.infer<typeof NotionRichTextRaw>;

/** `DateResponse`: `start` is a date (`2026-01-31`) or a date-time with an offset. */
export const NotionDateRaw = z.looseObject({
  start: z.string().min(1),
  end: z.string().nullish(),
  time_zone: z.string().nullish(),
});
export type NotionDateRaw = z.infer<typeof NotionDateRaw>;

/**
 * `InternalOrExternalFileWithNameResponse`: Notion-hosted (`file.url` expires at `expiry_time`, about an
 * hour [U]: never stored as identity) or external (`external.url`, stable).
 */
export const NotionFileRaw = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('file'), name: z.string(), file: z.looseObject({ url: z.string(), expiry_time: z.string().nullish() }) }),
  z.looseObject({ type: z.literal('external'), name: z.string(), external: z.looseObject({ url: z.string() }) }),
  // A file attached by upload id, as echoed by some answers (pages.d.ts request form) [U].
  z.looseObject({ type: z.literal('file_upload'), name: z.string().optional(), file_upload: z.looseObject({ id: NotionId }) }),
]);
export type NotionFileRaw = z.infer<typeof NotionFileRaw>;

const SelectOption = z.looseObject({ id: z.string().optional(), name: z.string(), color: z.string().optional() });

// ---- page property values ---------------------------------------------------------------------------

/**
 * The value of each property type normalize reads, keyed by `type` (common.d.ts
 * SimplePropertyValueResponse, ArrayBasedPropertyValueResponse, PartialRollupPropertyResponse). Each
 * is checked on its own, so one malformed property names its own path.
 */
export const PROPERTY_VALUES = {
  title: z.array(NotionRichTextRaw),
  rich_text: z.array(NotionRichTextRaw),
  status: SelectOption.nullable(),
  select: SelectOption.nullable(),
  multi_select: z.array(SelectOption),
  people: z.array(z.union([NotionUserRaw, NotionPartialUserRaw, NotionGroupRaw])),
  date: NotionDateRaw.nullable(),
  files: z.array(NotionFileRaw),
  relation: z.array(z.looseObject({ id: NotionId })),
  number: z.number().nullable(),
  checkbox: z.boolean(),
  url: z.string().nullable(),
  email: z.string().nullable(),
  phone_number: z.string().nullable(),
  unique_id: z.looseObject({ prefix: z.string().nullable(), number: z.number().nullable() }),
  created_time: Time,
  last_edited_time: Time,
  created_by: z.union([NotionUserRaw, NotionPartialUserRaw]),
  last_edited_by: z.union([NotionUserRaw, NotionPartialUserRaw]),
  formula: z.looseObject({ type: z.string() }),
  rollup: z.looseObject({ type: z.string() }),
} as const;
export type NotionPropertyType = keyof typeof PROPERTY_VALUES;

/** A page property value: `{id, type, <type>: …}`; relation and people values may add `has_more`. */
export const NotionPropertyValueRaw = z.looseObject({ id: z.string(), type: z.string(), has_more: z.boolean().optional() });
export type NotionPropertyValueRaw = z.infer<typeof NotionPropertyValueRaw>;

/** The value under `prop[type]` of a property of a type we read, parsed. */
export function propertyValue<T extends NotionPropertyType>(type: T, prop: Record<string, unknown>): z.ZodSafeParseResult<z.infer<(typeof PROPERTY_VALUES)[T]>> {
  const schema: z.ZodType = PROPERTY_VALUES[type];
  return schema.safeParse(prop[type]) as z.ZodSafeParseResult<z.infer<(typeof PROPERTY_VALUES)[T]>>;
}

export function isReadType(type: string): type is NotionPropertyType {
  return Object.hasOwn(PROPERTY_VALUES, type);
}

// ---- pages, data sources, databases --------------------------------------------------------------

/** `ParentForBlockBasedObjectResponse`: rows of a data source have `type: "data_source_id"` and both ids. */
export const NotionParentRaw = z.looseObject({
  type: z.string(),
  data_source_id: NotionId.optional(),
  database_id: NotionId.optional(),
  page_id: NotionId.optional(),
  block_id: NotionId.optional(),
  workspace: z.boolean().optional(),
});

/**
 * `PageObjectResponse`. `in_trash` is the trash flag; `archived` is its deprecated twin (present
 * before 2026-03-11) and is read only when `in_trash` is absent.
 */
export const NotionPageRaw = z.looseObject({
  object: z.literal('page'),
  id: NotionId,
  created_time: Time,
  last_edited_time: Time,
  in_trash: z.boolean().optional(),
  archived: z.boolean().optional(),
  is_locked: z.boolean().optional(),
  url: z.string().nullish(),
  public_url: z.string().nullish(),
  parent: NotionParentRaw,
  properties: z.record(z.string(), NotionPropertyValueRaw),
  created_by: NotionPartialUserRaw,
  last_edited_by: NotionPartialUserRaw,
});
export type NotionPageRaw = z.infer<typeof NotionPageRaw>;

/** `DatabasePropertyConfigResponse`: a property of a data source's schema; status and select carry their options. */
export const NotionPropertyConfigRaw = z.looseObject({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  status: z
    .looseObject({
      options: z.array(z.looseObject({ id: z.string(), name: z.string(), color: z.string().optional() })),
      groups: z.array(z.looseObject({ id: z.string(), name: z.string(), option_ids: z.array(z.string()) })).optional(),
    })
    .optional(),
  select: z.looseObject({ options: z.array(z.looseObject({ id: z.string(), name: z.string(), color: z.string().optional() })) }).optional(),
  multi_select: z.looseObject({ options: z.array(z.looseObject({ id: z.string(), name: z.string() })) }).optional(),
});
export type NotionPropertyConfigRaw = z.infer<typeof NotionPropertyConfigRaw>;

/** `DataSourceObjectResponse` (2025-09-03): the schema (`properties`, keyed by name) and its rows' home. */
export const NotionDataSourceRaw = z.looseObject({
  object: z.literal('data_source'),
  id: NotionId,
  title: z.array(NotionRichTextRaw),
  description: z.array(NotionRichTextRaw).optional(),
  parent: NotionParentRaw.optional(),
  database_parent: NotionParentRaw.optional(),
  in_trash: z.boolean().optional(),
  archived: z.boolean().optional(),
  created_time: Time.optional(),
  last_edited_time: Time.optional(),
  properties: z.record(z.string(), NotionPropertyConfigRaw),
  url: z.string().nullish(),
});
export type NotionDataSourceRaw = z.infer<typeof NotionDataSourceRaw>;

/** `DatabaseObjectResponse` (2025-09-03): a container; its `data_sources` are what is queried. */
export const NotionDatabaseRaw = z.looseObject({
  object: z.literal('database'),
  id: NotionId,
  title: z.array(NotionRichTextRaw),
  in_trash: z.boolean().optional(),
  archived: z.boolean().optional(),
  is_locked: z.boolean().optional(),
  created_time: Time.optional(),
  last_edited_time: Time.optional(),
  data_sources: z.array(z.looseObject({ id: NotionId, name: z.string() })),
  url: z.string().nullish(),
});
export type NotionDatabaseRaw = z.infer<typeof NotionDatabaseRaw>;

// ---- comments ----------------------------------------------------------------------------------------

/** `CommentObjectResponse`: on a page (`parent.page_id`) or inline on a block (`parent.block_id`). */
export const NotionCommentRaw = z.looseObject({
  object: z.literal('comment'),
  id: NotionId,
  parent: z.looseObject({ type: z.enum(['page_id', 'block_id']), page_id: NotionId.optional(), block_id: NotionId.optional() }),
  discussion_id: NotionId,
  created_time: Time,
  last_edited_time: Time.optional(),
  created_by: NotionPartialUserRaw,
  rich_text: z.array(NotionRichTextRaw),
  display_name: z.looseObject({ type: z.string(), resolved_name: z.string().nullish() }).optional(),
  attachments: z.array(z.looseObject({ category: z.string(), file: z.looseObject({ url: z.string() }) })).optional(),
});
export type NotionCommentRaw = z.infer<typeof NotionCommentRaw>;

// ---- lists ---------------------------------------------------------------------------------------------

/** `RequestStatusResponse`: present on capped queries; `incomplete` means rows are missing from this query. */
export const NotionRequestStatusRaw = z.looseObject({
  type: z.enum(['complete', 'incomplete']),
  incomplete_reason: z.string().optional(),
});

/**
 * Every list answer (`QueryDataSourceResponse`, `ListUsersResponse`, `ListCommentsResponse`,
 * `PropertyItemListResponse`): results are checked item by item by the caller, so one bad row does
 * not lose its page.
 */
export const NotionListRaw = z.looseObject({
  object: z.literal('list'),
  results: z.array(z.unknown()),
  next_cursor: z.string().nullable(),
  has_more: z.boolean(),
  type: z.string().optional(),
  request_status: NotionRequestStatusRaw.optional(),
  /** PropertyItemListResponse: which property the items are of. */
  property_item: z.looseObject({ id: z.string(), type: z.string(), next_url: z.string().nullish() }).optional(),
});
export type NotionListRaw = z.infer<typeof NotionListRaw>;

/** One item of a property-item list (`GET /v1/pages/{id}/properties/{property_id}`). */
export const NotionPropertyItemRaw = z.looseObject({ object: z.literal('property_item'), id: z.string(), type: z.string() });

/** The error body (errors.js): `{object: "error", status, code, message, request_id?, additional_data?}`. */
export const NotionErrorRaw = z.looseObject({
  object: z.literal('error'),
  status: z.number().int(),
  code: z.string(),
  message: z.string(),
  request_id: z.string().optional(),
  additional_data: z.record(z.string(), z.unknown()).optional(),
});

// ---- webhooks ------------------------------------------------------------------------------------------

/** `BaseWebhookPayload` & the event's `entity` and `data` (webhooks.d.ts); data is read leniently per type. */
export const NotionWebhookPayloadRaw = z.looseObject({
  id: z.string().min(1),
  timestamp: Time,
  workspace_id: NotionId,
  workspace_name: z.string().optional(),
  subscription_id: NotionId,
  integration_id: NotionId,
  type: z.string().min(1),
  authors: z.array(z.looseObject({ id: NotionId, type: z.string() })).default([]),
  accessible_by: z.array(z.looseObject({ id: NotionId, type: z.string() })).optional(),
  attempt_number: z.number().int().positive(),
  api_version: z.string().optional(),
  entity: z.looseObject({ id: NotionId, type: z.string() }),
  data: z
    .looseObject({
      parent: z.looseObject({ id: NotionId, type: z.string(), data_source_id: NotionId.optional() }).optional(),
      page_id: NotionId.optional(),
      updated_properties: z.array(z.union([z.string(), z.looseObject({ id: z.string() })])).optional(),
      updated_blocks: z.array(z.looseObject({ id: NotionId, type: z.string() })).optional(),
    })
    .optional(),
});
export type NotionWebhookPayloadRaw = z.infer<typeof NotionWebhookPayloadRaw>;

/** Plain text of a rich-text array: what a person reads. */
export function plainText(items: readonly { plain_text: string }[] | null | undefined): string {
  return (items ?? []).map((t) => t.plain_text).join('');
}

/** `in_trash`, else the deprecated `archived` (see NotionPageRaw). */
export function inTrash(o: { in_trash?: boolean | undefined; archived?: boolean | undefined }): boolean {
  return o.in_trash ?? o.archived ?? false;
}
