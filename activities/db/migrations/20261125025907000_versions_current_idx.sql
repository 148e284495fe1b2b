-- Up Migration
-- The version current at a moment, per asset: the newest live version created at or before it
-- (comments and decisions are attributed to it, store.ts attributeVersions). With this index that is
-- one index probe (… ORDER BY remote_created_at DESC, number DESC LIMIT 1) for each comment or
-- decision written, however many versions the asset has and whatever the planner's statistics say.
CREATE INDEX versions_current_idx ON core.versions (asset_id, remote_created_at DESC, number DESC) WHERE deleted_at IS NULL;

-- Down Migration
DROP INDEX core.versions_current_idx;
