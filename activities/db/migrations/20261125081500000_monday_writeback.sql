-- Up Migration
-- monday.com items get metrics written back too (three numbers columns per board, in the item's one
-- change_multiple_column_values): what Stageline last wrote into an item is recorded like an Asana
-- task's (activities/metrics.ts).

ALTER TABLE ops.metric_writes DROP CONSTRAINT metric_writes_target_kind_check;
ALTER TABLE ops.metric_writes ADD CONSTRAINT metric_writes_target_kind_check CHECK (target_kind IN ('asana_task', 'drive_file', 'monday_item'));

-- Down Migration
DELETE FROM ops.metric_writes WHERE target_kind = 'monday_item';
ALTER TABLE ops.metric_writes DROP CONSTRAINT metric_writes_target_kind_check;
ALTER TABLE ops.metric_writes ADD CONSTRAINT metric_writes_target_kind_check CHECK (target_kind IN ('asana_task', 'drive_file'));
