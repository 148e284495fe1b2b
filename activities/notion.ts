// The Notion sync engine, on the same terms as the Asana, Drive and monday.com ones
// (activities/asana.ts, activities/monday.ts): each call is one bounded unit of work that commits
// records and the cursor that covers them in one transaction, so a crash, a rate limit or a worker
// restart resumes where the last commit left off, with no gap and no duplicate.
//
// Plan:         each configured database (`GET /v1/databases/{id}`: its data sources, narrowed by
//               `data_sources`), then each data source's schema (`GET /v1/data_sources/{id}`); the stage
//               property, its options, the configured properties and the decision property are checked
//               against the schema, with errors that name the connection and the config path (a database
//               not shared with the integration answers 404 object_not_found: `connections.N.databases.M`).
//               The schemas are kept; an incremental plan whose data sources are all crawled, none due
//               for reconciliation and the configured ids unchanged reuses them and makes no call.
// Full crawl:   per data source, the rows through `rowsPage` (100 per query, sorted by created_time;
//               past the 10,000-row cap of one query the walk restarts at the last created_time reached,
//               connectors/notion/client.ts); each page of rows is committed with its cursor and queued,
//               then drained: every page's unresolved comments (one call per page), the whole lists of
//               properties the page object cut, the users it names (cached with their emails), normalized
//               and committed with the dequeue. After the last page, live assets the crawl did not see
//               (trashed, deleted, moved away) are tombstoned.
// Incremental:  per data source, the rows edited on or after the watermark − `overlap` (last_edited_time
//               is minute-coarse), and the rows moved to the trash in that window (a query serves either
//               the live rows or the trash: `in_trash: true`), queued and drained like a crawl's. Comments
//               are re-read only for pages whose last_edited_time moved past what is stored, or that fall
//               in the minute the previous window closed in (a comment moves the page's
//               last_edited_time: simulator store.ts addComment [U]). Trashed pages become tombstones.
//               A data source whose last crawl is older than `reconcile_every` is crawled again.
import type { PoolClient } from 'pg';
import { contentHash } from '../mapping/ids';
import { emptyBatch, mergeBatches, type Batch } from '../mapping/model';
import { durationMs, notionDashed, roleResolver, type NotionConnectionConfig } from '../mapping/config';
import { NotionClient, type RowsCursor } from '../connectors/notion/client';
import {
  dataSourceIdOf, decisionRoles, findProperty, normalizeDataSource, normalizePage, resolveStage,
  userIdsIn, type NotionNormalizeContext, type NotionStageConfig, type NotionUser, type PageBundle, type ResolvedNotionStage,
} from '../connectors/notion/normalize';
import { NotionDataSourceRaw, NotionUserRaw, plainText, type NotionPropertyConfigRaw } from '../connectors/notion/raw';
import { CallCounter, ConnectorError } from '../connectors/types';
import { limiterFor, type ActivityDeps } from './context';
import type { Scope, StepResult } from './asana';
import {
  addRunCounts, clearSeen, commitBatch, countsOf, deleteCursor, dequeue, enqueue, getCursor, markSeen, peekQueue, setCursor,
  tombstoneUnseenAssets, withTransaction, type QueueItem,
} from './db/store';
import { invalidConfig } from './failures';

/** Pages drained per step: one query page's worth, so a step is about a hundred calls at most. */
const DRAIN_BATCH = 100;

/** A data source as the plan found it: what the steps normalize against. */
interface SourceMeta {
  /** `GET /v1/data_sources/{id}` as served (the schema). */
  dataSource: unknown;
  databaseId: string;
  name: string;
  fetchedAt: string;
}

/** The data sources of the connection, and the configured ids they were found from. */
interface SourceList {
  key: string;
  dataSources: string[];
}

interface CrawlCursor {
  /** Where the walk of the rows stands; null before the first page. */
  rows: RowsCursor | null;
  lastPage: boolean;
  startedAt: string;
  pages: number;
}

/** Incremental windows: the next reads what changed from `at` − overlap; `crawledAt`: when the last complete crawl began. */
interface Watermark {
  at: string;
  crawledAt: string;
}

type UserCache = Record<string, NotionUser>;

