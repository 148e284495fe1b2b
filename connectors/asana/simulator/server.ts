// The HTTP face of the simulator: Asana's REST API under /api/1.0 with its envelopes, bearer auth,
// per-token sliding-window rate limit (429 + Retry-After), injected faults, opt_fields projection
// and opaque, signed offset pagination. Every request is counted so that tests and benchmarks can
// compare the calls a connector made with the minimum it needed.

import { type IncomingMessage, type ServerResponse } from 'node:http';
import { ApiError, RATE_LIMIT_MESSAGE, badRequest } from './errors';
import { type AttachmentHost, type TaskRec, type UserRec } from './model';
import {
  ATTACHMENT,
  CUSTOM_FIELD,
  CUSTOM_FIELD_SETTING,
  ENUM_OPTION,
  type FieldTree,
  PROJECT,
  type RenderContext,
  SECTION,
  STORY,
  TASK,
  USER,
  WORKSPACE,
  parseOptFields,
  render,
  renderEvent,
  renderTask,
} from './serialize';
import { type AsanaStore } from './store';

export const API_BASE_PATH = '/api/1.0';
/**
 * Without `limit`, Asana answers the whole list but "your query will be truncated at about 1000
 * objects" (developers.asana.com/docs/pagination); the simulator truncates silently at 1,000 too.
 */
export const UNPAGINATED_MAX = 1000;
const MAX_BODY_BYTES = 110 * 1024 * 1024;

export interface FaultSpec {
  /** Only requests with this method (default: any). */
  method?: string;
  /** Only paths starting with this, relative to /api/1.0 (`/tasks`) or absolute (`/api/1.0/tasks`). */
  pathPrefix?: string;
  status: number;
  /** How many matching requests fail (default 1). */
  times?: number;
  retryAfterSeconds?: number;
  /** Response body; default: Asana's error body for the status. */
  body?: unknown;
}

export interface CallStats {
  total: number;
  /** `GET /tasks/{gid}/stories` → count. */
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  /** 429 responses sent (rate limit and injected). */
  rateLimited: number;
  /** Requests from a token that had been told to wait and came back before the wait was over. */
  earlyRetries: number;
}

interface Req {
  method: string;
  params: string[];
  query: URLSearchParams;
  fields: FieldTree | null;
  me: UserRec;
  ctx: RenderContext;
  /** Path relative to /api/1.0, for next_page links. */
  path: string;
  routePath: string;
  body: () => Promise<Buffer>;
  contentType: string;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type Handler = (req: Req) => Reply | Promise<Reply>;

interface Route {
  method: string;
  /** The path template as written in asana_oas.yaml. */
  path: string;
  segments: string[];
  handler: Handler;
}

const DEFAULT_FAULT_MESSAGES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Not Authorized',
  402: 'This feature is not available on your current plan',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const PHRASE_WORDS = [
  ['sad', 'happy', 'sleepy', 'brave', 'quiet'],
  ['squid', 'otter', 'badger', 'heron', 'lynx'],
  ['snuggle', 'wander', 'ponder', 'giggle', 'shimmer'],
  ['softly', 'boldly', 'slowly', 'gently', 'wildly'],
];

export class AsanaApi {
  readonly tokens = new Map<string, UserRec>();
  rateLimitPerMinute: number | null = null;
  private faults: (FaultSpec & { remaining: number })[] = [];
  private readonly windows = new Map<string, { times: number[]; head: number }>();
  private readonly retryNotBefore = new Map<string, number>();
  private stats: CallStats = emptyStats();
  private serverErrors = 0;
  private readonly routes: Route[];

  constructor(readonly store: AsanaStore) {
    this.routes = this.buildRoutes();
  }

  /** Every method + path template this server answers, as written in the OpenAPI spec. */
  get routeTable(): { method: string; path: string }[] {
    return this.routes.map((r) => ({ method: r.method, path: r.path }));
  }

  calls(): CallStats {
    return structuredClone(this.stats);
  }

