-- Up Migration
-- core: the normalized current state and the append-only histories.
-- ops: connections, sync cursors and runs, the fetch queue, rejected records.
-- Every core row: a stable UUIDv5 id, the raw vendor payload beside the normalized columns,
-- a content hash so an upsert can skip unchanged rows, and a soft-delete column.
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS ops;

CREATE TABLE ops.connections (
  id                text PRIMARY KEY,
  vendor            text NOT NULL,
  state             text NOT NULL DEFAULT 'idle'
                    CHECK (state IN ('idle', 'syncing', 'ok', 'auth_failed', 'error')),
  state_message     text,
  config_hash       text,
  last_sync_started_at  timestamptz,
  last_sync_finished_at timestamptz,
  last_success_at   timestamptz,
  last_error        text,
  last_error_at     timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ops.sync_runs (
  id             uuid PRIMARY KEY,
  connection_id  text NOT NULL REFERENCES ops.connections(id),
  workflow_id    text,
  workflow_run_id text,
  mode           text NOT NULL CHECK (mode IN ('full', 'incremental')),
  status         text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz,
  -- counts of records written/unchanged per kind, and API calls per endpoint, merged page by page
  counts         jsonb NOT NULL DEFAULT '{}'::jsonb,
  api_calls      jsonb NOT NULL DEFAULT '{}'::jsonb,
  error          text
);
CREATE INDEX sync_runs_connection_idx ON ops.sync_runs (connection_id, started_at DESC);

-- A cursor is committed in the same transaction as the page it covers (STYLE.md §9).
CREATE TABLE ops.sync_cursors (
  connection_id text NOT NULL REFERENCES ops.connections(id),
  stream        text NOT NULL,
  cursor        jsonb NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, stream)
);

-- Records whose children (stories, attachments, subtasks…) still have to be fetched. Filled in the
-- transaction that commits the parent page, drained page by page, so a rate limit or a crash in the
-- middle of a page loses nothing and repeats nothing.
CREATE TABLE ops.fetch_queue (
  connection_id text NOT NULL REFERENCES ops.connections(id),
  scope         text NOT NULL,
  external_id   text NOT NULL,
  needs         text[] NOT NULL,
  detail        jsonb NOT NULL DEFAULT '{}'::jsonb,
  enqueued_at   timestamptz NOT NULL DEFAULT now(),
  seq           bigserial,
  PRIMARY KEY (connection_id, scope, external_id)
);

-- External ids seen by a full crawl still in progress: at its end, what was not seen is tombstoned.
CREATE TABLE ops.crawl_seen (
  connection_id text NOT NULL,
  scope         text NOT NULL,
  external_id   text NOT NULL,
  PRIMARY KEY (connection_id, scope, external_id)
);

CREATE TABLE ops.rejected_records (
  id            bigserial PRIMARY KEY,
  connection_id text NOT NULL REFERENCES ops.connections(id),
  sync_run_id   uuid,
  stream        text NOT NULL,
  external_id   text NOT NULL DEFAULT '',
  code          text NOT NULL,
  path          text NOT NULL,
  message       text NOT NULL,
  issues        jsonb NOT NULL,
  raw           jsonb,
  occurrences   integer NOT NULL DEFAULT 1,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  resolved_at   timestamptz,
  UNIQUE (connection_id, stream, external_id)
);

CREATE TABLE core.persons (
  id         uuid PRIMARY KEY,
  email      text UNIQUE,
  name       text,
  hash       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Which vendor account is which person (an Asana user gid, a monday user id…).
CREATE TABLE core.person_identities (
  connection_id text NOT NULL,
  external_id   text NOT NULL,
  person_id     uuid NOT NULL REFERENCES core.persons(id),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, external_id)
);

CREATE TABLE core.projects (
  id                uuid PRIMARY KEY,
  connection_id     text NOT NULL REFERENCES ops.connections(id),
  external_id       text NOT NULL,
  name              text NOT NULL,
  url               text,
  archived          boolean NOT NULL DEFAULT false,
  remote_created_at timestamptz,
  remote_updated_at timestamptz,
  raw               jsonb NOT NULL,
  hash              text NOT NULL,
  deleted_at        timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (connection_id, external_id)
);

