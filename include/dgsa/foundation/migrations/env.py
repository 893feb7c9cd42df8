"""Alembic environment: the URL comes from dgsa.foundation.config (never from alembic.ini)."""
from alembic import context
from sqlalchemy import create_engine, pool

from dgsa.foundation import config

url = context.config.attributes.get("url") or config.warehouse_url()
engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, version_table_schema="audit",
                      transaction_per_migration=True)
    if connection.exec_driver_sql("SELECT to_regnamespace('audit')").scalar() is None:
        connection.exec_driver_sql("CREATE SCHEMA audit")   # the pipeline login may not create schemas
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
