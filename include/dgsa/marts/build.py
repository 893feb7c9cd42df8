"""Build the marts (write-audit-publish):

1. write: run include/sql/marts/<mart>.sql, each creating mart_build.<mart> (committed, so
   Great Expectations can read it; analysts cannot: mart_build is not granted to them);
2. audit: validate every mart_build table against expectations/marts/<mart>.json (GX SQL
   datasource: the checks run inside PostgreSQL); results go to audit.validation_*;
   any failed expectation stops here, naming it, and the previous marts stay;
3. publish: in ONE transaction, replace marts.<mart> by the new tables, so a reader sees
   the old marts or the new ones, never a mix.

A session advisory lock keeps two builds from sharing mart_build.

    python -m dgsa.marts            # build and publish
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import time

from dgsa.foundation import config, db
from dgsa.contract import suites as contract
from dgsa.foundation.sqlfiles import read_sql

log = logging.getLogger(__name__)
# in build order: target_progress counts person_progress's changes, training_needs the nominees
MARTS = ("compliance_person", "compliance_by_province", "training_nominee", "training_needs", "person_progress",
         "target_progress")
_LOCK = 0x64677361_6d617274 & 0x7FFFFFFFFFFFFFFF   # "dgsa" "mart"


class GateFailed(RuntimeError):
    """A mart broke its suite; the previous marts stay."""


def build(url: str | None = None, *, sql_override: dict[str, str] | None = None, run_name: str = "manual") -> dict:
    """Build, validate and publish every mart. sql_override replaces a mart's SQL (tests use it)."""
    url = url or config.warehouse_url()
    counts: dict[str, int] = {}
    lock = db.connect(url)
    lock.autocommit = True
    try:
        with lock.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (_LOCK,))
        _write(url, sql_override or {}, counts)
        _audit(url, run_name)
        _publish(url, counts)
    except Exception as exc:
        with db.transaction(url) as conn, conn.cursor() as cur:
            _record(cur, counts, False, str(exc)[:2000])
        raise
    finally:
        lock.close()   # releases the advisory lock
    log.info("marts published: %s", counts)
    return counts


def _write(url: str, sql_override: dict[str, str], counts: dict) -> None:
    with db.transaction(url) as conn, conn.cursor() as cur:
        # sorts and hashes of a few million narrow rows, and the staged temporary tables
        # (_stage.sql), stay in memory instead of spilling (temp_buffers: before any temp table)
        cur.execute("SET LOCAL temp_buffers = %s", (os.environ.get("DGSA_MART_TEMP_BUFFERS", "512MB"),))
        cur.execute("SET LOCAL work_mem = %s", (os.environ.get("DGSA_MART_WORK_MEM", "256MB"),))
        # the night's loads change these tables a lot; without fresh statistics the
        # planner picks nested loops that take minutes instead of seconds
        cur.execute("ANALYZE audit.source_file, core.assessment, core.roster_entry")
        for mart in MARTS:
            cur.execute(f"DROP TABLE IF EXISTS mart_build.{mart}")
        timings = {}
        started = time.perf_counter()
        cur.execute(read_sql("marts/_stage.sql"))   # current list and assessments, once for every mart
        timings["_stage"] = round(time.perf_counter() - started, 2)
        for mart in MARTS:
            started = time.perf_counter()
            cur.execute(sql_override.get(mart) or read_sql(f"marts/{mart}.sql"))
            cur.execute(f"ANALYZE mart_build.{mart}")  # fresh tables have no statistics yet
            counts[mart] = db.scalar(cur, f"SELECT count(*) FROM mart_build.{mart}")
            timings[mart] = round(time.perf_counter() - started, 2)
        log.info("marts written (seconds): %s", timings)


def _audit(url: str, run_name: str) -> None:
    failures = []
    for mart in MARTS:
        suite = f"marts/{mart}"
        result = contract.validate_table(suite, url, "mart_build", mart)
        verdicts = contract.verdicts(result)
        with db.transaction(url) as conn, conn.cursor() as cur:
            vid = contract.record_run(cur, run_name=run_name, suite_name=suite, target=f"mart_build.{mart}",
                                      result=result)
            contract.record_results(cur, vid, suite, [
                (None, mart, v, v.element_count, v.unexpected_count if v.unexpected_count is not None
                 else (v.observed_value if v.type == "unexpected_rows_expectation" else None), v.success)
                for v in verdicts])
        failures += [f"{mart}: {v.label} ({_how_many(v)})" for v in verdicts if not v.success]
    if failures:
        raise GateFailed("mart gate refused publication: " + "; ".join(failures))


def _how_many(v) -> str:
    n = v.unexpected_count if v.unexpected_count is not None else v.observed_value
    return f"{n} rows" if n is not None else "failed"


def _publish(url: str, counts: dict) -> None:
    with db.transaction(url) as conn, conn.cursor() as cur:
        for mart in MARTS:
            cur.execute(f"DROP TABLE IF EXISTS marts.{mart}")
            cur.execute(f"ALTER TABLE mart_build.{mart} SET SCHEMA marts")
            cur.execute(f"GRANT SELECT ON marts.{mart} TO dgsa_analyst")
        _record(cur, counts, True, None)


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
