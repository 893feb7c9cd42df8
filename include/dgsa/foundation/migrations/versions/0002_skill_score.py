"""Long skill-score views (core.skill_score, core.current_skill_score).

Revision ID: 0002
"""
from alembic import op

from dgsa.foundation.sqlfiles import read_sql

revision = "0002"
down_revision = "0001"


def upgrade():
    op.get_bind().exec_driver_sql(read_sql("schema/0003_skill_score.sql"))


def downgrade():
    op.get_bind().exec_driver_sql("DROP VIEW IF EXISTS core.current_skill_score, core.skill_score")