  resetCalls(): void {
    this.stats = emptyStats();
  }

  injectFaults(fault: FaultSpec): void {
    if (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599) {
      throw new RangeError(`status: expected an HTTP error status, got ${String(fault.status)}`);
    }
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string, search: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = pathname.slice(API_BASE_PATH.length) || '/';
    const now = this.store.clock();
    this.stats.total++;
    const routeKey = `${method} ${path.replace(/\/\d+(?=\/|$)/g, '/{gid}')}`;
    this.stats.byRoute[routeKey] = (this.stats.byRoute[routeKey] ?? 0) + 1;

    const auth = req.headers.authorization ?? '';
    const token = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] ?? '';
    const notBefore = this.retryNotBefore.get(token);
    if (notBefore !== undefined) {
      if (now < notBefore) this.stats.earlyRetries++;
      else this.retryNotBefore.delete(token);
    }

    const body = { promise: null as Promise<Buffer> | null };
    const reply = await this.respond(req, body, method, path, pathname, search, token, now);
    // Drain an unread request body so that keep-alive connections stay usable.
    if (!body.promise && req.readable) req.resume();
    if (reply.status === 429) this.stats.rateLimited++;
    const retryAfter = reply.headers?.['Retry-After'];
    if (retryAfter !== undefined) this.retryNotBefore.set(token, now + Number(retryAfter) * 1000);
    this.stats.byStatus[reply.status] = (this.stats.byStatus[reply.status] ?? 0) + 1;
    send(res, reply, new URLSearchParams(search).has('opt_pretty'));
  }

  private async respond(
    req: IncomingMessage,
    body: { promise: Promise<Buffer> | null },
    method: string,
    path: string,
    pathname: string,
    search: string,
    token: string,
    now: number,
  ): Promise<Reply> {
    const fault = this.takeFault(method, path, pathname);
    if (fault) return fault;

    const me = this.tokens.get(token);
    if (!me) return { status: 401, body: { errors: [{ message: 'Not Authorized' }] } };

    if (this.rateLimitPerMinute !== null) {
      const wait = this.admit(token, now, this.rateLimitPerMinute);
      if (wait > 0) {
        return { status: 429, body: { errors: [{ message: RATE_LIMIT_MESSAGE }] }, headers: { 'Retry-After': String(wait) } };
      }
    }

    const segments = path.split('/').filter((s) => s !== '');
    const route = this.match(method, segments);
    if (!route) return { status: 404, body: new ApiError(404, 'No matching route for request').body() };
    const params = route.segments.flatMap((s, i) => (s.startsWith('{') ? [segments[i] as string] : []));
    const query = new URLSearchParams(search);
    const optFields = query.getAll('opt_fields');
    const host = req.headers.host ?? '127.0.0.1';
    const r: Req = {
      method,
      params,
      query,
      fields: optFields.length > 0 ? parseOptFields(optFields.join(',')) : null,
      me,
      ctx: { origin: `http://${host}`, me, now, workspace: this.store.dataset.workspace },
      path,
      routePath: route.path,
      body: () => (body.promise ??= readBody(req)),
      contentType: req.headers['content-type'] ?? '',
    };
    try {
      return await route.handler(r);
    } catch (err) {
      if (err instanceof ApiError) return { status: err.status, body: err.body() };
      this.serverErrors++;
      return { status: 500, body: { errors: [{ message: 'Server Error', phrase: this.phrase() }] } };
    }
  }

