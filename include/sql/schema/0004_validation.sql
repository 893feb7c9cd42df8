-- Great Expectations results, kept because an ephemeral GX context keeps nothing.
-- validation_run: one suite run on one batch (a province's new files, or one mart build),
--   with the value-free GX result that Data Docs are rendered from.
-- validation_result: one row per expectation per file (row suites, file gate) or per mart.
CREATE TABLE audit.validation_run (
    validation_id bigserial PRIMARY KEY,
    validated_at  timestamptz NOT NULL DEFAULT now(),
    run_name      text NOT NULL,          -- the Airflow run id, or 'manual'
    suite         text NOT NULL,          -- expectations/<suite>.json
    target        text NOT NULL,          -- what was validated: 'files 12-40 (submission)' or 'mart_build.<mart>'
    success       boolean NOT NULL,
    evaluated     integer,
    successful    integer,
    result        jsonb NOT NULL          -- ExpectationSuiteValidationResult without cell values
);
CREATE INDEX validation_run_at ON audit.validation_run (validated_at);

CREATE TABLE audit.validation_result (
    validation_id    bigint NOT NULL REFERENCES audit.validation_run ON DELETE CASCADE,
    file_id          bigint REFERENCES audit.source_file,
    mart             text,
    suite            text NOT NULL,
    expectation_no   integer NOT NULL,     -- 1-based position in the suite
    expectation      text NOT NULL,        -- GX expectation type
    column_name      text,                 -- the column(s) it reads
    reason_code      text,                 -- meta.reason_code (rows, files) or meta.check (marts)
    success          boolean NOT NULL,
    element_count    bigint,
    unexpected_count bigint,
    observed_value   jsonb,                -- aggregate expectations only (counts, never cell values)
    validated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((file_id IS NULL) <> (mart IS NULL))
);
CREATE INDEX validation_result_file ON audit.validation_result (file_id);
CREATE INDEX validation_result_run ON audit.validation_result (validation_id);

COMMENT ON TABLE audit.validation_run IS 'One Great Expectations suite run on one batch (new files of a province and kind, or a mart build); result is the GX result without cell values, for Data Docs.';
COMMENT ON TABLE audit.validation_result IS 'Data quality over time: one row per expectation per file or per mart build, from the suites in expectations/.';

GRANT SELECT ON audit.validation_run, audit.validation_result TO dgsa_analyst;
GRANT ALL ON audit.validation_run, audit.validation_result TO dgsa_loader;
GRANT ALL ON ALL SEQUENCES IN SCHEMA audit TO dgsa_loader;
