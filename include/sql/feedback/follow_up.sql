-- People to chase in the current round (%(round)s; every round when NULL): everyone on its list
-- who is not compliant (missing, late, unsigned, group or target mismatch), then those who
-- submitted but are not on the list (NOT_ON_LIST), with every problem found. Masked IDs only.
SELECT c.province_code,
       c.round,
       c.status,
       c.full_name,
       c.unit,
       c.position,
       c.citizen_id_masked,
       c.assigned_group,
       c.declared_group,
       c.problems,
       c.received_at,
       f.rel_path,
       c.source_row
FROM marts.compliance_person c
LEFT JOIN audit.source_file f ON f.file_id = c.source_file_id
WHERE c.province_code = ANY(%(provinces)s)
  AND c.status <> 'COMPLIANT'
  AND (%(round)s::text IS NULL OR c.round = %(round)s::text)
ORDER BY c.province_code, c.round,
         array_position(ARRAY['MISSING', 'UNSIGNED', 'GROUP_MISMATCH', 'TARGET_MISMATCH', 'LATE', 'NOT_ON_LIST'],
                        c.status::text),
         c.full_name, c.citizen_id_masked, c.person_key;   -- a stable order: unchanged data, unchanged workbook