const streams = {
  sources: 'notion:sources',
  source: (ds: string) => `notion:source:${ds}`,
  crawl: (ds: string) => `notion:crawl:${ds}`,
  changes: (ds: string) => `notion:changes:${ds}`,
  users: 'notion:users',
};

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const where = (deps: ActivityDeps, cfg: NotionConnectionConfig) => deps.config().connections.findIndex((c) => c.id === cfg.id);
const idOf = (raw: unknown): string | null => {
  const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : null;
};
const editedAt = (raw: unknown): string | null => {
  const t = raw && typeof raw === 'object' ? (raw as { last_edited_time?: unknown }).last_edited_time : undefined;
  return typeof t === 'string' && Number.isFinite(Date.parse(t)) ? t : null;
};
const dashed = (id: string) => notionDashed(id.trim().toLowerCase());

/** The path of a URL (the file it names), without the host that serves it or the signature. */
function pathOf(u: string): string {
  try {
    return new URL(u).pathname;
  } catch {
    return u.split('?')[0] ?? '';
  }
}

/**
 * A page payload without what changes between reads: a Notion-hosted file's URL is signed (its query
 * string) and expires within the hour (vendor-apis.md §3.2; the simulator signs `?expires=…&sig=…`
 * anew on each answer), and the host serving it is no part of the file. Kept, the stored payload and
 * its hash would change on every crawl of an unchanged page; the URL's path (the file itself) stays.
 */
export function withoutExpiringUrls(page: unknown): unknown {
  const props = page && typeof page === 'object' ? (page as { properties?: unknown }).properties : undefined;
  if (!props || typeof props !== 'object') return page;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(props as Record<string, unknown>)) {
    const v = value as { type?: unknown; files?: unknown };
    if (v && v.type === 'files' && Array.isArray(v.files)) {
      out[name] = {
        ...v,
        files: v.files.map((f: { type?: unknown; file?: { url?: unknown } }) => {
          if (!f || f.type !== 'file' || !f.file || typeof f.file.url !== 'string') return f;
          return { ...f, file: { ...f.file, url: pathOf(f.file.url), expiry_time: null } };
        }),
      };
    } else out[name] = value;
  }
  return { ...(page as Record<string, unknown>), properties: out };
}

/** One activity's Notion client: the credential's shared limiter, its own call counter. */
export function notionClientFor(deps: Pick<ActivityDeps, 'limiters'>, cfg: NotionConnectionConfig): NotionClient {
  return new NotionClient({ token: cfg.token, ...(cfg.base_url ? { baseUrl: cfg.base_url } : {}), limiter: limiterFor(deps, cfg), counter: new CallCounter() });
}

async function flush(tx: PoolClient, client: NotionClient, syncRunId: string, counts: Record<string, number> = {}): Promise<void> {
  const ignored = client.ignored.drain();
  const all = { ...counts };
  for (const [k, n] of Object.entries(ignored)) all[`notion.ignored ${k}`] = n;
  await addRunCounts(tx, syncRunId, all, client.counter.drain());
}

/** Records the calls an activity made before it failed, then rethrows (Temporal retries or not). */
async function guarded<T>(deps: ActivityDeps, client: NotionClient, syncRunId: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    await withTransaction(deps.db, (tx) => flush(tx, client, syncRunId)).catch(() => undefined);
    throw err;
  }
}

// ---- the plan: databases, data sources, schemas, checks ------------------------------------------------

/** Which stage entry applies to a data source: its own, its database's, else `*`. */
function stageKeyOf(cfg: NotionConnectionConfig, dataSourceId: string, databaseId: string): string | null {
  const keys = Object.keys(cfg.stage);
  return keys.find((k) => k !== '*' && dashed(k) === dataSourceId) ?? keys.find((k) => k !== '*' && dashed(k) === databaseId) ?? (Object.hasOwn(cfg.stage, '*') ? '*' : null);
}

/** The stage source of a data source, checked against its schema, with issues at `connections.N.stage.<key>`. */
function stageOf(cfg: NotionConnectionConfig, idx: number, raw: unknown, databaseId: string) {
  const ds = NotionDataSourceRaw.safeParse(raw);
  const id = ds.success ? ds.data.id : (idOf(raw) ?? '?');
  const key = stageKeyOf(cfg, id, databaseId);
  if (key === null) {
    return { ok: false as const, issues: [{ code: 'unknown_data_source', path: ['connections', idx, 'stage'], message: `connection "${cfg.id}", data source ${id} (database ${databaseId}): no stage source (add stage."${databaseId}", or a "*" entry)` }] };
  }
  // A database's or data source's own entry is checked option by option; `*` is checked across data sources (checkSources).
  const config: NotionStageConfig = key === '*' ? { '*': cfg.stage[key]! } : { [id]: cfg.stage[key]! };
  return resolveStage(raw, config, { connectionId: cfg.id, path: ['connections', idx, 'stage', key] });
}

