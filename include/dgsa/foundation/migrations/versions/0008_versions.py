"""Versions that come back, files removed from the drive, failures that pass (issue 21; owned by the ledger work).

Revision ID: 0008
"""
from alembic import op

from dgsa.foundation.sqlfiles import read_sql

revision = "0008"
down_revision = "0007"


def upgrade():
    op.get_bind().exec_driver_sql(read_sql("schema/0009_versions.sql"))


def downgrade():
    pass
