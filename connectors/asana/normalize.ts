// Asana → model. Pure: no I/O, no clock; ids, the stage map and roles come in through ctx (STYLE.md §5).
import { z } from 'zod';
import { personId, stableId } from '../../mapping/ids';
import { driveFileIdsIn } from '../../mapping/linking';
import { readStamp } from '../stamp';
import {
  Asset, AssetLink, Comment, Decision, type Person, Project, StageTransition, Version,
  emptyBatch, toIssues, type Batch, type DecisionKind, type FieldValue, type Normalized,
} from '../../mapping/model';
import { AsanaAttachmentRaw, AsanaProjectRaw, AsanaStoryRaw, AsanaTaskRaw, type AsanaStoryRaw as Story, type AsanaTaskRaw as Task } from './raw';

export type StageSource = { from: 'section' } | { from: 'custom_field'; field: string };

export interface AsanaNormalizeContext {
  connectionId: string;
  project: { gid: string; id: string; sectionGids?: ReadonlySet<string> };
  stage: { source: StageSource; map: Readonly<Record<string, string>> };
  /** A person's roles by email, from stageline.yaml `people`. */
  rolesOf: (email: string | null | undefined) => readonly string[];
  assetTypeField?: string;
}

/** One task and whatever children were fetched with it; a missing list means "not fetched this time". */
export interface TaskBundle {
  task: unknown;
  stories?: unknown[];
  attachments?: unknown[];
  subtasks?: { task: unknown; stories?: unknown[] }[];
  /** attachment_added stories known without fetching the stories (from the events feed): uploaders only. */
  uploads?: unknown[];
  /** Uploaders already known for attachments (by attachment gid), for when the stories were not fetched. */
  knownUploaders?: Readonly<Record<string, string>>;
}

const APPROVAL_TO_DECISION: Record<string, DecisionKind | undefined> = {
  approved: 'approved',
  changes_requested: 'changes_requested',
  rejected: 'rejected',
};

/** An Asana URL or null: a malformed URL is not a reason to reject a whole task. */
function urlOrNull(u: string | null | undefined): string | null {
  return u && z.url().safeParse(u).success ? u : null;
}

export function normalizeProject(raw: unknown, ctx: { connectionId: string }): Normalized<Project> {
  const p = AsanaProjectRaw.safeParse(raw);
  if (!p.success) return { ok: false, issues: toIssues(p.error) };
  const value = {
    id: stableId(ctx.connectionId, 'asana_project', p.data.gid),
    connectionId: ctx.connectionId,
    externalId: p.data.gid,
    name: p.data.name || `(untitled project ${p.data.gid})`,
    url: urlOrNull(p.data.permalink_url),
    archived: Boolean(p.data.archived),
    remoteCreatedAt: p.data.created_at ?? null,
    remoteUpdatedAt: p.data.modified_at ?? null,
    raw,
  };
  return validate(Project, value);
}

function validate<T>(schema: z.ZodType<T>, value: unknown): Normalized<T> {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: toIssues(r.error) };
}

export function assetIdOf(connectionId: string, taskGid: string): string {
  return stableId(connectionId, 'asana_task', taskGid);
}

/** The tool's status name for the task under the connection's stage source. */
export function statusOf(task: Task, ctx: AsanaNormalizeContext): string | null {
  if (ctx.stage.source.from === 'section') {
    const m = task.memberships.find((x) => x.project?.gid === ctx.project.gid);
    return m?.section?.name ?? null;
  }
  const field = ctx.stage.source.field;
  const cf = task.custom_fields.find((f) => f.gid === field || f.name === field);
  return cf?.enum_value?.name ?? null;
}

function fieldValue(f: Task['custom_fields'][number]): FieldValue {
  switch (f.resource_subtype ?? f.type) {
    case 'enum': return f.enum_value?.name ?? null;
    case 'multi_enum': return (f.multi_enum_values ?? []).map((v) => v.name ?? v.gid);
    case 'number': return f.number_value ?? null;
    case 'text': return f.text_value ?? null;
    case 'date': return f.date_value?.date_time ?? f.date_value?.date ?? null;
    case 'people': return (f.people_value ?? []).map((p) => p.email ?? p.name ?? p.gid);
    default: return f.display_value ?? null;
  }
}

