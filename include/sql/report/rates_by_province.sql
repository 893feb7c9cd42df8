-- make report: every province's compliance rate and share meeting every required skill, per round
-- (one row per province and round; the report lays the rounds out as columns)
SELECT c.province_code AS prov, p.name_en AS province, c.round, c.compliance_rate AS rate,
       t.share_meeting_all AS share
FROM marts.compliance_by_province c
JOIN ref.province p USING (province_code)
LEFT JOIN marts.target_progress t ON t.round = c.round AND t.province_code = c.province_code
WHERE c.round = ANY(%(rounds)s) AND (c.on_list > 0 OR c.not_on_list > 0)
ORDER BY c.province_code, c.round
