-- make report: the progress totals per round: people by change (marts.person_progress) and
-- provinces by verdict (marts.target_progress)
WITH changes AS (
    SELECT round, previous_round,
           count(*) FILTER (WHERE change = 'IMPROVED')         AS improved,
           count(*) FILTER (WHERE change = 'FELL_BACK')        AS fell_back,
           count(*) FILTER (WHERE change = 'MIXED')            AS mixed,
           count(*) FILTER (WHERE change = 'UNCHANGED')        AS unchanged,
           count(*) FILTER (WHERE change = 'FIRST_ASSESSMENT') AS first_assessed,
           count(*) FILTER (WHERE change = 'NOT_ASSESSED')     AS not_assessed
    FROM marts.person_progress GROUP BY 1, 2
), verdicts AS (
    SELECT round, sum(people_assessed) AS assessed, sum(people_meeting_all) AS meeting_all,
           count(*) FILTER (WHERE on_track)                    AS prov_on_track,
           count(*) FILTER (WHERE NOT on_track)                AS prov_off_track
    FROM marts.target_progress GROUP BY 1
)
SELECT v.round, c.previous_round AS since, v.assessed, v.meeting_all,
       round(v.meeting_all::numeric / nullif(v.assessed, 0), 4) AS share, c.improved, c.fell_back, c.mixed,
       c.unchanged, c.first_assessed, c.not_assessed, v.prov_on_track, v.prov_off_track
FROM verdicts v
LEFT JOIN changes c USING (round)
WHERE v.round = ANY(%(rounds)s)
ORDER BY v.round
