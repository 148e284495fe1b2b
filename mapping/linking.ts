// Cross-tool asset linking (issue 3, item 4), the same for every connector: a file joins an asset
// when (a) the asset's task links to it (an Asana attachment hosted on Drive, a Drive URL in the
// notes or a field), or (b) its name carries the asset's key under the workspace's naming pattern.
// Explicit links win over names; a file claimed by two assets is a conflict, reported and not
// guessed; nothing is dropped silently (every file ends in exactly one of links, conflicts,
// misnamed, orphans). Then `reconcileVersions` merges the versions an asset has in several tools into
// one numbered list. Pure: no I/O, no clock.
//
// Cost: linear. Assets are indexed by key, by explicit file id and by key "fingerprint" (Maps); each
// file costs one pattern match and, only when its name does not follow the pattern, a few Map
// lookups. Measured by test/bench/linking.bench.ts (10,000 assets × 10,000 files).
import { stableId } from './ids';
import type { AssetLink, Version } from './model';
import { versionSuffix, type Naming } from './naming';

// ------------------------------------------------------------------------------------ Drive ids

const DRIVE_URL = /https?:\/\/(?:drive|docs)\.google\.com\/[^\s"'<>()[\]{}\\]+/gi;
const FILE_ID = '[A-Za-z0-9_-]{10,}';
/** `/file/d/<id>`, `/<kind>/d/<id>`, with the optional `/a/<domain>` and `/u/<n>` segments of multi-account URLs. */
const PATH_ID = new RegExp(`^/(?:a/[^/]+/)?[a-z]+/(?:u/\\d+/)?d/(${FILE_ID})(?=[/?#]|$)`);
/** `open?id=<id>`, `uc?id=<id>&export=download` (also HTML-escaped: `&amp;id=`). */
const QUERY_ID = new RegExp(`^/(?:a/[^/]+/)?(?:open|uc)\\?(?:[^#]*?[&;])?id=(${FILE_ID})`);

/**
 * The Drive file ids referenced in a text or URL, in order of first appearance:
 * `https://drive.google.com/file/d/<id>/view`, `https://docs.google.com/<document|spreadsheets|presentation|…>/d/<id>/edit`,
 * `https://drive.google.com/open?id=<id>` (and `uc?id=`). Folder links and published-document links
 * (`/d/e/<published id>`, which is not a file id) are not file references and are skipped.
 */
export function driveFileIdsIn(text: string | null | undefined): string[] {
  if (!text) return [];
  const out = new Set<string>();
  for (const m of text.matchAll(DRIVE_URL)) {
    const url = m[0];
    const path = url.slice(url.indexOf('/', url.indexOf('//') + 2));
    const id = PATH_ID.exec(path)?.[1] ?? QUERY_ID.exec(path)?.[1];
    if (id) out.add(id);
  }
  return [...out];
}

// ------------------------------------------------------------------------------------ linking

export interface LinkableAsset {
  id: string;
  /** The asset's key (e.g. from the task's "Asset key" field), or null. */
  key: string | null;
  /** Drive file ids the asset's task links to (see driveFileIdsIn). */
  explicitFileIds: readonly string[];
}

export interface LinkableFile {
  fileId: string;
  name: string;
  connectionId: string;
}

export interface LinkOptions {
  /** The workspace's naming pattern; null: only explicit links (every other file is an orphan). */
  naming: Naming | null;
}

export type LinkVia = 'explicit' | 'name';

export interface FileLink {
  assetId: string;
  connectionId: string;
  fileId: string;
  via: LinkVia;
  /** The key and version the file's name carries, when it follows the pattern. */
  key: string | null;
  version: number | null;
}

export interface LinkConflict {
  connectionId: string;
  fileId: string;
  name: string;
  /** Every asset that claims the file (two or more), in input order. */
  claimants: { assetId: string; via: LinkVia }[];
}

export interface MisnamedFile {
  connectionId: string;
  fileId: string;
  name: string;
  /** Why the name does not follow the pattern. */
  reason: string;
  /** The corrected name, when it can be recovered. */
  suggestion?: string;
  /** The known keys the name is close to (one, or several when it is ambiguous). */
  keys: string[];
  /** The assets with those keys. The file is NOT linked to them. */
  assetIds: string[];
}

export type OrphanReason =
  /** The name follows the pattern, but no asset has its key. */
  | 'unknown_key'
  /** The name does not follow the pattern and is not close to any known key. */
  | 'unparsed'
  /** No naming pattern is configured and no task links to the file. */
  | 'no_pattern';

export interface OrphanFile {
  connectionId: string;
  fileId: string;
  name: string;
  reason: OrphanReason;
  /** The key the name carries (reason `unknown_key`). */
  key?: string;
}

/** An asset's key that does not follow the key template: still used (corrected when possible), and reported. */
export interface AssetKeyProblem {
  assetId: string;
  key: string;
  reason: string;
  /** The corrected key, used for matching names. */
  suggestion?: string;
}

export interface LinkResult {
  links: FileLink[];
  conflicts: LinkConflict[];
  misnamed: MisnamedFile[];
  orphans: OrphanFile[];
  /** Explicit links to files that are not among the files given (not shared, outside the folders, deleted). */
  unresolved: { assetId: string; fileId: string }[];
  invalidKeys: AssetKeyProblem[];
}

/**
 * Links files to assets. Rules, in order, for each file:
 * 1. Claimed explicitly by exactly one asset → linked `via: 'explicit'`, whatever its name says.
 *    Claimed explicitly by two or more → conflict (name claims are not consulted).
 * 2. Else its name follows the pattern and carries a key → linked `via: 'name'` to the asset with that
 *    key; two assets with that key → conflict; no asset → misnamed when the key is one typo away from
 *    known keys (one key part within one edit, the others equal: `ACME_BTS_MEAIL4-600x1200` for
 *    `ACME_BTS_EMAIL4-600x1200`), with the corrected name when there is one such key; else orphan
 *    (`unknown_key`).
 * 3. Else, if the name is close to a known key (its corrected form carries one, or its leading words
 *    spell one, or spell one with one key part missing) → misnamed, with the corrected name when it can
 *    be recovered; it is not linked (a name link needs the pattern).
 * 4. Else → orphan.
 * The same file (connection, id) given twice counts once. Output lists follow the order of `files`.
 */
export function linkFiles(assets: readonly LinkableAsset[], files: readonly LinkableFile[], options: LinkOptions): LinkResult {
  const { naming } = options;
  const result: LinkResult = { links: [], conflicts: [], misnamed: [], orphans: [], unresolved: [], invalidKeys: [] };

  const byExplicit = new Map<string, string[]>();
  const byKey = new Map<string, string[]>();
  const fuzzy = new FuzzyKeys(naming);
  for (const a of assets) {
    for (const fileId of a.explicitFileIds) {
      const claimants = byExplicit.get(fileId);
      if (!claimants) byExplicit.set(fileId, [a.id]);
      else if (!claimants.includes(a.id)) claimants.push(a.id);
    }
    const canonical = canonicalKey(a, naming, result.invalidKeys);
    if (canonical === null) continue;
    const owners = byKey.get(canonical.key);
    if (owners) owners.push(a.id);
    else {
      byKey.set(canonical.key, [a.id]);
      fuzzy.add(canonical.key, canonical.parts);
    }
  }

  const seen = new Set<string>();
  const seenIds = new Set<string>();
  for (const f of files) {
    const seenKey = `${f.connectionId}\u001f${f.fileId}`;
    if (seen.has(seenKey)) continue;
    seen.add(seenKey);
    seenIds.add(f.fileId);
    const base = { connectionId: f.connectionId, fileId: f.fileId, name: f.name };

    const explicit = byExplicit.get(f.fileId);
    const parsed = naming ? naming.parseName(f.name) : null;
    if (explicit) {
      if (explicit.length > 1) result.conflicts.push({ ...base, claimants: explicit.map((assetId) => ({ assetId, via: 'explicit' as const })) });
      else {
        const named = parsed?.ok ? parsed : null;
        result.links.push({ assetId: explicit[0]!, connectionId: f.connectionId, fileId: f.fileId, via: 'explicit', key: named?.key ?? null, version: named?.version ?? null });
      }
      continue;
    }
    if (!naming || !parsed) {
      result.orphans.push({ ...base, reason: 'no_pattern' });
      continue;
    }
    if (parsed.ok) {
      const owners = byKey.get(parsed.key);
      if (!owners) {
        // A key no asset has, one typo away from one that does (two letters swapped, one wrong): misnamed.
        const near = fuzzy.typoOf(parsed.parts);
        if (near.length) {
          const m: MisnamedFile = {
            ...base,
            reason: `key ${parsed.key} is not an asset's key; ${near.length === 1 ? `did you mean ${near[0]}` : `close to ${near.join(', ')}`}?`,
            keys: near,
            assetIds: near.flatMap((k) => byKey.get(k) ?? []),
          };
          if (near.length === 1 && f.name.includes(parsed.key)) m.suggestion = f.name.replace(parsed.key, near[0]!);
          result.misnamed.push(m);
        } else result.orphans.push({ ...base, reason: 'unknown_key', key: parsed.key });
      }
      else if (owners.length > 1) result.conflicts.push({ ...base, claimants: owners.map((assetId) => ({ assetId, via: 'name' as const })) });
      else result.links.push({ assetId: owners[0]!, connectionId: f.connectionId, fileId: f.fileId, via: 'name', key: parsed.key, version: parsed.version ?? null });
      continue;
    }

    // Not following the pattern: close to a known key?
    const close = closeKey(f.name, parsed.suggestion, naming, byKey, fuzzy);
    if (close) {
      const m: MisnamedFile = { ...base, reason: parsed.reason, keys: close.keys, assetIds: close.keys.flatMap((k) => byKey.get(k) ?? []) };
      const suggestion = close.suggestion ?? parsed.suggestion;
      if (suggestion) m.suggestion = suggestion;
      result.misnamed.push(m);
    } else result.orphans.push({ ...base, reason: 'unparsed' });
  }

  for (const a of assets) {
    for (const fileId of new Set(a.explicitFileIds)) if (!seenIds.has(fileId)) result.unresolved.push({ assetId: a.id, fileId });
  }
  return result;
}

/** The asset's key as names carry it (trimmed, corrected when it does not follow the key template) and its parts. */
function canonicalKey(a: LinkableAsset, naming: Naming | null, problems: AssetKeyProblem[]): { key: string; parts: Record<string, string> | null } | null {
  const key = a.key?.trim();
  if (!key) return null;
  if (!naming) return { key, parts: null };
  const parsed = naming.parseKey(key);
  if (parsed.ok) return { key, parts: parsed.parts };
  const problem: AssetKeyProblem = { assetId: a.id, key, reason: parsed.reason };
  problems.push(problem);
  if (!parsed.suggestion) return { key, parts: null };
  problem.suggestion = parsed.suggestion;
  const fixed = naming.parseKey(parsed.suggestion);
  return { key: parsed.suggestion, parts: fixed.ok ? fixed.parts : null };
}

/**
 * Keys by "fingerprint": their words (runs of letters and digits) upper-cased, so that case and
 * separators do not matter; and, for keys that follow the key template, the same with one key part
 * left out (a name that forgot the size or the campaign).
 */
class FuzzyKeys {
  private readonly pending: { key: string; parts: Record<string, string> | null }[] = [];
  private built: { whole: Map<string, string[]>; missingOne: Map<string, string[]> } | null = null;

  constructor(private readonly naming: Naming | null) {}

  /** Called once per distinct key. */
  add(key: string, parts: Record<string, string> | null): void {
    this.pending.push({ key, parts });
  }

  /**
   * Known keys that a key with these parts misspells: every key part the same but one, and that one
   * one letter typo away (oneLetterTypo). Sorted.
   */
  typoOf(parts: Record<string, string>): string[] {
    const naming = this.naming;
    if (!naming || naming.keyParts.length < 2) return [];
    this.indexes();
    const partsOf = (this.partsByKey ??= new Map(this.pending.filter((p) => p.parts).map((p) => [p.key, p.parts!])));
    const partWords = naming.keyParts.map((p) => words(parts[p] ?? ''));
    const out = new Set<string>();
    for (let i = 0; i < partWords.length; i++) {
      const rest = partWords.filter((_, j) => j !== i).flat();
      if (rest.length < 2) continue;
      const part = naming.keyParts[i]!;
      const mine = (parts[part] ?? '').toUpperCase();
      for (const key of this.built!.missingOne.get(fingerprint(rest)) ?? []) {
        const theirs = (partsOf.get(key)?.[part] ?? '').toUpperCase();
        if (oneLetterTypo(mine, theirs)) out.add(key);
      }
    }
    return out.size > MAX_CLOSE_KEYS ? [] : [...out].sort();
  }

  private partsByKey: Map<string, Record<string, string>> | null = null;

  /** The two indexes, built on first use: when every name follows the pattern they are never needed. */
  indexes(): Map<string, string[]>[] {
    if (!this.built) {
      this.built = { whole: new Map(), missingOne: new Map() };
      for (const { key, parts } of this.pending) this.index(key, parts);
    }
    return [this.built.whole, this.built.missingOne];
  }

  private index(key: string, parts: Record<string, string> | null): void {
    const { whole, missingOne } = this.built!;
    const naming = this.naming;
    push(whole, fingerprint(words(key)), key);
    if (!naming || !parts || naming.keyParts.length < 2) return;
    const partWords = naming.keyParts.map((p) => words(parts[p] ?? ''));
    const fingerprints = new Set<string>();
    for (let i = 0; i < partWords.length; i++) {
      const rest = partWords.filter((_, j) => j !== i).flat();
      // Two words at least, so that a bare client code is never "close" to all of its keys.
      if (rest.length >= 2) fingerprints.add(fingerprint(rest));
    }
    for (const fp of fingerprints) push(missingOne, fp, key);
  }
}

/** Every key part equal but one, and that one a one-letter typo (case aside). */
function typoOfKey(a: Record<string, string>, b: Record<string, string>, keyParts: readonly string[]): boolean {
  let typos = 0;
  for (const part of keyParts) {
    const x = (a[part] ?? '').toUpperCase();
    const y = (b[part] ?? '').toUpperCase();
    if (x === y) continue;
    if (!oneLetterTypo(x, y) || ++typos > 1) return false;
  }
  return typos === 1;
}

/**
 * One typo between two codes: one adjacent swap, substitution, insertion or deletion (restricted
 * Damerau–Levenshtein distance 1) that involves letters only. A digit that differs is not a typo but
 * another asset (`EMAIL4` and `EMAIL5`, `300x250` and `300x600`).
 */
export function oneLetterTypo(a: string, b: string): boolean {
  if (a === b) return false;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  const letter = (c: string | undefined) => c !== undefined && /\p{L}/u.test(c);
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return letter(a[i]) && letter(b[i]); // one substitution
    return i + 1 < la && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2) && letter(a[i]) && letter(a[i + 1]); // one swap
  }
  return la > lb ? letter(a[i]) && a.slice(i + 1) === b.slice(i) : letter(b[i]) && a.slice(i) === b.slice(i + 1); // one extra or missing letter
}