CREATE TABLE core.assets (
  id                uuid PRIMARY KEY,
  connection_id     text NOT NULL REFERENCES ops.connections(id),
  external_id       text NOT NULL,
  project_id        uuid NOT NULL REFERENCES core.projects(id),
  name              text NOT NULL,
  asset_type        text,
  stage             text,
  source_status     text,
  owner_id          uuid REFERENCES core.persons(id),
  due_on            date,
  due_at            timestamptz,
  completed_at      timestamptz,
  url               text,
  fields            jsonb NOT NULL DEFAULT '{}'::jsonb,
  remote_created_at timestamptz,
  remote_updated_at timestamptz,
  raw               jsonb NOT NULL,
  hash              text NOT NULL,
  deleted_at        timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (connection_id, external_id)
);
CREATE INDEX assets_project_idx ON core.assets (project_id);
CREATE INDEX assets_stage_idx ON core.assets (stage) WHERE deleted_at IS NULL;

-- The cross-tool identity: asset ↔ source record.
CREATE TABLE core.asset_links (
  id            uuid PRIMARY KEY,
  asset_id      uuid NOT NULL REFERENCES core.assets(id),
  connection_id text NOT NULL REFERENCES ops.connections(id),
  kind          text NOT NULL,
  external_id   text NOT NULL,
  url           text,
  via           text NOT NULL CHECK (via IN ('primary', 'explicit', 'name')),
  hash          text NOT NULL,
  deleted_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (connection_id, kind, external_id)
);
CREATE INDEX asset_links_asset_idx ON core.asset_links (asset_id);

CREATE TABLE core.versions (
  id            uuid PRIMARY KEY,
  connection_id text NOT NULL REFERENCES ops.connections(id),
  external_id   text NOT NULL,
  asset_id      uuid NOT NULL REFERENCES core.assets(id),
  number        integer NOT NULL CHECK (number > 0),
  name          text NOT NULL,
  source        text NOT NULL,
  url           text,
  host          text,
  size_bytes    bigint,
  checksum      text,
  created_by    uuid REFERENCES core.persons(id),
  remote_created_at timestamptz NOT NULL,
  raw           jsonb NOT NULL,
  hash          text NOT NULL,
  deleted_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX versions_asset_idx ON core.versions (asset_id, number);

CREATE TABLE core.comments (
  id            uuid PRIMARY KEY,
  connection_id text NOT NULL REFERENCES ops.connections(id),
  external_id   text NOT NULL,
  asset_id      uuid NOT NULL REFERENCES core.assets(id),
  version_id    uuid REFERENCES core.versions(id),
  author_id     uuid REFERENCES core.persons(id),
  body          text NOT NULL,
  thread_external_id text,
  remote_created_at timestamptz NOT NULL,
  raw           jsonb NOT NULL,
  hash          text NOT NULL,
  deleted_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_asset_idx ON core.comments (asset_id);

CREATE TABLE core.decisions (
  id            uuid PRIMARY KEY,
  connection_id text NOT NULL REFERENCES ops.connections(id),
  external_id   text NOT NULL,
  asset_id      uuid NOT NULL REFERENCES core.assets(id),
  version_id    uuid REFERENCES core.versions(id),
  decision      text NOT NULL CHECK (decision IN ('approved', 'approved_with_changes', 'changes_requested', 'rejected')),
  reviewer_id   uuid REFERENCES core.persons(id),
  role          text,
  decided_at    timestamptz NOT NULL,
  raw           jsonb NOT NULL,
  hash          text NOT NULL,
  deleted_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decisions_asset_idx ON core.decisions (asset_id, decided_at);

-- Append-only: a transition, once recorded, is never updated.
CREATE TABLE core.stage_transitions (
  id            uuid PRIMARY KEY,
  connection_id text NOT NULL REFERENCES ops.connections(id),
  external_id   text NOT NULL,
  asset_id      uuid NOT NULL REFERENCES core.assets(id),
  from_stage    text,
  to_stage      text,
  from_status   text,
  to_status     text,
  at            timestamptz NOT NULL,
  actor_id      uuid REFERENCES core.persons(id),
  source        text NOT NULL CHECK (source IN ('vendor_history', 'initial', 'observed')),
  -- the vendor record that shows the move (null for an initial stage or a move observed between syncs)
  raw           jsonb,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stage_transitions_asset_idx ON core.stage_transitions (asset_id, at);

-- Down Migration
DROP SCHEMA core CASCADE;
DROP TABLE ops.rejected_records, ops.crawl_seen, ops.fetch_queue, ops.sync_cursors, ops.sync_runs, ops.connections;
