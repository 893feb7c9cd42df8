"""Build the marts (write-audit-publish), recomputing only the rounds whose inputs changed:

0. plan (dgsa.marts.changes): compare what the marts are built from (the ledger's file versions
   in force per round, each round's roster file, the mart SQL, the suites, the reference data)
   with the build the published marts come from (audit.mart_build_state). Nothing changed: the
   build is skipped (and recorded). Some rounds changed: a PARTIAL build recomputes those rounds
   (and their successors' progress rows) and copies the other rounds' rows from the published
   marts. Anything global changed, no earlier build, a mart table missing, or asked for
   (`--full`, DGSA_MARTS_FULL=1): a FULL build. A partial build gives exactly the rows a full
   one would (tests/test_marts_partial.py);
1. write: run include/sql/marts/<mart>.sql, each creating mart_build.<mart> (committed, so
   Great Expectations can read it; analysts cannot: mart_build is not granted to them);
2. audit: validate every mart_build table (all rounds) against expectations/marts/<mart>.json
   (GX SQL datasource: the checks run inside PostgreSQL); results go to audit.validation_*;
   any failed expectation stops here, naming it, and the previous marts stay;
3. publish: in ONE transaction, replace marts.<mart> by the new tables, so a reader sees
   the old marts or the new ones, never a mix.

A session advisory lock keeps two builds from sharing mart_build.

    python -m dgsa.marts            # build what changed and publish (or skip: nothing changed)
    python -m dgsa.marts --full     # recompute every round (also DGSA_MARTS_FULL=1)
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
from dgsa.marts import changes

log = logging.getLogger(__name__)
# in build order: target_progress counts person_progress's changes, training_needs the nominees
MARTS = ("compliance_person", "compliance_by_province", "training_nominee", "training_needs", "person_progress",
         "target_progress")
_LOCK = 0x64677361_6d617274 & 0x7FFFFFFFFFFFFFFF   # "dgsa" "mart"
_KEYS = "\n-- @keys"   # in a mart's SQL: where the copied rows go in, before its keys and indexes


class GateFailed(RuntimeError):
    """A mart broke its suite; the previous marts stay."""


def build(url: str | None = None, *, sql_override: dict[str, str] | None = None, run_name: str = "manual",
          full: bool | None = None) -> dict:
    """Build what changed, validate and publish; or skip when nothing changed. sql_override replaces
    a mart's SQL (tests use it; it forces a full build). full: recompute every round (default:
    DGSA_MARTS_FULL). Returns mode, reason, the rounds recomputed and the marts' row counts."""
    url = url or config.warehouse_url()
    started = time.perf_counter()
    counts: dict[str, int] = {}
    plan, scope = None, ([], [])
    lock = db.connect(url)
    lock.autocommit = True
    try:
        with lock.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (_LOCK,))
        plan, scope = _write(url, sql_override or {}, counts, changes.full_requested(full))
        if plan.mode == "skip":
            with db.transaction(url) as conn, conn.cursor() as cur:
                tables = changes.published_tables(cur, MARTS)
                changes.record(cur, plan, run_name=run_name, outcome="skipped", tables=tables, rebuilt=[],
                               progress=[], seconds=time.perf_counter() - started)
            log.info("marts: nothing to rebuild (%s); the published marts stand", plan.reason)
            return {"mode": "skipped", "reason": plan.reason, "rebuilt_rounds": [], "progress_rounds": [],
                    "counts": {}, "seconds": {"plan": round(time.perf_counter() - started, 2)}}
        written = time.perf_counter()
        _audit(url, run_name)
        audited = time.perf_counter()
        _publish(url, counts, plan, scope, run_name, started)
        phases = {"write": round(written - started, 2), "audit": round(audited - written, 2),
                  "publish": round(time.perf_counter() - audited, 2)}
    except Exception as exc:
        with db.transaction(url) as conn, conn.cursor() as cur:
            _record(cur, counts, False, str(exc)[:2000])
            if plan is not None:
                changes.record(cur, plan, run_name=run_name, outcome="failed", tables=None, rebuilt=scope[0],
                               progress=scope[1], seconds=time.perf_counter() - started, message=str(exc)[:2000])
        raise
    finally:
        lock.close()   # releases the advisory lock
    log.info("marts published (%s: %s; seconds %s): %s", plan.mode, plan.reason, phases, counts)
    return {"mode": plan.mode, "reason": plan.reason, "rebuilt_rounds": scope[0], "progress_rounds": scope[1],
            "counts": counts, "seconds": phases}


