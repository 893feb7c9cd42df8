-- The rounds this build recomputes (dgsa.marts.build; parameters: full, rounds). A full build
-- recomputes every configured round; a partial one the rounds whose inputs changed
-- (dgsa.marts.changes) and copies the other rounds' rows from the published marts.
--   mart_round      rounds whose rows are recomputed in every mart;
--   progress_round  mart_round and each one's successor: person_progress compares a round with the
--                   previous one (the order of person_progress.sql: window_from, round_code), and
--                   target_progress counts its changes;
--   stage_round     what _stage.sql stages: progress_round and each one's predecessor.
-- kept_target_counts: the per-round counts of target_progress for the rounds not in
-- progress_round (filled from the published mart by _kept_target.sql in a partial build): the
-- straight line to the goal starts at each province's first assessed round, so every round's
-- on_track is worked out again from all the counts.
CREATE TEMP TABLE mart_round ON COMMIT DROP AS
SELECT round_code FROM ref.round WHERE %(full)s OR round_code = ANY(%(rounds)s::text[]);

CREATE TEMP TABLE round_order ON COMMIT DROP AS
SELECT round_code, lag(round_code) OVER (ORDER BY window_from, round_code) AS previous_round FROM ref.round;

CREATE TEMP TABLE progress_round ON COMMIT DROP AS
SELECT o.round_code FROM round_order o
WHERE o.round_code IN (SELECT round_code FROM mart_round) OR o.previous_round IN (SELECT round_code FROM mart_round);

CREATE TEMP TABLE stage_round ON COMMIT DROP AS
SELECT round_code FROM progress_round
UNION
SELECT o.previous_round FROM round_order o JOIN progress_round p USING (round_code) WHERE o.previous_round IS NOT NULL;

CREATE TEMP TABLE kept_target_counts (
    round              text NOT NULL,
    province_code      text NOT NULL,
    people_assessed    bigint NOT NULL,
    people_meeting_all bigint NOT NULL,
    people_improved    bigint NOT NULL,
    people_fell_back   bigint NOT NULL
) ON COMMIT DROP;

ANALYZE mart_round, progress_round, stage_round;
