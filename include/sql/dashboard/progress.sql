-- Progress toward the goal per round (one province, or all when province is null): the share
-- of assessed people who reach the target level in every skill their group requires, beside
-- the compliance rate.
SELECT t.round, r.target_level, r.goal_year,
       sum(t.people_assessed) AS people_assessed,
       sum(t.people_meeting_all) AS people_meeting_all,
       round(sum(t.people_meeting_all)::numeric / nullif(sum(t.people_assessed), 0), 4) AS share_meeting_all,
       (SELECT round(sum(c.compliant)::numeric / nullif(sum(c.on_list), 0), 4)
        FROM marts.compliance_by_province c
        WHERE c.round = t.round AND (%(province)s::text IS NULL OR c.province_code = %(province)s)) AS compliance_rate
FROM marts.target_progress t
LEFT JOIN ref.round r ON r.round_code = t.round
WHERE %(province)s::text IS NULL OR t.province_code = %(province)s
GROUP BY t.round, r.target_level, r.goal_year
ORDER BY t.round;