def _write(url: str, sql_override: dict[str, str], counts: dict, full: bool) -> tuple:
    """Plan, then (unless nothing changed) write every mart into mart_build, all in one snapshot of the
    warehouse (REPEATABLE READ: the fingerprints recorded are those of the rows built from)."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # sorts and hashes of a few million narrow rows, and the staged temporary tables
        # (_stage.sql), stay in memory instead of spilling (temp_buffers: before any temp table)
        cur.execute("SET LOCAL temp_buffers = %s", (os.environ.get("DGSA_MART_TEMP_BUFFERS", "512MB"),))
        cur.execute("SET LOCAL work_mem = %s", (os.environ.get("DGSA_MART_WORK_MEM", "256MB"),))
        plan = changes.decide(cur, MARTS, full=full, sql_override=sql_override)
        log.info("marts plan: %s (%s)", plan.mode, plan.reason)
        if plan.mode == "skip":
            return plan, ([], [])
        partial = plan.mode == "partial"
        # the night's loads change these tables a lot; without fresh statistics the
        # planner picks nested loops that take minutes instead of seconds
        cur.execute("ANALYZE audit.source_file, core.assessment, core.roster_entry")
        for mart in MARTS:
            cur.execute(f"DROP TABLE IF EXISTS mart_build.{mart}")
        cur.execute(read_sql("marts/_rounds.sql"), {"full": not partial, "rounds": plan.rebuild})
        cur.execute("SELECT array(SELECT round_code FROM mart_round ORDER BY 1), "
                    "array(SELECT round_code FROM progress_round ORDER BY 1)")
        scope = tuple(cur.fetchone())
        if partial:
            cur.execute(read_sql("marts/_kept_target.sql"))
        timings = {}
        begun = time.perf_counter()
        cur.execute(read_sql("marts/_stage.sql"))   # current list and assessments, once for every mart
        timings["_stage"] = round(time.perf_counter() - begun, 2)
        for mart in MARTS:
            begun = time.perf_counter()
            rows, _, keys = (sql_override.get(mart) or read_sql(f"marts/{mart}.sql")).partition(_KEYS)
            cur.execute(rows)
            if partial and mart != "target_progress":   # target_progress: kept_target_counts
                recomputed = scope[1] if mart == "person_progress" else scope[0]
                cur.execute(f"INSERT INTO mart_build.{mart} SELECT * FROM marts.{mart} WHERE round <> ALL(%s)",
                            (recomputed,))
            if keys:
                cur.execute(_KEYS + keys)
            cur.execute(f"ANALYZE mart_build.{mart}")  # fresh tables have no statistics yet
            counts[mart] = db.scalar(cur, f"SELECT count(*) FROM mart_build.{mart}")
            timings[mart] = round(time.perf_counter() - begun, 2)
        log.info("marts written (%s, rounds %s, progress %s; seconds): %s", plan.mode, scope[0], scope[1], timings)
        return plan, scope


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


def _publish(url: str, counts: dict, plan, scope: tuple, run_name: str, started: float) -> None:
    with db.transaction(url) as conn, conn.cursor() as cur:
        for mart in MARTS:
            cur.execute(f"DROP TABLE IF EXISTS marts.{mart}")
            cur.execute(f"ALTER TABLE mart_build.{mart} SET SCHEMA marts")
            cur.execute(f"GRANT SELECT ON marts.{mart} TO dgsa_analyst")
        _record(cur, counts, True, None)
        changes.record(cur, plan, run_name=run_name, outcome="published", tables=changes.published_tables(cur, MARTS),
                       rebuilt=scope[0], progress=scope[1], seconds=time.perf_counter() - started)


def _record(cur, counts: dict, published: bool, message: str | None) -> None:
    for mart in MARTS:
        cur.execute("INSERT INTO audit.mart_build (mart, row_count, published, message) VALUES (%s, %s, %s, %s)",
                    (mart, counts.get(mart), published, message))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", default=None,
                        help="recompute every round, whatever changed (also DGSA_MARTS_FULL=1)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    print(json.dumps(build(full=args.full)))


if __name__ == "__main__":
    main()
