// Asana writes (vendor-apis.md §1.6), on the official SDK and through the credential's RateLimiter,
// counted per endpoint and mapped to the one closed set of connector errors, like the reads in
// client.ts. Writes share the read budget of the token (engineering-facts.md §7.5), which is why
// they take the same limiter. Idempotence across retries is the outbox's job; this file only avoids
// a write whose target is already there when the caller says what is there.
import Asana from 'asana';
import { z } from 'zod';
import { stripStamp } from '../stamp';
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

/** What `ensureEnumField` found or made. */
export interface EnsuredEnumField {
  fieldGid: string;
  /** Every requested option name → its option gid. */
  options: Record<string, string>;
  created: {
    field: boolean;
    /** Option names added to an existing field (a new field is created with all of them: not listed). */
    options: string[];
    /** Projects the field was added to. */
    projects: string[];
    /** Options that existed but were disabled ("trashed" in Asana) and were enabled again. */
    reenabled: string[];
  };
}

/** A number custom field `ensureNumberFields` finds or makes: its exact name and the decimal places to create it with. */
export interface NumberFieldSpec {
  name: string;
  /** 0–6 (asana_oas.yaml CustomFieldBase.precision): places after the decimal point Asana shows. */
  precision: number;
}

/** What `ensureNumberFields` found or made. */
export interface EnsuredNumberFields {
  /** Every requested field name → its gid. */
  fields: Record<string, string>;
  /**
   * Every requested field name → its precision in Asana: a field the team made earlier keeps its own,
   * which may show fewer places than were asked for (Stageline does not change the team's fields).
   */
  precision: Record<string, number>;
  created: {
    /** Fields created (an existing field of that name is used as it is). */
    fields: string[];
    /** Per project gid, the fields added to it. */
    projects: Record<string, string[]>;
  };
}

// The definition fields ensureEnumField reads (asana_oas.yaml CustomFieldCompact/CustomFieldBase).
// `type` is deprecated in favour of `resource_subtype` but still served; both are read.
const FIELD_DEF_FIELDS = ['name', 'resource_subtype', 'type', 'enum_options.name', 'enum_options.enabled'];
const CUSTOM_FIELD_FIELDS = FIELD_DEF_FIELDS.join(',');
const SETTING_FIELDS = FIELD_DEF_FIELDS.map((f) => `custom_field.${f}`).join(',');
// ensureNumberFields reads the precision instead of the options.
const NUMBER_DEF_FIELDS = ['name', 'resource_subtype', 'type', 'precision'];
/** "A custom field can have at most 500 enum options (including disabled options)": asana_oas.yaml, createEnumOptionForCustomField. */
const MAX_ENUM_OPTIONS = 500;

const Gid = z.string().regex(/^\d+$/);
const FieldDefRaw = z.looseObject({
  gid: Gid,
  name: z.string(),
  type: z.string().nullish(),
  resource_subtype: z.string().nullish(),
  enum_options: z.array(z.looseObject({ gid: Gid, name: z.string(), enabled: z.boolean().nullish() })).nullish(),
  precision: z.number().int().nullish(),
});
type FieldDef = z.infer<typeof FieldDefRaw>;
const SettingRaw = z.looseObject({ gid: Gid, custom_field: FieldDefRaw.nullish() });
const Created = z.looseObject({ gid: Gid });

/* eslint-disable @typescript-eslint/no-explicit-any -- the SDK's bodies and results are `any` (vendor-apis.md §1.8) */
type Sdk = Record<string, any>;

const GID = /^\d+$/;

export class AsanaWriter {
  readonly counter: CallCounter;
  private readonly api: { tasks: Sdk; stories: Sdk; sections: Sdk; customFields: Sdk; settings: Sdk; projects: Sdk };
  private readonly limiter: AsanaClientOptions['limiter'];
  private readonly abortIf: () => boolean;

