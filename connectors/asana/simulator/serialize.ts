// Records → Asana JSON, honouring `opt_fields` (asana_oas.yaml components.parameters.fields):
// compact records by default, exactly the requested fields otherwise, dotted paths reaching into
// nested objects (`memberships.section.name`), `gid` and `resource_type` always present, unknown
// fields ignored. Each resource type is a table of field resolvers; nothing is built that was not
// asked for, so a page of 100 tasks costs well under a millisecond.

import {
  type AttachmentRec,
  type CfValue,
  type CustomFieldRec,
  type CustomFieldSettingRec,
  type DatesValue,
  type EnumOptionRec,
  type ProjectRec,
  type SectionRec,
  type StoryRec,
  type TaskRec,
  type UserRec,
  type WorkspaceRec,
  isoTime,
} from './model';
import { type EventRec } from './store';

export type FieldTree = Map<string, FieldTree | null>;

/** `a,b.c,b.d` → {a: null, b: {c: null, d: null}}; null when no opt_fields were given. */
export function parseOptFields(raw: string | null): FieldTree | null {
  if (raw === null) return null;
  const root: FieldTree = new Map();
  for (const path of raw.split(',')) {
    const parts = path.trim().split('.').filter((p) => p !== '');
    let node = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const existing = node.get(part);
      if (last) {
        // `assignee` next to `assignee.email`: the compact fields plus the named ones.
        if (existing) existing.set('*', null);
        else node.set(part, null);
        return;
      }
      let child = existing;
      if (!child) {
        child = new Map();
        if (existing === null) child.set('*', null);
        node.set(part, child);
      }
      node = child;
    });
  }
  return root;
}

export interface RenderContext {
  /** `http://host:port` of the server, for download URLs. */
  origin: string;
  me: UserRec;
  now: number;
  workspace: WorkspaceRec;
}

const OMIT = Symbol('omit');
type Resolver<R> = (rec: R, sub: FieldTree | null, ctx: RenderContext) => unknown;

interface Def<R> {
  /** resource_type, or null for plain structures (memberships, events) without gid. */
  type: string | null;
  fields: Record<string, Resolver<R>>;
  compact: FieldTree;
  full: FieldTree;
}

function tree(fields: readonly string[]): FieldTree {
  return new Map(fields.map((f) => [f, null]));
}

function define<R>(type: string | null, fields: Record<string, Resolver<R>>, compact: readonly string[], full?: readonly string[]): Def<R> {
  return { type, fields, compact: tree(compact), full: tree(full ?? Object.keys(fields)) };
}

function render<R extends object>(def: Def<R>, rec: R, t: FieldTree, ctx: RenderContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (def.type !== null) {
    out.gid = (rec as { gid?: string }).gid;
    out.resource_type = def.type;
  }
  // Fields asked into first (`custom_fields.people_value.email`), then the compact rest, so a compact
  // field never shadows the expanded form of the same field.
  for (const [key, sub] of t) put(def, rec, key, sub, ctx, out);
  if (t.has('*')) for (const [key, sub] of def.compact) put(def, rec, key, sub, ctx, out);
  return out;
}

function put<R>(def: Def<R>, rec: R, key: string, sub: FieldTree | null, ctx: RenderContext, out: Record<string, unknown>): void {
  const resolve = def.fields[key];
  if (!resolve || key in out) return;
  const value = resolve(rec, sub, ctx);
  if (value !== OMIT) out[key] = value;
}

/** A nested record: its compact form unless the caller asked into it. */
function nested<R extends object>(def: Def<R>, rec: R | null, sub: FieldTree | null, ctx: RenderContext): Record<string, unknown> | null {
  return rec === null ? null : render(def, rec, sub ?? def.compact, ctx);
}

function list<R extends object>(def: Def<R>, recs: readonly R[], sub: FieldTree | null, ctx: RenderContext): Record<string, unknown>[] {
  return recs.map((r) => render(def, r, sub ?? def.compact, ctx));
}

const time = (ms: number | null): string | null => (ms === null ? null : isoTime(ms));
const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const empty = (): unknown[] => [];

// ---- users, workspaces ----------------------------------------------------------------------------

