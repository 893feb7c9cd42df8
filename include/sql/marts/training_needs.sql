-- marts.training_needs: per round x province x assigned group x required skill: how many
-- listed people have a current assessment, how many are below target, and their mean gap.
CREATE TABLE mart_build.training_needs AS
WITH assessed AS (
    SELECT ro.round_code, ro.province_code, ro.assigned_group, ro.person_key
    FROM core.current_roster ro
    JOIN core.current_assessment a ON a.round_code = ro.round_code AND a.citizen_id = ro.citizen_id
), cells AS (
    SELECT a.round_code, a.province_code, a.assigned_group, t.skill_code, count(*) AS people_assessed
    FROM assessed a
    JOIN ref.round rd USING (round_code)
    JOIN ref.target t ON t.framework_version = rd.framework_version AND t.group_code = a.assigned_group
    GROUP BY 1, 2, 3, 4
), listed_cells AS (   -- groups on the list in a province, even when nobody has been assessed yet
    SELECT DISTINCT ro.round_code, ro.province_code, ro.assigned_group, t.skill_code
    FROM core.current_roster ro
    JOIN ref.round rd USING (round_code)
    JOIN ref.target t ON t.framework_version = rd.framework_version AND t.group_code = ro.assigned_group
), nominees AS (
    SELECT round, province_code, target_group, skill_code, count(*) AS below, avg(gap) AS mean_gap
    FROM mart_build.training_nominee
    GROUP BY 1, 2, 3, 4
)
SELECT l.round_code                                                     AS round,
       l.province_code,
       l.assigned_group                                                 AS target_group,
       l.skill_code,
       coalesce(c.people_assessed, 0)                                   AS people_assessed,
       coalesce(n.below, 0)                                             AS people_below_target,
       coalesce(round(n.mean_gap, 3), 0)                                AS avg_gap
FROM listed_cells l
LEFT JOIN cells c USING (round_code, province_code, assigned_group, skill_code)
LEFT JOIN nominees n
       ON n.round = l.round_code AND n.province_code = l.province_code
      AND n.target_group = l.assigned_group AND n.skill_code = l.skill_code;

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