  private takeFault(method: string, path: string, pathname: string): Reply | null {
    const i = this.faults.findIndex(
      (f) =>
        (f.method === undefined || f.method.toUpperCase() === method) &&
        (f.pathPrefix === undefined || path.startsWith(f.pathPrefix) || pathname.startsWith(f.pathPrefix)),
    );
    const f = this.faults[i];
    if (!f) return null;
    if (--f.remaining <= 0) this.faults.splice(i, 1);
    const headers: Record<string, string> = {};
    if (f.retryAfterSeconds !== undefined || f.status === 429) headers['Retry-After'] = String(f.retryAfterSeconds ?? 1);
    let body = f.body;
    if (body === undefined) {
      if (f.status === 429) body = { errors: [{ message: RATE_LIMIT_MESSAGE }] };
      else if (f.status === 401) body = { errors: [{ message: 'Not Authorized' }] };
      else if (f.status === 500) body = { errors: [{ message: 'Server Error', phrase: this.phrase() }] };
      else body = new ApiError(f.status, DEFAULT_FAULT_MESSAGES[f.status] ?? 'Error').body();
    }
    return { status: f.status, body, headers };
  }

  /** Sliding 60-second window per token; rejected requests count too. Returns seconds to wait, or 0. */
  private admit(token: string, now: number, limit: number): number {
    let w = this.windows.get(token);
    if (!w) {
      w = { times: [], head: 0 };
      this.windows.set(token, w);
    }
    while (w.head < w.times.length && (w.times[w.head] as number) <= now - 60_000) w.head++;
    if (w.head > 4096 && w.head * 2 > w.times.length) {
      w.times = w.times.slice(w.head);
      w.head = 0;
    }
    w.times.push(now);
    const count = w.times.length - w.head;
    if (count <= limit) return 0;
    // Wait until enough of the oldest requests leave the window for one more to fit.
    const freeing = w.times[w.head + (count - limit) - 1] as number;
    return Math.max(1, Math.ceil((freeing + 60_000 - now) / 1000));
  }

  private phrase(): string {
    const n = this.serverErrors + 1;
    return [String(n), ...PHRASE_WORDS.map((words, i) => words[(n + i) % words.length])].join(' ');
  }

  private match(method: string, segments: string[]): Route | undefined {
    return this.routes.find(
      (r) =>
        r.method === method &&
        r.segments.length === segments.length &&
        r.segments.every((s, i) => s.startsWith('{') || s === segments[i]),
    );
  }

  // ---- endpoints --------------------------------------------------------------------------------

