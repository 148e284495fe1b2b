// The control surface tests and benchmarks drive the simulator with: user-like edits (through the
// same store methods as the write endpoints), rate limits, faults, token revocation, sync-token
// expiry, corrupt records, call counts. Reachable in-process and as JSON over HTTP under /_sim/.

import { type IncomingMessage, type ServerResponse } from 'node:http';
import { ApiError, badRequest } from './errors';
import {
  type AgencyDataset,
  type AgencyTruth,
  type ApprovalStatus,
  type AttachmentHost,
  type CfValue,
  type CustomFieldRec,
  type CustomFieldType,
  type EnumOptionRec,
  type SectionRec,
  type StoryRec,
  type TaskRec,
  type TaskTruth,
  type UserRec,
  isoTime,
} from './model';
import { DOWNLOAD_URL_TTL_MS, storyText } from './serialize';
import { type AsanaApi, type CallStats, type FaultSpec, send } from './server';
import { type AsanaStore } from './store';

export interface CreateTaskInput {
  /** Project of a new top-level task (or give parentGid for a subtask). */
  projectGid?: string;
  parentGid?: string;
  name: string;
  /** Section gid or name; default the project's first section. */
  section?: string;
  assigneeGid?: string | null;
  dueOn?: string;
  notes?: string;
  resourceSubtype?: 'default_task' | 'milestone' | 'approval';
  /** Same shape as PUT /tasks custom_fields: field gid → value. */
  customFields?: Record<string, unknown>;
}

export interface CreateCustomFieldInput {
  name: string;
  type: CustomFieldType;
  /** Option names of an enum or multi_enum field. */
  options?: string[];
  /** Projects to add the field to. */
  projectGids?: string[];
  /** Create it inline on the first of `projectGids` (project-local, not in the workspace library). */
  local?: boolean;
}

/** A custom field definition as a test needs it. */
export interface CustomFieldInfo {
  gid: string;
  name: string;
  type: CustomFieldType;
  /** In the workspace library (listed by GET /workspaces/{gid}/custom_fields). */
  global: boolean;
  options: { gid: string; name: string; enabled: boolean; color: string }[];
  /** Projects with a setting for the field, in project order. */
  projectGids: string[];
}

/** A story as a test needs it: `text` is exactly what GET /stories serves. */
export interface StoryInfo {
  gid: string;
  resourceSubtype: StoryRec['subtype'];
  type: 'comment' | 'system';
  text: string;
  createdAt: string;
  authorEmail: string;
  /** The field of a `*_custom_field_changed` story, else null. */
  customField: string | null;
  /** Display values before and after, for custom-field stories; else null. */
  oldValue: string | null;
  newValue: string | null;
}

/** A task's value of one field: option name(s), text, number, date string, or user emails. */
export type CustomFieldValueInfo = string | number | string[] | null;

export interface AsanaSimulatorControl {
  readonly dataset: AgencyDataset;
  readonly truth: AgencyTruth;
  /** The token every simulator accepts unless revoked; it acts as the "Creative Ops Bot" user. */
  readonly defaultToken: string;
  /** The routes the API answers, as method + OpenAPI path template. */
  routes(): { method: string; path: string }[];

  // User-like edits. `actorGid` defaults to a person who would plausibly make the edit (the
  // project's account lead; the reviewer for approval subtasks; the assignee for uploads).
  renameTask(taskGid: string, name: string, actorGid?: string): void;
  moveTaskToSection(taskGid: string, section: string, actorGid?: string): void;
  addComment(taskGid: string, text: string, authorGid?: string): string;
  addAttachment(taskGid: string, name: string, host?: AttachmentHost, actorGid?: string): string;
  setApprovalStatus(subtaskGid: string, status: ApprovalStatus, actorGid?: string): void;
  /** Any PUT /tasks/{gid} body `data`. */
  updateTask(taskGid: string, data: Record<string, unknown>, actorGid?: string): void;
  deleteTask(taskGid: string, actorGid?: string): void;
  createTask(input: CreateTaskInput, actorGid?: string): string;

