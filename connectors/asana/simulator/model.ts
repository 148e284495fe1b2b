// The simulator's in-memory records. Records point at each other (a task holds its project, section,
// stories...) so that serving a request never scans: every list the API exposes is an array kept in
// gid order on its owner. Times are epoch milliseconds and are turned into ISO strings only when a
// response is written; this keeps a 100,000-task dataset (about 1.3 million stories) small.

export const SECTION_NAMES = [
  'Briefing',
  'In Production',
  'Internal Review',
  'Client Review',
  'Approved',
  'Delivered',
  'On Hold',
  'Cancelled',
] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export type CanonicalStage =
  | 'brief'
  | 'in_progress'
  | 'internal_review'
  | 'client_review'
  | 'approved'
  | 'delivered'
  | 'on_hold'
  | 'cancelled';

/** How a Stageline workspace maps these section names onto its default stage pipeline. */
export const DEFAULT_STAGE_MAP: Readonly<Record<SectionName, CanonicalStage>> = {
  Briefing: 'brief',
  'In Production': 'in_progress',
  'Internal Review': 'internal_review',
  'Client Review': 'client_review',
  Approved: 'approved',
  Delivered: 'delivered',
  'On Hold': 'on_hold',
  Cancelled: 'cancelled',
};

export type AgencyRole =
  | 'creative_director'
  | 'designer'
  | 'copywriter'
  | 'account_manager'
  | 'producer'
  | 'client_reviewer'
  /** The integration's own user (the default token's "Creative Ops Bot"). */
  | 'integration';

export type ApprovalStatus = 'pending' | 'approved' | 'changes_requested' | 'rejected';
export type TaskSubtype = 'default_task' | 'milestone' | 'approval';
export type AttachmentHost = 'asana' | 'gdrive' | 'external';

export interface WorkspaceRec {
  readonly kind: 'workspace';
  readonly gid: string;
  name: string;
  emailDomains: string[];
}

export interface UserRec {
  readonly kind: 'user';
  readonly gid: string;
  name: string;
  email: string;
  role: AgencyRole;
  /** The client company for client reviewers, null for agency staff. */
  client: string | null;
}

export interface EnumOptionRec {
  readonly kind: 'enum_option';
  readonly gid: string;
  name: string;
  color: string;
  enabled: boolean;
}

export type CustomFieldType = 'enum' | 'multi_enum' | 'text' | 'number' | 'date' | 'people';

export interface CustomFieldRec {
  readonly kind: 'custom_field';
  readonly gid: string;
  name: string;
  type: CustomFieldType;
  description: string;
  options: EnumOptionRec[];
  /** number fields only */
  precision: number;
  createdBy: UserRec;
  /**
   * In the workspace's field library (`is_global_to_workspace`), hence listed by GET
   * /workspaces/{gid}/custom_fields; false for a field created inline on one project.
   */
  global: boolean;
  /** `has_notifications_enabled`: followers get inbox notifications when the value changes. */
  notifications: boolean;
}

/** A custom-field value as stored on a task; its shape follows the field's type. */
export type CfValue = EnumOptionRec | EnumOptionRec[] | string | number | UserRec[] | null;

export interface CustomFieldSettingRec {
  readonly kind: 'custom_field_setting';
  readonly gid: string;
  project: ProjectRec;
  field: CustomFieldRec;
  important: boolean;
}

export interface ProjectRec {
  readonly kind: 'project';
  readonly gid: string;
  name: string;
  client: string;
  campaignCode: string;
  createdAt: number;
  modifiedAt: number;
  archived: boolean;
  color: string;
  notes: string;
  owner: UserRec;
  members: UserRec[];
  startOn: string | null;
  dueOn: string | null;
  sections: SectionRec[];
  settings: CustomFieldSettingRec[];
  /** Top-level tasks in the project, in gid order, deleted ones removed. */
  tasks: TaskRec[];
}

export interface SectionRec {
  readonly kind: 'section';
  readonly gid: string;
  name: string;
  project: ProjectRec;
  createdAt: number;
  /** Tasks in the section, in gid order. */
  tasks: TaskRec[];
}

export interface TaskRec {
  readonly kind: 'task';
  readonly gid: string;
  readonly seq: number;
  name: string;
  notes: string;
  subtype: TaskSubtype;
  approvalStatus: ApprovalStatus | null;
  completed: boolean;
  completedAt: number | null;
  completedBy: UserRec | null;
  assignee: UserRec | null;
  assignedBy: UserRec | null;
  dueOn: string | null;
  dueAt: number | null;
  createdAt: number;
  modifiedAt: number;
  createdBy: UserRec;
  parent: TaskRec | null;
  project: ProjectRec | null;
  section: SectionRec | null;
  /** Aligned with `project.settings`; empty for subtasks, which belong to no project. */
  values: CfValue[];
  subtasks: TaskRec[];
  stories: StoryRec[];
  attachments: AttachmentRec[];
  followers: UserRec[];
  deleted: boolean;
}