export const WORKSPACE: Def<WorkspaceRec> = define(
  'workspace',
  { name: (w) => w.name, email_domains: (w) => w.emailDomains, is_organization: () => true },
  ['name'],
);

export const USER: Def<UserRec> = define(
  'user',
  {
    name: (u) => u.name,
    email: (u) => u.email,
    photo: () => null,
    workspaces: (_u, sub, ctx) => [nested(WORKSPACE, ctx.workspace, sub, ctx)],
  },
  ['name'],
);

// ---- custom fields --------------------------------------------------------------------------------

export const ENUM_OPTION: Def<EnumOptionRec> = define(
  'enum_option',
  { name: (o) => o.name, enabled: (o) => o.enabled, color: (o) => o.color },
  ['name', 'enabled', 'color'],
);

const fieldProps: Record<string, Resolver<CustomFieldRec>> = {
  name: (f) => f.name,
  type: (f) => f.type,
  resource_subtype: (f) => f.type,
  representation_type: (f) => f.type,
  enum_options: (f, sub, ctx) => (f.type === 'enum' || f.type === 'multi_enum' ? list(ENUM_OPTION, f.options, sub, ctx) : OMIT),
  enabled: () => true,
  description: (f) => f.description,
  precision: (f) => (f.type === 'number' ? f.precision : OMIT),
  format: (f) => (f.type === 'number' ? 'currency' : 'none'),
  currency_code: (f) => (f.type === 'number' ? 'USD' : null),
  is_global_to_workspace: (f) => f.global,
  has_notifications_enabled: (f) => f.notifications,
  is_formula_field: () => false,
  is_value_read_only: () => false,
  privacy_setting: () => 'public_with_guests',
  created_by: (f, sub, ctx) => nested(USER, f.createdBy, sub, ctx),
};

export const CUSTOM_FIELD: Def<CustomFieldRec> = define('custom_field', fieldProps, ['name', 'type', 'resource_subtype']);

interface CfValueRec {
  gid: string;
  field: CustomFieldRec;
  value: CfValue;
}

const onlyFor = (type: CustomFieldRec['type'], f: (v: CfValueRec, sub: FieldTree | null, ctx: RenderContext) => unknown): Resolver<CfValueRec> =>
  (v, sub, ctx) => (v.field.type === type ? f(v, sub, ctx) : OMIT);

function displayValue(field: CustomFieldRec, value: CfValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.length === 0 ? null : value.map((x) => x.name).join(', ');
  if (typeof value === 'object') return value.name;
  if (field.type === 'date') return value.toString().slice(0, 10);
  return String(value);
}

function dateValue(value: CfValue): { date: string; date_time: string | null } | null {
  if (typeof value !== 'string') return null;
  return value.length > 10 ? { date: value.slice(0, 10), date_time: value } : { date: value, date_time: null };
}

/** A custom field with a task's value in it (TaskResponse.custom_fields[]). */
export const CF_VALUE: Def<CfValueRec> = define(
  'custom_field',
  {
    ...Object.fromEntries(Object.entries(fieldProps).map(([k, r]) => [k, ((v, sub, ctx) => r(v.field, sub, ctx)) as Resolver<CfValueRec>])),
    display_value: (v) => displayValue(v.field, v.value),
    enum_value: onlyFor('enum', (v, sub, ctx) => nested(ENUM_OPTION, v.value as EnumOptionRec | null, sub, ctx)),
    multi_enum_values: onlyFor('multi_enum', (v, sub, ctx) => list(ENUM_OPTION, (v.value ?? []) as EnumOptionRec[], sub, ctx)),
    text_value: onlyFor('text', (v) => v.value),
    number_value: onlyFor('number', (v) => v.value),
    date_value: onlyFor('date', (v) => dateValue(v.value)),
    people_value: onlyFor('people', (v, sub, ctx) => list(USER, (v.value ?? []) as UserRec[], sub, ctx)),
  },
  ['name', 'type', 'resource_subtype', 'display_value', 'enabled', 'enum_value', 'multi_enum_values', 'text_value', 'number_value', 'date_value', 'people_value'],
);

// ---- projects, sections, settings -----------------------------------------------------------------

