-- Up Migration
-- warehouse: the reporting layer leadership reports and BI tools read (DESIGN.md "PostgreSQL").
-- Dimensions (dim_*), facts (fact_*) and one view per metric (v_*), all derived from core.* and
-- ops.violations by warehouse/refresh.ts, incrementally: only the assets whose core rows changed are
-- recomputed. Local dates are in the workspace time zone the refresh was given (refresh_info.timezone).
-- Definitions: docs/METRICS.md (each metric, its edge cases, its SQL) and docs/WAREHOUSE.md (tables).
CREATE SCHEMA warehouse;
COMMENT ON SCHEMA warehouse IS 'Stageline reporting layer: dimensions, facts and one view per creative-ops metric (docs/WAREHOUSE.md, docs/METRICS.md). Rebuilt from core.* by warehouse/refresh.ts; never edited by hand.';

-- ------------------------------------------------------------------------------------ refresh_info

CREATE TABLE warehouse.refresh_info (
  singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  as_of            timestamptz NOT NULL,
  as_of_on         date NOT NULL,
  timezone         text NOT NULL,
  pipeline         text[] NOT NULL,
  mode             text NOT NULL CHECK (mode IN ('full', 'incremental')),
  assets_refreshed integer NOT NULL,
  watermark        timestamptz NOT NULL,
  refreshed_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE warehouse.refresh_info IS 'One row: the last refresh. Views measure open intervals, WIP age and "current" rows as of as_of, so every number is consistent with the daily snapshots.';
COMMENT ON COLUMN warehouse.refresh_info.singleton IS 'Always true: the table holds one row.';
COMMENT ON COLUMN warehouse.refresh_info.as_of IS 'The "now" the last refresh was given: open intervals count up to it, snapshots run to its local day.';
COMMENT ON COLUMN warehouse.refresh_info.as_of_on IS 'as_of as a local date in the workspace time zone.';
COMMENT ON COLUMN warehouse.refresh_info.timezone IS 'IANA time zone of every local date and week in the warehouse (stageline.yaml workspace.timezone). A change forces a full rebuild.';
COMMENT ON COLUMN warehouse.refresh_info.pipeline IS 'The ordered stage pipeline used (stageline.yaml workspace.pipeline); its last stage is "delivered". A change forces a full rebuild.';
COMMENT ON COLUMN warehouse.refresh_info.mode IS 'full (everything recomputed) or incremental (only assets whose core rows changed).';
COMMENT ON COLUMN warehouse.refresh_info.assets_refreshed IS 'How many assets the last refresh recomputed.';
COMMENT ON COLUMN warehouse.refresh_info.watermark IS 'Database time up to which core changes are included; the next incremental refresh looks at rows changed at or after it (also kept in ops.state key warehouse).';
COMMENT ON COLUMN warehouse.refresh_info.refreshed_at IS 'Wall-clock time the last refresh committed.';

-- -------------------------------------------------------------------------------------- dimensions

CREATE TABLE warehouse.dim_stage (
  stage     text PRIMARY KEY,
  position  integer,
  kind      text NOT NULL CHECK (kind IN ('pipeline', 'side')),
  is_final  boolean NOT NULL,
  is_review boolean NOT NULL,
  is_rework boolean NOT NULL,
  is_closed boolean NOT NULL
);
COMMENT ON TABLE warehouse.dim_stage IS 'Grain: one row per canonical stage (the workspace pipeline plus on_hold and cancelled). Rewritten from the refresh options on every refresh.';
COMMENT ON COLUMN warehouse.dim_stage.stage IS 'Canonical stage id (brief, in_progress, …, on_hold, cancelled).';
COMMENT ON COLUMN warehouse.dim_stage.position IS '1-based position in the pipeline; null for stages outside it (on_hold, cancelled). Sort stages by it.';
COMMENT ON COLUMN warehouse.dim_stage.kind IS 'pipeline (the main flow) or side (on_hold, cancelled: outside the flow).';
COMMENT ON COLUMN warehouse.dim_stage.is_final IS 'True for the last pipeline stage (delivered): entering it is a delivery.';
COMMENT ON COLUMN warehouse.dim_stage.is_review IS 'True for internal_review and client_review: leaving them for rework is a revision round; entering them starts an approval wait.';
COMMENT ON COLUMN warehouse.dim_stage.is_rework IS 'True for in_progress and brief: the stages a revision round goes back to.';
COMMENT ON COLUMN warehouse.dim_stage.is_closed IS 'True for delivered and cancelled: an asset there is not work in progress.';

CREATE TABLE warehouse.dim_source (
  connection_id text PRIMARY KEY,
  vendor        text NOT NULL,
  created_at    timestamptz NOT NULL
);
COMMENT ON TABLE warehouse.dim_source IS 'Grain: one row per connection (ops.connections). Source tool of assets and projects. Fully re-synced (guarded upsert) on every refresh.';
COMMENT ON COLUMN warehouse.dim_source.connection_id IS 'Connection id from stageline.yaml (e.g. asana-main).';
COMMENT ON COLUMN warehouse.dim_source.vendor IS 'The tool: asana, drive, monday, notion.';
COMMENT ON COLUMN warehouse.dim_source.created_at IS 'When the connection was first registered.';

CREATE TABLE warehouse.dim_person (
  person_id uuid PRIMARY KEY,
  email     text,
  name      text,
  roles     text[] NOT NULL,
  team      text
);
COMMENT ON TABLE warehouse.dim_person IS 'Grain: one row per person (core.persons), with roles from stageline.yaml people. Fully re-synced (guarded upsert) on every refresh.';
COMMENT ON COLUMN warehouse.dim_person.person_id IS 'core.persons.id.';
COMMENT ON COLUMN warehouse.dim_person.email IS 'Email (the cross-tool identity of a person); null when no tool gave one.';
COMMENT ON COLUMN warehouse.dim_person.name IS 'Display name as a tool gave it.';
COMMENT ON COLUMN warehouse.dim_person.roles IS 'Roles from stageline.yaml people (exact email first, else the email domain); empty when unknown.';
COMMENT ON COLUMN warehouse.dim_person.team IS 'The first listed role, used as the person''s team in the metric views; null when no role is known.';

CREATE TABLE warehouse.dim_project (
  project_id    uuid PRIMARY KEY,
  connection_id text NOT NULL,
  source_vendor text NOT NULL,
  name          text NOT NULL,
  client        text,
  campaign      text NOT NULL,
  url           text,
  archived      boolean NOT NULL,
  created_at    timestamptz NOT NULL,
  deleted_at    timestamptz
);
COMMENT ON TABLE warehouse.dim_project IS 'Grain: one row per project (a campaign or job: an Asana project, a monday board, a Notion data source, a Drive folder). Fully re-synced (guarded upsert) on every refresh.';
COMMENT ON COLUMN warehouse.dim_project.project_id IS 'core.projects.id.';
COMMENT ON COLUMN warehouse.dim_project.connection_id IS 'Connection the project comes from.';
COMMENT ON COLUMN warehouse.dim_project.source_vendor IS 'Tool the project lives in.';
COMMENT ON COLUMN warehouse.dim_project.name IS 'Project name as in the tool, e.g. "ACME — Holiday 2026".';
COMMENT ON COLUMN warehouse.dim_project.client IS 'Client: the part of the project name before the first " — " (space, em dash, space), trimmed; null when the name has no such separator.';
COMMENT ON COLUMN warehouse.dim_project.campaign IS 'Campaign: the part of the project name after the first " — ", trimmed; the whole name when there is no separator.';
COMMENT ON COLUMN warehouse.dim_project.url IS 'Link to the project in its tool.';
COMMENT ON COLUMN warehouse.dim_project.archived IS 'Archived in its tool (its assets still count).';
COMMENT ON COLUMN warehouse.dim_project.created_at IS 'Creation time in the tool, else when Stageline first stored it.';
COMMENT ON COLUMN warehouse.dim_project.deleted_at IS 'Tombstone: when the project was deleted in its tool; null while it exists.';

CREATE TABLE warehouse.dim_date (
  day          date PRIMARY KEY,
  week_start   date NOT NULL,
  iso_year     integer NOT NULL,
  iso_week     integer NOT NULL,
  year         integer NOT NULL,
  quarter      integer NOT NULL,
  month        integer NOT NULL,
  month_start  date NOT NULL,
  day_of_month integer NOT NULL,
  day_of_week  integer NOT NULL,
  day_name     text NOT NULL,
  is_weekend   boolean NOT NULL
);
COMMENT ON TABLE warehouse.dim_date IS 'Grain: one row per calendar date, a generated spine from 1 January of the year of the earliest asset to 31 December of the year after as_of. Join any *_on or week_start column to it.';
COMMENT ON COLUMN warehouse.dim_date.day IS 'The date.';
COMMENT ON COLUMN warehouse.dim_date.week_start IS 'Monday of the ISO week holding the date: the period every weekly view groups by.';
COMMENT ON COLUMN warehouse.dim_date.iso_year IS 'ISO 8601 week-numbering year.';
COMMENT ON COLUMN warehouse.dim_date.iso_week IS 'ISO 8601 week number (1–53).';
COMMENT ON COLUMN warehouse.dim_date.year IS 'Calendar year.';
COMMENT ON COLUMN warehouse.dim_date.quarter IS 'Calendar quarter (1–4).';
COMMENT ON COLUMN warehouse.dim_date.month IS 'Calendar month (1–12).';
COMMENT ON COLUMN warehouse.dim_date.month_start IS 'First day of the month.';
COMMENT ON COLUMN warehouse.dim_date.day_of_month IS 'Day of the month (1–31).';
COMMENT ON COLUMN warehouse.dim_date.day_of_week IS 'ISO day of week: 1 = Monday … 7 = Sunday.';
COMMENT ON COLUMN warehouse.dim_date.day_name IS 'English day name (Monday…Sunday).';
COMMENT ON COLUMN warehouse.dim_date.is_weekend IS 'Saturday or Sunday.';

CREATE TABLE warehouse.dim_asset (
  asset_id            uuid PRIMARY KEY,
  connection_id       text NOT NULL,
  source_vendor       text NOT NULL,
  external_id         text NOT NULL,
  name                text NOT NULL,
  asset_type          text,
  project_id          uuid NOT NULL,
  project_name        text NOT NULL,
  client              text,
  campaign            text NOT NULL,
  owner_id            uuid,
  owner_email         text,
  owner_name          text,
  current_stage       text,
  source_status       text,
  stage_entered_at    timestamptz,
  due_on              date,
  due_at              timestamptz,
  created_at          timestamptz NOT NULL,
  created_on          date NOT NULL,
  deleted_at          timestamptz,
  deleted_on          date,
  completed_at        timestamptz,
  url                 text,
  pipeline_entered_at timestamptz,
  first_pipeline_stage text,
  first_delivered_at  timestamptz,
  first_delivered_on  date,
  last_delivered_at   timestamptz,
  deliveries          integer NOT NULL,
  reopened            boolean NOT NULL,
  revision_rounds     integer NOT NULL,
  rounds_before_first_delivery integer NOT NULL,
  first_decision_at   timestamptz,
  first_decision_on   date,
  first_decision      text,
  first_reviewed_version integer,
  first_pass          boolean,
  version_count       integer NOT NULL,
  open_violations     integer NOT NULL
);
CREATE INDEX dim_asset_project_idx ON warehouse.dim_asset (project_id);
COMMENT ON TABLE warehouse.dim_asset IS 'Grain: one row per asset (creative deliverable), deleted ones included with deleted_at set. Attributes for slicing plus the asset''s milestones (first pipeline entry, first delivery, rounds, first decision). Upserted for the assets a refresh recomputes.';
COMMENT ON COLUMN warehouse.dim_asset.asset_id IS 'core.assets.id (UUIDv5 of connection, kind, external id).';
COMMENT ON COLUMN warehouse.dim_asset.connection_id IS 'Connection the asset''s own record comes from (its source tool).';
COMMENT ON COLUMN warehouse.dim_asset.source_vendor IS 'Source tool: the vendor of connection_id (asana, monday, notion, drive).';
COMMENT ON COLUMN warehouse.dim_asset.external_id IS 'Id of the asset''s record in its tool (task gid, item id, page id, file id).';
COMMENT ON COLUMN warehouse.dim_asset.name IS 'Asset name, e.g. "Holiday banner 300x250".';
COMMENT ON COLUMN warehouse.dim_asset.asset_type IS 'Asset type from the tool (banner, video, …); null when unknown.';
COMMENT ON COLUMN warehouse.dim_asset.project_id IS 'Project (campaign) the asset belongs to.';
COMMENT ON COLUMN warehouse.dim_asset.project_name IS 'Project name, as dim_project.name.';
COMMENT ON COLUMN warehouse.dim_asset.client IS 'Client, as dim_project.client (the part of the project name before " — ").';
COMMENT ON COLUMN warehouse.dim_asset.campaign IS 'Campaign, as dim_project.campaign (the part after " — ", else the whole name).';
COMMENT ON COLUMN warehouse.dim_asset.owner_id IS 'Owner (assignee) person; null when unassigned.';
COMMENT ON COLUMN warehouse.dim_asset.owner_email IS 'Owner''s email.';
COMMENT ON COLUMN warehouse.dim_asset.owner_name IS 'Owner''s display name.';
COMMENT ON COLUMN warehouse.dim_asset.current_stage IS 'Stage the tool reports now (core.assets.stage); null when its status is not in the stage map.';
COMMENT ON COLUMN warehouse.dim_asset.source_status IS 'The tool''s own status name the stage came from.';
COMMENT ON COLUMN warehouse.dim_asset.stage_entered_at IS 'When the asset entered the stage its last transition put it in (start of its open interval).';
COMMENT ON COLUMN warehouse.dim_asset.due_on IS 'Due date: the tool''s due date, else the local date of its due time. On-time and overdue compare local dates with it.';
COMMENT ON COLUMN warehouse.dim_asset.due_at IS 'Due time, when the tool has one (informational: metrics use due_on).';
COMMENT ON COLUMN warehouse.dim_asset.created_at IS 'Asset creation: the tool''s creation time, else its first stage transition, else when Stageline stored it. Daily snapshots start on its local date.';
COMMENT ON COLUMN warehouse.dim_asset.created_on IS 'created_at as a local date.';
COMMENT ON COLUMN warehouse.dim_asset.deleted_at IS 'Tombstone: deleted, trashed or archived in its tool. Deleted assets are excluded from every metric view.';
COMMENT ON COLUMN warehouse.dim_asset.deleted_on IS 'deleted_at as a local date; daily snapshots stop on it.';
COMMENT ON COLUMN warehouse.dim_asset.completed_at IS 'Completion time the tool reports (informational: delivery is measured from stage transitions).';
COMMENT ON COLUMN warehouse.dim_asset.url IS 'Link to the asset''s record in its tool.';
COMMENT ON COLUMN warehouse.dim_asset.pipeline_entered_at IS 'First entry into any pipeline stage (brief or later; on_hold, cancelled and unmapped statuses do not count): start of cycle time.';
COMMENT ON COLUMN warehouse.dim_asset.first_pipeline_stage IS 'The pipeline stage of that first entry (brief unless it was skipped).';
COMMENT ON COLUMN warehouse.dim_asset.first_delivered_at IS 'First entry into the final stage (delivered): end of cycle time, the moment throughput counts; null if never delivered.';
COMMENT ON COLUMN warehouse.dim_asset.first_delivered_on IS 'first_delivered_at as a local date.';
COMMENT ON COLUMN warehouse.dim_asset.last_delivered_at IS 'Latest entry into delivered (differs from the first after a reopen).';
COMMENT ON COLUMN warehouse.dim_asset.deliveries IS 'Number of entries into delivered (2 or more after a reopen and redelivery).';
COMMENT ON COLUMN warehouse.dim_asset.reopened IS 'True when, after its first delivery, the asset went back into an earlier pipeline stage.';
COMMENT ON COLUMN warehouse.dim_asset.revision_rounds IS 'Number of transitions from internal_review or client_review back to in_progress or brief, ever.';
COMMENT ON COLUMN warehouse.dim_asset.rounds_before_first_delivery IS 'Revision rounds before the first delivery (all of them while undelivered).';
COMMENT ON COLUMN warehouse.dim_asset.first_decision_at IS 'Time of the asset''s first review decision (any version).';
COMMENT ON COLUMN warehouse.dim_asset.first_decision_on IS 'first_decision_at as a local date.';
COMMENT ON COLUMN warehouse.dim_asset.first_decision IS 'That first decision: approved, approved_with_changes, changes_requested or rejected.';
COMMENT ON COLUMN warehouse.dim_asset.first_reviewed_version IS 'Version number the first decision was on: the first reviewed version.';
COMMENT ON COLUMN warehouse.dim_asset.first_pass IS 'True when the first decision on the first reviewed version was approved or approved_with_changes; null when never reviewed.';
COMMENT ON COLUMN warehouse.dim_asset.version_count IS 'Live (not tombstoned) versions now.';
COMMENT ON COLUMN warehouse.dim_asset.open_violations IS 'Standards violations open now (ops.violations, preview and enforce).';

-- ------------------------------------------------------------------------------------------- facts

CREATE TABLE warehouse.fact_transition (
  transition_id     uuid PRIMARY KEY,
  asset_id          uuid NOT NULL,
  seq               integer NOT NULL,
  at                timestamptz NOT NULL,
  at_on             date NOT NULL,
  from_stage        text,
  to_stage          text,
  from_position     integer,
  to_position       integer,
  source            text NOT NULL,
  actor_id          uuid,
  is_revision_round boolean NOT NULL,
  is_reopen         boolean NOT NULL,
  skipped_stages    integer,
  UNIQUE (asset_id, seq)
);
COMMENT ON TABLE warehouse.fact_transition IS 'Grain: one row per stage transition (core.stage_transitions, append-only). Deleted and re-inserted for the assets a refresh recomputes.';
COMMENT ON COLUMN warehouse.fact_transition.transition_id IS 'core.stage_transitions.id.';
COMMENT ON COLUMN warehouse.fact_transition.asset_id IS 'The asset that moved.';
COMMENT ON COLUMN warehouse.fact_transition.seq IS 'Order within the asset: by time, an initial stage first on a tie, then by id.';
COMMENT ON COLUMN warehouse.fact_transition.at IS 'When the move happened (the tool''s own time).';
COMMENT ON COLUMN warehouse.fact_transition.at_on IS 'at as a local date in the workspace time zone.';
COMMENT ON COLUMN warehouse.fact_transition.from_stage IS 'Stage before, as recorded; null for the initial stage or an unmapped status.';
COMMENT ON COLUMN warehouse.fact_transition.to_stage IS 'Stage after; null for an unmapped status.';
COMMENT ON COLUMN warehouse.fact_transition.from_position IS 'Pipeline position of from_stage; null outside the pipeline.';
COMMENT ON COLUMN warehouse.fact_transition.to_position IS 'Pipeline position of to_stage; null outside the pipeline.';
COMMENT ON COLUMN warehouse.fact_transition.source IS 'vendor_history (the tool''s log), initial (the stage it was created in) or observed (seen changed between syncs).';
COMMENT ON COLUMN warehouse.fact_transition.actor_id IS 'Who moved it, when the tool says.';
COMMENT ON COLUMN warehouse.fact_transition.is_revision_round IS 'A revision round: from internal_review or client_review to in_progress or brief (the revision_cap rule''s definition).';
COMMENT ON COLUMN warehouse.fact_transition.is_reopen IS 'A reopen: from delivered back to an earlier pipeline stage.';
COMMENT ON COLUMN warehouse.fact_transition.skipped_stages IS 'Pipeline stages jumped over going forward (in_progress → client_review skips 1); 0 for adjacent or backward moves; null when either side is outside the pipeline.';

CREATE TABLE warehouse.fact_stage_interval (
  asset_id         uuid NOT NULL,
  seq              integer NOT NULL,
  stage            text,
  stage_position   integer,
  in_pipeline      boolean NOT NULL,
  entry_no         integer NOT NULL,
  entered_at       timestamptz NOT NULL,
  left_at          timestamptz,
  entered_on       date NOT NULL,
  left_on          date,
  duration_seconds numeric,
  is_open          boolean GENERATED ALWAYS AS (left_at IS NULL) STORED,
  next_stage       text,
  transition_id    uuid NOT NULL,
  PRIMARY KEY (asset_id, seq)
);
COMMENT ON TABLE warehouse.fact_stage_interval IS 'Grain: one row per stay of an asset in a stage, from the transition into it to the next transition into another stage (consecutive transitions into the same stage are one stay). Deleted and re-inserted for the assets a refresh recomputes.';
COMMENT ON COLUMN warehouse.fact_stage_interval.asset_id IS 'The asset.';
COMMENT ON COLUMN warehouse.fact_stage_interval.seq IS '1-based order of the stay within the asset.';
COMMENT ON COLUMN warehouse.fact_stage_interval.stage IS 'The stage; null while the tool''s status was not in the stage map.';
COMMENT ON COLUMN warehouse.fact_stage_interval.stage_position IS 'Pipeline position of the stage; null outside the pipeline (on_hold, cancelled, unmapped).';
COMMENT ON COLUMN warehouse.fact_stage_interval.in_pipeline IS 'The stage is one of the workspace pipeline''s stages.';
COMMENT ON COLUMN warehouse.fact_stage_interval.entry_no IS 'Which entry into this stage it is for the asset: 1 the first time, 2 after going back, …';
COMMENT ON COLUMN warehouse.fact_stage_interval.entered_at IS 'When the asset entered the stage.';
COMMENT ON COLUMN warehouse.fact_stage_interval.left_at IS 'When it left; null = open (still there). Deleted assets keep an open last stay; the views exclude them.';
COMMENT ON COLUMN warehouse.fact_stage_interval.entered_on IS 'entered_at as a local date.';
COMMENT ON COLUMN warehouse.fact_stage_interval.left_on IS 'left_at as a local date.';
COMMENT ON COLUMN warehouse.fact_stage_interval.duration_seconds IS 'left_at − entered_at in elapsed seconds (calendar time, no business-day calendar); null while open (v_time_in_stage counts open stays up to refresh_info.as_of).';
COMMENT ON COLUMN warehouse.fact_stage_interval.is_open IS 'True while the asset is still in the stage (left_at is null).';
COMMENT ON COLUMN warehouse.fact_stage_interval.next_stage IS 'The stage it went to next; null while open.';
COMMENT ON COLUMN warehouse.fact_stage_interval.transition_id IS 'The transition that started the stay.';

CREATE TABLE warehouse.fact_version (
  version_id uuid PRIMARY KEY,
  asset_id   uuid NOT NULL,
  number     integer NOT NULL,
  name       text NOT NULL,
  source     text NOT NULL,
  created_at timestamptz NOT NULL,
  created_on date NOT NULL,
  created_by uuid,
  is_latest  boolean NOT NULL
);
CREATE INDEX fact_version_asset_idx ON warehouse.fact_version (asset_id, created_at);
COMMENT ON TABLE warehouse.fact_version IS 'Grain: one row per live (not tombstoned) file version of an asset. Deleted and re-inserted for the assets a refresh recomputes.';
COMMENT ON COLUMN warehouse.fact_version.version_id IS 'core.versions.id.';
COMMENT ON COLUMN warehouse.fact_version.asset_id IS 'The asset.';
COMMENT ON COLUMN warehouse.fact_version.number IS 'Version number (v1, v2, …).';
COMMENT ON COLUMN warehouse.fact_version.name IS 'File name of the version.';
COMMENT ON COLUMN warehouse.fact_version.source IS 'Where the version came from: attachment, revision, file_column, name_suffix, files_property.';
COMMENT ON COLUMN warehouse.fact_version.created_at IS 'When the version was created in its tool.';
COMMENT ON COLUMN warehouse.fact_version.created_on IS 'created_at as a local date.';
COMMENT ON COLUMN warehouse.fact_version.created_by IS 'Who uploaded it, when known.';
COMMENT ON COLUMN warehouse.fact_version.is_latest IS 'The asset''s current version (newest by creation time, then number).';

CREATE TABLE warehouse.fact_decision (
  decision_id       uuid PRIMARY KEY,
  asset_id          uuid NOT NULL,
  version_id        uuid,
  version_number    integer,
  decision          text NOT NULL,
  is_approval       boolean NOT NULL,
  reviewer_id       uuid,
  role              text,
  decided_at        timestamptz NOT NULL,
  decided_on        date NOT NULL,
  on_latest_version boolean,
  seq_on_asset      integer NOT NULL,
  seq_on_version    integer NOT NULL,
  review_entered_at timestamptz,
  review_stage      text,
  review_started_at timestamptz
);
CREATE INDEX fact_decision_asset_idx ON warehouse.fact_decision (asset_id, decided_at);
COMMENT ON TABLE warehouse.fact_decision IS 'Grain: one row per live review decision on an asset. Deleted and re-inserted for the assets a refresh recomputes.';
COMMENT ON COLUMN warehouse.fact_decision.decision_id IS 'core.decisions.id.';
COMMENT ON COLUMN warehouse.fact_decision.asset_id IS 'The asset reviewed.';
COMMENT ON COLUMN warehouse.fact_decision.version_id IS 'The version decided on; null when the tool did not say and no version existed.';
COMMENT ON COLUMN warehouse.fact_decision.version_number IS 'Its version number.';
COMMENT ON COLUMN warehouse.fact_decision.decision IS 'approved, approved_with_changes, changes_requested or rejected.';
COMMENT ON COLUMN warehouse.fact_decision.is_approval IS 'approved or approved_with_changes.';
COMMENT ON COLUMN warehouse.fact_decision.reviewer_id IS 'The reviewer.';
COMMENT ON COLUMN warehouse.fact_decision.role IS 'The reviewer''s role at the time (creative_director, client, …).';
COMMENT ON COLUMN warehouse.fact_decision.decided_at IS 'When the decision was made.';
COMMENT ON COLUMN warehouse.fact_decision.decided_on IS 'decided_at as a local date.';
COMMENT ON COLUMN warehouse.fact_decision.on_latest_version IS 'Whether the version was the newest live version created at or before decided_at (false = a decision on an old version); null without a version.';
COMMENT ON COLUMN warehouse.fact_decision.seq_on_asset IS '1 for the asset''s first decision (by time, then id), 2 for the next, …';
COMMENT ON COLUMN warehouse.fact_decision.seq_on_version IS '1 for the first decision on this version, …';
COMMENT ON COLUMN warehouse.fact_decision.review_entered_at IS 'The asset''s latest entry into internal_review or client_review at or before decided_at; null if it never entered review before the decision.';
COMMENT ON COLUMN warehouse.fact_decision.review_stage IS 'Which review stage that entry was into.';
COMMENT ON COLUMN warehouse.fact_decision.review_started_at IS 'When review of this version started: the later of review_entered_at and the version''s creation; null without a review entry. Start of approval latency.';

CREATE TABLE warehouse.fact_violation (
  violation_id uuid PRIMARY KEY,
  asset_id     uuid NOT NULL,
  rule_id      text NOT NULL,
  kind         text NOT NULL,
  subject      text NOT NULL,
  mode         text NOT NULL,
  state        text NOT NULL,
  opened_at    timestamptz NOT NULL,
  opened_on    date NOT NULL,
  last_seen_at timestamptz NOT NULL,
  resolved_at  timestamptz,
  resolved_on  date,
  times_opened integer NOT NULL
);
CREATE INDEX fact_violation_asset_idx ON warehouse.fact_violation (asset_id);
COMMENT ON TABLE warehouse.fact_violation IS 'Grain: one row per (rule, asset, subject) violation, its latest open period (ops.violations keeps only the latest). Deleted and re-inserted for the assets a refresh recomputes.';
COMMENT ON COLUMN warehouse.fact_violation.violation_id IS 'ops.violations.id.';
COMMENT ON COLUMN warehouse.fact_violation.asset_id IS 'The asset in breach.';
COMMENT ON COLUMN warehouse.fact_violation.rule_id IS 'The rule id from stageline.yaml rules.';
COMMENT ON COLUMN warehouse.fact_violation.kind IS 'Rule kind: naming, approval_gate, review_sla, revision_cap, required_fields.';
COMMENT ON COLUMN warehouse.fact_violation.subject IS 'What within the asset is in breach (the asset, a file, a field).';
COMMENT ON COLUMN warehouse.fact_violation.mode IS 'preview (found, not written back) or enforce. Both count for compliance.';
COMMENT ON COLUMN warehouse.fact_violation.state IS 'open or resolved.';
COMMENT ON COLUMN warehouse.fact_violation.opened_at IS 'When the violation (its latest open period) was found.';
COMMENT ON COLUMN warehouse.fact_violation.opened_on IS 'opened_at as a local date.';
COMMENT ON COLUMN warehouse.fact_violation.last_seen_at IS 'When an evaluation last saw it.';
COMMENT ON COLUMN warehouse.fact_violation.resolved_at IS 'When it was resolved (never before opened_at); null while open.';
COMMENT ON COLUMN warehouse.fact_violation.resolved_on IS 'resolved_at as a local date.';
COMMENT ON COLUMN warehouse.fact_violation.times_opened IS 'How many times it has been opened (reopened after a fix counts again).';

CREATE TABLE warehouse.fact_asset_day (
  asset_id        uuid NOT NULL,
  day             date NOT NULL,
  stage           text,
  stage_position  integer,
  in_pipeline     boolean NOT NULL,
  version_count   integer NOT NULL,
  open_violations integer NOT NULL,
  is_open         boolean NOT NULL,
  is_overdue      boolean NOT NULL,
  is_delivered    boolean NOT NULL,
  PRIMARY KEY (asset_id, day)
);
CREATE INDEX fact_asset_day_day_idx ON warehouse.fact_asset_day (day);
COMMENT ON TABLE warehouse.fact_asset_day IS 'Grain: one row per asset per local day (workspace time zone) from the asset''s creation to refresh_info.as_of, or to its deletion: the state at the end of that day. Recomputed for changed assets; other assets only gain the days since the last refresh.';
COMMENT ON COLUMN warehouse.fact_asset_day.asset_id IS 'The asset.';
COMMENT ON COLUMN warehouse.fact_asset_day.day IS 'Local date; the row describes the end of that day (for today: what is known now).';
COMMENT ON COLUMN warehouse.fact_asset_day.stage IS 'Stage at the end of the day (from stage transitions); null before the first transition or in an unmapped status.';
COMMENT ON COLUMN warehouse.fact_asset_day.stage_position IS 'Pipeline position of that stage.';
COMMENT ON COLUMN warehouse.fact_asset_day.in_pipeline IS 'The stage is a pipeline stage.';
COMMENT ON COLUMN warehouse.fact_asset_day.version_count IS 'Live versions created by the end of the day.';
COMMENT ON COLUMN warehouse.fact_asset_day.open_violations IS 'Violations open at the end of the day (opened on or before it, not resolved by then).';
COMMENT ON COLUMN warehouse.fact_asset_day.is_open IS 'Work in progress: the stage is neither delivered nor cancelled (on_hold and unmapped count as open).';
COMMENT ON COLUMN warehouse.fact_asset_day.is_overdue IS 'Open and the day is after the asset''s due date (dim_asset.due_on, the current due date).';
COMMENT ON COLUMN warehouse.fact_asset_day.is_delivered IS 'In the delivered stage at the end of the day.';

-- ------------------------------------------------------------------------------------------- views

-- The live assets with every column a report slices by. Deleted assets are excluded here, and so
-- from every metric view.
CREATE VIEW warehouse.v_asset AS
SELECT a.asset_id, a.name AS asset_name, a.client, a.campaign, a.project_id, a.project_name,
       p.team AS owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id
  FROM warehouse.dim_asset a
  LEFT JOIN warehouse.dim_person p ON p.person_id = a.owner_id
 WHERE a.deleted_at IS NULL;
COMMENT ON VIEW warehouse.v_asset IS 'Live (not deleted) assets with the slicing columns every metric view carries. Deleted assets are excluded from all metrics through this view.';
COMMENT ON COLUMN warehouse.v_asset.asset_id IS 'The asset.';
COMMENT ON COLUMN warehouse.v_asset.asset_name IS 'Asset name.';
COMMENT ON COLUMN warehouse.v_asset.client IS 'Client (project name before " — "); null when the project name has no client part.';
COMMENT ON COLUMN warehouse.v_asset.campaign IS 'Campaign (project name after " — ", else the whole name).';
COMMENT ON COLUMN warehouse.v_asset.project_id IS 'Project id.';
COMMENT ON COLUMN warehouse.v_asset.project_name IS 'Project name.';
COMMENT ON COLUMN warehouse.v_asset.owner_team IS 'Owner''s team: their first role from stageline.yaml people; null when unknown.';
COMMENT ON COLUMN warehouse.v_asset.owner_id IS 'Owner person id; null when unassigned.';
COMMENT ON COLUMN warehouse.v_asset.owner_name IS 'Owner display name.';
COMMENT ON COLUMN warehouse.v_asset.asset_type IS 'Asset type.';
COMMENT ON COLUMN warehouse.v_asset.source_vendor IS 'Source tool (vendor of the asset''s connection).';
COMMENT ON COLUMN warehouse.v_asset.connection_id IS 'Source connection.';

-- Throughput: assets delivered per local week, each asset once, in the week of its first delivery.
CREATE VIEW warehouse.v_throughput_weekly AS
SELECT date_trunc('week', i.entered_on)::date AS week_start,
       a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       count(*) FILTER (WHERE i.entry_no = 1)::integer AS assets_delivered,
       count(*) FILTER (WHERE i.entry_no > 1)::integer AS redeliveries
  FROM warehouse.fact_stage_interval i
  JOIN warehouse.dim_stage s ON s.stage = i.stage AND s.is_final
  JOIN warehouse.v_asset a ON a.asset_id = i.asset_id
 GROUP BY 1, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id;
COMMENT ON VIEW warehouse.v_throughput_weekly IS 'Throughput. Grain: local week × slice. An asset counts once, in the week of its first entry into delivered; later redeliveries (after a reopen) are counted apart. Sum across slices freely.';
COMMENT ON COLUMN warehouse.v_throughput_weekly.week_start IS 'Monday of the local week of the delivery.';
COMMENT ON COLUMN warehouse.v_throughput_weekly.client IS 'Client.';
COMMENT ON COLUMN warehouse.v_throughput_weekly.campaign IS 'Campaign.';
COMMENT ON COLUMN warehouse.v_throughput_weekly.project_id IS 'Project id.';
COMMENT ON COLUMN warehouse.v_throughput_weekly.project_name IS 'Project name.';
COMMENT ON COLUMN warehouse.v_throughput_weekly.owner_team IS 'Owner''s team.';
COMMENT ON COLUMN warehouse.v_throughput_weekly.owner_id IS 'Owner person id.';
COMMENT ON COLUMN warehouse.v_throughput_weekly.owner_name IS 'Owner name.';
COMMENT ON COLUMN warehouse.v_throughput_weekly.asset_type IS 'Asset type.';
COMMENT ON COLUMN warehouse.v_throughput_weekly.source_vendor IS 'Source tool.';
COMMENT ON COLUMN warehouse.v_throughput_weekly.connection_id IS 'Source connection.';
COMMENT ON COLUMN warehouse.v_throughput_weekly.assets_delivered IS 'Assets whose first delivery fell in the week: the throughput.';
COMMENT ON COLUMN warehouse.v_throughput_weekly.redeliveries IS 'Second and later deliveries (after a reopen) in the week; not throughput.';

-- Cycle time: first entry into the pipeline → first delivery, one row per delivered asset.
CREATE VIEW warehouse.v_cycle_time AS
SELECT date_trunc('week', d.first_delivered_on)::date AS week_start,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       d.first_pipeline_stage, d.pipeline_entered_at, d.first_delivered_at,
       CASE WHEN d.pipeline_entered_at < d.first_delivered_at
            THEN extract(epoch FROM d.first_delivered_at) - extract(epoch FROM d.pipeline_entered_at) END AS cycle_time_seconds,
       CASE WHEN d.pipeline_entered_at < d.first_delivered_at
            THEN round((extract(epoch FROM d.first_delivered_at) - extract(epoch FROM d.pipeline_entered_at)) / 86400, 3) END AS cycle_time_days
  FROM warehouse.dim_asset d
  JOIN warehouse.v_asset a ON a.asset_id = d.asset_id
 WHERE d.first_delivered_at IS NOT NULL;
COMMENT ON VIEW warehouse.v_cycle_time IS 'Cycle time. Grain: one row per delivered live asset. From the first entry into any pipeline stage to the first entry into delivered, in calendar time (on_hold time included). p50/p85: percentile_cont over cycle_time_seconds for any slice.';
COMMENT ON COLUMN warehouse.v_cycle_time.week_start IS 'Monday of the local week of the first delivery.';
COMMENT ON COLUMN warehouse.v_cycle_time.asset_id IS 'The asset.';
COMMENT ON COLUMN warehouse.v_cycle_time.asset_name IS 'Asset name.';
COMMENT ON COLUMN warehouse.v_cycle_time.client IS 'Client.';
COMMENT ON COLUMN warehouse.v_cycle_time.campaign IS 'Campaign.';
COMMENT ON COLUMN warehouse.v_cycle_time.project_id IS 'Project id.';
COMMENT ON COLUMN warehouse.v_cycle_time.project_name IS 'Project name.';
COMMENT ON COLUMN warehouse.v_cycle_time.owner_team IS 'Owner''s team.';
COMMENT ON COLUMN warehouse.v_cycle_time.owner_id IS 'Owner person id.';
COMMENT ON COLUMN warehouse.v_cycle_time.owner_name IS 'Owner name.';
COMMENT ON COLUMN warehouse.v_cycle_time.asset_type IS 'Asset type.';
COMMENT ON COLUMN warehouse.v_cycle_time.source_vendor IS 'Source tool.';
COMMENT ON COLUMN warehouse.v_cycle_time.connection_id IS 'Source connection.';
COMMENT ON COLUMN warehouse.v_cycle_time.first_pipeline_stage IS 'Pipeline stage the cycle started in (brief unless skipped).';
COMMENT ON COLUMN warehouse.v_cycle_time.pipeline_entered_at IS 'Start: first entry into a pipeline stage.';
COMMENT ON COLUMN warehouse.v_cycle_time.first_delivered_at IS 'End: first entry into delivered.';
COMMENT ON COLUMN warehouse.v_cycle_time.cycle_time_seconds IS 'End − start in seconds; null when the asset entered the pipeline already delivered (no history to measure).';
COMMENT ON COLUMN warehouse.v_cycle_time.cycle_time_days IS 'Cycle time in days (seconds / 86400, 3 decimals).';

-- Time in stage: every stay, closed ones with their duration, open ones counted up to as_of.
CREATE VIEW warehouse.v_time_in_stage AS
SELECT date_trunc('week', CASE WHEN i.is_open THEN r.as_of_on ELSE i.left_on END)::date AS week_start,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       i.stage, i.stage_position, i.in_pipeline, i.entry_no, i.entered_at, i.left_at, i.is_open,
       i.is_open AND NOT coalesce(s.is_closed, false) AS is_wip,
       CASE WHEN i.is_open THEN greatest(0, extract(epoch FROM r.as_of) - extract(epoch FROM i.entered_at)) ELSE i.duration_seconds END AS seconds,
       round(CASE WHEN i.is_open THEN greatest(0, extract(epoch FROM r.as_of) - extract(epoch FROM i.entered_at)) ELSE i.duration_seconds END / 86400, 3) AS days
  FROM warehouse.fact_stage_interval i
  JOIN warehouse.v_asset a ON a.asset_id = i.asset_id
  CROSS JOIN warehouse.refresh_info r
  LEFT JOIN warehouse.dim_stage s ON s.stage = i.stage;
COMMENT ON VIEW warehouse.v_time_in_stage IS 'Time in stage. Grain: one row per stay of a live asset in a stage. Closed stays (is_open false) give where work waits; open stays of work in progress (is_wip) are its current age, counted up to refresh_info.as_of, and are reported apart.';
COMMENT ON COLUMN warehouse.v_time_in_stage.week_start IS 'Monday of the local week the stay ended; for an open stay, the week of as_of.';
COMMENT ON COLUMN warehouse.v_time_in_stage.asset_id IS 'The asset.';
COMMENT ON COLUMN warehouse.v_time_in_stage.asset_name IS 'Asset name.';
COMMENT ON COLUMN warehouse.v_time_in_stage.client IS 'Client.';
COMMENT ON COLUMN warehouse.v_time_in_stage.campaign IS 'Campaign.';
COMMENT ON COLUMN warehouse.v_time_in_stage.project_id IS 'Project id.';
COMMENT ON COLUMN warehouse.v_time_in_stage.project_name IS 'Project name.';
COMMENT ON COLUMN warehouse.v_time_in_stage.owner_team IS 'Owner''s team.';
COMMENT ON COLUMN warehouse.v_time_in_stage.owner_id IS 'Owner person id.';
COMMENT ON COLUMN warehouse.v_time_in_stage.owner_name IS 'Owner name.';
COMMENT ON COLUMN warehouse.v_time_in_stage.asset_type IS 'Asset type.';
COMMENT ON COLUMN warehouse.v_time_in_stage.source_vendor IS 'Source tool.';
COMMENT ON COLUMN warehouse.v_time_in_stage.connection_id IS 'Source connection.';
COMMENT ON COLUMN warehouse.v_time_in_stage.stage IS 'The stage (null = an unmapped status).';
COMMENT ON COLUMN warehouse.v_time_in_stage.stage_position IS 'Pipeline position; null outside the pipeline.';
COMMENT ON COLUMN warehouse.v_time_in_stage.in_pipeline IS 'A pipeline stage (false for on_hold, cancelled, unmapped).';
COMMENT ON COLUMN warehouse.v_time_in_stage.entry_no IS '1 for the first stay in this stage, 2 after going back, …';
COMMENT ON COLUMN warehouse.v_time_in_stage.entered_at IS 'Entered the stage.';
COMMENT ON COLUMN warehouse.v_time_in_stage.left_at IS 'Left the stage; null while open.';
COMMENT ON COLUMN warehouse.v_time_in_stage.is_open IS 'Still in the stage.';
COMMENT ON COLUMN warehouse.v_time_in_stage.is_wip IS 'Open and the stage is not delivered or cancelled: work waiting now.';
COMMENT ON COLUMN warehouse.v_time_in_stage.seconds IS 'Closed: left − entered. Open: as_of − entered (never negative).';
COMMENT ON COLUMN warehouse.v_time_in_stage.days IS 'seconds / 86400, 3 decimals.';

-- Revision rounds per asset.
CREATE VIEW warehouse.v_revision_rounds AS
SELECT date_trunc('week', d.first_delivered_on)::date AS week_start,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       d.revision_rounds, d.rounds_before_first_delivery, d.first_delivered_at IS NOT NULL AS is_delivered, d.reopened
  FROM warehouse.dim_asset d
  JOIN warehouse.v_asset a ON a.asset_id = d.asset_id
 WHERE d.pipeline_entered_at IS NOT NULL;
COMMENT ON VIEW warehouse.v_revision_rounds IS 'Revision rounds. Grain: one row per live asset that entered the pipeline. A round is a transition from internal_review or client_review to in_progress or brief. Average over is_delivered rows per delivery week for "rounds per delivered asset".';
COMMENT ON COLUMN warehouse.v_revision_rounds.week_start IS 'Monday of the local week of the first delivery; null while undelivered.';
COMMENT ON COLUMN warehouse.v_revision_rounds.asset_id IS 'The asset.';
COMMENT ON COLUMN warehouse.v_revision_rounds.asset_name IS 'Asset name.';
COMMENT ON COLUMN warehouse.v_revision_rounds.client IS 'Client.';
COMMENT ON COLUMN warehouse.v_revision_rounds.campaign IS 'Campaign.';
COMMENT ON COLUMN warehouse.v_revision_rounds.project_id IS 'Project id.';
COMMENT ON COLUMN warehouse.v_revision_rounds.project_name IS 'Project name.';
COMMENT ON COLUMN warehouse.v_revision_rounds.owner_team IS 'Owner''s team.';
COMMENT ON COLUMN warehouse.v_revision_rounds.owner_id IS 'Owner person id.';
COMMENT ON COLUMN warehouse.v_revision_rounds.owner_name IS 'Owner name.';
COMMENT ON COLUMN warehouse.v_revision_rounds.asset_type IS 'Asset type.';
COMMENT ON COLUMN warehouse.v_revision_rounds.source_vendor IS 'Source tool.';
COMMENT ON COLUMN warehouse.v_revision_rounds.connection_id IS 'Source connection.';
COMMENT ON COLUMN warehouse.v_revision_rounds.revision_rounds IS 'All revision rounds so far (including after a reopen).';
COMMENT ON COLUMN warehouse.v_revision_rounds.rounds_before_first_delivery IS 'Rounds before the first delivery.';
COMMENT ON COLUMN warehouse.v_revision_rounds.is_delivered IS 'Delivered at least once.';
COMMENT ON COLUMN warehouse.v_revision_rounds.reopened IS 'Went back into the pipeline after its first delivery.';

-- First-pass approval per reviewed asset.
CREATE VIEW warehouse.v_first_pass_approval AS
SELECT date_trunc('week', d.first_decision_on)::date AS week_start,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       d.first_reviewed_version, d.first_decision, d.first_decision_at, d.first_pass
  FROM warehouse.dim_asset d
  JOIN warehouse.v_asset a ON a.asset_id = d.asset_id
 WHERE d.first_decision_at IS NOT NULL;
COMMENT ON VIEW warehouse.v_first_pass_approval IS 'First-pass approval. Grain: one row per live asset with at least one decision. first_pass: the first decision on the first reviewed version (the version of the asset''s chronologically first decision) was approved or approved_with_changes. Rate = avg(first_pass::int).';
COMMENT ON COLUMN warehouse.v_first_pass_approval.week_start IS 'Monday of the local week of the first decision.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.asset_id IS 'The asset.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.asset_name IS 'Asset name.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.client IS 'Client.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.campaign IS 'Campaign.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.project_id IS 'Project id.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.project_name IS 'Project name.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.owner_team IS 'Owner''s team.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.owner_id IS 'Owner person id.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.owner_name IS 'Owner name.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.asset_type IS 'Asset type.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.source_vendor IS 'Source tool.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.connection_id IS 'Source connection.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.first_reviewed_version IS 'Version number of the first decision (null when the decision had no version).';
COMMENT ON COLUMN warehouse.v_first_pass_approval.first_decision IS 'The first decision.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.first_decision_at IS 'When it was made.';
COMMENT ON COLUMN warehouse.v_first_pass_approval.first_pass IS 'approved or approved_with_changes first time.';

-- Approval latency: review start of a version → its first decision.
CREATE VIEW warehouse.v_approval_latency AS
SELECT date_trunc('week', f.decided_on)::date AS week_start,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       f.version_id, f.version_number, f.on_latest_version, f.review_stage, f.review_started_at, f.decided_at, f.decision, f.role, f.reviewer_id,
       extract(epoch FROM f.decided_at) - extract(epoch FROM f.review_started_at) AS latency_seconds,
       round((extract(epoch FROM f.decided_at) - extract(epoch FROM f.review_started_at)) / 3600, 3) AS latency_hours
  FROM warehouse.fact_decision f
  JOIN warehouse.v_asset a ON a.asset_id = f.asset_id
 WHERE f.seq_on_version = 1;
COMMENT ON VIEW warehouse.v_approval_latency IS 'Approval latency. Grain: one row per reviewed version of a live asset (its first decision). From the start of review of the version (the later of the latest entry into a review stage before the decision and the version''s upload) to that first decision. Null latency = decided without ever entering review.';
COMMENT ON COLUMN warehouse.v_approval_latency.week_start IS 'Monday of the local week of the decision.';
COMMENT ON COLUMN warehouse.v_approval_latency.asset_id IS 'The asset.';
COMMENT ON COLUMN warehouse.v_approval_latency.asset_name IS 'Asset name.';
COMMENT ON COLUMN warehouse.v_approval_latency.client IS 'Client.';
COMMENT ON COLUMN warehouse.v_approval_latency.campaign IS 'Campaign.';
COMMENT ON COLUMN warehouse.v_approval_latency.project_id IS 'Project id.';
COMMENT ON COLUMN warehouse.v_approval_latency.project_name IS 'Project name.';
COMMENT ON COLUMN warehouse.v_approval_latency.owner_team IS 'Owner''s team.';
COMMENT ON COLUMN warehouse.v_approval_latency.owner_id IS 'Owner person id.';
COMMENT ON COLUMN warehouse.v_approval_latency.owner_name IS 'Owner name.';
COMMENT ON COLUMN warehouse.v_approval_latency.asset_type IS 'Asset type.';
COMMENT ON COLUMN warehouse.v_approval_latency.source_vendor IS 'Source tool.';
COMMENT ON COLUMN warehouse.v_approval_latency.connection_id IS 'Source connection.';
COMMENT ON COLUMN warehouse.v_approval_latency.version_id IS 'The version decided on (null: decisions without a version form one group).';
COMMENT ON COLUMN warehouse.v_approval_latency.version_number IS 'Its number.';
COMMENT ON COLUMN warehouse.v_approval_latency.on_latest_version IS 'False when the version was already superseded at the decision.';
COMMENT ON COLUMN warehouse.v_approval_latency.review_stage IS 'internal_review or client_review: the review stage entered.';
COMMENT ON COLUMN warehouse.v_approval_latency.review_started_at IS 'Start of the wait.';
COMMENT ON COLUMN warehouse.v_approval_latency.decided_at IS 'The first decision on the version.';
COMMENT ON COLUMN warehouse.v_approval_latency.decision IS 'That decision.';
COMMENT ON COLUMN warehouse.v_approval_latency.role IS 'Reviewer role.';
COMMENT ON COLUMN warehouse.v_approval_latency.reviewer_id IS 'Reviewer.';
COMMENT ON COLUMN warehouse.v_approval_latency.latency_seconds IS 'decided_at − review_started_at in seconds; null when the asset never entered review before the decision.';
COMMENT ON COLUMN warehouse.v_approval_latency.latency_hours IS 'Latency in hours, 3 decimals.';

-- On-time delivery per delivered asset.
CREATE VIEW warehouse.v_on_time_delivery AS
SELECT date_trunc('week', d.first_delivered_on)::date AS week_start,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       d.due_on, d.first_delivered_at, d.first_delivered_on,
       CASE WHEN d.due_on IS NOT NULL THEN d.first_delivered_on <= d.due_on END AS on_time,
       d.first_delivered_on - d.due_on AS days_late
  FROM warehouse.dim_asset d
  JOIN warehouse.v_asset a ON a.asset_id = d.asset_id
 WHERE d.first_delivered_at IS NOT NULL;
COMMENT ON VIEW warehouse.v_on_time_delivery IS 'On-time delivery. Grain: one row per delivered live asset. On time = the local date of the first delivery is on or before the due date. No due date: on_time is null, excluded from the rate and counted (count(*) FILTER (WHERE on_time IS NULL)).';
COMMENT ON COLUMN warehouse.v_on_time_delivery.week_start IS 'Monday of the local week of the first delivery.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.asset_id IS 'The asset.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.asset_name IS 'Asset name.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.client IS 'Client.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.campaign IS 'Campaign.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.project_id IS 'Project id.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.project_name IS 'Project name.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.owner_team IS 'Owner''s team.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.owner_id IS 'Owner person id.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.owner_name IS 'Owner name.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.asset_type IS 'Asset type.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.source_vendor IS 'Source tool.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.connection_id IS 'Source connection.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.due_on IS 'Due date (local).';
COMMENT ON COLUMN warehouse.v_on_time_delivery.first_delivered_at IS 'First delivery.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.first_delivered_on IS 'Its local date.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.on_time IS 'first_delivered_on <= due_on; null without a due date.';
COMMENT ON COLUMN warehouse.v_on_time_delivery.days_late IS 'first_delivered_on − due_on in days (≤ 0 on time); null without a due date.';

-- Overdue work in progress, at the end of each week (and now).
CREATE VIEW warehouse.v_overdue_wip AS
SELECT date_trunc('week', s.day)::date AS week_start, s.day AS snapshot_on, s.day = r.as_of_on AS is_current,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       s.stage, d.due_on, s.day - d.due_on AS days_overdue
  FROM warehouse.fact_asset_day s
  JOIN warehouse.v_asset a ON a.asset_id = s.asset_id
  JOIN warehouse.dim_asset d ON d.asset_id = s.asset_id
  CROSS JOIN warehouse.refresh_info r
 WHERE s.is_overdue
   AND s.day = least(date_trunc('week', s.day)::date + 6, r.as_of_on);
COMMENT ON VIEW warehouse.v_overdue_wip IS 'Overdue work in progress. Grain: one row per live asset per local week in which, at the end of the week (Sunday, or as_of for the current week), it was open (not delivered, not cancelled; on_hold counts) and past its due date. Current list: WHERE is_current.';
COMMENT ON COLUMN warehouse.v_overdue_wip.week_start IS 'Monday of the local week.';
COMMENT ON COLUMN warehouse.v_overdue_wip.snapshot_on IS 'The day the state is taken at: the week''s Sunday, or as_of''s local date for the current week.';
COMMENT ON COLUMN warehouse.v_overdue_wip.is_current IS 'The row is as of refresh_info.as_of (the current overdue list).';
COMMENT ON COLUMN warehouse.v_overdue_wip.asset_id IS 'The asset.';
COMMENT ON COLUMN warehouse.v_overdue_wip.asset_name IS 'Asset name.';
COMMENT ON COLUMN warehouse.v_overdue_wip.client IS 'Client.';
COMMENT ON COLUMN warehouse.v_overdue_wip.campaign IS 'Campaign.';
COMMENT ON COLUMN warehouse.v_overdue_wip.project_id IS 'Project id.';
COMMENT ON COLUMN warehouse.v_overdue_wip.project_name IS 'Project name.';
COMMENT ON COLUMN warehouse.v_overdue_wip.owner_team IS 'Owner''s team.';
COMMENT ON COLUMN warehouse.v_overdue_wip.owner_id IS 'Owner person id.';
COMMENT ON COLUMN warehouse.v_overdue_wip.owner_name IS 'Owner name.';
COMMENT ON COLUMN warehouse.v_overdue_wip.asset_type IS 'Asset type.';
COMMENT ON COLUMN warehouse.v_overdue_wip.source_vendor IS 'Source tool.';
COMMENT ON COLUMN warehouse.v_overdue_wip.connection_id IS 'Source connection.';
COMMENT ON COLUMN warehouse.v_overdue_wip.stage IS 'Stage at snapshot_on.';
COMMENT ON COLUMN warehouse.v_overdue_wip.due_on IS 'Due date.';
COMMENT ON COLUMN warehouse.v_overdue_wip.days_overdue IS 'snapshot_on − due_on in days (≥ 1).';

-- Rework rate per delivery week.
CREATE VIEW warehouse.v_rework_rate AS
SELECT date_trunc('week', d.first_delivered_on)::date AS week_start,
       a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       count(*)::integer AS delivered_assets,
       count(*) FILTER (WHERE d.revision_rounds >= 1)::integer AS reworked_assets,
       round(count(*) FILTER (WHERE d.revision_rounds >= 1)::numeric / count(*), 4) AS rework_rate
  FROM warehouse.dim_asset d
  JOIN warehouse.v_asset a ON a.asset_id = d.asset_id
 WHERE d.first_delivered_at IS NOT NULL
 GROUP BY 1, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id;
COMMENT ON VIEW warehouse.v_rework_rate IS 'Rework rate. Grain: local week of first delivery × slice. Share of delivered live assets with at least one revision round (at any time). Across slices: sum(reworked_assets) / sum(delivered_assets).';
COMMENT ON COLUMN warehouse.v_rework_rate.week_start IS 'Monday of the local week of the first delivery.';
COMMENT ON COLUMN warehouse.v_rework_rate.client IS 'Client.';
COMMENT ON COLUMN warehouse.v_rework_rate.campaign IS 'Campaign.';
COMMENT ON COLUMN warehouse.v_rework_rate.project_id IS 'Project id.';
COMMENT ON COLUMN warehouse.v_rework_rate.project_name IS 'Project name.';
COMMENT ON COLUMN warehouse.v_rework_rate.owner_team IS 'Owner''s team.';
COMMENT ON COLUMN warehouse.v_rework_rate.owner_id IS 'Owner person id.';
COMMENT ON COLUMN warehouse.v_rework_rate.owner_name IS 'Owner name.';
COMMENT ON COLUMN warehouse.v_rework_rate.asset_type IS 'Asset type.';
COMMENT ON COLUMN warehouse.v_rework_rate.source_vendor IS 'Source tool.';
COMMENT ON COLUMN warehouse.v_rework_rate.connection_id IS 'Source connection.';
COMMENT ON COLUMN warehouse.v_rework_rate.delivered_assets IS 'Assets first delivered in the week.';
COMMENT ON COLUMN warehouse.v_rework_rate.reworked_assets IS 'Of those, assets with at least one revision round.';
COMMENT ON COLUMN warehouse.v_rework_rate.rework_rate IS 'reworked_assets / delivered_assets (0–1, 4 decimals).';

-- Compliance at the end of each week (and now), from the daily snapshots.
CREATE VIEW warehouse.v_compliance AS
SELECT date_trunc('week', s.day)::date AS week_start, s.day AS snapshot_on, s.day = r.as_of_on AS is_current,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       s.open_violations, s.open_violations = 0 AS compliant
  FROM warehouse.fact_asset_day s
  JOIN warehouse.v_asset a ON a.asset_id = s.asset_id
  CROSS JOIN warehouse.refresh_info r
 WHERE s.day = least(date_trunc('week', s.day)::date + 6, r.as_of_on);
COMMENT ON VIEW warehouse.v_compliance IS 'Compliance. Grain: one row per live asset per local week it existed, at the end of the week (Sunday, or as_of for the current week). compliant = no violation open then (preview and enforce both count). Rate = avg(compliant::int); by rule: v_violations_by_rule.';
COMMENT ON COLUMN warehouse.v_compliance.week_start IS 'Monday of the local week.';
COMMENT ON COLUMN warehouse.v_compliance.snapshot_on IS 'The day the state is taken at: the week''s Sunday, or as_of''s local date for the current week.';
COMMENT ON COLUMN warehouse.v_compliance.is_current IS 'The row is as of refresh_info.as_of.';
COMMENT ON COLUMN warehouse.v_compliance.asset_id IS 'The asset.';
COMMENT ON COLUMN warehouse.v_compliance.asset_name IS 'Asset name.';
COMMENT ON COLUMN warehouse.v_compliance.client IS 'Client.';
COMMENT ON COLUMN warehouse.v_compliance.campaign IS 'Campaign.';
COMMENT ON COLUMN warehouse.v_compliance.project_id IS 'Project id.';
COMMENT ON COLUMN warehouse.v_compliance.project_name IS 'Project name.';
COMMENT ON COLUMN warehouse.v_compliance.owner_team IS 'Owner''s team.';
COMMENT ON COLUMN warehouse.v_compliance.owner_id IS 'Owner person id.';
COMMENT ON COLUMN warehouse.v_compliance.owner_name IS 'Owner name.';
COMMENT ON COLUMN warehouse.v_compliance.asset_type IS 'Asset type.';
COMMENT ON COLUMN warehouse.v_compliance.source_vendor IS 'Source tool.';
COMMENT ON COLUMN warehouse.v_compliance.connection_id IS 'Source connection.';
COMMENT ON COLUMN warehouse.v_compliance.open_violations IS 'Violations open at snapshot_on.';
COMMENT ON COLUMN warehouse.v_compliance.compliant IS 'No violation open at snapshot_on.';

-- Violations by rule, one row per violation of a live asset.
CREATE VIEW warehouse.v_violations_by_rule AS
SELECT date_trunc('week', v.opened_on)::date AS week_start,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       v.violation_id, v.rule_id, v.kind, v.subject, v.mode, v.state, v.state = 'open' AS is_open, v.opened_at, v.resolved_at, v.times_opened
  FROM warehouse.fact_violation v
  JOIN warehouse.v_asset a ON a.asset_id = v.asset_id;
COMMENT ON VIEW warehouse.v_violations_by_rule IS 'Violations by rule (companion of v_compliance). Grain: one row per violation of a live asset, its latest open period. Open violations per asset by rule = count(*) FILTER (WHERE is_open) grouped by rule_id, over the number of live assets in the slice (v_compliance WHERE is_current).';
COMMENT ON COLUMN warehouse.v_violations_by_rule.week_start IS 'Monday of the local week the violation (its latest open period) was found.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.asset_id IS 'The asset.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.asset_name IS 'Asset name.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.client IS 'Client.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.campaign IS 'Campaign.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.project_id IS 'Project id.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.project_name IS 'Project name.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.owner_team IS 'Owner''s team.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.owner_id IS 'Owner person id.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.owner_name IS 'Owner name.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.asset_type IS 'Asset type.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.source_vendor IS 'Source tool.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.connection_id IS 'Source connection.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.violation_id IS 'The violation.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.rule_id IS 'Rule id from stageline.yaml.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.kind IS 'Rule kind.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.subject IS 'What is in breach.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.mode IS 'preview or enforce.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.state IS 'open or resolved.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.is_open IS 'Open now.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.opened_at IS 'Found at.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.resolved_at IS 'Resolved at; null while open.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.times_opened IS 'Times opened.';

-- Down Migration
DROP SCHEMA warehouse CASCADE;
