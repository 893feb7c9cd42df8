-- Skill scores as a long table: person, round, skill, level ordinal, framework version,
-- traceable to the file version and source row. Blank cells are rows with a null level.
CREATE OR REPLACE VIEW core.skill_score AS
SELECT a.file_id, a.source_row, a.round_code, a.person_key, a.citizen_id, s.skill_code, s.level_ordinal,
       a.framework_version, a.received_at
FROM core.assessment a
JOIN core.assessment_skill s USING (file_id, source_row);

-- The current assessment's skill scores per person and round.
CREATE OR REPLACE VIEW core.current_skill_score AS
SELECT a.round_code, a.person_key, a.citizen_id, s.skill_code, s.level_ordinal, a.framework_version,
       a.file_id, a.source_row
FROM core.current_assessment a
JOIN core.assessment_skill s USING (file_id, source_row);
