-- A partial build: target_progress's counts of the rounds it does not recompute, as published
-- (_rounds.sql says why the counts, not the rows). No parameters.
INSERT INTO kept_target_counts
SELECT round, province_code, people_assessed, people_meeting_all, people_improved, people_fell_back
FROM marts.target_progress
WHERE round NOT IN (SELECT round_code FROM progress_round);
