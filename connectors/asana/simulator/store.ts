// The simulator's live state: lookups by gid, every write Asana would accept (with the system
// stories Asana creates for it), the per-resource event streams, and sync tokens. Both the HTTP
// write endpoints and the in-process control surface call these methods, so a test's "user edit"
// and a connector's write-back leave exactly the same traces.

import { createHmac, randomBytes } from 'node:crypto';
import { ApiError, SYNC_INVALID_MESSAGE, badRequest, unknownObject } from './errors';
import {
  type AgencyDataset,
  type AgencyTruth,
  type AnyRec,
  type ApprovalStatus,
  type AttachmentHost,
  type AttachmentRec,
  type CfValue,
  type CustomFieldRec,
  type CustomFieldSettingRec,
  type CustomFieldType,
  type DatesValue,
  type EnumOptionRec,
  type ProjectRec,
  type SectionRec,
  type StoryRec,
  type StorySubtype,
  type StoryValue,
  type TaskRec,
  type TaskTruth,
  type UserRec,
  isoTime,
} from './model';
import { createAttachmentRec, createStoryRec, createTaskRec, insertBySeq, removeBySeq } from './records';
import { ENUM_COLORS } from './vocabulary';

export type EventAction = 'changed' | 'added' | 'removed' | 'deleted' | 'undeleted';

/** The value a `changed` event reports: a user, or a custom field with its new value. */
export type ChangeValue = UserRec | { kind: 'cf_value'; field: CustomFieldRec; value: CfValue } | null;

export interface EventRec {
  createdAt: number;
  user: UserRec | null;
  resource: TaskRec | StoryRec | AttachmentRec;
  action: EventAction;
  parent: TaskRec | ProjectRec | SectionRec | null;
  change: { field: string; action: 'changed' | 'added' | 'removed'; newValue: ChangeValue } | null;
}

export interface StoreOptions {
  /** Epoch milliseconds; default Date.now. */
  clock?: () => number;
  /** Lifetime of a sync token; default 24 h. */
  syncTokenTtlMs?: number;
}

