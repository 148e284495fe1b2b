// The Asana sync engine. Each call is one bounded unit of work (a page): it pulls from Asana, and
// commits records, cursors and the fetch queue in one transaction, so a crash, a rate limit or a
// worker restart resumes exactly where the last commit left off, with no gap and no duplicate.
//
// Full crawl of a project:   tasks page (≤100) → queue (with the task payloads) + cursor + seen set
//                            → children per task (stories; attachments only when a story says a file
//                            was attached; subtasks only when num_subtasks > 0; stories of approval
//                            subtasks) → normalize → commit, dequeue.
//                            After the last page: what the crawl did not see is tombstoned.
// Incremental (Events API):  events since the stored sync token → changed tasks (one modified_since
//                            listing per project, not a GET per task) → queue with exactly the children
//                            the events call for → same drain as above. A 412 → fresh token + re-crawl.
import { stableId } from '../mapping/ids';
import { emptyBatch, mergeBatches } from '../mapping/model';
import { roleResolver, type AsanaConnectionConfig } from '../mapping/config';
import { AsanaClient, AbortedRequest } from '../connectors/asana/client';
import { manifest } from '../connectors/asana/manifest';
import { assetIdOf, normalizeProject, normalizeTaskBundle, type AsanaNormalizeContext, type TaskBundle } from '../connectors/asana/normalize';
import { AsanaEventRaw, AsanaSectionRaw } from '../connectors/asana/raw';
import { CallCounter, ConnectorError } from '../connectors/types';
import { toIssues } from '../mapping/model';
import { limiterFor, type ActivityDeps } from './context';
import {
  addRunCounts, commitBatch, countsOf, dequeue, deleteCursor, enqueue, getCursor, markSeen, peekQueue,
  setCursor, tombstoneUnseenAssets, withTransaction, type QueueItem,
} from './db/store';
import { invalidConfig } from './failures';

export const DRAIN_BATCH = 100;

/** Story subtypes normalize turns into records: comments, stage moves, uploads, approval decisions. */
const STORY_SUBTYPES_READ = new Set(['comment_added', 'section_changed', 'enum_custom_field_changed', 'attachment_added', 'approval_status_changed']);

export interface Scope {
  /** Asana project gid. */
  id: string;
  name: string;
  mode: 'full' | 'incremental';
}

export interface StepResult {
  done: boolean;
  tasks: number;
  records: number;
  rejected: number;
  apiCalls: number;
}

/** Who uploaded a file and when, from the events feed (stands in for the attachment_added story). */
interface UploadHint {
  storyGid: string | null;
  user: { gid: string; name?: string | null } | null;
  at: string | null;
}

interface CrawlCursor {
  offset: string | null;
  lastPage: boolean;
  startedAt: string;
  pages: number;
}
interface EventsCursor {
  sync: string;
  at: string;
}

const streams = {
  crawl: (p: string) => `asana:crawl:${p}`,
  events: (p: string) => `asana:events:${p}`,
  sections: (p: string) => `asana:sections:${p}`,
};

function clientFor(deps: ActivityDeps, cfg: AsanaConnectionConfig, abortIf?: () => boolean): AsanaClient {
  const limiter = limiterFor(deps, cfg);
  return new AsanaClient({ token: cfg.token, ...(cfg.base_url ? { baseUrl: cfg.base_url } : {}), limiter, counter: new CallCounter(), ...(abortIf ? { abortIf } : {}) });
}

function normalizeCtx(deps: ActivityDeps, cfg: AsanaConnectionConfig, projectGid: string, sectionGids?: string[]): AsanaNormalizeContext {
  return {
    connectionId: cfg.id,
    project: { gid: projectGid, id: stableId(cfg.id, 'asana_project', projectGid), ...(sectionGids ? { sectionGids: new Set(sectionGids) } : {}) },
    stage: { source: cfg.stage.source, map: cfg.stage.map },
    rolesOf: roleResolver(deps.config()),
  };
}

