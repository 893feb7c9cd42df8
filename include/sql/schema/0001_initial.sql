-- dgsa warehouse, first version. Applied by Alembic revision 0001.
-- Public (analyst-readable): ref, audit, marts. Restricted: raw, core, mart_build.

CREATE SCHEMA IF NOT EXISTS ref;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS mart_build;

-- ---------------------------------------------------------------- ref (loaded from include/config)
CREATE TABLE ref.province (
    province_code text PRIMARY KEY,
    iso_3166_2    text NOT NULL,
    name_en       text NOT NULL,
    name_th       text NOT NULL,
    region_en     text NOT NULL
);
CREATE TABLE ref.target_group (
    group_code text PRIMARY KEY,
    group_no   smallint NOT NULL UNIQUE,
    name_th    text NOT NULL,
    name_en    text NOT NULL
);
CREATE TABLE ref.framework (
    framework_version text PRIMARY KEY,
    name              text NOT NULL
);
CREATE TABLE ref.level (
    framework_version text NOT NULL REFERENCES ref.framework,
    ordinal           smallint NOT NULL,
    name_en           text NOT NULL,
    name_th           text NOT NULL,
    PRIMARY KEY (framework_version, ordinal)
);
CREATE TABLE ref.skill (
    framework_version text NOT NULL REFERENCES ref.framework,
    skill_code        text NOT NULL,
    skill_no          smallint NOT NULL,
    name_en           text NOT NULL,
    name_th           text NOT NULL,
    PRIMARY KEY (framework_version, skill_code)
);
CREATE TABLE ref.target (
    framework_version text NOT NULL,
    group_code        text NOT NULL REFERENCES ref.target_group,
    skill_code        text NOT NULL,
    PRIMARY KEY (framework_version, group_code, skill_code),
    FOREIGN KEY (framework_version, skill_code) REFERENCES ref.skill
);
CREATE TABLE ref.round (
    round_code        text PRIMARY KEY,
    opens_on          date NOT NULL,
    deadline_at       timestamptz NOT NULL,
    window_from       date NOT NULL,
    window_to         date NOT NULL,
    target_level      smallint NOT NULL,
    goal_year         text NOT NULL,
    framework_version text NOT NULL REFERENCES ref.framework
);
CREATE TABLE ref.header_alias (
    field      text NOT NULL,
    alias      text NOT NULL,
    alias_norm text NOT NULL,
    PRIMARY KEY (field, alias_norm)
);
CREATE TABLE ref.reason_code (
    reason_code text PRIMARY KEY,
    scope       text NOT NULL CHECK (scope IN ('row', 'file')),
    message_th  text NOT NULL,
    message_en  text NOT NULL
);

-- ---------------------------------------------------------------- audit
CREATE TABLE audit.load_run (
    load_id     bigserial PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    drive       text NOT NULL,
    dag_run_id  text,
    scope       text,
    files_seen  integer,
    files_new   integer,
    summary     jsonb
);

CREATE TABLE audit.source_file (
    file_id        bigserial PRIMARY KEY,
    rel_path       text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('submission', 'roster', 'other')),
    province_code  text REFERENCES ref.province,
    round_code     text,
    sha256         text,
    size_bytes     bigint NOT NULL,
    modified_at    timestamptz NOT NULL,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    received_at    timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    status         text NOT NULL CHECK (status IN ('loaded', 'partially_loaded', 'rejected', 'ignored',
                                                   'duplicate', 'superseded', 'pending', 'new')),
    reason_code    text,
    message        text,
    duplicate_of   bigint REFERENCES audit.source_file,
    superseded_by  bigint REFERENCES audit.source_file,
    file_format    text,
    encoding       text,
    sheet_name     text,
    header_row     integer,
    header         jsonb,
    column_map     jsonb,
    framework_version text,
    rows_read      integer NOT NULL DEFAULT 0,
    rows_loaded    integer NOT NULL DEFAULT 0,
    rows_rejected  integer NOT NULL DEFAULT 0,
    rows_skipped   integer NOT NULL DEFAULT 0,
    load_id        bigint REFERENCES audit.load_run,
    processed_at   timestamptz,
    CONSTRAINT rows_add_up CHECK (rows_read = rows_loaded + rows_rejected + rows_skipped)
);
-- one row per version: a path's content (a pending row has no hash yet)
CREATE UNIQUE INDEX source_file_version ON audit.source_file (rel_path, sha256) WHERE sha256 IS NOT NULL;
CREATE UNIQUE INDEX source_file_one_pending ON audit.source_file (rel_path) WHERE status = 'pending';
CREATE INDEX source_file_sha ON audit.source_file (sha256);
CREATE INDEX source_file_path_stat ON audit.source_file (rel_path, size_bytes, modified_at);

