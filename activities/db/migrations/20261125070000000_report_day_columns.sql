-- Up Migration
-- The leadership report (warehouse/report.ts) filters by arbitrary local dates, not only whole weeks:
-- each metric view gains the local date its week_start is taken from (columns appended, so existing
-- readers and column comments are untouched), and throughput gets a daily view beside the weekly one.

CREATE OR REPLACE VIEW warehouse.v_cycle_time AS
SELECT date_trunc('week', d.first_delivered_on)::date AS week_start,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       d.first_pipeline_stage, d.pipeline_entered_at, d.first_delivered_at,
       CASE WHEN d.pipeline_entered_at < d.first_delivered_at
            THEN extract(epoch FROM d.first_delivered_at) - extract(epoch FROM d.pipeline_entered_at) END AS cycle_time_seconds,
       CASE WHEN d.pipeline_entered_at < d.first_delivered_at
            THEN round((extract(epoch FROM d.first_delivered_at) - extract(epoch FROM d.pipeline_entered_at)) / 86400, 3) END AS cycle_time_days,
       d.first_delivered_on AS delivered_on
  FROM warehouse.dim_asset d
  JOIN warehouse.v_asset a ON a.asset_id = d.asset_id
 WHERE d.first_delivered_at IS NOT NULL;
COMMENT ON COLUMN warehouse.v_cycle_time.delivered_on IS 'Local date of the first delivery (the day week_start is taken from).';

CREATE OR REPLACE VIEW warehouse.v_time_in_stage AS
SELECT date_trunc('week', CASE WHEN i.is_open THEN r.as_of_on ELSE i.left_on END)::date AS week_start,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       i.stage, i.stage_position, i.in_pipeline, i.entry_no, i.entered_at, i.left_at, i.is_open,
       i.is_open AND NOT coalesce(s.is_closed, false) AS is_wip,
       CASE WHEN i.is_open THEN greatest(0, extract(epoch FROM r.as_of) - extract(epoch FROM i.entered_at)) ELSE i.duration_seconds END AS seconds,
       round(CASE WHEN i.is_open THEN greatest(0, extract(epoch FROM r.as_of) - extract(epoch FROM i.entered_at)) ELSE i.duration_seconds END / 86400, 3) AS days,
       i.entered_on, i.left_on
  FROM warehouse.fact_stage_interval i
  JOIN warehouse.v_asset a ON a.asset_id = i.asset_id
  CROSS JOIN warehouse.refresh_info r
  LEFT JOIN warehouse.dim_stage s ON s.stage = i.stage;
COMMENT ON COLUMN warehouse.v_time_in_stage.entered_on IS 'Local date the stay began.';
COMMENT ON COLUMN warehouse.v_time_in_stage.left_on IS 'Local date the stay ended; null while open.';

CREATE OR REPLACE VIEW warehouse.v_revision_rounds AS
SELECT date_trunc('week', d.first_delivered_on)::date AS week_start,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       d.revision_rounds, d.rounds_before_first_delivery, d.first_delivered_at IS NOT NULL AS is_delivered, d.reopened,
       d.first_delivered_on AS delivered_on
  FROM warehouse.dim_asset d
  JOIN warehouse.v_asset a ON a.asset_id = d.asset_id
 WHERE d.pipeline_entered_at IS NOT NULL;
COMMENT ON COLUMN warehouse.v_revision_rounds.delivered_on IS 'Local date of the first delivery; null while undelivered.';

CREATE OR REPLACE VIEW warehouse.v_first_pass_approval AS
SELECT date_trunc('week', d.first_decision_on)::date AS week_start,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       d.first_reviewed_version, d.first_decision, d.first_decision_at, d.first_pass,
       d.first_decision_on
  FROM warehouse.dim_asset d
  JOIN warehouse.v_asset a ON a.asset_id = d.asset_id
 WHERE d.first_decision_at IS NOT NULL;
COMMENT ON COLUMN warehouse.v_first_pass_approval.first_decision_on IS 'Local date of the first decision.';

