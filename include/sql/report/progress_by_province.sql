-- make report: progress per province in every round that has a previous one (marts.target_progress,
-- whose improved/fell-back counts are marts.person_progress rows of that round and province)
SELECT t.province_code AS prov, p.name_en AS province, t.round, t.people_assessed AS assessed,
       t.share_meeting_all AS share, t.people_improved AS improved, t.people_fell_back AS fell_back,
       CASE t.on_track WHEN true THEN 'yes' WHEN false THEN 'NO' ELSE '-' END AS on_track
FROM marts.target_progress t
JOIN ref.province p USING (province_code)
WHERE t.round = ANY(%(rounds)s)
ORDER BY t.province_code, t.round
