"""Operations: audit.run_summary (one per ingest) and audit.alert_sent (lateness alerts, once per
province per day).

Revision ID: 0004
"""
from alembic import op

from dgsa.foundation.sqlfiles import read_sql

revision = "0004"
down_revision = "0003"


def upgrade():
    op.get_bind().exec_driver_sql(read_sql("schema/0005_operations.sql"))


def downgrade():
    op.execute("DROP TABLE IF EXISTS audit.run_summary, audit.alert_sent")