const EXPECTED: Record<string, string[]> = { owner: ['people'], reviewers: ['people'], due: ['date'], files: ['files'], client: ['relation'], asset_type: [] };

/** Every check of the configuration against the live schemas, each naming the connection and the path. */
export function checkSources(cfg: NotionConnectionConfig, idx: number, sources: { databaseId: string; raw: unknown }[]): string[] {
  const problems: string[] = [];
  const base = `connections.${idx}`;
  const starOptions = new Set<string>();
  let starUsed = false;
  for (const { databaseId, raw } of sources) {
    const p = NotionDataSourceRaw.safeParse(raw);
    if (!p.success) {
      problems.push(`${base}: data source ${idOf(raw) ?? '?'} cannot be read (${p.error.issues[0]?.message ?? 'unexpected shape'})`);
      continue;
    }
    const ds = p.data;
    const on = `connection "${cfg.id}", data source ${ds.id} "${plainText(ds.title)}"`;
    const stage = stageOf(cfg, idx, raw, databaseId);
    if (!stage.ok) for (const i of stage.issues) problems.push(`${i.path.join('.')}: ${i.message}`);
    else if (stageKeyOf(cfg, ds.id, databaseId) === '*') {
      starUsed = true;
      for (const o of stage.value.options) starOptions.add(o.name);
    }
    const props = cfg.properties ?? {};
    for (const [role, ref] of Object.entries(props)) {
      for (const [j, one] of (Array.isArray(ref) ? ref.map((r, j) => [j, r] as const) : [[null, ref] as const])) {
        const path = `${base}.properties.${role}${j === null ? '' : `.${j}`}`;
        const prop = findProperty(ds.properties, one);
        if (!prop) problems.push(`${path}: ${on}: no property "${one}" (properties: ${Object.values(ds.properties).map((x) => `"${x.name}"`).join(', ')})`);
        else if (EXPECTED[role]?.length && !EXPECTED[role].includes(prop.type)) problems.push(`${path}: ${on}: property "${prop.name}" is a ${prop.type} property, not ${EXPECTED[role].join(' or ')}`);
      }
    }
    const d = cfg.decisions;
    if (d) {
      const stageId = stage.ok ? stage.value.propertyId : undefined;
      const roles = decisionRoles(ds.properties, { ...(d.property ? { property: d.property } : {}), ...(d.reviewer ? { reviewer: d.reviewer } : {}) }, stageId);
      if (d.property && !roles.decision) problems.push(`${base}.decisions.property: ${on}: no property "${d.property}"`);
      else if (roles.decision && roles.decision.type !== 'select' && roles.decision.type !== 'status') problems.push(`${base}.decisions.property: ${on}: property "${roles.decision.name}" is a ${roles.decision.type} property, not status or select`);
      if (d.reviewer && !roles.reviewer) problems.push(`${base}.decisions.reviewer: ${on}: no property "${d.reviewer}"`);
      else if (roles.reviewer && roles.reviewer.type !== 'people') problems.push(`${base}.decisions.reviewer: ${on}: property "${roles.reviewer.name}" is a ${roles.reviewer.type} property, not people`);
      if (d.map && roles.decision && (roles.decision.type === 'select' || roles.decision.type === 'status')) {
        const options = optionNames(roles.decision);
        for (const name of Object.keys(d.map)) if (!options.includes(name)) problems.push(`${base}.decisions.map.${name}: ${on}: property "${roles.decision.name}" has no option "${name}" (options: ${options.map((o) => `"${o}"`).join(', ')})`);
      }
    }
  }
  // A `*` map may name options some data sources lack, but an option none of them has is a typo.
  const star = cfg.stage['*'];
  if (star && starUsed) {
    for (const name of Object.keys(star.map)) {
      if (!starOptions.has(name)) problems.push(`${base}.stage.*.map.${name}: connection "${cfg.id}": no data source it applies to has a stage option "${name}" (options: ${[...starOptions].map((o) => `"${o}"`).join(', ')})`);
    }
  }
  return problems;
}

