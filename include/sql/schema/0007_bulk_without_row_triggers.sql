-- The bulk tables (raw.source_row, core.assessment, core.roster_entry) lose their foreign keys.
-- Each key was a trigger firing one lookup per row (five per assessment row): measured at
-- 100,000 people, they were most of the time COPY spent in PostgreSQL. What they guarded is
-- guaranteed where the rows are made instead: every value set (round, province, group,
-- framework) is a Great Expectations rule with its value set read from these very ref tables
-- (expectations/*_rows.json), and a file's rows are written in the same transaction as its
-- ledger row (dgsa.ingest.write), which is never deleted. Primary keys and indexes stay.
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT conrelid::regclass AS tbl, conname
             FROM pg_constraint
             WHERE contype = 'f'
               AND conrelid IN ('raw.source_row'::regclass, 'core.assessment'::regclass,
                                'core.roster_entry'::regclass)
    LOOP
        EXECUTE 'ALTER TABLE ' || c.tbl::text || ' DROP CONSTRAINT ' || quote_ident(c.conname);
    END LOOP;
END $$;
