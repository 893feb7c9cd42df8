-- The configured round before %(round)s (rounds are B.E. years; NULL for the first round).
SELECT max(round_code) FROM ref.round WHERE round_code < %(round)s::text;
