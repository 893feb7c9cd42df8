-- Provinces with someone to follow up (when the marts have been published).
SELECT DISTINCT province_code FROM marts.compliance_person WHERE status <> 'COMPLIANT';
