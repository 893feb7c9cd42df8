-- Skill levels move onto the assessment row: core.assessment.skills is one jsonb object per
-- person and file row, {"DL": 2, "GOV": null, ...}, holding the skills whose column the file
-- has (null: the cell was left blank). Nine long rows per person cost most of a load's writes
-- and an index as large as the table; the long form stays available, unchanged, as the view
-- core.assessment_skill (file_id, source_row, skill_code, level_ordinal).
ALTER TABLE core.assessment ADD COLUMN IF NOT EXISTS skills jsonb;

UPDATE core.assessment a
SET skills = s.levels
FROM (SELECT file_id, source_row, jsonb_object_agg(skill_code, level_ordinal) AS levels
      FROM core.assessment_skill GROUP BY file_id, source_row) s
WHERE s.file_id = a.file_id AND s.source_row = a.source_row;
UPDATE core.assessment SET skills = '{}' WHERE skills IS NULL;
ALTER TABLE core.assessment ALTER COLUMN skills SET NOT NULL;
ALTER TABLE core.assessment ADD CONSTRAINT assessment_skills_object CHECK (jsonb_typeof(skills) = 'object');

DROP VIEW IF EXISTS core.current_skill_score, core.skill_score;
DROP TABLE core.assessment_skill;

CREATE VIEW core.assessment_skill AS
SELECT a.file_id, a.source_row, s.key AS skill_code, s.value::smallint AS level_ordinal
FROM core.assessment a
CROSS JOIN LATERAL jsonb_each_text(a.skills) AS s(key, value);

COMMENT ON VIEW core.assessment_skill IS
    'One row per assessment row and skill column present in the file (level_ordinal null: left blank); '
    'the long form of core.assessment.skills.';
COMMENT ON COLUMN core.assessment.skills IS
    'Skill levels by skill code for the skill columns the file has, e.g. {"DL": 2, "GOV": null}; null: left blank.';
