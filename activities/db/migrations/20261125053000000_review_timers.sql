-- Up Migration
-- Review deadlines on Temporal timers: one workflow per (asset, rule, stage entry) while the asset is
-- in a stage with a review SLA; the row says it was started, and is closed when the asset leaves.
CREATE TABLE ops.review_timers (
  workflow_id text PRIMARY KEY,
  asset_id    uuid NOT NULL REFERENCES core.assets(id),
  rule_id     text NOT NULL,
  stage       text NOT NULL,
  entered_at  timestamptz NOT NULL,
  remind_at   timestamptz NOT NULL,
  deadline_at timestamptz NOT NULL,
  state       text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'closed')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  closed_at   timestamptz
);
CREATE INDEX review_timers_running_idx ON ops.review_timers (asset_id) WHERE state = 'running';

-- Down Migration
DROP TABLE ops.review_timers;
