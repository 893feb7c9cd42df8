-- marts.target_progress: progress toward the goal (Developing in every required skill by
-- B.E. 2565): per round and province, the share of assessed listed people meeting every
-- required skill of their assigned group. Reads the build's staged tables (_stage.sql).
CREATE TABLE mart_build.target_progress AS
WITH assessed AS (
    SELECT round_code, province_code, sum(assessed) AS n FROM stage_groups GROUP BY 1, 2
), needing AS (   -- every nominee is a listed, assessed person of that province (training_nominee)
    SELECT round, province_code, count(DISTINCT person_key) AS n FROM mart_build.training_nominee GROUP BY 1, 2
), rounds AS (SELECT DISTINCT round_code FROM stage_groups)
SELECT r.round_code                                                     AS round,
       p.province_code,
       coalesce(a.n, 0)::bigint                                         AS people_assessed,
       (coalesce(a.n, 0) - coalesce(nd.n, 0))::bigint                   AS people_meeting_all,
       round((coalesce(a.n, 0) - coalesce(nd.n, 0))::numeric / nullif(coalesce(a.n, 0), 0), 4) AS share_meeting_all
FROM rounds r
CROSS JOIN ref.province p
LEFT JOIN assessed a ON a.round_code = r.round_code AND a.province_code = p.province_code
LEFT JOIN needing nd ON nd.round = r.round_code AND nd.province_code = p.province_code;

ALTER TABLE mart_build.target_progress ADD PRIMARY KEY (round, province_code);

COMMENT ON TABLE mart_build.target_progress IS
    'Progress toward the ministry''s goal (ความก้าวหน้าสู่เป้าหมาย ระดับกำลังพัฒนา ปี 2565) per round and province; compare rounds to see the trend.';
COMMENT ON COLUMN mart_build.target_progress.round IS 'Round (รอบ), B.E. year.';
COMMENT ON COLUMN mart_build.target_progress.province_code IS 'Province on the list (รหัสจังหวัด).';
COMMENT ON COLUMN mart_build.target_progress.people_assessed IS 'People on the list with a current assessment.';
COMMENT ON COLUMN mart_build.target_progress.people_meeting_all IS 'Of those, people at or above the target level in every skill their assigned group requires.';
COMMENT ON COLUMN mart_build.target_progress.share_meeting_all IS 'people_meeting_all / people_assessed, 0 to 1 (null when nobody is assessed).';
