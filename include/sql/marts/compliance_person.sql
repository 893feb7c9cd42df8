-- marts.compliance_person: one row per round and person: everyone on the round's list
-- (roster), plus everyone who submitted but is not on it (NOT_ON_LIST, never dropped).
-- Status: first match in the order of domain.md; `problems` lists every problem found.
-- Reads the build's staged table stage_people (_stage.sql), for the rounds of mart_round (_rounds.sql).
CREATE TABLE mart_build.compliance_person AS
WITH listed_flags AS (
    SELECT l.round_code, l.province_code, l.person_key, l.citizen_id, l.title, l.first_name, l.last_name,
           l.unit, l.position, l.assigned_group, rd.deadline_at, rd.target_level,
           l.declared_group, l.declared_target_level, l.signed, l.received_at, l.file_id, l.source_row,
           NOT l.assessed                                                AS is_missing,
           coalesce(l.received_at > rd.deadline_at, false)               AS is_late,
           coalesce(NOT l.signed, false)                                 AS is_unsigned,
           coalesce(l.declared_group <> l.assigned_group, false)         AS is_group_mismatch,
           coalesce(l.declared_target_level <> rd.target_level, false)   AS is_target_mismatch
    FROM stage_people l
    JOIN ref.round rd USING (round_code)
    WHERE l.listed AND l.round_code IN (SELECT round_code FROM mart_round)
), unlisted AS (
    SELECT a.round_code, c.province_code, c.person_key, a.citizen_id, c.title, c.first_name, c.last_name,
           c.unit, c.position, NULL::text AS assigned_group, rd.deadline_at, rd.target_level,
           a.declared_group, a.declared_target_level, a.signed, a.received_at, a.file_id, a.source_row,
           false AS is_missing,
           a.received_at > rd.deadline_at                                AS is_late,
           NOT a.signed                                                  AS is_unsigned,
           false                                                         AS is_group_mismatch,
           a.declared_target_level <> rd.target_level                    AS is_target_mismatch
    FROM stage_people a
    JOIN ref.round rd USING (round_code)
    JOIN core.assessment c ON c.file_id = a.file_id AND c.source_row = a.source_row
    WHERE NOT a.listed AND a.round_code IN (SELECT round_code FROM mart_round)
), everyone AS (
    SELECT *, true AS on_list FROM listed_flags
    UNION ALL
    SELECT *, false AS on_list FROM unlisted
)
SELECT e.round_code                                                     AS round,
       e.province_code,
       e.person_key,
       'x-xxxx-xxxxx-' || substr(e.citizen_id, 11, 2) || '-' || substr(e.citizen_id, 13, 1) AS citizen_id_masked,
       concat_ws(' ', coalesce(e.title, '') || e.first_name, e.last_name) AS full_name,
       e.title, e.first_name, e.last_name,
       e.unit,
       e.position,
       e.assigned_group,
       e.declared_group,
       e.declared_target_level,
       e.signed,
       CASE
           WHEN NOT e.on_list THEN 'NOT_ON_LIST'
           WHEN e.is_missing THEN 'MISSING'
           WHEN NOT (e.is_late OR e.is_unsigned OR e.is_group_mismatch OR e.is_target_mismatch) THEN 'COMPLIANT'
           WHEN NOT (e.is_unsigned OR e.is_group_mismatch OR e.is_target_mismatch) THEN 'LATE'
           WHEN e.is_unsigned THEN 'UNSIGNED'
           WHEN e.is_group_mismatch THEN 'GROUP_MISMATCH'
           ELSE 'TARGET_MISMATCH'
       END                                                              AS status,
       array_remove(ARRAY[
           CASE WHEN e.is_late THEN 'LATE' END,
           CASE WHEN e.is_unsigned THEN 'UNSIGNED' END,
           CASE WHEN e.is_group_mismatch THEN 'GROUP_MISMATCH' END,
           CASE WHEN e.is_target_mismatch THEN 'TARGET_MISMATCH' END,
           CASE WHEN e.is_missing THEN 'MISSING' END,
           CASE WHEN NOT e.on_list THEN 'NOT_ON_LIST' END], NULL)      AS problems,
       e.received_at,
       e.file_id                                                        AS source_file_id,
       e.source_row
