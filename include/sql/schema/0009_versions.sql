-- Versions that come back, files removed from the drive, failures that pass (issue 21; owned by the ledger work): nothing yet
SELECT 1;  -- placeholder until the work lands