/** Appends without a membership test (callers never add the same value twice): a long list stays linear. */
function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

/** A name close to more keys than this is not "close" to any: listing them would not help anyone. */
const MAX_CLOSE_KEYS = 12;

const WORD = /[\p{L}\p{N}]+/gu;

function words(s: string): { text: string; end: number }[] {
  return [...s.matchAll(WORD)].map((m) => ({ text: m[0].toUpperCase(), end: m.index + m[0].length }));
}

function fingerprint(ws: { text: string }[]): string {
  return ws.map((w) => w.text).join('\u001f');
}

function closeKey(
  name: string,
  suggestion: string | undefined,
  naming: Naming,
  byKey: Map<string, string[]>,
  fuzzy: FuzzyKeys,
): { keys: string[]; suggestion?: string } | null {
  if (suggestion) {
    const fixed = naming.parseName(suggestion);
    if (fixed.ok && byKey.has(fixed.key)) return { keys: [fixed.key] };
  }
  // The longest run of leading words that spells a known key, then one that spells a key minus a part.
  const ws = words(name);
  for (const index of fuzzy.indexes()) {
    for (let n = ws.length; n >= 1; n--) {
      const keys = index.get(fingerprint(ws.slice(0, n)));
      if (!keys || keys.length > MAX_CLOSE_KEYS) continue;
      const out: { keys: string[]; suggestion?: string } = { keys: [...keys] };
      if (keys.length === 1) {
        // The key, then the rest of the name as it was (`_v03.psd`), corrected where possible.
        const candidate = keys[0]! + name.slice(ws[n - 1]!.end);
        const p = naming.parseName(candidate);
        const fixed = p.ok ? candidate : p.suggestion;
        if (fixed !== undefined && fixed !== name) {
          const check = p.ok ? p : naming.parseName(fixed);
          if (check.ok && check.key === keys[0]) out.suggestion = fixed;
        }
      }
      return out;
    }
  }
  return null;
}

