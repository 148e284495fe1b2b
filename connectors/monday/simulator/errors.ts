// monday's error shapes. Application errors are GraphQL errors in an HTTP 200 body
// (`errors[].extensions.code`, `status_code`, `error_data`), with partial `data`; limit and
// transport errors carry an HTTP status of their own, an `errors` array and a Retry-After header.
// Where monday's docs show a body (complexity budget by API version, concurrency limit, parse
// error, UserUnauthorizedException, FIELD_LIMIT_EXCEEDED) it is reproduced; the wording of the
// others is assumed (README.md lists which).

import { GraphQLError, Lexer, Source, TokenKind, type GraphQLFormattedError } from 'graphql';

/** A resolver's application error: HTTP 200, `extensions.code`, `status_code`, `error_data`. */
export function appError(code: string, message: string, options: { statusCode?: number; errorData?: Record<string, unknown>; extra?: Record<string, unknown> } = {}): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code, status_code: options.statusCode ?? 200, error_data: options.errorData ?? {}, ...options.extra },
  });
}

/** A field the 2026-10 schema has but the simulator does not model: an error naming it, never a silent null. */
export function unsupportedField(type: string, field: string): GraphQLError {
  return new GraphQLError(`The simulator does not serve ${type}.${field}`, { extensions: { code: 'SIMULATOR_UNSUPPORTED', field: `${type}.${field}` } });
}

export function unsupported(what: string): GraphQLError {
  return new GraphQLError(`The simulator does not support ${what}`, { extensions: { code: 'SIMULATOR_UNSUPPORTED' } });
}

export const invalidArgument = (message: string, errorData: Record<string, unknown> = {}): GraphQLError => appError('InvalidArgumentException', message, { errorData });
export const invalidBoard = (id: string): GraphQLError => appError('InvalidBoardIdException', `Board not found: ${id}`, { errorData: { board_id: id } });
export const invalidItem = (id: string): GraphQLError => appError('InvalidItemIdException', `Item not found: ${id}`, { errorData: { item_id: id } });
export const invalidColumn = (id: string): GraphQLError => appError('InvalidColumnIdException', "This column ID doesn't exist for the board", { errorData: { column_id: id } });
export const columnValueError = (message: string, errorData: Record<string, unknown>): GraphQLError => appError('ColumnValueException', message, { errorData });
export const notFound = (what: string, id: string): GraphQLError => appError('ResourceNotFoundException', `${what} not found: ${id}`, { statusCode: 404, errorData: { id } });

/** Raised by items_page / next_items_page for a cursor older than its lifetime (60 minutes). */
export const cursorExpired = (): GraphQLError =>
  appError(
    'CursorExpiredError',
    'CursorExpiredError: The cursor provided for pagination has expired. Please refresh your query and obtain a new cursor to continue fetching items',
  );
export const cursorInvalid = (): GraphQLError => appError('CursorException', 'CursorException: The cursor provided for pagination is invalid', { statusCode: 400 });

/** An HTTP reply: status, JSON body, extra headers. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Envelope {
  accountId: string | null;
  requestId: string;
}

function withEnvelope(body: Record<string, unknown>, env: Envelope): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body, extensions: { request_id: env.requestId } };
  if (env.accountId !== null) out.account_id = Number(env.accountId);
  return out;
}

/** 200 with errors only: parse and validation failures, per-query complexity caps, budget exhaustion. */
export function errorsReply(errors: GraphQLFormattedError[] | Record<string, unknown>[], env: Envelope, headers?: Record<string, string>, status = 200): Reply {
  return { status, body: withEnvelope({ errors }, env), headers };
}

export function dataReply(result: { data?: unknown; errors?: readonly GraphQLFormattedError[] }, env: Envelope, legacy: boolean): Reply {
  const body: Record<string, unknown> = { data: result.data ?? null };
  if (result.errors && result.errors.length > 0) {
    body.errors = result.errors;
    // Before 2025-01 an application error was also summarised at the top level (changelog, 2024-10).
    const first = result.errors[0];
    const ext = first?.extensions as Record<string, unknown> | undefined;
    if (legacy && ext && typeof ext.code === 'string' && ext.code !== 'SIMULATOR_UNSUPPORTED') {
      body.error_message = first?.message;
      body.error_code = ext.code;
      body.error_data = ext.error_data ?? {};
      body.status_code = ext.status_code ?? 200;
    }
  }
  return { status: 200, body: withEnvelope(body, env) };
}