/**
 * Normalizes a task and the children fetched with it into one batch. A malformed task rejects the
 * bundle; a malformed story, attachment or subtask is rejected alone and the rest goes on.
 */
export function normalizeTaskBundle(bundle: TaskBundle, ctx: AsanaNormalizeContext): Batch {
  const out = emptyBatch();
  const parsed = AsanaTaskRaw.safeParse(bundle.task);
  const gidOf = (x: unknown) => (x && typeof x === 'object' && typeof (x as { gid?: unknown }).gid === 'string' ? (x as { gid: string }).gid : null);
  if (!parsed.success) {
    out.rejected.push({ stream: 'tasks', externalId: gidOf(bundle.task), issues: toIssues(parsed.error), raw: bundle.task });
    return out;
  }
  const task = parsed.data;
  const conn = ctx.connectionId;
  const assetId = assetIdOf(conn, task.gid);
  const persons = new Map<string, Person>();
  const person = (u: { gid: string; name?: string | null | undefined; email?: string | null | undefined } | null | undefined): string | null => {
    if (!u) return null;
    const email = u.email?.trim() ? u.email.trim().toLowerCase() : null;
    const id = personId(email, conn, u.gid);
    const prev = persons.get(id);
    if (!prev || (!prev.name && u.name)) {
      persons.set(id, { id, email: email && z.email().safeParse(email).success ? email : null, name: u.name ?? prev?.name ?? null, identity: { connectionId: conn, externalId: u.gid } });
    }
    return id;
  };
  const mapStage = (status: string | null | undefined) => (status != null ? (ctx.stage.map[status] ?? null) : null);

  // ---- the asset
  const status = statusOf(task, ctx);
  const fields: Record<string, FieldValue> = {};
  for (const f of task.custom_fields) fields[f.name] = fieldValue(f);
  const typeField = ctx.assetTypeField ?? 'Asset type';
  const assetType = typeof fields[typeField] === 'string' ? (fields[typeField] as string) : null;
  const asset = validate(Asset, {
    id: assetId,
    connectionId: conn,
    externalId: task.gid,
    projectId: ctx.project.id,
    name: task.name.trim() || `(untitled task ${task.gid})`,
    assetType,
    stage: mapStage(status),
    sourceStatus: status,
    ownerId: person(task.assignee),
    dueOn: task.due_on ?? null,
    dueAt: task.due_at ?? null,
    completedAt: task.completed_at ?? null,
    url: urlOrNull(task.permalink_url),
    fields,
    fileRefs: fileRefsOf(task),
    remoteCreatedAt: task.created_at,
    remoteUpdatedAt: task.modified_at,
    raw: bundle.task,
  });
  if (!asset.ok) {
    out.rejected.push({ stream: 'tasks', externalId: task.gid, issues: asset.issues, raw: bundle.task });
    return out;
  }
  out.assets.push(asset.value);
  out.links.push(AssetLink.parse({ id: stableId(conn, 'link:asana_task', task.gid), assetId, connectionId: conn, kind: 'asana_task', externalId: task.gid, url: asset.value.url, via: 'primary' }));

  // ---- stories: comments, stage history, uploaders
  const stories = parseList(bundle.stories, AsanaStoryRaw, 'stories', out);
  if (stories) {
    stories.sort(byTime);
    pushComments(stories, null, assetId, conn, person, out);
    pushTransitions(stories, task, status, assetId, ctx, person, mapStage, out);
  }

  // ---- attachments → versions, numbered by upload time
  const attachments = parseList(bundle.attachments, AsanaAttachmentRaw, 'attachments', out);
  if (attachments) {
    attachments.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.gid.localeCompare(b.gid));
    const uploads = (stories ?? parseList(bundle.uploads, AsanaStoryRaw, 'events', out) ?? []).filter((s) => s.resource_subtype === 'attachment_added');
    attachments.forEach((a, i) => {
      const at = Date.parse(a.created_at);
      const near = uploads.filter((s) => Math.abs(Date.parse(s.created_at) - at) <= 5_000);
      // By name where the story says it; else the one uploader of that instant (two uploaders at once: unknown).
      const story = near.find((s) => s.text?.includes(a.name)) ?? (new Set(near.map((s) => s.created_by?.gid ?? '')).size === 1 ? near[0] : undefined);
      const v = validate(Version, {
        id: stableId(conn, 'asana_attachment', a.gid),
        connectionId: conn,
        externalId: a.gid,
        assetId,
        number: i + 1,
        name: a.name || `(unnamed attachment ${a.gid})`,
        source: 'attachment',
        url: urlOrNull(a.permanent_url ?? a.view_url),
        host: a.host ?? a.resource_subtype ?? null,
        sizeBytes: a.size ?? null,
        checksum: null,
        fileRef: a.host === 'gdrive' ? (driveFileIdsIn(a.view_url)[0] ?? null) : null,
        createdById: person(story?.created_by) ?? bundle.knownUploaders?.[a.gid] ?? null,
        createdAt: a.created_at,
        raw: a,
      });
      if (v.ok) out.versions.push(v.value);
      else out.rejected.push({ stream: 'attachments', externalId: a.gid, issues: v.issues, raw: a });
    });
    out.complete.push({ kind: 'version', assetId, scope: 'all', ids: out.versions.map((v) => v.id) });
  }

  // ---- approval subtasks → decisions (and their reviewers' comments)
  if (bundle.subtasks) {
    const threadComments: string[] = [];
    for (const st of bundle.subtasks) {
      const sp = AsanaTaskRaw.safeParse(st.task);
      if (!sp.success) {
        out.rejected.push({ stream: 'subtasks', externalId: gidOf(st.task), issues: toIssues(sp.error), raw: st.task });
        continue;
      }
      const sub = sp.data;
      if (sub.resource_subtype !== 'approval') continue;
      out.links.push(AssetLink.parse({ id: stableId(conn, 'link:asana_subtask', sub.gid), assetId, connectionId: conn, kind: 'asana_subtask', externalId: sub.gid, url: null, via: 'primary' }));
      const subStories = parseList(st.stories, AsanaStoryRaw, 'stories', out) ?? [];
      subStories.sort(byTime);
      const before = out.comments.length;
      pushComments(subStories, sub.gid, assetId, conn, person, out);
      threadComments.push(...out.comments.slice(before).map((c) => c.id));
      const reviewer = person(sub.assignee);
      const roleOf = (pid: string | null, email: string | null | undefined) => {
        const e = email?.toLowerCase() ?? (pid ? persons.get(pid)?.email : null);
        return ctx.rolesOf(e)[0] ?? null;
      };
      const changes = subStories.filter((s) => s.new_approval_status && APPROVAL_TO_DECISION[s.new_approval_status]);
      const pushDecision = (externalId: string, kind: DecisionKind, at: string, reviewerId: string | null, email: string | null | undefined, raw: unknown) => {
        const d = validate(Decision, {
          id: stableId(conn, 'asana_decision', externalId),
          connectionId: conn,
          externalId,
          assetId,
          versionId: null, // attributed in SQL to the version current at decision time, whatever tool it came from
          decision: kind,
          reviewerId,
          role: roleOf(reviewerId, email),
          decidedAt: at,
          raw,
        });
        if (d.ok) out.decisions.push(d.value);
        else out.rejected.push({ stream: 'decisions', externalId, issues: d.issues, raw });
      };
      if (changes.length) {
        for (const s of changes) {
          const by = s.created_by ?? sub.assignee;
          pushDecision(s.gid, APPROVAL_TO_DECISION[s.new_approval_status!]!, s.created_at, person(by), by?.email, { subtask: st.task, story: s });
        }
      } else if (sub.approval_status && APPROVAL_TO_DECISION[sub.approval_status]) {
        pushDecision(sub.gid, APPROVAL_TO_DECISION[sub.approval_status]!, sub.completed_at ?? sub.modified_at, reviewer, sub.assignee?.email, { subtask: st.task });
      }
    }
    out.complete.push({ kind: 'decision', assetId, scope: 'all', ids: out.decisions.map((d) => d.id) });
    out.complete.push({ kind: 'comment', assetId, scope: 'threads', ids: threadComments });
  }
  if (stories) out.complete.push({ kind: 'comment', assetId, scope: 'asset', ids: out.comments.filter((c) => c.threadExternalId === null).map((c) => c.id) });

  out.persons.push(...persons.values());
  return out;
}