CREATE TABLE audit.rejected_row (
    file_id     bigint NOT NULL REFERENCES audit.source_file,
    source_row  integer NOT NULL,
    reason_code text NOT NULL,
    column_name text,
    raw_value   text,
    message_th  text NOT NULL,
    message_en  text NOT NULL
);
CREATE INDEX rejected_row_file ON audit.rejected_row (file_id, source_row);

CREATE TABLE audit.mart_build (
    build_id    bigserial PRIMARY KEY,
    mart        text NOT NULL,
    built_at    timestamptz NOT NULL DEFAULT now(),
    row_count   bigint,
    published   boolean NOT NULL,
    message     text
);

-- ---------------------------------------------------------------- raw: every source row as read
CREATE TABLE raw.source_row (
    file_id    bigint NOT NULL REFERENCES audit.source_file,
    source_row integer NOT NULL,
    cells      jsonb NOT NULL,      -- the row's cells as text, in sheet column order
    row_kind   text NOT NULL CHECK (row_kind IN ('title', 'header', 'data', 'blank', 'total')),
    PRIMARY KEY (file_id, source_row)
);

-- ---------------------------------------------------------------- core: typed rows, full history
CREATE TABLE core.assessment (
    file_id               bigint NOT NULL REFERENCES audit.source_file,
    source_row            integer NOT NULL,
    round_code            text NOT NULL REFERENCES ref.round,
    province_code         text NOT NULL REFERENCES ref.province,
    citizen_id            text NOT NULL,
    person_key            text NOT NULL,
    title                 text,
    first_name            text NOT NULL,
    last_name             text NOT NULL,
    position              text,
    position_level        text,
    unit                  text,
    declared_group        text NOT NULL REFERENCES ref.target_group,
    declared_target_level smallint NOT NULL,
    assessed_on           date NOT NULL,
    overall_level         smallint,
    signed                boolean NOT NULL,
    signed_on             date,
    remarks               text,
    framework_version     text NOT NULL REFERENCES ref.framework,
    received_at           timestamptz NOT NULL,
    PRIMARY KEY (file_id, source_row)
);
CREATE INDEX assessment_person ON core.assessment (round_code, citizen_id);

CREATE TABLE core.assessment_skill (
    file_id           bigint NOT NULL,
    source_row        integer NOT NULL,
    skill_code        text NOT NULL,
    level_ordinal     smallint,          -- null: left blank (not assessed)
    PRIMARY KEY (file_id, source_row, skill_code),
    FOREIGN KEY (file_id, source_row) REFERENCES core.assessment
);

CREATE TABLE core.roster_entry (
    file_id        bigint NOT NULL REFERENCES audit.source_file,
    source_row     integer NOT NULL,
    round_code     text NOT NULL REFERENCES ref.round,
    citizen_id     text NOT NULL,
    person_key     text NOT NULL,
    title          text,
    first_name     text NOT NULL,
    last_name      text NOT NULL,
    position       text,
    position_level text,
    unit           text,
    province_code  text NOT NULL REFERENCES ref.province,
    assigned_group text NOT NULL REFERENCES ref.target_group,
    PRIMARY KEY (file_id, source_row)
);
CREATE INDEX roster_entry_person ON core.roster_entry (round_code, citizen_id);
