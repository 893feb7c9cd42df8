-- make report --round R: the provinces furthest from the goal in one round (marts.target_progress)
SELECT province_code AS prov, people_assessed AS assessed, people_meeting_all AS meeting_all,
       share_meeting_all AS share
FROM marts.target_progress
WHERE round = %(round)s AND people_assessed > 0
ORDER BY share_meeting_all, province_code
LIMIT 10
