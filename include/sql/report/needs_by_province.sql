-- make report --round R: the skill with the most people below target, per province (marts.training_needs)
SELECT DISTINCT ON (n.province_code) n.province_code AS prov, p.name_en AS province, n.skill_code AS top_skill,
       sum(n.people_below_target) AS below_target, t.total_below AS all_skill_needs
FROM marts.training_needs n
JOIN ref.province p USING (province_code)
JOIN (SELECT province_code, sum(people_below_target) AS total_below
      FROM marts.training_needs WHERE round = %(round)s GROUP BY 1) t USING (province_code)
WHERE n.round = %(round)s
GROUP BY n.province_code, p.name_en, n.skill_code, t.total_below
HAVING sum(n.people_below_target) > 0
ORDER BY n.province_code, below_target DESC, n.skill_code
LIMIT %(limit)s
