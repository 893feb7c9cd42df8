-- Provinces with someone to follow up in the current round (%(round)s; every round when NULL),
-- when the marts have been published.
SELECT DISTINCT province_code FROM marts.compliance_person
WHERE status <> 'COMPLIANT' AND (%(round)s::text IS NULL OR round = %(round)s::text);
