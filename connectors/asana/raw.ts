// Zod schemas of the Asana payloads normalize reads (shapes from ../shared/specs/asana_oas.yaml:
// TaskResponse, StoryResponse, AttachmentResponse, ProjectResponse, SectionResponse, EventResponse).
// Objects are loose: Asana adds fields over time, and unknown fields are not an error.
import { z } from 'zod';

const Gid = z.string().regex(/^\d+$/, 'an Asana gid');
const Iso = z.iso.datetime({ offset: true });

export const AsanaUserCompactRaw = z.looseObject({
  gid: Gid,
  name: z.string().nullish(),
  email: z.string().nullish(),
});

const Named = z.looseObject({ gid: Gid, name: z.string().nullish() });

export const AsanaCustomFieldValueRaw = z.looseObject({
  gid: Gid,
  name: z.string(),
  type: z.string().nullish(),
  resource_subtype: z.string().nullish(),
  display_value: z.string().nullish(),
  enum_value: Named.nullish(),
  multi_enum_values: z.array(Named).nullish(),
  number_value: z.number().nullish(),
  text_value: z.string().nullish(),
  date_value: z.looseObject({ date: z.string().nullish(), date_time: z.string().nullish() }).nullish(),
  people_value: z.array(AsanaUserCompactRaw).nullish(),
});

export const AsanaTaskRaw = z.looseObject({
  gid: Gid,
  name: z.string(),
  notes: z.string().nullish(),
  resource_subtype: z.string().nullish(),
  approval_status: z.enum(['pending', 'approved', 'rejected', 'changes_requested']).nullish(),
  completed: z.boolean().nullish(),
  completed_at: Iso.nullish(),
  created_at: Iso,
  modified_at: Iso,
  due_on: z.iso.date().nullish(),
  due_at: Iso.nullish(),
  permalink_url: z.string().nullish(),
  num_subtasks: z.number().int().nonnegative().nullish(),
  parent: z.looseObject({ gid: Gid }).nullish(),
  assignee: AsanaUserCompactRaw.nullish(),
  memberships: z.array(z.looseObject({ project: Named.nullish(), section: Named.nullish() })).default([]),
  custom_fields: z.array(AsanaCustomFieldValueRaw).default([]),
});
export type AsanaTaskRaw = z.infer<typeof AsanaTaskRaw>;

export const AsanaStoryRaw = z.looseObject({
  gid: Gid,
  type: z.enum(['comment', 'system']).nullish(),
  resource_subtype: z.string(),
  text: z.string().nullish(),
  created_at: Iso,
  created_by: AsanaUserCompactRaw.nullish(),
  old_section: Named.nullish(),
  new_section: Named.nullish(),
  custom_field: Named.nullish(),
  old_enum_value: Named.nullish(),
  new_enum_value: Named.nullish(),
  old_approval_status: z.string().nullish(),
  new_approval_status: z.string().nullish(),
});
export type AsanaStoryRaw = z.infer<typeof AsanaStoryRaw>;

export const AsanaAttachmentRaw = z.looseObject({
  gid: Gid,
  name: z.string(),
  resource_subtype: z.string().nullish(),
  host: z.string().nullish(),
  created_at: Iso,
  size: z.number().int().nonnegative().nullish(),
  permanent_url: z.string().nullish(),
  view_url: z.string().nullish(),
});
export type AsanaAttachmentRaw = z.infer<typeof AsanaAttachmentRaw>;

export const AsanaProjectRaw = z.looseObject({
  gid: Gid,
  name: z.string(),
  archived: z.boolean().nullish(),
  created_at: Iso.nullish(),
  modified_at: Iso.nullish(),
  permalink_url: z.string().nullish(),
});
export type AsanaProjectRaw = z.infer<typeof AsanaProjectRaw>;

export const AsanaSectionRaw = z.looseObject({ gid: Gid, name: z.string() });
export type AsanaSectionRaw = z.infer<typeof AsanaSectionRaw>;

export const AsanaEventRaw = z.looseObject({
  user: AsanaUserCompactRaw.nullish(),
  resource: z.looseObject({ gid: Gid, resource_type: z.string(), resource_subtype: z.string().nullish(), name: z.string().nullish() }),
  parent: z.looseObject({ gid: Gid, resource_type: z.string() }).nullish(),
  action: z.string(),
  created_at: Iso.nullish(),
});
export type AsanaEventRaw = z.infer<typeof AsanaEventRaw>;
