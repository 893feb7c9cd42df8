"""Rounds per file version: audit.file_round and the view audit.version_in_force (a newer version
of a path replaces the older one only for the rounds it holds rows of).

Revision ID: 0007
"""
from alembic import op

from dgsa.foundation.sqlfiles import read_sql

revision = "0007"
down_revision = "0006"


def upgrade():
    op.get_bind().exec_driver_sql(read_sql("schema/0008_file_round.sql"))


def downgrade():
    op.get_bind().exec_driver_sql("""
        CREATE OR REPLACE VIEW core.live_assessment AS
        SELECT a.* FROM core.assessment a JOIN audit.source_file f USING (file_id)
        WHERE f.status IN ('loaded', 'partially_loaded');
        DROP VIEW audit.version_in_force;
        DROP TABLE audit.file_round;""")
