// Asana reads through the official SDK (`asana` v3). The SDK never retries (vendor-apis.md §1.8), which
// is what we want: one place decides (Temporal, through classify → ApplicationFailure).
// Every call goes through the credential's RateLimiter and is counted per endpoint.
import Asana from 'asana';
import { CallCounter, ConnectorError, classify } from '../types';
import type { RateLimiter } from '../limiter';
import { ATTACHMENT_FIELDS, PROJECT_FIELDS, SECTION_FIELDS, STORY_FIELDS, SUBTASK_FIELDS, TASK_FIELDS, manifest } from './manifest';

export interface AsanaClientOptions {
  token: string;
  baseUrl?: string;
  limiter: RateLimiter;
  counter?: CallCounter;
  timeoutMs?: number;
  /** Checked before each request: once a page has failed, its other requests stop instead of queueing. */
  abortIf?: () => boolean;
}

/** A request that was not sent because its page had already failed. */
export class AbortedRequest extends Error {
  constructor() {
    super('request not sent: the page already failed');
    this.name = 'AbortedRequest';
  }
}

export interface Page<T> {
  data: T[];
  nextOffset: string | null;
}

export type EventsResult =
  | { ok: true; events: unknown[]; sync: string; hasMore: boolean }
  /** 412: the token was missing, too old or invalid; `sync` is a fresh one and the resource must be re-crawled. */
  | { ok: false; sync: string };

/* eslint-disable @typescript-eslint/no-explicit-any -- the SDK's bodies and results are `any` (vendor-apis.md §1.8) */
type Sdk = Record<string, any>;

export class AsanaClient {
  readonly counter: CallCounter;
  private readonly api: { users: Sdk; projects: Sdk; sections: Sdk; tasks: Sdk; stories: Sdk; attachments: Sdk; events: Sdk };
  private readonly limiter: RateLimiter;
  private readonly abortIf: () => boolean;

  constructor(opts: AsanaClientOptions) {
    const client = new Asana.ApiClient() as Asana.ApiClient & Sdk;
    client.basePath = (opts.baseUrl ?? manifest.baseUrl).replace(/\/$/, '');
    (client.authentications as Sdk).token.accessToken = opts.token;
    client.timeout = opts.timeoutMs ?? 60_000;
    // Plain JSON bodies: we page with offsets ourselves and read `next_page`, `sync`, `has_more`.
    client.RETURN_COLLECTION = false;
    this.api = {
      users: new Asana.UsersApi(client),
      projects: new Asana.ProjectsApi(client),
      sections: new Asana.SectionsApi(client),
      tasks: new Asana.TasksApi(client),
      stories: new Asana.StoriesApi(client),
      attachments: new Asana.AttachmentsApi(client),
      events: new Asana.EventsApi(client),
    };
    this.limiter = opts.limiter;
    this.abortIf = opts.abortIf ?? (() => false);
    this.counter = opts.counter ?? new CallCounter();
  }

  private async call<T = any>(endpoint: string, fn: () => Promise<T>): Promise<T> {
    return this.limiter.schedule(async () => {
      if (this.abortIf()) throw new AbortedRequest();
      this.counter.add(endpoint);
      try {
        return await fn();
      } catch (err) {
        throw this.toConnectorError(endpoint, err);
      }
    }, { skipPacing: this.abortIf });
  }

  private toConnectorError(endpoint: string, err: unknown): Error {
    return asanaError(endpoint, err, this.limiter);
  }


  private async listAll<T>(endpoint: string, fetchPage: (offset: string | undefined) => Promise<any>): Promise<T[]> {
    const out: T[] = [];
    let offset: string | undefined;
    do {
      const body = await this.call(endpoint, () => fetchPage(offset));
      out.push(...(body.data as T[]));
      offset = body.next_page?.offset ?? undefined;
    } while (offset);
    return out;
  }

  // https://developers.asana.com/reference/getuser
  async me(): Promise<{ gid: string; name?: string; email?: string }> {
    const body = await this.call('GET /users/{gid}', () => this.api.users.getUser('me', { opt_fields: 'name,email' }));
    return body.data;
  }

  // https://developers.asana.com/reference/getprojectsforworkspace
  listProjects(workspace: string): Promise<unknown[]> {
    return this.listAll('GET /workspaces/{gid}/projects', (offset) =>
      this.api.projects.getProjectsForWorkspace(workspace, { limit: manifest.pageSize.max, opt_fields: PROJECT_FIELDS, ...(offset ? { offset } : {}) }),
    );
  }

