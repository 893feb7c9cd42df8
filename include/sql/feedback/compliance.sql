-- Status counts per round for the provinces (rounds with anyone on the list or submitted, up
-- to the current round %(round)s), with the round's deadline.
SELECT b.province_code,
       b.round,
       r.deadline_at,
       b.on_list, b.submitted, b.compliant, b.late, b.unsigned, b.group_mismatch, b.target_mismatch,
       b.missing, b.not_on_list, b.compliance_rate
FROM marts.compliance_by_province b
JOIN ref.round r ON r.round_code = b.round
WHERE b.province_code = ANY(%(provinces)s)
  AND (b.on_list > 0 OR b.not_on_list > 0)
  AND (%(round)s::text IS NULL OR b.round <= %(round)s::text)
ORDER BY b.province_code, b.round;