  setRateLimit(perMinute: number | null): void;
  injectFaults(fault: FaultSpec): void;
  clearFaults(): void;
  addToken(token: string, userGid: string): void;
  revokeToken(token: string): void;
  expireSyncTokens(): void;
  setSyncTokenTtl(ms: number): void;
  /** Serve `patch` over the task's fields (e.g. {name: 42}); null restores the real record. */
  corruptTask(taskGid: string, patch: Record<string, unknown> | null): void;
  calls(): CallStats;
  resetCalls(): void;
  truthOf(taskGid: string): TaskTruth | undefined;

  // Custom fields and history, for asserting what a connector wrote.
  /** A field by exact name (a library field before a project-local one), or null. */
  customFieldByName(name: string): CustomFieldInfo | null;
  /** The task's value of the field named so (an enum's option name), or null when unset or not on its project. */
  taskCustomFieldValue(taskGid: string, fieldName: string): CustomFieldValueInfo;
  /** Every story of the task, comments and system stories, oldest first. */
  storiesOf(taskGid: string): StoryInfo[];
  /** A field someone made in Asana (default actor: a producer) → its gid. */
  createCustomField(input: CreateCustomFieldInput, actorGid?: string): string;
  /** Disable ("trash") or re-enable an enum option, as in the Edit Fields dialog. */
  setEnumOptionEnabled(optionGid: string, enabled: boolean): void;
}

