-- Up Migration
-- Files held by a file store (Google Drive), their revisions and comments, as the store gives them.
-- They join assets through cross-tool linking (mapping/linking.ts, activities/linking.ts): a linked
-- file's revisions become the asset's versions and its comments the asset's comments; the link state
-- of every file (linked, orphan, misnamed, conflict) is kept for reports.
CREATE TABLE core.files (
  id                uuid PRIMARY KEY,
  connection_id     text NOT NULL REFERENCES ops.connections(id),
  external_id       text NOT NULL,
  name              text NOT NULL,
  mime_type         text NOT NULL,
  is_folder         boolean NOT NULL,
  parent_ids        jsonb NOT NULL DEFAULT '[]'::jsonb,
  drive_id          text,
  size_bytes        bigint,
  checksum          text,
  head_revision_id  text,
  version           text,
  url               text,
  app_properties    jsonb NOT NULL DEFAULT '{}'::jsonb,
  modified_by       uuid REFERENCES core.persons(id),
  remote_created_at timestamptz,
  remote_updated_at timestamptz,
  trashed_at        timestamptz,
  raw               jsonb NOT NULL,
  hash              text NOT NULL,
  deleted_at        timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (connection_id, external_id)
);
CREATE INDEX files_live_idx ON core.files (connection_id) WHERE deleted_at IS NULL AND NOT is_folder;
CREATE INDEX files_updated_idx ON core.files (updated_at);

CREATE TABLE core.file_revisions (
  id                uuid PRIMARY KEY,
  connection_id     text NOT NULL REFERENCES ops.connections(id),
  external_id       text NOT NULL,
  file_id           uuid NOT NULL REFERENCES core.files(id),
  name              text NOT NULL,
  mime_type         text,
  size_bytes        bigint,
  checksum          text,
  author_id         uuid REFERENCES core.persons(id),
  author_name       text,
  keep_forever      boolean NOT NULL DEFAULT false,
  remote_created_at timestamptz NOT NULL,
  raw               jsonb NOT NULL,
  hash              text NOT NULL,
  deleted_at        timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX file_revisions_file_idx ON core.file_revisions (file_id, remote_created_at);
CREATE INDEX file_revisions_updated_idx ON core.file_revisions (updated_at);

CREATE TABLE core.file_comments (
  id                 uuid PRIMARY KEY,
  connection_id      text NOT NULL REFERENCES ops.connections(id),
  external_id        text NOT NULL,
  file_id            uuid NOT NULL REFERENCES core.files(id),
  thread_external_id text,
  author_name        text,
  author_id          uuid REFERENCES core.persons(id),
  body               text NOT NULL,
  action             text CHECK (action IN ('resolve', 'reopen')),
  resolved           boolean,
  quoted             text,
  remote_created_at  timestamptz NOT NULL,
  remote_updated_at  timestamptz,
  raw                jsonb NOT NULL,
  hash               text NOT NULL,
  deleted_at         timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX file_comments_file_idx ON core.file_comments (file_id);
CREATE INDEX file_comments_updated_idx ON core.file_comments (updated_at);

-- Drive files an asset's record links to (URLs in notes and fields), and the Drive file a version is
-- or points to (an attachment hosted on Drive): the explicit side of linking.
ALTER TABLE core.assets ADD COLUMN file_refs jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE core.versions ADD COLUMN file_ref text;
-- A Drive reply's action on its thread, kept on the asset's comment too.
ALTER TABLE core.comments ADD COLUMN action text CHECK (action IN ('resolve', 'reopen'));
CREATE INDEX assets_updated_idx ON core.assets (updated_at);
CREATE INDEX versions_updated_idx ON core.versions (updated_at);

-- Every live file's link state after the last linking pass: what `stageline status` and the demo show.
CREATE TABLE ops.file_links (
  connection_id text NOT NULL REFERENCES ops.connections(id),
  external_id   text NOT NULL,
  file_id       uuid NOT NULL,
  name          text NOT NULL,
  state         text NOT NULL CHECK (state IN ('linked', 'orphan', 'misnamed', 'conflict')),
  asset_id      uuid REFERENCES core.assets(id),
  via           text CHECK (via IN ('explicit', 'name')),
  -- why (orphan reason, misnamed reason, conflict claimants), the suggested name, the keys it is close to
  reason        text,
  suggestion    text,
  detail        jsonb NOT NULL DEFAULT '{}'::jsonb,
  since         timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, external_id)
);
CREATE INDEX file_links_state_idx ON ops.file_links (connection_id, state);

-- The folder tree of a file-store connection: the ancestor map that decides whether a change from the
-- drive-wide change feed is inside the configured folders.
CREATE TABLE ops.folders (
  connection_id text NOT NULL REFERENCES ops.connections(id),
  folder_id     text NOT NULL,
  parent_id     text,
  name          text NOT NULL,
  drive_id      text,
  deleted_at    timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, folder_id)
);

-- Small named state shared by all connections (e.g. what the last linking pass saw, to skip a pass
-- when nothing it reads has changed).
CREATE TABLE ops.state (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE ops.state, ops.folders, ops.file_links;
ALTER TABLE core.comments DROP COLUMN action;
ALTER TABLE core.versions DROP COLUMN file_ref;
ALTER TABLE core.assets DROP COLUMN file_refs;
DROP INDEX core.assets_updated_idx, core.versions_updated_idx;
DROP TABLE core.file_comments, core.file_revisions, core.files;
