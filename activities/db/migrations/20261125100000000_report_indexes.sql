-- Up Migration
-- Indexes for the leadership report (warehouse/report-data.ts), which reads each metric view for a
-- range of local dates (or one snapshot day) rather than the whole history: a quarter's report of a
-- 100,000-asset workspace otherwise scans every asset, stay and snapshot row (docs/BENCHMARKS-warehouse.md §7).
CREATE INDEX dim_asset_first_delivered_on_idx ON warehouse.dim_asset (first_delivered_on) WHERE first_delivered_on IS NOT NULL;
CREATE INDEX dim_asset_first_decision_on_idx ON warehouse.dim_asset (first_decision_on) WHERE first_decision_on IS NOT NULL;
CREATE INDEX fact_stage_interval_entered_on_idx ON warehouse.fact_stage_interval (entered_on);
CREATE INDEX fact_decision_decided_on_idx ON warehouse.fact_decision (decided_on);
-- One day's snapshot rows are spread over the whole table (it is written per asset): the day index
-- now carries what the snapshot views read, so a day is read from the index alone.
CREATE INDEX fact_asset_day_day_cover_idx ON warehouse.fact_asset_day (day) INCLUDE (asset_id, stage, open_violations, is_overdue);
DROP INDEX warehouse.fact_asset_day_day_idx;

-- Down Migration
CREATE INDEX fact_asset_day_day_idx ON warehouse.fact_asset_day (day);
DROP INDEX warehouse.fact_asset_day_day_cover_idx;
DROP INDEX warehouse.fact_decision_decided_on_idx;
DROP INDEX warehouse.fact_stage_interval_entered_on_idx;
DROP INDEX warehouse.dim_asset_first_decision_on_idx;
DROP INDEX warehouse.dim_asset_first_delivered_on_idx;
