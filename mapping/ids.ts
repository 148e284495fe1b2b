// Stable ids (STYLE.md §8): a UUIDv5 of (connection, kind, external id), so a record keeps its id
// across syncs, re-crawls and machines, and an upsert of the same record is a no-op.
import { v5 as uuidv5 } from 'uuid';
import * as crypto from 'node:crypto';

/** Stageline's own UUID namespace (a fixed random UUID; never change it: every stored id depends on it). */
export const STAGELINE_NAMESPACE = '6f1c2a4e-3b7d-4e59-9a8c-2d5e7f901b34';

export function stableId(connectionId: string, kind: string, externalId: string): string {
  return uuidV5(`${connectionId}\u001f${kind}\u001f${externalId}`);
}

/** A person is one human across tools, matched by email. Without an email, by vendor account. */
export function personId(email: string | null | undefined, connectionId: string, externalUserId: string): string {
  const e = email?.trim().toLowerCase();
  return e ? uuidV5(`person\u001f${e}`) : stableId(connectionId, 'user', externalUserId);
}

const NAMESPACE_BYTES = Buffer.from(STAGELINE_NAMESPACE.replaceAll('-', ''), 'hex');
let nameBuffer = Buffer.alloc(256);
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * `uuid`'s v5(name, STAGELINE_NAMESPACE), the same ids, computed without its per-call overhead
 * (parsing the namespace, encoding the name byte by byte, a hash object): SHA-1 of the namespace's
 * bytes and the name's UTF-8, version and variant bits set. Names with surrogates go to `uuid` itself,
 * which rejects lone ones.
 */
function uuidV5(name: string): string {
  if (SURROGATE.test(name)) return uuidv5(name, STAGELINE_NAMESPACE);
  const size = NAMESPACE_BYTES.length + Buffer.byteLength(name, 'utf8');
  if (size > nameBuffer.length) nameBuffer = Buffer.alloc(size * 2);
  NAMESPACE_BYTES.copy(nameBuffer, 0);
  nameBuffer.write(name, NAMESPACE_BYTES.length, 'utf8');
  const h = sha1Hex(nameBuffer.subarray(0, size));
  return (
    `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-` +
    `${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`
  );
}

const sha1Hex: (bytes: Buffer) => string =
  typeof crypto.hash === 'function' ? (bytes) => crypto.hash('sha1', bytes, 'hex') : (bytes) => crypto.createHash('sha1').update(bytes).digest('hex');

/** JSON with sorted keys, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of sortedKeys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * Object.keys(value).sort(): the same order (UTF-16 code units; keys are distinct). The few keys of
 * an ordinary object are sorted in place by insertion, which spares Array.prototype.sort's work array
 * and call overhead on the hot path of every content hash.
 */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value);
  if (keys.length > 32) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/**
 * canonicalJson(value), and whether that text is the same JSON document as `JSON.stringify(value)`
 * (only the key order differing), so that it can be stored in a `jsonb` column in its place. It is
 * not when the value holds what canonicalJson drops or rewrites: a `__proto__` key (assigning it to
 * the sorted copy sets the prototype instead), a `toJSON` method, or an object that is not a plain
 * object or array (a Date becomes {}). Vendor payloads parsed from JSON practically never do.
 */
export function canonicalJsonChecked(value: unknown): { text: string; sameAsStringify: boolean } {
  const state = { same: true };
  const text = JSON.stringify(sortKeysChecked(value, state));
  return { text, sameAsStringify: state.same };
}

/** sortKeys, noting in `state` whatever makes JSON.stringify of the copy differ from JSON.stringify of the value. */
function sortKeysChecked(value: unknown, state: { same: boolean }): unknown {
  if (Array.isArray(value)) return value.map((v) => sortKeysChecked(v, state));
  if (value && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if ((proto !== Object.prototype && proto !== null) || typeof (value as { toJSON?: unknown }).toJSON === 'function') state.same = false;
    const out: Record<string, unknown> = {};
    for (const k of sortedKeys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      if (k === '__proto__') state.same = false;
      out[k] = sortKeysChecked(v, state);
    }
    return out;
  }
  return value;
}

/** Content hash of a normalized record (raw payload included): an upsert skips rows whose hash did not change. */
export function contentHash(value: unknown): string {
  return sha256(canonicalJson(value)).slice(0, 32);
}

/** SHA-256 in base64url. The one-shot crypto.hash (Node ≥ 20.12) is about twice as fast on short inputs as createHash. */
const sha256: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'base64url')
    : (text) => crypto.createHash('sha256').update(text).digest('base64url');

/**
 * `contentHash({ ...fields, [key]: value })` given `canonical` = canonicalJson(value), so that a large
 * value already serialized (a raw vendor payload) is not serialized again: the same text, hence the
 * same hash, is built around it.
 */
export function contentHashWith(fields: Record<string, unknown>, key: string, canonical: string): string {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const k of Object.keys(fields)) {
    // Array-index keys are enumerated first by JSON.stringify, whatever their sort order: take the long way.
    if (/^\d+$/.test(k) || /^\d+$/.test(key)) return contentHash({ ...fields, [key]: JSON.parse(canonical) as unknown });
    // canonicalJson drops __proto__ keys (see canonicalJsonChecked).
    if (k === key || k === '__proto__') continue;
    (k < key ? before : after)[k] = fields[k];
  }
  const head = canonicalJson(before).slice(1, -1);
  const tail = canonicalJson(after).slice(1, -1);
  return sha256(`{${head}${head ? ',' : ''}${JSON.stringify(key)}:${canonical}${tail ? ',' : ''}${tail}}`).slice(0, 32);
}
