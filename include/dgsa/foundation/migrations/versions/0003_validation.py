"""Great Expectations results: audit.validation_run, audit.validation_result.

Revision ID: 0003
"""
from alembic import op

from dgsa.foundation.sqlfiles import read_sql

revision = "0003"
down_revision = "0002"


def upgrade():
    op.get_bind().exec_driver_sql(read_sql("schema/0004_validation.sql"))


def downgrade():
    op.execute("DROP TABLE IF EXISTS audit.validation_result, audit.validation_run")
