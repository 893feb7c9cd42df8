-- Training needs per target group for a round (one province, or all when province is null):
-- people assessed, people below target in at least one required skill, seats (person x skill).
WITH assessed AS (   -- people_assessed repeats for every skill of a group: take it once
    SELECT province_code, target_group, max(people_assessed) AS people_assessed,
           sum(people_below_target) AS seats
    FROM marts.training_needs
    WHERE round = %(round)s AND (%(province)s::text IS NULL OR province_code = %(province)s)
    GROUP BY province_code, target_group
), nominees AS (   -- people with a gap: GROUP BY twice (hashes) is far quicker than count(DISTINCT) (sorts)
    SELECT target_group, count(*) AS people_below
    FROM (SELECT target_group, person_key
          FROM marts.training_nominee
          WHERE round = %(round)s AND (%(province)s::text IS NULL OR province_code = %(province)s)
          GROUP BY target_group, person_key) p
    GROUP BY target_group
)
SELECT g.group_code AS target_group, g.group_no, g.name_th, g.name_en,
       coalesce(sum(a.people_assessed), 0) AS people_assessed,
       coalesce(max(n.people_below), 0) AS people_below_target,
       coalesce(sum(a.seats), 0) AS seats
FROM ref.target_group g
LEFT JOIN assessed a ON a.target_group = g.group_code
LEFT JOIN nominees n ON n.target_group = g.group_code
GROUP BY g.group_code, g.group_no, g.name_th, g.name_en
ORDER BY g.group_no;