  private buildRoutes(): Route[] {
    const store = this.store;
    const routes: Route[] = [];
    const on = (method: string, path: string, handler: Handler): void => {
      routes.push({ method, path, segments: path.split('/').filter((s) => s !== ''), handler });
    };
    const one = (data: unknown, status = 200): Reply => ({ status, body: { data } });
    const task = (r: Req, i = 0): TaskRec => store.find('task', r.params[i] as string, 'task');
    const taskOut = (r: Req, t: TaskRec, fallback: FieldTree): Record<string, unknown> =>
      renderTask(t, r.fields ?? fallback, r.ctx, store.corruptions.get(t.gid));

    // https://developers.asana.com/reference/getuser
    on('GET', '/users/{user_gid}', (r) => {
      const u = store.user(r.params[0] as string, r.me, 'user');
      return one(render(USER, u, r.fields ?? USER.full, r.ctx));
    });
    // https://developers.asana.com/reference/getworkspaces
    on('GET', '/workspaces', (r) =>
      this.page(r, [store.dataset.workspace], (w) => render(WORKSPACE, w, r.fields ?? WORKSPACE.compact, r.ctx)),
    );
    // https://developers.asana.com/reference/getusersforworkspace
    on('GET', '/workspaces/{workspace_gid}/users', (r) => {
      store.find('workspace', r.params[0] as string, 'workspace');
      return this.page(r, store.dataset.users, (u) => render(USER, u, r.fields ?? USER.compact, r.ctx));
    });
    // https://developers.asana.com/reference/getprojectsforworkspace
    on('GET', '/workspaces/{workspace_gid}/projects', (r) => {
      store.find('workspace', r.params[0] as string, 'workspace');
      const archived = r.query.get('archived');
      if (archived !== null && archived !== 'true' && archived !== 'false') throw badRequest(`archived: Not a boolean: ${archived}`);
      const want = archived === null ? null : archived === 'true';
      return this.page(r, store.dataset.projects, (p) => render(PROJECT, p, r.fields ?? PROJECT.compact, r.ctx), want === null ? undefined : (p) => p.archived === want);
    });
    // https://developers.asana.com/reference/getproject
    on('GET', '/projects/{project_gid}', (r) => one(render(PROJECT, store.find('project', r.params[0] as string, 'project'), r.fields ?? PROJECT.full, r.ctx)));
    // https://developers.asana.com/reference/getsectionsforproject
    on('GET', '/projects/{project_gid}/sections', (r) => {
      const p = store.find('project', r.params[0] as string, 'project');
      return this.page(r, p.sections, (s) => render(SECTION, s, r.fields ?? SECTION.compact, r.ctx));
    });
    // https://developers.asana.com/reference/getcustomfieldsforworkspace — the workspace's field
    // library: fields created inline on one project (is_global_to_workspace false) are not listed.
    on('GET', '/workspaces/{workspace_gid}/custom_fields', (r) => {
      store.find('workspace', r.params[0] as string, 'workspace');
      return this.page(r, store.dataset.customFields, (f) => render(CUSTOM_FIELD, f, r.fields ?? CUSTOM_FIELD.compact, r.ctx), (f) => f.global);
    });
    // https://developers.asana.com/reference/getcustomfield
    on('GET', '/custom_fields/{custom_field_gid}', (r) =>
      one(render(CUSTOM_FIELD, store.find('custom_field', r.params[0] as string, 'custom_field'), r.fields ?? CUSTOM_FIELD.full, r.ctx)),
    );
    // https://developers.asana.com/reference/getcustomfieldsettingsforproject
    on('GET', '/projects/{project_gid}/custom_field_settings', (r) => {
      const p = store.find('project', r.params[0] as string, 'project');
      return this.page(r, p.settings, (s) => render(CUSTOM_FIELD_SETTING, s, r.fields ?? CUSTOM_FIELD_SETTING.compact, r.ctx));
    });
    // https://developers.asana.com/reference/gettasks
    on('GET', '/tasks', (r) => {
      const projectGid = r.query.get('project');
      const sectionGid = r.query.get('section');
      if (projectGid !== null && sectionGid !== null) throw badRequest('Must specify exactly one of project, tag, section, user task list, or assignee + workspace');
      let tasks: readonly TaskRec[];
      if (projectGid !== null) tasks = store.find('project', projectGid, 'project').tasks;
      else if (sectionGid !== null) tasks = store.find('section', sectionGid, 'section').tasks;
      else if (r.query.has('assignee') || r.query.has('tag')) throw badRequest('The simulator lists tasks by project or section only; assignee, tag and user task list queries are not served');
      else throw badRequest('workspace: Missing input');
      const modifiedSince = timeParam(r.query, 'modified_since');
      const completedSince = completedSinceParam(r.query, r.ctx.now);
      const filter = modifiedSince === null && completedSince === null
        ? undefined
        : (t: TaskRec): boolean =>
            (modifiedSince === null || t.modifiedAt >= modifiedSince) &&
            (completedSince === null || !t.completed || (t.completedAt ?? 0) >= completedSince);
      return this.page(r, tasks, (t) => taskOut(r, t, TASK.compact), filter);
    });
    // https://developers.asana.com/reference/gettasksforproject
    on('GET', '/projects/{project_gid}/tasks', (r) => {
      const p = store.find('project', r.params[0] as string, 'project');
      return this.page(r, p.tasks, (t) => taskOut(r, t, TASK.compact), completedFilter(r));
    });
    // https://developers.asana.com/reference/gettasksforsection
    on('GET', '/sections/{section_gid}/tasks', (r) => {
      const s = store.find('section', r.params[0] as string, 'section');
      return this.page(r, s.tasks, (t) => taskOut(r, t, TASK.compact), completedFilter(r));
    });
    // https://developers.asana.com/reference/gettask
    on('GET', '/tasks/{task_gid}', (r) => one(taskOut(r, task(r), TASK.full)));
    // https://developers.asana.com/reference/getsubtasksfortask
    on('GET', '/tasks/{task_gid}/subtasks', (r) => this.page(r, task(r).subtasks, (t) => taskOut(r, t, TASK.compact)));
    // https://developers.asana.com/reference/getstoriesfortask
    on('GET', '/tasks/{task_gid}/stories', (r) => this.page(r, task(r).stories, (s) => render(STORY, s, r.fields ?? STORY.compact, r.ctx)));
    // https://developers.asana.com/reference/getstory
    on('GET', '/stories/{story_gid}', (r) => one(render(STORY, store.find('story', r.params[0] as string, 'story'), r.fields ?? STORY.full, r.ctx)));
    // https://developers.asana.com/reference/getattachmentsforobject
    on('GET', '/attachments', (r) => {
      const parent = r.query.get('parent');
      if (parent === null) throw badRequest('parent: Missing input');
      const rec = store.get(parent);
      if (rec?.kind === 'project') return this.page(r, [], (a) => a);
      const t = store.find('task', parent, 'parent');
      return this.page(r, t.attachments, (a) => render(ATTACHMENT, a, r.fields ?? ATTACHMENT.compact, r.ctx), (a) => !a.deleted);
    });
    // https://developers.asana.com/reference/getattachment
    on('GET', '/attachments/{attachment_gid}', (r) =>
      one(render(ATTACHMENT, store.find('attachment', r.params[0] as string, 'attachment'), r.fields ?? ATTACHMENT.full, r.ctx)),
    );
    // https://developers.asana.com/reference/getevents
    on('GET', '/events', (r) => {
      const resource = r.query.get('resource');
      if (resource === null) throw badRequest('resource: Missing input');
      const result = store.events(resource, r.query.get('sync') ?? undefined);
      return {
        status: 200,
        body: { data: result.data.map((e) => renderEvent(e, r.ctx, r.fields)), sync: result.sync, has_more: result.hasMore },
      };
    });

    // ---- writes ----
    // https://developers.asana.com/reference/updatetask
    on('PUT', '/tasks/{task_gid}', async (r) => {
      const t = task(r);
      store.updateTask(r.me, t, await dataOf(r));
      return one(taskOut(r, t, TASK.full));
    });
    // https://developers.asana.com/reference/deletetask
    on('DELETE', '/tasks/{task_gid}', (r) => {
      store.deleteTask(r.me, task(r));
      return one({});
    });
    // https://developers.asana.com/reference/createtask
    on('POST', '/tasks', async (r) => created(r, taskOut(r, store.createTask(r.me, await dataOf(r)), TASK.full)));
    // https://developers.asana.com/reference/createsubtaskfortask
    on('POST', '/tasks/{task_gid}/subtasks', async (r) => {
      const parent = task(r);
      return created(r, taskOut(r, store.createTask(r.me, await dataOf(r), parent), TASK.full));
    });
    // https://developers.asana.com/reference/createstoryfortask
    on('POST', '/tasks/{task_gid}/stories', async (r) => {
      const t = task(r);
      return created(r, render(STORY, store.addComment(r.me, t, await dataOf(r)), r.fields ?? STORY.full, r.ctx));
    });
    // https://developers.asana.com/reference/addtaskforsection
    on('POST', '/sections/{section_gid}/addTask', async (r) => {
      const section = store.find('section', r.params[0] as string, 'section');
      const data = await dataOf(r);
      const taskGid = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).task : undefined;
      if (typeof taskGid !== 'string') throw badRequest('task: Missing input');
      store.moveToSection(r.me, store.find('task', taskGid, 'task'), section);
      return one({});
    });
    // https://developers.asana.com/reference/createcustomfield
    on('POST', '/custom_fields', async (r) => created(r, render(CUSTOM_FIELD, store.createCustomField(r.me, await dataOf(r)), r.fields ?? CUSTOM_FIELD.full, r.ctx)));
    // https://developers.asana.com/reference/createenumoptionforcustomfield
    on('POST', '/custom_fields/{custom_field_gid}/enum_options', async (r) => {
      const field = store.find('custom_field', r.params[0] as string, 'custom_field');
      return created(r, render(ENUM_OPTION, store.addEnumOption(field, await dataOf(r)), r.fields ?? ENUM_OPTION.full, r.ctx));
    });
    // https://developers.asana.com/reference/updateenumoption
    on('PUT', '/enum_options/{enum_option_gid}', async (r) => {
      const option = store.find('enum_option', r.params[0] as string, 'enum_option');
      return one(render(ENUM_OPTION, store.updateEnumOption(option, await dataOf(r)), r.fields ?? ENUM_OPTION.full, r.ctx));
    });
    // https://developers.asana.com/reference/addcustomfieldsettingforproject (answers 200 with the
    // setting, as the spec says: not 201, not an empty data)
    on('POST', '/projects/{project_gid}/addCustomFieldSetting', async (r) => {
      const project = store.find('project', r.params[0] as string, 'project');
      return one(render(CUSTOM_FIELD_SETTING, store.addCustomFieldSetting(r.me, project, await dataOf(r)), r.fields ?? CUSTOM_FIELD_SETTING.full, r.ctx));
    });
    // https://developers.asana.com/reference/createattachmentforobject (answers 200, as the spec says)
    on('POST', '/attachments', async (r) => {
      const form = await formOf(r);
      const parentGid = form.get('parent');
      if (typeof parentGid !== 'string') throw badRequest('parent: Missing input');
      const parent = store.find('task', parentGid, 'parent');
      const subtype = form.get('resource_subtype') ?? 'asana';
      let file: { name: string; host: AttachmentHost; size: number; url: string | null };
      if (subtype === 'external') {
        const url = form.get('url');
        const name = form.get('name');
        if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw badRequest('url: Missing input');
        file = { name: typeof name === 'string' && name !== '' ? name : url, host: 'external', size: 0, url };
      } else if (subtype === 'asana') {
        const upload = form.get('file');
        if (upload === null || typeof upload === 'string') throw badRequest('file: Missing input');
        file = { name: decodeName(upload.name), host: 'asana', size: upload.size, url: null };
      } else {
        throw badRequest(`resource_subtype: Unsupported value ${String(subtype)}`);
      }
      return one(render(ATTACHMENT, store.addAttachment(r.me, parent, file), r.fields ?? ATTACHMENT.full, r.ctx));
    });
    return routes;
  }

  /** Lists: the first 1,000 items without `limit` (no next_page key); signed keyset offsets with it. */
  private page<T extends { gid: string }>(r: Req, items: readonly T[], out: (item: T) => unknown, filter?: (item: T) => boolean): Reply {
    const limitRaw = r.query.get('limit');
    const offset = r.query.get('offset');
    const matches = filter ?? (() => true);
    if (limitRaw === null) {
      if (offset !== null) throw badRequest('offset: An offset can only be used together with limit');
      const all: unknown[] = [];
      for (const item of items) {
        if (!matches(item)) continue;
        all.push(out(item));
        if (all.length >= UNPAGINATED_MAX) break;
      }
      return { status: 200, body: { data: all } };
    }
    const limit = Number(limitRaw);
    if (!/^\d+$/.test(limitRaw) || limit < 1 || limit > 100) throw badRequest('limit: Must be between 1 and 100');
    const listKey = this.listKey(r);
    let start = 0;
    if (offset !== null) {
      const payload = this.store.verify(offset);
      const sep = payload ? payload.lastIndexOf('|') : -1;
      if (payload === null || sep < 0 || payload.slice(0, sep) !== listKey) throw badRequest('offset: Invalid offset token');
      start = firstAfterGid(items, Number(payload.slice(sep + 1)));
    }
    const data: unknown[] = [];
    let last: T | null = null;
    let i = start;
    for (; i < items.length && data.length < limit; i++) {
      const item = items[i] as T;
      if (!matches(item)) continue;
      data.push(out(item));
      last = item;
    }
    let more = false;
    for (; i < items.length; i++) {
      if (matches(items[i] as T)) {
        more = true;
        break;
      }
    }
    let nextPage: { offset: string; path: string; uri: string } | null = null;
    if (more && last) {
      const payload = `${listKey}|${last.gid}`;
      const token = `${Buffer.from(payload).toString('base64url')}.${this.store.sign(payload)}`;
      const q = new URLSearchParams(r.query);
      q.set('offset', token);
      const path = `${r.path}?${q.toString()}`;
      nextPage = { offset: token, path, uri: `${r.ctx.origin}${API_BASE_PATH}${path}` };
    }
    return { status: 200, body: { data, next_page: nextPage } };
  }

  /** What an offset is bound to: the route and every filter, so a token cannot page another list. */
  private listKey(r: Req): string {
    const params = [...r.query.entries()]
      .filter(([k]) => k !== 'offset' && k !== 'limit' && k !== 'opt_fields' && k !== 'opt_pretty')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    return `${r.routePath}:${r.params.join(',')}?${params}`;
  }
}