export function createControl(store: AsanaStore, api: AsanaApi, defaultToken: string): AsanaSimulatorControl {
  const task = (gid: string): TaskRec => store.find('task', gid, 'task');
  const actor = (gid: string | undefined, fallback: UserRec): UserRec => (gid === undefined ? fallback : store.find('user', gid, 'actor'));
  const lead = (t: TaskRec): UserRec => {
    let top = t;
    while (top.parent) top = top.parent;
    return t.subtype === 'approval' && t.assignee ? t.assignee : top.project?.owner ?? top.createdBy;
  };
  const section = (t: TaskRec, ref: string): SectionRec => {
    const sections = t.project ? t.project.sections : [];
    const s = sections.find((x) => x.gid === ref) ?? sections.find((x) => x.name === ref);
    if (s) return s;
    if (store.get(ref)?.kind === 'section') return store.find('section', ref, 'section');
    throw badRequest(`section: ${ref} is neither a section gid nor a section name of the task's project`);
  };

  return {
    dataset: store.dataset,
    truth: store.truth,
    defaultToken,
    routes: () => api.routeTable,

    renameTask(gid, name, actorGid) {
      const t = task(gid);
      store.updateTask(actor(actorGid, lead(t)), t, { name });
    },
    moveTaskToSection(gid, ref, actorGid) {
      const t = task(gid);
      store.moveToSection(actor(actorGid, lead(t)), t, section(t, ref));
    },
    addComment(gid, text, authorGid) {
      const t = task(gid);
      return store.addComment(actor(authorGid, lead(t)), t, { text }).gid;
    },
    addAttachment(gid, name, host = 'asana', actorGid) {
      const t = task(gid);
      const url = host === 'external' ? `https://proofs.example/share/${encodeURIComponent(name)}` : null;
      return store.addAttachment(actor(actorGid, t.assignee ?? lead(t)), t, { name, host, size: host === 'asana' ? 1_048_576 : 0, url }).gid;
    },
    setApprovalStatus(gid, status, actorGid) {
      const t = task(gid);
      store.updateTask(actor(actorGid, lead(t)), t, { approval_status: status });
    },
    updateTask(gid, data, actorGid) {
      const t = task(gid);
      store.updateTask(actor(actorGid, lead(t)), t, data);
    },
    deleteTask(gid, actorGid) {
      const t = task(gid);
      store.deleteTask(actor(actorGid, lead(t)), t);
    },
    createTask(input, actorGid) {
      const parent = input.parentGid === undefined ? null : task(input.parentGid);
      const project = input.projectGid === undefined ? null : store.find('project', input.projectGid, 'project');
      const fallback = parent ? lead(parent) : project ? project.owner : store.dataset.users[0];
      if (!fallback) throw badRequest('projectGid: Missing input');
      const data: Record<string, unknown> = { name: input.name };
      if (project) {
        const s = input.section === undefined ? undefined : project.sections.find((x) => x.gid === input.section || x.name === input.section);
        if (input.section !== undefined && !s) throw badRequest(`section: ${input.section} is not a section of ${project.name}`);
        data.memberships = [{ project: project.gid, ...(s ? { section: s.gid } : {}) }];
      }
      if (input.assigneeGid !== undefined) data.assignee = input.assigneeGid;
      if (input.dueOn !== undefined) data.due_on = input.dueOn;
      if (input.notes !== undefined) data.notes = input.notes;
      if (input.resourceSubtype !== undefined) data.resource_subtype = input.resourceSubtype;
      if (input.customFields !== undefined) data.custom_fields = input.customFields;
      return store.createTask(actor(actorGid, fallback), data, parent).gid;
    },

    setRateLimit(perMinute) {
      if (perMinute !== null && (!Number.isInteger(perMinute) || perMinute < 1)) throw new RangeError('perMinute: expected a positive integer or null');
      api.rateLimitPerMinute = perMinute;
    },
    injectFaults: (fault) => api.injectFaults(fault),
    clearFaults: () => api.clearFaults(),
    addToken(token, userGid) {
      api.tokens.set(token, store.find('user', userGid, 'user'));
    },
    revokeToken(token) {
      api.tokens.delete(token);
    },
    expireSyncTokens: () => store.expireSyncTokens(),
    setSyncTokenTtl(ms) {
      store.syncTokenTtlMs = ms;
    },
    corruptTask(gid, patch) {
      task(gid);
      if (patch === null) store.corruptions.delete(gid);
      else store.corruptions.set(gid, patch);
    },
    calls: () => api.calls(),
    resetCalls: () => api.resetCalls(),
    truthOf: (gid) => store.truth.tasks.get(gid),

    customFieldByName(name) {
      const fields = store.dataset.customFields.filter((f) => f.name === name);
      const f = fields.find((x) => x.global) ?? fields[0];
      if (!f) return null;
      return {
        gid: f.gid,
        name: f.name,
        type: f.type,
        global: f.global,
        options: f.options.map((o) => ({ gid: o.gid, name: o.name, enabled: o.enabled, color: o.color })),
        projectGids: store.dataset.projects.filter((p) => p.settings.some((s) => s.field === f)).map((p) => p.gid),
      };
    },
    taskCustomFieldValue(gid, fieldName) {
      const t = task(gid);
      const i = t.project ? t.project.settings.findIndex((s) => s.field.name === fieldName) : -1;
      return i < 0 ? null : valueInfo(t.values[i] ?? null);
    },
    storiesOf(gid) {
      return task(gid).stories.map((s) => ({
        gid: s.gid,
        resourceSubtype: s.subtype,
        type: s.subtype === 'comment_added' ? 'comment' : 'system',
        text: storyText(s),
        createdAt: isoTime(s.createdAt),
        authorEmail: s.author.email,
        customField: s.field ? s.field.name : null,
        oldValue: s.field ? displayOf(s.before as CfValue) : null,
        newValue: s.field ? displayOf(s.after as CfValue) : null,
      }));
    },
    createCustomField(input, actorGid) {
      const producer = store.dataset.users.find((u) => u.role === 'producer') ?? store.dataset.users[0];
      if (!producer) throw badRequest('actorGid: Missing input');
      const who = actor(actorGid, producer);
      const projects = (input.projectGids ?? []).map((p) => store.find('project', p, 'projectGids'));
      const definition = {
        workspace: store.dataset.workspace.gid,
        name: input.name,
        resource_subtype: input.type,
        ...(input.options ? { enum_options: input.options.map((name) => ({ name })) } : {}),
      };
      let field: CustomFieldRec;
      if (input.local) {
        const home = projects.shift();
        if (!home) throw badRequest('projectGids: a local field needs a project');
        field = store.addCustomFieldSetting(who, home, { custom_field: definition }).field;
      } else {
        field = store.createCustomField(who, definition);
      }
      for (const p of projects) store.addCustomFieldSetting(who, p, { custom_field: field.gid });
      return field.gid;
    },
    setEnumOptionEnabled(optionGid, enabled) {
      store.updateEnumOption(store.find('enum_option', optionGid, 'enum_option'), { enabled });
    },
  };
}

