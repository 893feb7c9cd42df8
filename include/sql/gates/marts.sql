-- Publication gate: every row returned names a check and how many rows break it.
-- The marts are published only when every count is 0.
SELECT 'compliance_by_province' AS mart, 'on_list equals the sum of the statuses' AS check_name, count(*) AS failures
FROM mart_build.compliance_by_province
WHERE on_list <> compliant + late + unsigned + group_mismatch + target_mismatch + missing
UNION ALL
SELECT 'compliance_by_province', 'compliance_rate between 0 and 1', count(*)
FROM mart_build.compliance_by_province WHERE compliance_rate < 0 OR compliance_rate > 1
UNION ALL
SELECT 'compliance_by_province', 'submitted <= on_list', count(*)
FROM mart_build.compliance_by_province WHERE submitted > on_list
UNION ALL
SELECT 'compliance_person', 'every listed person appears exactly once', count(*)
FROM (SELECT ro.round_code, ro.citizen_id, count(c.person_key) AS n
      FROM core.current_roster ro
      LEFT JOIN mart_build.compliance_person c ON c.round = ro.round_code AND c.person_key = ro.person_key
      GROUP BY 1, 2 HAVING count(c.person_key) <> 1) x
UNION ALL
SELECT 'compliance_person', 'status is a known status', count(*)
FROM mart_build.compliance_person
WHERE status NOT IN ('COMPLIANT', 'LATE', 'UNSIGNED', 'GROUP_MISMATCH', 'TARGET_MISMATCH', 'MISSING', 'NOT_ON_LIST')
UNION ALL
SELECT 'compliance_person', 'the status is among the problems (or COMPLIANT with none)', count(*)
FROM mart_build.compliance_person
WHERE NOT (status = ANY (problems) OR (status = 'COMPLIANT' AND cardinality(problems) = 0))
UNION ALL
SELECT 'compliance_person', 'citizen_id_masked shows only the last 3 digits', count(*)
FROM mart_build.compliance_person WHERE citizen_id_masked !~ '^x-xxxx-xxxxx-[0-9]{2}-[0-9]$'
UNION ALL
SELECT 'training_nominee', 'gap is positive', count(*) FROM mart_build.training_nominee WHERE gap <= 0
UNION ALL
SELECT 'training_needs', 'people_below_target equals the nominee rows', count(*)
FROM mart_build.training_needs t
FULL JOIN (SELECT round, province_code, target_group, skill_code, count(*) AS n
           FROM mart_build.training_nominee GROUP BY 1, 2, 3, 4) n
       USING (round, province_code, target_group, skill_code)
WHERE coalesce(t.people_below_target, -1) <> coalesce(n.n, 0)
UNION ALL
SELECT 'training_needs', 'people_below_target <= people_assessed', count(*)
FROM mart_build.training_needs WHERE people_below_target > people_assessed
UNION ALL
SELECT 'target_progress', 'share_meeting_all between 0 and 1', count(*)
FROM mart_build.target_progress WHERE share_meeting_all < 0 OR share_meeting_all > 1
