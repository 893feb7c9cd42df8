-- The follow-up list of one province and round: everyone not yet COMPLIANT, with every problem
-- found, and (marts.person_progress) their change since the previous round. Masked citizen IDs
-- only (the marts hold nothing else). %(limit)s NULL: every row; total_rows: how many in all.
SELECT c.person_key, c.full_name, c.unit, c.position, c.status, c.problems, c.citizen_id_masked,
       c.assigned_group, c.declared_group, c.received_at,
       pp.change, pp.skills_required, pp.skills_met_now, pp.skills_met_before,
       count(*) OVER () AS total_rows
FROM marts.compliance_person c
LEFT JOIN marts.person_progress pp
       ON pp.round = c.round AND pp.person_key = c.person_key AND pp.province_code = c.province_code
WHERE c.round = %(round)s AND c.province_code = %(province)s AND c.status <> 'COMPLIANT'
ORDER BY CASE c.status WHEN 'MISSING' THEN 1 WHEN 'UNSIGNED' THEN 2 WHEN 'LATE' THEN 3
                       WHEN 'GROUP_MISMATCH' THEN 4 WHEN 'TARGET_MISMATCH' THEN 5 ELSE 6 END,
         c.full_name, c.person_key
LIMIT %(limit)s;