export const PROJECT: Def<ProjectRec> = define(
  'project',
  {
    name: (p) => p.name,
    archived: (p) => p.archived,
    color: (p) => p.color,
    icon: () => 'board',
    created_at: (p) => isoTime(p.createdAt),
    modified_at: (p) => isoTime(p.modifiedAt),
    notes: (p) => p.notes,
    html_notes: (p) => `<body>${escapeHtml(p.notes)}</body>`,
    default_view: () => 'board',
    due_date: (p) => p.dueOn,
    due_on: (p) => p.dueOn,
    start_on: (p) => p.startOn,
    public: () => true,
    privacy_setting: () => 'public_to_workspace',
    completed: () => false,
    completed_at: () => null,
    completed_by: () => null,
    members: (p, sub, ctx) => list(USER, p.members, sub, ctx),
    followers: (p, sub, ctx) => list(USER, [p.owner], sub, ctx),
    owner: (p, sub, ctx) => nested(USER, p.owner, sub, ctx),
    custom_field_settings: (p, sub, ctx) => list(CUSTOM_FIELD_SETTING, p.settings, sub, ctx),
    custom_fields: empty,
    workspace: (_p, sub, ctx) => nested(WORKSPACE, ctx.workspace, sub, ctx),
    permalink_url: (p) => `https://app.asana.com/0/${p.gid}/board`,
  },
  ['name'],
);

export const SECTION: Def<SectionRec> = define(
  'section',
  {
    name: (s) => s.name,
    created_at: (s) => isoTime(s.createdAt),
    project: (s, sub, ctx) => nested(PROJECT, s.project, sub, ctx),
    projects: (s, sub, ctx) => list(PROJECT, [s.project], sub, ctx),
  },
  ['name'],
);

export const CUSTOM_FIELD_SETTING: Def<CustomFieldSettingRec> = define(
  'custom_field_setting',
  {
    custom_field: (s, sub, ctx) => render(CUSTOM_FIELD, s.field, sub ?? CUSTOM_FIELD.full, ctx),
    is_important: (s) => s.important,
    parent: (s, sub, ctx) => nested(PROJECT, s.project, sub, ctx),
    project: (s, sub, ctx) => nested(PROJECT, s.project, sub, ctx),
  },
  ['custom_field', 'is_important', 'parent', 'project'],
);

// ---- tasks ----------------------------------------------------------------------------------------

interface Membership {
  project: ProjectRec;
  section: SectionRec | null;
}

const MEMBERSHIP: Def<Membership> = define(
  null,
  {
    project: (m, sub, ctx) => nested(PROJECT, m.project, sub, ctx),
    section: (m, sub, ctx) => (m.section ? nested(SECTION, m.section, sub, ctx) : OMIT),
  },
  ['project', 'section'],
);

/** `created_by` of a task is `{gid, resource_type}` unless fields of it are asked for. */
const CREATOR: Def<UserRec> = { ...USER, compact: new Map() };

export const TASK: Def<TaskRec> = define(
  'task',
  {
    name: (t) => t.name,
    resource_subtype: (t) => t.subtype,
    approval_status: (t) => (t.subtype === 'approval' ? t.approvalStatus : OMIT),
    assignee_status: () => 'upcoming',
    completed: (t) => t.completed,
    completed_at: (t) => time(t.completedAt),
    completed_by: (t, sub, ctx) => nested(USER, t.completedBy, sub, ctx),
    created_at: (t) => isoTime(t.createdAt),
    created_by: (t, sub, ctx) => nested(CREATOR, t.createdBy, sub, ctx),
    dependencies: empty,
    dependents: empty,
    due_at: (t) => time(t.dueAt),
    due_on: (t) => t.dueOn,
    html_notes: (t) => `<body>${escapeHtml(t.notes)}</body>`,
    hearted: () => false,
    hearts: empty,
    is_rendered_as_separator: () => false,
    liked: () => false,
    likes: empty,
    memberships: (t, sub, ctx) => (t.project ? list(MEMBERSHIP, [{ project: t.project, section: t.section }], sub, ctx) : []),
    modified_at: (t) => isoTime(t.modifiedAt),
    notes: (t) => t.notes,
    num_hearts: () => 0,
    num_likes: () => 0,
    num_subtasks: (t) => t.subtasks.length,
    start_at: () => null,
    start_on: () => null,
    actual_time_minutes: () => null,
    assignee: (t, sub, ctx) => nested(USER, t.assignee, sub, ctx),
    assigned_by: (t, sub, ctx) => nested(USER, t.assignedBy, sub, ctx),
    custom_fields: (t, sub, ctx) => {
      if (!t.project) return [];
      const out: Record<string, unknown>[] = [];
      t.project.settings.forEach((s, i) => {
        out.push(render(CF_VALUE, { gid: s.field.gid, field: s.field, value: t.values[i] ?? null }, sub ?? CF_VALUE.compact, ctx));
      });
      return out;
    },
    followers: (t, sub, ctx) => list(USER, t.followers, sub, ctx),
    parent: (t, sub, ctx) => nested(TASK, t.parent, sub, ctx),
    projects: (t, sub, ctx) => (t.project ? list(PROJECT, [t.project], sub, ctx) : []),
    tags: empty,
    workspace: (_t, sub, ctx) => nested(WORKSPACE, ctx.workspace, sub, ctx),
    permalink_url: (t) => `https://app.asana.com/0/${t.project ? t.project.gid : '0'}/${t.gid}`,
  },
  ['name', 'resource_subtype', 'created_by'],
);

