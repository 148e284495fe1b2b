// Asana facts as data (STYLE.md §3). Sources: ../shared/docs/vendor-apis.md §1.7 and
// ../shared/specs/asana_oas.yaml (ErrorResponse, the 4xx/5xx responses of each path).
import type { ConnectorManifest } from '../types';

export const manifest = {
  id: 'asana',
  displayName: 'Asana',
  baseUrl: 'https://app.asana.com/api/1.0',
  docs: 'https://developers.asana.com/reference/rest-api-reference',
  pageSize: { max: 100, default: 100 },
  rateLimit: {
    // 1,500/min on paid domains, 150/min on free ones; rejected requests still count.
    perMinute: 1500,
    concurrency: { read: 50, write: 15 },
    waitFrom: { header: 'retry-after', unit: 's' },
  },
  statuses: {
    400: 'invalid_config',
    401: 'auth_revoked',
    402: 'invalid_config', // premium-only endpoint on a free workspace
    403: 'auth_revoked', // the token lost access to the workspace or project
    404: 'not_found',
    429: 'rate_limited',
    500: 'vendor_unavailable',
    502: 'vendor_unavailable',
    503: 'vendor_unavailable',
    504: 'vendor_unavailable',
  },
  ignore: [],
} satisfies ConnectorManifest;

/** Fields asked for with opt_fields: everything normalize reads, in one listing call per page. */
// `notes`: a Drive URL in a task's description is an explicit link to that file (mapping/linking.ts).
export const TASK_FIELDS = [
  'name', 'notes', 'resource_subtype', 'approval_status', 'completed', 'completed_at', 'created_at', 'modified_at',
  'due_on', 'due_at', 'permalink_url', 'num_subtasks', 'parent',
  'assignee', 'assignee.name', 'assignee.email',
  'memberships.project', 'memberships.project.name', 'memberships.section', 'memberships.section.name',
  'custom_fields', 'custom_fields.name', 'custom_fields.type', 'custom_fields.resource_subtype', 'custom_fields.display_value',
  'custom_fields.enum_value', 'custom_fields.enum_value.name', 'custom_fields.multi_enum_values', 'custom_fields.multi_enum_values.name',
  'custom_fields.number_value', 'custom_fields.text_value', 'custom_fields.date_value', 'custom_fields.people_value',
  'custom_fields.people_value.email', 'custom_fields.people_value.name',
].join(',');

// No `parent`: the parent is known, and its compact form carries the parent's name, which would make a
// subtask's stored payload change (and be rewritten) on every rename of the parent.
export const SUBTASK_FIELDS = [
  'name', 'resource_subtype', 'approval_status', 'completed', 'completed_at', 'created_at', 'modified_at',
  'assignee', 'assignee.name', 'assignee.email',
].join(',');

export const STORY_FIELDS = [
  'type', 'resource_subtype', 'text', 'created_at', 'created_by', 'created_by.name', 'created_by.email',
  'old_section', 'old_section.name', 'new_section', 'new_section.name',
  'custom_field', 'custom_field.name', 'old_enum_value', 'old_enum_value.name', 'new_enum_value', 'new_enum_value.name',
  'old_approval_status', 'new_approval_status', 'old_name', 'new_name',
].join(',');

// No `parent` (see SUBTASK_FIELDS) and no `download_url` (a link that expires in minutes: never stored).
export const ATTACHMENT_FIELDS = ['name', 'resource_subtype', 'host', 'created_at', 'size', 'permanent_url', 'view_url'].join(',');
export const PROJECT_FIELDS = ['name', 'archived', 'created_at', 'modified_at', 'permalink_url', 'workspace'].join(',');
export const SECTION_FIELDS = ['name', 'created_at'].join(',');
