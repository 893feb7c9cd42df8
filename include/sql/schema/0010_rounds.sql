-- Rounds and frameworks in the warehouse (issue 18; owned by the rounds/marts work).
-- A framework version may map its skills from an earlier version's codes (the `maps_from` of
-- include/config/frameworks/<version>.yaml): ref.skill_map holds it, loaded by seed_reference.
-- Progress across rounds that use different versions compares through it (marts.person_progress),
-- and a row read under another version than its round's is translated through it (_stage.sql).
-- Idempotent: prepare runs the migrations on every run.
ALTER TABLE ref.skill ADD COLUMN IF NOT EXISTS area text;
COMMENT ON COLUMN ref.skill.area IS 'Where the framework places the skill (e.g. core or optional); null when it does not say.';

CREATE TABLE IF NOT EXISTS ref.skill_map (
    framework_version text NOT NULL,   -- the later version
    skill_code        text NOT NULL,   -- its skill
    from_version      text NOT NULL,   -- the earlier version
    from_code         text NOT NULL,   -- the earlier version's skill it continues
    PRIMARY KEY (framework_version, skill_code, from_version),
    FOREIGN KEY (framework_version, skill_code) REFERENCES ref.skill,
    FOREIGN KEY (from_version, from_code) REFERENCES ref.skill (framework_version, skill_code)
);
COMMENT ON TABLE ref.skill_map IS
    'Skill mapping between framework versions (การเทียบทักษะระหว่างกรอบ): the later version''s skill continues the earlier version''s skill from_code. Skills without a row are new: progress across the two versions leaves them out.';

ALTER TABLE ref.framework ADD COLUMN IF NOT EXISTS maps_from text;
COMMENT ON COLUMN ref.framework.maps_from IS 'The earlier framework version this one maps its skills from (ref.skill_map); null for the first.';

GRANT SELECT ON ref.skill_map TO dgsa_analyst;
GRANT ALL ON ref.skill_map TO dgsa_loader;