FROM everyone e;

-- @keys: a partial build copies the published rows of the other rounds in here (dgsa.marts.build),
-- then the keys and indexes are built once over all rows
ALTER TABLE mart_build.compliance_person ADD PRIMARY KEY (round, person_key);
CREATE INDEX ON mart_build.compliance_person (round, province_code, status);

COMMENT ON TABLE mart_build.compliance_person IS
    'DG-SA compliance per person and round (การส่งผลการประเมิน DG-SA รายบุคคล): everyone on the round''s target-group list (บัญชีกลุ่มเป้าหมาย), plus people who submitted but are not on it (NOT_ON_LIST).';
COMMENT ON COLUMN mart_build.compliance_person.round IS 'Round (รอบ), the B.E. year of the campaign, e.g. 2563.';
COMMENT ON COLUMN mart_build.compliance_person.province_code IS '2-digit province code (รหัสจังหวัด): from the list for listed people, from the submitting folder for NOT_ON_LIST.';
COMMENT ON COLUMN mart_build.compliance_person.person_key IS 'Stable keyed hash of the citizen ID: joins a person across marts and rounds without exposing the ID.';
COMMENT ON COLUMN mart_build.compliance_person.citizen_id_masked IS 'Citizen ID (เลขประจำตัวประชาชน) with only the last 3 digits visible.';
COMMENT ON COLUMN mart_build.compliance_person.full_name IS 'Title, first and last name (ชื่อ-สกุล) as on the list (or as submitted, for NOT_ON_LIST).';
COMMENT ON COLUMN mart_build.compliance_person.title IS 'Title (คำนำหน้า).';
COMMENT ON COLUMN mart_build.compliance_person.first_name IS 'First name (ชื่อ).';
COMMENT ON COLUMN mart_build.compliance_person.last_name IS 'Last name (นามสกุล).';
COMMENT ON COLUMN mart_build.compliance_person.unit IS 'Unit (สังกัด).';
COMMENT ON COLUMN mart_build.compliance_person.position IS 'Position (ตำแหน่ง).';
COMMENT ON COLUMN mart_build.compliance_person.assigned_group IS 'Target group the ministry assigned (กลุ่มเป้าหมายตามบัญชี): EXE, MGT, ACA, TEC, SRV, OTH; null when not on the list.';
COMMENT ON COLUMN mart_build.compliance_person.declared_group IS 'Target group the person declared in the current assessment; null when nothing was received.';
COMMENT ON COLUMN mart_build.compliance_person.declared_target_level IS 'Target level declared in the current assessment (1 Beginning .. 4 Advanced).';
COMMENT ON COLUMN mart_build.compliance_person.signed IS 'Whether the current assessment is marked signed (ลงนามรับรอง).';
COMMENT ON COLUMN mart_build.compliance_person.status IS 'COMPLIANT, LATE, UNSIGNED, GROUP_MISMATCH, TARGET_MISMATCH, MISSING or NOT_ON_LIST: the first that applies, in that order. LATE means otherwise compliant but received after the deadline.';
COMMENT ON COLUMN mart_build.compliance_person.problems IS 'Every problem found (LATE, UNSIGNED, GROUP_MISMATCH, TARGET_MISMATCH, MISSING, NOT_ON_LIST), not only the one that decided the status. Empty when compliant.';
COMMENT ON COLUMN mart_build.compliance_person.received_at IS 'When the file carrying the current assessment reached the drive (earlier of its modification time and first sight by the pipeline).';
COMMENT ON COLUMN mart_build.compliance_person.source_file_id IS 'audit.source_file.file_id of the file carrying the current assessment.';
COMMENT ON COLUMN mart_build.compliance_person.source_row IS 'Row number, as the province sees it, of the current assessment in that file.';
