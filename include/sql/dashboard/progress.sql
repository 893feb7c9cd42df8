-- Progress toward the goal per round, for one province or the whole country (province null):
-- the share of assessed listed people meeting every skill their group requires, the
-- compliance rate, people improved / fallen back since the previous round, and the on-track
-- line: the straight line from the share in the first round anyone was assessed (s0, round r0)
-- to 1.0 in the goal year, expected = s0 + (1 - s0) * (round - r0) / (goal - r0), capped at 1.0
-- and 1.0 from the goal year on; none in the first assessed round (domain spec, "Progress
-- across rounds"). For one province on_track is the mart's verdict; for the country it is the
-- same rule on the national share, and provinces_on_track / provinces_judged count the mart's.
WITH per AS (
    SELECT t.round,
           sum(t.people_assessed) AS people_assessed,
           sum(t.people_meeting_all) AS people_meeting_all,
           sum(t.people_improved) AS people_improved,
           sum(t.people_fell_back) AS people_fell_back,
           bool_and(t.on_track) FILTER (WHERE %(province)s::text IS NOT NULL) AS province_on_track,
           count(*) FILTER (WHERE t.on_track) AS provinces_on_track,
           count(t.on_track) AS provinces_judged
    FROM marts.target_progress t
    WHERE %(province)s::text IS NULL OR t.province_code = %(province)s
    GROUP BY t.round
), shares AS (
    SELECT per.*, r.target_level, r.goal_year,
           round(people_meeting_all::numeric / nullif(people_assessed, 0), 4) AS share_meeting_all
    FROM per LEFT JOIN ref.round r ON r.round_code = per.round
), first AS (
    SELECT round AS r0, share_meeting_all AS s0 FROM shares
    WHERE people_assessed > 0 ORDER BY round LIMIT 1
), lined AS (
    SELECT s.*,
           CASE WHEN f.r0 IS NULL OR s.round <= f.r0 OR s.people_assessed = 0 THEN NULL
                WHEN s.round::int >= s.goal_year::int THEN 1.0
                ELSE round(least(1.0, f.s0 + (1 - f.s0) * (s.round::int - f.r0::int)
                                            / nullif(s.goal_year::int - f.r0::int, 0)), 4)
           END AS expected_share
    FROM shares s LEFT JOIN first f ON true
)
SELECT l.round, l.target_level, l.goal_year, l.people_assessed, l.people_meeting_all, l.share_meeting_all,
       l.expected_share,
       CASE WHEN %(province)s::text IS NOT NULL THEN l.province_on_track
            WHEN l.expected_share IS NULL THEN NULL
            ELSE l.share_meeting_all >= l.expected_share END AS on_track,
       l.people_improved, l.people_fell_back, l.provinces_on_track, l.provinces_judged,
       (SELECT round(sum(c.compliant)::numeric / nullif(sum(c.on_list), 0), 4)
        FROM marts.compliance_by_province c
        WHERE c.round = l.round AND (%(province)s::text IS NULL OR c.province_code = %(province)s)) AS compliance_rate
FROM lined l
ORDER BY l.round;
