-- marts.training_needs: per round x province x assigned group x required skill: how many
-- listed people have a current assessment, how many are below target, and their mean gap.
-- Reads the build's staged tables (_stage.sql).
CREATE TABLE mart_build.training_needs AS
WITH nominees AS (
    SELECT round, province_code, target_group, skill_code, count(*) AS below, avg(gap) AS mean_gap
    FROM mart_build.training_nominee
    WHERE round IN (SELECT round_code FROM mart_round)
    GROUP BY 1, 2, 3, 4
)   -- every group on the list in a province, even when nobody has been assessed yet
SELECT g.round_code                                                     AS round,
       g.province_code,
       g.assigned_group                                                 AS target_group,
       t.skill_code,
       g.assessed                                                       AS people_assessed,
       coalesce(n.below, 0)                                             AS people_below_target,
       coalesce(round(n.mean_gap, 3), 0)                                AS avg_gap
FROM stage_groups g
JOIN ref.round rd USING (round_code)
JOIN ref.target t ON t.framework_version = rd.framework_version AND t.group_code = g.assigned_group
LEFT JOIN nominees n
       ON n.round = g.round_code AND n.province_code = g.province_code
      AND n.target_group = g.assigned_group AND n.skill_code = t.skill_code
WHERE g.round_code IN (SELECT round_code FROM mart_round);

-- @keys: a partial build copies the published rows of the other rounds in here (dgsa.marts.build),
-- then the keys and indexes are built once over all rows
ALTER TABLE mart_build.training_needs ADD PRIMARY KEY (round, province_code, target_group, skill_code);

COMMENT ON TABLE mart_build.training_needs IS
    'Training needs (ความต้องการการพัฒนาทักษะดิจิทัล) per round, province, assigned target group and required skill.';
COMMENT ON COLUMN mart_build.training_needs.round IS 'Round (รอบ), B.E. year.';
COMMENT ON COLUMN mart_build.training_needs.province_code IS 'Province on the list (รหัสจังหวัด).';
COMMENT ON COLUMN mart_build.training_needs.target_group IS 'The ASSIGNED target group (กลุ่มเป้าหมายตามบัญชี).';
COMMENT ON COLUMN mart_build.training_needs.skill_code IS 'A skill that group requires (ref.target).';
COMMENT ON COLUMN mart_build.training_needs.people_assessed IS 'People on the list in this province and group with a current assessment, whatever their compliance status.';
COMMENT ON COLUMN mart_build.training_needs.people_below_target IS 'Of those, people whose level in this skill is below the round''s target level (blank counts as below): the seats needed.';
COMMENT ON COLUMN mart_build.training_needs.avg_gap IS 'Mean gap (levels short of target) of the people below target; 0 when there are none.';