export const EVENTS_PER_PAGE = 100;
const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'changes_requested', 'rejected'];
const TASK_WRITABLE = new Set([
  'name', 'notes', 'html_notes', 'due_on', 'due_at', 'completed', 'approval_status', 'assignee', 'custom_fields',
]);
const TASK_CREATABLE = new Set([...TASK_WRITABLE, 'projects', 'memberships', 'parent', 'workspace', 'resource_subtype']);
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
/** "A custom field can have at most 500 enum options (including disabled options)" (asana_oas.yaml, createEnumOptionForCustomField). */
export const MAX_ENUM_OPTIONS = 500;
/** The custom-field types the simulator models (`reference` is in the spec but not modelled). */
const CUSTOM_FIELD_TYPES: readonly CustomFieldType[] = ['enum', 'multi_enum', 'text', 'number', 'date', 'people'];
const CUSTOM_FIELD_CREATABLE = new Set(['workspace', 'name', 'resource_subtype', 'type', 'description', 'enum_options', 'precision', 'has_notifications_enabled']);
const ENUM_OPTION_CREATABLE = new Set(['name', 'color', 'enabled', 'insert_before', 'insert_after']);
const ENUM_OPTION_WRITABLE = new Set(['name', 'color', 'enabled']);
const SETTING_CREATABLE = new Set(['custom_field', 'is_important', 'insert_before', 'insert_after']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const stripTags = (html: string): string => html.replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

export class AsanaStore {
  readonly clock: () => number;
  syncTokenTtlMs: number;
  /** Served in place of the real record's fields (see control.corruptTask). */
  readonly corruptions = new Map<string, Record<string, unknown>>();
  private readonly streams = new Map<string, EventRec[]>();
  private readonly secret = randomBytes(16);
  private syncEpoch = 0;
  private lastWrite: number;

  constructor(
    readonly dataset: AgencyDataset,
    readonly truth: AgencyTruth,
    options: StoreOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.syncTokenTtlMs = options.syncTokenTtlMs ?? 24 * 3_600_000;
    this.lastWrite = Date.parse(dataset.now);
  }

  /** Time of a write: never before the generated history, strictly increasing. */
  private tick(): number {
    this.lastWrite = Math.max(this.clock(), this.lastWrite + 1);
    return this.lastWrite;
  }

  // ---- lookups ----------------------------------------------------------------------------------

  get(gid: string): AnyRec | undefined {
    return this.dataset.registry.get(gid);
  }

  /** A live (not deleted) record of the given kind, or a 404 worded like Asana's. */
  find<K extends AnyRec['kind']>(kind: K, gid: string, param: string): Extract<AnyRec, { kind: K }> {
    const rec = this.get(gid);
    if (!rec || rec.kind !== kind || isDeleted(rec)) throw unknownObject(param, gid);
    return rec as Extract<AnyRec, { kind: K }>;
  }

  /** Resolves `me`, a user gid or an email, as Asana does for user parameters. */
  user(ref: string, me: UserRec, param: string): UserRec {
    if (ref === 'me') return me;
    if (ref.includes('@')) {
      const u = this.dataset.users.find((x) => x.email === ref.toLowerCase());
      if (!u) throw unknownObject(param, ref);
      return u;
    }
    return this.find('user', ref, param);
  }

  /** The ground-truth entry of the top-level task a task (or approval subtask) belongs to. */
  truthOf(task: TaskRec): TaskTruth | undefined {
    let top = task;
    while (top.parent) top = top.parent;
    return this.truth.tasks.get(top.gid);
  }

  // ---- writes -----------------------------------------------------------------------------------

  /** PUT /tasks/{gid}: validates the whole body first, so nothing is half-applied. */
  updateTask(actor: UserRec, task: TaskRec, data: unknown): TaskRec {
    if (!isObject(data)) throw badRequest('data: Missing input');
    for (const key of Object.keys(data)) {
      if (!TASK_WRITABLE.has(key)) throw badRequest(`${key}: Cannot write this property`);
    }
    const patch = this.parseTaskFields(actor, task, data);
    const now = this.tick();
    const story = (subtype: StorySubtype, extra: Partial<Pick<StoryRec, 'field' | 'before' | 'after'>> = {}): void => {
      this.addStory(actor, task, now, subtype, extra);
    };
    const changed = (field: string, newValue: ChangeValue = null): void => {
      this.emit(task, { createdAt: now, user: actor, resource: task, action: 'changed', parent: null, change: { field, action: 'changed', newValue } });
    };

    if (patch.name !== undefined && patch.name !== task.name) {
      const old = task.name;
      task.name = patch.name;
      story('name_changed', { before: old, after: patch.name });
      changed('name');
    }
    if (patch.notes !== undefined && patch.notes !== task.notes) {
      task.notes = patch.notes;
      story('notes_changed');
      changed('notes');
    }
    if (patch.assignee !== undefined && patch.assignee !== task.assignee) {
      const old = task.assignee;
      task.assignee = patch.assignee;
      task.assignedBy = patch.assignee ? actor : null;
      if (patch.assignee && !task.followers.includes(patch.assignee)) task.followers.push(patch.assignee);
      story(patch.assignee ? 'assigned' : 'unassigned', patch.assignee ? { after: patch.assignee } : { before: old });
      changed('assignee', patch.assignee);
    }
    if (patch.dates) {
      const before: DatesValue = { startOn: null, dueOn: task.dueOn, dueAt: task.dueAt };
      if (before.dueOn !== patch.dates.dueOn || before.dueAt !== patch.dates.dueAt) {
        task.dueOn = patch.dates.dueOn;
        task.dueAt = patch.dates.dueAt;
        const hadDate = before.dueOn !== null || before.dueAt !== null;
        story('due_date_changed', { before: hadDate ? before : null, after: { ...patch.dates } });
        if (before.dueOn !== patch.dates.dueOn) changed('due_on');
        if (before.dueAt !== patch.dates.dueAt) changed('due_at');
      }
    }
    // approval_status and completed are kept in sync (asana_oas.yaml TaskBase.approval_status).
    let approval = patch.approvalStatus;
    if (approval === undefined && patch.completed !== undefined && task.subtype === 'approval') {
      approval = patch.completed ? 'approved' : 'pending';
    }
    if (approval !== undefined && task.subtype === 'approval' && approval !== task.approvalStatus) {
      const old = task.approvalStatus ?? 'pending';
      task.approvalStatus = approval;
      this.setCompleted(task, approval !== 'pending', actor, now);
      story('approval_status_changed', { before: old, after: approval });
      changed('approval_status');
      const truth = this.truthOf(task);
      if (truth && approval !== 'pending') {
        truth.decisions.push({
          subtaskGid: task.gid,
          status: approval,
          reviewerEmail: actor.email,
          at: isoTime(now),
          versionNumber: truth.versions.length > 0 ? truth.versions.length : null,
        });
      }
    } else if (patch.completed !== undefined && task.subtype !== 'approval' && patch.completed !== task.completed) {
      this.setCompleted(task, patch.completed, actor, now);
      story(patch.completed ? 'marked_complete' : 'marked_incomplete');
      changed('completed');
    }
    for (const [index, value] of patch.customFields) {
      this.setCustomField(actor, task, index, value, now);
    }
    task.modifiedAt = now;
    return task;
  }

  private setCompleted(task: TaskRec, completed: boolean, actor: UserRec, now: number): void {
    task.completed = completed;
    task.completedAt = completed ? now : null;
    task.completedBy = completed ? actor : null;
  }

  private setCustomField(actor: UserRec, task: TaskRec, index: number, value: CfValue, now: number): void {
    const setting = (task.project as ProjectRec).settings[index];
    if (!setting) return;
    const field = setting.field;
    const old = task.values[index] ?? null;
    if (sameValue(old, value)) return;
    task.values[index] = value;
    this.addStory(actor, task, now, `${field.type}_custom_field_changed` as StorySubtype, {
      field,
      before: old as StoryValue,
      after: value as StoryValue,
    });
    this.emit(task, {
      createdAt: now,
      user: actor,
      resource: task,
      action: 'changed',
      parent: null,
      change: { field: 'custom_fields', action: 'changed', newValue: { kind: 'cf_value', field, value } },
    });
  }

  /** POST /tasks/{gid}/stories. */
  addComment(actor: UserRec, task: TaskRec, data: unknown): StoryRec {
    if (!isObject(data)) throw badRequest('data: Missing input');
    let text: string;
    if (typeof data.html_text === 'string') {
      if (!/^\s*<body>[\s\S]*<\/body>\s*$/.test(data.html_text)) throw badRequest('html_text: XML is invalid: the root element must be <body>');
      text = stripTags(data.html_text);
    } else if (typeof data.text === 'string') {
      text = data.text;
    } else {
      throw badRequest('text: Missing input');
    }
    if (text.trim() === '') throw badRequest('text: Missing input');
    const now = this.tick();
    const story = this.addStory(actor, task, now, 'comment_added', {}, text);
    task.modifiedAt = now;
    this.truthOf(task)?.comments.push({ storyGid: story.gid, taskGid: task.gid, authorEmail: actor.email, createdAt: isoTime(now) });
    return story;
  }

  /**
   * POST /sections/{gid}/addTask. The generated projects carry a rule that keeps the Stage field
   * equal to the section, so a move also changes Stage (two stories, as in the generated history).
   */
  moveToSection(actor: UserRec, task: TaskRec, section: SectionRec): void {
    if (task.parent || task.project !== section.project) {
      throw badRequest(`task: Task ${task.gid} is not in the project of section ${section.gid}; the simulator keeps one project per task`);
    }
    const from = task.section;
    if (from === section) return;
    const now = this.tick();
    if (from) removeBySeq(from.tasks, task);
    insertBySeq(section.tasks, task);
    task.section = section;
    const moved = this.addStory(actor, task, now, 'section_changed', { before: from, after: section });
    if (from) this.emit(task, { createdAt: now, user: actor, resource: task, action: 'removed', parent: from, change: null });
    this.emit(task, { createdAt: now, user: actor, resource: task, action: 'added', parent: section, change: null });
    const stageIndex = section.project.settings.findIndex((s) => s.field.name === 'Stage');
    const stage = section.project.settings[stageIndex]?.field.options.find((o) => o.name === section.name);
    if (stage) this.setCustomField(actor, task, stageIndex, stage, now);
    task.modifiedAt = now;
    const truth = this.truthOf(task);
    if (truth) {
      truth.transitions.push({ from: from ? from.name : null, to: section.name, at: isoTime(now), storyGid: moved.gid });
      truth.section = section.name;
    }
  }

  // ---- custom fields (definitions; values are written through updateTask) ----------------------

  /**
   * POST /custom_fields: a field in the workspace's library (`is_global_to_workspace`), or with
   * `global: false` the project-local field that addCustomFieldSetting creates from an inline
   * definition. Validates everything before any record exists, so a 400 leaves no trace.
   */
  createCustomField(actor: UserRec, data: unknown, global = true): CustomFieldRec {
    if (!isObject(data)) throw badRequest('data: Missing input');
    for (const key of Object.keys(data)) {
      if (!CUSTOM_FIELD_CREATABLE.has(key)) throw badRequest(`${key}: Cannot write this property`);
    }
    if (typeof data.workspace !== 'string') throw badRequest('workspace: Missing input');
    this.find('workspace', data.workspace, 'workspace');
    if (typeof data.name !== 'string' || data.name.trim() === '') throw badRequest('name: Missing input');
    const name = data.name;
    const rawType = data.resource_subtype ?? data.type;
    if (rawType === undefined) throw badRequest('resource_subtype: Missing input');
    if (!CUSTOM_FIELD_TYPES.includes(rawType as CustomFieldType)) {
      throw badRequest(`resource_subtype: Must be one of ${CUSTOM_FIELD_TYPES.join(', ')} (the simulator does not model reference fields)`);
    }
    const type = rawType as CustomFieldType;
    // "A custom field's name must be unique within a workspace" (asana_oas.yaml POST /custom_fields);
    // that the comparison ignores case, and the wording, are the simulator's assumptions.
    const clash = this.dataset.customFields.find((f) => f.name.trim().toLowerCase() === name.trim().toLowerCase());
    if (clash) throw badRequest(`name: A custom field named "${clash.name}" already exists in this workspace (${clash.gid})`);
    if (data.description !== undefined && typeof data.description !== 'string') throw badRequest('description: Must be a string');
    if (data.has_notifications_enabled !== undefined && typeof data.has_notifications_enabled !== 'boolean') {
      throw badRequest('has_notifications_enabled: Must be a boolean');
    }
    let precision = 0;
    if (data.precision !== undefined) {
      if (type !== 'number') throw badRequest('precision: Only number custom fields have a precision');
      if (typeof data.precision !== 'number' || !Number.isInteger(data.precision) || data.precision < 0 || data.precision > 6) {
        throw badRequest('precision: Must be an integer between 0 and 6');
      }
      precision = data.precision;
    }
    const options: { name: string; color: string }[] = [];
    if (type === 'enum' || type === 'multi_enum') {
      // "An enum custom field must contain at least 1 enum option but no more than 500" (EnumOption).
      if (!Array.isArray(data.enum_options) || data.enum_options.length === 0) throw badRequest('enum_options: An enum custom field must have at least one enum option');
      if (data.enum_options.length > MAX_ENUM_OPTIONS) throw badRequest(`enum_options: A custom field can have at most ${MAX_ENUM_OPTIONS} enum options`);
      data.enum_options.forEach((o: unknown, i: number) => options.push(parseEnumOption(o, `enum_options[${i}]`)));
    } else if (data.enum_options !== undefined) {
      throw badRequest('enum_options: Only enum and multi_enum custom fields have enum options');
    }
    const reg = this.dataset.registry;
    const field = reg.put<CustomFieldRec>({
      kind: 'custom_field',
      gid: reg.peek().gid,
      name,
      type,
      description: typeof data.description === 'string' ? data.description : '',
      options: [],
      precision,
      createdBy: actor,
      global,
      notifications: data.has_notifications_enabled !== false,
    });
    // "On creation of an enum option, `enabled` is always set to `true`" (EnumOption).
    for (const o of options) field.options.push(reg.put<EnumOptionRec>({ kind: 'enum_option', gid: reg.peek().gid, name: o.name, color: o.color, enabled: true }));
    this.dataset.customFields.push(field);
    return field;
  }

  /**
   * POST /custom_fields/{gid}/enum_options: appended, or placed by `insert_before`/`insert_after`
   * (an option of this field; not both). Locked fields are not modelled.
   */
  addEnumOption(field: CustomFieldRec, data: unknown): EnumOptionRec {
    if (!isObject(data)) throw badRequest('data: Missing input');
    for (const key of Object.keys(data)) {
      if (!ENUM_OPTION_CREATABLE.has(key)) throw badRequest(`${key}: Cannot write this property`);
    }
    if (field.type !== 'enum' && field.type !== 'multi_enum') throw badRequest(`custom_field: ${field.name} is a ${field.type} field; only enum and multi_enum fields have enum options`);
    const parsed = parseEnumOption(data, 'data');
    if (field.options.length >= MAX_ENUM_OPTIONS) throw badRequest(`custom_field: A custom field can have at most ${MAX_ENUM_OPTIONS} enum options (including disabled options)`);
    if (data.insert_before !== undefined && data.insert_after !== undefined) throw badRequest('insert_before: Cannot be provided together with insert_after');
    let at = field.options.length;
    for (const key of ['insert_before', 'insert_after'] as const) {
      const ref = data[key];
      if (ref === undefined) continue;
      const i = typeof ref === 'string' ? field.options.findIndex((o) => o.gid === ref) : -1;
      if (i < 0) throw badRequest(`${key}: ${String(ref)} is not an enum option of ${field.name}`);
      at = key === 'insert_before' ? i : i + 1;
    }
    const reg = this.dataset.registry;
    const option = reg.put<EnumOptionRec>({ kind: 'enum_option', gid: reg.peek().gid, name: parsed.name, color: parsed.color, enabled: true });
    field.options.splice(at, 0, option);
    return option;
  }

  /** PUT /enum_options/{gid}: rename, recolour, disable ("trash") or re-enable an option. */
  updateEnumOption(option: EnumOptionRec, data: unknown): EnumOptionRec {
    if (!isObject(data)) throw badRequest('data: Missing input');
    for (const key of Object.keys(data)) {
      if (!ENUM_OPTION_WRITABLE.has(key)) throw badRequest(`${key}: Cannot write this property`);
    }
    if (data.name !== undefined && (typeof data.name !== 'string' || data.name.trim() === '')) throw badRequest('name: Must be a non-empty string');
    if (data.color !== undefined && (typeof data.color !== 'string' || !ENUM_COLORS.includes(data.color))) throw badRequest(`color: Must be one of ${ENUM_COLORS.join(', ')}`);
    if (data.enabled !== undefined && typeof data.enabled !== 'boolean') throw badRequest('enabled: Must be a boolean');
    const field = this.dataset.customFields.find((f) => f.options.includes(option));
    // "Enum custom fields require at least one enabled enum option" (asana_oas.yaml PUT /enum_options/{gid}).
    if (data.enabled === false && field?.type === 'enum' && !field.options.some((o) => o !== option && o.enabled)) {
      throw badRequest('enabled: Enum custom fields require at least one enabled enum option');
    }
    if (typeof data.name === 'string') option.name = data.name;
    if (typeof data.color === 'string') option.color = data.color;
    if (typeof data.enabled === 'boolean') option.enabled = data.enabled;
    return option;
  }

  /**
   * POST /projects/{gid}/addCustomFieldSetting: `custom_field` is a field gid, or an inline
   * definition that creates a project-local field. The setting is appended: `insert_before`/
   * `insert_after` are checked but ignored (settings keep creation order). Every task of the project
   * gets an empty value; no story or task event is created (Asana shows none for it either, as far
   * as is known).
   */
  addCustomFieldSetting(actor: UserRec, project: ProjectRec, data: unknown): CustomFieldSettingRec {
    if (!isObject(data)) throw badRequest('data: Missing input');
    for (const key of Object.keys(data)) {
      if (!SETTING_CREATABLE.has(key)) throw badRequest(`${key}: Cannot write this property`);
    }
    if (data.is_important !== undefined && typeof data.is_important !== 'boolean') throw badRequest('is_important: Must be a boolean');
    if (data.insert_before !== undefined && data.insert_after !== undefined) throw badRequest('insert_before: Cannot be provided together with insert_after');
    for (const key of ['insert_before', 'insert_after'] as const) {
      const ref = data[key];
      if (ref !== undefined && !project.settings.some((s) => s.gid === ref)) throw badRequest(`${key}: ${String(ref)} is not a custom field setting of project ${project.gid}`);
    }
    let field: CustomFieldRec;
    if (typeof data.custom_field === 'string') {
      field = this.find('custom_field', data.custom_field, 'custom_field');
      // The wording is the simulator's; that Asana refuses a second setting is assumed.
      if (project.settings.some((s) => s.field === field)) throw badRequest(`custom_field: Custom field ${field.gid} is already on project ${project.gid}`);
    } else if (isObject(data.custom_field)) {
      field = this.createCustomField(actor, data.custom_field, false);
    } else {
      throw badRequest('custom_field: Missing input');
    }
    const reg = this.dataset.registry;
    const setting = reg.put<CustomFieldSettingRec>({ kind: 'custom_field_setting', gid: reg.peek().gid, project, field, important: data.is_important === true });
    project.settings.push(setting);
    for (const t of project.tasks) while (t.values.length < project.settings.length) t.values.push(null);
    project.modifiedAt = this.tick();
    return setting;
  }

  /** DELETE /tasks/{gid}: the task and its subtasks become 404; a `deleted` event is emitted. */
  deleteTask(actor: UserRec, task: TaskRec): void {
    const now = this.tick();
    const drop = (t: TaskRec): void => {
      for (const s of t.subtasks) drop(s);
      if (t.deleted) return;
      this.emit(t, { createdAt: now, user: actor, resource: t, action: 'deleted', parent: null, change: null });
      t.deleted = true;
      t.modifiedAt = now;
      if (t.parent) this.dataset.counts.subtasks--;
      else this.dataset.counts.tasks--;
    };
    drop(task);
    if (task.parent) {
      task.parent.subtasks = task.parent.subtasks.filter((s) => s !== task);
    } else {
      if (task.project) removeBySeq(task.project.tasks, task);
      if (task.section) removeBySeq(task.section.tasks, task);
      const truth = this.truth.tasks.get(task.gid);
      if (truth) truth.deleted = true;
    }
  }

  /** POST /tasks and POST /tasks/{gid}/subtasks (then `parent` is the path's task). */
  createTask(actor: UserRec, data: unknown, parent: TaskRec | null = null): TaskRec {
    if (!isObject(data)) throw badRequest('data: Missing input');
    for (const key of Object.keys(data)) {
      if (!TASK_CREATABLE.has(key)) throw badRequest(`${key}: Cannot write this property`);
    }
    if (!parent && typeof data.parent === 'string') parent = this.find('task', data.parent, 'parent');
    if (typeof data.name !== 'string' || data.name.trim() === '') throw badRequest('name: Missing input');
    let project: ProjectRec | null = null;
    let section: SectionRec | null = null;
    if (!parent) {
      const memberships = Array.isArray(data.memberships) ? data.memberships : [];
      const projects = Array.isArray(data.projects) ? data.projects : [];
      const m = memberships[0];
      if (isObject(m) && typeof m.project === 'string') {
        project = this.find('project', m.project, 'memberships.project');
        if (typeof m.section === 'string') section = this.find('section', m.section, 'memberships.section');
      } else if (typeof projects[0] === 'string') {
        project = this.find('project', projects[0], 'projects');
      } else {
        throw badRequest('workspace: Missing input');
      }
      if (memberships.length + projects.length > 1 && !(memberships.length === 1 && projects.length === 0)) {
        throw badRequest('projects: The simulator keeps one project per task');
      }
      if (section && section.project !== project) throw badRequest(`memberships.section: Section ${section.gid} is not in project ${project.gid}`);
      section = section ?? project.sections[0] ?? null;
    }
    const subtype = data.resource_subtype ?? 'default_task';
    if (subtype !== 'default_task' && subtype !== 'milestone' && subtype !== 'approval') {
      throw badRequest(`resource_subtype: Unsupported value ${String(subtype)}`);
    }
    // Everything is validated before the task exists, so a 400 leaves no trace.
    const patch = this.parseTaskFields(actor, { subtype, project }, { ...data, name: undefined });
    const now = this.tick();
    const task = createTaskRec(this.dataset.registry, {
      name: data.name,
      notes: '',
      subtype,
      approvalStatus: subtype === 'approval' ? 'pending' : null,
      assignee: null,
      dueOn: null,
      dueAt: null,
      createdAt: now,
      createdBy: actor,
      parent,
      project,
      section,
      values: project ? project.settings.map(() => null) : [],
    });
    task.followers = [actor];
    if (project && section) {
      const stageIndex = project.settings.findIndex((s) => s.field.name === 'Stage');
      const stage = project.settings[stageIndex]?.field.options.find((o) => o.name === section.name);
      if (stage) task.values[stageIndex] = stage;
    }
    // Creation-time fields are set without stories (Asana records none for them).
    if (patch.notes !== undefined) task.notes = patch.notes;
    if (patch.assignee) {
      task.assignee = patch.assignee;
      task.assignedBy = actor;
      if (!task.followers.includes(patch.assignee)) task.followers.push(patch.assignee);
    }
    if (patch.dates) {
      task.dueOn = patch.dates.dueOn;
      task.dueAt = patch.dates.dueAt;
    }
    if (patch.approvalStatus && subtype === 'approval') {
      task.approvalStatus = patch.approvalStatus;
      this.setCompleted(task, patch.approvalStatus !== 'pending', actor, now);
    } else if (patch.completed) {
      this.setCompleted(task, true, actor, now);
    }
    for (const [index, value] of patch.customFields) task.values[index] = value;

    if (parent) {
      parent.subtasks.push(task);
      this.dataset.counts.subtasks++;
      this.emit(task, { createdAt: now, user: actor, resource: task, action: 'added', parent, change: null });
    } else if (project) {
      insertBySeq(project.tasks, task);
      if (section) insertBySeq(section.tasks, task);
      this.dataset.counts.tasks++;
      this.emit(task, { createdAt: now, user: actor, resource: task, action: 'added', parent: project, change: null });
      if (section) this.emit(task, { createdAt: now, user: actor, resource: task, action: 'added', parent: section, change: null });
      const keyIndex = project.settings.findIndex((s) => s.field.name === 'Asset key');
      const key = task.values[keyIndex];
      this.truth.tasks.set(task.gid, {
        taskGid: task.gid,
        projectGid: project.gid,
        resourceSubtype: subtype,
        assetKey: typeof key === 'string' ? key : null,
        section: section ? section.name : '',
        transitions: section ? [{ from: null, to: section.name, at: isoTime(now), storyGid: null }] : [],
        versions: [],
        comments: [],
        decisions: [],
        deleted: false,
      });
    }
    return task;
  }

  /** POST /attachments. */
  addAttachment(actor: UserRec, task: TaskRec, file: { name: string; host: AttachmentHost; size: number; url: string | null }): AttachmentRec {
    if (file.name.trim() === '') throw badRequest('name: Missing input');
    const now = this.tick();
    // A Drive-hosted attachment stores the Drive file id (a full Drive URL given by the caller is reduced to it).
    const externalRef = file.host === 'gdrive' ? (file.url ? (/\/d\/([\w-]+)/.exec(file.url)?.[1] ?? file.url) : driveIdFor(task, now)) : file.host === 'external' ? file.url : null;
    const att = createAttachmentRec(this.dataset.registry, { name: file.name, host: file.host, createdAt: now, task, size: file.size, externalRef });
    this.dataset.counts.attachments++;
    this.emit(task, { createdAt: now, user: actor, resource: att, action: 'added', parent: task, change: null });
    this.addStory(actor, task, now, 'attachment_added', { after: att });
    task.modifiedAt = now;
    const truth = task.parent ? undefined : this.truth.tasks.get(task.gid);
    truth?.versions.push({
      attachmentGid: att.gid,
      name: att.name,
      number: truth.versions.length + 1,
      createdAt: isoTime(now),
      uploaderEmail: actor.email,
    });
    return att;
  }

  private addStory(
    actor: UserRec,
    task: TaskRec,
    now: number,
    subtype: StorySubtype,
    extra: Partial<Pick<StoryRec, 'field' | 'before' | 'after'>>,
    text: string | null = null,
  ): StoryRec {
    const story = createStoryRec(this.dataset.registry, { subtype, createdAt: now, author: actor, task, text, source: 'api', ...extra });
    this.dataset.counts.stories++;
    this.emit(task, { createdAt: now, user: actor, resource: story, action: 'added', parent: task, change: null });
    return story;
  }

  /** Validates the writable task fields of a body; returns what to change. */
  private parseTaskFields(me: UserRec, task: Pick<TaskRec, 'subtype' | 'project'>, data: Record<string, unknown>): TaskPatch {
    const patch: TaskPatch = { customFields: [] };
    if (data.name !== undefined) {
      if (typeof data.name !== 'string' || data.name.trim() === '') throw badRequest('name: Must be a non-empty string');
      patch.name = data.name;
    }
    if (data.html_notes !== undefined) {
      if (typeof data.html_notes !== 'string') throw badRequest('html_notes: Must be a string');
      patch.notes = stripTags(data.html_notes);
    }
    if (data.notes !== undefined) {
      if (typeof data.notes !== 'string') throw badRequest('notes: Must be a string');
      patch.notes = data.notes;
    }
    if (data.assignee !== undefined) {
      if (data.assignee !== null && typeof data.assignee !== 'string') throw badRequest('assignee: Must be a user gid, email, "me" or null');
      patch.assignee = data.assignee === null ? null : this.user(data.assignee, me, 'assignee');
    }
    if (data.due_on !== undefined || data.due_at !== undefined) {
      if (data.due_on != null && data.due_at != null) throw badRequest('You may only provide one of due_on or due_at');
      if (data.due_on != null && (typeof data.due_on !== 'string' || !DATE_RE.test(data.due_on) || Number.isNaN(Date.parse(data.due_on)))) {
        throw badRequest(`due_on: Invalid date: ${String(data.due_on)}`);
      }
      const dueAt = data.due_at == null ? null : typeof data.due_at === 'string' ? Date.parse(data.due_at) : NaN;
      if (Number.isNaN(dueAt)) throw badRequest(`due_at: Invalid date-time: ${String(data.due_at)}`);
      patch.dates = { startOn: null, dueOn: typeof data.due_on === 'string' ? data.due_on : null, dueAt };
    }
    if (data.completed !== undefined) {
      if (typeof data.completed !== 'boolean') throw badRequest('completed: Must be a boolean');
      patch.completed = data.completed;
    }
    if (data.approval_status !== undefined) {
      if (!APPROVAL_STATUSES.includes(data.approval_status as ApprovalStatus)) {
        throw badRequest(`approval_status: Must be one of ${APPROVAL_STATUSES.join(', ')}`);
      }
      if (task.subtype !== 'approval') throw badRequest('approval_status: Only approval tasks have an approval status');
      patch.approvalStatus = data.approval_status as ApprovalStatus;
    }
    if (data.custom_fields !== undefined) {
      if (!isObject(data.custom_fields)) throw badRequest('custom_fields: Must be an object keyed by custom field gid');
      for (const [gid, raw] of Object.entries(data.custom_fields)) {
        const settings = task.project ? task.project.settings : [];
        const index = settings.findIndex((s) => s.field.gid === gid);
        const field = settings[index]?.field;
        if (!field) throw badRequest(`custom_fields: Custom field ${gid} is not on this task's projects`);
        patch.customFields.push([index, this.parseCustomValue(field, raw, me)]);
      }
    }
    return patch;
  }

  private parseCustomValue(field: CustomFieldRec, raw: unknown, me: UserRec): CfValue {
    const where = `custom_fields.${field.gid}`;
    const option = (gid: unknown): EnumOptionRec => {
      const opt = typeof gid === 'string' ? field.options.find((o) => o.gid === gid && o.enabled) : undefined;
      if (!opt) throw badRequest(`${where}: ${String(gid)} is not an enum option of ${field.name}`);
      return opt;
    };
    if (raw === null) return field.type === 'multi_enum' || field.type === 'people' ? [] : null;
    switch (field.type) {
      case 'enum':
        return option(raw);
      case 'multi_enum':
        if (!Array.isArray(raw)) throw badRequest(`${where}: Must be an array of enum option gids`);
        return raw.map(option);
      case 'text':
        if (typeof raw !== 'string') throw badRequest(`${where}: Must be a string`);
        return raw;
      case 'number':
        if (typeof raw !== 'number' || !Number.isFinite(raw)) throw badRequest(`${where}: Must be a number`);
        return raw;
      case 'people':
        if (!Array.isArray(raw) || raw.some((u) => typeof u !== 'string')) throw badRequest(`${where}: Must be an array of user gids`);
        return (raw as string[]).map((u) => this.user(u, me, where));
      case 'date': {
        // Both the documented `YYYY-MM-DD` string and the `date_value`-shaped object are accepted.
        const v = isObject(raw) ? (raw.date_time ?? raw.date) : raw;
        if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw badRequest(`${where}: Must be {"date":"YYYY-MM-DD"} or a date string`);
        if (DATE_RE.test(v)) return v;
        return isoTime(Date.parse(v));
      }
    }
  }

  // ---- events -----------------------------------------------------------------------------------

  /** Appends an event to the streams of the task, its parent tasks and its project ("bubbling"). */
  private emit(task: TaskRec, ev: EventRec): void {
    let t: TaskRec | null = task;
    let top = task;
    while (t) {
      this.stream(t.gid).push(ev);
      top = t;
      t = t.parent;
    }
    if (top.project) this.stream(top.project.gid).push(ev);
  }

  private stream(gid: string): EventRec[] {
    let s = this.streams.get(gid);
    if (!s) {
      s = [];
      this.streams.set(gid, s);
    }
    return s;
  }

  /** GET /events: 412 with a fresh token unless `sync` is a live token for this resource. */
  events(resourceGid: string, sync: string | undefined): { data: EventRec[]; sync: string; hasMore: boolean } {
    const rec = this.get(resourceGid);
    if (!rec) throw unknownObject('resource', resourceGid);
    if (rec.kind !== 'project' && rec.kind !== 'task') {
      throw badRequest(`resource: The simulator serves events for projects and tasks, not ${rec.kind}s`);
    }
    const stream = this.streams.get(resourceGid) ?? [];
    const from = sync === undefined ? null : this.readSyncToken(sync, resourceGid, stream.length);
    if (from === null) {
      throw new ApiError(412, SYNC_INVALID_MESSAGE, { sync: this.syncToken(resourceGid, stream.length) }, false);
    }
    const end = Math.min(stream.length, from + EVENTS_PER_PAGE);
    return { data: stream.slice(from, end), sync: this.syncToken(resourceGid, end), hasMore: end < stream.length };
  }

  /** Every token issued so far becomes invalid (the next events call answers 412). */
  expireSyncTokens(): void {
    this.syncEpoch++;
  }

  private syncToken(resourceGid: string, position: number): string {
    const payload = `${resourceGid}.${position}.${this.clock()}.${this.syncEpoch}`;
    return `${Buffer.from(payload).toString('base64url')}.${this.sign(payload)}`;
  }

  private readSyncToken(token: string, resourceGid: string, streamLength: number): number | null {
    const payload = this.verify(token);
    if (payload === null) return null;
    const [gid, pos, issued, epoch] = payload.split('.');
    const position = Number(pos);
    if (gid !== resourceGid || Number(epoch) !== this.syncEpoch) return null;
    if (this.clock() - Number(issued) > this.syncTokenTtlMs) return null;
    if (!Number.isInteger(position) || position < 0 || position > streamLength) return null;
    return position;
  }

  /** Signs an opaque token (sync tokens here, page offsets in the server). */
  sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url').slice(0, 22);
  }

  /** The payload of a token this store signed, or null if it was forged or mangled. */
  verify(token: string): string | null {
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return null;
    const payload = Buffer.from(token.slice(0, dot), 'base64url').toString();
    return this.sign(payload) === token.slice(dot + 1) ? payload : null;
  }
}