/** The model's AssetLink for a link (stable id per linked file: a file belongs to one asset at a time). */
export function toAssetLink(link: FileLink, opts: { kind?: AssetLink['kind']; url?: string | null } = {}): AssetLink {
  const kind = opts.kind ?? 'drive_file';
  return {
    id: stableId(link.connectionId, `link:${kind}`, link.fileId),
    assetId: link.assetId,
    connectionId: link.connectionId,
    kind,
    externalId: link.fileId,
    url: opts.url ?? null,
    via: link.via,
  };
}

// ------------------------------------------------------------------------------------ versions

/** One version of an asset as one tool shows it, before reconciliation. */
export interface VersionCandidate {
  connectionId: string;
  /** The record's id in its tool: a revision id, an attachment gid, a file id. */
  externalId: string;
  source: Version['source'];
  /**
   * The Drive file this candidate is (a revision: its file; a file's current head: the file) or points
   * to (an attachment or file column hosted on Drive); null for a file uploaded to the tool itself.
   */
  fileId: string | null;
  name: string;
  createdAt: string;
  /** Content checksum, comparable across candidates (e.g. `md5:<hex>`); null when the tool gives none. */
  checksum: string | null;
  /** Content size in bytes, when the tool gives one (0 and null: unknown). */
  sizeBytes?: number | null;
  /** The `_vNN` number of the name; when absent it is read from `name` (see reconcileVersions). */
  nameVersion?: number | null;
  /** When the candidate was deleted at the vendor: it keeps its place, so numbers do not shift. */
  deletedAt?: string | null;
}

