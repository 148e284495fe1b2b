-- Up Migration
-- Raw vendor payloads are compressed with lz4 instead of pglz where the server supports it (PostgreSQL
-- 14+ built with lz4, as the official images are): a task's payload is larger than the 2 kB at which
-- a row is compressed, and pglz spends more time compressing each one than the rest of its insert.
-- Storage only; what is stored and read back is the same. Values already stored keep their compression.
DO $$
BEGIN
  IF 'lz4' = ANY (coalesce((SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'), '{}')) THEN
    ALTER TABLE core.projects ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE core.assets ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE core.versions ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE core.comments ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE core.decisions ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE core.stage_transitions ALTER COLUMN raw SET COMPRESSION lz4;
  END IF;
END $$;

-- Down Migration
DO $$
BEGIN
  IF 'lz4' = ANY (coalesce((SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'), '{}')) THEN
    ALTER TABLE core.projects ALTER COLUMN raw SET COMPRESSION DEFAULT;
    ALTER TABLE core.assets ALTER COLUMN raw SET COMPRESSION DEFAULT;
    ALTER TABLE core.versions ALTER COLUMN raw SET COMPRESSION DEFAULT;
    ALTER TABLE core.comments ALTER COLUMN raw SET COMPRESSION DEFAULT;
    ALTER TABLE core.decisions ALTER COLUMN raw SET COMPRESSION DEFAULT;
    ALTER TABLE core.stage_transitions ALTER COLUMN raw SET COMPRESSION DEFAULT;
  END IF;
END $$;
