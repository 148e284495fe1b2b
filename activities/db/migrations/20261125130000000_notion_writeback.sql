-- Up Migration
-- Notion pages get metrics written back too (three number properties of the page's data source, in
-- the page's one PATCH /v1/pages/{id}): what Stageline last wrote into a page is recorded like a
-- monday item's (activities/metrics.ts).

ALTER TABLE ops.metric_writes DROP CONSTRAINT metric_writes_target_kind_check;
ALTER TABLE ops.metric_writes ADD CONSTRAINT metric_writes_target_kind_check CHECK (target_kind IN ('asana_task', 'drive_file', 'monday_item', 'notion_page'));

-- Down Migration
DELETE FROM ops.metric_writes WHERE target_kind = 'notion_page';
ALTER TABLE ops.metric_writes DROP CONSTRAINT metric_writes_target_kind_check;
ALTER TABLE ops.metric_writes ADD CONSTRAINT metric_writes_target_kind_check CHECK (target_kind IN ('asana_task', 'drive_file', 'monday_item'));