CREATE OR REPLACE VIEW warehouse.v_approval_latency AS
SELECT date_trunc('week', f.decided_on)::date AS week_start,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       f.version_id, f.version_number, f.on_latest_version, f.review_stage, f.review_started_at, f.decided_at, f.decision, f.role, f.reviewer_id,
       extract(epoch FROM f.decided_at) - extract(epoch FROM f.review_started_at) AS latency_seconds,
       round((extract(epoch FROM f.decided_at) - extract(epoch FROM f.review_started_at)) / 3600, 3) AS latency_hours,
       f.decided_on
  FROM warehouse.fact_decision f
  JOIN warehouse.v_asset a ON a.asset_id = f.asset_id
 WHERE f.seq_on_version = 1;
COMMENT ON COLUMN warehouse.v_approval_latency.decided_on IS 'Local date of the decision.';

CREATE OR REPLACE VIEW warehouse.v_violations_by_rule AS
SELECT date_trunc('week', v.opened_on)::date AS week_start,
       a.asset_id, a.asset_name, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       v.violation_id, v.rule_id, v.kind, v.subject, v.mode, v.state, v.state = 'open' AS is_open, v.opened_at, v.resolved_at, v.times_opened,
       v.opened_on, v.resolved_on
  FROM warehouse.fact_violation v
  JOIN warehouse.v_asset a ON a.asset_id = v.asset_id;
COMMENT ON COLUMN warehouse.v_violations_by_rule.opened_on IS 'Local date the violation (its latest open period) was found.';
COMMENT ON COLUMN warehouse.v_violations_by_rule.resolved_on IS 'Local date it was resolved; null while open.';

-- Throughput per local day: the weekly view's rows, one day at a time, for periods that are not whole weeks.
CREATE VIEW warehouse.v_throughput_daily AS
SELECT i.entered_on AS delivered_on, date_trunc('week', i.entered_on)::date AS week_start,
       a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id,
       count(*) FILTER (WHERE i.entry_no = 1)::integer AS assets_delivered,
       count(*) FILTER (WHERE i.entry_no > 1)::integer AS redeliveries
  FROM warehouse.fact_stage_interval i
  JOIN warehouse.dim_stage s ON s.stage = i.stage AND s.is_final
  JOIN warehouse.v_asset a ON a.asset_id = i.asset_id
 GROUP BY 1, a.client, a.campaign, a.project_id, a.project_name, a.owner_team, a.owner_id, a.owner_name, a.asset_type, a.source_vendor, a.connection_id;
COMMENT ON VIEW warehouse.v_throughput_daily IS 'Throughput per local day (same counting as v_throughput_weekly, whose weekly sums it gives). Grain: local day × slice.';
COMMENT ON COLUMN warehouse.v_throughput_daily.delivered_on IS 'Local date of the deliveries.';
COMMENT ON COLUMN warehouse.v_throughput_daily.week_start IS 'Monday of its local week.';
COMMENT ON COLUMN warehouse.v_throughput_daily.client IS 'Client.';
COMMENT ON COLUMN warehouse.v_throughput_daily.campaign IS 'Campaign.';
COMMENT ON COLUMN warehouse.v_throughput_daily.project_id IS 'Project id.';
COMMENT ON COLUMN warehouse.v_throughput_daily.project_name IS 'Project name.';
COMMENT ON COLUMN warehouse.v_throughput_daily.owner_team IS 'Owner''s team.';
COMMENT ON COLUMN warehouse.v_throughput_daily.owner_id IS 'Owner person id.';
COMMENT ON COLUMN warehouse.v_throughput_daily.owner_name IS 'Owner name.';
COMMENT ON COLUMN warehouse.v_throughput_daily.asset_type IS 'Asset type.';
COMMENT ON COLUMN warehouse.v_throughput_daily.source_vendor IS 'Source tool.';
COMMENT ON COLUMN warehouse.v_throughput_daily.connection_id IS 'Source connection.';
COMMENT ON COLUMN warehouse.v_throughput_daily.assets_delivered IS 'Assets whose first delivery fell on the day: the throughput.';
COMMENT ON COLUMN warehouse.v_throughput_daily.redeliveries IS 'Second and later deliveries (after a reopen) on the day; not throughput.';

-- Down Migration
DROP VIEW warehouse.v_throughput_daily;
