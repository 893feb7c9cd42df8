-- Rounds and frameworks in the warehouse (issue 18; owned by the rounds/marts work): nothing yet
SELECT 1;  -- placeholder until the work lands
