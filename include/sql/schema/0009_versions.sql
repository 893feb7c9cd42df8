-- Versions that come back, files removed from the drive, failures that pass (issue 21, issue 18's
-- ledger side). Idempotent: prepare runs the migrations on every run.
--
-- 1. A path may return to the bytes of an earlier version (A, then B, then A again): that is a
--    new version, received again, with its own ledger row. Only a match with the path's LATEST
--    version is "the same file, touched". So (rel_path, sha256) is no longer unique.
DROP INDEX IF EXISTS audit.source_file_version;
CREATE INDEX IF NOT EXISTS source_file_path_sha ON audit.source_file (rel_path, sha256);

-- 2. A file removed from the drive stays in force; the ledger says since which scan it is missing
--    (cleared when it comes back). Withdrawing a version is an explicit, audited command
--    (python -m dgsa.ingest.withdraw): status 'withdrawn', one row in audit.withdrawal.
ALTER TABLE audit.source_file ADD COLUMN IF NOT EXISTS missing_since timestamptz;
COMMENT ON COLUMN audit.source_file.missing_since IS
    'The scan that first missed this path on the drive (ไม่พบไฟล์บนไดรฟ์ตั้งแต่); null while it is there. A missing version stays in force.';

-- 3. A newer version replaces an older one only for the rounds it holds rows of: an older version
--    still in force for other rounds says for which rounds it was replaced, and by which version.
ALTER TABLE audit.source_file ADD COLUMN IF NOT EXISTS replaced_rounds jsonb;
COMMENT ON COLUMN audit.source_file.replaced_rounds IS
    'Rounds for which a later version of the same path replaced this one: {"2564": file_id, ...} (แทนที่เฉพาะรอบ). Null when none.';

DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint
             WHERE conrelid = 'audit.source_file'::regclass AND contype = 'c'
               AND strpos(pg_get_constraintdef(oid), '''superseded''') > 0
               AND strpos(pg_get_constraintdef(oid), '''withdrawn''') = 0
    LOOP
        EXECUTE 'ALTER TABLE audit.source_file DROP CONSTRAINT ' || quote_ident(c.conname);
        ALTER TABLE audit.source_file ADD CONSTRAINT source_file_status_check
            CHECK (status IN ('loaded', 'partially_loaded', 'rejected', 'ignored', 'duplicate', 'superseded',
                              'pending', 'new', 'withdrawn'));
    END LOOP;
END $$;

CREATE TABLE IF NOT EXISTS audit.withdrawal (
    withdrawal_id   bigserial   PRIMARY KEY,
    file_id         bigint      NOT NULL REFERENCES audit.source_file,
    rel_path        text        NOT NULL,
    previous_status text        NOT NULL,
    reason          text        NOT NULL CHECK (btrim(reason) <> ''),
    withdrawn_by    text        NOT NULL CHECK (btrim(withdrawn_by) <> ''),
    withdrawn_at    timestamptz NOT NULL DEFAULT now(),
    db_user         text        NOT NULL DEFAULT current_user
);
COMMENT ON TABLE audit.withdrawal IS
    'File versions taken out of force by an engineer (การถอนไฟล์): who, when, why. Never a side effect of a deletion.';

-- A later version of the same path that holds rows of a round replaces the older one for that
-- round, whatever has happened to the later one since (superseded in turn, or withdrawn: a
-- withdrawal takes a version out of force, it does not bring back what it had replaced).
CREATE OR REPLACE VIEW audit.version_in_force AS
SELECT fr.file_id, f.rel_path, f.kind, f.province_code, fr.round_code, fr.rows_loaded
FROM audit.file_round fr
JOIN audit.source_file f USING (file_id)
WHERE f.status IN ('loaded', 'partially_loaded')
  AND NOT EXISTS (
      SELECT 1
      FROM audit.source_file g
      JOIN audit.file_round gr ON gr.file_id = g.file_id AND gr.round_code = fr.round_code
      WHERE g.rel_path = f.rel_path AND g.file_id > f.file_id);
COMMENT ON VIEW audit.version_in_force IS 'File versions in force per round (ไฟล์ที่มีผลในแต่ละรอบ): loaded, and no later version of the same path holds rows of that round.';

GRANT SELECT ON audit.withdrawal, audit.version_in_force TO dgsa_analyst;
GRANT ALL ON audit.withdrawal TO dgsa_loader;
GRANT ALL ON ALL SEQUENCES IN SCHEMA audit TO dgsa_loader;
