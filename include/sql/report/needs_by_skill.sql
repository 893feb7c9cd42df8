-- make report: seats needed per skill in one round (marts.training_needs)
SELECT n.skill_code AS skill, s.name_en AS skill_name, sum(n.people_assessed) AS assessed,
       sum(n.people_below_target) AS below_target,
       round(sum(n.avg_gap * n.people_below_target) / nullif(sum(n.people_below_target), 0), 2) AS avg_gap
FROM marts.training_needs n
JOIN ref.round r ON r.round_code = n.round
JOIN ref.skill s ON s.framework_version = r.framework_version AND s.skill_code = n.skill_code
WHERE n.round = %(round)s
GROUP BY 1, 2
ORDER BY below_target DESC