/** Why a candidate was collapsed into a version (rules a–d of reconcileVersions). */
export type MergeReason = 'points_to_file' | 'same_checksum' | 'same_name_version' | 'same_size';

export interface ReconciledVersion {
  /** 1…n, gapless, in the order of the rule below. */
  number: number;
  /** The `_vNN` the version sorts under (its own, or its file's); null when placed by time only. */
  nameVersion: number | null;
  /** The representative candidate: the earliest of the version's candidates that does not merely point to a file. */
  candidate: VersionCandidate;
  /** The version's other candidates, oldest first, and why each was collapsed into it. */
  merged: { candidate: VersionCandidate; reason: MergeReason }[];
  /** True when every candidate of the version is deleted. */
  deleted: boolean;
}

/** Sources that are a file's own content; any other source with a fileId only points to a Drive file. */
const FILE_SOURCES: ReadonlySet<Version['source']> = new Set(['revision', 'name_suffix']);

/**
 * One numbered list from the versions an asset has in several tools.
 *
 * A candidate's own number is its `_vNN`: its `nameVersion`, else read from its name (with `naming`,
 * only when the name carries this asset's key, read leniently so that `v3` is 3; without, any trailing
 * `_vNN`). Candidates collapse into versions by these rules, in this order:
 *  a. a candidate that points to a Drive file (an Asana attachment hosted on Drive) joins that file's
 *     candidate current when it was attached (the latest revision at or before it, else the first);
 *     when the file itself is not among the candidates, the attachment stands on its own;
 *  b. candidates with the same checksum are the same content: one version;
 *  c. versions with the same `_vNN` are one version: an intermediate save and the final save of
 *     `KEY_v02.psd`, its copy in `Final/`, and the Asana upload `KEY_v02.psd` are all version 2. A
 *     version's `_vNN` is that of its earliest candidate that has one (a file re-saved under another
 *     number but with the same checksum stays in the version its checksum put it in);
 *  d. a candidate without a `_vNN` of its own, in a version that has none yet (an Asana upload named
 *     `KEY_FINAL.psd`), with the same size (> 0) as an earlier candidate (older; at the same instant,
 *     first by connection and id) from another connection is the same export uploaded twice: it joins
 *     the version of the latest such candidate.
 * Nothing else merges: two candidates without a number are two versions unless a, b or d says
 * otherwise, however close their names or times. So an intermediate save of a file whose name carries
 * no number, or an unnumbered upload that no earlier candidate matches by size (an external link, whose
 * size is unknown), is a version of its own.
 *  e. Then each version gets a sort number: its `_vNN` (rule c); without one, a revision continues its
 *     file's numbering (the number of the nearest earlier candidate of its file whose version has one,
 *     else of the nearest later one); without either, by time: the highest number among versions
 *     created at or before it (0 when none), so an unnumbered upload follows the numbered versions that
 *     preceded it.
 * A version's time is its representative's: its earliest candidate that does not merely point to a
 * file. Versions are ordered by (sort number, time, numbered before unnumbered, connection, id) and
 * numbered 1…n. Deleted candidates keep their place and still merge, so a trashed file does not
 * renumber the others; a version is deleted only when all its candidates are.
 * The result does not depend on the order of `candidates`; a candidate given twice counts once.
 * Cost: one sort, then near-linear (Maps and a union-find).
 */