/** Drive files the task links to: URLs in its notes and in its text custom fields, in order, once each. */
function fileRefsOf(task: Task): string[] {
  const texts = [task.notes ?? '', ...task.custom_fields.map((f) => f.text_value ?? '')];
  return [...new Set(texts.flatMap((t) => driveFileIdsIn(t)))];
}

function byTime(a: Story, b: Story): number {
  return a.created_at.localeCompare(b.created_at) || a.gid.localeCompare(b.gid);
}

function parseList<T>(list: unknown[] | undefined, schema: z.ZodType<T>, stream: string, out: Batch): T[] | undefined {
  if (!list) return undefined;
  const ok: T[] = [];
  for (const item of list) {
    const r = schema.safeParse(item);
    if (r.success) ok.push(r.data);
    else {
      const gid = item && typeof item === 'object' ? (item as { gid?: unknown }).gid : null;
      out.rejected.push({ stream, externalId: typeof gid === 'string' ? gid : null, issues: toIssues(r.error), raw: item });
    }
  }
  return ok;
}

type PersonFn = (u: Story['created_by']) => string | null;

function pushComments(stories: Story[], thread: string | null, assetId: string, conn: string, person: PersonFn, out: Batch): void {
  for (const s of stories) {
    if (!(s.type === 'comment' || s.resource_subtype === 'comment_added')) continue;
    // Stageline's own comments (stamped when written, connectors/stamp.ts) are its writes coming back, not feedback.
    if (readStamp(s.text) !== null) continue;
    const c = validate(Comment, {
      id: stableId(conn, 'asana_story', s.gid),
      connectionId: conn,
      externalId: s.gid,
      assetId,
      versionId: null, // attributed in SQL to the version current when the comment was written
      authorId: person(s.created_by),
      body: s.text ?? '',
      createdAt: s.created_at,
      threadExternalId: thread,
      raw: s,
    });
    if (c.ok) out.comments.push(c.value);
    else out.rejected.push({ stream: 'stories', externalId: s.gid, issues: c.issues, raw: s });
  }
}

