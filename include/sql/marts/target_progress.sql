-- marts.target_progress: progress toward the goal (Developing in every required skill by
-- B.E. 2565): per round and province, the share of assessed listed people meeting every
-- required skill of their assigned group.
CREATE TABLE mart_build.target_progress AS
WITH needing AS (SELECT DISTINCT round, person_key FROM mart_build.training_nominee),
assessed AS (
    SELECT ro.round_code, ro.province_code, ro.person_key, (nd.person_key IS NULL) AS meets_all
    FROM core.current_roster ro
    JOIN core.current_assessment a ON a.round_code = ro.round_code AND a.citizen_id = ro.citizen_id
    LEFT JOIN needing nd ON nd.round = ro.round_code AND nd.person_key = ro.person_key
), rounds AS (SELECT DISTINCT round_code FROM core.current_roster)
SELECT r.round_code                                                     AS round,
       p.province_code,
       count(a.person_key)                                              AS people_assessed,
       count(a.person_key) FILTER (WHERE a.meets_all)                   AS people_meeting_all,
       round(count(a.person_key) FILTER (WHERE a.meets_all)::numeric
             / nullif(count(a.person_key), 0), 4)                       AS share_meeting_all
FROM rounds r
CROSS JOIN ref.province p
LEFT JOIN assessed a ON a.round_code = r.round_code AND a.province_code = p.province_code
GROUP BY r.round_code, p.province_code;

ALTER TABLE mart_build.target_progress ADD PRIMARY KEY (round, province_code);

COMMENT ON TABLE mart_build.target_progress IS
    'Progress toward the ministry''s goal (ความก้าวหน้าสู่เป้าหมาย ระดับกำลังพัฒนา ปี 2565) per round and province; compare rounds to see the trend.';
COMMENT ON COLUMN mart_build.target_progress.round IS 'Round (รอบ), B.E. year.';
COMMENT ON COLUMN mart_build.target_progress.province_code IS 'Province on the list (รหัสจังหวัด).';
COMMENT ON COLUMN mart_build.target_progress.people_assessed IS 'People on the list with a current assessment.';
COMMENT ON COLUMN mart_build.target_progress.people_meeting_all IS 'Of those, people at or above the target level in every skill their assigned group requires.';
COMMENT ON COLUMN mart_build.target_progress.share_meeting_all IS 'people_meeting_all / people_assessed, 0 to 1 (null when nobody is assessed).';
