// Bulk upsert: one statement per table per page (per 1,000 rows), never a statement per row
// (engineering-facts §4: about 1k rows per statement is the best single-statement form).
//
// Scalar columns travel as typed arrays and are zipped with unnest; jsonb columns travel as one JSON
// array document per column (jsonb_array_elements), so a payload already serialized is sent as it is,
// without the array-literal escaping a jsonb[] parameter needs on both sides. uuid, text and integer
// arrays and the JSON documents are sent in Postgres's binary format, built ahead of time (planUpsert)
// so that this work can overlap the previous statement.
import type { PoolClient } from 'pg';

export interface Column<R> {
  name: string;
  /** Postgres type of the column, e.g. 'uuid', 'text', 'jsonb'. */
  type: string;
  /**
   * The value. For a jsonb column: any JSON-serializable value, or a `JsonText` already serialized;
   * null, undefined and JSON null all store SQL NULL.
   */
  get: (row: R) => unknown;
}

/** JSON text ready to be stored in a jsonb column as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}

export interface UpsertResult {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface UpsertOptions<R> {
  /** Existing rows are never touched (histories): ON CONFLICT DO NOTHING. */
  appendOnly?: boolean;
  /** The table has deleted_at: a soft-deleted row that comes back is revived (default true). */
  softDelete?: boolean;
  /** Conflict target (default 'id'). */
  conflict?: string;
  /** One statement cannot touch the same row twice: rows are de-duplicated by this key, the last one kept. */
  key?: (row: R) => string;
  /**
   * Rows (after de-duplication) the caller already knows to be stored unchanged: they are not sent and
   * count as unchanged. Postgres still skips any unchanged row that is sent, by the hash guard.
   */
  skip?: (row: R) => boolean;
  /** Columns computed in SQL from the unnested row `u` (e.g. a lookup), stored like the others. */
  computed?: { name: string; sql: string }[];
  /** A column of the written rows to return (e.g. 'asset_id'), collected in `returned`. */
  returning?: string;
}

const CHUNK = 1000;
const sqlCache = new Map<string, string>();

/** Rows de-duplicated by key, the last occurrence kept, in first-occurrence order (as a Map keeps them). */
export function dedupe<R>(rows: R[], key: (row: R) => string): R[] {
  if (rows.length < 2) return rows;
  return [...new Map(rows.map((r) => [key(r), r])).values()];
}

const idKey = (r: unknown) => String((r as { id: unknown }).id);

/** A prepared upsert: the statement and its parameters, ready to be sent (see planUpsert). */
export interface UpsertPlan {
  sql: string;
  chunks: { params: unknown[]; rows: number }[];
  /** Rows skipped before sending (known unchanged). */
  skipped: number;
  returning: boolean;
}

/**
 * INSERT … SELECT FROM unnest(…) ON CONFLICT (id) DO UPDATE … WHERE the content hash changed (or the
 * row was soft-deleted and came back). Rows with an unchanged hash are skipped by Postgres itself.
 * With `appendOnly`, existing rows are never touched (histories).
 */
export async function upsertRows<R>(
  client: PoolClient,
  table: string,
  columns: Column<R>[],
  rows: R[],
  opts: UpsertOptions<R> = {},
): Promise<UpsertResult & { returned: unknown[] }> {
  return runUpsert(client, planUpsert(table, columns, rows, opts));
}

/**
 * Everything upsertRows does before it talks to the database: de-duplication, skipping, and the
 * serialization of every parameter. Pure client work, so it can be done while Postgres is busy with
 * the previous statement.
 */
export function planUpsert<R>(table: string, columns: Column<R>[], rows: R[], opts: UpsertOptions<R> = {}): UpsertPlan {
  const unique = dedupe(rows, opts.key ?? idKey);
  const send = opts.skip ? unique.filter((r) => !opts.skip!(r)) : unique;
  const plan: UpsertPlan = { sql: '', chunks: [], skipped: unique.length - send.length, returning: !!opts.returning };
  if (send.length === 0) return plan;
  plan.sql = upsertSql(table, columns, opts);
  for (let off = 0; off < send.length; off += CHUNK) {
    const chunk = off === 0 && send.length <= CHUNK ? send : send.slice(off, off + CHUNK);
    plan.chunks.push({ params: params(columns, chunk), rows: chunk.length });
  }
  return plan;
}