function optionNames(prop: NotionPropertyConfigRaw): string[] {
  return (prop.type === 'status' ? (prop.status?.options ?? []) : (prop.select?.options ?? [])).map((o) => o.name);
}

/**
 * The data sources of the connection as Notion serves them now, and every problem of the
 * configuration against them. Reads only (the plan and `stageline config check --live` share it).
 */
export async function inspectNotion(client: NotionClient, cfg: NotionConnectionConfig, idx: number): Promise<{ sources: { databaseId: string; raw: unknown }[]; problems: string[] }> {
  const problems: string[] = [];
  const sources: { databaseId: string; raw: unknown }[] = [];
  const wanted = cfg.data_sources ? new Set(cfg.data_sources) : null;
  const found = new Set<string>();
  const notShared = (err: unknown) => err instanceof ConnectorError && err.kind === 'not_found';
  for (const [j, databaseId] of cfg.databases.entries()) {
    let db;
    try {
      db = await client.database(databaseId);
    } catch (err) {
      if (!notShared(err)) throw err;
      problems.push(
        `connections.${idx}.databases.${j}: connection "${cfg.id}": database ${databaseId} answers 404 object_not_found: ` +
          'share the database with the integration (in Notion: the database\'s ••• menu → Connections → add the integration), or check the id',
      );
      continue;
    }
    for (const s of db.data_sources) {
      if (wanted && !wanted.has(s.id)) continue;
      found.add(s.id);
      try {
        sources.push({ databaseId: db.id, raw: await client.dataSource(s.id) });
      } catch (err) {
        if (!notShared(err)) throw err;
        problems.push(`connections.${idx}.databases.${j}: connection "${cfg.id}": data source ${s.id} "${s.name}" of database ${databaseId} answers 404 object_not_found: share it with the integration`);
      }
    }
  }
  cfg.data_sources?.forEach((id, k) => {
    if (!found.has(id)) problems.push(`connections.${idx}.data_sources.${k}: connection "${cfg.id}": data source ${id} is not in any of its databases that the integration can read`);
  });
  return { sources, problems: [...problems, ...checkSources(cfg, idx, sources)] };
}

/**
 * Finds the data sources to sync and checks the configuration against their schemas. One scope per
 * data source; full when asked, when a crawl is under way, when it has never been crawled, or when its
 * last crawl is older than `reconcile_every`. Only a plan with a full scope (or new configured ids)
 * reads the schemas again; otherwise the stored ones are checked against the configuration as it is.
 */
export async function planNotion(deps: ActivityDeps, cfg: NotionConnectionConfig, input: { syncRunId: string; mode: 'full' | 'incremental' }): Promise<Scope[]> {
  const idx = where(deps, cfg);
  const key = contentHash({ databases: cfg.databases, data_sources: cfg.data_sources ?? null, base_url: cfg.base_url ?? null });
  const known = await getCursor<SourceList>(deps.db, cfg.id, streams.sources);
  if (input.mode === 'incremental' && known && known.key === key) {
    const scopes = await scopesOf(deps, cfg, input.mode, known.dataSources);
    if (scopes.every((s) => s.mode === 'incremental')) {
      const stored: { databaseId: string; raw: unknown }[] = [];
      for (const id of known.dataSources) {
        const meta = await getCursor<SourceMeta>(deps.db, cfg.id, streams.source(id));
        if (meta) stored.push({ databaseId: meta.databaseId, raw: meta.dataSource });
      }
      const problems = checkSources(cfg, idx, stored);
      if (problems.length) throw invalidConfig(problems.join('; '));
      return scopes;
    }
  }
  const client = notionClientFor(deps, cfg);
  const fetchedAt = deps.clock().toISOString();
  const { sources, problems } = await guarded(deps, client, input.syncRunId, () => inspectNotion(client, cfg, idx));
  const batch = emptyBatch();
  const list: SourceList = { key, dataSources: [] };
  for (const { raw } of sources) {
    const p = normalizeDataSource(raw, { connectionId: cfg.id });
    if (p.ok) batch.projects.push(p.value);
    else batch.rejected.push({ stream: 'data_sources', externalId: idOf(raw), issues: p.issues, raw });
  }
  await withTransaction(deps.db, async (tx) => {
    if (!problems.length) {
      for (const { databaseId, raw } of sources) {
        const id = idOf(raw)!;
        const name = plainText(NotionDataSourceRaw.safeParse(raw).data?.title ?? []) || id;
        await setCursor(tx, cfg.id, streams.source(id), { dataSource: raw, databaseId, name, fetchedAt } satisfies SourceMeta);
        list.dataSources.push(id);
      }
      await setCursor(tx, cfg.id, streams.sources, list);
    }
    const c = await commitBatch(tx, batch, { connectionId: cfg.id, syncRunId: input.syncRunId, now: fetchedAt });
    await flush(tx, client, input.syncRunId, countsOf(c));
  });
  if (problems.length) throw invalidConfig(problems.join('; '));
  return scopesOf(deps, cfg, input.mode, list.dataSources);
}