/** Resolves the projects to sync. Lists the workspace on a full sync (or the first), else uses the stored list. */
export async function planAsana(deps: ActivityDeps, cfg: AsanaConnectionConfig, input: { syncRunId: string; mode: 'full' | 'incremental' }): Promise<Scope[]> {
  const client = clientFor(deps, cfg);
  const now = deps.clock().toISOString();
  const { rows: stored } = await deps.db.query<{ external_id: string; name: string }>(
    'SELECT external_id, name FROM core.projects WHERE connection_id = $1 AND deleted_at IS NULL ORDER BY external_id',
    [cfg.id],
  );
  let projects: { gid: string; name: string }[];
  if (input.mode === 'full' || stored.length === 0) {
    const raws = await client.listProjects(cfg.workspace);
    const batch = emptyBatch();
    for (const raw of raws) {
      const n = normalizeProject(raw, { connectionId: cfg.id });
      if (n.ok) batch.projects.push(n.value);
      else batch.rejected.push({ stream: 'projects', externalId: (raw as { gid?: string }).gid ?? null, issues: n.issues, raw });
    }
    const wanted = cfg.projects === 'all' ? batch.projects.filter((p) => !p.archived) : batch.projects.filter((p) => (cfg.projects as string[]).includes(p.externalId));
    if (cfg.projects !== 'all') {
      const known = new Set(batch.projects.map((p) => p.externalId));
      const missing = cfg.projects.filter((g) => !known.has(g));
      if (missing.length) {
        const idx = deps.config().connections.findIndex((c) => c.id === cfg.id);
        throw invalidConfig(
          `connections.${idx}.projects: ${missing.map((g) => `project ${g}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in Asana workspace ${cfg.workspace} ` +
            `(or the token cannot see ${missing.length === 1 ? 'it' : 'them'}); the workspace has ${known.size} project${known.size === 1 ? '' : 's'}`,
        );
      }
    }
    batch.projects = wanted;
    await withTransaction(deps.db, async (tx) => {
      const c = await commitBatch(tx, batch, { connectionId: cfg.id, syncRunId: input.syncRunId, now });
      await addRunCounts(tx, input.syncRunId, countsOf(c), client.counter.drain());
    });
    projects = wanted.map((p) => ({ gid: p.externalId, name: p.name }));
  } else {
    projects = stored
      .filter((p) => cfg.projects === 'all' || cfg.projects.includes(p.external_id))
      .map((p) => ({ gid: p.external_id, name: p.name }));
  }
  const scopes: Scope[] = [];
  for (const p of projects) {
    const crawl = await getCursor<CrawlCursor>(deps.db, cfg.id, streams.crawl(p.gid));
    const events = await getCursor<EventsCursor>(deps.db, cfg.id, streams.events(p.gid));
    if (input.mode === 'full' && !crawl) {
      // Restart any finished crawl from the first page.
      await withTransaction(deps.db, (tx) => deleteCursor(tx, cfg.id, streams.crawl(p.gid)));
    }
    scopes.push({ id: p.gid, name: p.name, mode: input.mode === 'full' || crawl || !events ? 'full' : 'incremental' });
  }
  return scopes;
}

/**
 * One unit of work on a project: drain the fetch queue if anything is queued, else (full mode) pull
 * the next tasks page. `done` once the queue is empty and the crawl (if any) has finished.
 */
export async function stepAsana(deps: ActivityDeps, cfg: AsanaConnectionConfig, input: { syncRunId: string; scope: Scope }): Promise<StepResult> {
  const project = input.scope.id;
  const queued = await peekQueue(deps.db, cfg.id, project, DRAIN_BATCH);
  if (queued.length) return drain(deps, cfg, input.syncRunId, project, queued);
  if (input.scope.mode === 'incremental') return { done: true, tasks: 0, records: 0, rejected: 0, apiCalls: 0 };

  const crawl = await getCursor<CrawlCursor>(deps.db, cfg.id, streams.crawl(project));
  const now = deps.clock().toISOString();
  if (crawl?.lastPage) {
    // Every page and every queued child is committed: what the crawl did not see is gone.
    const tombstoned = await withTransaction(deps.db, async (tx) => {
      const n = await tombstoneUnseenAssets(tx, cfg.id, project, stableId(cfg.id, 'asana_project', project), now);
      await deleteCursor(tx, cfg.id, streams.crawl(project));
      await addRunCounts(tx, input.syncRunId, n ? { tombstoned: n } : {}, {});
      return n;
    });
    deps.log.info('crawl finished', { connection: cfg.id, project, tombstoned });
    return { done: true, tasks: 0, records: tombstoned, rejected: 0, apiCalls: 0 };
  }

  const client = clientFor(deps, cfg);
  const cursor: CrawlCursor = crawl ?? { offset: null, lastPage: false, startedAt: now, pages: 0 };
  let eventsToken: string | null = null;
  let sections: string[] | null = null;
  if (!crawl) {
    // Take the events token BEFORE the first page, so nothing that changes during the crawl is missed.
    const existing = await getCursor<EventsCursor>(deps.db, cfg.id, streams.events(project));
    if (!existing) {
      const r = await client.events(project, null);
      eventsToken = r.sync;
    }
    sections = await fetchSectionGids(client, project);
  }
  let page;
  try {
    page = await client.tasksPage(project, { offset: cursor.offset });
  } catch (err) {
    // Asana offsets "expire after some time" (asana_oas.yaml, `offset` parameter): a 400 on a stored
    // offset restarts the crawl from the first page instead of failing it; content hashes make the
    // repeated pages free.
    if (!(cursor.offset && err instanceof ConnectorError && err.details.status === 400)) throw err;
    deps.log.warn('Asana offset rejected; restarting the crawl of the project', { connection: cfg.id, project });
    await withTransaction(deps.db, (tx) => deleteCursor(tx, cfg.id, streams.crawl(project)));
    return { done: false, tasks: 0, records: 0, rejected: 0, apiCalls: client.counter.total };
  }
  const items: QueueItem[] = [];
  const batch = emptyBatch();
  for (const raw of page.data) {
    const gid = (raw as { gid?: unknown }).gid;
    if (typeof gid !== 'string' || !/^\d+$/.test(gid)) {
      batch.rejected.push({ stream: 'tasks', externalId: null, issues: [{ code: 'invalid_type', path: ['gid'], message: 'a task without a valid gid' }], raw });
      continue;
    }
    const numSubtasks = (raw as { num_subtasks?: unknown }).num_subtasks;
    items.push({ externalId: gid, needs: ['stories', 'attachments_if_any', ...(typeof numSubtasks === 'number' && numSubtasks > 0 ? ['subtasks'] : [])], detail: { task: raw } });
  }
  const next: CrawlCursor = { offset: page.nextOffset, lastPage: page.nextOffset === null, startedAt: cursor.startedAt, pages: cursor.pages + 1 };
  await withTransaction(deps.db, async (tx) => {
    await enqueue(tx, cfg.id, project, items);
    await markSeen(tx, cfg.id, project, items.map((i) => i.externalId));
    await setCursor(tx, cfg.id, streams.crawl(project), next);
    if (eventsToken) await setCursor(tx, cfg.id, streams.events(project), { sync: eventsToken, at: now } satisfies EventsCursor);
    if (sections) await setCursor(tx, cfg.id, streams.sections(project), sections);
    const c = batch.rejected.length ? await commitBatch(tx, batch, { connectionId: cfg.id, syncRunId: input.syncRunId, now }) : null;
    await addRunCounts(tx, input.syncRunId, c ? countsOf(c) : {}, client.counter.drain());
  });
  deps.heartbeat?.({ project, pages: next.pages });
  const drained = await drain(deps, cfg, input.syncRunId, project, items);
  return { ...drained, apiCalls: drained.apiCalls + 1 + (eventsToken ? 1 : 0), rejected: drained.rejected + batch.rejected.length, done: false };
}

async function fetchSectionGids(client: AsanaClient, project: string): Promise<string[]> {
  const raws = await client.listSections(project);
  return raws.map((r) => AsanaSectionRaw.safeParse(r)).filter((r) => r.success).map((r) => r.data.gid);
}

/**
 * Fetches the children each queued task needs and commits every task whose fetch completed, in one
 * transaction with its dequeue. If a request fails (a 429, a revoked token…), the rest of the page
 * stops, what completed is still committed, and the error is rethrown for Temporal to retry.
 */
async function drain(deps: ActivityDeps, cfg: AsanaConnectionConfig, syncRunId: string, project: string, items: QueueItem[]): Promise<StepResult> {
  let failure: unknown = null;
  const client = clientFor(deps, cfg, () => failure !== null);
  const now = deps.clock().toISOString();
  let sectionGids = (await getCursor<string[]>(deps.db, cfg.id, streams.sections(project))) ?? undefined;
  const bundles: TaskBundle[] = [];
  const gone: string[] = [];
  const done: string[] = [];
  const known = await knownPeople(deps, cfg.id, items.flatMap((i) => ((i.detail?.uploads as UploadHint[] | undefined) ?? []).map((h) => h.user?.gid ?? '')).filter(Boolean));
  const uploaders = await knownUploaders(deps, cfg.id, items.filter((i) => !i.needs.includes('stories') && i.needs.includes('attachments')).map((i) => i.externalId));
  await Promise.all(
    items.map(async (item) => {
      try {
        const b = await fetchBundle(client, item, known);
        if (b === 'gone') gone.push(item.externalId);
        else bundles.push(uploaders.has(item.externalId) ? { ...b, knownUploaders: uploaders.get(item.externalId)! } : b);
        done.push(item.externalId);
      } catch (err) {
        if (!(err instanceof AbortedRequest) && failure === null) failure = err;
      }
    }),
  );
  // A story that moved a task into a section we have not seen: the project has a new section.
  if (failure === null && sectionGids && bundles.some((b) => (b.stories ?? []).some((s) => isUnknownSectionMove(s, sectionGids!)))) {
    try {
      sectionGids = await fetchSectionGids(client, project);
    } catch (err) {
      failure = err;
    }
  }
  const ctx = normalizeCtx(deps, cfg, project, sectionGids);
  const batch = emptyBatch();
  for (const b of bundles) mergeBatches(batch, normalizeTaskBundle(b, ctx));
  if (gone.length) batch.tombstones.push({ kind: 'asset', ids: gone.map((g) => assetIdOf(cfg.id, g)), at: now });
  const counts = await withTransaction(deps.db, async (tx) => {
    const c = await commitBatch(tx, batch, { connectionId: cfg.id, syncRunId, now });
    await dequeue(tx, cfg.id, project, done);
    if (sectionGids) await setCursor(tx, cfg.id, streams.sections(project), sectionGids);
    await addRunCounts(tx, syncRunId, { ...countsOf(c), tasks: bundles.length }, client.counter.drain());
    return c;
  });
  deps.heartbeat?.({ project, drained: done.length });
  if (failure !== null) throw failure;
  const records = Object.values(counts.records).reduce((n, r) => n + r.inserted + r.updated + r.unchanged, 0);
  return { done: false, tasks: bundles.length, records, rejected: counts.rejected, apiCalls: client.counter.total };
}

function isUnknownSectionMove(story: unknown, known: string[]): boolean {
  const s = story as { resource_subtype?: string; new_section?: { gid?: string } };
  return s.resource_subtype === 'section_changed' && typeof s.new_section?.gid === 'string' && !known.includes(s.new_section.gid);
}

/** Emails and names of vendor users Stageline has already seen (person identities), by user gid. */
async function knownPeople(deps: ActivityDeps, connectionId: string, gids: string[]): Promise<Map<string, { email: string | null; name: string | null }>> {
  if (!gids.length) return new Map();
  const { rows } = await deps.db.query<{ external_id: string; email: string | null; name: string | null }>(
    `SELECT i.external_id, p.email, p.name FROM core.person_identities i JOIN core.persons p ON p.id = i.person_id
      WHERE i.connection_id = $1 AND i.external_id = ANY($2::text[])`,
    [connectionId, [...new Set(gids)]],
  );
  return new Map(rows.map((r) => [r.external_id, { email: r.email, name: r.name }]));
}

/** Uploaders of the attachments already stored, per task gid: kept when a sync reads attachments without stories. */
async function knownUploaders(deps: ActivityDeps, connectionId: string, taskGids: string[]): Promise<Map<string, Record<string, string>>> {
  if (!taskGids.length) return new Map();
  const { rows } = await deps.db.query<{ task: string; attachment: string; created_by: string }>(
    `SELECT a.external_id AS task, v.external_id AS attachment, v.created_by FROM core.versions v JOIN core.assets a ON a.id = v.asset_id
      WHERE v.connection_id = $1 AND a.connection_id = $1 AND a.external_id = ANY($2::text[]) AND v.created_by IS NOT NULL AND v.source = 'attachment'`,
    [connectionId, taskGids],
  );
  const out = new Map<string, Record<string, string>>();
  for (const r of rows) out.set(r.task, { ...out.get(r.task), [r.attachment]: r.created_by });
  return out;
}

async function fetchBundle(client: AsanaClient, item: QueueItem, people: Map<string, { email: string | null; name: string | null }> = new Map()): Promise<TaskBundle | 'gone'> {
  const gid = item.externalId;
  const needs = new Set(item.needs);
  try {
    const task = (item.detail?.task as unknown) ?? (await client.task(gid));
    const stories = needs.has('stories') ? await client.stories(gid) : undefined;
    const hasUploads = (stories ?? []).some((s) => (s as { resource_subtype?: string }).resource_subtype === 'attachment_added');
    const numSubtasks = (task as { num_subtasks?: number }).num_subtasks ?? 0;
    const wantAttachments = needs.has('attachments') || (needs.has('attachments_if_any') && hasUploads);
    const wantSubtasks = needs.has('subtasks') || (needs.has('subtasks_if_any') && numSubtasks > 0);
    const [attachments, subtasks] = await Promise.all([
      wantAttachments ? client.attachments(gid) : Promise.resolve(undefined),
      wantSubtasks ? fetchApprovalSubtasks(client, gid) : Promise.resolve(undefined),
    ]);
    // Uploads known from events stand in for attachment_added stories when stories were not fetched.
    const hints = (item.detail?.uploads as UploadHint[] | undefined) ?? [];
    const uploads = !stories && hints.length
      ? hints.filter((h) => h.at).map((h, i) => ({
          gid: h.storyGid ?? `${gid}${i}`,
          resource_subtype: 'attachment_added',
          created_at: h.at,
          created_by: h.user ? { gid: h.user.gid, name: h.user.name ?? people.get(h.user.gid)?.name ?? null, email: people.get(h.user.gid)?.email ?? null } : null,
        }))
      : undefined;
    return { task, ...(stories ? { stories } : {}), ...(uploads ? { uploads } : {}), ...(attachments ? { attachments } : {}), ...(subtasks ? { subtasks } : {}) };
  } catch (err) {
    // Deleted between the listing (or the event) and this fetch: a tombstone, not a failure.
    if (err instanceof ConnectorError && err.kind === 'not_found') return 'gone';
    throw err;
  }
}

async function fetchApprovalSubtasks(client: AsanaClient, gid: string): Promise<{ task: unknown; stories?: unknown[] }[]> {
  const subs = await client.subtasks(gid);
  return Promise.all(
    subs.map(async (s) => ((s as { resource_subtype?: string }).resource_subtype === 'approval' ? { task: s, stories: await client.stories((s as { gid: string }).gid) } : { task: s })),
  );
}

/**
 * Reads the project's events since the stored sync token and queues exactly the work they call for.
 * Returns `recrawl: true` when there is no valid token (first sync, or a 412: events were lost).
 */
export async function pullAsanaChanges(deps: ActivityDeps, cfg: AsanaConnectionConfig, input: { syncRunId: string; scope: Scope }): Promise<{ recrawl: boolean; queued: number; events: number }> {
  const project = input.scope.id;
  const client = clientFor(deps, cfg);
  const now = deps.clock().toISOString();
  const stored = await getCursor<EventsCursor>(deps.db, cfg.id, streams.events(project));
  if (!stored) return { recrawl: true, queued: 0, events: 0 };
  const raws: unknown[] = [];
  let sync = stored.sync;
  for (;;) {
    const r = await client.events(project, sync);
    if (!r.ok) {
      // The token expired or was invalidated: events were lost. Keep the fresh token and re-crawl;
      // stable ids and content hashes make the re-crawl write no duplicate.
      await withTransaction(deps.db, async (tx) => {
        await setCursor(tx, cfg.id, streams.events(project), { sync: r.sync, at: now } satisfies EventsCursor);
        await deleteCursor(tx, cfg.id, streams.crawl(project));
        await addRunCounts(tx, input.syncRunId, { 'events.expired': 1 }, client.counter.drain());
      });
      deps.log.warn('Asana sync token expired; re-crawling the project', { connection: cfg.id, project });
      return { recrawl: true, queued: 0, events: 0 };
    }
    raws.push(...r.events);
    sync = r.sync;
    if (!r.hasMore) break;
  }

  const batch = emptyBatch();
  const changed = new Set<string>();
  const needs = new Map<string, Set<string>>();
  const need = (gid: string, ...what: string[]) => {
    const s = needs.get(gid) ?? new Set<string>();
    what.forEach((w) => s.add(w));
    needs.set(gid, s);
  };
  const deleted = new Set<string>();
  const uploads = new Map<string, UploadHint[]>();
  const hint = (gid: string, h: UploadHint) => uploads.set(gid, [...(uploads.get(gid) ?? []), h]);
  const subtaskParents = new Map<string, string>();
  let oldest: string | null = null;
  for (const raw of raws) {
    const p = AsanaEventRaw.safeParse(raw);
    if (!p.success) {
      batch.rejected.push({ stream: 'events', externalId: null, issues: toIssues(p.error), raw });
      continue;
    }
    const e = p.data;
    if (e.created_at && (!oldest || e.created_at < oldest)) oldest = e.created_at;
    const { resource, parent, action } = e;
    if (resource.resource_type === 'task') {
      if (action === 'deleted') deleted.add(resource.gid);
      else if (action === 'removed' && parent?.resource_type === 'project' && parent.gid === project) deleted.add(resource.gid);
      else if (parent?.resource_type === 'task') {
        subtaskParents.set(resource.gid, parent.gid);
        need(parent.gid, 'subtasks');
      } else changed.add(resource.gid);
      if (action === 'undeleted') deleted.delete(resource.gid);
    } else if (resource.resource_type === 'story' && parent?.resource_type === 'task') {
      // Only stories Stageline reads call for a stories fetch (a rename's name_changed story does not).
      const sub = resource.resource_subtype ?? null;
      if (sub === 'attachment_added') {
        // The uploader is the event's user: no stories fetch just to learn who attached a file.
        need(parent.gid, 'attachments');
        hint(parent.gid, { storyGid: resource.gid, user: e.user ?? null, at: e.created_at ?? null });
      } else if (sub === null || STORY_SUBTYPES_READ.has(sub)) need(parent.gid, 'stories');
      else changed.add(parent.gid);
    } else if (resource.resource_type === 'attachment' && parent?.resource_type === 'task') {
      need(parent.gid, 'attachments');
      hint(parent.gid, { storyGid: null, user: e.user ?? null, at: e.created_at ?? null });
    }
  }

  // Which of the gids are approval subtasks of known assets (their changes mean: re-read the parent's subtasks)?
  const mentioned = [...new Set([...changed, ...needs.keys(), ...deleted])];
  const { rows: subLinks } = mentioned.length
    ? await deps.db.query<{ external_id: string; parent: string }>(
        `SELECT l.external_id, a.external_id AS parent FROM core.asset_links l JOIN core.assets a ON a.id = l.asset_id
          WHERE l.connection_id = $1 AND l.external_id = ANY($2::text[]) AND l.kind = 'asana_subtask'`,
        [cfg.id, mentioned],
      )
    : { rows: [] };
  for (const l of subLinks) subtaskParents.set(l.external_id, l.parent);
  for (const [sub, parent] of subtaskParents) {
    changed.delete(sub);
    deleted.delete(sub);
    needs.delete(sub);
    need(parent, 'subtasks');
  }
  for (const g of deleted) {
    changed.delete(g);
    needs.delete(g);
  }
  for (const g of needs.keys()) changed.add(g);
  // Tasks never seen before get everything a crawl would fetch for them.
  const { rows: knownRows } = changed.size
    ? await deps.db.query<{ external_id: string }>(
        `SELECT external_id FROM core.asset_links WHERE connection_id = $1 AND kind = 'asana_task' AND external_id = ANY($2::text[])`,
        [cfg.id, [...changed]],
      )
    : { rows: [] };
  const known = new Set(knownRows.map((r) => r.external_id));

  // Changed tasks: one modified_since listing per project (≤100 per call) rather than a GET per task.
  const payloads = new Map<string, unknown>();
  if (changed.size > 1 && oldest) {
    const since = new Date(Date.parse(oldest) - 60_000).toISOString();
    let offset: string | null = null;
    do {
      const page = await client.tasksPage(project, { offset, modifiedSince: since });
      for (const t of page.data) {
        const gid = (t as { gid?: string }).gid;
        if (gid && changed.has(gid)) payloads.set(gid, t);
      }
      offset = page.nextOffset;
    } while (offset);
  }
  const items: QueueItem[] = [...changed].map((gid) => {
    const wants = needs.get(gid) ?? new Set<string>();
    const fresh = !known.has(gid);
    const list = fresh ? ['stories', 'attachments_if_any', 'subtasks_if_any', ...wants] : [...wants];
    const detail: Record<string, unknown> = {};
    if (payloads.has(gid)) detail.task = payloads.get(gid);
    if (uploads.has(gid)) detail.uploads = uploads.get(gid);
    return { externalId: gid, needs: [...new Set(list)], detail };
  });
  if (deleted.size) batch.tombstones.push({ kind: 'asset', ids: [...deleted].map((g) => assetIdOf(cfg.id, g)), at: now });
  await withTransaction(deps.db, async (tx) => {
    await enqueue(tx, cfg.id, project, items);
    const c = await commitBatch(tx, batch, { connectionId: cfg.id, syncRunId: input.syncRunId, now });
    await setCursor(tx, cfg.id, streams.events(project), { sync, at: now } satisfies EventsCursor);
    await addRunCounts(tx, input.syncRunId, { ...countsOf(c), events: raws.length }, client.counter.drain());
  });
  return { recrawl: false, queued: items.length, events: raws.length };
}

/** Checks a token against the API: used by `stageline status`/the API's connection check. */
export async function checkAsanaToken(deps: ActivityDeps, cfg: AsanaConnectionConfig): Promise<{ gid: string; name?: string; email?: string }> {
  return clientFor(deps, cfg).me();
}

export { manifest as asanaManifest };
