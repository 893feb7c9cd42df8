-- make report: compliance of all provinces, one line per round (marts.compliance_by_province)
SELECT round, sum(on_list) AS on_list, sum(submitted) AS submitted, sum(compliant) AS compliant, sum(late) AS late,
       sum(unsigned) AS unsigned, sum(group_mismatch) AS grp_mism, sum(target_mismatch) AS tgt_mism,
       sum(missing) AS missing, sum(not_on_list) AS not_listed,
       round(sum(compliant)::numeric / nullif(sum(on_list), 0), 4) AS rate
FROM marts.compliance_by_province
WHERE round = ANY(%(rounds)s)
GROUP BY round
ORDER BY round
