"""Initial warehouse: ref, audit, raw, core schemas; views; roles.

Revision ID: 0001
"""
from alembic import op

from dgsa.foundation.sqlfiles import read_sql

revision = "0001"
down_revision = None


def upgrade():
    op.get_bind().exec_driver_sql(read_sql("schema/0001_initial.sql"))
    op.get_bind().exec_driver_sql(read_sql("schema/0001_views.sql"))
    op.get_bind().exec_driver_sql(read_sql("schema/0002_roles.sql"))


def downgrade():
    op.execute("DROP SCHEMA IF EXISTS marts, mart_build, core, raw, ref CASCADE")
    op.execute("DROP TABLE IF EXISTS audit.rejected_row, audit.source_file, audit.load_run, audit.mart_build CASCADE")
