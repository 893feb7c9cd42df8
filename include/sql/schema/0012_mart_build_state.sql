-- What each mart build used (issue 19: marts rebuilt only for the rounds whose inputs changed).
-- One row per build attempt of dgsa.marts.build: published (full or partial), skipped (nothing
-- changed since the build the published marts come from), or failed (the marts were left as they
-- were). The next build compares its inputs with the latest published or skipped row: the global
-- fingerprint (mart SQL, mart suites, reference data), each round's fingerprint (the ledger's file
-- versions in force for the round and its current roster file) and the published tables' oids.
-- Idempotent: prepare runs the migrations on every run. No percent sign (exec_driver_sql).
CREATE TABLE IF NOT EXISTS audit.mart_build_state (
    state_id         bigserial   PRIMARY KEY,
    built_at         timestamptz NOT NULL DEFAULT now(),
    run_name         text        NOT NULL,
    outcome          text        NOT NULL CHECK (outcome IN ('published', 'skipped', 'failed')),
    mode             text        NOT NULL CHECK (mode IN ('full', 'partial', 'none')),
    reason           text        NOT NULL,
    inputs           text        NOT NULL,
    rounds           jsonb       NOT NULL,
    rebuilt_rounds   text[]      NOT NULL DEFAULT '{}',
    progress_rounds  text[]      NOT NULL DEFAULT '{}',
    mart_tables      jsonb,
    seconds          numeric,
    message          text
);
CREATE INDEX IF NOT EXISTS mart_build_state_outcome ON audit.mart_build_state (outcome, state_id);

COMMENT ON TABLE audit.mart_build_state IS
    'Every mart build and what it used (การสร้าง marts แต่ละครั้ง): full, partial (only the rounds whose inputs changed) or skipped (nothing changed).';
COMMENT ON COLUMN audit.mart_build_state.outcome IS
    'published (the marts were swapped in), skipped (nothing changed: the published marts stand), failed (the previous marts stand).';
COMMENT ON COLUMN audit.mart_build_state.mode IS 'full (every round recomputed), partial (rebuilt_rounds only), none (skipped).';
COMMENT ON COLUMN audit.mart_build_state.reason IS 'Why this mode: what changed since the build the published marts come from.';
COMMENT ON COLUMN audit.mart_build_state.inputs IS
    'Fingerprint of what affects every round: the mart SQL files, the mart suites and the reference data.';
COMMENT ON COLUMN audit.mart_build_state.rounds IS
    'Per round, the fingerprint of its ledger inputs: file versions in force for the round (audit.version_in_force) and its current roster file.';
COMMENT ON COLUMN audit.mart_build_state.rebuilt_rounds IS 'Rounds whose rows were recomputed in every mart (the others were copied from the published marts).';
COMMENT ON COLUMN audit.mart_build_state.progress_rounds IS
    'Rounds whose person_progress rows were recomputed: the rebuilt rounds and their successors (progress compares a round with the previous one).';
COMMENT ON COLUMN audit.mart_build_state.mart_tables IS 'The published tables (mart -> oid) this state describes; a mismatch forces a full build.';

GRANT SELECT ON audit.mart_build_state TO dgsa_analyst;
GRANT ALL ON audit.mart_build_state TO dgsa_loader;
GRANT ALL ON SEQUENCE audit.mart_build_state_state_id_seq TO dgsa_loader;