  constructor(opts: AsanaClientOptions) {
    const client = new Asana.ApiClient() as Asana.ApiClient & Sdk;
    client.basePath = (opts.baseUrl ?? manifest.baseUrl).replace(/\/$/, '');
    (client.authentications as Sdk).token.accessToken = opts.token;
    client.timeout = opts.timeoutMs ?? 60_000;
    client.RETURN_COLLECTION = false;
    this.api = {
      tasks: new Asana.TasksApi(client),
      stories: new Asana.StoriesApi(client),
      sections: new Asana.SectionsApi(client),
      customFields: new Asana.CustomFieldsApi(client),
      settings: new Asana.CustomFieldSettingsApi(client),
      projects: new Asana.ProjectsApi(client),
    };
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
    // A stamp alone (connectors/stamp.ts) is not a comment: it would post an invisible story.
    if (stripStamp(text).trim() === '') throw new ConnectorError('invalid_config', 'Asana addComment: the comment text is empty');
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

  /**
   * Makes sure the workspace has an enum custom field called `name` (exact, case-sensitive match)
   * with an enabled option for each of `optionNames`, on each of `projectGids`; returns its gid
   * and each option's gid. Reads first, then writes only what is missing:
   *
   * 1. `GET /workspaces/{ws}/custom_fields?limit=100` — every page (the workspace's field library).
   * 2. `GET /projects/{p}/custom_field_settings?limit=100` — every page, once per project (which
   *    projects already have the field; also finds a project-local field of that name, which the
   *    library listing does not show).
   * 3. `POST /custom_fields` — only when no field of that name exists: created as an enum with all
   *    options, `has_notifications_enabled: false` (a status written by a bot should not notify
   *    every follower of every task).
   * 4. `PUT /enum_options/{gid}` `{enabled: true}` — per requested option that exists but is
   *    disabled; `POST /custom_fields/{gid}/enum_options` — per requested option that is missing.
   * 5. `POST /projects/{p}/addCustomFieldSetting` `{custom_field, is_important: true}` — per
   *    project without the field.
   *
   * A second call with the same arguments therefore makes only the reads of steps 1 and 2: one
   * call per page of the workspace's fields plus one per page of each project's settings (with
   * fewer than 100 of each, 1 + projectGids.length calls) and writes nothing. A field of that name
   * but another type is `invalid_config` naming it; nothing is written then.
   * Not safe against a concurrent run (two could both create the field): callers serialise it.
   */
  async ensureEnumField(workspaceGid: string, projectGids: string[], name: string, optionNames: string[]): Promise<EnsuredEnumField> {
    assertGid('workspaceGid', workspaceGid);
    for (const p of projectGids) assertGid('projectGid', p);
    if (typeof name !== 'string' || name.trim() === '') throw new ConnectorError('invalid_config', 'Asana ensureEnumField: the field name is empty');
    const wanted = [...new Set(optionNames)];
    if (wanted.some((o) => typeof o !== 'string' || o.trim() === '')) throw new ConnectorError('invalid_config', `Asana ensureEnumField: an option name of "${name}" is empty`);
    const projects = [...new Set(projectGids)];

    // 1, 2: reads.
    const { library, onProject } = await this.readFields(workspaceGid, projects, CUSTOM_FIELD_FIELDS, SETTING_FIELDS);

    const created: EnsuredEnumField['created'] = { field: false, options: [], projects: [], reenabled: [] };
    let field = library.find((f) => f.name === name) ?? [...onProject.values()].flat().find((f) => f.name === name);
    if (field) {
      const type = field.resource_subtype ?? field.type;
      if (type !== 'enum') {
        throw new ConnectorError(
          'invalid_config',
          `Asana custom field "${field.name}" (${field.gid}) is a ${type ?? 'field of unknown type'}, not an enum: rename it in Asana or configure another field name for Stageline`,
        );
      }
    } else {
      if (wanted.length === 0) throw new ConnectorError('invalid_config', `Asana ensureEnumField: cannot create "${name}" without options (an enum field needs at least one)`);
      // https://developers.asana.com/reference/createcustomfield
      const body = await this.call('POST /custom_fields', () =>
        this.api.customFields.createCustomField(
          { data: { workspace: workspaceGid, name, resource_subtype: 'enum', enum_options: wanted.map((o) => ({ name: o })), has_notifications_enabled: false } },
          { opt_fields: CUSTOM_FIELD_FIELDS },
        ),
      );
      field = parseOr(FieldDefRaw, body?.data, 'POST /custom_fields');
      created.field = true;
    }
    const fieldGid = field.gid;

    // 4: options.
    const existing = field.enum_options ?? [];
    let count = existing.length;
    const options: Record<string, string> = {};
    for (const o of wanted) {
      const same = existing.filter((x) => x.name === o);
      const live = same.find((x) => x.enabled !== false);
      if (live) {
        options[o] = live.gid;
        continue;
      }
      const trashed = same[0];
      if (trashed) {
        // https://developers.asana.com/reference/updateenumoption — a disabled option cannot be
        // written to a task, and adding a second one of the same name would leave two in the UI.
        await this.call('PUT /enum_options/{gid}', () => this.api.customFields.updateEnumOption(trashed.gid, { body: { data: { enabled: true } }, opt_fields: 'name,enabled' }));
        options[o] = trashed.gid;
        created.reenabled.push(o);
        continue;
      }
      if (count >= MAX_ENUM_OPTIONS) throw new ConnectorError('invalid_config', `Asana custom field "${name}" (${fieldGid}) already has ${MAX_ENUM_OPTIONS} options, Asana's maximum: cannot add "${o}"`);
      // https://developers.asana.com/reference/createenumoptionforcustomfield (the SDK also copies
      // `opts`, body included, into the query string, as for addTask: README Behaviours)
      const body = await this.call('POST /custom_fields/{gid}/enum_options', () =>
        this.api.customFields.createEnumOptionForCustomField(fieldGid, { body: { data: { name: o } }, opt_fields: 'name,enabled' }),
      );
      options[o] = parseOr(Created, body?.data, 'POST /custom_fields/{gid}/enum_options').gid;
      created.options.push(o);
      count++;
    }

    // 5: projects.
    for (const p of projects) {
      if ((onProject.get(p) ?? []).some((f) => f.gid === fieldGid)) continue;
      // https://developers.asana.com/reference/addcustomfieldsettingforproject — is_important shows
      // the field as a column in the project's list view.
      await this.call('POST /projects/{gid}/addCustomFieldSetting', () =>
        this.api.projects.addCustomFieldSettingForProject({ data: { custom_field: fieldGid, is_important: true } }, p, { opt_fields: 'is_important' }),
      );
      created.projects.push(p);
    }
    return { fieldGid, options, created };
  }

  /**
   * Makes sure the workspace has a number custom field of each spec's exact name, on each of
   * `projectGids`; returns their gids. The same reads as `ensureEnumField` (one pass for all the
   * fields: the workspace's field library, then each project's settings), then only what is missing:
   * `POST /custom_fields` per missing field (a number with the spec's precision, notifications off:
   * figures a bot keeps up to date should not notify every follower), and
   * `POST /projects/{p}/addCustomFieldSetting` per project and field it lacks. A second call with the
   * same arguments makes only the reads (1 + projectGids.length calls with fewer than 100 fields and
   * settings each). A field of that name but another type is `invalid_config` naming it, before anything
   * is written. Not safe against a concurrent run (two could both create a field): callers serialise it.
   */
  async ensureNumberFields(workspaceGid: string, projectGids: string[], specs: NumberFieldSpec[]): Promise<EnsuredNumberFields> {
    assertGid('workspaceGid', workspaceGid);
    for (const p of projectGids) assertGid('projectGid', p);
    for (const f of specs) {
      if (typeof f.name !== 'string' || f.name.trim() === '') throw new ConnectorError('invalid_config', 'Asana ensureNumberFields: a field name is empty');
      if (!Number.isInteger(f.precision) || f.precision < 0 || f.precision > 6) throw new ConnectorError('invalid_config', `Asana ensureNumberFields: the precision of "${f.name}" must be an integer from 0 to 6`);
    }
    if (new Set(specs.map((f) => f.name)).size !== specs.length) throw new ConnectorError('invalid_config', 'Asana ensureNumberFields: two fields have the same name');
    const projects = [...new Set(projectGids)];
    const { library, onProject } = await this.readFields(workspaceGid, projects, NUMBER_DEF_FIELDS.join(','), NUMBER_DEF_FIELDS.map((f) => `custom_field.${f}`).join(','));

    const found = new Map<string, FieldDef>();
    for (const spec of specs) {
      const field = library.find((f) => f.name === spec.name) ?? [...onProject.values()].flat().find((f) => f.name === spec.name);
      if (!field) continue;
      const type = field.resource_subtype ?? field.type;
      if (type !== 'number') {
        throw new ConnectorError(
          'invalid_config',
          `Asana custom field "${field.name}" (${field.gid}) is a ${type ?? 'field of unknown type'}, not a number: rename it in Asana or configure another field name for Stageline (enforcement.metrics.fields)`,
        );
      }
      found.set(spec.name, field);
    }
    const out: EnsuredNumberFields = { fields: {}, precision: {}, created: { fields: [], projects: {} } };
    for (const spec of specs) {
      let field = found.get(spec.name);
      if (!field) {
        // https://developers.asana.com/reference/createcustomfield
        const body = await this.call('POST /custom_fields', () =>
          this.api.customFields.createCustomField(
            { data: { workspace: workspaceGid, name: spec.name, resource_subtype: 'number', precision: spec.precision, has_notifications_enabled: false } },
            { opt_fields: NUMBER_DEF_FIELDS.join(',') },
          ),
        );
        field = parseOr(FieldDefRaw, body?.data, 'POST /custom_fields');
        out.created.fields.push(spec.name);
      }
      out.fields[spec.name] = field.gid;
      out.precision[spec.name] = field.precision ?? spec.precision;
    }
    for (const p of projects) {
      for (const spec of specs) {
        const gid = out.fields[spec.name]!;
        if ((onProject.get(p) ?? []).some((f) => f.gid === gid)) continue;
        // https://developers.asana.com/reference/addcustomfieldsettingforproject
        await this.call('POST /projects/{gid}/addCustomFieldSetting', () =>
          this.api.projects.addCustomFieldSettingForProject({ data: { custom_field: gid, is_important: true } }, p, { opt_fields: 'is_important' }),
        );
        (out.created.projects[p] ??= []).push(spec.name);
      }
    }
    return out;
  }

  /** The workspace's field library and each project's fields (every page of each), with the given opt_fields. */
  private async readFields(workspaceGid: string, projects: string[], fieldOptFields: string, settingOptFields: string): Promise<{ library: FieldDef[]; onProject: Map<string, FieldDef[]> }> {
    // https://developers.asana.com/reference/getcustomfieldsforworkspace
    const library = (
      await this.listAll('GET /workspaces/{gid}/custom_fields', (offset) =>
        this.api.customFields.getCustomFieldsForWorkspace(workspaceGid, { limit: manifest.pageSize.max, opt_fields: fieldOptFields, ...(offset ? { offset } : {}) }),
      )
    ).map((f) => parseOr(FieldDefRaw, f, 'GET /workspaces/{gid}/custom_fields'));
    const onProject = new Map<string, FieldDef[]>();
    for (const p of projects) {
      // https://developers.asana.com/reference/getcustomfieldsettingsforproject
      const settings = await this.listAll('GET /projects/{gid}/custom_field_settings', (offset) =>
        this.api.settings.getCustomFieldSettingsForProject(p, { limit: manifest.pageSize.max, opt_fields: settingOptFields, ...(offset ? { offset } : {}) }),
      );
      onProject.set(p, settings.flatMap((s) => parseOr(SettingRaw, s, 'GET /projects/{gid}/custom_field_settings').custom_field ?? []));
    }
    return { library, onProject };
  }

  private async listAll(endpoint: string, fetchPage: (offset: string | undefined) => Promise<any>): Promise<unknown[]> {
    const out: unknown[] = [];
    let offset: string | undefined;
    do {
      const body = await this.call(endpoint, () => fetchPage(offset));
      if (!Array.isArray(body?.data)) throw new ConnectorError('schema_drift', `Asana ${endpoint}: the answer has no data list`, { endpoint });
      out.push(...(body.data as unknown[]));
      offset = body.next_page?.offset ?? undefined;
    } while (offset);
    return out;
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

  // Same reading of a superagent error as AsanaClient's, so reads and writes classify alike.
  private toConnectorError(endpoint: string, err: unknown): Error {
    return asanaError(endpoint, err, this.limiter);
  }

}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A vendor answer in the shape we rely on, or `schema_drift` naming the endpoint. */
function parseOr<S extends z.ZodType>(schema: S, value: unknown, endpoint: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ConnectorError('schema_drift', `Asana ${endpoint}: unexpected answer at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`, { endpoint });
  }
  return r.data;
}

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
