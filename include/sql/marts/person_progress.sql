-- marts.person_progress: for every round that has a previous configured round (ref.round in
-- window order: no fixed list of rounds), one row per person on that round's list: did the
-- person improve since the previous round? Current assessment of a round = the newest received
-- loaded row of that round (_stage.sql), whatever its compliance status. Compared skill by skill
-- over the skills the group ASSIGNED IN THE LATER ROUND requires (ref.target of the later round's
-- framework); a blank or missing skill is level 0. When the two rounds use different framework
-- versions, the previous level is read through the later version's mapping (ref.skill_map) and
-- only mapped skills are compared. The later round's list decides the province (transfers);
-- people who left (not on the later list) have no row. Reads the build's staged tables.
CREATE TABLE mart_build.person_progress AS
WITH ordered AS (
    SELECT round_code, framework_version, target_level,
           lag(round_code) OVER (ORDER BY window_from, round_code) AS previous_round
    FROM ref.round
), listed AS (       -- everyone on a later round's list, with the previous round's version
    SELECT o.round_code, o.previous_round, o.framework_version, o.target_level,
           pr.framework_version AS previous_framework,
           l.citizen_id, l.province_code, l.person_key, l.title, l.first_name, l.last_name, l.unit,
           l.assigned_group, l.assessed, l.skills
    FROM stage_people l
    JOIN ordered o USING (round_code)
    JOIN ref.round pr ON pr.round_code = o.previous_round
    WHERE l.listed AND l.round_code IN (SELECT round_code FROM progress_round)
), per_skill AS (    -- person x required skill: the level now and (through the mapping) before
    SELECT l.round_code, l.citizen_id, l.target_level, t.skill_code,
           b.citizen_id IS NOT NULL AS assessed_before,
           CASE WHEN t.skill_code IS NULL THEN NULL
                WHEN l.previous_framework = l.framework_version THEN t.skill_code
                ELSE m.from_code END                                    AS before_code,
           coalesce((l.skills ->> t.skill_code)::int, 0)                AS level_now,
           b.skills                                                     AS skills_before
    FROM listed l
    LEFT JOIN ref.target t ON t.framework_version = l.framework_version AND t.group_code = l.assigned_group
    LEFT JOIN ref.skill_map m ON m.framework_version = l.framework_version AND m.skill_code = t.skill_code
                              AND m.from_version = l.previous_framework
    LEFT JOIN stage_assessment b ON b.round_code = l.previous_round AND b.citizen_id = l.citizen_id
), per_person AS (
    SELECT round_code, citizen_id,
           bool_or(assessed_before)                                     AS assessed_before,
           count(skill_code)                                            AS skills_required,
           count(*) FILTER (WHERE level_now >= target_level)            AS met_now,
           count(*) FILTER (WHERE coalesce((skills_before ->> before_code)::int, 0) >= target_level
                              AND before_code IS NOT NULL)              AS met_before,
           count(before_code)                                           AS compared,
           count(*) FILTER (WHERE before_code IS NOT NULL
                              AND level_now > coalesce((skills_before ->> before_code)::int, 0)) AS rose,
           count(*) FILTER (WHERE before_code IS NOT NULL
                              AND level_now < coalesce((skills_before ->> before_code)::int, 0)) AS fell
    FROM per_skill
    GROUP BY round_code, citizen_id
)
SELECT l.round_code                                                     AS round,
       l.previous_round,
       l.province_code,
       l.person_key,
       'x-xxxx-xxxxx-' || substr(l.citizen_id, 11, 2) || '-' || substr(l.citizen_id, 13, 1) AS citizen_id_masked,
       concat_ws(' ', coalesce(l.title, '') || l.first_name, l.last_name) AS full_name,
       l.unit,
       l.assigned_group,
       prev.province_code                                               AS previous_province_code,
       prev.assigned_group                                              AS previous_assigned_group,
       p.skills_required::int                                           AS skills_required,
       CASE WHEN l.assessed THEN p.met_now::int END                     AS skills_met_now,
       CASE WHEN p.assessed_before THEN p.met_before::int END           AS skills_met_before,
       CASE WHEN l.assessed AND p.assessed_before THEN p.compared::int END AS skills_compared,
       CASE WHEN l.assessed AND p.assessed_before THEN p.rose::int END  AS skills_rose,
       CASE WHEN l.assessed AND p.assessed_before THEN p.fell::int END  AS skills_fell,
       CASE
           WHEN NOT l.assessed THEN 'NOT_ASSESSED'
           WHEN NOT p.assessed_before THEN 'FIRST_ASSESSMENT'
           WHEN p.rose > 0 AND p.fell > 0 THEN 'MIXED'
           WHEN p.rose > 0 THEN 'IMPROVED'
           WHEN p.fell > 0 THEN 'FELL_BACK'
           ELSE 'UNCHANGED'
       END                                                              AS change
