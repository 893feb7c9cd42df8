-- marts.target_progress: progress toward the goal (Developing in every required skill by
-- B.E. 2565): per round and province, the share of assessed listed people meeting every
-- required skill of their assigned group, how many improved or fell back since the previous
-- round (marts.person_progress), and whether the province is on track: at least the straight
-- line from its share in its first assessed round to 1.0 in the goal year (domain.md).
-- Reads the build's staged tables (_stage.sql). The counts are worked out for the rounds of
-- progress_round (_rounds.sql); a partial build takes the other rounds' counts as published
-- (kept_target_counts), and the straight line and on_track are worked out for every round.
CREATE TABLE mart_build.target_progress AS
WITH assessed AS (
    SELECT round_code, province_code, sum(assessed) AS n FROM stage_groups
    WHERE round_code IN (SELECT round_code FROM progress_round) GROUP BY 1, 2
), needing AS (   -- every nominee is a listed, assessed person of that province (training_nominee)
    SELECT round, province_code, count(DISTINCT person_key) AS n FROM mart_build.training_nominee
    WHERE round IN (SELECT round_code FROM progress_round) GROUP BY 1, 2
), changes AS (   -- marts.person_progress, built before this mart
    SELECT round, province_code, count(*) FILTER (WHERE change = 'IMPROVED') AS improved,
           count(*) FILTER (WHERE change = 'FELL_BACK') AS fell_back
    FROM mart_build.person_progress
    WHERE round IN (SELECT round_code FROM progress_round) GROUP BY 1, 2
), rounds AS (SELECT DISTINCT round_code FROM stage_groups WHERE round_code IN (SELECT round_code FROM progress_round)
), fresh AS (
    SELECT r.round_code                                                 AS round,
           p.province_code,
           coalesce(a.n, 0)::bigint                                     AS people_assessed,
           (coalesce(a.n, 0) - coalesce(nd.n, 0))::bigint               AS people_meeting_all,
           coalesce(c.improved, 0)::bigint                              AS people_improved,
           coalesce(c.fell_back, 0)::bigint                             AS people_fell_back,
           rd.window_from, rd.goal_year::int                            AS goal
    FROM rounds r
    JOIN ref.round rd USING (round_code)
    CROSS JOIN ref.province p
    LEFT JOIN assessed a ON a.round_code = r.round_code AND a.province_code = p.province_code
    LEFT JOIN needing nd ON nd.round = r.round_code AND nd.province_code = p.province_code
    LEFT JOIN changes c ON c.round = r.round_code AND c.province_code = p.province_code
), counts AS (
    SELECT * FROM fresh
    UNION ALL
    SELECT k.round, k.province_code, k.people_assessed, k.people_meeting_all, k.people_improved, k.people_fell_back,
           rd.window_from, rd.goal_year::int
    FROM kept_target_counts k
    JOIN ref.round rd ON rd.round_code = k.round
), first_round AS (   -- the province's first assessed round: the start of its straight line
    SELECT DISTINCT ON (province_code) province_code, round::int AS r0, people_assessed AS a0,
           people_meeting_all AS m0
    FROM counts WHERE people_assessed > 0
    ORDER BY province_code, window_from
)
SELECT c.round,
       c.province_code,
       c.people_assessed,
       c.people_meeting_all,
       round(c.people_meeting_all::numeric / nullif(c.people_assessed, 0), 4) AS share_meeting_all,
       c.people_improved,
       c.people_fell_back,
       -- expected = s0 + (1 - s0) * (round - r0) / (goal - r0), capped at 1.0, 1.0 from the goal year on;
       -- on_track compares exactly, in integers: m/a >= m0/a0 + (a0-m0)/a0 * (round-r0)/(goal-r0)
       CASE WHEN c.people_assessed = 0 OR f.r0 IS NULL OR c.round::int <= f.r0 THEN NULL
            WHEN c.round::int >= c.goal THEN 1.0000
            ELSE round(least(1.0, (f.m0::numeric / f.a0)
                 + (1 - f.m0::numeric / f.a0) * (c.round::int - f.r0) / (c.goal - f.r0)), 4)
       END                                                              AS expected_share,
       CASE WHEN c.people_assessed = 0 OR f.r0 IS NULL OR c.round::int <= f.r0 THEN NULL
            WHEN c.round::int >= c.goal THEN c.people_meeting_all = c.people_assessed
            ELSE c.people_meeting_all::numeric * f.a0 * (c.goal - f.r0)
                 >= c.people_assessed::numeric * (f.m0 * (c.goal - f.r0) + (f.a0 - f.m0) * (c.round::int - f.r0))
       END                                                              AS on_track
FROM counts c
LEFT JOIN first_round f USING (province_code);

-- @keys
ALTER TABLE mart_build.target_progress ADD PRIMARY KEY (round, province_code);

COMMENT ON TABLE mart_build.target_progress IS
    'Progress toward the ministry''s goal (ความก้าวหน้าสู่เป้าหมาย: ทุกคนระดับกำลังพัฒนาภายในปีเป้าหมาย, ref.round.goal_year) per round and province: the share meeting every required skill, who improved or fell back since the previous round, and whether the province is on its straight line to the goal.';
COMMENT ON COLUMN mart_build.target_progress.round IS 'Round (รอบ), B.E. year.';
COMMENT ON COLUMN mart_build.target_progress.province_code IS 'Province on the list (รหัสจังหวัด).';
COMMENT ON COLUMN mart_build.target_progress.people_assessed IS 'People on the list with a current assessment.';
COMMENT ON COLUMN mart_build.target_progress.people_meeting_all IS 'Of those, people at or above the target level in every skill their assigned group requires.';
COMMENT ON COLUMN mart_build.target_progress.share_meeting_all IS 'people_meeting_all / people_assessed, 0 to 1 (null when nobody is assessed).';
COMMENT ON COLUMN mart_build.target_progress.people_improved IS 'People on this round''s list of this province whose change since the previous round is IMPROVED (marts.person_progress); 0 in the first round.';
COMMENT ON COLUMN mart_build.target_progress.people_fell_back IS 'People on this round''s list of this province whose change since the previous round is FELL_BACK (marts.person_progress).';
COMMENT ON COLUMN mart_build.target_progress.expected_share IS 'The share the straight line expects in this round: s0 + (1 - s0) * (round - r0) / (goal - r0) from the province''s first assessed round r0 (share s0) to 1.0 in the goal year, capped at 1.0; null where on_track is null.';
COMMENT ON COLUMN mart_build.target_progress.on_track IS 'On track to the goal (ตามเป้า): share_meeting_all (compared exactly) >= expected_share. Null in the province''s first assessed round and where nobody is assessed.';