export type StorySubtype =
  | 'comment_added'
  | 'added_to_project'
  | 'assigned'
  | 'unassigned'
  | 'section_changed'
  | 'enum_custom_field_changed'
  | 'multi_enum_custom_field_changed'
  | 'text_custom_field_changed'
  | 'number_custom_field_changed'
  | 'date_custom_field_changed'
  | 'people_custom_field_changed'
  | 'attachment_added'
  | 'name_changed'
  | 'notes_changed'
  | 'due_date_changed'
  | 'marked_complete'
  | 'marked_incomplete'
  | 'approval_status_changed';

export interface DatesValue {
  startOn: string | null;
  dueOn: string | null;
  dueAt: number | null;
}

export type StoryValue =
  | SectionRec
  | EnumOptionRec
  | EnumOptionRec[]
  | UserRec
  | UserRec[]
  | ProjectRec
  | AttachmentRec
  | DatesValue
  | string
  | number
  | null;

/**
 * One story. `before`/`after` carry the subtype's old and new values (sections for
 * section_changed, enum options for enum_custom_field_changed, the attachment for
 * attachment_added, the project for added_to_project, the assignee for assigned, ...).
 */
export interface StoryRec {
  readonly kind: 'story';
  readonly gid: string;
  readonly seq: number;
  subtype: StorySubtype;
  createdAt: number;
  author: UserRec;
  task: TaskRec;
  /** Comment text; null for system stories, whose text is derived when served. */
  text: string | null;
  field: CustomFieldRec | null;
  before: StoryValue;
  after: StoryValue;
  source: 'web' | 'api';
}

export interface AttachmentRec {
  readonly kind: 'attachment';
  readonly gid: string;
  readonly seq: number;
  name: string;
  host: AttachmentHost;
  createdAt: number;
  task: TaskRec;
  size: number;
  /** Drive file id for gdrive, the URL for external, null for asana-hosted files. */
  externalRef: string | null;
  deleted: boolean;
}

export type AnyRec =
  | WorkspaceRec
  | UserRec
  | EnumOptionRec
  | CustomFieldRec
  | CustomFieldSettingRec
  | ProjectRec
  | SectionRec
  | TaskRec
  | StoryRec
  | AttachmentRec;

/**
 * Gids are numeric strings `base + seq`. The record for a gid is found by arithmetic, so there is
 * no million-entry Map; `seq` also orders every list the API pages through.
 */
export class GidRegistry {
  private readonly records: (AnyRec | undefined)[] = [];
  constructor(readonly base: number) {}

  /** The next gid; the caller creates its record and registers it with `put`. */
  peek(): { gid: string; seq: number } {
    const seq = this.records.length;
    return { gid: String(this.base + seq), seq };
  }

  put<R extends AnyRec>(rec: R): R {
    const seq = Number(rec.gid) - this.base;
    if (seq !== this.records.length) throw new Error(`gid ${rec.gid} registered out of order`);
    this.records.push(rec);
    return rec;
  }

  get(gid: string): AnyRec | undefined {
    if (!/^\d{1,16}$/.test(gid)) return undefined;
    const seq = Number(gid) - this.base;
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.records.length) return undefined;
    const rec = this.records[seq];
    return rec !== undefined && rec.gid === gid ? rec : undefined;
  }

  get size(): number {
    return this.records.length;
  }
}

// ---- ground truth -------------------------------------------------------------------------------

export interface TruthTransition {
  from: string | null;
  to: string;
  at: string;
  /** The section_changed story, or null for the first entry (task created in its section). */
  storyGid: string | null;
}
export interface TruthVersion {
  attachmentGid: string;
  name: string;
  number: number;
  createdAt: string;
  uploaderEmail: string;
}
export interface TruthComment {
  storyGid: string;
  /** The task or approval subtask the comment is on. */
  taskGid: string;
  authorEmail: string;
  createdAt: string;
}
export interface TruthDecision {
  subtaskGid: string;
  status: Exclude<ApprovalStatus, 'pending'>;
  reviewerEmail: string;
  at: string;
  /** The latest version uploaded before the decision; null if none was. */
  versionNumber: number | null;
}
export interface TaskTruth {
  taskGid: string;
  projectGid: string;
  resourceSubtype: TaskSubtype;
  assetKey: string | null;
  /** Current section name (= the last transition's `to`). */
  section: string;
  transitions: TruthTransition[];
  versions: TruthVersion[];
  comments: TruthComment[];
  decisions: TruthDecision[];
  deleted: boolean;
}
export interface AgencyTruth {
  sectionNames: readonly SectionName[];
  defaultStageMap: Readonly<Record<SectionName, CanonicalStage>>;
  /** Top-level tasks by gid, in creation order. */
  tasks: Map<string, TaskTruth>;
}

// ---- the dataset --------------------------------------------------------------------------------

export interface AgencyDataset {
  seed: string;
  /** ISO time the histories end at. */
  now: string;
  registry: GidRegistry;
  workspace: WorkspaceRec;
  users: UserRec[];
  customFields: CustomFieldRec[];
  projects: ProjectRec[];
  /** Per-kind totals (top-level tasks, subtasks, stories, attachments), kept current by mutations. */
  counts: { tasks: number; subtasks: number; stories: number; attachments: number };
}

export const isoTime = (ms: number): string => new Date(ms).toISOString();
export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
