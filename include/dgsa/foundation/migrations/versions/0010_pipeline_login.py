"""The least-privilege pipeline login (issue 20; owned by the operations work).

Revision ID: 0010
"""
from alembic import op

from dgsa.foundation.sqlfiles import read_sql

revision = "0010"
down_revision = "0009"


def upgrade():
    op.get_bind().exec_driver_sql(read_sql("schema/0011_pipeline_login.sql"))


def downgrade():
    pass
