-- Operations: run summaries and the alerts already sent (so lateness alerts go out once per
-- province per day). Both in audit: analysts may read them; no citizen IDs in either.

-- One row per run summary (written by dgsa_marts after each ingest's marts are published).
CREATE TABLE audit.run_summary (
    summary_id  bigserial PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    load_id     bigint REFERENCES audit.load_run,   -- the ingest run summarised
    dag_run_id  text,
    compliance  jsonb NOT NULL,                     -- {round: {province: {status: count}}}, compared next time
    summary     jsonb NOT NULL,                     -- what the XCom carries
    markdown    text NOT NULL                       -- what the Markdown file and `make pipeline` show
);
COMMENT ON TABLE audit.run_summary IS 'One summary per ingest: files by status, rows loaded and rejected, compliance counts changed since the previous summary';

-- One row per alert sent by the lateness check: the key makes it once per province per day.
CREATE TABLE audit.alert_sent (
    kind          text NOT NULL,                    -- 'lateness'
    round_code    text NOT NULL,
    province_code text NOT NULL REFERENCES ref.province,
    sent_on       date NOT NULL,                    -- Asia/Bangkok date
    sent_at       timestamptz NOT NULL DEFAULT now(),
    reason        text NOT NULL,                    -- 'NOTHING_SENT' or 'MISSING_OVER_THRESHOLD'
    detail        text,
    PRIMARY KEY (kind, round_code, province_code, sent_on)
);
COMMENT ON TABLE audit.alert_sent IS 'Lateness alerts sent: at most one per round, province and day';

GRANT ALL ON audit.run_summary, audit.alert_sent TO dgsa_loader;
GRANT ALL ON SEQUENCE audit.run_summary_summary_id_seq TO dgsa_loader;
GRANT SELECT ON audit.run_summary, audit.alert_sent TO dgsa_analyst;