export function reconcileVersions(
  asset: { key: string | null },
  candidates: readonly VersionCandidate[],
  options: { naming?: Naming | null } = {},
): ReconciledVersion[] {
  const naming = options.naming ?? null;
  // The asset's key as linkFiles matches it: trimmed, and corrected when it breaks the key template.
  let assetKey = asset.key?.trim() || null;
  if (naming && assetKey !== null) {
    const k = naming.parseKey(assetKey);
    if (!k.ok && k.suggestion) assetKey = k.suggestion;
  }
  const nameVersionOf = (c: VersionCandidate): number | null => {
    if (c.nameVersion !== undefined) return c.nameVersion;
    if (!naming) return versionSuffix(c.name);
    let p = naming.parseName(c.name);
    if (!p.ok && p.suggestion) p = naming.parseName(p.suggestion);
    // A name that does not follow the pattern (a missing size, a stray space): its trailing `_vNN`.
    if (!p.ok) return versionSuffix(c.name);
    if (p.version === undefined) return null;
    if (assetKey === null || p.key === assetKey) return p.version;
    // Another key: this asset's key misspelt (one letter typo in one part) still numbers the version;
    // any other asset's key does not (a reference file of another asset attached here).
    const own = naming.parseKey(assetKey);
    return own.ok && typoOfKey(p.parts, own.parts, naming.keyParts) ? p.version : null;
  };

  // Distinct candidates, oldest first (ties by connection, id and source, so the result never depends on input order).
  type Item = { c: VersionCandidate; t: number; nv: number | null; pointer: boolean };
  const seen = new Set<string>();
  const all: Item[] = [];
  for (const c of candidates) {
    const id = `${c.connectionId}\u001f${c.source}\u001f${c.externalId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const t = Date.parse(c.createdAt);
    all.push({ c, t: Number.isNaN(t) ? 0 : t, nv: nameVersionOf(c), pointer: c.fileId !== null && !FILE_SOURCES.has(c.source) });
  }
  all.sort((a, b) => a.t - b.t || cmp(a.c.connectionId, b.c.connectionId) || cmp(a.c.externalId, b.c.externalId) || cmp(a.c.source, b.c.source));
  const n = all.length;

  // Versions as a union-find over positions in `all`. The root is the representative: a candidate of
  // the file's own content before a pointer, then the earliest. A candidate gets its merge reason when
  // it stops being a root.
  const parent = Array.from({ length: n }, (_, i) => i);
  const reason: (MergeReason | null)[] = new Array<MergeReason | null>(n).fill(null);
  /** The version's `_vNN` (rule c), kept on roots; null: none yet. */
  const numberOf: (number | null)[] = new Array<number | null>(n).fill(null);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const ahead = (a: number, b: number): boolean => (all[a]!.pointer !== all[b]!.pointer ? !all[a]!.pointer : a < b);
  const union = (a: number, b: number, why: MergeReason): void => {
    let ra = find(a);
    let rb = find(b);
    if (ra === rb) return;
    if (ahead(rb, ra)) [ra, rb] = [rb, ra];
    parent[rb] = ra;
    reason[rb] = why;
    numberOf[ra] = numberOf[ra] ?? numberOf[rb] ?? null;
  };

  // The candidates of each Drive file's own content, oldest first.
  const fileLines = new Map<string, number[]>();
  /** Position of a file's own candidate in its file's line. */
  const lineAt = new Map<number, number>();
  all.forEach((x, i) => {
    if (x.c.fileId === null || x.pointer) return;
    const line = fileLines.get(x.c.fileId);
    lineAt.set(i, line ? line.length : 0);
    if (line) line.push(i);
    else fileLines.set(x.c.fileId, [i]);
  });

  // a. Pointers to a Drive file join the file's candidate of that moment.
  all.forEach((x, i) => {
    if (!x.pointer) return;
    const line = fileLines.get(x.c.fileId!);
    if (!line) return;
    // The last of the file's candidates at or before it (the line is in time order), else the first.
    let lo = 0;
    let hi = line.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (all[line[mid]!]!.t <= x.t) lo = mid + 1;
      else hi = mid;
    }
    union(line[Math.max(0, lo - 1)]!, i, 'points_to_file');
  });
  // b. Same checksum, same content.
  const byChecksum = new Map<string, number>();
  all.forEach((x, i) => {
    if (x.pointer || x.c.checksum === null) return;
    const first = byChecksum.get(x.c.checksum);
    if (first === undefined) byChecksum.set(x.c.checksum, i);
    else union(first, i, 'same_checksum');
  });
  // c. A version's `_vNN` is its earliest numbered candidate's; versions with the same one are one.
  all.forEach((x, i) => {
    const r = find(i);
    if (numberOf[r] === null && x.nv !== null) numberOf[r] = x.nv;
  });
  const byNumber = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    if (find(i) !== i || numberOf[i] === null) continue;
    const first = byNumber.get(numberOf[i]!);
    if (first === undefined) byNumber.set(numberOf[i]!, i);
    else union(first, i, 'same_name_version');
  }
  // d. An unnumbered candidate with the size of an earlier one from another connection joins its version.
  // Per size: the latest candidate, and the latest one from a connection other than the latest's.
  const bySize = new Map<number, { latest: number; other: number | null }>();
  all.forEach((x, i) => {
    const size = x.c.sizeBytes;
    if (size === null || size === undefined || !(size > 0)) return;
    const prev = bySize.get(size);
    if (prev && x.nv === null && !x.pointer && numberOf[find(i)] === null) {
      const target = all[prev.latest]!.c.connectionId !== x.c.connectionId ? prev.latest : prev.other;
      if (target !== null) union(target, i, 'same_size');
    }
    if (!prev) bySize.set(size, { latest: i, other: null });
    else {
      if (all[prev.latest]!.c.connectionId !== x.c.connectionId) prev.other = prev.latest;
      prev.latest = i;
    }
  });

  // Versions, each with its members oldest first; `nv` is the number it sorts under (none yet: null).
  type Group = { rep: number; members: number[]; nv: number | null };
  // In the order of their representatives.
  const groups = new Map<number, Group>();
  for (let i = 0; i < n; i++) if (find(i) === i) groups.set(i, { rep: i, members: [], nv: numberOf[i] ?? null });
  const groupOf: Group[] = [];
  for (let i = 0; i < n; i++) {
    const g = groups.get(find(i))!;
    g.members.push(i);
    groupOf.push(g);
  }
  const list = [...groups.values()];
  // Without a `_vNN`: a revision continues its file's numbering: the number of the nearest earlier
  // candidate of its file whose version has one (its own or continued), else of the nearest later one
  // whose version has a `_vNN`. Groups come in time order and a file's earlier candidates belong to
  // earlier groups, so one cursor per file walks each line once.
  const cursor = new Map<string, { at: number; last: number | null; next: (number | null)[] | null }>();
  for (const g of list) {
    const rep = all[g.rep]!;
    if (g.nv !== null || rep.pointer || rep.c.fileId === null) continue;
    const line = fileLines.get(rep.c.fileId)!;
    const p = lineAt.get(g.rep)!;
    let cur = cursor.get(rep.c.fileId);
    if (!cur) cursor.set(rep.c.fileId, (cur = { at: 0, last: null, next: null }));
    for (; cur.at < p; cur.at++) cur.last = groupOf[line[cur.at]!]!.nv ?? cur.last;
    if (cur.last !== null) {
      g.nv = cur.last;
      continue;
    }
    if (!cur.next) {
      // Computed once per file: for each position, the `_vNN` of the nearest later candidate's version.
      cur.next = new Array<number | null>(line.length).fill(null);
      for (let q = line.length - 2; q >= 0; q--) cur.next[q] = numberOf[find(line[q + 1]!)] ?? cur.next[q + 1] ?? null;
    }
    g.nv = cur.next[p] ?? null;
  }
  // Else by time: the highest number among versions created at or before it (prefix maxima, binary search).
  const numberedByTime = list.filter((g) => g.nv !== null).sort((a, b) => all[a.rep]!.t - all[b.rep]!.t);
  const times = numberedByTime.map((g) => all[g.rep]!.t);
  const maxUpTo: number[] = [];
  numberedByTime.forEach((g, i) => maxUpTo.push(Math.max(i > 0 ? maxUpTo[i - 1]! : 0, g.nv!)));
  const sortKey = new Map<Group, number>();
  for (const g of list) {
    if (g.nv !== null) sortKey.set(g, g.nv);
    else {
      const k = upperBound(times, all[g.rep]!.t);
      sortKey.set(g, k > 0 ? maxUpTo[k - 1]! : 0);
    }
  }
  list.sort(
    (a, b) =>
      sortKey.get(a)! - sortKey.get(b)! ||
      all[a.rep]!.t - all[b.rep]!.t ||
      (a.nv === null ? 1 : 0) - (b.nv === null ? 1 : 0) ||
      cmp(all[a.rep]!.c.connectionId, all[b.rep]!.c.connectionId) ||
      cmp(all[a.rep]!.c.externalId, all[b.rep]!.c.externalId),
  );
  return list.map((g, i) => ({
    number: i + 1,
    nameVersion: g.nv,
    candidate: all[g.rep]!.c,
    merged: g.members.filter((m) => m !== g.rep).map((m) => ({ candidate: all[m]!.c, reason: reason[m]! })),
    deleted: g.members.every((m) => !!all[m]!.c.deletedAt),
  }));
}

/** The number of sorted values ≤ x. */
function upperBound(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