  // https://developers.asana.com/reference/getsectionsforproject
  listSections(project: string): Promise<unknown[]> {
    return this.listAll('GET /projects/{gid}/sections', (offset) =>
      this.api.sections.getSectionsForProject(project, { limit: manifest.pageSize.max, opt_fields: SECTION_FIELDS, ...(offset ? { offset } : {}) }),
    );
  }

  // https://developers.asana.com/reference/gettasks — all tasks of the project, completed ones included.
  async tasksPage(project: string, opts: { offset?: string | null; modifiedSince?: string; limit?: number } = {}): Promise<Page<unknown>> {
    const body = await this.call('GET /tasks', () =>
      this.api.tasks.getTasks({
        project,
        limit: opts.limit ?? manifest.pageSize.max,
        opt_fields: TASK_FIELDS,
        ...(opts.offset ? { offset: opts.offset } : {}),
        ...(opts.modifiedSince ? { modified_since: opts.modifiedSince } : {}),
      }),
    );
    return { data: body.data, nextOffset: body.next_page?.offset ?? null };
  }

  // https://developers.asana.com/reference/gettask
  async task(gid: string): Promise<unknown> {
    const body = await this.call('GET /tasks/{gid}', () => this.api.tasks.getTask(gid, { opt_fields: TASK_FIELDS }));
    return body.data;
  }

  // https://developers.asana.com/reference/getsubtasksfortask
  subtasks(task: string): Promise<unknown[]> {
    return this.listAll('GET /tasks/{gid}/subtasks', (offset) =>
      this.api.tasks.getSubtasksForTask(task, { limit: manifest.pageSize.max, opt_fields: SUBTASK_FIELDS, ...(offset ? { offset } : {}) }),
    );
  }

  // https://developers.asana.com/reference/getstoriesfortask — comments and system history alike.
  stories(task: string): Promise<unknown[]> {
    return this.listAll('GET /tasks/{gid}/stories', (offset) =>
      this.api.stories.getStoriesForTask(task, { limit: manifest.pageSize.max, opt_fields: STORY_FIELDS, ...(offset ? { offset } : {}) }),
    );
  }

  // https://developers.asana.com/reference/getattachmentsforobject
  attachments(task: string): Promise<unknown[]> {
    return this.listAll('GET /attachments', (offset) =>
      this.api.attachments.getAttachmentsForObject(task, { limit: manifest.pageSize.max, opt_fields: ATTACHMENT_FIELDS, ...(offset ? { offset } : {}) }),
    );
  }

  // https://developers.asana.com/reference/getevents — a 412 carries a fresh token in its body.
  async events(resource: string, sync: string | null): Promise<EventsResult> {
    return this.limiter.schedule(async () => {
      if (this.abortIf()) throw new AbortedRequest();
      this.counter.add('GET /events');
      try {
        const body = await this.api.events.getEvents(resource, sync ? { sync } : {});
        return { ok: true as const, events: body.data ?? [], sync: body.sync as string, hasMore: Boolean(body.has_more) };
      } catch (err) {
        const e = err as { status?: number; response?: { body?: { sync?: string } } };
        if (e.status === 412 && typeof e.response?.body?.sync === 'string') return { ok: false as const, sync: e.response.body.sync };
        throw this.toConnectorError('GET /events', err);
      }
    }, { skipPacing: this.abortIf });
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * Reads a superagent error from the SDK as one of the closed set of connector errors (reads and writes
 * alike); a vendor wait pauses every request of the credential.
 */
export function asanaError(endpoint: string, err: unknown, limiter: RateLimiter): Error {
  const e = err as { status?: number; response?: { headers?: Record<string, string>; body?: { errors?: { message?: string }[] } }; code?: string; timeout?: number; message?: string };
  if (e.status === undefined && !e.code && !e.timeout && !e.response) return err as Error; // a bug of ours, not a vendor answer
  const status = e.status;
  const headers = e.response?.headers;
  const vendorMessage = e.response?.body?.errors?.map((x) => x.message).filter(Boolean).join('; ') || undefined;
  const verdict = classify({ status, headers, networkError: status === undefined ? (e.code ?? (e.timeout ? 'timeout' : 'network')) : undefined }, manifest);
  if (verdict.kind === 'rate_limited' && verdict.retryAfterMs !== undefined) limiter.pauseUntil(Date.now() + verdict.retryAfterMs);
  const what = status !== undefined ? `HTTP ${status}` : (e.code ?? e.message ?? 'network error');
  return new ConnectorError(verdict.kind, `Asana ${endpoint}: ${what}${vendorMessage ? ` — ${vendorMessage}` : ''}`, {
    ...(status !== undefined ? { status } : {}),
    ...(verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}),
    endpoint,
    ...(vendorMessage ? { vendorMessage } : {}),
  });
}
