"""Rounds and frameworks in the warehouse (issue 18; owned by the rounds/marts work).

Revision ID: 0009
"""
from alembic import op

from dgsa.foundation.sqlfiles import read_sql

revision = "0009"
down_revision = "0008"


def upgrade():
    op.get_bind().exec_driver_sql(read_sql("schema/0010_rounds.sql"))


def downgrade():
    pass