export const unauthorized = (env: Envelope): Reply => ({
  status: 401,
  body: withEnvelope({ errors: [{ message: 'Not Authenticated', extensions: { code: 'Unauthorized', status_code: 401 } }] }, env),
});

export const limitError = (status: number, message: string, code: string, retryIn: number | null, env: Envelope, extra: Record<string, unknown> = {}): Reply => ({
  status,
  body: withEnvelope({ errors: [{ message, extensions: { code, ...(retryIn !== null ? { retry_in_seconds: retryIn } : {}), ...extra } }] }, env),
  headers: retryIn !== null ? { 'Retry-After': String(retryIn) } : undefined,
});

/**
 * COMPLEXITY_BUDGET_EXHAUSTED as each API version answers it: 2025-07 and later `{code,
 * retry_in_seconds}`; 2025-01 and 2025-04 also `complexity`, `complexity_budget_left`,
 * `complexity_budget_limit`, `status_code: 429`; older versions the legacy top-level
 * `ComplexityException` body. HTTP 200 in every version, with a Retry-After header.
 */
export function budgetExhausted(version: string, cost: number, left: number, limit: number, retryIn: number, env: Envelope): Reply {
  const headers = { 'Retry-After': String(retryIn) };
  if (version < '2025-01') {
    const msg = `Complexity budget exhausted, query cost ${cost} budget remaining ${left} out of ${limit} reset in ${retryIn} seconds`;
    return {
      status: 200,
      headers,
      body: { error_code: 'ComplexityException', status_code: 429, error_message: msg, error_data: {}, errors: [{ message: msg, extensions: { code: 'ComplexityException' } }], account_id: env.accountId === null ? null : Number(env.accountId), extensions: { request_id: env.requestId } },
    };
  }
  const extensions: Record<string, unknown> = { code: 'COMPLEXITY_BUDGET_EXHAUSTED', retry_in_seconds: retryIn };
  if (version < '2025-07') Object.assign(extensions, { complexity: cost, complexity_budget_left: left, complexity_budget_limit: limit, status_code: 429 });
  return errorsReply([{ message: 'Complexity budget exhausted', extensions }], env, headers);
}

/** graphql-ruby's token names, which monday's parse errors use (`Parse error on ")" (RPAREN) at [59, 15]`). */
const TOKEN_NAMES: Partial<Record<string, string>> = {
  [TokenKind.BANG]: 'BANG',
  [TokenKind.DOLLAR]: 'VAR_SIGN',
  [TokenKind.AMP]: 'AMP',
  [TokenKind.PAREN_L]: 'LPAREN',
  [TokenKind.PAREN_R]: 'RPAREN',
  [TokenKind.SPREAD]: 'ELLIPSIS',
  [TokenKind.COLON]: 'COLON',
  [TokenKind.EQUALS]: 'EQUALS',
  [TokenKind.AT]: 'DIR_SIGN',
  [TokenKind.BRACKET_L]: 'LBRACKET',
  [TokenKind.BRACKET_R]: 'RBRACKET',
  [TokenKind.BRACE_L]: 'LCURLY',
  [TokenKind.PIPE]: 'PIPE',
  [TokenKind.BRACE_R]: 'RCURLY',
  [TokenKind.NAME]: 'IDENTIFIER',
  [TokenKind.INT]: 'INT',
  [TokenKind.FLOAT]: 'FLOAT',
  [TokenKind.STRING]: 'STRING',
  [TokenKind.BLOCK_STRING]: 'STRING',
};

/** A syntax error in monday's words; falls back to the reference parser's message where no token can be named. */
export function parseErrorOf(query: string, err: GraphQLError): GraphQLFormattedError {
  const loc = err.locations?.[0];
  const pos = err.positions?.[0];
  if (loc && pos !== undefined) {
    try {
      const lexer = new Lexer(new Source(query));
      let tok = lexer.advance();
      while (tok.kind !== TokenKind.EOF && tok.end <= pos) tok = lexer.advance();
      if (tok.kind === TokenKind.EOF) return { message: 'Unexpected end of document', locations: [loc] };
      const name = TOKEN_NAMES[tok.kind];
      if (name && tok.start === pos) {
        const text = tok.value ?? tok.kind;
        return { message: `Parse error on ${JSON.stringify(text)} (${name}) at [${loc.line}, ${loc.column}]`, locations: [loc] };
      }
    } catch {
      // The lexer fails where the reference parser did (a bad character, an unterminated string).
    }
  }
  return { message: err.message.replace(/^Syntax Error: /, 'Parse error: '), locations: loc ? [loc] : [] };
}