interface TaskPatch {
  name?: string;
  notes?: string;
  assignee?: UserRec | null;
  dates?: DatesValue;
  completed?: boolean;
  approvalStatus?: ApprovalStatus;
  customFields: [number, CfValue][];
}

function parseEnumOption(o: unknown, where: string): { name: string; color: string } {
  if (!isObject(o)) throw badRequest(`${where}: Must be an object with a name`);
  if (typeof o.name !== 'string' || o.name.trim() === '') throw badRequest(`${where}.name: Missing input`);
  const color = o.color ?? 'none'; // "Defaults to `none`" (EnumOption.color)
  if (typeof color !== 'string' || !ENUM_COLORS.includes(color)) throw badRequest(`${where}.color: Must be one of ${ENUM_COLORS.join(', ')}`);
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean') throw badRequest(`${where}.enabled: Must be a boolean`);
  return { name: o.name, color };
}

function isDeleted(rec: AnyRec): boolean {
  if (rec.kind === 'task') return rec.deleted;
  if (rec.kind === 'story') return rec.task.deleted;
  if (rec.kind === 'attachment') return rec.deleted || rec.task.deleted;
  return false;
}

function sameValue(a: CfValue, b: CfValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

function driveIdFor(task: TaskRec, now: number): string {
  return `1${createHmac('sha256', 'drive').update(`${task.gid}:${now}`).digest('base64url').slice(0, 32)}`;
}
