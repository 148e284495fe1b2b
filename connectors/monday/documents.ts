// Every GraphQL document the connector sends, as constants: documents.unit.test.ts validates each one
// against ../shared/specs/monday_schema.graphql (API 2026-10) with graphql's buildSchema + validate,
// so a field the pinned version does not have fails a test instead of a sync. Every operation selects
// `complexity { … }` so that each answer says what the budget has left (limits.ts).
import { COMPLEXITY_FIELDS } from './manifest';

const USER = 'fragment StagelineUser on User { id name email }';

/**
 * Column values through typed fragments: status (label, index, done), people (ids, resolved to emails
 * with `users`), date (date, time), numbers, board relation (linked item ids), file (uploads, links and
 * docs), and for every type the generic `id type text value`. FileAssetInvalidValue's `name` is
 * nullable where FileAssetValue's is not, so it is left out (the two would not merge: SDL).
 */
const COLUMN_VALUE = `fragment StagelineColumnValue on ColumnValue {
  id type text value
  ... on StatusValue { index label is_done updated_at }
  ... on PeopleValue { persons_and_teams { id kind } updated_at }
  ... on DateValue { date time updated_at }
  ... on NumbersValue { number }
  ... on BoardRelationValue { linked_item_ids display_value updated_at }
  ... on FileValue {
    files {
      __typename
      ... on FileAssetValue { asset_id name is_image created_at creator_id }
      ... on FileLinkValue { file_id kind name url created_at creator_id }
      ... on FileDocValue { file_id url created_at creator_id }
      ... on FileAssetInvalidValue { asset_id error created_at creator_id }
    }
  }
}`;

/** `url` only: `public_url` is valid for an hour and must never be stored (vendor-apis.md §2.2). */
const ASSET = 'fragment StagelineAsset on Asset { id name url file_extension file_size created_at uploaded_by { ...StagelineUser } }';

const REPLY = 'fragment StagelineReply on Reply { id body text_body created_at updated_at creator_id creator { ...StagelineUser } }';

const UPDATE = `fragment StagelineUpdate on Update {
  id body text_body created_at updated_at edited_at creator_id item_id
  creator { ...StagelineUser }
  replies { ...StagelineReply }
}`;

/**
 * A subitem: the values of an approval round (its decision and reviewer; `$subitemColumns` narrows
 * them to those columns, null = all). No updates and no files: nested lists multiply a query's
 * complexity, and subitems × updates × replies alone would price a page of 500 items far over the
 * 5M cap (README Behaviours 4). The round's feedback is read from the item's own updates.
 */
const SUBITEM = `fragment StagelineSubitem on Item {
  id name state created_at updated_at url creator_id
  board { id }
  parent_item { id }
  column_values(ids: $subitemColumns) { ...StagelineColumnValue }
}`;

const ITEM = `fragment StagelineItem on Item {
  id name state created_at updated_at url creator_id
  creator { ...StagelineUser }
  group { id title }
  board { id }
  column_values { ...StagelineColumnValue }
  assets(assets_source: columns) { ...StagelineAsset }
  updates(limit: $updatesLimit) { ...StagelineUpdate }
  subitems { ...StagelineSubitem }
}`;

const ITEM_FRAGMENTS = [ITEM, SUBITEM, UPDATE, REPLY, ASSET, COLUMN_VALUE, USER].join('\n');

/** Who the token is, and the account's plan (its tier sets the daily call cap). */
export const ME = `query StagelineMe {
  ${COMPLEXITY_FIELDS}
  me { id name email account { id slug tier is_during_trial plan { tier } } }
}`;

/** What the plan reads of a board: its groups and columns (status labels are in `settings_str`). */
const BOARD = `fragment StagelineBoard on Board {
  id name state board_kind type workspace_id description created_at updated_at url
  groups { id title color position archived deleted }
  columns { id title type archived settings_str }
}`;

/**
 * Boards by id or by workspace, any state (archived and deleted boards become archived projects), with
 * their groups and columns.
 */
