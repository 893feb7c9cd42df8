-- The least-privilege pipeline login (issue 20; owned by the operations work): nothing yet
SELECT 1;  -- placeholder until the work lands
