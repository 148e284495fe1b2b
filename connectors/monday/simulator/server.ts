// The HTTP face of the simulator: monday's single GraphQL endpoint `POST /v2`. Every request is
// authenticated (`Authorization: <token>`, with or without `Bearer`), counted against the account's
// limits, parsed and validated against the published 2026-10 schema, priced (complexity.ts),
// charged to the token's per-minute budget and executed by the resolvers. Answers are always JSON
// with `extensions.request_id` and `account_id`; application errors are HTTP 200, limit errors
// carry their status and a Retry-After header.

import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  GraphQLError as GqlError,
  Kind,
  execute,
  getArgumentValues,
  getVariableValues,
  parse,
  validate,
} from 'graphql';
import { queryCost } from './complexity';
import { type Envelope, type Reply, budgetExhausted, dataReply, errorsReply, limitError, parseErrorOf, unauthorized } from './errors';
import { type Limits } from './limits';
import { type UserRec } from './model';
import { type Ctx, fieldResolver, rootValue, typeResolver } from './resolvers';
import { SCHEMA_API_VERSION } from './schema';
import { type MondayStore } from './store';
import { type WebhookSender } from './webhooks';

export const API_PATH = '/v2';
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export type TokenKind = 'personal' | 'app';

export interface FaultSpec {
  /**
   * What the next matching requests answer: monday's own limit errors (`complexity` =
   * COMPLEXITY_BUDGET_EXHAUSTED, `rate_limit` = 429 RATE_LIMIT_EXCEEDED, `daily` = 429
   * DAILY_LIMIT_EXCEEDED, `concurrency` = 429 maxConcurrencyExceeded, `locked` = 423), or `http`:
   * any status with monday's `errors` body (or `body`).
   */
  kind: 'complexity' | 'rate_limit' | 'daily' | 'concurrency' | 'locked' | 'http';
  /** `http` only; default 500. */
  status?: number;
  body?: unknown;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** The wait the error announces (retry_in_seconds and Retry-After); default 10. */
  retryInSeconds?: number;
  /** Only operations with this root field (e.g. `next_items_page`, `change_multiple_column_values`). */
  rootField?: string;
}

export interface CallStats {
  /** Requests to /v2, whatever they answered. */
  total: number;
  /** `query boards`, `query next_items_page`, `mutation change_multiple_column_values`, `query complexity` … (root fields, sorted, `complexity` left out unless alone). */
  byOperation: Record<string, number>;
  /** Each root field of each executed or rejected operation. */
  byRootField: Record<string, number>;
  /** Named operations (`query SyncPage { … }`). */
  byOperationName: Record<string, number>;
  byStatus: Record<string, number>;
  /** The first error code of every answer with errors (`COMPLEXITY_BUDGET_EXHAUSTED`, `ColumnValueException`, `GRAPHQL_VALIDATION_FAILED` …). */
  byCode: Record<string, number>;
  /** Answers that told the client to wait: 429s and COMPLEXITY_BUDGET_EXHAUSTED. */
  rateLimited: number;
  /** Requests from a token that was told to wait, before the wait was over. */
  earlyRetries: number;
  /** Complexity points charged. */
  complexityCharged: number;
  /** Mutations per board. */
  mutationsByBoard: Record<string, number>;
  /** Mutations that arrived while another mutation on the same board was still in flight. */
  concurrentBoardMutations: number;
  /** Fields asked for that the simulator does not serve (`Type.field` → count). */
  unsupportedFields: Record<string, number>;
}

const emptyStats = (): CallStats => ({
  total: 0,
  byOperation: {},
  byRootField: {},
  byOperationName: {},
  byStatus: {},
  byCode: {},
  rateLimited: 0,
  earlyRetries: 0,
  complexityCharged: 0,
  mutationsByBoard: {},
  concurrentBoardMutations: 0,
  unsupportedFields: {},
});

const bump = (m: Record<string, number>, k: string, n = 1): void => {
  m[k] = (m[k] ?? 0) + n;
};

