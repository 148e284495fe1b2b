// Every root query and mutation the simulator serves is sent, validated first against the published
// 2026-10 schema (../shared/specs/monday_schema.graphql, through graphql-js `validate`), and its
// answer is checked against that schema field by field: every key asked for and no other, nullability,
// lists, scalars (ID strings, 32-bit Int, ISO dates), enum values, and the concrete type behind each
// interface and union. The error answers are checked against the shapes monday documents. A root
// field the simulator serves without a checked success fails the suite.

import { existsSync, readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  Kind,
  isAbstractType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  parse,
  validate,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MondaySimulator, SIM_DEFAULT_TOKEN, createMondaySimulator, mondaySchema, publishedSdl } from './index';
import { rootValue } from './resolvers';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SHARED_SDL = resolve(REPO_ROOT, '../shared/specs/monday_schema.graphql');
const schema = mondaySchema();

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/** Checks a response's `data` against the query and the schema; returns the problems, each with its path. */
function conformanceProblems(doc: DocumentNode, data: unknown): string[] {
  const problems: string[] = [];
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const fragments = new Map(doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  if (!op) return ['no operation'];
  const root = op.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  if (!root) return ['no root type'];

  const applies = (cond: string | undefined, type: GraphQLCompositeType): boolean => {
    if (!cond || cond === type.name) return true;
    const c = schema.getType(cond);
    return !!c && isAbstractType(c) && isObjectType(type) && schema.isSubType(c, type);
  };
  const collect = (set: SelectionSetNode, type: GraphQLCompositeType, out: Map<string, { name: string; set: SelectionSetNode | undefined }>): void => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) out.set(sel.alias?.value ?? sel.name.value, { name: sel.name.value, set: sel.selectionSet });
      else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (applies(sel.typeCondition?.name.value, type)) collect(sel.selectionSet, type, out);
      } else {
        const f = fragments.get(sel.name.value);
        if (f && applies(f.typeCondition.name.value, type)) collect(f.selectionSet, type, out);
      }
    }
  };
  const visitObject = (value: unknown, type: GraphQLCompositeType, set: SelectionSetNode | undefined, path: string): void => {
    if (!isObj(value)) return void problems.push(`${path}: expected an object, got ${JSON.stringify(value)}`);
    let concrete = type;
    if (isAbstractType(type)) {
      const name = value.__typename;
      const t = typeof name === 'string' ? schema.getType(name) : undefined;
      if (!t || !isObjectType(t) || !schema.isSubType(type, t)) return void problems.push(`${path}: __typename ${String(name)} is not a ${type.name}`);
      concrete = t;
    }
    const fields = new Map<string, { name: string; set: SelectionSetNode | undefined }>();
    if (set) collect(set, concrete, fields);
    const keys = Object.keys(value);
    for (const k of keys) if (!fields.has(k)) problems.push(`${path}.${k}: not asked for`);
    for (const [key, f] of fields) {
      if (!(key in value)) {
        problems.push(`${path}.${key}: missing`);
        continue;
      }
      if (f.name === '__typename') {
        if (value[key] !== concrete.name) problems.push(`${path}.__typename: expected ${concrete.name}`);
        continue;
      }
      const def = isObjectType(concrete) || isInterfaceType(concrete) ? concrete.getFields()[f.name] : undefined;
      if (!def) {
        problems.push(`${path}.${key}: ${concrete.name} has no field ${f.name}`);
        continue;
      }
      visit(value[key], def.type, f.set, `${path}.${key}`);
    }
  };
  const visit = (value: unknown, type: GraphQLOutputType, set: SelectionSetNode | undefined, path: string): void => {
    if (isNonNullType(type)) {
      if (value === null || value === undefined) return void problems.push(`${path}: null for non-null ${String(type)}`);
      return visit(value, type.ofType, set, path);
    }
    if (value === null) return;
    if (value === undefined) return void problems.push(`${path}: undefined`);
    if (isListType(type)) {
      if (!Array.isArray(value)) return void problems.push(`${path}: expected a list`);
      value.forEach((v, i) => visit(v, type.ofType, set, `${path}[${i}]`));
      return;
    }
    if (isScalarType(type)) {
      const ok: Record<string, (v: unknown) => boolean> = {
        ID: (v) => typeof v === 'string',
        String: (v) => typeof v === 'string',
        Boolean: (v) => typeof v === 'boolean',
        Int: (v) => Number.isInteger(v) && Math.abs(v as number) <= 2 ** 31 - 1,
        Float: (v) => typeof v === 'number' && Number.isFinite(v),
        Date: (v) => typeof v === 'string' && ISO_SECONDS.test(v),
        ISO8601DateTime: (v) => typeof v === 'string' && ISO_SECONDS.test(v),
      };
      const check = ok[type.name];
      if (check && !check(value)) problems.push(`${path}: ${JSON.stringify(value)} is not a ${type.name}`);
      return;
    }
    if (isEnumType(type)) {
      if (!type.getValues().some((v) => v.name === value)) problems.push(`${path}: ${JSON.stringify(value)} is not a ${type.name} value`);
      return;
    }
    if (isObjectType(type) || isInterfaceType(type) || isUnionType(type)) visitObject(value, type, set, path);
  };
  visitObject(data, root, op.selectionSet, 'data');
  return problems;
}

interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

describe('monday simulator against the published 2026-10 schema', () => {
  let sim: MondaySimulator;
  let endpoint: string;
  let receiver: Server;
  let receiverUrl: string;
  const checkedRoots = new Set<string>();
  let boardId: string;
  let groupBoardId: string;
  let itemId: string;

  beforeAll(async () => {
    sim = createMondaySimulator({ generate: { seed: 'conformance', tasks: 240, projects: 3 } });
    endpoint = (await sim.start()).endpoint;
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Json;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify('challenge' in body ? { challenge: body.challenge } : { ok: true }));
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/monday`;
    const boards = sim.control.boardIds();
    boardId = boards.find((b) => sim.control.boardTruth(b)?.stageSource === 'status') as string;
    groupBoardId = boards.find((b) => sim.control.boardTruth(b)?.stageSource === 'group') as string;
    itemId = [...sim.control.truth.items.values()].find((t) => t.boardId === boardId && t.state === 'active' && t.versions.some((v) => v.source === 'asset') && t.decisions.length > 0 && t.updates.some((u) => u.parentUpdateId !== null))?.itemId as string;
    expect(itemId).toBeTruthy();
  }, 60_000);
  afterAll(async () => {
    await sim?.stop();
    await new Promise<void>((r) => receiver?.close(() => r()));
  });

  async function post(query: string, variables: Json = {}, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: SIM_DEFAULT_TOKEN, 'API-Version': '2026-10', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
  }

  /** Validates the query against the SDL, runs it, and checks the answer against the schema. */
  async function ok(query: string, variables: Json = {}): Promise<Json> {
    const doc = parse(query);
    expect(validate(schema, doc).map((e) => e.message)).toEqual([]);
    const res = await post(query, variables);
    expect(res.status).toBe(200);
    expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
    expect(conformanceProblems(doc, res.body.data)).toEqual([]);
    expect(typeof (res.body.extensions as Json).request_id).toBe('string');
    expect(typeof res.body.account_id).toBe('number');
    const op = doc.definitions[0] as OperationDefinitionNode;
    for (const s of op.selectionSet.selections) if (s.kind === Kind.FIELD) checkedRoots.add(s.name.value);
    return res.body.data as Json;
  }

  const ITEM_FIELDS = `
    __typename id name state created_at updated_at creator_id url relative_link email
    creator { id name email }
    group { id title color position }
    board { id name }
    parent_item { id }
    column_values {
      __typename id type text value is_leaf
      column { id title type }
      ... on StatusValue { label index is_done updated_at label_style { color border } }
      ... on PeopleValue { persons_and_teams { id kind } updated_at }
      ... on DateValue { date time icon updated_at }
      ... on TextValue { text }
      ... on LongTextValue { updated_at }
      ... on NumbersValue { number symbol direction }
      ... on FileValue { files { __typename ... on FileAssetValue { asset_id name is_image created_at creator_id asset { id name } } ... on FileLinkValue { file_id kind name url created_at creator_id } } }
      ... on BoardRelationValue { linked_item_ids display_value updated_at linked_items { id name } }
      ... on SubtasksValue { subitems_ids display_value subitems { id name } }
    }
    subitems { id name state column_values { __typename id text ... on StatusValue { label } } }
    updates(limit: 5) { id body text_body created_at updated_at edited_at creator_id item_id creator { id email } replies { id body text_body kind created_at creator_id creator { email } } assets { id } }
    assets { id name url public_url file_extension file_size created_at url_thumbnail original_geometry uploaded_by { id email } }`;

  it('the simulator runs on a byte-identical copy of the published SDL', () => {
    if (existsSync(SHARED_SDL)) expect(publishedSdl()).toBe(readFileSync(SHARED_SDL, 'utf8'));
    expect(Buffer.byteLength(publishedSdl())).toBe(384_981); // the size vendor-apis.md §2.10 gives
  });

  it('boards, with groups, columns and a page of items through typed fragments', async () => {
    const data = await ok(
      `query Sync($ids: [ID!], $limit: Int!) {
        complexity { before after query reset_in_x_seconds }
        boards(ids: $ids, limit: 5, page: 1, state: active) {
          id name description state board_kind type workspace_id updated_at created_at url permissions item_terminology items_count
          workspace { id name kind state }
          owner { id email } owners { id } subscribers { id email }
          top_group { id title }
          groups { id title color position archived deleted }
          columns { id title type description width archived settings settings_str revision }
          items_page(limit: $limit) { cursor items { ${ITEM_FIELDS} } }
        }
      }`,
      { ids: [boardId, groupBoardId], limit: 100 },
    );
    const boards = data.boards as Json[];
    expect(boards.map((b) => b.id).sort()).toEqual([boardId, groupBoardId].sort());
  });

  it('next_items_page and group items_page with query_params', async () => {
    const first = await ok(`query { boards(ids: [${boardId}]) { groups { id items_page(limit: 2, query_params: { rules: [{ column_id: "__last_updated__", compare_value: ["2026-01-01"], operator: greater_than, compare_attribute: "UPDATED_AT" }], order_by: [{ column_id: "__creation_log__", direction: asc }] }) { cursor items { id } } } items_page(limit: 1) { cursor items { id } } } }`);
    const cursor = (((first.boards as Json[])[0] as Json).items_page as Json).cursor as string;
    await ok(`query Next($cursor: String!) { next_items_page(cursor: $cursor, limit: 50) { cursor items { ${ITEM_FIELDS} } } }`, { cursor });
  });

  it('items by id, subitems with their parent, updates_page', async () => {
    const sub = sim.control.truthOf(itemId)?.decisions[0]?.subitemId as string;
    await ok(`query { items(ids: [${itemId}, ${sub}], limit: 10, newest_first: false) { ${ITEM_FIELDS} updates_page(limit: 1) { cursor updates { id text_body } } } }`);
  });

  it('users, me, account, version, workspaces', async () => {
    await ok(`query { users(limit: 5, page: 1, kind: non_guests) { id name email title kind created_at url account_id status is_deleted is_email_confirmed enabled: is_email_confirmed account { id slug } } }`);
    const me = await ok(`query { me { id name email kind } account { id name slug tier created_at plan { tier max_users version period } first_day_of_the_week is_during_trial } version { kind value display_name } workspaces(limit: 10) { id name kind description state created_at } }`);
    expect((me.version as Json).value).toBe('2026-10');
  });

  it('activity logs with JSON-encoded data', async () => {
    const data = await ok(
      `query Logs($b: [ID!], $from: ISO8601DateTime) { boards(ids: $b) { activity_logs(from: $from, limit: 50, page: 1, column_ids: ["status"]) { id event entity data user_id account_id created_at } } }`,
      { b: [boardId], from: '2026-01-01T00:00:00Z' },
    );
    const logs = ((data.boards as Json[])[0] as Json).activity_logs as Json[];
    expect(logs.length).toBe(50);
    for (const l of logs) {
      expect(l.event).toBe('update_column_value');
      expect(String(l.created_at)).toMatch(/^\d{17}$/);
      expect(JSON.parse(String(l.data))).toMatchObject({ column_id: 'status', column_type: 'color' });
    }
  });

  it('updates across the account, assets by id, webhooks of a board', async () => {
    const data = await ok(`query { updates(limit: 20, page: 1, from_date: "2026-01-01T00:00:00Z") { id body text_body created_at item_id creator_id replies { id text_body } } boards(ids: [${boardId}]) { updates(limit: 3) { id item_id } } }`);
    expect((data.updates as Json[]).length).toBe(20);
    const assetId = sim.control.truthOf(itemId)?.versions.find((v) => v.source === 'asset')?.fileId as string;
    await ok(`query { assets(ids: [${assetId}]) { id name url public_url file_extension file_size created_at uploaded_by { id name } } }`);
    await ok(`query { webhooks(board_id: ${boardId}) { id board_id event config } }`);
  });

  it('complexity alone', async () => {
    const data = await ok(`query { complexity { before after query reset_in_x_seconds } }`);
    expect((data.complexity as Json).query).toBe(0);
  });

  it('the write-back mutations', async () => {
    const vals = JSON.stringify({ status: { label: 'Client Review' }, date4: { date: '2026-12-01' }, text0: '300x250', person: { personsAndTeams: [{ id: Number(sim.control.dataset.bot.id), kind: 'person' }] } });
    await ok(`mutation SetStage($board: ID!, $item: ID!, $vals: JSON!) { change_multiple_column_values(board_id: $board, item_id: $item, column_values: $vals, create_labels_if_missing: false) { id updated_at column_values(ids: ["status"]) { __typename ... on StatusValue { label } } } }`, {
      board: boardId,
      item: itemId,
      vals,
    });
    await ok(`mutation { change_column_value(board_id: ${boardId}, item_id: ${itemId}, column_id: "numbers", value: "\\"1200\\"") { id } }`);
    await ok(`mutation { change_simple_column_value(board_id: ${boardId}, item_id: ${itemId}, column_id: "status", value: "Approved") { id name } }`);
    const u = await ok(`mutation { create_update(item_id: ${itemId}, body: "Ops check: <b>naming</b> fixed") { id body text_body item_id created_at creator_id creator { email } } }`);
    const updateId = (u.create_update as Json).id as string;
    await ok(`mutation { create_update(parent_id: ${updateId}, body: "Thanks!") { id body text_body created_at } }`);
    await ok(`mutation { delete_update(id: ${updateId}) { id } }`);
    await ok(`mutation { create_column(board_id: ${boardId}, title: "Ops status", column_type: status, id: "ops_status", defaults: "{\\"labels\\":{\\"0\\":\\"OK\\",\\"1\\":\\"Flagged\\"}}") { id title type settings_str } }`);
    const status = await ok(
      `mutation S($b: ID!, $labels: [CreateStatusLabelInput!]!) { create_status_column(board_id: $b, title: "Ops check", id: "ops_check", defaults: { labels: $labels }) { id title type settings_str } }`,
      { b: boardId, labels: [{ label: 'OK', color: 'done_green', index: 1, is_done: true }, { label: 'Broken standard', color: 'stuck_red', index: 2 }] },
    );
    expect(JSON.parse(String((status.create_status_column as Json).settings_str))).toMatchObject({ done_colors: [1], labels: { 1: 'OK', 2: 'Broken standard' }, labels_colors: { 1: { color: '#00c875', var_name: 'done-green' } } });
    const created = await ok(`mutation { create_item(board_id: ${boardId}, item_name: "New banner", column_values: "{\\"status\\":{\\"label\\":\\"Briefing\\"}}") { id name group { id } } }`);
    const newId = (created.create_item as Json).id as string;
    await ok(`mutation { create_subitem(parent_item_id: ${newId}, item_name: "Approve v01") { id name parent_item { id } board { id } } }`);
    const groups = sim.control.boardTruth(groupBoardId);
    expect(groups).toBeDefined();
    const gItem = [...sim.control.truth.items.values()].find((t) => t.boardId === groupBoardId && t.state === 'active')?.itemId as string;
    const target = sim.control.dataset.boards.find((b) => b.id === groupBoardId)?.groups.find((g) => g.title === 'On Hold')?.id as string;
    await ok(`mutation { move_item_to_group(item_id: ${gItem}, group_id: "${target}") { id group { id title } } }`);
    await ok(`mutation { archive_item(item_id: ${newId}) { id state } }`);
    await ok(`mutation { delete_item(item_id: ${newId}) { id state } }`);
    const hook = await ok(`mutation { create_webhook(board_id: ${boardId}, url: "${receiverUrl}", event: change_specific_column_value, config: "{\\"columnId\\":\\"status\\"}") { id board_id event config } }`);
    await ok(`mutation { delete_webhook(id: ${(hook.create_webhook as Json).id as string}) { id board_id } }`);
  });

  it('every root field the simulator serves was checked', () => {
    expect(Object.keys(rootValue).filter((f) => !checkedRoots.has(f))).toEqual([]);
  });

  it('an invalid field is a validation error, HTTP 200, with its location', async () => {
    const res = await post(`query { boards(limit: 1) { id nope } }`);
    expect(res.status).toBe(200);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toEqual([{ message: expect.stringContaining('Cannot query field "nope" on type "Board"'), locations: [{ line: 1, column: 31 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
    expect(res.body.account_id).toBe(Number(sim.control.accountId));
  });

  it('a syntax error is a parse error in monday\'s words', async () => {
    const res = await post(`query { boards(limit: 1) { id ) }`);
    expect(res.status).toBe(200);
    expect(res.body.errors).toEqual([{ message: 'Parse error on ")" (RPAREN) at [1, 31]', locations: [{ line: 1, column: 31 }] }]);
  });

  it('an unknown status label is a ColumnValueException naming the labels, with partial data', async () => {
    const res = await post(`mutation { change_multiple_column_values(board_id: ${boardId}, item_id: ${itemId}, column_values: "{\\"status\\":{\\"label\\":\\"Nope\\"}}") { id } }`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ change_multiple_column_values: null });
    const [e] = res.body.errors as Json[];
    expect(e).toMatchObject({
      message: "This status label doesn't exist, possible statuses are: {0: In Production, 1: Delivered, 2: On Hold, 3: Briefing, 4: Internal Review, 6: Client Review, 7: Approved, 8: Cancelled}",
      path: ['change_multiple_column_values'],
      extensions: { code: 'ColumnValueException', status_code: 200, error_data: { column_value: '{"label"=>"Nope"}', column_type: 'StatusColumn' } },
    });
    expect((e as Json).locations).toEqual([{ line: 1, column: 12 }]);
  });

  it('a field the simulator does not model is an error naming it, not a silent null', async () => {
    const res = await post(`query { me { id photo_url { small } } }`);
    expect(res.body.data).toEqual({ me: { id: sim.control.dataset.bot.id, photo_url: null } });
    expect((res.body.errors as Json[])[0]).toMatchObject({ message: 'The simulator does not serve User.photo_url', path: ['me', 'photo_url'], extensions: { code: 'SIMULATOR_UNSUPPORTED' } });
  });

  it('no token, or an unknown one, is a 401 with an errors array', async () => {
    for (const auth of [undefined, 'not-a-token']) {
      const res = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) }, body: JSON.stringify({ query: '{ me { id } }' }) });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ errors: [{ message: 'Not Authenticated', extensions: { code: 'Unauthorized', status_code: 401 } }], extensions: { request_id: expect.any(String) } });
    }
  });
});

describe('the conformance check itself', () => {
  it('finds a missing key, an extra key, a wrong scalar, a null for a non-null field and a wrong concrete type', () => {
    const doc = parse(`query { boards { id name columns { id } } items(ids: [1]) { column_values { __typename id ... on StatusValue { index } } } }`);
    const problems = conformanceProblems(doc, {
      boards: [{ id: 1, columns: [{ id: 'status', title: 'x' }] }],
      items: [{ column_values: [{ __typename: 'Board', id: 'a' }, { __typename: 'StatusValue', id: 'status', index: 1.5 }] }],
    });
    expect(problems).toEqual([
      'data.boards[0].id: 1 is not a ID',
      'data.boards[0].name: missing',
      'data.boards[0].columns[0].title: not asked for',
      'data.items[0].column_values[0]: __typename Board is not a ColumnValue',
      'data.items[0].column_values[1].index: 1.5 is not a Int',
    ]);
    expect(conformanceProblems(parse('query { me { id name } }'), { me: { id: '1', name: null } })).toEqual(['data.me.name: null for non-null String!']);
  });
});
