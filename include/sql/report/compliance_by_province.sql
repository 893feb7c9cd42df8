-- make report --round R: compliance per province in one round (marts.compliance_by_province)
SELECT province_code AS prov, province_name_en AS province, on_list, submitted, compliant, late, unsigned,
       group_mismatch AS grp_mism, target_mismatch AS tgt_mism, missing, not_on_list AS not_listed,
       compliance_rate AS rate
FROM marts.compliance_by_province
WHERE round = %(round)s AND (on_list > 0 OR not_on_list > 0)
ORDER BY province_code
LIMIT %(limit)s