/** `yyyy-mm` with month 01, 04, 07 or 10; anything else (or nothing) gets the simulator's version. */
export function resolveVersion(header: string | string[] | undefined): string {
  const v = Array.isArray(header) ? header[0] : header;
  return v && /^\d{4}-(01|04|07|10)$/.test(v.trim()) ? v.trim() : SCHEMA_API_VERSION;
}

export class MondayApi {
  readonly tokens = new Map<string, { user: UserRec; kind: TokenKind }>();
  /** Delay before each answer, so that requests overlap as they would over a network. */
  latencyMs = 0;
  /** Answer 423 to a mutation on a board another mutation is still writing to. */
  lockBoards = false;
  private faults: (FaultSpec & { remaining: number })[] = [];
  private stats: CallStats = emptyStats();
  private readonly notBefore = new Map<string, number>();
  private readonly busyBoards = new Map<string, number>();
  private readonly assetSecret = randomBytes(16);

  constructor(
    readonly store: MondayStore,
    readonly limits: Limits,
    readonly webhooks: WebhookSender,
    readonly schema: GraphQLSchema,
  ) {}

  calls(): CallStats {
    return structuredClone(this.stats);
  }

  resetCalls(): void {
    this.stats = emptyStats();
  }

  injectFaults(fault: FaultSpec): void {
    if (!['complexity', 'rate_limit', 'daily', 'concurrency', 'locked', 'http'].includes(fault.kind)) throw new RangeError(`kind: expected complexity, rate_limit, daily, concurrency, locked or http, got ${String(fault.kind)}`);
    if (fault.kind === 'http' && fault.status !== undefined && (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599)) {
      throw new RangeError(`status: expected an HTTP error status, got ${String(fault.status)}`);
    }
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** A signed, expiring download link for an asset (Asset.public_url: valid for one hour). */
  signAsset(origin: string, assetId: string, expires: number): string {
    return `${origin}/_sim/assets/${assetId}?expires=${expires}&sig=${this.assetSig(assetId, expires)}`;
  }

  assetSig(assetId: string, expires: number): string {
    return createHmac('sha256', this.assetSecret).update(`${assetId}:${expires}`).digest('base64url').slice(0, 22);
  }

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    this.stats.total++;
    const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
    const version = resolveVersion(req.headers['api-version']);
    const env: Envelope = { accountId: null, requestId: randomUUID() };
    const auth = (req.headers.authorization ?? '').trim().replace(/^Bearer\s+/i, '');
    const token = this.tokens.get(auth);
    if (!token) {
      req.resume();
      return this.finish(res, unauthorized(env), version, null, null);
    }
    env.accountId = this.store.dataset.account.id;
    const now = this.store.clock();
    const wait = this.notBefore.get(auth);
    if (wait !== undefined) {
      if (now < wait) this.stats.earlyRetries++;
      else this.notBefore.delete(auth);
    }
    const limits = this.limits;
    limits.inFlight++;
    const boards: string[] = [];
    try {
      const reply = await this.respond(req, pathname, origin, version, env, auth, token, now, boards);
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      this.finish(res, reply, version, auth, now);
    } finally {
      limits.inFlight--;
      for (const b of boards) {
        const n = (this.busyBoards.get(b) ?? 1) - 1;
        if (n <= 0) this.busyBoards.delete(b);
        else this.busyBoards.set(b, n);
      }
    }
  }

  private finish(res: ServerResponse, reply: Reply, version: string, token: string | null, now: number | null): void {
    bump(this.stats.byStatus, String(reply.status));
    const body = reply.body as { errors?: { extensions?: { code?: unknown } }[]; error_code?: unknown };
    const code = body?.errors?.[0]?.extensions?.code ?? body?.error_code;
    if (typeof code === 'string') bump(this.stats.byCode, code);
    const retry = reply.headers?.['Retry-After'];
    if (retry !== undefined) {
      this.stats.rateLimited++;
      if (token !== null && now !== null) this.notBefore.set(token, now + Number(retry) * 1000);
    }
    send(res, reply, { 'API-Version': version });
  }

