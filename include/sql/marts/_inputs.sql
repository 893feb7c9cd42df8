-- What the marts are built from, as fingerprints (dgsa.marts.changes compares them with the
-- build the published marts come from). Read from the ledger, never by hashing the core:
--   '*ref'   the reference data the marts read (rounds and their order, provinces, targets,
--            skill mappings, groups): a change here rebuilds every round;
--   <round>  the round's inputs: every file version in force for it (audit.version_in_force, with
--            the rows it loaded for the round: new, replaced and withdrawn versions all change the
--            set) and its current roster file (core.current_roster's choice: newest received).
-- A file version's rows never change once it is loaded (one transaction per file), so the set
-- of versions says what the round's rows are. Run in the build's snapshot. No parameters.
WITH in_force AS (
    SELECT round_code, 'v' || file_id || ':' || rows_loaded AS part
    FROM audit.version_in_force
), roster AS (
    SELECT DISTINCT ON (round_code) round_code, 'r' || file_id AS part
    FROM audit.source_file
    WHERE kind = 'roster' AND status IN ('loaded', 'partially_loaded')
    ORDER BY round_code, received_at DESC, file_id DESC
), parts AS (
    SELECT * FROM in_force UNION ALL SELECT * FROM roster
)
SELECT round_code AS what, md5(string_agg(part, ',' ORDER BY part)) AS fingerprint
FROM parts
WHERE round_code IS NOT NULL
GROUP BY round_code
UNION ALL
SELECT '*ref', md5(concat_ws('|',
    (SELECT string_agg(concat_ws(',', round_code, to_char(opens_on, 'YYYY-MM-DD'), extract(epoch FROM deadline_at),
                                 to_char(window_from, 'YYYY-MM-DD'), to_char(window_to, 'YYYY-MM-DD'), target_level,
                                 goal_year, framework_version), ';' ORDER BY round_code) FROM ref.round),
    (SELECT string_agg(t::text, ';' ORDER BY t::text) FROM ref.province t),
    (SELECT string_agg(t::text, ';' ORDER BY t::text) FROM ref.target_group t),
    (SELECT string_agg(t::text, ';' ORDER BY t::text) FROM ref.target t),
    (SELECT string_agg(t::text, ';' ORDER BY t::text) FROM ref.skill_map t)));