export const BOARDS = `query StagelineBoards($ids: [ID!], $workspaceIds: [ID], $limit: Int!, $page: Int!) {
  ${COMPLEXITY_FIELDS}
  boards(ids: $ids, workspace_ids: $workspaceIds, limit: $limit, page: $page, state: all) { ...StagelineBoard }
}
${BOARD}`;

/**
 * BOARDS plus, per board, one page of the updates posted from `$updatesFrom` (newest first), with only
 * what names their items: the plan of an incremental sync learns which items got new comments in the
 * same call that tells which boards changed, so a board where nothing happened costs no call of its
 * own (an update does not move `updated_at`: README Behaviours 12). A separate document rather than
 * `@include(if:)` on BOARDS: monday's pricing of skipped fields is not documented [U], and nested
 * lists multiply (boards × updates limit × 3 fields: about 300 points a board at 100 updates).
 */
export const BOARDS_WITH_UPDATES = `query StagelineBoardsWithUpdates($ids: [ID!], $workspaceIds: [ID], $limit: Int!, $page: Int!, $updatesFrom: ISO8601DateTime!, $updatesLimit: Int!) {
  ${COMPLEXITY_FIELDS}
  boards(ids: $ids, workspace_ids: $workspaceIds, limit: $limit, page: $page, state: all) {
    ...StagelineBoard
    updates(from_date: $updatesFrom, limit: $updatesLimit) { id item_id created_at }
  }
}
${BOARD}`;

/**
 * The first page of a board's items, optionally filtered (`query_params`: `updatedItemsSince`), with
 * everything normalize reads in one query: values, file assets, updates with replies, subitems.
 */
export const ITEMS_PAGE = `query StagelineItemsPage($board: [ID!], $limit: Int!, $queryParams: ItemsQuery, $updatesLimit: Int, $subitemColumns: [String!]) {
  ${COMPLEXITY_FIELDS}
  boards(ids: $board) {
    id
    items_page(limit: $limit, query_params: $queryParams) { cursor items { ...StagelineItem } }
  }
}
${ITEM_FRAGMENTS}`;

/** The next page from a cursor: at the root, cheaper than nesting in `boards` again (vendor-apis.md §2.3). */
export const NEXT_ITEMS_PAGE = `query StagelineNextItemsPage($cursor: String!, $limit: Int!, $updatesLimit: Int, $subitemColumns: [String!]) {
  ${COMPLEXITY_FIELDS}
  next_items_page(cursor: $cursor, limit: $limit) { cursor items { ...StagelineItem } }
}
${ITEM_FRAGMENTS}`;

/** Items by id (≤ 100), whatever their state: archived and deleted items come back with `state`. */
export const ITEMS_BY_IDS = `query StagelineItemsByIds($ids: [ID!], $limit: Int!, $updatesLimit: Int, $subitemColumns: [String!]) {
  ${COMPLEXITY_FIELDS}
  items(ids: $ids, limit: $limit, exclude_nonactive: false) { ...StagelineItem }
}
${ITEM_FRAGMENTS}`;

/** One item's updates past the inline ones, cursor-paged. */
export const ITEM_UPDATES_PAGE = `query StagelineItemUpdates($ids: [ID!], $limit: Int!, $cursor: String) {
  ${COMPLEXITY_FIELDS}
  items(ids: $ids, limit: 1, exclude_nonactive: false) { id updates_page(limit: $limit, cursor: $cursor) { cursor updates { ...StagelineUpdate } } }
}
${UPDATE}
${REPLY}
${USER}`;

/**
 * A board's updates (replies inline) created in a window, newest first, page-numbered: how an
 * incremental sync finds new comments, since posting an update does not change the item's
 * `updated_at` [U: the simulator's reading, README Behaviours 12].
 */
