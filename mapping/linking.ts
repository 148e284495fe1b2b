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
 *    key; two assets with that key → conflict; no asset → orphan (`unknown_key`).
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
      if (!owners) result.orphans.push({ ...base, reason: 'unknown_key', key: parsed.key });
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

/** Appends without a membership test (callers never add the same value twice): a long list stays linear. */
function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

/** A name close to more keys than this is not "close" to any: listing them would not help anyone. */
const MAX_CLOSE_KEYS = 5;

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
  /** The `_vNN` number of the name; when absent it is read from `name` (see reconcileVersions). */
  nameVersion?: number | null;
  /** When the candidate was deleted at the vendor: it keeps its place, so numbers do not shift. */
  deletedAt?: string | null;
}

export interface ReconciledVersion {
  /** 1…n, gapless, in the order of the rule below. */
  number: number;
  /** The `_vNN` the version sorts under (its own, or its file's); null when placed by time only. */
  nameVersion: number | null;
  /** The representative candidate: the earliest of the version's candidates. */
  candidate: VersionCandidate;
  /** Candidates collapsed into this version, and why. */
  merged: { candidate: VersionCandidate; reason: 'same_checksum' | 'points_to_file' }[];
  /** True when every candidate of the version is deleted. */
  deleted: boolean;
}

/** Sources that are a file's own content; any other source with a fileId only points to a Drive file. */
const FILE_SOURCES: ReadonlySet<Version['source']> = new Set(['revision', 'name_suffix']);

