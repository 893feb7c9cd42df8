-- Rounds per file version (issue 18): a province saves next year's file under last year's name,
-- and a newer version of a path must replace the older one only for the rounds the newer version
-- holds rows of. audit.file_round says which rounds each version holds (rows loaded per round,
-- written in the same transaction as the rows); audit.version_in_force derives, per round, which
-- versions are in force: loaded (or partially loaded), and no later loaded version of the same
-- path holds rows of that round. Nothing is stored twice: the ledger's status says what a version
-- is as a whole, this view says it round by round.
CREATE TABLE IF NOT EXISTS audit.file_round (
    file_id     bigint  NOT NULL REFERENCES audit.source_file,
    round_code  text    NOT NULL,
    rows_loaded integer NOT NULL,
    PRIMARY KEY (file_id, round_code)
);
COMMENT ON TABLE audit.file_round IS 'Rounds each file version holds rows of (รอบที่ไฟล์มีข้อมูล), with the rows loaded per round.';

INSERT INTO audit.file_round (file_id, round_code, rows_loaded)
SELECT file_id, round_code, count(*) FROM core.assessment WHERE round_code IS NOT NULL GROUP BY 1, 2
UNION ALL
SELECT file_id, round_code, count(*) FROM core.roster_entry WHERE round_code IS NOT NULL GROUP BY 1, 2
ON CONFLICT DO NOTHING;

CREATE OR REPLACE VIEW audit.version_in_force AS
SELECT fr.file_id, f.rel_path, f.kind, f.province_code, fr.round_code, fr.rows_loaded
FROM audit.file_round fr
JOIN audit.source_file f USING (file_id)
WHERE f.status IN ('loaded', 'partially_loaded')
  AND NOT EXISTS (
      SELECT 1
      FROM audit.source_file g
      JOIN audit.file_round gr ON gr.file_id = g.file_id AND gr.round_code = fr.round_code
      WHERE g.rel_path = f.rel_path AND g.file_id > f.file_id AND g.status IN ('loaded', 'partially_loaded'));
COMMENT ON VIEW audit.version_in_force IS 'File versions in force per round (ไฟล์ที่มีผลในแต่ละรอบ): loaded, and no later loaded version of the same path holds rows of that round.';

-- every assessment row whose file version is in force for the row's round
CREATE OR REPLACE VIEW core.live_assessment AS
SELECT a.*
FROM core.assessment a
JOIN audit.version_in_force v ON v.file_id = a.file_id AND v.round_code = a.round_code;

GRANT SELECT ON audit.file_round, audit.version_in_force TO dgsa_analyst;
GRANT ALL ON audit.file_round TO dgsa_loader;