function emptyStats(): CallStats {
  return { total: 0, byRoute: {}, byStatus: {}, rateLimited: 0, earlyRetries: 0 };
}

function firstAfterGid(items: readonly { gid: string }[], gid: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Number((items[mid] as { gid: string }).gid) <= gid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function timeParam(query: URLSearchParams, name: string): number | null {
  const v = query.get(name);
  if (v === null) return null;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badRequest(`${name}: Invalid date-time: ${v}`);
  return t;
}

function completedSinceParam(query: URLSearchParams, now: number): number | null {
  return query.get('completed_since') === 'now' ? now : timeParam(query, 'completed_since');
}

/** `completed_since`: only incomplete tasks and tasks completed since then. */
function completedFilter(r: Req): ((t: TaskRec) => boolean) | undefined {
  const since = completedSinceParam(r.query, r.ctx.now);
  return since === null ? undefined : (t) => !t.completed || (t.completedAt ?? 0) >= since;
}

const COLLECTIONS: Record<string, string> = { story: 'stories', task: 'tasks', custom_field: 'custom_fields', enum_option: 'enum_options' };

function created(r: Req, data: Record<string, unknown>): Reply {
  const collection = COLLECTIONS[String(data.resource_type)] ?? 'tasks';
  return { status: 201, body: { data }, headers: { Location: `${r.ctx.origin}${API_BASE_PATH}/${collection}/${String(data.gid)}` } };
}

async function dataOf(r: Req): Promise<unknown> {
  const raw = (await r.body()).toString('utf8');
  let parsed: unknown;
  try {
    parsed = raw === '' ? {} : JSON.parse(raw);
  } catch {
    throw badRequest('Could not parse request data, invalid JSON');
  }
  const data = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).data : undefined;
  if (data === undefined) throw badRequest('data: Missing input');
  return data;
}

async function formOf(r: Req): Promise<FormData> {
  const body = await r.body();
  if (!/^multipart\/form-data|^application\/x-www-form-urlencoded/i.test(r.contentType)) {
    throw badRequest('Attachments must be uploaded as multipart/form-data');
  }
  try {
    return await new Request('http://simulator.local/', { method: 'POST', headers: { 'content-type': r.contentType }, body: new Uint8Array(body) }).formData();
  } catch {
    throw badRequest('Could not parse multipart request');
  }
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError(413, 'Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, reply: Reply, pretty = false): void {
  const body = JSON.stringify(reply.body, null, pretty ? 2 : undefined);
  res.writeHead(reply.status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': Buffer.byteLength(body),
    ...reply.headers,
  });
  res.end(body);
}
