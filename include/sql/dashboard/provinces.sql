-- Every province of a round (77 rows), as the mart has it, with the English name from ref and
-- the round's progress: share meeting every required skill, people improved and fallen back
-- since the previous round (marts.person_progress counts) and the on-track verdict.
SELECT c.province_code, c.province_name_th, p.name_en AS province_name_en, p.region_en,
       c.on_list, c.submitted, c.compliant, c.late, c.unsigned, c.group_mismatch, c.target_mismatch,
       c.missing, c.not_on_list, c.compliance_rate,
       t.people_assessed, t.share_meeting_all, t.people_improved, t.people_fell_back, t.on_track
FROM marts.compliance_by_province c
JOIN ref.province p USING (province_code)
LEFT JOIN marts.target_progress t ON t.round = c.round AND t.province_code = c.province_code
WHERE c.round = %(round)s
ORDER BY c.province_code;
