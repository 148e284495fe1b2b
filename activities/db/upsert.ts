// Bulk upsert through unnest arrays: one statement per table per page, never a statement per row
// (engineering-facts §4: unnest at ~1k rows/statement is the best single-statement form).
import type { PoolClient } from 'pg';

export interface Column<R> {
  name: string;
  /** Postgres array element type used in the unnest cast, e.g. 'uuid', 'text', 'jsonb'. */
  type: string;
  get: (row: R) => unknown;
}

export interface UpsertResult {
  inserted: number;
  updated: number;
  unchanged: number;
}

const CHUNK = 1000;

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
  opts: { appendOnly?: boolean; softDelete?: boolean; conflict?: string; key?: (row: R) => string } = {},
): Promise<UpsertResult> {
  const result: UpsertResult = { inserted: 0, updated: 0, unchanged: 0 };
  if (rows.length === 0) return result;
  // One statement cannot touch the same row twice: keep the last occurrence of each key.
  const key = opts.key ?? ((r: R) => String((r as { id: unknown }).id));
  const unique = [...new Map(rows.map((r) => [key(r), r])).values()];
  const conflict = opts.conflict ?? 'id';
  const softDelete = opts.softDelete ?? true;
  const names = columns.map((c) => c.name);
  const updatable = names.filter((n) => !conflict.split(',').map((s) => s.trim()).includes(n));
  const onConflict = opts.appendOnly
    ? `ON CONFLICT (${conflict}) DO NOTHING`
    : `ON CONFLICT (${conflict}) DO UPDATE SET ${updatable.map((n) => `${n} = EXCLUDED.${n}`).join(', ')}` +
      (softDelete ? ', deleted_at = NULL' : '') +
      `, updated_at = now() WHERE t.hash IS DISTINCT FROM EXCLUDED.hash` +
      (softDelete ? ' OR t.deleted_at IS NOT NULL' : '');
  const sql =
    `INSERT INTO ${table} AS t (${names.join(', ')}) ` +
    `SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')}) ` +
    `${onConflict} RETURNING (xmax = 0) AS inserted`;
  for (let off = 0; off < unique.length; off += CHUNK) {
    const chunk = unique.slice(off, off + CHUNK);
    const params = columns.map((c) =>
      chunk.map((r) => {
        const v = c.get(r);
        if (v === undefined || v === null) return null;
        return c.type === 'jsonb' ? JSON.stringify(v) : v;
      }),
    );
    const res = await client.query<{ inserted: boolean }>(sql, params);
    const ins = res.rows.filter((r) => r.inserted).length;
    result.inserted += ins;
    result.updated += res.rows.length - ins;
    result.unchanged += chunk.length - res.rows.length;
  }
  return result;
}
