-- Up Migration
-- Metrics written back into the tools (revision round, days in stage, cycle time): a new outbox
-- operation, what Stageline last wrote into each target, and an index to find a target's pending
-- writes so that the drain sends one call per record.

ALTER TABLE ops.outbox DROP CONSTRAINT outbox_op_check;
ALTER TABLE ops.outbox ADD CONSTRAINT outbox_op_check CHECK (op IN ('set_field', 'set_stage', 'comment', 'set_app_properties', 'set_metrics'));

-- The pending writes of one record (an Asana task, a Drive file): merged into one call when drained.
CREATE INDEX outbox_pending_target_idx ON ops.outbox (connection_id, target_kind, target_external_id) WHERE state = 'pending';

-- One row per record Stageline wrote metrics into: the values as the tool holds them after the write
-- (numbers for Asana fields, strings for Drive appProperties), and the record's content hash as last
-- pulled when they were written. While that hash is still the stored one, the record has not been
-- pulled since, and these values (not the stale pulled ones) are what the tool holds.
CREATE TABLE ops.metric_writes (
  connection_id      text NOT NULL REFERENCES ops.connections(id),
  target_kind        text NOT NULL CHECK (target_kind IN ('asana_task', 'drive_file')),
  target_external_id text NOT NULL,
  asset_id           uuid,
  written            jsonb NOT NULL,
  observed_hash      text,
  -- how many writes have been recorded for the record: part of the next write's idempotency key
  seq                integer NOT NULL DEFAULT 1,
  written_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, target_kind, target_external_id)
);

-- Down Migration
DROP TABLE ops.metric_writes;
DROP INDEX ops.outbox_pending_target_idx;
DELETE FROM ops.outbox WHERE op = 'set_metrics';
ALTER TABLE ops.outbox DROP CONSTRAINT outbox_op_check;
ALTER TABLE ops.outbox ADD CONSTRAINT outbox_op_check CHECK (op IN ('set_field', 'set_stage', 'comment', 'set_app_properties'));
