-- Everyone on the current round's list (%(round)s) of the provinces, with their change since the
-- previous round and the skills met before and now (marts.person_progress): those who fell back
-- first, then the rest, in a stable order (unchanged data, unchanged workbook). Masked IDs only.
SELECT p.province_code, p.round, p.previous_round, p.full_name, p.citizen_id_masked, p.assigned_group,
       p.skills_required, p.skills_met_before, p.skills_met_now, p.change
FROM marts.person_progress p
WHERE p.province_code = ANY(%(provinces)s) AND p.round = %(round)s::text
ORDER BY p.province_code,
         array_position(ARRAY['FELL_BACK', 'MIXED', 'NOT_ASSESSED', 'UNCHANGED', 'FIRST_ASSESSMENT', 'IMPROVED'],
                        p.change::text),
         p.full_name, p.citizen_id_masked, p.person_key;