/**
 * One numbered list from the versions an asset has in several tools.
 *
 * Duplicates collapse first, into the earliest candidate:
 *  - a candidate that points to a Drive file (an Asana attachment hosted on Drive) joins that file's
 *    candidate current when it was attached (the latest revision at or before it, else the first);
 *    when the file itself is not among the candidates, the attachment stands as its own version;
 *  - candidates with the same checksum are the same content: one version.
 * Then each version gets a sort number:
 *  - its `_vNN` (the candidate's `nameVersion`, else read from its name: with `naming`, only when the
 *    name carries this asset's key, read leniently so that `v3` is 3; without, any trailing `_vNN`);
 *    with several candidates in a version, the earliest one that has a number gives it;
 *  - without one, a revision continues its file's numbering: the number of the file's previous
 *    revision (else of its next one);
 *  - without either, by time: the highest number among versions created at or before it (0 when none),
 *    so an unnumbered upload follows the numbered versions that preceded it.
 * Versions are ordered by (sort number, time, numbered before unnumbered, connection, id) and numbered
 * 1…n. Deleted candidates keep their place, so a trashed file does not renumber the others.
 * Two candidates with the same `_vNN` and no shared checksum (an Asana upload and a Drive file both
 * named `_v03`: Asana gives no checksum) stay two versions, in time order: same name is not proof of
 * same content.
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
    if (!p.ok || p.version === undefined) return null;
    return assetKey === null || p.key === assetKey ? p.version : null;
  };

  // Distinct candidates, oldest first (ties by connection and id, so the result never depends on input order).
  const seen = new Set<string>();
  const all: { c: VersionCandidate; t: number; nv: number | null }[] = [];
  for (const c of candidates) {
    const id = `${c.connectionId}\u001f${c.source}\u001f${c.externalId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const t = Date.parse(c.createdAt);
    all.push({ c, t: Number.isNaN(t) ? 0 : t, nv: nameVersionOf(c) });
  }
  all.sort((a, b) => a.t - b.t || cmp(a.c.connectionId, b.c.connectionId) || cmp(a.c.externalId, b.c.externalId));

  type Group = { rep: (typeof all)[number]; merged: ReconciledVersion['merged']; nv: number | null };
  const groups = new Map<(typeof all)[number], Group>();
  const fileLines = new Map<string, (typeof all)[number][]>();
  for (const x of all) if (x.c.fileId !== null && FILE_SOURCES.has(x.c.source)) push(fileLines, x.c.fileId, x);

  // 1. Pointers to a Drive file join the file's candidate of that moment.
  const pointerOf = new Map<(typeof all)[number], (typeof all)[number]>();
  for (const x of all) {
    if (x.c.fileId === null || FILE_SOURCES.has(x.c.source)) continue;
    const line = fileLines.get(x.c.fileId);
    if (!line) continue;
    let target = line[0]!;
    for (const r of line) if (r.t <= x.t) target = r;
    pointerOf.set(x, target);
  }
  // 2. Same checksum, same content: the earliest candidate represents them.
  const byChecksum = new Map<string, (typeof all)[number]>();
  const repOf = new Map<(typeof all)[number], (typeof all)[number]>();
  for (const x of all) {
    if (pointerOf.has(x) || x.c.checksum === null) continue;
    const first = byChecksum.get(x.c.checksum);
    if (first) repOf.set(x, first);
    else byChecksum.set(x.c.checksum, x);
  }
  const root = (x: (typeof all)[number]): (typeof all)[number] => {
    const target = pointerOf.get(x) ?? x;
    return repOf.get(target) ?? target;
  };
  for (const x of all) {
    const r = root(x);
    let g = groups.get(r);
    if (!g) groups.set(r, (g = { rep: r, merged: [], nv: null }));
    if (r !== x) g.merged.push({ candidate: x.c, reason: pointerOf.has(x) ? 'points_to_file' : 'same_checksum' });
  }

  // 3. Sort numbers: own `_vNN` (first in time among the group's candidates), else the file's, else by time.
  const list = [...groups.values()];
  const groupOf = new Map<(typeof all)[number], Group>();
  for (const x of all) groupOf.set(x, groups.get(root(x))!);
  for (const x of all) {
    const g = groupOf.get(x)!;
    if (g.nv === null && x.nv !== null) g.nv = x.nv;
  }
  for (const g of list) {
    if (g.nv !== null || g.rep.c.fileId === null || !FILE_SOURCES.has(g.rep.c.source)) continue;
    const line = fileLines.get(g.rep.c.fileId)!;
    const at = line.indexOf(g.rep);
    const numbered = (r: (typeof all)[number]): number | null => groupOf.get(r)!.nv;
    for (let i = at - 1; i >= 0 && g.nv === null; i--) g.nv = numbered(line[i]!);
    for (let i = at + 1; i < line.length && g.nv === null; i++) g.nv = numbered(line[i]!);
  }
  // The highest number among versions created at or before a time: prefix maxima over time, binary search.
  const numberedByTime = list.filter((g) => g.nv !== null).sort((a, b) => a.rep.t - b.rep.t);
  const times = numberedByTime.map((g) => g.rep.t);
  const maxUpTo: number[] = [];
  numberedByTime.forEach((g, i) => maxUpTo.push(Math.max(i > 0 ? maxUpTo[i - 1]! : 0, g.nv!)));
  const sortKey = new Map<Group, number>();
  for (const g of list) {
    if (g.nv !== null) sortKey.set(g, g.nv);
    else {
      const n = upperBound(times, g.rep.t);
      sortKey.set(g, n > 0 ? maxUpTo[n - 1]! : 0);
    }
  }
  list.sort(
    (a, b) =>
      sortKey.get(a)! - sortKey.get(b)! ||
      a.rep.t - b.rep.t ||
      (a.nv === null ? 1 : 0) - (b.nv === null ? 1 : 0) ||
      cmp(a.rep.c.connectionId, b.rep.c.connectionId) ||
      cmp(a.rep.c.externalId, b.rep.c.externalId),
  );
  return list.map((g, i) => ({
    number: i + 1,
    nameVersion: g.nv,
    candidate: g.rep.c,
    merged: g.merged,
    deleted: !!g.rep.c.deletedAt && g.merged.every((m) => !!m.candidate.deletedAt),
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