function pushTransitions(
  stories: Story[], task: Task, status: string | null, assetId: string, ctx: AsanaNormalizeContext,
  person: PersonFn, mapStage: (s: string | null | undefined) => string | null, out: Batch,
): void {
  const conn = ctx.connectionId;
  const source = ctx.stage.source;
  const moves = stories.filter((s) =>
    source.from === 'section'
      ? s.resource_subtype === 'section_changed' && (!ctx.project.sectionGids || (s.new_section && ctx.project.sectionGids.has(s.new_section.gid)))
      : s.resource_subtype === 'enum_custom_field_changed' && (s.custom_field?.gid === source.field || s.custom_field?.name === source.field),
  );
  const from = (s: Story) => (source.from === 'section' ? s.old_section?.name : s.old_enum_value?.name) ?? null;
  const to = (s: Story) => (source.from === 'section' ? s.new_section?.name : s.new_enum_value?.name) ?? null;
  const initialStatus = moves.length ? from(moves[0]!) : status;
  if (initialStatus !== null) {
    out.transitions.push(StageTransition.parse({
      id: stableId(conn, 'asana_initial_stage', task.gid),
      connectionId: conn,
      externalId: `${task.gid}:initial`,
      assetId,
      fromStage: null,
      toStage: mapStage(initialStatus),
      fromStatus: null,
      toStatus: initialStatus,
      at: task.created_at,
      actorId: null,
      source: 'initial',
      raw: null,
    }));
  }
  for (const s of moves) {
    const t = validate(StageTransition, {
      id: stableId(conn, 'asana_story', s.gid),
      connectionId: conn,
      externalId: s.gid,
      assetId,
      fromStage: mapStage(from(s)),
      toStage: mapStage(to(s)),
      fromStatus: from(s),
      toStatus: to(s),
      at: s.created_at,
      actorId: person(s.created_by),
      source: 'vendor_history',
      raw: s,
    });
    if (t.ok) out.transitions.push(t.value);
    else out.rejected.push({ stream: 'stories', externalId: s.gid, issues: t.issues, raw: s });
  }
}