async function scopesOf(deps: ActivityDeps, cfg: NotionConnectionConfig, mode: 'full' | 'incremental', ids: string[]): Promise<Scope[]> {
  const scopes: Scope[] = [];
  const reconcile = cfg.reconcile_every ? durationMs(cfg.reconcile_every) : null;
  const now = deps.clock().getTime();
  for (const id of ids) {
    const meta = await getCursor<SourceMeta>(deps.db, cfg.id, streams.source(id));
    const crawl = await getCursor<CrawlCursor>(deps.db, cfg.id, streams.crawl(id));
    const wm = await getCursor<Watermark>(deps.db, cfg.id, streams.changes(id));
    const due = reconcile !== null && wm !== null && now - Date.parse(wm.crawledAt) >= reconcile;
    scopes.push({ id, name: meta?.name ?? id, mode: mode === 'full' || crawl !== null || wm === null || due ? 'full' : 'incremental' });
  }
  return scopes;
}

// ---- reading pages --------------------------------------------------------------------------------------

interface SourceContext {
  meta: SourceMeta;
  ctx: Omit<NotionNormalizeContext, 'users'>;
}

async function sourceContext(deps: ActivityDeps, cfg: NotionConnectionConfig, ds: string): Promise<SourceContext> {
  const meta = await getCursor<SourceMeta>(deps.db, cfg.id, streams.source(ds));
  if (!meta) throw invalidConfig(`connection "${cfg.id}": data source ${ds} was not planned (run a full sync)`);
  const stage = stageOf(cfg, where(deps, cfg), meta.dataSource, meta.databaseId);
  if (!stage.ok) throw invalidConfig(stage.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const schema = NotionDataSourceRaw.parse(meta.dataSource);
  const p = cfg.properties;
  const d = cfg.decisions;
  return {
    meta,
    ctx: {
      connectionId: cfg.id,
      dataSource: { id: ds, projectId: dataSourceIdOf(cfg.id, ds), properties: schema.properties },
      stage: stage.value as ResolvedNotionStage,
      rolesOf: roleResolver(deps.config()),
      ...(p ? { properties: { ...(p.owner ? { owner: p.owner } : {}), ...(p.due ? { due: p.due } : {}), ...(p.asset_type ? { assetType: p.asset_type } : {}), ...(p.files ? { files: p.files } : {}) } } : {}),
      ...(d ? { decisions: { ...(d.property ? { property: d.property } : {}), ...(d.reviewer ? { reviewer: d.reviewer } : {}), ...(d.map ? { map: d.map } : {}) } } : {}),
    },
  };
}

function userOf(raw: unknown): NotionUser {
  const u = NotionUserRaw.safeParse(raw);
  if (!u.success) return { email: null, name: null, type: null };
  return { email: u.data.person?.email ?? null, name: u.data.name ?? null, type: u.data.type ?? null };
}

/** The first failure of a set of settled reads, to rethrow once what succeeded is committed. */
function firstFailure(r: PromiseSettledResult<unknown>[]): unknown {
  return r.find((x): x is PromiseRejectedResult => x.status === 'rejected')?.reason;
}

/**
 * Reads what queued pages need besides their payload — comments (when `needs` says so), the whole
 * lists the page object cut, the users they name — normalizes and commits them with their dequeue in
 * one transaction. Every page whose reads succeeded is committed even when another's failed (a 429 in
 * a storm): the failure is rethrown afterwards, so each attempt moves the queue on.
 */
async function drain(deps: ActivityDeps, cfg: NotionConnectionConfig, client: NotionClient, syncRunId: string, ds: string, queued: QueueItem[]): Promise<StepResult> {
  const sc = await sourceContext(deps, cfg, ds);
  const now = deps.clock().toISOString();
  const counts: Record<string, number> = {};
  const bump = (k: string, n = 1) => n && (counts[k] = (counts[k] ?? 0) + n);
  const users: UserCache = { ...((await getCursor<UserCache>(deps.db, cfg.id, streams.users)) ?? {}) };
  const fresh: UserCache = {};
  const ctxOf = (): NotionNormalizeContext => ({ ...sc.ctx, users: new Map(Object.entries({ ...users, ...fresh })) });
  const notFound = (err: unknown) => err instanceof ConnectorError && err.kind === 'not_found';

  // Comments and cut lists, per page (the limiter paces them; a slow-down pauses the rest).
  const bundles = await Promise.allSettled(
    queued.map(async (q): Promise<PageBundle> => {
      const page = q.detail?.page;
      const bundle: PageBundle = { page };
      if (q.needs.includes('comments')) {
        try {
          bundle.comments = await client.comments(q.externalId);
        } catch (err) {
          // The page left the integration's reach between the query and this read (manifest.ignore): its comments stay as stored.
          if (!notFound(err)) throw err;
          client.noteIgnored('GET /comments', 'object_not_found');
        }
      }
      const cut = normalizePage(bundle, ctxOf()).report.truncated;
      if (cut.length) {
        const items: Record<string, readonly unknown[]> = {};
        for (const t of cut) items[t.propertyId] = await client.propertyItems(q.externalId, t.propertyId);
        bundle.propertyItems = items;
      }
      return bundle;
    }),
  );
  const ready: { q: QueueItem; bundle: PageBundle }[] = [];
  bundles.forEach((b, i) => b.status === 'fulfilled' && ready.push({ q: queued[i]!, bundle: b.value }));

  // Users named and not known yet: one `GET /v1/users/{id}` each, kept for later pages and syncs.
  const missing = [...new Set(ready.flatMap((r) => userIdsIn(r.bundle)))].filter((u) => !Object.hasOwn(users, u));
  const looked = await Promise.allSettled(
    missing.map(async (u) => {
      // A user the integration cannot read (null) is a person without email, counted, not a failed sync.
      fresh[u] = userOf(await client.userOrNull(u));
    }),
  );
  const failedUsers = new Set(missing.filter((_, i) => looked[i]!.status === 'rejected'));
  const done = ready.filter((r) => !userIdsIn(r.bundle).some((u) => failedUsers.has(u)));

  const batch: Batch = emptyBatch();
  const ctx = ctxOf();
  for (const { bundle } of done) {
    const { batch: one, report } = normalizePage(bundle, ctx);
    mergeBatches(batch, one);
    if (report.unmappedStatus !== null) bump('notion.unmapped_status');
    bump('notion.unknown_users', report.unknownUsers.length);
    bump('notion.own_comments', report.ownComments);
    bump('notion.truncated_lists', report.truncated.length);
  }
  bump('tasks', done.length);
  bump('notion.comment_reads', done.filter((r) => r.bundle.comments !== undefined).length);
  const calls = client.counter.total;
  const c = await withTransaction(deps.db, async (tx) => {
    const r = await commitBatch(tx, batch, { connectionId: cfg.id, syncRunId, now });
    await dequeue(tx, cfg.id, ds, done.map((d) => d.q.externalId));
    if (Object.keys(fresh).length) await setCursor(tx, cfg.id, streams.users, { ...users, ...fresh });
    await flush(tx, client, syncRunId, { ...countsOf(r), ...counts });
    return r;
  });
  deps.heartbeat?.({ dataSource: ds, drained: done.length });
  const failure = firstFailure([...bundles, ...looked]);
  if (failure !== undefined) throw failure;
  const records = Object.values(c.records).reduce((n, r) => n + r.inserted + r.updated + r.unchanged, 0);
  return { done: false, tasks: done.length, records, rejected: c.rejected, apiCalls: calls };
}

// ---- steps --------------------------------------------------------------------------------------------

const idle = (): StepResult => ({ done: true, tasks: 0, records: 0, rejected: 0, apiCalls: 0 });

/**
 * One unit of work on a data source: drain what is queued, else (full mode) read the next page of
 * rows. `done` once the queue is empty and the crawl (if any) has finished.
 */
export async function stepNotion(deps: ActivityDeps, cfg: NotionConnectionConfig, input: { syncRunId: string; scope: Scope }): Promise<StepResult> {
  const client = notionClientFor(deps, cfg);
  return guarded(deps, client, input.syncRunId, () => step(deps, cfg, client, input.syncRunId, input.scope.id, input.scope.mode));
}

async function step(deps: ActivityDeps, cfg: NotionConnectionConfig, client: NotionClient, syncRunId: string, ds: string, mode: Scope['mode']): Promise<StepResult> {
  const queued = await peekQueue(deps.db, cfg.id, ds, DRAIN_BATCH);
  if (queued.length) return drain(deps, cfg, client, syncRunId, ds, queued);
  if (mode === 'incremental') return idle();

  const crawl = await getCursor<CrawlCursor>(deps.db, cfg.id, streams.crawl(ds));
  const now = deps.clock().toISOString();
  if (crawl?.lastPage) {
    // Every page is committed: what the crawl did not see is gone (trashed, deleted, moved to another data source).
    const tombstoned = await withTransaction(deps.db, async (tx) => {
      const n = await tombstoneUnseenAssets(tx, cfg.id, ds, dataSourceIdOf(cfg.id, ds), now);
      await deleteCursor(tx, cfg.id, streams.crawl(ds));
      // The next incremental window opens where this crawl began (minus the overlap).
      await setCursor(tx, cfg.id, streams.changes(ds), { at: crawl.startedAt, crawledAt: crawl.startedAt } satisfies Watermark);
      await addRunCounts(tx, syncRunId, n ? { tombstoned: n } : {}, {});
      return n;
    });
    deps.log.info('Notion crawl finished', { connection: cfg.id, dataSource: ds, tombstoned });
    return { done: true, tasks: 0, records: tombstoned, rejected: 0, apiCalls: 0 };
  }

  const cursor: CrawlCursor = crawl ?? { rows: null, lastPage: false, startedAt: now, pages: 0 };
  if (!crawl) await withTransaction(deps.db, (tx) => clearSeen(tx, cfg.id, ds));
  const page = await client.rowsPage(ds, cursor.rows);
  // The page and its cursor are committed first, the pages queued with their payloads: if reading their
  // comments fails (a 429), the retry drains the queue instead of querying the rows again.
  const items: QueueItem[] = [];
  const batch = emptyBatch();
  for (const raw of page.rows) {
    const id = idOf(raw);
    if (id === null) batch.rejected.push({ stream: 'pages', externalId: null, issues: [{ code: 'invalid_type', path: ['id'], message: 'a page without an id' }], raw });
    else items.push({ externalId: id, needs: ['page', 'comments'], detail: { page: withoutExpiringUrls(raw) } });
  }
  const next: CrawlCursor = { rows: page.next, lastPage: page.next === null, startedAt: cursor.startedAt, pages: cursor.pages + 1 };
  const calls = client.counter.total;
  await withTransaction(deps.db, async (tx) => {
    await enqueue(tx, cfg.id, ds, items);
    await markSeen(tx, cfg.id, ds, items.map((i) => i.externalId));
    await setCursor(tx, cfg.id, streams.crawl(ds), next);
    const c = batch.rejected.length ? await commitBatch(tx, batch, { connectionId: cfg.id, syncRunId, now }) : null;
    // A new created_time window: the previous query stopped at the 10,000-row cap (client.ts rowsPage).
    const newWindow = page.next !== null && page.next.windows > (cursor.rows?.windows ?? 1);
    await flush(tx, client, syncRunId, { ...(c ? countsOf(c) : {}), pages: 1, ...(newWindow ? { 'notion.query_windows': 1 } : {}) });
  });
  deps.heartbeat?.({ dataSource: ds, pages: next.pages });
  const drained = items.length ? await drain(deps, cfg, client, syncRunId, ds, items) : { done: false, tasks: 0, records: 0, rejected: 0, apiCalls: 0 };
  return { ...drained, done: false, rejected: drained.rejected + batch.rejected.length, apiCalls: drained.apiCalls + calls };
}

// ---- incremental ----------------------------------------------------------------------------------------

/**
 * Finds the pages of a data source edited or trashed since its window opened and queues them (read by
 * the steps, as a crawl's are). `recrawl: true` when the data source has never been crawled.
 */
export async function pullNotionChanges(deps: ActivityDeps, cfg: NotionConnectionConfig, input: { syncRunId: string; scope: Scope }): Promise<{ recrawl: boolean; queued: number; events: number }> {
  const ds = input.scope.id;
  const wm = await getCursor<Watermark>(deps.db, cfg.id, streams.changes(ds));
  if (!wm) return { recrawl: true, queued: 0, events: 0 };
  const client = notionClientFor(deps, cfg);
  return guarded(deps, client, input.syncRunId, () => pull(deps, cfg, client, input.syncRunId, ds, wm));
}

async function pull(deps: ActivityDeps, cfg: NotionConnectionConfig, client: NotionClient, syncRunId: string, ds: string, wm: Watermark): Promise<{ recrawl: boolean; queued: number; events: number }> {
  // The window closes when this pull starts: an edit after that is in the next window.
  const closes = deps.clock().toISOString();
  const from = iso(Date.parse(wm.at) - durationMs(cfg.overlap));
  // The minute the previous window closed in: a page edited (or commented on) again later in that
  // minute keeps the last_edited_time already stored, so its comments are read again.
  const lastMinute = Math.floor(Date.parse(wm.at) / MINUTE) * MINUTE;
  const projectId = dataSourceIdOf(cfg.id, ds);
  let queued = 0;
  let events = 0;
  const counts: Record<string, number> = {};

  const storedTimes = async (ids: string[]) => {
    const { rows } = await deps.db.query<{ external_id: string; t: Date | null; deleted: boolean }>(
      'SELECT external_id, remote_updated_at AS t, deleted_at IS NOT NULL AS deleted FROM core.assets WHERE connection_id = $1 AND project_id = $2 AND external_id = ANY($3::text[])',
      [cfg.id, projectId, ids],
    );
    return new Map(rows.map((r) => [r.external_id, r]));
  };

  // Live rows edited in the window; each page of the answer is queued as it comes (the watermark moves at the end).
  for (let cursor: RowsCursor | null = null, first = true; first || cursor; first = false) {
    const page = await client.changedSince(ds, from, cursor);
    cursor = page.next;
    const ids = page.rows.map(idOf).filter((x): x is string => x !== null);
    const stored = await storedTimes(ids);
    const items: QueueItem[] = [];
    for (const raw of page.rows) {
      const id = idOf(raw);
      if (id === null) continue;
      const t = editedAt(raw);
      const s = stored.get(id);
      const moved = !s || s.deleted || s.t === null || t === null || Date.parse(t) > s.t.getTime() || Date.parse(t) >= lastMinute;
      items.push({ externalId: id, needs: moved ? ['page', 'comments'] : ['page'], detail: { page: withoutExpiringUrls(raw) } });
      if (!moved) counts['notion.comments_skipped'] = (counts['notion.comments_skipped'] ?? 0) + 1;
    }
    events += page.rows.length;
    queued += items.length;
    if (items.length) await withTransaction(deps.db, (tx) => enqueue(tx, cfg.id, ds, items));
  }

  // Rows moved to the trash in the window: a query serves the live rows or the trash, never both
  // (`in_trash: true`, simulator server.ts; data-sources.d.ts QueryDataSourceBodyParameters), so they
  // are asked for on their own. Only pages stored live matter: the others were never synced. With
  // `trash_check: reconcile` they are left to the next reconciliation crawl (one call less per data source).
  if (cfg.trash_check === 'reconcile') counts['notion.trash_left_to_reconcile'] = 1;
  else for (let cursor: RowsCursor | null = null, first = true; first || cursor; first = false) {
    const page = await client.changedSince(ds, from, cursor, { inTrash: true });
    cursor = page.next;
    const ids = page.rows.map(idOf).filter((x): x is string => x !== null);
    const stored = await storedTimes(ids);
    const items: QueueItem[] = page.rows
      .filter((raw) => {
        const s = stored.get(idOf(raw) ?? '');
        return s !== undefined && !s.deleted;
      })
      .map((raw) => ({ externalId: idOf(raw)!, needs: ['page'], detail: { page: withoutExpiringUrls(raw) } }));
    events += page.rows.length;
    queued += items.length;
    counts['notion.trashed'] = (counts['notion.trashed'] ?? 0) + items.length;
    if (items.length) await withTransaction(deps.db, (tx) => enqueue(tx, cfg.id, ds, items));
  }

  await withTransaction(deps.db, async (tx) => {
    await setCursor(tx, cfg.id, streams.changes(ds), { at: closes, crawledAt: wm.crawledAt } satisfies Watermark);
    await flush(tx, client, syncRunId, { ...counts, events, queued });
  });
  return { recrawl: false, queued, events };
}
