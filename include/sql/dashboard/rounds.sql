-- Rounds that have marts, newest first, with the round's target level and goal year.
SELECT c.round, r.target_level, r.goal_year, r.deadline_at,
       sum(c.on_list) AS on_list, sum(c.compliant) AS compliant
FROM marts.compliance_by_province c
LEFT JOIN ref.round r ON r.round_code = c.round
GROUP BY c.round, r.target_level, r.goal_year, r.deadline_at
ORDER BY c.round DESC;