/** A task as a primary record, with any corruption a test injected laid over it. */
export function renderTask(t: TaskRec, fields: FieldTree, ctx: RenderContext, corruption: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = render(TASK, t, fields, ctx);
  if (corruption) {
    for (const [k, v] of Object.entries(corruption)) {
      if (v === undefined) delete out[k];
      else out[k] = v;
    }
  }
  return out;
}

// ---- stories --------------------------------------------------------------------------------------

const APPROVAL_TEXT: Record<string, string> = {
  approved: 'approved this task',
  changes_requested: 'requested changes to this task',
  rejected: 'rejected this task',
  pending: 'marked this task as pending approval',
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function shortDate(d: DatesValue | null): string {
  if (!d) return 'no due date';
  const ms = d.dueAt ?? (d.dueOn ? Date.parse(d.dueOn) : null);
  if (ms === null) return 'no due date';
  const day = new Date(ms);
  return `${MONTHS[day.getUTCMonth()] ?? ''} ${day.getUTCDate()}`;
}

function cfDisplay(s: StoryRec, v: unknown): string {
  return s.field ? displayValue(s.field, v as CfValue) ?? '' : '';
}

/** The text Asana shows for a story (system stories derive it from their values). */
export function storyText(s: StoryRec): string {
  const b = s.before as never;
  const a = s.after as never;
  switch (s.subtype) {
    case 'comment_added':
      return s.text ?? '';
    case 'added_to_project':
      return `added to ${(a as ProjectRec).name}`;
    case 'assigned':
      return `assigned to ${(a as UserRec).name}`;
    case 'unassigned':
      return b ? `unassigned from ${(b as UserRec).name}` : 'unassigned';
    case 'section_changed':
      return `moved this Task from "${(b as SectionRec | null)?.name ?? ''}" to "${(a as SectionRec).name}" in ${(a as SectionRec).project.name}`;
    case 'enum_custom_field_changed':
    case 'multi_enum_custom_field_changed':
    case 'text_custom_field_changed':
    case 'number_custom_field_changed':
    case 'date_custom_field_changed':
    case 'people_custom_field_changed': {
      const name = s.field ? s.field.name : 'a field';
      const to = cfDisplay(s, a);
      if (to === '') return `cleared ${name}`;
      const from = cfDisplay(s, b);
      return from === '' ? `set ${name} to "${to}"` : `changed ${name} from "${from}" to "${to}"`;
    }
    case 'attachment_added':
      return `attached ${(a as AttachmentRec).name}`;
    case 'name_changed':
      return `changed the name to "${a as string}"`;
    case 'notes_changed':
      return 'changed the description';
    case 'due_date_changed':
      return `changed the due date to ${shortDate(a as DatesValue | null)}`;
    case 'marked_complete':
      return 'marked this task complete';
    case 'marked_incomplete':
      return 'marked incomplete';
    case 'approval_status_changed':
      return APPROVAL_TEXT[a as string] ?? 'changed the approval status';
  }
}

const STORY_DATES: Def<DatesValue> = define(
  null,
  { start_on: (d) => d.startOn, due_at: (d) => time(d.dueAt), due_on: (d) => d.dueOn ?? (d.dueAt !== null ? isoTime(d.dueAt).slice(0, 10) : null) },
  ['start_on', 'due_at', 'due_on'],
);

function storyCfDate(v: unknown): Record<string, unknown> | null {
  if (typeof v !== 'string') return null;
  return v.length > 10 ? { start_on: null, due_at: v, due_on: v.slice(0, 10) } : { start_on: null, due_at: null, due_on: v };
}

const when = (subtypes: readonly string[], f: Resolver<StoryRec>): Resolver<StoryRec> => (s, sub, ctx) =>
  subtypes.includes(s.subtype) ? f(s, sub, ctx) : OMIT;

const CF_SUBTYPES = [
  'enum_custom_field_changed',
  'multi_enum_custom_field_changed',
  'text_custom_field_changed',
  'number_custom_field_changed',
  'date_custom_field_changed',
  'people_custom_field_changed',
];

export const STORY: Def<StoryRec> = define(
  'story',
  {
    created_at: (s) => isoTime(s.createdAt),
    created_by: (s, sub, ctx) => nested(USER, s.author, sub, ctx),
    resource_subtype: (s) => s.subtype,
    text: (s) => storyText(s),
    html_text: when(['comment_added'], (s) => `<body>${escapeHtml(s.text ?? '')}</body>`),
    type: (s) => (s.subtype === 'comment_added' ? 'comment' : 'system'),
    is_pinned: () => false,
    is_editable: (s, _sub, ctx) => s.subtype === 'comment_added' && s.author === ctx.me,
    is_edited: () => false,
    hearted: () => false,
    hearts: empty,
    num_hearts: () => 0,
    liked: () => false,
    likes: empty,
    num_likes: () => 0,
    reaction_summary: empty,
    previews: empty,
    source: (s) => s.source,
    target: (s, sub, ctx) => nested(TASK, s.task, sub, ctx),
    old_section: when(['section_changed'], (s, sub, ctx) => nested(SECTION, s.before as SectionRec | null, sub, ctx)),
    new_section: when(['section_changed'], (s, sub, ctx) => nested(SECTION, s.after as SectionRec, sub, ctx)),
    custom_field: when(CF_SUBTYPES, (s, sub, ctx) => nested(CUSTOM_FIELD, s.field, sub, ctx)),
    old_enum_value: when(['enum_custom_field_changed'], (s, sub, ctx) => nested(ENUM_OPTION, s.before as EnumOptionRec | null, sub, ctx)),
    new_enum_value: when(['enum_custom_field_changed'], (s, sub, ctx) => nested(ENUM_OPTION, s.after as EnumOptionRec | null, sub, ctx)),
    old_multi_enum_values: when(['multi_enum_custom_field_changed'], (s, sub, ctx) => list(ENUM_OPTION, (s.before ?? []) as EnumOptionRec[], sub, ctx)),
    new_multi_enum_values: when(['multi_enum_custom_field_changed'], (s, sub, ctx) => list(ENUM_OPTION, (s.after ?? []) as EnumOptionRec[], sub, ctx)),
    old_text_value: when(['text_custom_field_changed'], (s) => s.before),
    new_text_value: when(['text_custom_field_changed'], (s) => s.after),
    old_number_value: when(['number_custom_field_changed'], (s) => s.before),
    new_number_value: when(['number_custom_field_changed'], (s) => s.after),
    old_date_value: when(['date_custom_field_changed'], (s) => storyCfDate(s.before)),
    new_date_value: when(['date_custom_field_changed'], (s) => storyCfDate(s.after)),
    old_people_value: when(['people_custom_field_changed'], (s, sub, ctx) => list(USER, (s.before ?? []) as UserRec[], sub, ctx)),
    new_people_value: when(['people_custom_field_changed'], (s, sub, ctx) => list(USER, (s.after ?? []) as UserRec[], sub, ctx)),
    old_name: when(['name_changed'], (s) => s.before),
    new_name: when(['name_changed'], (s) => s.after),
    old_dates: when(['due_date_changed'], (s, sub, ctx) => nested(STORY_DATES, s.before as DatesValue | null, sub, ctx)),
    new_dates: when(['due_date_changed'], (s, sub, ctx) => nested(STORY_DATES, s.after as DatesValue | null, sub, ctx)),
    assignee: when(['assigned', 'unassigned'], (s, sub, ctx) => nested(USER, (s.subtype === 'assigned' ? s.after : s.before) as UserRec | null, sub, ctx)),
    project: when(['added_to_project'], (s, sub, ctx) => nested(PROJECT, s.after as ProjectRec, sub, ctx)),
    old_approval_status: when(['approval_status_changed'], (s) => s.before),
    new_approval_status: when(['approval_status_changed'], (s) => s.after),
  },
  ['created_at', 'created_by', 'resource_subtype', 'text'],
);

// ---- attachments ----------------------------------------------------------------------------------

/** How long a download_url stays valid (Asana's are short-lived too). */
export const DOWNLOAD_URL_TTL_MS = 120_000;

export const ATTACHMENT: Def<AttachmentRec> = define(
  'attachment',
  {
    name: (a) => a.name,
    resource_subtype: (a) => a.host,
    host: (a) => a.host,
    created_at: (a) => isoTime(a.createdAt),
    download_url: (a, _sub, ctx) =>
      a.host === 'asana' ? `${ctx.origin}/_sim/files/${a.gid}?expires=${ctx.now + DOWNLOAD_URL_TTL_MS}` : null,
    permanent_url: (a) => (a.host === 'asana' ? `https://app.asana.com/app/asana/-/get_asset?asset_id=${a.gid}` : null),
    view_url: (a) =>
      a.host === 'gdrive'
        ? `https://drive.google.com/file/d/${a.externalRef ?? ''}/view`
        : a.host === 'external'
          ? a.externalRef
          : `https://app.asana.com/app/asana/-/view_asset?asset_id=${a.gid}`,
    size: (a) => (a.host === 'asana' ? a.size : OMIT),
    parent: (a, sub, ctx) => nested(TASK, a.task, sub, ctx),
    connected_to_app: () => false,
  },
  ['name', 'resource_subtype'],
);

// ---- events ---------------------------------------------------------------------------------------

function namedResource(rec: EventRec['resource'] | NonNullable<EventRec['parent']>): Record<string, unknown> {
  switch (rec.kind) {
    case 'task':
      return { gid: rec.gid, resource_type: 'task', resource_subtype: rec.subtype, name: rec.name };
    case 'story':
      return { gid: rec.gid, resource_type: 'story', resource_subtype: rec.subtype };
    case 'attachment':
      return { gid: rec.gid, resource_type: 'attachment', resource_subtype: rec.host, name: rec.name };
    case 'project':
      return { gid: rec.gid, resource_type: 'project', name: rec.name };
    case 'section':
      return { gid: rec.gid, resource_type: 'section', name: rec.name };
  }
}

function changeValue(v: NonNullable<EventRec['change']>['newValue'], ctx: RenderContext): unknown {
  if (v === null) return OMIT;
  if (v.kind === 'user') return render(USER, v, USER.compact, ctx);
  return render(CF_VALUE, { gid: v.field.gid, field: v.field, value: v.value }, CF_VALUE.compact, ctx);
}

/** EventResponse. Events carry all their fields by default; opt_fields can only expand users. */
export function renderEvent(e: EventRec, ctx: RenderContext, fields: FieldTree | null): Record<string, unknown> {
  const userFields = fields?.get('user') ?? null;
  const out: Record<string, unknown> = {
    user: e.user ? render(USER, e.user, userFields ?? USER.compact, ctx) : null,
    created_at: isoTime(e.createdAt),
    type: e.resource.kind,
    action: e.action,
    resource: namedResource(e.resource),
    parent: e.parent ? namedResource(e.parent) : null,
  };
  if (e.change) {
    const change: Record<string, unknown> = { field: e.change.field, action: e.change.action };
    const value = changeValue(e.change.newValue, ctx);
    if (value !== OMIT) change.new_value = value;
    out.change = change;
  }
  return out;
}

export { render };
