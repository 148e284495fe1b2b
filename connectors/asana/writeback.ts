// Asana writes (vendor-apis.md §1.6), on the official SDK and through the credential's RateLimiter,
// counted per endpoint and mapped to the one closed set of connector errors, like the reads in
// client.ts. Writes share the read budget of the token (engineering-facts.md §7.5), which is why
// they take the same limiter. Idempotence across retries is the outbox's job; this file only avoids
// a write whose target is already there when the caller says what is there.
import Asana from 'asana';
import { CallCounter, ConnectorError } from '../types';
import { AbortedRequest, asanaError, type AsanaClientOptions } from './client';
import { manifest } from './manifest';
import type { AsanaTaskRaw } from './raw';

/**
 * A custom-field value in the form `PUT /tasks/{gid}` takes, keyed by field gid: an enum option gid,
 * a list of option gids (multi_enum) or user gids (people), text, a number, a date as the spec
 * documents it (`YYYY-MM-DD`, or an ISO date-time in UTC: asana_oas.yaml TaskRequestBase.custom_fields),
 * or null to clear. The `{date}` / `{date_time}` objects mirror `date_value`; the simulator takes
 * them, real Asana is unverified (vendor-apis.md §1.6), so prefer the string.
 */
export type CustomFieldWriteValue = string | number | null | string[] | { date: string } | { date_time: string };
export type CustomFieldWrites = Record<string, CustomFieldWriteValue>;

/* eslint-disable @typescript-eslint/no-explicit-any -- the SDK's bodies and results are `any` (vendor-apis.md §1.8) */
type Sdk = Record<string, any>;

const GID = /^\d+$/;

export class AsanaWriter {
  readonly counter: CallCounter;
  private readonly api: { tasks: Sdk; stories: Sdk; sections: Sdk };
  private readonly limiter: AsanaClientOptions['limiter'];
  private readonly abortIf: () => boolean;

  constructor(opts: AsanaClientOptions) {
    const client = new Asana.ApiClient() as Asana.ApiClient & Sdk;
    client.basePath = (opts.baseUrl ?? manifest.baseUrl).replace(/\/$/, '');
    (client.authentications as Sdk).token.accessToken = opts.token;
    client.timeout = opts.timeoutMs ?? 60_000;
    client.RETURN_COLLECTION = false;
    this.api = { tasks: new Asana.TasksApi(client), stories: new Asana.StoriesApi(client), sections: new Asana.SectionsApi(client) };
    this.limiter = opts.limiter;
    this.abortIf = opts.abortIf ?? (() => false);
    this.counter = opts.counter ?? new CallCounter();
  }

  /**
   * https://developers.asana.com/reference/updatetask — sets custom fields by field gid (enum values
   * are option gids, not names: vendor-apis.md §1.6). With `current` (the task's values in the same
   * form, e.g. from `customFieldWriteForm`), fields that already hold their target are left out, and
   * when none is left no request is made. Returns whether a write was sent.
   */
  async setCustomFields(taskGid: string, target: CustomFieldWrites, current?: Readonly<CustomFieldWrites>): Promise<boolean> {
    assertGid('taskGid', taskGid);
    for (const f of Object.keys(target)) assertGid('custom field', f);
    const changes = current ? Object.fromEntries(Object.entries(target).filter(([f, v]) => !(f in current && sameValue(current[f], v)))) : { ...target };
    if (Object.keys(changes).length === 0) return false;
    await this.call('PUT /tasks/{gid}', () => this.api.tasks.updateTask({ data: { custom_fields: changes } }, taskGid, { opt_fields: 'modified_at' }));
    return true;
  }

  /** https://developers.asana.com/reference/createstoryfortask — a plain-text comment, shown as by the token's user. */
  async addComment(taskGid: string, text: string): Promise<{ gid: string; createdAt: string | null }> {
    assertGid('taskGid', taskGid);
    if (text.trim() === '') throw new ConnectorError('invalid_config', 'Asana addComment: the comment text is empty');
    const body = await this.call('POST /tasks/{gid}/stories', () =>
      this.api.stories.createStoryForTask({ data: { text } }, taskGid, { opt_fields: 'created_at' }),
    );
    const story = (body?.data ?? {}) as { gid?: unknown; created_at?: unknown };
    if (typeof story.gid !== 'string') throw new ConnectorError('schema_drift', 'Asana POST /tasks/{gid}/stories: the answer has no story gid');
    return { gid: story.gid, createdAt: typeof story.created_at === 'string' ? story.created_at : null };
  }

  /**
   * https://developers.asana.com/reference/addtaskforsection — moves the task into the section (and
   * out of the project's other sections): how a stage is written when stages are sections.
   */
  async moveToSection(taskGid: string, sectionGid: string): Promise<void> {
    assertGid('taskGid', taskGid);
    assertGid('sectionGid', sectionGid);
    // The SDK also copies `opts` into the query string, so this request carries a harmless
    // `?body=[object Object]` (observed against a loopback server; README Behaviours).
    await this.call('POST /sections/{gid}/addTask', () => this.api.sections.addTaskForSection(sectionGid, { body: { data: { task: taskGid } } }));
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
    });
  }

  // Same reading of a superagent error as AsanaClient's, so reads and writes classify alike.
  private toConnectorError(endpoint: string, err: unknown): Error {
    return asanaError(endpoint, err, this.limiter);
  }

}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A gid goes into a URL path: anything but digits is a caller's bug, refused before it is sent. */
function assertGid(what: string, gid: string): void {
  if (typeof gid !== 'string' || !GID.test(gid)) throw new ConnectorError('invalid_config', `Asana write: ${what} ${JSON.stringify(gid)} is not an Asana gid`);
}

/**
 * A task's current custom-field values in the form `setCustomFields` writes (option and user gids,
 * not display names; dates as strings), so a caller holding the task it last read can skip no-op writes.
 */
export function customFieldWriteForm(task: Pick<AsanaTaskRaw, 'custom_fields'>): CustomFieldWrites {
  const out: CustomFieldWrites = {};
  for (const f of task.custom_fields) {
    switch (f.resource_subtype ?? f.type) {
      case 'enum': out[f.gid] = f.enum_value?.gid ?? null; break;
      case 'multi_enum': out[f.gid] = (f.multi_enum_values ?? []).map((v) => v.gid); break;
      case 'people': out[f.gid] = (f.people_value ?? []).map((u) => u.gid); break;
      case 'number': out[f.gid] = f.number_value ?? null; break;
      case 'text': out[f.gid] = f.text_value ?? null; break;
      case 'date': out[f.gid] = f.date_value?.date_time ?? f.date_value?.date ?? null; break;
      default: break; // a field type we do not write is never compared, so it is always sent
    }
  }
  return out;
}

/**
 * Equal as Asana stores them: gid lists as sets, an empty list as null, a date object as its date
 * string. Anything else compares exactly; a false "different" costs one redundant write, a false
 * "equal" would lose one, so the comparison stays strict.
 */
function sameValue(a: CustomFieldWriteValue | undefined, b: CustomFieldWriteValue): boolean {
  const norm = (v: CustomFieldWriteValue | undefined): string => {
    if (v === undefined) return 'undefined';
    if (v === null || (Array.isArray(v) && v.length === 0)) return 'null';
    if (Array.isArray(v)) return JSON.stringify([...new Set(v)].sort());
    if (typeof v === 'object') return JSON.stringify('date_time' in v ? v.date_time : v.date);
    return JSON.stringify(v);
  };
  return norm(a) === norm(b);
}
