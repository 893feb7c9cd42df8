"""What each mart build used, so the next one rebuilds only the rounds whose inputs changed
(issue 19; owned by the marts work).

Revision ID: 0011
"""
from alembic import op

from dgsa.foundation.sqlfiles import read_sql

revision = "0011"
down_revision = "0010"


def upgrade():
    op.get_bind().exec_driver_sql(read_sql("schema/0012_mart_build_state.sql"))


def downgrade():
    pass
