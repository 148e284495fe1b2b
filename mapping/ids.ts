// Stable ids (STYLE.md §8): a UUIDv5 of (connection, kind, external id), so a record keeps its id
// across syncs, re-crawls and machines, and an upsert of the same record is a no-op.
import { v5 as uuidv5 } from 'uuid';
import { createHash } from 'node:crypto';

/** Stageline's own UUID namespace (a fixed random UUID; never change it: every stored id depends on it). */
export const STAGELINE_NAMESPACE = '6f1c2a4e-3b7d-4e59-9a8c-2d5e7f901b34';

export function stableId(connectionId: string, kind: string, externalId: string): string {
  return uuidv5(`${connectionId}\u001f${kind}\u001f${externalId}`, STAGELINE_NAMESPACE);
}

/** A person is one human across tools, matched by email. Without an email, by vendor account. */
export function personId(email: string | null | undefined, connectionId: string, externalUserId: string): string {
  const e = email?.trim().toLowerCase();
  return e ? uuidv5(`person\u001f${e}`, STAGELINE_NAMESPACE) : stableId(connectionId, 'user', externalUserId);
}

/** JSON with sorted keys, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Content hash of a normalized record (raw payload included): an upsert skips rows whose hash did not change. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 32);
}
