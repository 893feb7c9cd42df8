"""SQL lives in include/sql/ as files; this finds and reads them."""
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


def read_sql(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")
