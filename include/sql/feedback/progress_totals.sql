-- The provinces' progress figures in the current round (%(round)s) and the previous one
-- (%(previous)s): people assessed, the share meeting every required skill, improved / fallen back
-- and the on-track verdict (marts.target_progress).
SELECT t.province_code, t.round, t.people_assessed, t.people_meeting_all, t.share_meeting_all,
       t.people_improved, t.people_fell_back, t.on_track
FROM marts.target_progress t
WHERE t.province_code = ANY(%(provinces)s)
  AND t.round IN (%(round)s::text, %(previous)s::text)
ORDER BY t.province_code, t.round;
