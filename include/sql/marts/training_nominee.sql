-- marts.training_nominee: person x skill below target, from each listed person's current
-- assessment, against the skills their ASSIGNED group requires (ref.target) at the round's
-- target level. A required skill left blank (or absent) is a need at the full required level.
-- Reads the build's staged tables (_stage.sql); levels straight from core.assessment.skills.
CREATE TABLE mart_build.training_nominee AS
WITH need AS (
    SELECT l.round_code, l.province_code, l.person_key, l.title, l.first_name, l.last_name, l.unit,
           l.assigned_group, t.skill_code, rd.target_level AS required_level,
           (l.skills ->> t.skill_code)::smallint AS assessed_level
    FROM stage_people l
    JOIN ref.round rd USING (round_code)
    JOIN ref.target t ON t.framework_version = rd.framework_version AND t.group_code = l.assigned_group
    WHERE l.listed AND l.assessed AND l.round_code IN (SELECT round_code FROM mart_round)
)
SELECT round_code                                                       AS round,
       province_code,
       person_key,
       concat_ws(' ', coalesce(title, '') || first_name, last_name)     AS full_name,
       unit,
       assigned_group                                                   AS target_group,
       skill_code,
       assessed_level,
       required_level,
       required_level - coalesce(assessed_level, 0)                     AS gap
FROM need
WHERE required_level - coalesce(assessed_level, 0) > 0;

-- @keys: a partial build copies the published rows of the other rounds in here (dgsa.marts.build),
-- then the keys and indexes are built once over all rows
ALTER TABLE mart_build.training_nominee ADD PRIMARY KEY (round, person_key, skill_code);
CREATE INDEX ON mart_build.training_nominee (round, province_code, skill_code);

COMMENT ON TABLE mart_build.training_nominee IS
    'Who needs which training (รายชื่อผู้ที่ควรเข้ารับการพัฒนา): one row per person on the list and required skill assessed below the round''s target level. Provinces use it to nominate staff for courses.';
COMMENT ON COLUMN mart_build.training_nominee.round IS 'Round (รอบ), B.E. year.';
COMMENT ON COLUMN mart_build.training_nominee.province_code IS 'Province on the list (รหัสจังหวัด).';
COMMENT ON COLUMN mart_build.training_nominee.person_key IS 'Stable keyed hash of the citizen ID.';
COMMENT ON COLUMN mart_build.training_nominee.full_name IS 'Title, first and last name as on the list (ชื่อ-สกุล).';
COMMENT ON COLUMN mart_build.training_nominee.unit IS 'Unit (สังกัด).';
COMMENT ON COLUMN mart_build.training_nominee.target_group IS 'The ASSIGNED target group (กลุ่มเป้าหมายตามบัญชี), which decides the required skills.';
COMMENT ON COLUMN mart_build.training_nominee.skill_code IS 'Skill (ทักษะ) code from ref.skill, e.g. DL, GOV.';
COMMENT ON COLUMN mart_build.training_nominee.assessed_level IS 'Assessed level ordinal (1 Beginning .. 4 Advanced); null when left blank.';
COMMENT ON COLUMN mart_build.training_nominee.required_level IS 'Level the round requires (ระดับเป้าหมาย), e.g. 2 = Developing (กำลังพัฒนา).';
COMMENT ON COLUMN mart_build.training_nominee.gap IS 'required_level - assessed_level (blank counts as 0); always > 0 here.';
