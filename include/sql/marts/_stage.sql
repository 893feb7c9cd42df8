-- Staged once per build, before the marts (temporary tables, dropped with the build's
-- transaction): the round's current list and every person's current assessment. Every mart
-- reads these instead of re-deriving core.current_roster / core.current_assessment (each a
-- sort of all assessment rows) four times over. Kept narrow: only the columns marts use (the
-- names of people not on the list are read back by primary key in compliance_person).
-- marts.build sets work_mem and temp_buffers so that these stay in memory.
-- Only the rounds of stage_round (_rounds.sql: every round in a full build; in a partial one the
-- rounds recomputed, their successors and their predecessors).

-- current assessment per round and person, among the rows of file versions in force for that round
-- (audit.version_in_force): newest received wins; ties go to the later file,
-- then the later row (the rule of core.current_assessment). Most people have one live row:
-- those are taken as they are (hashing, no sort); only people with several (resubmissions)
-- are sorted.
CREATE TEMP TABLE stage_repeated ON COMMIT DROP AS
SELECT a.round_code, a.citizen_id
FROM core.assessment a
JOIN audit.version_in_force v ON v.file_id = a.file_id AND v.round_code = a.round_code
WHERE v.round_code IN (SELECT round_code FROM stage_round)
GROUP BY a.round_code, a.citizen_id
HAVING count(*) > 1;
ANALYZE stage_repeated;

CREATE TEMP TABLE stage_assessment ON COMMIT DROP AS
SELECT a.round_code, a.citizen_id, a.declared_group, a.declared_target_level, a.signed, a.received_at, a.file_id,
       a.source_row, a.skills, a.framework_version
FROM core.assessment a
JOIN audit.version_in_force v ON v.file_id = a.file_id AND v.round_code = a.round_code
WHERE v.round_code IN (SELECT round_code FROM stage_round)
  AND NOT EXISTS (SELECT 1 FROM stage_repeated r WHERE r.round_code = a.round_code AND r.citizen_id = a.citizen_id)
UNION ALL
(SELECT DISTINCT ON (a.round_code, a.citizen_id)
        a.round_code, a.citizen_id, a.declared_group, a.declared_target_level, a.signed, a.received_at, a.file_id,
        a.source_row, a.skills, a.framework_version
 FROM stage_repeated r
 JOIN core.assessment a ON a.round_code = r.round_code AND a.citizen_id = r.citizen_id
 JOIN audit.version_in_force v ON v.file_id = a.file_id AND v.round_code = a.round_code
 ORDER BY a.round_code, a.citizen_id, a.received_at DESC, a.file_id DESC, a.source_row DESC);

-- a row read under another framework version than its round's (a file on last year's form) is
-- judged in the round's version: its skills are translated through ref.skill_map (the round's
-- version maps from the row's); a skill with no mapping is left out (blank). Usually no row.
UPDATE stage_assessment a
SET skills = coalesce((SELECT jsonb_object_agg(m.skill_code, a.skills -> m.from_code)
                       FROM ref.skill_map m
                       WHERE m.framework_version = rd.framework_version AND m.from_version = a.framework_version
                         AND a.skills ? m.from_code), '{}'::jsonb),
    framework_version = rd.framework_version
FROM ref.round rd
WHERE rd.round_code = a.round_code AND rd.framework_version <> a.framework_version;

ANALYZE stage_assessment;

-- everyone on the round's current list, with their current assessment if any, and everyone
-- assessed who is not on the list (listed = false): one hash full join for every mart
CREATE TEMP TABLE stage_people ON COMMIT DROP AS
SELECT coalesce(ro.round_code, a.round_code) AS round_code, coalesce(ro.citizen_id, a.citizen_id) AS citizen_id,
       ro.citizen_id IS NOT NULL AS listed, a.citizen_id IS NOT NULL AS assessed,
       ro.province_code, ro.person_key, ro.title, ro.first_name, ro.last_name, ro.unit, ro.position,
       ro.assigned_group, a.declared_group, a.declared_target_level, a.signed, a.received_at, a.file_id,
       a.source_row, a.skills
FROM (SELECT * FROM core.current_roster WHERE round_code IN (SELECT round_code FROM stage_round)) ro
FULL JOIN stage_assessment a ON a.round_code = ro.round_code AND a.citizen_id = ro.citizen_id;
ANALYZE stage_people;

-- people on the list per round, province and assigned group, and how many have a current
-- assessment (training_needs, target_progress, the rounds of compliance_by_province)
CREATE TEMP TABLE stage_groups ON COMMIT DROP AS
SELECT round_code, province_code, assigned_group, count(*) AS listed, count(*) FILTER (WHERE assessed) AS assessed
FROM stage_people
WHERE listed
GROUP BY round_code, province_code, assigned_group;
ANALYZE stage_groups;
