-- Training needs per skill for a round (one province, or all when province is null):
-- people below the target level (seats to plan) and their mean gap.
SELECT n.skill_code, s.skill_no, s.name_th, s.name_en,
       sum(n.people_assessed) AS people_assessed,
       sum(n.people_below_target) AS people_below_target,
       round(sum(n.avg_gap * n.people_below_target) / nullif(sum(n.people_below_target), 0), 2) AS avg_gap
FROM marts.training_needs n
JOIN ref.round r ON r.round_code = n.round
JOIN ref.skill s ON s.framework_version = r.framework_version AND s.skill_code = n.skill_code
WHERE n.round = %(round)s AND (%(province)s::text IS NULL OR n.province_code = %(province)s)
GROUP BY n.skill_code, s.skill_no, s.name_th, s.name_en
ORDER BY s.skill_no;
