-- Up Migration
-- Indexes for the incremental warehouse refresh (warehouse/refresh.ts), so its cost follows the change,
-- not the workspace (docs/BENCHMARKS-warehouse.md §4). The refresh finds the assets to recompute by
-- looking, in each core table, for the rows written since its watermark; without an index on the
-- column it compares, each look was a sequential scan of the whole table: 100,000 assets with six
-- months of history made that 370 ms of a 700 ms refresh after 200 changes. The same columns serve the
-- incremental enforcement round (activities/enforce.ts), which asks the same question. These three are
-- on times the database sets at write time, so a sync adds its entries at the right edge of the tree.
CREATE INDEX stage_transitions_created_idx ON core.stage_transitions (created_at);
CREATE INDEX comments_updated_idx ON core.comments (updated_at);
CREATE INDEX decisions_updated_idx ON core.decisions (updated_at);
-- The refresh compares the latest of a violation's three times with the watermark (less a slack):
-- the expression must stay identical to the one in refresh.ts for the planner to use this index.
CREATE INDEX violations_seen_idx ON ops.violations ((greatest(opened_at, last_seen_at, resolved_at)));
-- A person whose name or email changed (or a new one) recomputes the assets they own: found through
-- this index instead of a scan of every asset.
CREATE INDEX assets_owner_idx ON core.assets (owner_id);
-- The date spine starts at the earliest asset's year: min(created_on) read from this index's first
-- entry instead of a scan of every asset on every refresh.
CREATE INDEX dim_asset_created_on_idx ON warehouse.dim_asset (created_on);

-- Down Migration
DROP INDEX warehouse.dim_asset_created_on_idx;
DROP INDEX core.assets_owner_idx;
DROP INDEX ops.violations_seen_idx;
DROP INDEX core.decisions_updated_idx;
DROP INDEX core.comments_updated_idx;
DROP INDEX core.stage_transitions_created_idx;
