"""Build the marts (write-audit-publish):

1. write: run include/sql/marts/<mart>.sql, each creating mart_build.<mart>;
2. audit: run the publication gate (include/sql/gates/marts.sql); any failing check stops here;
3. publish: in the same transaction, replace marts.<mart> by the new tables.

All of it is one transaction, so a reader sees the old marts or the new ones, never a mix,
and a failed build leaves the old marts in place.

    python -m dgsa.marts            # build and publish
"""
from __future__ import annotations

import argparse
import json
import logging

from dgsa import db
from dgsa.sqlfiles import read_sql

log = logging.getLogger(__name__)
MARTS = ("compliance_person", "compliance_by_province", "training_nominee", "training_needs", "target_progress")


class GateFailed(RuntimeError):
    """A mart broke a publication check; the previous marts stay."""


def build(url: str | None = None, *, sql_override: dict[str, str] | None = None) -> dict[str, int]:
    """Build, check and publish every mart. sql_override replaces a mart's SQL (tests use it)."""
    counts = {}
    try:
        with db.transaction(url) as conn, conn.cursor() as cur:
            # the night's loads change these tables a lot; without fresh statistics the
            # planner picks nested loops that take minutes instead of seconds
            cur.execute("ANALYZE audit.source_file, core.assessment, core.assessment_skill, core.roster_entry")
            for mart in MARTS:
                cur.execute(f"DROP TABLE IF EXISTS mart_build.{mart}")
            for mart in MARTS:
                cur.execute((sql_override or {}).get(mart) or read_sql(f"marts/{mart}.sql"))
                cur.execute(f"ANALYZE mart_build.{mart}")  # fresh tables have no statistics yet
                counts[mart] = db.scalar(cur, f"SELECT count(*) FROM mart_build.{mart}")
            cur.execute(read_sql("gates/marts.sql"))
            failures = [(m, c, n) for m, c, n in cur.fetchall() if n]
            if failures:
                raise GateFailed("mart gate refused publication: " + "; ".join(
                    f"{m}: {c} ({n} rows)" for m, c, n in failures))
            for mart in MARTS:
                cur.execute(f"DROP TABLE IF EXISTS marts.{mart}")
                cur.execute(f"ALTER TABLE mart_build.{mart} SET SCHEMA marts")
                cur.execute(f"GRANT SELECT ON marts.{mart} TO dgsa_analyst")
            _record(cur, counts, True, None)
    except Exception as exc:
        with db.transaction(url) as conn, conn.cursor() as cur:
            _record(cur, counts, False, str(exc)[:2000])
        raise
    log.info("marts published: %s", counts)
    return counts


def _record(cur, counts: dict, published: bool, message: str | None) -> None:
    for mart in MARTS:
        cur.execute("INSERT INTO audit.mart_build (mart, row_count, published, message) VALUES (%s, %s, %s, %s)",
                    (mart, counts.get(mart), published, message))


def main(argv=None) -> None:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    print(json.dumps(build()))


if __name__ == "__main__":
    main()