/** Sends a plan, one statement per chunk. */
export async function runUpsert(client: PoolClient, plan: UpsertPlan): Promise<UpsertResult & { returned: unknown[] }> {
  const result = { inserted: 0, updated: 0, unchanged: plan.skipped, returned: [] as unknown[] };
  for (const chunk of plan.chunks) {
    const res = await client.query<{ inserted: boolean; r?: unknown }>(plan.sql, chunk.params);
    let ins = 0;
    for (const row of res.rows) {
      if (row.inserted) ins++;
      if (plan.returning) result.returned.push(row.r);
    }
    result.inserted += ins;
    result.updated += res.rows.length - ins;
    result.unchanged += chunk.rows - res.rows.length;
  }
  return result;
}

function upsertSql<R>(table: string, columns: Column<R>[], opts: UpsertOptions<R>): string {
  const computed = opts.computed ?? [];
  const cacheKey = JSON.stringify([table, columns.map((c) => [c.name, c.type]), opts.appendOnly, opts.softDelete, opts.conflict, computed, opts.returning]);
  const cached = sqlCache.get(cacheKey);
  if (cached) return cached;
  const conflict = opts.conflict ?? 'id';
  const softDelete = opts.softDelete ?? true;
  const conflictCols = conflict.split(',').map((s) => s.trim());
  const names = [...columns.map((c) => c.name), ...computed.map((c) => c.name)];
  const updatable = names.filter((n) => !conflictCols.includes(n));
  const onConflict = opts.appendOnly
    ? `ON CONFLICT (${conflict}) DO NOTHING`
    : `ON CONFLICT (${conflict}) DO UPDATE SET ${updatable.map((n) => `${n} = EXCLUDED.${n}`).join(', ')}` +
      (softDelete ? ', deleted_at = NULL' : '') +
      `, updated_at = now() WHERE t.hash IS DISTINCT FROM EXCLUDED.hash` +
      (softDelete ? ' OR t.deleted_at IS NOT NULL' : '');
  const sources = columns.map((c, i) => (c.type === 'jsonb' ? `jsonb_array_elements($${i + 1}::jsonb)` : `unnest($${i + 1}::${c.type}[])`));
  const select = [
    // A JSON null element is SQL NULL, as a null parameter was.
    ...columns.map((c) => (c.type === 'jsonb' ? `NULLIF(u.${c.name}, 'null'::jsonb)` : `u.${c.name}`)),
    ...computed.map((c) => c.sql),
  ];
  const sql =
    `INSERT INTO ${table} AS t (${names.join(', ')}) ` +
    `SELECT ${select.join(', ')} FROM ROWS FROM (${sources.join(', ')}) AS u(${columns.map((c) => c.name).join(', ')}) ` +
    `${onConflict} RETURNING (xmax = 0) AS inserted${opts.returning ? `, t.${opts.returning} AS r` : ''}`;
  sqlCache.set(cacheKey, sql);
  return sql;
}