FROM listed l
JOIN per_person p USING (round_code, citizen_id)
LEFT JOIN stage_people prev ON prev.round_code = l.previous_round AND prev.citizen_id = l.citizen_id AND prev.listed;

-- @keys: a partial build copies the published rows of the other rounds in here (dgsa.marts.build),
-- then the keys and indexes are built once over all rows
ALTER TABLE mart_build.person_progress ADD PRIMARY KEY (round, person_key);
CREATE INDEX ON mart_build.person_progress (round, province_code, change);

COMMENT ON TABLE mart_build.person_progress IS
    'Progress per person since the previous round (ความก้าวหน้ารายบุคคลเทียบรอบก่อน): one row per round that has a previous configured round and person on that round''s list. Compared over the skills the group assigned in this round requires; a blank skill is level 0; across framework versions only mapped skills are compared.';
COMMENT ON COLUMN mart_build.person_progress.round IS 'Round (รอบ), B.E. year: the later round.';
COMMENT ON COLUMN mart_build.person_progress.previous_round IS 'The previous configured round (rounds.yaml, by assessment window) it is compared with.';
COMMENT ON COLUMN mart_build.person_progress.province_code IS 'Province on THIS round''s list (รหัสจังหวัด): a transfer counts where the person is now.';
COMMENT ON COLUMN mart_build.person_progress.person_key IS 'Stable keyed hash of the citizen ID: joins a person across marts and rounds.';
COMMENT ON COLUMN mart_build.person_progress.citizen_id_masked IS 'Citizen ID (เลขประจำตัวประชาชน) with only the last 3 digits visible.';
COMMENT ON COLUMN mart_build.person_progress.full_name IS 'Title, first and last name as on this round''s list (ชื่อ-สกุล).';
COMMENT ON COLUMN mart_build.person_progress.unit IS 'Unit (สังกัด) on this round''s list.';
COMMENT ON COLUMN mart_build.person_progress.assigned_group IS 'Target group assigned in THIS round (กลุ่มเป้าหมายตามบัญชี): its required skills are the ones compared.';
COMMENT ON COLUMN mart_build.person_progress.previous_province_code IS 'Province on the previous round''s list; null when the person was not on it (joined).';
COMMENT ON COLUMN mart_build.person_progress.previous_assigned_group IS 'Target group assigned in the previous round; null when not on its list. Differs from assigned_group for people who changed group.';
COMMENT ON COLUMN mart_build.person_progress.skills_required IS 'How many skills the assigned group requires in this round''s framework.';
COMMENT ON COLUMN mart_build.person_progress.skills_met_now IS 'Of the required skills, how many are at or above this round''s target level in the current assessment of this round; null when not assessed in this round.';
COMMENT ON COLUMN mart_build.person_progress.skills_met_before IS 'Of the required skills, how many were at or above this round''s target level in the current assessment of the previous round (through the mapping across framework versions; unmapped skills are not met); null when not assessed then.';
COMMENT ON COLUMN mart_build.person_progress.skills_compared IS 'Required skills compared between the two rounds (all of them within one framework version, the mapped ones across versions); null unless assessed in both rounds.';
COMMENT ON COLUMN mart_build.person_progress.skills_rose IS 'Compared skills whose level rose (blank = 0); null unless assessed in both rounds.';
COMMENT ON COLUMN mart_build.person_progress.skills_fell IS 'Compared skills whose level fell (blank = 0); null unless assessed in both rounds.';
COMMENT ON COLUMN mart_build.person_progress.change IS 'IMPROVED (some rose, none fell), FELL_BACK (some fell, none rose), MIXED (some rose, some fell), UNCHANGED (none changed), FIRST_ASSESSMENT (assessed in this round, not in the previous), NOT_ASSESSED (no current assessment in this round).';
