// Record constructors shared by the generator and the live store, so that every record of a kind
// has the same fields in the same order (one V8 shape per kind keeps a large dataset compact).

import {
  type ApprovalStatus,
  type AttachmentHost,
  type AttachmentRec,
  type CfValue,
  type CustomFieldRec,
  type GidRegistry,
  type ProjectRec,
  type SectionRec,
  type StoryRec,
  type StorySubtype,
  type StoryValue,
  type TaskRec,
  type TaskSubtype,
  type UserRec,
} from './model';

export interface NewTask {
  name: string;
  notes: string;
  subtype: TaskSubtype;
  approvalStatus: ApprovalStatus | null;
  assignee: UserRec | null;
  dueOn: string | null;
  dueAt: number | null;
  createdAt: number;
  createdBy: UserRec;
  parent: TaskRec | null;
  project: ProjectRec | null;
  section: SectionRec | null;
  values: CfValue[];
}

export function createTaskRec(reg: GidRegistry, t: NewTask): TaskRec {
  const { gid, seq } = reg.peek();
  const followers = t.assignee && t.assignee !== t.createdBy ? [t.createdBy, t.assignee] : [t.createdBy];
  return reg.put<TaskRec>({
    kind: 'task',
    gid,
    seq,
    name: t.name,
    notes: t.notes,
    subtype: t.subtype,
    approvalStatus: t.approvalStatus,
    completed: false,
    completedAt: null,
    completedBy: null,
    assignee: t.assignee,
    assignedBy: t.assignee ? t.createdBy : null,
    dueOn: t.dueOn,
    dueAt: t.dueAt,
    createdAt: t.createdAt,
    modifiedAt: t.createdAt,
    createdBy: t.createdBy,
    parent: t.parent,
    project: t.project,
    section: t.section,
    values: t.values,
    subtasks: [],
    stories: [],
    attachments: [],
    followers,
    deleted: false,
  });
}

export interface NewStory {
  subtype: StorySubtype;
  createdAt: number;
  author: UserRec;
  task: TaskRec;
  text?: string | null;
  field?: CustomFieldRec | null;
  before?: StoryValue;
  after?: StoryValue;
  source?: 'web' | 'api';
}

/** Creates a story and appends it to its task (stories are kept in creation order). */
export function createStoryRec(reg: GidRegistry, s: NewStory): StoryRec {
  const { gid, seq } = reg.peek();
  const story = reg.put<StoryRec>({
    kind: 'story',
    gid,
    seq,
    subtype: s.subtype,
    createdAt: s.createdAt,
    author: s.author,
    task: s.task,
    text: s.text ?? null,
    field: s.field ?? null,
    before: s.before ?? null,
    after: s.after ?? null,
    source: s.source ?? 'web',
  });
  s.task.stories.push(story);
  return story;
}

export interface NewAttachment {
  name: string;
  host: AttachmentHost;
  createdAt: number;
  task: TaskRec;
  size: number;
  externalRef: string | null;
}

export function createAttachmentRec(reg: GidRegistry, a: NewAttachment): AttachmentRec {
  const { gid, seq } = reg.peek();
  const att = reg.put<AttachmentRec>({
    kind: 'attachment',
    gid,
    seq,
    name: a.name,
    host: a.host,
    createdAt: a.createdAt,
    task: a.task,
    size: a.size,
    externalRef: a.externalRef,
    deleted: false,
  });
  a.task.attachments.push(att);
  return att;
}

/** Inserts `item` into a list kept in `seq` order (appending is the common case). */
export function insertBySeq<T extends { seq: number }>(list: T[], item: T): void {
  const last = list[list.length - 1];
  if (!last || last.seq < item.seq) {
    list.push(item);
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as T).seq < item.seq) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, item);
}

export function removeBySeq<T extends { seq: number }>(list: T[], item: T): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as T).seq < item.seq) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] === item) list.splice(lo, 1);
}
