"""Bulk tables without per-row foreign-key triggers (see the SQL file for why it is safe).

Revision ID: 0006
"""
from alembic import op

from dgsa.foundation.sqlfiles import read_sql

revision = "0006"
down_revision = "0005"


def upgrade():
    op.get_bind().exec_driver_sql(read_sql("schema/0007_bulk_without_row_triggers.sql"))


def downgrade():
    op.get_bind().exec_driver_sql("""
        ALTER TABLE raw.source_row ADD FOREIGN KEY (file_id) REFERENCES audit.source_file;
        ALTER TABLE core.assessment ADD FOREIGN KEY (file_id) REFERENCES audit.source_file,
            ADD FOREIGN KEY (round_code) REFERENCES ref.round, ADD FOREIGN KEY (province_code) REFERENCES ref.province,
            ADD FOREIGN KEY (declared_group) REFERENCES ref.target_group,
            ADD FOREIGN KEY (framework_version) REFERENCES ref.framework;
        ALTER TABLE core.roster_entry ADD FOREIGN KEY (file_id) REFERENCES audit.source_file,
            ADD FOREIGN KEY (round_code) REFERENCES ref.round, ADD FOREIGN KEY (province_code) REFERENCES ref.province,
            ADD FOREIGN KEY (assigned_group) REFERENCES ref.target_group;""")
