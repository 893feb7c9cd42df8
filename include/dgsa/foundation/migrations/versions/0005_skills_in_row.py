"""Skill levels as one jsonb object on core.assessment; core.assessment_skill becomes a view.

Revision ID: 0005
"""
from alembic import op

from dgsa.foundation.sqlfiles import read_sql

revision = "0005"
down_revision = "0004"


def upgrade():
    bind = op.get_bind()
    bind.exec_driver_sql(read_sql("schema/0006_skills_in_row.sql"))
    bind.exec_driver_sql(read_sql("schema/0003_skill_score.sql"))   # the long skill-score views, re-created


def downgrade():
    bind = op.get_bind()
    bind.exec_driver_sql("""
        DROP VIEW IF EXISTS core.current_skill_score, core.skill_score, core.assessment_skill;
        CREATE TABLE core.assessment_skill (
            file_id bigint NOT NULL, source_row integer NOT NULL, skill_code text NOT NULL,
            level_ordinal smallint, PRIMARY KEY (file_id, source_row, skill_code),
            FOREIGN KEY (file_id, source_row) REFERENCES core.assessment);
        INSERT INTO core.assessment_skill
        SELECT a.file_id, a.source_row, s.key, s.value::smallint
        FROM core.assessment a CROSS JOIN LATERAL jsonb_each_text(a.skills) AS s(key, value);
        ALTER TABLE core.assessment DROP COLUMN skills;""")
    bind.exec_driver_sql(read_sql("schema/0003_skill_score.sql"))