function valueInfo(v: CfValue): CustomFieldValueInfo {
  if (v === null || typeof v === 'string' || typeof v === 'number') return v;
  if (!Array.isArray(v)) return v.name;
  if (v.length === 0) return null;
  return (v as (EnumOptionRec | UserRec)[]).map((x) => (x.kind === 'user' ? x.email : x.name));
}

function displayOf(v: CfValue): string | null {
  const info = valueInfo(v);
  return info === null ? null : Array.isArray(info) ? info.join(', ') : String(info);
}

/**
 * /_sim/... over HTTP (JSON in, JSON out, no auth), so a simulator started from the CLI can be
 * driven from another process. Also serves the bytes behind asana-hosted download_urls.
 */
export async function handleControlRequest(
  control: AsanaSimulatorControl,
  store: AsanaStore,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  search: string,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const parts = pathname.split('/').filter((p) => p !== '').slice(1);
  const query = new URLSearchParams(search);
  try {
    const body = method === 'GET' || method === 'DELETE' ? {} : await readJson(req);
    if (method === 'GET' && parts[0] === 'files' && parts[1]) return serveFile(store, res, parts[1], query);
    const data = route(control, method, parts, body, query);
    send(res, { status: 200, body: data ?? { ok: true } });
  } catch (err) {
    const status = err instanceof ApiError ? err.status : 400;
    send(res, { status, body: { errors: [{ message: err instanceof Error ? err.message : String(err) }] } });
  }
}

function route(c: AsanaSimulatorControl, method: string, p: string[], body: Record<string, unknown>, query: URLSearchParams): unknown {
  const str = (key: string): string => {
    const v = body[key];
    if (typeof v !== 'string') throw badRequest(`${key}: Missing input`);
    return v;
  };
  const optStr = (key: string): string | undefined => (typeof body[key] === 'string' ? (body[key] as string) : undefined);
  const at = `${method} /${p.map((x) => (/^\d+$/.test(x) ? '{gid}' : x)).join('/')}`;
  const gid = p.find((x) => /^\d+$/.test(x)) ?? '';
  switch (at) {
    case 'GET /info':
      return info(c);
    case 'GET /routes':
      return c.routes();
    case 'GET /calls':
      return c.calls();
    case 'POST /calls/reset':
      return c.resetCalls();
    case 'POST /rate-limit': {
      const v = body.perMinute;
      if (v !== null && typeof v !== 'number') throw badRequest('perMinute: expected a number or null');
      return c.setRateLimit(v);
    }
    case 'POST /faults':
      return c.injectFaults(body as unknown as FaultSpec);
    case 'DELETE /faults':
      return c.clearFaults();
    case 'POST /tokens':
      return c.addToken(str('token'), str('userGid'));
    case 'POST /tokens/revoke':
      return c.revokeToken(str('token'));
    case 'POST /sync-tokens/expire':
      return c.expireSyncTokens();
    case 'POST /tasks':
      return { gid: c.createTask(body as unknown as CreateTaskInput, optStr('actorGid')) };
    case 'POST /tasks/{gid}/rename':
      return c.renameTask(gid, str('name'), optStr('actorGid'));
    case 'POST /tasks/{gid}/move':
      return c.moveTaskToSection(gid, str('section'), optStr('actorGid'));
    case 'POST /tasks/{gid}/comments':
      return { gid: c.addComment(gid, str('text'), optStr('authorGid')) };
    case 'POST /tasks/{gid}/attachments':
      return { gid: c.addAttachment(gid, str('name'), (optStr('host') ?? 'asana') as AttachmentHost, optStr('actorGid')) };
    case 'POST /tasks/{gid}/approval':
      return c.setApprovalStatus(gid, str('status') as ApprovalStatus, optStr('actorGid'));
    case 'POST /tasks/{gid}/update':
      return c.updateTask(gid, (body.data ?? {}) as Record<string, unknown>, optStr('actorGid'));
    case 'POST /tasks/{gid}/corrupt':
      return c.corruptTask(gid, (body.patch ?? {}) as Record<string, unknown>);
    case 'DELETE /tasks/{gid}/corrupt':
      return c.corruptTask(gid, null);
    case 'DELETE /tasks/{gid}':
      return c.deleteTask(gid, query.get('actorGid') ?? undefined);
    case 'GET /truth/tasks/{gid}': {
      const t = c.truthOf(gid);
      if (!t) throw new ApiError(404, `task: Unknown object: ${gid}`);
      return t;
    }
    case 'GET /truth':
      return truthPage(c, query);
    case 'GET /custom-fields': {
      const f = c.customFieldByName(query.get('name') ?? '');
      if (!f) throw new ApiError(404, `custom_field: no field named ${JSON.stringify(query.get('name') ?? '')}`);
      return f;
    }
    case 'POST /custom-fields':
      return { gid: c.createCustomField(body as unknown as CreateCustomFieldInput, optStr('actorGid')) };
    case 'POST /enum-options/{gid}': {
      if (typeof body.enabled !== 'boolean') throw badRequest('enabled: expected a boolean');
      return c.setEnumOptionEnabled(gid, body.enabled);
    }
    case 'GET /tasks/{gid}/stories':
      return c.storiesOf(gid);
    case 'GET /tasks/{gid}/custom-field':
      return { value: c.taskCustomFieldValue(gid, query.get('name') ?? '') };
    default:
      throw new ApiError(404, `No control route ${at}`);
  }
}

