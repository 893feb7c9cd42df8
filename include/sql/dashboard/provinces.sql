-- Every province of a round (77 rows), as the mart has it, with the English name from ref.
SELECT c.province_code, c.province_name_th, p.name_en AS province_name_en, p.region_en,
       c.on_list, c.submitted, c.compliant, c.late, c.unsigned, c.group_mismatch, c.target_mismatch,
       c.missing, c.not_on_list, c.compliance_rate
FROM marts.compliance_by_province c
JOIN ref.province p USING (province_code)
WHERE c.round = %(round)s
ORDER BY c.province_code;
