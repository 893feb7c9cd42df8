-- Current truth, derived (views, so history is never rewritten). Re-created by migrations.

-- The round's list: the newest loaded roster file for the round replaces earlier ones.
CREATE OR REPLACE VIEW core.current_roster AS
WITH newest AS (
    SELECT DISTINCT ON (round_code) round_code, file_id
    FROM audit.source_file
    WHERE kind = 'roster' AND status IN ('loaded', 'partially_loaded')
    ORDER BY round_code, received_at DESC, file_id DESC
)
SELECT r.*
FROM core.roster_entry r
JOIN newest n USING (round_code, file_id);

-- Every assessment row still in force (its file version is loaded and not superseded).
CREATE OR REPLACE VIEW core.live_assessment AS
SELECT a.*
FROM core.assessment a
JOIN audit.source_file f USING (file_id)
WHERE f.status IN ('loaded', 'partially_loaded');

-- The current assessment per person per round: newest received wins;
-- ties go to the later file, then the later row.
CREATE OR REPLACE VIEW core.current_assessment AS
SELECT DISTINCT ON (round_code, citizen_id) *
FROM core.live_assessment
ORDER BY round_code, citizen_id, received_at DESC, file_id DESC, source_row DESC;