function info(c: AsanaSimulatorControl): unknown {
  const d = c.dataset;
  return {
    seed: d.seed,
    now: d.now,
    defaultToken: c.defaultToken,
    workspace: { gid: d.workspace.gid, name: d.workspace.name },
    counts: d.counts,
    projects: d.projects.map((p) => ({ gid: p.gid, name: p.name, tasks: p.tasks.length })),
    users: d.users.map((u) => ({ gid: u.gid, name: u.name, email: u.email, role: u.role, client: u.client })),
    sectionNames: c.truth.sectionNames,
    defaultStageMap: c.truth.defaultStageMap,
  };
}

/** Ground truth in pages: GET /_sim/truth?offset=0&limit=1000. */
function truthPage(c: AsanaSimulatorControl, query: URLSearchParams): unknown {
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  const limit = Math.min(10_000, Math.max(1, Number(query.get('limit') ?? 1000) || 1000));
  const tasks: TaskTruth[] = [];
  let i = 0;
  for (const t of c.truth.tasks.values()) {
    if (i >= offset + limit) break;
    if (i++ >= offset) tasks.push(t);
  }
  const next = offset + limit < c.truth.tasks.size ? offset + limit : null;
  return { sectionNames: c.truth.sectionNames, defaultStageMap: c.truth.defaultStageMap, total: c.truth.tasks.size, tasks, nextOffset: next };
}

/** Stand-in bytes for an asana-hosted file; the URL stops working after DOWNLOAD_URL_TTL_MS. */
function serveFile(store: AsanaStore, res: ServerResponse, gid: string, query: URLSearchParams): void {
  const rec = store.get(gid);
  const expires = Number(query.get('expires'));
  if (!rec || rec.kind !== 'attachment' || rec.deleted || rec.host !== 'asana') {
    send(res, { status: 404, body: { errors: [{ message: 'NoSuchKey' }] } });
    return;
  }
  if (!Number.isFinite(expires) || store.clock() > expires || expires > store.clock() + DOWNLOAD_URL_TTL_MS) {
    send(res, { status: 403, body: { errors: [{ message: 'Request has expired' }] } });
    return;
  }
  const bytes = Buffer.from(`simulated content of ${rec.name} (declared size ${rec.size} bytes)\n`);
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': bytes.length,
    'Content-Disposition': `attachment; filename="${encodeURIComponent(rec.name)}"`,
  });
  res.end(bytes);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (raw.trim() === '') return {};
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('body: expected a JSON object');
  return parsed as Record<string, unknown>;
}
