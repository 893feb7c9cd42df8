-- Lateness: in every round whose deadline has passed and that has a list, the provinces that
-- have sent nothing since the round opened, or whose on-list people are still more than
-- %(threshold)s percent missing.
WITH rounds AS (
    SELECT round_code, deadline_at, (opens_on::timestamp AT TIME ZONE 'Asia/Bangkok') AS opens_at
    FROM ref.round WHERE deadline_at < %(now)s
)
SELECT b.round,
       b.province_code,
       b.province_name_th,
       b.on_list,
       b.missing,
       CASE WHEN s.files = 0 THEN 'NOTHING_SENT' ELSE 'MISSING_OVER_THRESHOLD' END AS reason,
       CASE WHEN s.files = 0
            THEN format('nothing sent since %%s; %%s of %%s on the list missing', r.opens_at::date, b.missing, b.on_list)
            ELSE format('%%s of %%s on the list missing (%%s%%%%)', b.missing, b.on_list,
                        round(100.0 * b.missing / b.on_list, 1))
       END AS detail
FROM marts.compliance_by_province b
JOIN rounds r ON r.round_code = b.round
CROSS JOIN LATERAL (SELECT count(*) AS files FROM audit.source_file f
                    WHERE f.province_code = b.province_code AND f.kind = 'submission'
                      AND f.received_at >= r.opens_at) s
WHERE b.on_list > 0
  AND (s.files = 0 OR 100.0 * b.missing / b.on_list > %(threshold)s)
ORDER BY b.round, b.province_code;
