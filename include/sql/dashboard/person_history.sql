-- The history across rounds of some people (the follow-up list's): per person and round, the
-- compliance status and province, and from marts.person_progress the change since the previous
-- round and the skills met then and now (of the skills the round's assigned group requires).
-- Masked IDs only; the person_key is the warehouse's keyed hash of the ID, never the ID.
SELECT c.person_key, c.round, c.province_code, c.status, c.assigned_group,
       pp.previous_round, pp.skills_required, pp.skills_met_now, pp.skills_met_before, pp.change
FROM marts.compliance_person c
LEFT JOIN marts.person_progress pp
       ON pp.round = c.round AND pp.person_key = c.person_key AND pp.province_code = c.province_code
WHERE c.person_key = ANY(%(keys)s)
ORDER BY c.person_key, c.round, c.province_code;
