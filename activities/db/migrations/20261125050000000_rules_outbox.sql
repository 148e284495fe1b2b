-- Up Migration
-- Standards enforcement: the rules as they were at each change, the violations they found (with their
-- lifecycle and evidence), and the outbox of writes back into the tools.

-- Every distinct rules configuration, with what changed from the previous one: who, what, when.
CREATE TABLE ops.rule_versions (
  id          bigserial PRIMARY KEY,
  config_hash text NOT NULL UNIQUE,
  rules       jsonb NOT NULL,
  changes     jsonb NOT NULL DEFAULT '{}'::jsonb,
  changed_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per (rule, asset, subject): opened, still open (last_seen_at), resolved; reopened as needed.
CREATE TABLE ops.violations (
  id            uuid PRIMARY KEY,
  rule_id       text NOT NULL,
  kind          text NOT NULL,
  asset_id      uuid NOT NULL REFERENCES core.assets(id),
  connection_id text NOT NULL REFERENCES ops.connections(id),
  subject       text NOT NULL,
  state         text NOT NULL CHECK (state IN ('open', 'resolved')),
  mode          text NOT NULL CHECK (mode IN ('preview', 'enforce')),
  message       text NOT NULL,
  fix           text,
  evidence      jsonb NOT NULL DEFAULT '{}'::jsonb,
  revert_to     text,
  sla           jsonb,
  opened_at     timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  resolved_at   timestamptz,
  resolution    text,
  times_opened  integer NOT NULL DEFAULT 1,
  rule_version  bigint REFERENCES ops.rule_versions(id),
  -- the last write-back problem for this violation (a 403, a deleted task), never lost silently
  write_error   text,
  write_error_at timestamptz,
  UNIQUE (rule_id, asset_id, subject)
);
CREATE INDEX violations_open_idx ON ops.violations (connection_id, state);
CREATE INDEX violations_asset_idx ON ops.violations (asset_id);

-- Intended writes, each once: the idempotency key is (connection, target, operation, content).
CREATE TABLE ops.outbox (
  id                 bigserial PRIMARY KEY,
  connection_id      text NOT NULL REFERENCES ops.connections(id),
  idempotency_key    text NOT NULL UNIQUE,
  target_kind        text NOT NULL,
  target_external_id text NOT NULL,
  op                 text NOT NULL CHECK (op IN ('set_field', 'set_stage', 'comment', 'set_app_properties')),
  payload            jsonb NOT NULL,
  asset_id           uuid,
  violation_id       uuid REFERENCES ops.violations(id),
  state              text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'skipped', 'dropped')),
  attempts           integer NOT NULL DEFAULT 0,
  last_error         text,
  result             jsonb,
  created_at         timestamptz NOT NULL DEFAULT now(),
  done_at            timestamptz
);
CREATE INDEX outbox_pending_idx ON ops.outbox (connection_id, id) WHERE state = 'pending';

-- Down Migration
DROP TABLE ops.outbox, ops.violations, ops.rule_versions;