  private async respond(
    req: IncomingMessage,
    pathname: string,
    origin: string,
    version: string,
    env: Envelope,
    tokenText: string,
    token: { user: UserRec; kind: TokenKind },
    now: number,
    busy: string[],
  ): Promise<Reply> {
    const limits = this.limits;
    const maxConc = limits.config.maxConcurrency;
    if (maxConc !== null && limits.inFlight > maxConc) {
      req.resume();
      limits.countCall(now, 1);
      return limitError(429, 'Concurrency limit exceeded', 'maxConcurrencyExceeded', 1, env);
    }
    if (limits.dailyExhausted(now)) {
      req.resume();
      limits.countCall(now, 1);
      return limitError(429, 'Daily limit exceeded', 'DAILY_LIMIT_EXCEEDED', limits.secondsToMidnight(now), env);
    }
    const minuteWait = limits.admitRequest(now);
    if (minuteWait > 0) {
      req.resume();
      limits.countCall(now, 1);
      return limitError(429, 'Rate Limit Exceeded', 'RATE_LIMIT_EXCEEDED', minuteWait, env);
    }

    // Failed calls count as calls too.
    let tenths = 10;
    try {
      if (pathname !== API_PATH && pathname !== `${API_PATH}/`) {
        req.resume();
        return errorsReply([{ message: `The simulator does not serve ${pathname} (file uploads to /v2/file are not modelled; use control.addAsset)`, extensions: { code: 'SIMULATOR_UNSUPPORTED' } }], env, undefined, 404);
      }
      if ((req.method ?? 'GET').toUpperCase() !== 'POST') {
        req.resume();
        return errorsReply([{ message: 'The API answers POST requests with a JSON body {"query", "variables"}', extensions: { code: 'BadRequest' } }], env, undefined, 400);
      }
      const type = String(req.headers['content-type'] ?? '');
      if (type.startsWith('multipart/')) {
        req.resume();
        return errorsReply([{ message: 'The simulator does not accept multipart uploads (add_file_to_column); add assets with control.addAsset', extensions: { code: 'SIMULATOR_UNSUPPORTED' } }], env, undefined, 400);
      }
      let payload: { query?: unknown; variables?: unknown; operationName?: unknown };
      try {
        payload = JSON.parse((await readBody(req)).toString('utf8')) as typeof payload;
      } catch (err) {
        return errorsReply([{ message: `Failed to parse the request body as JSON: ${err instanceof Error ? err.message : String(err)}`, extensions: { code: 'BadRequest' } }], env, undefined, 400);
      }
      if (!payload || typeof payload !== 'object' || typeof payload.query !== 'string' || payload.query.trim() === '') {
        return errorsReply([{ message: 'No query string was present' }], env);
      }
      const query = payload.query;
      let variables: Record<string, unknown> = {};
      if (typeof payload.variables === 'string' && payload.variables.trim() !== '') {
        try {
          variables = JSON.parse(payload.variables) as Record<string, unknown>;
        } catch {
          return errorsReply([{ message: 'Variables are invalid JSON', extensions: { code: 'JsonParseException' } }], env);
        }
      } else if (payload.variables && typeof payload.variables === 'object') variables = payload.variables as Record<string, unknown>;
      const operationName = typeof payload.operationName === 'string' ? payload.operationName : null;

      let document: DocumentNode;
      try {
        document = parse(query);
      } catch (err) {
        return errorsReply([parseErrorOf(query, err as GraphQLError)], env);
      }
      const problems = validate(this.schema, document);
      if (problems.length > 0) return errorsReply(problems.map((e) => formatValidation(e)), env);
      const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops.length === 1 ? ops[0] : undefined;
      if (!op) {
        return errorsReply([{ message: operationName ? `Unknown operation named "${operationName}".` : 'Must provide operation name if query contains multiple operations.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }], env);
      }
      const coerced = getVariableValues(this.schema, op.variableDefinitions ?? [], variables);
      if (coerced.errors) return errorsReply(coerced.errors.map((e) => ({ ...e.toJSON(), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })), env);
      const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
      const rootFields = rootFieldsOf(op, fragments);
      this.countOperation(op, rootFields);
      const mutation = op.operation === 'mutation';
      if (mutation) this.markBoards(op, fragments, coerced.coerced, busy);

      const fault = this.takeFault(rootFields);
      if (fault) {
        tenths = fault.kind === 'http' ? 10 : 1;
        return this.faultReply(fault, version, env);
      }

      const cost = queryCost(this.schema, op, fragments, coerced.coerced);
      const max = limits.config.maxQueryComplexity;
      if (cost > max) {
        return errorsReply([{ message: `Query has complexity of ${cost}, which exceeds max complexity of ${max}`, extensions: { code: 'maxComplexityExceeded', complexity: cost, max_complexity: max } }], env);
      }
      const key = token.kind === 'app' ? `${tokenText}:${mutation ? 'write' : 'read'}` : tokenText;
      const limit = token.kind === 'app' ? (mutation ? limits.config.appWritePerMinute : limits.config.appReadPerMinute) : limits.config.complexityPerMinute;
      const budget = limits.budget(key, limit, now);
      if (cost > budget.before) {
        tenths = 1;
        return budgetExhausted(version, cost, budget.before, limit, budget.resetInSeconds, env);
      }
      if (mutation && this.lockBoards && busy.some((b) => (this.busyBoards.get(b) ?? 0) > 1)) {
        tenths = 1;
        return limitError(423, 'Resource is currently locked, please try again later', 'ResourceLocked', 1, env);
      }
      limits.charge(key, cost, now);
      this.stats.complexityCharged += cost;
      if (rootFields.every((f) => f === 'complexity' || f === '__typename')) tenths = 1;
      const after = limits.budget(key, limit, now);

      const ctx: Ctx = {
        store: this.store,
        webhooks: this.webhooks,
        limits,
        me: token.user,
        version,
        complexity: { before: budget.before, after: budget.before - cost, query: cost, resetIn: after.resetInSeconds },
        origin,
        signAsset: (id, expires) => this.signAsset(origin, id, expires),
      };
      const result = await execute({
        schema: this.schema,
        document,
        rootValue,
        contextValue: ctx,
        variableValues: variables,
        operationName: op.name?.value,
        fieldResolver,
        typeResolver,
      });
      const errors = result.errors?.map((e) => this.formatExecution(e));
      return dataReply({ data: result.data, errors }, env, version < '2025-01');
    } finally {
      limits.countCall(now, tenths);
    }
  }

  private countOperation(op: OperationDefinitionNode, rootFields: string[]): void {
    const shown = rootFields.filter((f) => f !== 'complexity' && f !== '__typename');
    bump(this.stats.byOperation, `${op.operation} ${[...new Set(shown.length > 0 ? shown : rootFields)].sort().join(',')}`);
    for (const f of rootFields) bump(this.stats.byRootField, f);
    if (op.name) bump(this.stats.byOperationName, op.name.value);
  }

  /** The boards a mutation writes to, marked busy until its answer is sent. */
  private markBoards(op: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, variables: Record<string, unknown>, busy: string[]): void {
    const mutationType = this.schema.getMutationType();
    if (!mutationType) return;
    for (const node of fieldNodes(op, fragments)) {
      const def = mutationType.getFields()[node.name.value];
      if (!def) continue;
      let args: Record<string, unknown> = {};
      try {
        args = getArgumentValues(def, node, variables);
      } catch {
        continue;
      }
      let board: string | null = null;
      const itemId = args.item_id ?? args.parent_item_id;
      if (args.board_id !== undefined && args.board_id !== null) board = String(args.board_id);
      else if (itemId !== undefined && itemId !== null) board = this.store.item(String(itemId))?.board.id ?? null;
      else if (args.parent_id !== undefined || args.id !== undefined) {
        const u = this.store.updateOrReply(String(args.parent_id ?? args.id));
        board = u ? (u.kind === 'update' ? u.item.board.id : u.update.item.board.id) : null;
      }
      if (board === null) continue;
      const b = this.store.board(board);
      const top = b?.parentBoard ?? b;
      const id = top?.id ?? board;
      bump(this.stats.mutationsByBoard, id);
      const n = this.busyBoards.get(id) ?? 0;
      if (n > 0) this.stats.concurrentBoardMutations++;
      this.busyBoards.set(id, n + 1);
      busy.push(id);
    }
  }

  private takeFault(rootFields: string[]): (FaultSpec & { remaining: number }) | null {
    const i = this.faults.findIndex((f) => f.rootField === undefined || rootFields.includes(f.rootField));
    const f = this.faults[i];
    if (!f) return null;
    if (--f.remaining <= 0) this.faults.splice(i, 1);
    return f;
  }

  private faultReply(f: FaultSpec, version: string, env: Envelope): Reply {
    const wait = f.retryInSeconds ?? 10;
    switch (f.kind) {
      case 'complexity': {
        const limit = this.limits.config.complexityPerMinute;
        return budgetExhausted(version, limit, 0, limit, wait, env);
      }
      case 'rate_limit':
        return limitError(429, 'Rate Limit Exceeded', 'RATE_LIMIT_EXCEEDED', wait, env);
      case 'daily':
        return limitError(429, 'Daily limit exceeded', 'DAILY_LIMIT_EXCEEDED', wait, env);
      case 'concurrency':
        return limitError(429, 'Concurrency limit exceeded', 'maxConcurrencyExceeded', wait, env);
      case 'locked':
        return limitError(423, 'Resource is currently locked, please try again later', 'ResourceLocked', wait, env);
      case 'http': {
        const status = f.status ?? 500;
        if (f.body !== undefined) return { status, body: f.body };
        return errorsReply([{ message: status >= 500 ? 'Internal server error' : `HTTP ${status}`, extensions: { code: status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BadRequest', status_code: status } }], env, undefined, status);
      }
    }
  }

  private formatExecution(e: GraphQLError): GraphQLFormattedError {
    const json = e.toJSON();
    const ext = (json.extensions ?? {}) as Record<string, unknown>;
    if (ext.code === 'SIMULATOR_UNSUPPORTED' && typeof ext.field === 'string') bump(this.stats.unsupportedFields, ext.field);
    if (ext.code === undefined) {
      // A resolver failure that is not one of monday's errors: a simulator fault, reported as monday reports internal errors.
      return { ...json, extensions: { code: 'INTERNAL_SERVER_ERROR', status_code: 500, error_data: { simulator: e.originalError?.message ?? e.message } } };
    }
    return json;
  }
}

function formatValidation(e: GraphQLError): GraphQLFormattedError {
  const json = e.toJSON();
  return { message: json.message, locations: json.locations, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
}

function* fieldNodes(op: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): Generator<FieldNode> {
  const stack = [...op.selectionSet.selections];
  while (stack.length > 0) {
    const s = stack.shift();
    if (!s) break;
    if (s.kind === Kind.FIELD) yield s;
    else if (s.kind === Kind.INLINE_FRAGMENT) stack.push(...s.selectionSet.selections);
    else {
      const f = fragments.get(s.name.value);
      if (f) stack.push(...f.selectionSet.selections);
    }
  }
}

function rootFieldsOf(op: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): string[] {
  return [...fieldNodes(op, fragments)].map((f) => f.name.value);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new GqlError(`Request body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, reply: Reply, extra: Record<string, string> = {}): void {
  const body = JSON.stringify(reply.body ?? {});
  res.writeHead(reply.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...extra, ...(reply.headers ?? {}) });
  res.end(body);
}