export const BOARD_UPDATES = `query StagelineBoardUpdates($board: [ID!], $from: ISO8601DateTime, $to: ISO8601DateTime, $limit: Int!, $page: Int!) {
  ${COMPLEXITY_FIELDS}
  boards(ids: $board) { id updates(from_date: $from, to_date: $to, limit: $limit, page: $page) { ...StagelineUpdate } }
}
${UPDATE}
${REPLY}
${USER}`;

/** People by id → emails (PeopleValue and `creator_id` only carry ids). */
export const USERS = `query StagelineUsers($ids: [ID!], $limit: Int!, $page: Int!) {
  ${COMPLEXITY_FIELDS}
  users(ids: $ids, limit: $limit, page: $page) { id name email }
}`;

/**
 * A board's activity log (newest first), page-numbered in 2026-10; `data` is a JSON string. Filters
 * narrow it to a column (the stage column's status changes), items, or groups.
 */
export const ACTIVITY_LOGS = `query StagelineActivityLogs($board: [ID!], $from: ISO8601DateTime, $to: ISO8601DateTime, $columnIds: [String], $itemIds: [ID!], $groupIds: [String], $limit: Int!, $page: Int!) {
  ${COMPLEXITY_FIELDS}
  boards(ids: $board) {
    id
    activity_logs(from: $from, to: $to, column_ids: $columnIds, item_ids: $itemIds, group_ids: $groupIds, limit: $limit, page: $page) {
      id event entity data user_id account_id created_at
    }
  }
}`;

/**
 * All of an item's changed columns in one mutation: `column_values` is ONE JSON-encoded map keyed by
 * column id (vendor-apis.md §2.6); labels the column does not have are refused, never created.
 */
export const CHANGE_MULTIPLE_COLUMN_VALUES = `mutation StagelineChangeColumns($board: ID!, $item: ID!, $values: JSON!) {
  ${COMPLEXITY_FIELDS}
  change_multiple_column_values(board_id: $board, item_id: $item, column_values: $values, create_labels_if_missing: false) { id updated_at }
}`;

/** An update (comment) on an item; `body` is HTML. */
export const CREATE_UPDATE = `mutation StagelineCreateUpdate($item: ID!, $body: String!) {
  ${COMPLEXITY_FIELDS}
  create_update(item_id: $item, body: $body) { id body text_body created_at }
}`;

/** A column (numbers, text, status with JSON defaults) for write-back. */
export const CREATE_COLUMN = `mutation StagelineCreateColumn($board: ID!, $title: String!, $type: ColumnType!, $defaults: JSON, $id: String, $description: String) {
  ${COMPLEXITY_FIELDS}
  create_column(board_id: $board, title: $title, column_type: $type, defaults: $defaults, id: $id, description: $description) { id title type settings_str }
}`;

/** A status column with typed labels (`CreateStatusColumnSettingsInput`), for an "Ops status" column. */
export const CREATE_STATUS_COLUMN = `mutation StagelineCreateStatusColumn($board: ID!, $title: String!, $labels: [CreateStatusLabelInput!]!, $id: String, $description: String) {
  ${COMPLEXITY_FIELDS}
  create_status_column(board_id: $board, title: $title, id: $id, description: $description, defaults: { labels: $labels }) { id title type settings_str }
}`;

/** An item into another group of its board: the stage move of a board whose stage is the group. */
export const MOVE_ITEM_TO_GROUP = `mutation StagelineMoveItemToGroup($item: ID!, $group: String!) {
  ${COMPLEXITY_FIELDS}
  move_item_to_group(item_id: $item, group_id: $group) { id group { id title } }
}`;

/** Every document, by name, for the schema test. */
export const DOCUMENTS = {
  ME, BOARDS, BOARDS_WITH_UPDATES, ITEMS_PAGE, NEXT_ITEMS_PAGE, ITEMS_BY_IDS, ITEM_UPDATES_PAGE, BOARD_UPDATES, USERS, ACTIVITY_LOGS,
  CHANGE_MULTIPLE_COLUMN_VALUES, CREATE_UPDATE, CREATE_COLUMN, CREATE_STATUS_COLUMN, MOVE_ITEM_TO_GROUP,
} as const;