function params<R>(columns: Column<R>[], rows: R[]): unknown[] {
  return columns.map((c) => {
    if (c.type !== 'jsonb') {
      const out = new Array<unknown>(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = c.get(rows[i]!) ?? null;
      const binary = c.type === 'uuid' ? binaryUuidArray(out) : c.type === 'text' ? binaryTextArray(out) : Object.hasOwn(INTEGERS, c.type) ? binaryIntArray(c.type, out) : null;
      return binary ?? arrayLiteral(out);
    }
    let doc = '[';
    for (let i = 0; i < rows.length; i++) {
      const v = c.get(rows[i]!);
      if (i > 0) doc += ',';
      doc += v === undefined || v === null ? 'null' : v instanceof JsonText ? v.text : (JSON.stringify(v) ?? 'null');
    }
    return binaryJsonb(doc + ']');
  });
}

// Parameters in Postgres's binary format (node-postgres sends a Buffer as such): built here, while
// the previous statement runs, they cost the server less to read than text (no quoting to undo) and
// the client less to send (no UTF-8 encoding at send time). The values are the same.

const TEXT_OID = 25;
const UUID_OID = 2950;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** jsonb's binary form: version 1, then the JSON text. */
function binaryJsonb(text: string): Buffer {
  const buf = Buffer.allocUnsafe(1 + Buffer.byteLength(text, 'utf8'));
  buf[0] = 1;
  buf.write(text, 1, 'utf8');
  return buf;
}

/** A one-dimensional array in binary form: header, then each element as length and bytes (-1: NULL). */
function binaryArray(elementOid: number, n: number, hasNull: boolean, size: number, write: (buf: Buffer, at: number) => void): Buffer {
  const buf = Buffer.allocUnsafe(20 + size);
  buf.writeInt32BE(1, 0); // dimensions
  buf.writeInt32BE(hasNull ? 1 : 0, 4);
  buf.writeUInt32BE(elementOid, 8);
  buf.writeInt32BE(n, 12); // length of the dimension
  buf.writeInt32BE(1, 16); // its lower bound
  write(buf, 20);
  return buf;
}

/** uuid[] in binary form, or null when a value is not a UUID in its canonical text form (Postgres then parses the text and judges). */
function binaryUuidArray(values: unknown[]): Buffer | null {
  let hasNull = false;
  for (const v of values) {
    if (v === null) hasNull = true;
    else if (typeof v !== 'string' || !UUID.test(v)) return null;
  }
  let size = 0;
  for (const v of values) size += v === null ? 4 : 20;
  return binaryArray(UUID_OID, values.length, hasNull, size, (buf, at) => {
    for (const v of values) {
      if (v === null) {
        at = buf.writeInt32BE(-1, at);
      } else {
        at = buf.writeInt32BE(16, at);
        const hex = v as string;
        at += buf.write(hex.slice(0, 8) + hex.slice(9, 13) + hex.slice(14, 18) + hex.slice(19, 23) + hex.slice(24), at, 'hex');
      }
    }
  });
}

const INTEGERS: Record<string, { oid: number; bytes: 4 | 8; min: number; max: number }> = {
  int4: { oid: 23, bytes: 4, min: -(2 ** 31), max: 2 ** 31 - 1 },
  int8: { oid: 20, bytes: 8, min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
};

/** int4[] or int8[] in binary form, or null unless every value is an integer in range (Postgres then parses the text and judges). */
function binaryIntArray(type: string, values: unknown[]): Buffer | null {
  const t = INTEGERS[type]!;
  let hasNull = false;
  for (const v of values) {
    if (v === null) hasNull = true;
    else if (typeof v !== 'number' || !Number.isInteger(v) || v < t.min || v > t.max) return null;
  }
  let size = 0;
  for (const v of values) size += v === null ? 4 : 4 + t.bytes;
  return binaryArray(t.oid, values.length, hasNull, size, (buf, at) => {
    for (const v of values) {
      if (v === null) {
        at = buf.writeInt32BE(-1, at);
      } else {
        at = buf.writeInt32BE(t.bytes, at);
        at = t.bytes === 4 ? buf.writeInt32BE(v as number, at) : buf.writeBigInt64BE(BigInt(v as number), at);
      }
    }
  });
}

/** text[] in binary form (UTF-8 bytes), or null for values other than strings, numbers and booleans (left to node-postgres). */
function binaryTextArray(values: unknown[]): Buffer | null {
  let hasNull = false;
  let size = 0;
  const texts = new Array<string | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) {
      hasNull = true;
      texts[i] = null;
      size += 4;
      continue;
    }
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v)) && typeof v !== 'boolean') return null;
    const text = String(v);
    texts[i] = text;
    size += 4 + Buffer.byteLength(text, 'utf8');
  }
  return binaryArray(TEXT_OID, values.length, hasNull, size, (buf, at) => {
    for (const text of texts) {
      if (text === null) {
        at = buf.writeInt32BE(-1, at);
      } else {
        const len = buf.write(text, at + 4, 'utf8');
        buf.writeInt32BE(len, at);
        at += 4 + len;
      }
    }
  });
}

/**
 * The Postgres array literal node-postgres would send for `values` (its arrayString: every element
 * quoted, backslashes and double quotes escaped, NULL for null), built here so that it can be built
 * ahead of time. Values other than strings, finite numbers and booleans are left to node-postgres.
 */
function arrayLiteral(values: unknown[]): unknown {
  let s = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) s += ',';
    if (v === null) {
      s += 'NULL';
    } else if (typeof v === 'string') {
      s += '"' + (NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') : v) + '"';
    } else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') {
      s += '"' + String(v) + '"';
    } else {
      return values;
    }
  }
  return s + '}';
}
const NEEDS_ESCAPE = /["\\]/;
